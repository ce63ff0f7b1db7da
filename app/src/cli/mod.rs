//! Command-line interface: argument parsing and one module per subcommand.

mod analytics;
mod bench;
mod bench_ui;
mod compare;
pub mod console;
mod export;
mod fleet_table;
mod ingest;
mod kpi_file;
mod lp_bound;
mod mirror;
mod run;
mod summary;
mod sweep;
mod trace;
mod validate;
mod whatif;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use twin::{Scenario, Twin, ValidScenario};

use crate::ui::view::ViewId;
use crate::ui::views::{self, REGISTERED};

#[derive(Parser, Debug)]
#[command(
    name = "edgetwin",
    version,
    about = "Operations console and digital twin for a Netflix-style video delivery system",
    long_about = "Operations console and digital twin for a Netflix-style video delivery system.\n\n\
                  Run bare to open the console on the embedded default scenario, or give a scenario file to \
                  open the console on that one. Subcommands run headless.",
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Scenario to open the console on (default: the embedded default scenario).
    pub scenario: Option<PathBuf>,
    /// Render one view to this PNG file (no window needed) and exit.
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<PathBuf>,
    /// With --screenshot: the view to render.
    #[arg(long, default_value = REGISTERED[0].id.key(), value_parser = view_parser())]
    pub view: ViewId,
    /// With --screenshot: simulated hours to run before rendering.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_span)]
    pub after_sim_hours: f64,
    /// With --screenshot: the image size in points, WIDTHxHEIGHT.
    #[arg(long, default_value = "1600x900")]
    pub size: String,
    /// Open the console without recording viewing events (by default it records 10% of members from each start
    /// of the twin, into runs/ of the data folder: $XDG_DATA_HOME/edgetwin, else ~/.local/share/edgetwin).
    #[arg(long)]
    pub no_record: bool,
    /// Print the time from launch to the first frame drawn, then close (for start-up benchmarks).
    #[arg(long, hide = true)]
    pub exit_after_first_frame: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario headless and print a summary; optionally write per-minute KPIs.
    Run(run::RunArgs),
    /// Measure simulation speed (plays per second) and peak memory on a scenario.
    Bench(bench::BenchArgs),
    /// Run one scenario once per placement policy and compare offload, backbone bytes and fills; with
    /// --scaling, once per control-plane scaling policy.
    Compare(compare::CompareArgs),
    /// How far greedy placement is from the placement LP's optimum, on a small instance.
    LpBound(lp_bound::LpBoundArgs),
    /// Measure the console's CPU time per frame (layout + tessellation), headless.
    BenchUi(bench_ui::BenchUiArgs),
    /// Hold the twin against public figures: one row per figure, with its source, tolerance and ok/off.
    Validate(validate::ValidateArgs),
    /// Request traces in libCacheSim's formats.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Fork a scenario, apply an edits file in a branch, and compare base and branch (over seed pairs).
    Whatif(whatif::WhatifArgs),
    /// Run a sweep plan (variants × seed pairs) here or as an AWS Batch array job, and rank its variants.
    Sweep(sweep::SweepArgs),
    /// The QoE and engagement report of a run's events database (written by `run --events`).
    Analytics(analytics::AnalyticsArgs),
    /// Run deliveries through ingest's modelled engine (the scenario's function pool and ladders) and print
    /// each job's timeline, its ladder, the pool's use and cost, and the origin.
    Ingest(ingest::IngestArgs),
    /// A run's data in the files larger tools read.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Mirror a live AWS deployment (or the local emulator's demo) in the console; --probe checks every source
    /// and prints a table; --create-demo makes the demo deployment in the emulator.
    Mirror(mirror::MirrorArgs),
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::bench(a),
        Command::BenchUi(a) => bench_ui::bench_ui(a),
        Command::Compare(a) => compare::compare(a),
        Command::LpBound(a) => lp_bound::lp_bound(a),
        Command::Trace(c) => trace::run(c),
        Command::Validate(a) => validate::validate(a),
        Command::Whatif(a) => whatif::whatif(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Analytics(a) => analytics::analytics(a),
        Command::Ingest(a) => ingest::ingest(a),
        Command::Export(c) => export::run(c),
        Command::Mirror(a) => mirror::mirror(a),
    }
}

