//! `edgetwin whatif`: fork the scenario at `--at` hours, apply an edits file in a branch, run base and branch
//! over the same horizon with the same random streams, over `--seeds` seed pairs, and print each figure's
//! base, branch and delta with its 95% interval. A benchmark of a change: prints figures, asserts none.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use twin::whatif::{self, Delta, Edits, Pair};

use super::{build_twin, load_scenario, non_negative_span, positive_span, simulate};

#[derive(Args, Debug)]
pub struct WhatifArgs {
    /// Scenario file, or `default` for the embedded default.
    pub scenario: PathBuf,
    /// The edits (TOML: [[edit]] tables; see README "What-if").
    #[arg(long)]
    pub edits: PathBuf,
    /// Simulated hours before the fork.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_span)]
    pub at: f64,
    /// Simulated hours base and branch run after the fork.
    #[arg(long, default_value_t = 24.0, value_parser = positive_span)]
    pub hours: f64,
    /// Seed pairs (the scenario's seed, then the next ones): with 2 or more, deltas carry a 95% interval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub seeds: u32,
    /// Write the report to a .json or .md file as well.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn whatif(a: WhatifArgs) -> anyhow::Result<()> {
    let name = a.edits.display().to_string();
    let bytes = std::fs::read(&a.edits).with_context(|| format!("reading {name}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        twin::InputError::at_offset(&name, &text, valid, "expected UTF-8 text (a TOML edits file)")
    })?;
    let edits = Edits::parse(&name, &text)?;
    let out_kind = match a.out.as_ref().map(|p| p.extension().and_then(|e| e.to_str()).unwrap_or("")) {
        None => None,
        Some(e @ ("json" | "md")) => Some(e.to_string()),
        Some(_) => anyhow::bail!("--out: expected a file ending in .json or .md"),
    };
    let scenario = load_scenario(&a.scenario, None)?;
    let seed = scenario.seed;
    let started = Instant::now();
    let mut pairs: Vec<Pair> = Vec::new();
    for i in 0..a.seeds as u64 {
        let mut twin = build_twin(scenario.clone().with_seed(seed + i), a.threads)?;
        eprintln!("seed {}: {} h, then base and branch for {} h…", seed + i, a.at, a.hours);
        simulate(&mut twin, (a.at * 60.0).round() as u64);
        pairs.push(whatif::compare(&twin, &edits, a.hours).with_context(|| format!("applying {name}"))?);
    }
    let wall_s = started.elapsed().as_secs_f64();
    let deltas = whatif::deltas(&pairs);
    let title = format!(
        "what-if · {} · {} edit(s) from {name} at {} h · {} h after the fork · {} seed pair(s) from {seed} · {:.1} s",
        scenario.name,
        edits.edits.len(),
        a.at,
        a.hours,
        a.seeds,
        wall_s
    );
    print!("{title}\n\n{}", table(&deltas, false));
    if let (Some(path), Some(kind)) = (&a.out, out_kind) {
        let text = if kind == "json" {
            serde_json::to_string_pretty(&serde_json::json!({ "title": title, "deltas": deltas, "pairs": pairs }))?
        } else {
            format!("# {title}\n\n{}", table(&deltas, true))
        };
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("\nreport written to {}", path.display());
    }
    Ok(())
}

/// The delta table, as text columns or as Markdown.
fn table(deltas: &[Delta], markdown: bool) -> String {
    let mut out = String::new();
    let head = ["figure", "base", "branch", "Δ", "Δ %", "95% interval of Δ"];
    if markdown {
        let _ = writeln!(out, "| {} |\n|{}", head.join(" | "), "---|".repeat(head.len()));
    } else {
        let _ =
            writeln!(out, "{:<28}{:>14}{:>14}{:>14}{:>10}{:>20}", head[0], head[1], head[2], head[3], head[4], head[5]);
    }
    for d in deltas {
        let pct = if d.base.abs() > 1e-12 { format!("{:+.2}", 100.0 * d.delta / d.base) } else { "–".into() };
        let interval = d.interval.map_or("–".to_string(), |h| format!("±{h:.3}"));
        let cells = [
            format!("{} ({})", d.figure, d.unit),
            format!("{:.3}", d.base),
            format!("{:.3}", d.branch),
            format!("{:+.3}", d.delta),
            pct,
            interval,
        ];
        if markdown {
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        } else {
            let _ = writeln!(
                out,
                "{:<28}{:>14}{:>14}{:>14}{:>10}{:>20}",
                cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
            );
        }
    }
    out
}
