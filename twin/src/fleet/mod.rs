//! The control plane: before a member presses play, the client talks to API services on EC2 (the home page,
//! rows, search, a title's details; then the play, licence and steering calls), and while it plays it reports
//! heartbeats. Each origin region runs one Auto Scaling group of API instances (`asg`) for the members whose
//! metros it is nearest to. Its requests (`requests`) queue on the instances (`queue`): the latency of the
//! play calls is part of a play's startup time, and a call that times out fails the play.
//!
//! Every minute the engine reports each region's plays and playing sessions; the fleet turns them into
//! requests, runs the minute of each group (queue, then scaling), and keeps what the next minute's plays meet.
//! An evacuated region's members go to the nearest region still in service.

pub mod asg;
pub mod forecast;
pub mod queue;
pub mod requests;

use serde::Serialize;

use crate::error::TwinError;
use crate::kpi::History;
use crate::model::Model;
use crate::rng::{Rng, Stream, mix64};
use crate::time::SimTime;
use crate::world::MetroId;

pub use asg::{Activity, Group, GroupEvent, GroupPolicy, InstanceType, Timing};
use queue::{LATENCY_POINTS, QueueMinute};
use requests::{API_TYPES, PLAY_CALLS, THUMBNAILS_PER_PLAY, mean_cpu_ms, requests_per_s};

/// One region's control plane in one minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct FleetMinute {
    /// End of the minute.
    pub t: SimTime,
    pub desired: u32,
    pub in_service: u32,
    pub pending: u32,
    /// Requests a second by type (`requests::API_TYPES` order), and thumbnail fetches from S3.
    pub rps: [f32; API_TYPES.len()],
    pub thumbnail_rps: f32,
    /// Average CPU of the instances in service (1 when saturated).
    pub cpu: f32,
    pub p50_ms: f32,
    pub p95_ms: f32,
    pub p99_ms: f32,
    /// Requests that timed out.
    pub failed_requests: u64,
    /// Since the start: instance-hours billed (pending instances too) and their cost.
    pub instance_hours: f64,
    pub cost_usd: f64,
    /// Members the region serves now, and whether it is evacuated.
    pub members: f64,
    pub evacuated: bool,
}

impl FleetMinute {
    pub fn total_rps(&self) -> f32 {
        self.rps.iter().sum()
    }
}

/// A region's minute of demand on its control plane.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ApiLoad {
    pub plays: u64,
    pub playing: u64,
}

/// Something that happened to a region's group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FleetEvent {
    pub region: usize,
    pub event: GroupEvent,
}

/// The control plane as views read it (regions in the scenario's origins order).
#[derive(Clone, Debug, Default)]
pub struct FleetSnapshot {
    pub names: Vec<String>,
    pub policies: Vec<GroupPolicy>,
    pub evacuated: Vec<bool>,
    pub history: Vec<History<FleetMinute>>,
    pub events: Vec<FleetEvent>,
}

#[derive(Clone, Debug)]
pub struct Fleet {
    /// Region names (the scenario's origins), and each one's group.
    pub names: Vec<String>,
    pub groups: Vec<Group>,
    timing: Timing,
    pub evacuated: Vec<bool>,
    /// Per metro: the region serving it and the round trips there (ms); members each region serves.
    route: Vec<(u8, f32)>,
    members: Vec<f64>,
    /// What the coming minute's play calls meet in each region.
    now: Vec<QueueMinute>,
    pub history: Vec<History<FleetMinute>>,
    pub events: Vec<FleetEvent>,
    seed: u64,
}

