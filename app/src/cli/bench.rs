//! `edgetwin bench`: how fast the twin simulates, and how much memory it needs. Prints figures; asserts none.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{build_twin, load_scenario, non_negative_span, positive_span};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Scenario file, or `default` for the embedded default.
    #[arg(default_value = "assets/scenarios/netflix-scale.toml")]
    pub scenario: PathBuf,
    /// Simulated hours to time.
    #[arg(long, default_value_t = 1.0, value_parser = positive_span)]
    pub hours: f64,
    /// Simulated hours to run first, untimed, so the timed part sees steady-state load.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_span)]
    pub warmup_hours: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn bench(a: BenchArgs) -> anyhow::Result<()> {
    let scenario = load_scenario(&a.scenario, None)?;
    let t0 = Instant::now();
    let mut twin = build_twin(scenario, a.threads)?;
    let build_s = t0.elapsed().as_secs_f64();
    let m = twin.model().clone();
    println!(
        "scenario {}: {} sites, {} metros, {} titles ({} files), {} members; threads {}",
        m.scenario.name,
        m.world.sites.len(),
        m.world.metros.len(),
        m.catalog.slots.start,
        m.catalog.file_count(),
        m.scenario.demand.members,
        a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    );
    println!("build (world, catalog, steering, placement): {build_s:.2} s");
    let t_plan = Instant::now();
    let plans = twin.plan_placement();
    println!(
        "placement: {plans} manifests for {} sites × {} files planned in {:.2} s",
        m.world.sites.len(),
        m.catalog.file_count(),
        t_plan.elapsed().as_secs_f64()
    );

    twin.advance_minutes((a.warmup_hours * 60.0).round() as u64);
    let plays_before = twin.totals().plays;
    let t1 = Instant::now();
    let minutes = (a.hours * 60.0).round().max(1.0) as u64;
    // Hour by hour, keeping where the memory went at the hour it was highest.
    let (mut top_rss, mut top_memory, mut top_at) = (0.0, Vec::new(), 0);
    for done in (0..minutes).step_by(60) {
        twin.advance_minutes((minutes - done).min(60));
        let rss = rss_mib("VmRSS:").unwrap_or(0.0);
        if rss > top_rss {
            (top_rss, top_memory, top_at) = (rss, twin.memory(), twin.now().minutes());
        }
    }
    let wall = t1.elapsed().as_secs_f64();
    let plays = twin.totals().plays - plays_before;
    let rate = plays as f64 / wall;
    println!("simulated {:.2} h ({} plays) in {:.2} s wall", minutes as f64 / 60.0, plays, wall);
    println!("sessions simulated per second: {:.2} M", rate / 1e6);
    println!("simulated time / wall time: {:.0}×", minutes as f64 * 60.0 / wall);
    // Plays a whole day brings, from the calibrated rate.
    let day = m.scenario.demand.members as f64 * m.demand.plays_per_member_day;
    println!("a day at this scenario's rate ({:.0} M plays) would take {:.0} s", day / 1e6, day / rate);
    match peak_rss_mib() {
        Some(mib) => println!("peak memory (VmHWM): {mib:.0} MiB"),
        None => println!("peak memory: not available on this platform"),
    }
    println!("at the highest hourly reading ({top_rss:.0} MiB resident, minute {top_at}), the largest parts:");
    for (what, bytes) in top_memory {
        println!("  {what:<36} {:>8.0} MiB", bytes as f64 / (1 << 20) as f64);
    }
    Ok(())
}

pub(super) fn peak_rss_mib() -> Option<f64> {
    rss_mib("VmHWM:")
}

/// A memory figure of this process from /proc (Linux), in MiB.
fn rss_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
