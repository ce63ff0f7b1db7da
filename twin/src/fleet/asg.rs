//! One region's EC2 Auto Scaling group of API instances, after the semantics AWS documents, with what it
//! leaves open stated as assumed:
//!
//! - desired capacity within [min, max]; the group launches or terminates instances to match it at once, and
//!   replaces instances that fail their health check or are killed, in the minute it notices them;
//! - a launched instance is pending for `launch_s`, then in service; pending and warming (`warmup_s` after it
//!   entered service) instances count as capacity already, so target tracking scales out only past them, and
//!   the group does not scale in while any instance is pending or warming;
//! - target tracking: the high alarm fires when the metric is over target for 3 consecutive 1-minute data
//!   points, and the group scales out to `in service × metric ÷ target`; the low alarm fires after 15
//!   consecutive points under 90% of target (AWS's low alarm sits a little below target: the 90% is assumed),
//!   and the group then scales in to `in service × metric ÷ target`, by at most a tenth at a time (assumed),
//!   and not within `scale_in_cooldown_s` of its last scaling activity (assumed: AWS's cooldown for simple
//!   scaling); with no instance in service there is no data point, and the group only makes sure one is
//!   launching if it has load;
//! - scale-in never takes the group below its `protected` instances (a simplification of AWS's scale-in
//!   protection, which protects named instances);
//! - predictive scaling (beside target tracking) is a floor: it raises desired capacity to what the forecast
//!   load `launch_s + predictive_buffer_s` ahead needs, so instances are in service before the ramp arrives;
//!   capacity comes down only by target tracking's scale-in.

use serde::{Deserialize, Serialize};

use super::queue::{Queue, QueueMinute};
use super::requests::{API_TYPES, RequestType, mean_cpu_ms};
use crate::scenario::{
    FleetSpec, MAX_INSTANCES, MAX_TARGET_RPS, MAX_USD_PER_HOUR, MAX_VCPUS, ScalingKind, ScalingMetric,
};

/// A play call's own mean service time (s).
const PLAY_SERVICE_S: f64 = RequestType::Play.cpu_ms() / 1000.0;

/// Data points over target before the high alarm fires, and under 90% of target before the low alarm does.
pub const HIGH_ALARM_POINTS: u32 = 3;
pub const LOW_ALARM_POINTS: u32 = 15;
const LOW_ALARM_SHARE: f64 = 0.9;
/// Most of its capacity a group sheds in one scale-in.
const SCALE_IN_STEP: f64 = 0.1;

/// Instance types an operator can pick: (name, vCPUs, on-demand $ an hour), from AWS EC2 on-demand pricing
/// (Linux, us-east-1).
pub const INSTANCE_TYPES: [(&str, u32, f64); 5] = [
    ("c5.large", 2, 0.085),
    ("m5.xlarge", 4, 0.192),
    ("m5.2xlarge", 8, 0.384),
    ("c5.4xlarge", 16, 0.68),
    ("m5.8xlarge", 32, 1.536),
];

/// An instance type: vCPUs and on-demand price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    pub name: String,
    pub vcpus: u32,
    pub usd_per_hour: f64,
}

/// What an operator sets on a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupPolicy {
    pub kind: ScalingKind,
    pub min: u32,
    pub max: u32,
    pub protected: u32,
    pub metric: ScalingMetric,
    pub target: f64,
    pub instance: InstanceType,
}

