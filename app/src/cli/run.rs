//! `edgetwin run`: simulate headless with a progress bar, print a summary, write KPIs.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{build_twin, kpi_file, load_scenario, positive_span, simulate, summary};

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
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    if let Some(out) = &a.out {
        kpi_file::check_extension(out)?;
    }
    let scenario = load_scenario(&a.scenario, a.seed)?;
    let hours = a.hours.unwrap_or(scenario.horizon_hours);
    let started = Instant::now();
    let mut twin = build_twin(scenario, a.threads)?;
    let build_s = started.elapsed().as_secs_f64();

    let run_started = Instant::now();
    simulate(&mut twin, (hours * 60.0).ceil() as u64);
    let run_s = run_started.elapsed().as_secs_f64();

    print!("{}", summary::render(&twin, hours, build_s, run_s));
    if let Some(out) = &a.out {
        kpi_file::write(&twin, out)?;
        println!("KPIs per minute written to {}", out.display());
    }
    Ok(())
}
