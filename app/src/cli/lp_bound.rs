//! `edgetwin lp-bound`: how far greedy placement is from the best possible, on an instance small enough for
//! the placement LP. Prints figures; asserts none.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use twin::PlacementKind;
use twin::placement::lp_bound::Instance;

use super::{build_twin, load_scenario};

#[derive(Args, Debug)]
pub struct LpBoundArgs {
    /// A small scenario (the LP has a variable per client group × file × reachable site).
    #[arg(default_value = "assets/scenarios/lp-small.toml")]
    pub scenario: PathBuf,
    /// Multiply every appliance's disk (below 1: tighter disks, where placement matters more).
    #[arg(long, default_value_t = 1.0)]
    pub disk_scale: f64,
}

pub fn lp_bound(a: LpBoundArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.disk_scale > 0.0, "--disk-scale must be > 0");
    let mut served = Vec::new();
    let mut instance = None;
    for (kind, label) in [
        (PlacementKind::Oracle, "greedy planner, real demand"),
        (PlacementKind::Proactive, "greedy planner, predicted demand"),
    ] {
        let scenario = load_scenario(&a.scenario, None)?.edit("--disk-scale", |s| {
            s.policy.placement = kind;
            s.appliances.storage.disk_tb *= a.disk_scale;
            s.appliances.flash.disk_tb *= a.disk_scale;
        })?;
        let twin = build_twin(scenario, None)?;
        let inst = instance.get_or_insert_with(|| Instance::from_model(twin.model(), 0.0));
        let snap = twin.snapshot();
        let plans = &snap.content.site_plans;
        let value = inst.served_by(|s, f| plans[s.0 as usize].as_ref().is_some_and(|p| p.files.contains(f)));
        served.push((label, value));
    }
    let inst = instance.expect("built above");
    let y_vars: usize =
        inst.groups.iter().map(|g| g.reach.len() * g.demand_bytes.iter().filter(|&&d| d > 0.0).count()).sum();
    println!(
        "instance {}: {} sites, {} files, {} client groups; {} placement + {} routing variables",
        a.scenario.display(),
        inst.disk_bytes.len(),
        inst.size_bytes.len(),
        inst.groups.len(),
        inst.disk_bytes.len() * inst.size_bytes.len(),
        y_vars
    );
    let disk: f64 = inst.disk_bytes.iter().sum();
    let catalogue: f64 = inst.size_bytes.iter().sum();
    println!(
        "disk per site is {:.0}% of the catalogue on average",
        100.0 * disk / inst.disk_bytes.len() as f64 / catalogue
    );
    let t0 = Instant::now();
    let bound = inst.lp_upper_bound().map_err(anyhow::Error::msg)?;
    let total = inst.total_demand();
    println!(
        "LP upper bound: {:.2}% of demand served from the edge (solved in {:.2} s)",
        100.0 * bound / total,
        t0.elapsed().as_secs_f64()
    );
    for (label, value) in served {
        println!("{label}: {:.2}% of demand, {:.2}% of the LP bound", 100.0 * value / total, 100.0 * value / bound);
    }
    Ok(())
}