impl GroupPolicy {
    /// Whether the policy can run: limits in order, a target the metric can hold, an instance with CPUs.
    pub fn check(&self) -> Result<(), String> {
        if self.max == 0 || self.min > self.max || self.max > MAX_INSTANCES {
            return Err(format!(
                "min {} and max {} must satisfy 0 ≤ min ≤ max, 1 ≤ max ≤ {}",
                self.min, self.max, MAX_INSTANCES
            ));
        }
        if self.protected > self.max {
            return Err(format!("{} protected instances is more than max {}", self.protected, self.max));
        }
        let target_ok = match self.metric {
            ScalingMetric::Cpu => self.target > 0.0 && self.target < 1.0,
            ScalingMetric::Requests => self.target > 0.0 && self.target <= MAX_TARGET_RPS,
        };
        if !target_ok {
            return Err(format!("target {} is not a CPU share in (0, 1) or a positive request rate", self.target));
        }
        let price_ok = self.instance.usd_per_hour >= 0.0 && self.instance.usd_per_hour <= MAX_USD_PER_HOUR;
        if !(1..=MAX_VCPUS).contains(&self.instance.vcpus) || !price_ok {
            return Err(format!(
                "an instance type needs 1 to {MAX_VCPUS} vCPUs and a price from 0 to {MAX_USD_PER_HOUR} $ an hour"
            ));
        }
        Ok(())
    }
}

/// Why a group changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activity {
    ScaleOut,
    ScaleIn,
    /// Instances failed their health check (or were killed) and are being replaced.
    Replace,
    /// An operator changed the policy.
    Policy,
    /// An operator (or the mirror's seed) set the desired capacity.
    SetDesired,
    /// An operator terminated instances.
    Kill,
    /// The region was evacuated (its members moved to other regions), or restored.
    Evacuate,
    Restore,
}

/// A group's change of desired capacity, or its replacement of instances.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupEvent {
    /// The minute it happened in.
    pub minute: u64,
    pub activity: Activity,
    pub from: u32,
    pub to: u32,
}

/// The timing every group shares, from the scenario (minutes).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub launch_min: u64,
    pub warmup_min: u64,
    pub cooldown_min: u64,
    pub lead_min: u64,
    pub timeout_s: f64,
}

impl Timing {
    pub fn of(f: &FleetSpec) -> Timing {
        let min = |s: u32| (s as u64).div_ceil(60);
        Timing {
            launch_min: min(f.launch_s),
            warmup_min: min(f.warmup_s),
            cooldown_min: min(f.scale_in_cooldown_s),
            lead_min: min(f.launch_s + f.predictive_buffer_s),
            timeout_s: f.timeout_ms / 1000.0,
        }
    }
}

/// A group's minute: who served, how the queue behaved, and what the group decided for the next minutes.
#[derive(Clone, Copy, Debug)]
pub struct GroupMinute {
    pub in_service: u32,
    pub pending: u32,
    pub queue: QueueMinute,
    pub desired: u32,
    /// Instances billed this minute (pending ones too).
    pub billed: u32,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub policy: GroupPolicy,
    /// The minute each instance enters (or entered) service.
    ready: Vec<u64>,
    /// Target tracking's capacity, and the group's (the larger of it and predictive's).
    tracking: u32,
    pub desired: u32,
    high_points: u32,
    low_points: u32,
    last_activity: Option<u64>,
    backlog: f64,
    /// Whether the group has been sized to its load yet (it is at the twin's start).
    sized: bool,
}

impl Group {
    pub fn new(policy: GroupPolicy) -> Group {
        let desired = policy.min;
        Group {
            policy,
            ready: Vec::new(),
            tracking: desired,
            desired,
            high_points: 0,
            low_points: 0,
            last_activity: None,
            backlog: 0.0,
            sized: false,
        }
    }

    fn clamp(&self, n: u32) -> u32 {
        n.clamp(self.policy.min, self.policy.max)
    }

    /// Requests a second one instance serves with every vCPU busy, for a mix of mean CPU `mean_ms`.
    fn full_rps(&self, mean_ms: f64) -> f64 {
        self.policy.instance.vcpus as f64 * 1000.0 / mean_ms
    }

    /// Requests a second one instance takes at the target.
    pub fn target_rps(&self, mean_ms: f64) -> f64 {
        match self.policy.metric {
            ScalingMetric::Cpu => self.policy.target * self.full_rps(mean_ms),
            ScalingMetric::Requests => self.policy.target,
        }
    }

