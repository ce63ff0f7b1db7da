//! `edgetwin run`: simulate headless with a progress bar, print a summary, write KPIs and (with `--events`) the
//! viewing events into a SQLite database.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{build_twin, kpi_file, load_scenario, non_negative_span, positive_span, simulate_then, summary};
use crate::store::events::EventStore;
use crate::training::Training;

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
    /// Write the run's viewing events to this SQLite database (a new file; read it with `edgetwin analytics`).
    #[arg(long, value_name = "RUN.db")]
    pub events: Option<PathBuf>,
    /// With --events: the share of members whose events are kept (by member hash), in (0, 1].
    #[arg(long, default_value_t = 1.0, value_parser = sample_share)]
    pub sample: f64,
}

/// Events a batch to the writer gathers (whole minutes of them) before it goes.
const BATCH_EVENTS: usize = 1 << 15;

fn sample_share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("expected a share in (0, 1], found {s:?}"))?;
    twin::events::Sampling::new(v).map(|x| x.rate).ok_or_else(|| format!("expected a share in (0, 1], found {v}"))
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
    let mut store = match &a.events {
        Some(path) => {
            twin.set_events(twin::events::Sampling::new(a.sample));
            let store = EventStore::create(path, &twin, a.sample)?;
            let training = Training::start(&mut twin, &store)?;
            Some((store, training))
        }
        None => None,
    };
    let mut events = 0u64;
    let mut trained = 0u32;
    // A commit writes every page it touched whole, so committing each minute of a small sample costs more than
    // its events: minutes go to the writer together, a batch (a transaction) of `BATCH_EVENTS` or more.
    let mut batch = Vec::new();
    let mut take = |twin: &mut twin::Twin| -> anyhow::Result<()> {
        if let Some((store, training)) = &mut store {
            let minute = twin.take_events();
            events += minute.len() as u64;
            batch.extend(minute);
            if batch.len() >= BATCH_EVENTS {
                store.send(std::mem::take(&mut batch))?;
            }
            trained += training.after_minute(twin, store)?.len() as u32;
        }
        Ok(())
    };
    let run_started = Instant::now();
    match drill {
        Some((region, at)) => {
            simulate_then(&mut twin, at, &mut take)?;
            twin.apply(twin::Command::EvacuateRegion { region, evacuated: true })?;
            simulate_then(&mut twin, minutes - at, &mut take)?;
        }
        None => simulate_then(&mut twin, minutes, &mut take)?,
    }
    let run_s = run_started.elapsed().as_secs_f64();
    let written = store.map(|(s, _)| s.send(batch).and_then(|()| s.finish())).transpose()?;
    let finished_s = run_started.elapsed().as_secs_f64();

    print!("{}", summary::render(&twin, hours, build_s, run_s));
    if let Some((region, at)) = drill {
        print!("{}", super::fleet_table::render_evacuation(&twin.snapshot(), region, at));
    }
    if let Some(out) = &a.out {
        kpi_file::write(&twin, out)?;
        println!("KPIs per minute written to {}", out.display());
    }
    if let (Some(path), Some(w)) = (&a.events, written) {
        println!(
            "{} events (members sampled: {:.1}%) written to {} in {} batches: {:.2} M events/s over the run \
             ({:.1} s, then {:.1} s to finish writing); the writer was busy {:.1} s, {:.2} M events/s",
            w.events,
            100.0 * a.sample,
            path.display(),
            w.batches,
            events as f64 / run_s.max(1e-9) / 1e6,
            run_s,
            finished_s - run_s,
            w.busy_s,
            w.events as f64 / w.busy_s.max(1e-9) / 1e6,
        );
        println!(
            "nightly training ran {trained} times (at each region's midnight, on the days in the store); placement \
             followed its predictions"
        );
    }
    if let Some(out) = &a.fleet_out {
        kpi_file::write_fleet(&twin, out)?;
        println!("control-plane minutes written to {}", out.display());
    }
    Ok(())
}
