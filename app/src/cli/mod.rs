//! Command-line interface: argument parsing and one module per subcommand.

mod bench;
mod kpi_file;
mod run;
mod summary;

use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use twin::{Scenario, Twin};

#[derive(Parser, Debug)]
#[command(
    name = "edgetwin",
    version,
    about = "Operations console and digital twin for a Netflix-style video delivery system"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario headless and print a summary; optionally write per-minute KPIs.
    Run(run::RunArgs),
    /// Measure simulation speed (plays per second) and peak memory on a scenario.
    Bench(bench::BenchArgs),
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::bench(a),
    }
}

/// Until the console lands, running bare says what it will do.
pub fn console_placeholder() {
    println!(
        "edgetwin: the console (a live map of the network over the running twin) is not built yet.\n\
         When it is, `edgetwin` opens it on the embedded default scenario.\n\n\
         Headless subcommands available now:\n  \
         edgetwin run SCENARIO [--hours H] [--seed S] [--out kpis.csv|kpis.json]\n  \
         edgetwin bench [SCENARIO] [--hours H]\n\n\
         Scenarios ship in assets/scenarios/ (default.toml, netflix-scale.toml). See `edgetwin --help`."
    );
}

/// Loads a scenario file (or the embedded default for "default"), applying a seed override.
pub fn load_scenario(path: &Path, seed: Option<u64>) -> anyhow::Result<Scenario> {
    let mut scenario = if path.as_os_str() == "default" {
        Scenario::parse("assets/scenarios/default.toml", twin::DEFAULT_SCENARIO)?
    } else {
        Scenario::load(path)?
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

pub fn build_twin(scenario: Scenario, threads: Option<usize>) -> anyhow::Result<Twin> {
    let name = scenario.name.clone();
    let mut twin = Twin::new(scenario).with_context(|| format!("building scenario {name}"))?;
    if let Some(t) = threads {
        twin.set_threads(t);
    }
    Ok(twin)
}
