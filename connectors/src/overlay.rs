//! The mirrored deployment drawn through the twin's own types, so views draw the deployment unchanged.
//! - In the snapshot, in place of what the twin simulated: each site's service state (its health endpoint, else
//!   its `up` metric), egress and utilization where mirrored (the map, the site inspector); each control-plane
//!   group's limits (Fleet); each origin bucket's objects and bytes (Ingest's origin table).
//! - Beside it, as series on the twin's time axis (`ObservedSeries`, the mirror's reading `now_s` seconds ago
//!   drawn that long before the twin's present): the mapped world KPIs (QoE) and each group's instances at each
//!   poll (Fleet). Views draw those in place of the simulated series, and nothing where the deployment was not
//!   read: what is not mirrored is unknown, not simulated.
//!
//! `Overlaid::carried` says what came from the deployment.

use std::sync::Arc;

use twin::kpi::KpiId;
use twin::{SimTime, Snapshot};

use crate::mirror::{GroupPoll, MirrorState, SourceState};
use crate::source::SourceKind;

pub struct Overlaid {
    pub snapshot: Snapshot,
    pub series: ObservedSeries,
    /// What the views now show from the deployment, in words.
    pub carried: Vec<String>,
}

/// Series the mirror observed, on the twin's time axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedSeries {
    /// The mapped world KPIs.
    pub kpis: Vec<(KpiId, Vec<(SimTime, f64)>)>,
    /// Per control-plane region (index into the twin's fleet) with a mirrored group: its polls.
    pub groups: Vec<(usize, Vec<(SimTime, GroupPoll)>)>,
    /// Whether CloudWatch's and Auto Scaling's sources are ok now (else the series are not current).
    pub kpis_current: bool,
    pub groups_current: bool,
}

impl ObservedSeries {
    pub fn kpi(&self, kpi: KpiId) -> Option<&[(SimTime, f64)]> {
        self.kpis.iter().find(|(k, _)| *k == kpi).map(|(_, p)| p.as_slice())
    }

    pub fn group(&self, region: usize) -> Option<&[(SimTime, GroupPoll)]> {
        self.groups.iter().find(|(r, _)| *r == region).map(|(_, p)| p.as_slice())
    }
}

pub fn overlay(base: &Snapshot, state: &MirrorState, now_s: i64) -> Overlaid {
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
    let series = observed_series(&snap, state, now_s);
    if !series.kpis.is_empty() {
        carried.push(format!("{} world KPI(s)", series.kpis.len()));
    }
    if !series.groups.is_empty() {
        carried.push(format!("{} group(s)' instances", series.groups.len()));
    }
    Overlaid { snapshot: snap, series, carried }
}

/// The mirror's series, each reading `now_s - t` seconds old drawn that long before the twin's present
/// (readings from before the twin's start are left out).
fn observed_series(snap: &Snapshot, state: &MirrorState, now_s: i64) -> ObservedSeries {
    let at = |t_s: i64| {
        let sim = snap.time.0 as i64 - (now_s - t_s);
        (sim >= 0).then_some(SimTime(sim as u64))
    };
    let current = |kind: SourceKind| {
        let of_kind: Vec<_> = state.sources.iter().filter(|s| s.kind == kind).collect();
        !of_kind.is_empty() && of_kind.iter().all(|s| s.state(now_s) == SourceState::Ok)
    };
    let kpis = state
        .observed
        .kpis
        .iter()
        .map(|(k, points)| (*k, points.iter().filter_map(|&(t, v)| at(t).map(|t| (t, v))).collect::<Vec<_>>()))
        .filter(|(_, points)| !points.is_empty())
        .collect();
    let groups = state
        .observed
        .groups
        .iter()
        .filter_map(|g| {
            let r = snap.fleet.names.iter().position(|n| *n == g.region)?;
            let polls = state.observed.group_polls.get(&g.name)?;
            Some((r, polls.iter().filter_map(|p| at(p.t_s).map(|t| (t, *p))).collect::<Vec<_>>()))
        })
        .filter(|(_, polls)| !polls.is_empty())
        .collect();
    ObservedSeries {
        kpis,
        groups,
        kpis_current: current(SourceKind::CloudWatch),
        groups_current: current(SourceKind::AutoScaling),
    }
}