    pub fn in_service(&self, minute: u64) -> u32 {
        self.ready.iter().filter(|&&r| r <= minute).count() as u32
    }

    /// Instances launched or in service.
    pub fn instances(&self) -> u32 {
        self.ready.len() as u32
    }

    /// Terminates `n` instances in service at once (they fail their health check); the group replaces them.
    pub fn kill(&mut self, n: u32, minute: u64) -> u32 {
        let mut killed = 0;
        while killed < n {
            match self.ready.iter().position(|&r| r <= minute) {
                Some(i) => {
                    self.ready.swap_remove(i);
                    killed += 1;
                }
                None => break,
            }
        }
        killed
    }

    /// A new policy, at the start of minute `minute`: its limits apply to desired capacity now, and the
    /// group launches or terminates to match.
    pub fn set_policy(&mut self, policy: GroupPolicy, minute: u64, timing: &Timing) -> GroupEvent {
        let from = self.desired;
        self.policy = policy;
        self.tracking = self.clamp(self.tracking);
        self.desired = self.clamp(self.desired);
        self.last_activity = Some(minute);
        self.reconcile(minute, timing);
        GroupEvent { minute, activity: Activity::Policy, from, to: self.desired }
    }

    /// Desired capacity set at the start of minute `minute` (within the limits), as AWS's SetDesiredCapacity
    /// without honouring the cooldown: the group launches or terminates to match, and scaling goes on from
    /// there. A group not yet sized to its load (the twin's first minute) takes the capacity in service at once,
    /// as the twin's start does.
    pub fn set_desired(&mut self, desired: u32, minute: u64, timing: &Timing) -> GroupEvent {
        let from = self.desired;
        self.desired = self.clamp(desired);
        self.tracking = self.desired;
        self.last_activity = Some(minute);
        if self.sized {
            self.reconcile(minute, timing);
        } else {
            self.sized = true;
            self.ready = vec![minute; self.desired as usize];
        }
        GroupEvent { minute, activity: Activity::SetDesired, from, to: self.desired }
    }

    /// Launches (at the start of minute `launched`) or terminates instances to match desired capacity:
    /// pending ones go first, then the newest in service.
    fn reconcile(&mut self, launched: u64, timing: &Timing) {
        let n = self.instances();
        if n < self.desired {
            let ready = launched + timing.launch_min;
            self.ready.extend(std::iter::repeat_n(ready, (self.desired - n) as usize));
        } else if n > self.desired {
            self.ready.sort_unstable();
            self.ready.truncate(self.desired as usize);
        }
    }

    /// One instance's queue under a mix of mean CPU `mean_ms`.
    fn queue(&self, mean_ms: f64) -> Queue {
        Queue { servers: self.policy.instance.vcpus, rate_per_s: 1000.0 / mean_ms }
    }

    /// What a play call meets on an idle group.
    pub fn idle(&self, timing: &Timing) -> QueueMinute {
        self.queue(mean_cpu_ms(&[0.0; API_TYPES.len()])).minute(0.0, 0.0, timing.timeout_s, PLAY_SERVICE_S)
    }

