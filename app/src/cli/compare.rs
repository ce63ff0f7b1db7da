//! `edgetwin compare`: the same scenario and seed run once per placement policy, side by side: offload, what
//! crossed the backbone (misses and fills), and fills by source tier; or, with `--scaling`, once per
//! control-plane scaling policy: the fleet's cost and latency, and what members saw. Each policy is a what-if
//! branch of one twin (an edit switching every site, or every region's group, to it at the start), so compare
//! shares whatif's machinery. A benchmark: prints figures, asserts none.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use twin::PlacementKind;
use twin::whatif::{self, Change, Edit, Edits};

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
    // One what-if branch per policy, each switching every site to it at the start.
    let branches: Vec<Edits> = kinds
        .iter()
        .map(|&policy| Edits {
            edits: vec![Edit { at_hours: 0.0, change: Change::Policy { policy, site: None, cluster: None } }],
        })
        .collect();
    let twin = build_twin(load_scenario(&a.scenario, a.seed)?, a.threads)?;
    eprintln!("{} policies, two at a time: simulating {} days each…", kinds.len(), a.days);
    let started = Instant::now();
    let runs: Vec<whatif::Run> =
        whatif::run_all(&twin, &branches, a.days * 24.0)?.iter().map(whatif::Branch::result).collect();
    let wall_s = started.elapsed().as_secs_f64();
    let embedded: Vec<usize> = (twin.model().world.sites.iter().enumerate())
        .filter(|(_, s)| matches!(s.kind, twin::world::SiteKind::Embedded(_)))
        .map(|(i, _)| i)
        .collect();
    let lru = kinds.iter().position(|k| k.name() == "lru").map(|i| runs[i].outcome.backbone_tb);
    println!(
        "{:<10} {:>9} {:>8} {:>13} {:>12} {:>22} {:>15}",
        "policy", "offload%", "in-ISP%", "embedded hit%", "backbone TB", "fill TB peer/tier/orig", "backbone vs LRU"
    );
    for (kind, run) in kinds.iter().zip(&runs) {
        let o = &run.outcome;
        let (offered, served) =
            embedded.iter().fold((0.0, 0.0), |t, &s| (t.0 + run.sites[s].offered_tb, t.1 + run.sites[s].served_tb));
        println!(
            "{:<10} {:>9.2} {:>8.2} {:>13.2} {:>12.1} {:>22} {:>15}",
            kind.name(),
            o.offload_pct,
            o.in_isp_pct,
            100.0 * served / offered.max(f64::MIN_POSITIVE),
            o.backbone_tb,
            format!("{:.1}/{:.1}/{:.1}", o.fill_tb[0], o.fill_tb[1], o.fill_tb[2]),
            lru.map_or("–".into(), |l| format!("{:.2}×", o.backbone_tb / l.max(f64::MIN_POSITIVE))),
        );
    }
    println!("\n{} policies × {} days in {wall_s:.1} s", kinds.len(), a.days);
    Ok(())
}

/// Target tracking beside predictive scaling, each a what-if branch switching every region's group to it at
/// the start (keeping each group's limits and target), over the same days: each region's instance-hours, cost
/// and latency, and the members' failed plays and startup time, over the last day (when the predictive policy
/// has past days to forecast from).
fn compare_scaling(a: &CompareArgs) -> anyhow::Result<()> {
    use twin::scenario::ScalingKind;
    let kinds = [ScalingKind::TargetTracking, ScalingKind::Predictive];
    let twin = build_twin(load_scenario(&a.scenario, a.seed)?, a.threads)?;
    let names = twin.fleet().names.clone();
    let branches: Vec<Edits> = kinds
        .iter()
        .map(|&kind| Edits {
            edits: (names.iter())
                .map(|region| Edit {
                    at_hours: 0.0,
                    change: Change::Scaling {
                        region: region.clone(),
                        policy: Some(kind),
                        min: None,
                        max: None,
                        target: None,
                        metric: None,
                        protected: None,
                        instance: None,
                    },
                })
                .collect(),
        })
        .collect();
    eprintln!("target tracking and predictive side by side: simulating {} days each…", a.days);
    let runs = whatif::run_all(&twin, &branches, a.days * 24.0)?;
    let last_day_from = ((a.days - 1.0).max(0.0) * 24.0 * 60.0).round() as usize;
    println!(
        "{:<16} {:<16} {:>10} {:>10} {:>14} {:>14} {:>10} {:>10}",
        "policy", "region", "inst-h", "cost $", "p95 @peak ms", "worst p95 ms", "SLO min", "failed %"
    );
    for (kind, branch) in kinds.iter().zip(&runs) {
        let twin = branch.twin();
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
