//! One region's EC2 Auto Scaling group of API instances, with the semantics AWS documents:
//!
//! - desired capacity within [min, max]; the group launches or terminates instances to match it, and replaces
//!   instances that fail their health check (a killed or failed instance is noticed at the next minute);
//! - a launched instance is pending for `launch_s`, then in service; for `warmup_s` after that its metrics do
//!   not count, and while any instance is pending or warming the group does not scale in;
//! - target tracking: the high alarm fires when the metric is over target for 3 consecutive 1-minute data
//!   points, and the group scales out to `in service × metric ÷ target`; the low alarm fires after 15
//!   consecutive points under 90% of target (AWS's low alarm sits a little below target: the 90% is assumed),
//!   and the group then scales in, by at most a tenth at a time, never within the cooldown after any
//!   scaling activity;
//! - scale-in protection keeps `protected` instances from being terminated by a scale-in;
//! - predictive scaling (beside target tracking, the larger wins) sizes the group for the forecast load
//!   `launch_s + predictive_buffer_s` ahead, so instances are in service before the ramp arrives.

use serde::{Deserialize, Serialize};

use super::queue::{Queue, QueueMinute};
use super::requests::{RequestType, mean_cpu_ms};
use crate::scenario::{FleetSpec, MAX_INSTANCES, ScalingKind, ScalingMetric};

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
            ScalingMetric::Requests => self.target > 0.0 && self.target.is_finite(),
        };
        if !target_ok {
            return Err(format!("target {} is not a CPU share in (0, 1) or a positive request rate", self.target));
        }
        if self.instance.vcpus == 0 || !(self.instance.usd_per_hour >= 0.0 && self.instance.usd_per_hour.is_finite()) {
            return Err("an instance type needs at least one vCPU and a price of 0 or more".into());
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

    /// A new policy, at once: its limits apply to desired capacity now.
    pub fn set_policy(&mut self, policy: GroupPolicy, minute: u64) -> GroupEvent {
        let from = self.desired;
        self.policy = policy;
        self.tracking = self.clamp(self.tracking);
        self.desired = self.clamp(self.desired);
        self.last_activity = Some(minute);
        GroupEvent { minute, activity: Activity::Policy, from, to: self.desired }
    }

    /// Launches or terminates instances to match desired capacity: pending ones go first, then the newest
    /// in service; protected instances stay.
    fn reconcile(&mut self, minute: u64, timing: &Timing) {
        let n = self.instances();
        if n < self.desired {
            let ready = minute + timing.launch_min;
            self.ready.extend(std::iter::repeat_n(ready, (self.desired - n) as usize));
        } else if n > self.desired {
            self.ready.sort_unstable();
            self.ready.truncate(self.desired.max(self.policy.protected.min(self.in_service(minute))) as usize);
        }
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
        let mean_ms = if mean_ms > 0.0 { mean_ms } else { mean_cpu_ms(&[0.0; 6]) };
        if !self.sized {
            // The twin starts with the group at the size its load needs, all in service.
            self.sized = true;
            self.tracking = self.clamp((rps / self.target_rps(mean_ms)).ceil() as u32);
            self.desired = self.tracking;
            self.ready = vec![0; self.desired as usize];
        }
        // Instances lost since the last minute (failed, killed) are replaced.
        if self.instances() < self.desired {
            events.push(GroupEvent {
                minute,
                activity: Activity::Replace,
                from: self.in_service(minute),
                to: self.desired,
            });
        }
        self.reconcile(minute, timing);
        let in_service = self.in_service(minute);
        let queue = if in_service == 0 {
            QueueMinute::down(rps, timing.timeout_s)
        } else {
            let q = Queue { servers: self.policy.instance.vcpus, rate_per_s: 1000.0 / mean_ms };
            q.minute(rps / in_service as f64, self.backlog, timing.timeout_s, RequestType::Play.cpu_ms() / 1000.0)
        };
        self.backlog = queue.backlog;

        // Target tracking, on this minute's data point.
        let ratio = match self.policy.metric {
            ScalingMetric::Cpu => queue.utilization.min(1.0) / self.policy.target,
            ScalingMetric::Requests if in_service > 0 => rps / in_service as f64 / self.policy.target,
            ScalingMetric::Requests => f64::INFINITY,
        };
        let ratio = if in_service == 0 && rps > 0.0 { f64::INFINITY } else { ratio };
        self.high_points = if ratio > 1.0 { self.high_points + 1 } else { 0 };
        self.low_points = if ratio < LOW_ALARM_SHARE { self.low_points + 1 } else { 0 };
        // No scale-in while instances are pending or warming, nor within the cooldown after any activity.
        let settled = self.ready.iter().all(|&r| r + timing.warmup_min <= minute)
            && self.last_activity.is_none_or(|a| minute >= a + timing.cooldown_min);
        if self.high_points >= HIGH_ALARM_POINTS {
            // Instances pending or warming count as capacity already: scale out only past them.
            let wanted = if ratio.is_finite() {
                (in_service.max(1) as f64 * ratio).ceil() as u32
            } else {
                self.desired.max(1) * 2
            };
            self.tracking = self.clamp(self.tracking.max(wanted));
        } else if self.low_points >= LOW_ALARM_POINTS && settled {
            let step = ((in_service as f64 * SCALE_IN_STEP).ceil() as u32).max(1);
            let wanted = ((in_service as f64 * ratio).ceil() as u32).max(in_service.saturating_sub(step));
            self.tracking = self.tracking.min(self.clamp(wanted.max(self.policy.protected.min(in_service))));
        }
        let predicted = match self.policy.kind {
            ScalingKind::Predictive => (minute + 1..=minute + timing.lead_min)
                .filter_map(&forecast)
                .reduce(f64::max)
                .map(|peak| (peak / self.target_rps(mean_ms)).ceil() as u32),
            ScalingKind::TargetTracking => None,
        };
        let from = self.desired;
        let to = self.clamp(self.tracking.max(predicted.unwrap_or(0)));
        if to > from || (to < from && settled) {
            self.desired = to;
            self.last_activity = Some(minute);
            let activity = if to > from { Activity::ScaleOut } else { Activity::ScaleIn };
            events.push(GroupEvent { minute, activity, from, to });
        }
        let billed = self.instances();
        // The group acts on its new desired capacity at once; what is missing at the next minute was lost.
        self.reconcile(minute, timing);
        GroupMinute { in_service, pending: billed - in_service, queue, desired: self.desired, billed }
    }
}
