//! `edgetwin mirror --config FILE`: the console in mirror mode on the deployment the configuration names;
//! with `--probe`, every source checked once and a table printed; with `--publish-hours`, a local run's KPIs
//! published to the configuration's CloudWatch; with `--create-demo`, the small demo deployment made in the
//! emulator the configuration points at (see README, "AWS mirror").

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use connectors::config::MirrorConfig;
use connectors::mirror::{self, SourceState};

use super::{build_twin, load_scenario, positive_span, print_table};

#[derive(Args, Debug)]
pub struct MirrorArgs {
    /// The mirror's configuration (TOML; see assets/mirror/local.toml).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Check every source once and print a table (state, latency, reason); fails if any source failed.
    #[arg(long, conflicts_with_all = ["create_demo", "publish_hours"])]
    pub probe: bool,
    /// Run the default scenario and publish its last HOURS of mapped KPIs and site states to the configuration's
    /// CloudWatch (AWS's own, or an emulator), ending now: a local run feeding a CloudWatch dashboard.
    #[arg(long, value_name = "HOURS", value_parser = positive_span, conflicts_with = "create_demo")]
    pub publish_hours: Option<f64>,
    /// Make the demo deployment from a twin run of the default scenario: buckets and objects, Auto Scaling
    /// groups, the run's KPIs in CloudWatch. Only against an emulator (an endpoint_url, or AWS_ENDPOINT_URL).
    #[arg(long)]
    pub create_demo: bool,
    /// With --create-demo: hours of the run published to CloudWatch, ending now.
    #[arg(long, default_value_t = 3.0, value_parser = positive_span)]
    pub demo_hours: f64,
    /// With --create-demo: write each health endpoint's answer under this folder, at its URL's path, for a
    /// static web server to serve.
    #[arg(long, value_name = "DIR", requires = "create_demo")]
    pub health_dir: Option<PathBuf>,
}

/// The demo's twin runs to a weekday evening before the hours it publishes.
const DEMO_WARMUP_MINUTES: u64 = 18 * 60;

pub fn mirror(a: MirrorArgs) -> anyhow::Result<()> {
    let config = MirrorConfig::load(&a.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if a.probe {
        return probe(&config, &runtime);
    }
    if a.create_demo {
        return create_demo(&a, &config, &runtime);
    }
    if let Some(hours) = a.publish_hours {
        let mut twin = demo_twin()?;
        let points = runtime
            .block_on(connectors::demo::publish_run(&config, &mut twin, (hours * 60.0).round() as u64, mirror::now_s()))
            .with_context(|| format!("publishing to CloudWatch in {}", config.region.get_ref()))?;
        println!(
            "{points} points published to CloudWatch ({}) in {}",
            config.endpoint().unwrap_or("AWS".into()),
            config.region.get_ref()
        );
        return Ok(());
    }
    super::console::open_mirror(a.config)
}

fn probe(config: &MirrorConfig, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let state = runtime.block_on(mirror::probe(config));
    let now = mirror::now_s();
    println!("\nedgetwin mirror --probe · {} · {} · {}\n", state.name, state.endpoint, state.region);
    let rows: Vec<Vec<String>> = state
        .sources
        .iter()
        .map(|s| {
            let verdict = match s.state(now) {
                SourceState::Ok => "ok",
                SourceState::Stale => "stale",
                _ => "FAILED",
            };
            let latency = s.latency_ms.map_or("–".into(), |ms| format!("{ms:.0} ms"));
            vec![s.name.clone(), verdict.into(), latency, s.reason(now)]
        })
        .collect();
    print_table(&["source", "", "latency", "reason"], &rows);
    let failed = state.sources.iter().filter(|s| s.fault.is_some()).count();
    println!();
    if failed > 0 {
        bail!("{failed} of {} sources failed", state.sources.len());
    }
    println!("{} sources answered", state.sources.len());
    Ok(())
}

/// The default scenario run to a weekday evening, from where the hours published start.
fn demo_twin() -> anyhow::Result<twin::Twin> {
    let mut twin = build_twin(load_scenario(std::path::Path::new("default"), None)?, None)?;
    println!("running the default scenario {} h, then the hours published…", DEMO_WARMUP_MINUTES / 60);
    super::simulate(&mut twin, DEMO_WARMUP_MINUTES);
    Ok(twin)
}

fn create_demo(a: &MirrorArgs, config: &MirrorConfig, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let Some(endpoint) = config.endpoint() else {
        bail!(
            "{}: --create-demo writes only to an emulator; give endpoint_url in the configuration or set \
             AWS_ENDPOINT_URL",
            a.config.display()
        );
    };
    let mut twin = build_twin(load_scenario(std::path::Path::new("default"), None)?, None)?;
    let minutes = (a.demo_hours * 60.0).round() as u64;
    println!(
        "running the default scenario {} h, then publishing the last {} h…",
        DEMO_WARMUP_MINUTES / 60,
        a.demo_hours
    );
    super::simulate(&mut twin, DEMO_WARMUP_MINUTES);
    let report = runtime
        .block_on(connectors::demo::create(config, &mut twin, minutes, mirror::now_s()))
        .with_context(|| format!("making the demo deployment at {endpoint}"))?;
    println!(
        "{endpoint}: {} bucket(s), {} objects in the origin, {} Auto Scaling group(s), {} CloudWatch points ({} min)",
        report.buckets, report.objects, report.groups, report.points, report.minutes
    );
    if let Some(dir) = &a.health_dir {
        for (url, json) in connectors::demo::health_answers(config, &twin)? {
            let path = url.split("://").nth(1).and_then(|rest| rest.split_once('/')).map_or("", |(_, p)| p);
            if path.is_empty() || path.split('/').any(|part| part == "..") {
                bail!("{}: the health URL {url} has no path to write its answer at", a.config.display());
            }
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&file, json).with_context(|| format!("writing {}", file.display()))?;
            println!("{url}: {}", file.display());
        }
    }
    Ok(())
}