impl Fleet {
    pub fn new(model: &Model) -> Fleet {
        let f = &model.scenario.fleet;
        let names: Vec<String> = model.world.origins.iter().map(|o| o.name.clone()).collect();
        let groups = names
            .iter()
            .map(|name| {
                let o = f.groups.iter().find(|g| &g.region == name);
                let max = o.and_then(|g| g.max).unwrap_or(f.max);
                Group::new(GroupPolicy {
                    kind: o.and_then(|g| g.policy).unwrap_or(f.policy),
                    min: o.and_then(|g| g.min).unwrap_or(f.min).min(max),
                    max,
                    protected: f.protected.min(max),
                    metric: f.metric,
                    target: f.target,
                    instance: InstanceType {
                        name: f.instance_type.clone(),
                        vcpus: f.instance_vcpus,
                        usd_per_hour: f.instance_usd_per_hour,
                    },
                })
            })
            .collect::<Vec<_>>();
        let timing = Timing::of(f);
        let mut fleet = Fleet {
            now: groups.iter().map(|g| g.idle(&timing)).collect(),
            history: vec![History::default(); names.len()],
            evacuated: vec![false; names.len()],
            names,
            groups,
            timing,
            route: Vec::new(),
            members: Vec::new(),
            events: Vec::new(),
            seed: model.scenario.seed,
        };
        fleet.reroute(model);
        fleet
    }

    pub fn snapshot(&self) -> FleetSnapshot {
        FleetSnapshot {
            names: self.names.clone(),
            policies: self.groups.iter().map(|g| g.policy.clone()).collect(),
            evacuated: self.evacuated.clone(),
            history: self.history.clone(),
            events: self.events.clone(),
        }
    }

    /// Sends each metro to its nearest region in service.
    fn reroute(&mut self, model: &Model) {
        let trips = model.scenario.playback.control_plane_round_trips;
        let backbone = &model.world.backbone.metro_origin_ms;
        self.route = (0..model.world.metros.len())
            .map(|m| {
                let ms = &backbone[m];
                let r = (0..ms.len()).filter(|&r| !self.evacuated[r]).min_by(|&a, &b| ms[a].total_cmp(&ms[b]));
                let r = r.unwrap_or_else(|| model.world.nearest_origin(MetroId(m as u32)));
                (r as u8, (trips * 2.0 * ms[r]) as f32)
            })
            .collect();
        self.members = vec![0.0; self.groups.len()];
        for (m, metro) in model.world.metros.iter().enumerate() {
            self.members[self.route[m].0 as usize] += metro.members;
        }
    }

    /// The region serving a metro's members, and the round trips to it (ms).
    #[inline]
    pub fn route(&self, metro: usize) -> (usize, f64) {
        let (r, ms) = self.route[metro];
        (r as usize, ms as f64)
    }

    /// The API time (ms) of a play's calls in `region`, or None when one of them times out (the play fails).
    #[inline]
    pub fn play_calls_ms(&self, region: usize, play: u64) -> Option<f64> {
        let q = &self.now[region];
        let bits = mix64(play ^ 0xF1EE_7C0D_E5CA_1E00);
        let u = (bits >> 40) as f64 / (1u64 << 24) as f64;
        if u < 1.0 - (1.0 - q.play_failed_share).powi(PLAY_CALLS as i32) {
            return None;
        }
        Some((0..PLAY_CALLS).map(|i| q.table[(bits >> (6 * i)) as usize % LATENCY_POINTS] as f64).sum())
    }

    /// Runs minute `minute` (0-based) of every region's group under `loads`, and records it.
    pub fn step(&mut self, model: &Model, minute: u64, loads: &[ApiLoad]) {
        let f = &model.scenario.fleet;
        let mut events = Vec::new();
        for (r, group) in self.groups.iter_mut().enumerate() {
            let load = loads.get(r).copied().unwrap_or_default();
            let rps = requests_per_s(load.plays as f64, load.playing as f64);
            let total: f64 = rps.iter().sum();
            // Instances fail at random; the group notices and replaces them.
            let mut rng = Rng::new(self.seed, Stream::Fleet, &[r as u64, minute]);
            let failing = rng.poisson(group.in_service(minute) as f64 * f.instance_failures_per_day / 1440.0);
            group.kill(failing as u32, minute);
            let history = &self.history[r];
            let level = forecast::level(history, minute, total);
            let g = group.step(
                minute,
                total,
                mean_cpu_ms(&rps),
                &self.timing,
                |m| forecast::forecast_rps(history, m).map(|f| f * level),
                &mut events,
            );
            self.events.extend(events.drain(..).map(|event| FleetEvent { region: r, event }));
            let (hours, cost) = self.history[r].last().map_or((0.0, 0.0), |m| (m.instance_hours, m.cost_usd));
            let billed_hours = g.billed as f64 / 60.0;
            self.history[r].push(FleetMinute {
                t: SimTime::from_minutes(minute + 1),
                desired: g.desired,
                in_service: g.in_service,
                pending: g.pending,
                rps: rps.map(|x| x as f32),
                thumbnail_rps: (load.plays as f64 * THUMBNAILS_PER_PLAY / 60.0) as f32,
                cpu: g.queue.utilization.min(1.0) as f32,
                p50_ms: g.queue.p50_ms as f32,
                p95_ms: g.queue.p95_ms as f32,
                p99_ms: g.queue.p99_ms as f32,
                failed_requests: (total * 60.0 * g.queue.failed_share).round() as u64,
                instance_hours: hours + billed_hours,
                cost_usd: cost + billed_hours * group.policy.instance.usd_per_hour,
                members: self.members[r],
                evacuated: self.evacuated[r],
            });
            self.now[r] = g.queue;
        }
    }

