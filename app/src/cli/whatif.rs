//! `edgetwin whatif`: fork the scenario at `--at` hours, apply an edits file in a branch, run base and branch
//! over the same horizon with the same random streams, over `--seeds` seed pairs, and print each figure's
//! base, branch and delta with its 95% interval, then per region, then the sites whose served bytes moved most.
//! A benchmark of a change: prints figures, asserts none.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use twin::whatif::{self, Delta, Edits, Progress, Report};

use super::{build_twin, load_scenario, non_negative_span, positive_span, simulate};
use crate::store::whatif_history::History;

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
    /// Save the comparison in this what-if history (a SQLite file; the console's is
    /// ~/.local/share/edgetwin/whatif.sqlite), where the console's What-if view lists it.
    #[arg(long)]
    pub history: Option<PathBuf>,
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn whatif(a: WhatifArgs) -> anyhow::Result<()> {
    let name = a.edits.display().to_string();
    let text = crate::read_text(&a.edits, "a TOML edits file")?;
    let edits = Edits::parse(&name, &text)?;
    let out_kind = match a.out.as_ref().map(|p| p.extension().and_then(|e| e.to_str()).unwrap_or("")) {
        None => None,
        Some(e @ ("json" | "md")) => Some(e.to_string()),
        Some(_) => anyhow::bail!("--out: expected a file ending in .json or .md"),
    };
    let history = a.history.as_deref().map(History::open).transpose()?;
    let scenario = load_scenario(&a.scenario, None)?;
    let (scenario_name, seed) = (scenario.name.clone(), scenario.seed);
    let started = Instant::now();
    let mut twin = build_twin(scenario, a.threads)?;
    edits.check(&twin).with_context(|| format!("checking {name}"))?;
    simulate(&mut twin, (a.at * 60.0).round() as u64);
    eprintln!("{} seed pair(s) from seed {seed}: base and branch for {} h from {} h…", a.seeds, a.hours, a.at);
    let pairs = run_with_bar(&twin, &edits, a.hours, a.seeds).with_context(|| format!("applying {name}"))?;
    let wall_s = started.elapsed().as_secs_f64();
    let title = format!(
        "what-if · {scenario_name} · {} edit(s) from {name} at {} h · {} h after the fork · {} seed pair(s) from {seed}",
        edits.edits.len(),
        a.at,
        a.hours,
        a.seeds,
    );
    let report = Report::new(title, &edits, a.at, a.hours, &pairs, wall_s);
    let sites: Vec<String> = twin.model().world.sites.iter().map(|s| s.name.clone()).collect();
    print!("{}", text_report(&report, &sites, false));
    if let (Some(path), Some(kind)) = (&a.out, out_kind) {
        let text =
            if kind == "json" { serde_json::to_string_pretty(&report)? } else { text_report(&report, &sites, true) };
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("\nreport written to {}", path.display());
    }
    if let Some(h) = history {
        let id = h.save(&scenario_name, &report)?;
        println!("saved as comparison {id} in {}", h.path().display());
    }
    Ok(())
}

/// Runs the seed pairs on their own threads while a bar on the terminal shows how far they are.
fn run_with_bar(fork: &twin::Twin, edits: &Edits, hours: f64, seeds: u32) -> anyhow::Result<Vec<whatif::Pair>> {
    let progress = Progress::default();
    let bar = ProgressBar::new(1000).with_style(
        ProgressStyle::with_template("{spinner} comparing [{bar:40}] {percent}%, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let pairs = std::thread::scope(|s| {
        let job = s.spawn(|| whatif::run_pairs(fork, edits, hours, seeds, &progress));
        while !job.is_finished() {
            bar.set_position((progress.fraction() * 1000.0) as u64);
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        job.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    bar.finish_and_clear();
    Ok(pairs?.expect("nothing cancels a command-line comparison"))
}

/// The report as text columns or as Markdown: the figures, each region's, and the sites that moved most (named
/// from `sites`).
pub fn text_report(r: &Report, sites: &[String], markdown: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}{} · ran in {:.1} s\n", if markdown { "# " } else { "" }, r.title, r.wall_s);
    out.push_str(&table(&r.deltas, markdown, |d| format!("{} ({})", d.figure, d.unit)));
    let _ = writeln!(out, "\n{}per region", if markdown { "## " } else { "" });
    let rows: Vec<(String, &Delta)> = (r.regions.iter())
        .flat_map(|g| g.deltas.iter().map(move |d| (format!("{} {} ({})", g.region, d.figure, d.unit), d)))
        .collect();
    let regional: Vec<Delta> = rows.iter().map(|(label, d)| Delta { figure: label.clone(), ..(*d).clone() }).collect();
    out.push_str(&table(&regional, markdown, |d| d.figure.clone()));
    let mut moved: Vec<&whatif::SiteDelta> = r.sites.iter().filter(|s| s.served.delta != 0.0).collect();
    moved.sort_by(|a, b| b.served.delta.abs().total_cmp(&a.served.delta.abs()));
    if !moved.is_empty() {
        let _ = writeln!(out, "\n{}sites whose served bytes moved most", if markdown { "## " } else { "" });
        let top: Vec<Delta> = moved
            .iter()
            .take(8)
            .map(|s| {
                let name = sites.get(s.site as usize).map_or("?", |n| n.as_str());
                Delta { figure: format!("{name} served (TB)"), ..s.served.clone() }
            })
            .collect();
        out.push_str(&table(&top, markdown, |d| d.figure.clone()));
    }
    out
}

/// A delta table, as text columns or as Markdown.
fn table(deltas: &[Delta], markdown: bool, label: impl Fn(&Delta) -> String) -> String {
    let mut out = String::new();
    let head = ["figure", "base", "branch", "Δ", "Δ %", "95% interval of Δ"];
    if markdown {
        let _ = writeln!(out, "| {} |\n|{}", head.join(" | "), "---|".repeat(head.len()));
    } else {
        let _ =
            writeln!(out, "{:<40}{:>14}{:>14}{:>14}{:>10}{:>20}", head[0], head[1], head[2], head[3], head[4], head[5]);
    }
    for d in deltas {
        let cells = [
            label(d),
            format!("{:.3}", d.base),
            format!("{:.3}", d.branch),
            format!("{:+.3}", d.delta),
            d.pct().map_or("–".into(), |p| format!("{p:+.2}")),
            d.interval.map_or("–".to_string(), |h| format!("±{h:.3}")),
        ];
        if markdown {
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        } else {
            let _ = writeln!(
                out,
                "{:<40}{:>14}{:>14}{:>14}{:>10}{:>20}",
                cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
            );
        }
    }
    out
}
