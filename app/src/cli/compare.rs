//! `edgetwin compare`: the same scenario and seed run once per placement policy, side by side: offload, what
//! crossed the backbone (misses and fills), and fills by source tier; or, with `--scaling`, once per
//! control-plane scaling policy: the fleet's cost and latency, and what members saw. A benchmark: prints
//! figures, asserts none.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use twin::{PlacementKind, Twin};

use super::{build_twin, load_scenario, positive_span};

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Scenario file, or `default` for the embedded default.
    #[arg(default_value = "default")]
    pub scenario: PathBuf,
    /// Simulated days per policy.
    #[arg(long, default_value_t = 7.0, value_parser = positive_span)]
    pub days: f64,
    /// Policies to compare, comma-separated: proactive, oracle, or a cache policy (lru, lfu, fifo, sieve,
    /// s3fifo, arc).
    #[arg(long, default_value = "proactive,lru,lfu,sieve,s3fifo,arc,oracle", value_delimiter = ',')]
    pub policies: Vec<String>,
    /// Compare the control plane's scaling policies (target-tracking, predictive) in every region instead.
    #[arg(long)]
    pub scaling: bool,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub threads: Option<usize>,
}

/// What one policy's run gave.
pub struct PolicyResult {
    pub policy: PlacementKind,
    pub offload: f64,
    pub in_isp: f64,
    /// Byte hit ratio of embedded sites: bytes they served of the bytes first offered to them.
    pub embedded_offload: f64,
    pub miss_bytes: u128,
    pub fill_bytes: [u128; 3],
    pub fill_backbone_bytes: u128,
    pub wall_s: f64,
}

impl PolicyResult {
    pub fn backbone_bytes(&self) -> u128 {
        self.miss_bytes + self.fill_backbone_bytes
    }
}

pub fn measure(twin: &mut Twin, days: f64) -> PolicyResult {
    let t0 = Instant::now();
    twin.advance_minutes((days * 24.0 * 60.0).round() as u64);
    let wall_s = t0.elapsed().as_secs_f64();
    let totals = twin.totals();
    let snap = twin.snapshot();
    let c = &snap.content;
    let (mut offered, mut hit) = (0u128, 0u128);
    for (s, site) in twin.model().world.sites.iter().enumerate() {
        if matches!(site.kind, twin::world::SiteKind::Embedded(_)) {
            offered += c.site_offered_bytes[s] as u128;
            hit += c.site_hit_bytes[s] as u128;
        }
    }
    let mut fill_bytes = [0u128; 3];
    let mut fill_backbone_bytes = 0u128;
    for k in twin.kpis().iter() {
        for (a, b) in fill_bytes.iter_mut().zip(k.fill_bytes) {
            *a += b as u128;
        }
        fill_backbone_bytes += k.fill_backbone_bytes as u128;
    }
    let served = (totals.edge_bytes + totals.origin_bytes).max(1) as f64;
    PolicyResult {
        policy: c.site_policy[0],
        offload: totals.edge_bytes as f64 / served,
        in_isp: totals.in_isp_bytes as f64 / served,
        embedded_offload: hit as f64 / offered.max(1) as f64,
        miss_bytes: totals.origin_bytes,
        fill_bytes,
        fill_backbone_bytes,
        wall_s,
    }
}

