//! The control-plane tables `run` prints: per region, the fleet's size, cost and latency over the run, and an
//! evacuation drill's timeline.

use std::fmt::Write;

use twin::Snapshot;

/// One row per region, over the run.
pub fn render(snap: &Snapshot) -> String {
    let fleet = &snap.fleet;
    let f = &snap.model.scenario.fleet;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ncontrol plane ({} × {} vCPU at ${:.3}/h; p95 objective {:.0} ms; timeout {:.0} ms):",
        f.instance_type, f.instance_vcpus, f.instance_usd_per_hour, f.latency_slo_ms, f.timeout_ms
    );
    let _ = writeln!(
        out,
        "{:<16}{:>14}{:>15}{:>11}{:>13}{:>12}{:>14}{:>13}{:>11}{:>11}{:>12}",
        "region",
        "policy",
        "instances",
        "inst-h",
        "cost $",
        "peak rps",
        "p95 @peak",
        "worst p95",
        "SLO min",
        "failed %",
        "scale o/i",
    );
    for (r, name) in fleet.names.iter().enumerate() {
        let s = fleet.summary(r, 0, f.latency_slo_ms);
        let name = if fleet.evacuated[r] { format!("{name} (out)") } else { name.clone() };
        let _ = writeln!(
            out,
            "{:<16}{:>14}{:>15}{:>11.0}{:>13.0}{:>12.0}{:>11.0} ms{:>10.0} ms{:>11}{:>11.3}{:>12}",
            name,
            fleet.policies[r].kind.name(),
            format!("{}–{}", s.min_in_service, s.peak_in_service),
            s.instance_hours,
            s.cost_usd,
            s.peak_rps,
            s.p95_at_peak_ms,
            s.max_p95_ms,
            s.slo_violation_minutes,
            s.failed_pct(),
            format!("{}/{}", s.scale_outs, s.scale_ins),
        );
    }
    out
}

/// The timeline of an evacuation drill: how each region that took in members came through.
pub fn render_evacuation(snap: &Snapshot, evacuated: usize, at: u64) -> String {
    let fleet = &snap.fleet;
    let mut out = format!("\nevacuation of {} at {:.1} h (minute {at}):\n", fleet.names[evacuated], at as f64 / 60.0);
    let minutes = |m: Option<u64>| m.map_or("not in the run".to_string(), |m| format!("{m} min"));
    for r in fleet.evacuation_timeline(evacuated, at) {
        let _ = writeln!(
            out,
            "  {:<16} members {:.2} M → {:.2} M; p95 {:.0} ms before, {:.0} ms worst; first scale-out after {}, \
             all instances in service after {}, p95 within 25% of before after {}",
            fleet.names[r.region],
            r.members_before / 1e6,
            r.members_after / 1e6,
            r.p95_before_ms,
            r.p95_peak_ms,
            minutes(r.scale_out_after_min),
            minutes(r.capacity_after_min),
            minutes(r.recovered_after_min),
        );
    }
    out
}
