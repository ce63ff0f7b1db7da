//! `edgetwin run`: simulate headless with a progress bar, print a summary, write KPIs.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{build_twin, kpi_file, load_scenario, non_negative_span, positive_span, simulate, summary};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML), or `default` for the embedded default scenario.
    pub scenario: PathBuf,
    /// Simulated hours (default: the scenario's horizon).
    #[arg(long, value_parser = positive_span)]
    pub hours: Option<f64>,
    /// Seed for every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write per-minute KPIs, worldwide and per region, to a .csv or .json file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the control plane's minutes, per region (instances, requests by type, CPU, latency, cost), to a
    /// .csv or .json file.
    #[arg(long)]
    pub fleet_out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Evacuate this control-plane region (an origin region, such as us-east-1) at `--evacuate-at`, as an
    /// evacuation drill does, and print how the other regions came through it.
    #[arg(long, value_name = "REGION")]
    pub evacuate: Option<String>,
    /// With --evacuate: simulated hours from the start.
    #[arg(long, default_value_t = 20.0, value_parser = non_negative_span)]
    pub evacuate_at: f64,
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    for out in a.out.iter().chain(&a.fleet_out) {
        kpi_file::check_extension(out)?;
    }
    let scenario = load_scenario(&a.scenario, a.seed)?;
    let hours = a.hours.unwrap_or(scenario.horizon_hours);
    let started = Instant::now();
    let mut twin = build_twin(scenario, a.threads)?;
    let build_s = started.elapsed().as_secs_f64();

    let minutes = (hours * 60.0).ceil() as u64;
    let drill = match &a.evacuate {
        Some(name) => {
            let names = &twin.fleet().names;
            let region = names.iter().position(|n| n == name).ok_or_else(|| {
                anyhow::anyhow!("--evacuate: no control-plane region {name:?} (this scenario has {})", names.join(", "))
            })?;
            let at = (a.evacuate_at * 60.0).round() as u64;
            anyhow::ensure!(at < minutes, "--evacuate-at {} h is not before the run's end ({hours} h)", a.evacuate_at);
            Some((region, at))
        }
        None => None,
    };
    let run_started = Instant::now();
    match drill {
        Some((region, at)) => {
            simulate(&mut twin, at);
            twin.apply(twin::Command::EvacuateRegion { region, evacuated: true })?;
            simulate(&mut twin, minutes - at);
        }
        None => simulate(&mut twin, minutes),
    }
    let run_s = run_started.elapsed().as_secs_f64();

    print!("{}", summary::render(&twin, hours, build_s, run_s));
    if let Some((region, at)) = drill {
        print!("{}", super::fleet_table::render_evacuation(&twin.snapshot(), region, at));
    }
    if let Some(out) = &a.out {
        kpi_file::write(&twin, out)?;
        println!("KPIs per minute written to {}", out.display());
    }
    if let Some(out) = &a.fleet_out {
        kpi_file::write_fleet(&twin, out)?;
        println!("control-plane minutes written to {}", out.display());
    }
    Ok(())
}
