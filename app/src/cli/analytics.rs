//! `edgetwin analytics RUN.db`: the QoE and engagement report of a run's events (`crate::store::analytics` asks the
//! store). Counts are scaled back by the run's sampling rate (ratios need no scaling).

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use crate::store::analytics::{self, Summary};
use crate::store::events as events_store;

#[derive(Args, Debug)]
pub struct AnalyticsArgs {
    /// The events database a `run --events` wrote.
    pub db: PathBuf,
    /// Also time the main questions (QoE, completion, drop-off) on this store, with SQLite's plan for each: a
    /// benchmark.
    #[arg(long)]
    pub timings: bool,
}

pub fn analytics(a: AnalyticsArgs) -> anyhow::Result<()> {
    let conn = events_store::open(&a.db)?;
    if a.timings {
        let mut events = 0i64;
        for kind in twin::events::EventKind::ALL {
            events += conn.query_row(&analytics::count_sql(kind), [], |r| r.get::<_, i64>(0))?;
        }
        println!("{events} events in {}", a.db.display());
        for (question, seconds, plan) in analytics::timings(&conn)? {
            println!("  {question}: {seconds:.3} s");
            for line in plan {
                println!("      {line}");
            }
        }
    }
    let s = analytics::summary(&conn, &a.db, 8)?;
    print!("{}", report(&s, &a.db.display().to_string()));
    Ok(())
}

/// The report, as text.
pub fn report(s: &Summary, name: &str) -> String {
    let q = &s.qoe;
    let rate = s.sampling_rate;
    let scaled = |n: u64| n as f64 / rate;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name} · scenario {} · seed {} · members sampled {:.1}% (counts scaled back ×{:.1})\n",
        s.scenario,
        s.seed,
        100.0 * rate,
        1.0 / rate
    );
    let _ = writeln!(out, "QoE (Mux / CTA-2066 definitions)");
    let rows = [
        ("play attempts", format!("{:.0}", scaled(q.attempts))),
        ("video starts", format!("{:.0}", scaled(q.starts))),
        ("video startup time p50 / p95", format!("{:.0} / {:.0} ms", q.startup_p50_ms, q.startup_p95_ms)),
        ("rebuffer percentage (÷ watch time, ended sessions)", format!("{:.3}%", q.rebuffer_pct)),
        ("video start failures (÷ attempts)", format!("{:.3}%", q.video_start_failure_pct)),
        ("exits before video start (÷ attempts)", format!("{:.3}%", q.exits_before_start_pct)),
        ("playback failures (÷ video starts)", format!("{:.3}%", q.playback_failure_pct)),
        ("hours watched (ended sessions)", format!("{:.0}", q.watched_hours / rate)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<48} {v}");
    }
    let _ = writeln!(out, "\nEngagement");
    let _ = writeln!(
        out,
        "  completion rate (ended sessions past {:.0}% of the video)  {:.1}%",
        100.0 * twin::events::COMPLETION_SHARE,
        s.completion_pct
    );
    let [p, b, f] = s.interactions_per_hour;
    let _ = writeln!(out, "  pauses / seeks back / seeks forward per hour watched  {p:.2} / {b:.2} / {f:.2}");
    let cells: Vec<String> = s.drop_off.iter().map(|c| format!("{:.0}", 100.0 * c)).collect();
    let _ = writeln!(out, "  still watching at 0%, 10%, …, 100% of the video (%)  {}", cells.join(" "));
    let _ = writeln!(out, "  titles with the most ended sessions:");
    for (t, name, n, done, _) in &s.titles {
        let _ = writeln!(out, "    #{t:<5} {name:<40} {:>10.0} sessions, {:>5.1}% completed", scaled(*n), 100.0 * done);
    }
    for (label, [shows, movies]) in ["weekday", "weekend"].iter().zip(s.week) {
        if shows + movies > 0 {
            let _ = writeln!(
                out,
                "  {label} starts (UTC day): {:.0}, movies {:.1}%, shows {:.1}%",
                scaled(shows + movies),
                100.0 * movies as f64 / (shows + movies) as f64,
                100.0 * shows as f64 / (shows + movies) as f64
            );
        }
    }
    let cells: Vec<String> = s
        .devices
        .iter()
        .map(|(name, n)| format!("{name} {:.1}%", 100.0 * *n as f64 / q.starts.max(1) as f64))
        .collect();
    let _ = writeln!(out, "  device mix (video starts)  {}", cells.join(", "));
    let _ = writeln!(
        out,
        "  pages browsed per play attempt {:.1}; a search before {:.1}% of attempts",
        s.pages_per_attempt, s.search_pct
    );
    let g = &s.episode_gaps;
    let total = g.bins.iter().sum::<u64>().max(1) as f64;
    let cells: Vec<String> = analytics::GAP_BIN_NAMES
        .iter()
        .zip(g.bins)
        .map(|(name, n)| format!("{name} {:.1}%", 100.0 * n as f64 / total))
        .collect();
    let _ = writeln!(
        out,
        "  time between episodes ({:.0} next episodes, median {:.0} s): {}",
        scaled(g.bins.iter().sum()),
        g.median_s,
        cells.join(", ")
    );
    let cells: Vec<String> = s.searches.iter().map(|(t, name, n)| format!("#{t} {name} ({:.0})", scaled(*n))).collect();
    let _ = writeln!(out, "  most searched: {}", cells.join(", "));
    if !s.daily_error.is_empty() {
        let _ = writeln!(out, "\nPrediction (each region's days observed: plays, and the error of what was predicted)");
        for (region, day, wape, plays) in &s.daily_error {
            let _ = writeln!(out, "  {region} day {day:<4} {plays:>12.0} plays  WAPE {:.1}%", 100.0 * wape);
        }
    }
    if !s.training.is_empty() {
        let _ = writeln!(out, "\nNightly training (each region's last run: read from this store, placement followed)");
        for (region, r) in &s.training {
            let (at, day) = s.training_times(r);
            let _ = writeln!(
                out,
                "  {region} {day}, trained {at}: {} days read ({} rows this night) in {:.0} ms; plans: {} files up \
                 (+{} copies), {} down (−{})",
                r.days_read, r.rows_read, r.wall_ms, r.files_up, r.copies_added, r.files_down, r.copies_removed
            );
        }
        for m in &s.moves {
            let _ = writeln!(
                out,
                "  moved up in {}: #{} {}, +{} copies of its files",
                m.region, m.title, m.name, m.copies_added
            );
        }
    }
    out
}
