//! The mirrored deployment drawn through the twin's own snapshot type: the twin's snapshot with what the mirror
//! observed in place of what the twin simulated, so views draw the deployment unchanged. Carried over: each
//! site's service state (its health endpoint, else its `up` metric), egress and utilization where mirrored (the
//! map, the site inspector); each control-plane group's limits (Fleet); each origin bucket's objects and bytes
//! (Ingest's origin table). Everything else stays the twin's, and `Overlaid::carried` says what came from where.

use std::sync::Arc;

use twin::Snapshot;

use crate::mirror::MirrorState;

pub struct Overlaid {
    pub snapshot: Snapshot,
    /// What the views now show from the deployment, in words.
    pub carried: Vec<String>,
}

pub fn overlay(base: &Snapshot, state: &MirrorState) -> Overlaid {
    let mut snap = base.clone();
    let mut carried = Vec::new();
    let world = &snap.model.world;
    let mut sites = (*snap.sites).clone();
    let mut up = (*snap.site_up).clone();
    let mut n = 0;
    for (name, o) in &state.observed.sites {
        let Some(i) = world.sites.iter().position(|s| &s.name == name) else { continue };
        n += 1;
        if let Some(in_service) = o.in_service() {
            up[i] = in_service;
        }
        let health = o.health.as_ref().map(|(_, h)| h);
        if let Some(e) = health.map(|h| h.egress_gbps).or(o.egress_gbps.map(|e| e.1)) {
            sites[i].egress_gbps = e as f32;
        }
        if let Some(u) = health.map(|h| h.load).or(o.utilization.map(|u| u.1)) {
            sites[i].utilization = u as f32;
        }
    }
    if n > 0 {
        snap.sites = Arc::new(sites);
        snap.site_up = Arc::new(up);
        carried.push(format!("{n} site(s): service state, egress and load"));
    }
    let mut fleet = (*snap.fleet).clone();
    let mut groups = 0;
    for g in &state.observed.groups {
        let Some(r) = fleet.names.iter().position(|n| *n == g.region) else { continue };
        fleet.policies[r].min = g.min;
        fleet.policies[r].max = g.max;
        groups += 1;
    }
    if groups > 0 {
        snap.fleet = Arc::new(fleet);
        carried.push(format!("{groups} group(s): limits"));
    }
    let mut ingest = (*snap.ingest).clone();
    let mut buckets = 0;
    for b in &state.observed.buckets {
        if let Some(entry) = ingest.buckets.iter_mut().find(|(name, _)| *name == b.name) {
            entry.1 = b.stats.clone();
            buckets += 1;
        }
    }
    if buckets > 0 {
        snap.ingest = Arc::new(ingest);
        carried.push(format!("{buckets} origin bucket(s): objects and bytes"));
    }
    Overlaid { snapshot: snap, carried }
}