    /// One minute of `rps` (total requests a second, of mean CPU `mean_ms`), and the scaling decisions it
    /// leads to. `forecast(m)`: the forecast requests a second at minute `m` (predictive scaling).
    pub fn step(
        &mut self,
        minute: u64,
        rps: f64,
        mean_ms: f64,
        timing: &Timing,
        forecast: impl Fn(u64) -> Option<f64>,
        events: &mut Vec<GroupEvent>,
    ) -> GroupMinute {
        if !self.sized {
            // The twin starts with the group at the size its load needs, all in service.
            self.sized = true;
            self.tracking = self.clamp((rps / self.target_rps(mean_ms)).ceil() as u32);
            self.desired = self.tracking;
            self.ready = vec![0; self.desired as usize];
        }
        // Instances lost since the last minute (failed, killed) are replaced.
        if self.instances() < self.desired {
            let event =
                GroupEvent { minute, activity: Activity::Replace, from: self.in_service(minute), to: self.desired };
            events.push(event);
            self.reconcile(minute, timing);
        }
        let in_service = self.in_service(minute);
        let queue = if in_service == 0 {
            QueueMinute::down(rps, timing.timeout_s)
        } else {
            // The backlog is the group's: the load balancer spreads it over the instances in service now.
            let n = in_service as f64;
            let q = self.queue(mean_ms).minute(rps / n, self.backlog / n, timing.timeout_s, PLAY_SERVICE_S);
            QueueMinute { backlog: q.backlog * n, ..q }
        };
        self.backlog = queue.backlog;

        // No scale-in while instances are pending or warming, nor within the cooldown after any activity.
        let settled = self.ready.iter().all(|&r| r + timing.warmup_min <= minute)
            && self.last_activity.is_none_or(|a| minute >= a + timing.cooldown_min);
        if in_service == 0 {
            // No data point: the alarms hold; with load and nothing launching, launch one.
            if rps > 0.0 && self.instances() == 0 {
                self.tracking = self.tracking.max(self.clamp(1));
            }
        } else {
            // Target tracking, on this minute's data point.
            let ratio = match self.policy.metric {
                ScalingMetric::Cpu => queue.utilization.min(1.0) / self.policy.target,
                ScalingMetric::Requests => rps / in_service as f64 / self.policy.target,
            };
            self.high_points = if ratio > 1.0 { self.high_points + 1 } else { 0 };
            self.low_points = if ratio < LOW_ALARM_SHARE { self.low_points + 1 } else { 0 };
            let wanted = (in_service as f64 * ratio).ceil() as u32;
            if self.high_points >= HIGH_ALARM_POINTS {
                // Instances pending or warming count as capacity already: scale out only past them.
                self.tracking = self.clamp(self.tracking.max(wanted));
            } else if self.low_points >= LOW_ALARM_POINTS && settled {
                let step = ((in_service as f64 * SCALE_IN_STEP).ceil() as u32).max(1);
                let floor = in_service.saturating_sub(step).max(self.policy.protected.min(in_service));
                self.tracking = self.tracking.min(self.clamp(wanted.max(floor)));
            }
        }
        // Predictive scaling raises the floor to what the forecast peak ahead needs.
        let predicted = match self.policy.kind {
            ScalingKind::Predictive => (minute + 1..=minute + timing.lead_min)
                .filter_map(&forecast)
                .reduce(f64::max)
                .map_or(0, |peak| (peak / self.target_rps(mean_ms)).ceil() as u32),
            ScalingKind::TargetTracking => 0,
        };
        let from = self.desired;
        let to = if predicted > from {
            self.clamp(predicted.max(self.tracking))
        } else if self.tracking > from {
            self.tracking
        } else if self.tracking < from && settled && self.low_points >= LOW_ALARM_POINTS {
            // Down only by target tracking's scale-in, a tenth at most, and never below the forecast's floor.
            let step = ((from as f64 * SCALE_IN_STEP).ceil() as u32).max(1);
            self.clamp(self.tracking.max(predicted).max(from.saturating_sub(step)))
        } else {
            from
        };
        if to != from {
            self.desired = to;
            self.last_activity = Some(minute);
            let activity = if to > from { Activity::ScaleOut } else { Activity::ScaleIn };
            events.push(GroupEvent { minute, activity, from, to });
        }
        let billed = self.instances();
        // The group acts on its new desired capacity at once: launches start with the next minute.
        self.reconcile(minute + 1, timing);
        GroupMinute { in_service, pending: billed - in_service, queue, desired: self.desired, billed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: u32, max: u32) -> GroupPolicy {
        GroupPolicy {
            kind: ScalingKind::TargetTracking,
            min,
            max,
            protected: 0,
            metric: ScalingMetric::Requests,
            target: 100.0,
            instance: InstanceType { name: "t".into(), vcpus: 2, usd_per_hour: 0.1 },
        }
    }

    const TIMING: Timing = Timing { launch_min: 4, warmup_min: 5, cooldown_min: 5, lead_min: 9, timeout_s: 1.0 };

    /// Runs minutes `from..to` at `rps`, returning the events.
    fn run(g: &mut Group, from: u64, to: u64, rps: impl Fn(u64) -> f64) -> Vec<GroupEvent> {
        let mut events = Vec::new();
        for m in from..to {
            g.step(m, rps(m), 10.0, &TIMING, |_| None, &mut events);
        }
        events
    }

    #[test]
    fn an_idle_group_stays_put() {
        let mut g = Group::new(policy(0, 50));
        assert!(run(&mut g, 0, 60, |_| 0.0).is_empty());
        assert_eq!(g.instances(), 0);
    }

    #[test]
    fn a_scale_out_serves_after_the_launch_time() {
        let mut g = Group::new(policy(1, 50));
        run(&mut g, 0, 10, |_| 400.0);
        assert_eq!(g.in_service(10), 4);
        // Load doubles from minute 10: the alarm fires on the third point (minute 12), instances launched at
        // the start of minute 13 serve from minute 17.
        let events = run(&mut g, 10, 13, |_| 800.0);
        assert_eq!(events, [GroupEvent { minute: 12, activity: Activity::ScaleOut, from: 4, to: 8 }]);
        assert_eq!((g.in_service(16), g.in_service(17)), (4, 8));
    }

    #[test]
    fn killed_instances_are_replaced_without_overshoot() {
        let mut g = Group::new(policy(1, 50));
        run(&mut g, 0, 10, |_| 400.0);
        g.kill(4, 10);
        let events = run(&mut g, 10, 30, |_| 400.0);
        assert_eq!(events, [GroupEvent { minute: 10, activity: Activity::Replace, from: 0, to: 4 }]);
        assert_eq!((g.desired, g.in_service(14)), (4, 4));
    }

    #[test]
    fn scale_in_waits_for_the_low_alarm_and_sheds_a_tenth_at_most() {
        let mut g = Group::new(policy(1, 100));
        run(&mut g, 0, 10, |_| 4000.0);
        assert_eq!(g.desired, 40);
        let events = run(&mut g, 10, 40, |_| 400.0);
        let ins: Vec<_> = events.iter().filter(|e| e.activity == Activity::ScaleIn).collect();
        assert_eq!(ins[0].minute, 10 + LOW_ALARM_POINTS as u64 - 1, "{events:?}");
        assert_eq!((ins[0].from, ins[0].to), (40, 36));
        // Each later scale-in waits out the cooldown.
        assert!(ins.windows(2).all(|w| w[1].minute >= w[0].minute + TIMING.cooldown_min), "{ins:?}");
    }

    #[test]
    fn predictive_capacity_is_a_floor_that_comes_down_only_by_scale_in() {
        let mut g = Group::new(GroupPolicy { kind: ScalingKind::Predictive, ..policy(1, 100) });
        let mut events = Vec::new();
        // A forecast of 4,000 requests/s ahead raises capacity before the load arrives.
        for m in 0..5 {
            g.step(m, 400.0, 10.0, &TIMING, |_| Some(4000.0), &mut events);
        }
        assert_eq!(g.desired, 40);
        // The forecast drops: capacity comes down by target tracking's scale-in, a tenth at a time.
        for m in 5..40 {
            g.step(m, 400.0, 10.0, &TIMING, |_| Some(400.0), &mut events);
        }
        let ins: Vec<_> = events.iter().filter(|e| e.activity == Activity::ScaleIn).collect();
        assert!(!ins.is_empty() && ins.iter().all(|e| e.from - e.to <= e.from.div_ceil(10)), "{ins:?}");
    }
}
