//! Play forward: the mirrored state as commands that seed a twin, so the operator can simulate ahead from
//! production as it is (for example, to see what "fill now" or losing a site would do before doing it). What
//! the mirror knows and the twin can take: each site in or out of service (its health endpoint, else its `up`
//! metric), each control-plane group's limits and desired capacity, each origin bucket's objects, and the recent
//! load (mirrored active sessions over the twin's, as a demand scale). What it cannot take is said in the notes.

use twin::kpi::KpiId;
use twin::{Command, SiteId, Snapshot};

use crate::mirror::MirrorState;

/// The commands, and what was and was not carried over, in words.
#[derive(Debug, Default, PartialEq)]
pub struct Seed {
    pub commands: Vec<Command>,
    pub notes: Vec<String>,
}

pub fn seed(state: &MirrorState, snap: &Snapshot) -> Seed {
    let mut out = Seed::default();
    let sites = &snap.model.world.sites;
    let (mut up, mut down) = (0, 0);
    for (name, observed) in &state.observed.sites {
        let Some(in_service) = observed.in_service() else { continue };
        match sites.iter().position(|s| &s.name == name) {
            Some(i) => {
                out.commands.push(Command::SetSiteUp { site: SiteId(i as u32), up: in_service });
                if in_service { up += 1 } else { down += 1 }
            }
            None => out.notes.push(format!("site {name:?} is not in the twin's world: left as simulated")),
        }
    }
    out.notes.push(format!("{up} site(s) in service, {down} out, as mirrored"));
    let fleet = &snap.fleet;
    for g in &state.observed.groups {
        let Some(r) = fleet.names.iter().position(|n| *n == g.region) else {
            out.notes.push(format!("group {} is in {}, not a control-plane region of the twin", g.name, g.region));
            continue;
        };
        let mut policy = fleet.policies[r].clone();
        policy.min = g.min;
        policy.max = g.max;
        policy.protected = policy.protected.min(g.max);
        if let Err(e) = policy.check() {
            out.notes.push(format!("group {}'s limits cannot be taken: {e}", g.name));
        } else {
            out.commands.push(Command::SetScalingPolicy { region: r, policy });
        }
        out.commands.push(Command::SetDesiredCapacity { region: r, desired: g.desired });
        out.notes
            .push(format!("{}: {} to {}, desired {} ({} in service)", g.region, g.min, g.max, g.desired, g.in_service));
    }
    let mirrored = state.observed.kpis.iter().find(|(k, _)| *k == KpiId::ActiveSessions).and_then(|(_, p)| p.last());
    let simulated = snap.latest().map(|k| k.active_sessions as f64);
    match (mirrored, simulated) {
        (Some(&(_, m)), Some(s)) if m > 0.0 && s > 0.0 => {
            let factor = (m / s).clamp(0.01, 100.0);
            out.commands.push(Command::SetDemandScale { factor, region: None });
            out.notes.push(format!(
                "demand × {factor:.2}: {m:.0} active sessions mirrored, {s:.0} simulated at the twin's hour"
            ));
        }
        _ => out.notes.push(
            "demand as simulated: map active_sessions in [[cloudwatch.kpi]] to carry the recent load over".into(),
        ),
    }
    for b in &state.observed.buckets {
        let size = format!("{} objects, {:.2} GB", b.stats.objects, b.stats.bytes as f64 / 1e9);
        if snap.ingest.buckets.iter().any(|(name, _)| *name == b.name) {
            let objects = b.list("", "", usize::MAX).map(|(k, bytes)| (k.to_string(), bytes)).collect();
            out.commands.push(Command::SetOriginContents { bucket: b.name.clone(), objects });
            out.notes.push(format!("s3://{}: {size} into the twin's origin (its catalogue stays its own)", b.name));
        } else {
            out.notes.push(format!("s3://{}: {size}, not an origin bucket of the twin: left out", b.name));
        }
    }
    out
}