/// Prints rows under a header, each column as wide as its widest cell.
pub fn print_table<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) {
    print!("{}", table_text(header, rows));
}

/// Rows under a header, each column as wide as its widest cell, as text.
pub fn table_text<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> String {
    let cells = |row: &[&str]| row.iter().map(|c| c.to_string()).collect::<Vec<String>>();
    let all: Vec<Vec<String>> = std::iter::once(cells(header))
        .chain(rows.iter().map(|r| r.iter().map(|c| c.as_ref().to_string()).collect()))
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| all.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &all {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `--view`: one of the registered views; help and errors list them.
fn view_parser() -> impl TypedValueParser<Value = ViewId> {
    PossibleValuesParser::new(REGISTERED.iter().map(|v| v.id.key()))
        .try_map(|key| views::by_key(&key).ok_or("not a registered view"))
}

/// A length of simulated time in the flag's unit (hours, days): a finite number above zero.
pub fn positive_span(s: &str) -> Result<f64, String> {
    span(s, false)
}

/// A length of simulated time that may be zero (time to run first).
pub fn non_negative_span(s: &str) -> Result<f64, String> {
    span(s, true)
}

/// Every hours and days flag goes through here: infinite or NaN spans would never finish simulating.
fn span(s: &str, zero_allowed: bool) -> Result<f64, String> {
    let expected = if zero_allowed { "a finite number, 0 or more" } else { "a finite number above 0" };
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (x > 0.0 || zero_allowed && x == 0.0) => Ok(x),
        _ => Err(format!("expected {expected}, such as 24 or 1.5")),
    }
}

/// Reads and validates a scenario file; errors name the file (and line and column for what is in it).
pub fn read_scenario(path: &Path) -> Result<ValidScenario, twin::InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| twin::InputError {
        file: name.clone(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    })?;
    Scenario::parse(&name, &text)
}

/// Loads a scenario file (or the embedded default for "default"), applying a seed override.
pub fn load_scenario(path: &Path, seed: Option<u64>) -> anyhow::Result<ValidScenario> {
    let scenario = if path.as_os_str() == "default" {
        Scenario::parse("assets/scenarios/default.toml", twin::DEFAULT_SCENARIO)?
    } else {
        read_scenario(path)?
    };
    Ok(match seed {
        Some(seed) => scenario.with_seed(seed),
        None => scenario,
    })
}

pub fn build_twin(scenario: ValidScenario, threads: Option<usize>) -> anyhow::Result<Twin> {
    let name = scenario.name.clone();
    let mut twin = Twin::new(scenario).with_context(|| format!("building scenario {name}"))?;
    if let Some(t) = threads {
        twin.set_threads(t);
    }
    Ok(twin)
}

/// Advances the twin minute by minute, with a progress bar on the terminal for runs of an hour or more.
pub fn simulate(twin: &mut Twin, minutes: u64) {
    let _ = simulate_then(twin, minutes, |_| Ok(()));
}

/// The same, calling `after_minute` after each minute (to take the twin's events, say); stops at its first
/// error.
pub fn simulate_then(
    twin: &mut Twin,
    minutes: u64,
    mut after_minute: impl FnMut(&mut Twin) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(minutes).with_style(
        ProgressStyle::with_template("{spinner} simulating {msg} [{bar:40}] {pos}/{len} min, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if minutes < 60 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let start = twin.model().start_utc;
    for _ in 0..minutes {
        twin.advance_minutes(1);
        after_minute(twin)?;
        bar.set_message(twin.now().to_utc(start).format("%a %H:%M UTC").to_string());
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}