    fn check_region(&self, region: usize) -> Result<(), TwinError> {
        if region < self.groups.len() {
            return Ok(());
        }
        Err(TwinError::Refused(format!(
            "no control-plane region {region} (the world has {}: {})",
            self.groups.len(),
            self.names.join(", ")
        )))
    }

    pub fn set_policy(&mut self, region: usize, policy: GroupPolicy, minute: u64) -> Result<(), TwinError> {
        self.check_region(region)?;
        policy.check().map_err(|e| TwinError::Refused(format!("{}: {e}", self.names[region])))?;
        let event = self.groups[region].set_policy(policy, minute, &self.timing);
        self.events.push(FleetEvent { region, event });
        Ok(())
    }

    /// Sets a region's desired capacity (within its group's limits).
    pub fn set_desired(&mut self, region: usize, desired: u32, minute: u64) -> Result<(), TwinError> {
        self.check_region(region)?;
        let event = self.groups[region].set_desired(desired, minute, &self.timing);
        self.events.push(FleetEvent { region, event });
        Ok(())
    }

    /// Terminates `count` instances of a region at once; the group replaces them.
    pub fn kill(&mut self, region: usize, count: u32, minute: u64) -> Result<(), TwinError> {
        self.check_region(region)?;
        let g = &mut self.groups[region];
        let from = g.in_service(minute);
        g.kill(count, minute);
        let event = GroupEvent { minute, activity: Activity::Kill, from, to: g.in_service(minute) };
        self.events.push(FleetEvent { region, event });
        Ok(())
    }

    /// Takes a region out (its members go to the nearest region in service) or brings it back.
    pub fn evacuate(&mut self, model: &Model, region: usize, out: bool, minute: u64) -> Result<(), TwinError> {
        self.check_region(region)?;
        if out && (0..self.groups.len()).all(|r| r == region || self.evacuated[r]) {
            return Err(TwinError::Refused(format!(
                "cannot evacuate {}: it is the last control-plane region in service",
                self.names[region]
            )));
        }
        self.evacuated[region] = out;
        self.reroute(model);
        let activity = if out { Activity::Evacuate } else { Activity::Restore };
        let desired = self.groups[region].desired;
        self.events.push(FleetEvent { region, event: GroupEvent { minute, activity, from: desired, to: desired } });
        Ok(())
    }
}

/// A region's control plane over a run: what it cost and how it served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RegionSummary {
    pub instance_hours: f64,
    pub cost_usd: f64,
    pub peak_in_service: u32,
    pub min_in_service: u32,
    /// The busiest minute: its requests a second, and its p95 latency.
    pub peak_rps: f64,
    pub p95_at_peak_ms: f64,
    /// The worst p95 of any minute.
    pub max_p95_ms: f64,
    /// Minutes with p95 over the objective.
    pub slo_violation_minutes: u64,
    pub failed_requests: u64,
    pub requests: f64,
    pub scale_outs: usize,
    pub scale_ins: usize,
}

impl RegionSummary {
    /// Failed requests, as a share of all (%).
    pub fn failed_pct(&self) -> f64 {
        if self.requests > 0.0 { 100.0 * self.failed_requests as f64 / self.requests } else { 0.0 }
    }
}

