//! `edgetwin validate`: runs a scenario (a warm-up day, then the measured days) and prints the fidelity report:
//! one row per figure with the twin's value, the public figure and its source (or "assumed"), the tolerance,
//! and ok/off. The figures and their bands live in `twin::fidelity`; this only runs and prints.

use std::path::PathBuf;

use clap::Args;
use twin::fidelity::{self, Source};
use twin::time::SimTime;

use super::{build_twin, load_scenario, positive_span, print_table, simulate};

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Scenario file (TOML), or `default` for the embedded default scenario.
    #[arg(default_value = "default")]
    pub scenario: PathBuf,
    /// Simulated days measured, after one warm-up day. Prediction error needs two: a day is scored once
    /// every region has seen it whole.
    #[arg(long, default_value_t = 2.0, value_parser = positive_span)]
    pub days: f64,
    /// Seed for every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The warm-up before measuring: sessions build up from none, and the first night's fill runs.
const WARMUP_MINUTES: u64 = 24 * 60;

pub fn validate(a: ValidateArgs) -> anyhow::Result<()> {
    let scenario = load_scenario(&a.scenario, a.seed)?;
    let (name, seed) = (scenario.name.clone(), scenario.seed);
    let mut twin = build_twin(scenario, a.threads)?;
    let measured = (a.days * 24.0 * 60.0).round() as u64;
    simulate(&mut twin, WARMUP_MINUTES + measured);
    let checks = fidelity::report(&twin, SimTime::from_minutes(WARMUP_MINUTES));

    println!("\nedgetwin validate · {name} (seed {seed}) · 1 warm-up day, then {} measured\n", days(a.days));
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            let source = match &c.source {
                Source::Public(s) => s.to_string(),
                Source::Assumed => "assumed".to_string(),
            };
            let verdict = match c.ok {
                Some(true) => "ok",
                Some(false) => "OFF",
                None => "–",
            };
            vec![
                c.figure.to_string(),
                c.value.clone(),
                c.tolerance.clone(),
                verdict.to_string(),
                c.reference.to_string(),
                source,
            ]
        })
        .collect();
    print_table(&["figure", "twin", "tolerance", "", "reference", "source"], &rows);
    let ok = checks.iter().filter(|c| c.ok == Some(true)).count();
    let off = checks.iter().filter(|c| c.ok == Some(false)).count();
    println!("\n{ok} ok, {off} off, {} without a value", checks.len() - ok - off);
    Ok(())
}

fn days(d: f64) -> String {
    if d == 1.0 { "1 day".into() } else { format!("{d} days") }
}