pub fn compare(a: CompareArgs) -> anyhow::Result<()> {
    if a.scaling {
        return compare_scaling(&a);
    }
    let kinds: Vec<PlacementKind> = a
        .policies
        .iter()
        .map(|p| {
            PlacementKind::parse(p.trim()).ok_or_else(|| {
                anyhow::anyhow!("--policies: unknown policy {p:?} (expected one of {})", PlacementKind::names())
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut results = Vec::new();
    for kind in kinds {
        let scenario = load_scenario(&a.scenario, a.seed)?.edit("--policies", |s| s.policy.placement = kind)?;
        let mut twin = build_twin(scenario, a.threads)?;
        eprintln!("{}: simulating {} days…", kind.name(), a.days);
        results.push(measure(&mut twin, a.days));
    }
    let lru = results.iter().find(|r| r.policy.name() == "lru").map(|r| r.backbone_bytes());
    let tb = |b: u128| format!("{:.1}", b as f64 / 1e12);
    println!(
        "{:<10} {:>9} {:>8} {:>13} {:>10} {:>18} {:>22} {:>12} {:>15} {:>8}",
        "policy",
        "offload%",
        "in-ISP%",
        "embedded hit%",
        "misses TB",
        "backbone fills TB",
        "fill TB peer/tier/orig",
        "backbone TB",
        "backbone vs LRU",
        "wall s"
    );
    for r in &results {
        println!(
            "{:<10} {:>9.2} {:>8.2} {:>13.2} {:>10} {:>18} {:>22} {:>12} {:>15} {:>8.1}",
            r.policy.name(),
            100.0 * r.offload,
            100.0 * r.in_isp,
            100.0 * r.embedded_offload,
            tb(r.miss_bytes),
            tb(r.fill_backbone_bytes),
            format!("{}/{}/{}", tb(r.fill_bytes[0]), tb(r.fill_bytes[1]), tb(r.fill_bytes[2])),
            tb(r.backbone_bytes()),
            lru.map_or("–".into(), |l| format!("{:.2}×", r.backbone_bytes() as f64 / l.max(1) as f64)),
            r.wall_s
        );
    }
    Ok(())
}

/// Target tracking beside predictive scaling, every region under each in turn, over the same days: each
/// region's instance-hours, cost and latency, and the members' failed plays and startup time, over the last
/// day (when the predictive policy has past days to forecast from).
fn compare_scaling(a: &CompareArgs) -> anyhow::Result<()> {
    use twin::scenario::ScalingKind;
    let last_day_from = ((a.days - 1.0).max(0.0) * 24.0 * 60.0).round() as usize;
    println!(
        "{:<16} {:<16} {:>10} {:>10} {:>14} {:>14} {:>10} {:>10}",
        "policy", "region", "inst-h", "cost $", "p95 @peak ms", "worst p95 ms", "SLO min", "failed %"
    );
    for kind in [ScalingKind::TargetTracking, ScalingKind::Predictive] {
        let scenario = load_scenario(&a.scenario, a.seed)?.edit("--scaling", |s| {
            s.fleet.policy = kind;
            s.fleet.groups.iter_mut().for_each(|g| g.policy = None);
        })?;
        let mut twin = build_twin(scenario, a.threads)?;
        eprintln!("{}: simulating {} days…", kind.name(), a.days);
        twin.advance_minutes((a.days * 24.0 * 60.0).round() as u64);
        let snap = twin.snapshot();
        let slo = snap.model.scenario.fleet.latency_slo_ms;
        for (r, name) in snap.fleet.names.iter().enumerate() {
            let s = snap.fleet.summary(r, last_day_from, slo);
            println!(
                "{:<16} {:<16} {:>10.0} {:>10.0} {:>14.0} {:>14.0} {:>10} {:>10.3}",
                kind.name(),
                name,
                s.instance_hours,
                s.cost_usd,
                s.p95_at_peak_ms,
                s.max_p95_ms,
                s.slo_violation_minutes,
                s.failed_pct()
            );
        }
        let last_day: Vec<_> = twin.kpis().iter().skip(last_day_from).collect();
        let plays: u64 = last_day.iter().map(|k| k.plays).sum();
        let failed: u64 = last_day.iter().map(|k| k.start_failures).sum();
        let worst_p95 = last_day.iter().map(|k| k.startup_p95_ms).fold(0.0, f64::max);
        println!(
            "{:<16} {:<16} start failures {:.3}% of {plays} plays, worst minute's startup p95 {:.2} s",
            kind.name(),
            "members",
            100.0 * failed as f64 / plays.max(1) as f64,
            worst_p95 / 1000.0,
        );
    }
    Ok(())
}