impl FleetSnapshot {
    /// Region `r`'s summary over minutes `from..` (0: the whole run), against a p95 objective of `slo_ms`.
    pub fn summary(&self, r: usize, from: usize, slo_ms: f64) -> RegionSummary {
        let minutes: Vec<&FleetMinute> = self.history[r].iter().skip(from).collect();
        let Some(last) = minutes.last() else { return RegionSummary::default() };
        let before = from.checked_sub(1).and_then(|i| self.history[r].get(i));
        let peak = minutes.iter().max_by(|a, b| a.total_rps().total_cmp(&b.total_rps())).copied();
        let from_minute = from as u64;
        let counted = |a: Activity| {
            self.events
                .iter()
                .filter(|e| e.region == r && e.event.activity == a && e.event.minute >= from_minute)
                .count()
        };
        RegionSummary {
            instance_hours: last.instance_hours - before.map_or(0.0, |b| b.instance_hours),
            cost_usd: last.cost_usd - before.map_or(0.0, |b| b.cost_usd),
            peak_in_service: minutes.iter().map(|m| m.in_service).max().unwrap_or(0),
            min_in_service: minutes.iter().map(|m| m.in_service).min().unwrap_or(0),
            peak_rps: peak.map_or(0.0, |m| m.total_rps() as f64),
            p95_at_peak_ms: peak.map_or(0.0, |m| m.p95_ms as f64),
            max_p95_ms: minutes.iter().map(|m| m.p95_ms as f64).fold(0.0, f64::max),
            slo_violation_minutes: minutes.iter().filter(|m| m.p95_ms as f64 > slo_ms).count() as u64,
            failed_requests: minutes.iter().map(|m| m.failed_requests).sum(),
            requests: minutes.iter().map(|m| m.total_rps() as f64 * 60.0).sum(),
            scale_outs: counted(Activity::ScaleOut),
            scale_ins: counted(Activity::ScaleIn),
        }
    }
}

/// How a region that took in an evacuated region's members came through it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recovery {
    pub region: usize,
    /// Its members before and after.
    pub members_before: f64,
    pub members_after: f64,
    /// p95 in the minute before the evacuation, and the worst after it.
    pub p95_before_ms: f64,
    pub p95_peak_ms: f64,
    /// Minutes from the evacuation to its first scale-out, to having every instance it wants in service, and
    /// to p95 back within 25% of before (None: not within the run).
    pub scale_out_after_min: Option<u64>,
    pub capacity_after_min: Option<u64>,
    pub recovered_after_min: Option<u64>,
}

impl FleetSnapshot {
    /// The timeline of every region that took in members when `evacuated` was evacuated at minute `at`.
    pub fn evacuation_timeline(&self, evacuated: usize, at: u64) -> Vec<Recovery> {
        let at_i = at as usize;
        (0..self.names.len())
            .filter(|&r| r != evacuated)
            .filter_map(|r| {
                let h = &self.history[r];
                let before = h.get(at_i.checked_sub(1)?)?;
                let after: Vec<&FleetMinute> = h.iter().skip(at_i).collect();
                let members_after = after.first()?.members;
                (members_after > before.members).then_some(())?;
                let peak = after.iter().enumerate().max_by(|a, b| a.1.p95_ms.total_cmp(&b.1.p95_ms))?;
                let scale_out = self
                    .events
                    .iter()
                    .find(|e| e.region == r && e.event.activity == Activity::ScaleOut && e.event.minute >= at)
                    .map(|e| e.event.minute - at);
                let capacity = scale_out.and_then(|s| {
                    after.iter().skip(s as usize + 1).position(|m| m.pending == 0 && m.in_service >= m.desired)
                });
                let within = |m: &FleetMinute| m.p95_ms <= 1.25 * before.p95_ms;
                let recovered = if within(peak.1) {
                    Some(0)
                } else {
                    after.iter().skip(peak.0).position(|m| within(m)).map(|i| (peak.0 + i) as u64)
                };
                Some(Recovery {
                    region: r,
                    members_before: before.members,
                    members_after,
                    p95_before_ms: before.p95_ms as f64,
                    p95_peak_ms: peak.1.p95_ms as f64,
                    scale_out_after_min: scale_out,
                    capacity_after_min: capacity.zip(scale_out).map(|(c, s)| s + 1 + c as u64),
                    recovered_after_min: recovered,
                })
            })
            .collect()
    }
}
