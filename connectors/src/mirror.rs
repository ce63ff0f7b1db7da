//! The mirror: every source polled on the configuration's interval, on a thread of its own, into one shared
//! state the console reads each frame (`Mirror::state`). A source that fails backs off (`fault::backoff`) and
//! shows why; one whose newest data is too old shows as stale. Actions on the real system go through here too,
//! and are logged (what was done, never with what credentials).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use twin::ingest::Bucket;
use twin::kpi::KpiId;

use crate::actions::{self, Action};
use crate::autoscaling::GroupState;
use crate::config::MirrorConfig;
use crate::fault::{Fault, FaultKind, backoff};
use crate::health::SiteHealth;
use crate::source::{Observation, Source, SourceKind, Target};

/// CloudWatch's data arrives a few minutes late; a series is stale once its newest point is older than three
/// periods and this.
pub const CLOUDWATCH_LAG_S: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// Not polled yet.
    Waiting,
    Ok,
    /// Polled fine, but its newest data is too old to show as the present.
    Stale,
    Throttled,
    Failing,
}

impl SourceState {
    pub fn label(self) -> &'static str {
        match self {
            SourceState::Waiting => "waiting",
            SourceState::Ok => "ok",
            SourceState::Stale => "stale",
            SourceState::Throttled => "throttled",
            SourceState::Failing => "failing",
        }
    }
}

/// One source as the connection panel shows it.
#[derive(Clone, Debug)]
pub struct SourceStatus {
    pub name: String,
    pub kind: SourceKind,
    /// The last poll's fault, if it failed.
    pub fault: Option<Fault>,
    /// When the last poll that worked ended, and the time of the newest data it brought (seconds since the Unix
    /// epoch; CloudWatch's newest point, else the poll's time).
    pub last_good_s: Option<i64>,
    pub newest_data_s: Option<i64>,
    /// Data older than this is stale.
    pub stale_after_s: i64,
    pub latency_ms: Option<f64>,
    /// Failed polls in a row, and in all; polls in all.
    pub failures: u32,
    pub errors: u64,
    pub polls: u64,
}

impl SourceStatus {
    /// Its state at `now_s`.
    pub fn state(&self, now_s: i64) -> SourceState {
        match (&self.fault, self.newest_data_s) {
            (Some(f), _) if f.kind == FaultKind::Throttled => SourceState::Throttled,
            (Some(_), _) => SourceState::Failing,
            (None, None) if self.polls == 0 => SourceState::Waiting,
            (None, Some(t)) if now_s - t <= self.stale_after_s => SourceState::Ok,
            (None, _) => SourceState::Stale,
        }
    }

    /// Why it is in its state at `now_s` (empty when ok).
    pub fn reason(&self, now_s: i64) -> String {
        match (self.state(now_s), &self.fault, self.newest_data_s) {
            (SourceState::Throttled | SourceState::Failing, Some(f), _) => f.to_string(),
            (SourceState::Stale, _, Some(t)) => {
                format!("newest data is {} old (data older than {} is stale)", age(now_s - t), age(self.stale_after_s))
            }
            (SourceState::Stale, _, None) => format!("no data in the last {}", age(crate::source::WINDOW_S)),
            (SourceState::Waiting, _, _) => "not polled yet".into(),
            _ => String::new(),
        }
    }
}

/// "45 s", "12 min", "3 h 05 min".
pub fn age(s: i64) -> String {
    match s.max(0) {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// One site's mirrored state: each value with its time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteObserved {
    pub egress_gbps: Option<(i64, f64)>,
    pub utilization: Option<(i64, f64)>,
    pub up: Option<(i64, bool)>,
    pub health: Option<(i64, SiteHealth)>,
}

impl SiteObserved {
    /// In service: what its health endpoint says, else its `up` metric; None when neither is known.
    pub fn in_service(&self) -> Option<bool> {
        match (&self.health, self.up) {
            (Some((_, h)), _) => Some(h.health != crate::health::Health::Down),
            (None, Some((_, up))) => Some(up),
            (None, None) => None,
        }
    }
}

/// Everything mirrored so far.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Each mapped KPI's points over the last `source::WINDOW_S`, oldest first.
    pub kpis: Vec<(KpiId, Vec<(i64, f64)>)>,
    pub sites: BTreeMap<String, SiteObserved>,
    pub groups: Vec<GroupState>,
    /// Each group's state at each poll (by name), oldest first: the last `GROUP_POLLS_KEPT`.
    pub group_polls: BTreeMap<String, VecDeque<GroupPoll>>,
    pub buckets: Vec<Bucket>,
}

/// A group's instances at one poll (seconds since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupPoll {
    pub t_s: i64,
    pub desired: u32,
    pub in_service: u32,
    pub pending: u32,
}

/// Polls kept per group: six hours at the shortest interval (10 s).
pub const GROUP_POLLS_KEPT: usize = 6 * 360;

/// An action taken on the real system, as the log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRecord {
    pub at_s: i64,
    pub action: String,
    /// What it did (the objects written, the capacity set), or why it failed.
    pub outcome: Result<String, String>,
}

/// The mirror's state, as the console reads it.
#[derive(Clone, Debug)]
pub struct MirrorState {
    /// The deployment's name, and where calls go (AWS, or the emulator's URL).
    pub name: String,
    pub endpoint: String,
    pub region: String,
    pub sources: Vec<SourceStatus>,
    pub observed: Observed,
    pub actions: Vec<ActionRecord>,
    /// Actions taken but not through yet.
    pub acting: usize,
}

impl MirrorState {
    /// The worst state of any source at `now_s`, for the top bar.
    pub fn worst(&self, now_s: i64) -> SourceState {
        let rank = |s: SourceState| match s {
            SourceState::Ok => 0,
            SourceState::Waiting => 1,
            SourceState::Stale => 2,
            SourceState::Throttled => 3,
            SourceState::Failing => 4,
        };
        self.sources.iter().map(|s| s.state(now_s)).max_by_key(|s| rank(*s)).unwrap_or(SourceState::Waiting)
    }

    /// Every source of `config` not polled yet.
    fn new(config: &MirrorConfig, sources: &[Source]) -> MirrorState {
        let interval_s = *config.poll_seconds.get_ref() as i64;
        let period_s = *config.cloudwatch.period_seconds.get_ref() as i64;
        let statuses = sources
            .iter()
            .map(|s| SourceStatus {
                name: s.name(),
                kind: s.kind(),
                fault: None,
                last_good_s: None,
                newest_data_s: None,
                stale_after_s: match s.kind() {
                    SourceKind::CloudWatch => 3 * period_s + CLOUDWATCH_LAG_S,
                    _ => 3 * interval_s,
                },
                latency_ms: None,
                failures: 0,
                errors: 0,
                polls: 0,
            })
            .collect();
        MirrorState {
            name: config.name.clone(),
            endpoint: config.endpoint().unwrap_or_else(|| "AWS".into()),
            region: config.region.get_ref().clone(),
            sources: statuses,
            observed: Observed::default(),
            actions: Vec::new(),
            acting: 0,
        }
    }

    /// Takes in one poll of source `i`.
    fn record(&mut self, i: usize, result: Result<Observation, Fault>, latency_ms: f64) {
        let s = &mut self.sources[i];
        s.polls += 1;
        s.latency_ms = Some(latency_ms);
        match result {
            Ok(o) => self.take(i, o, now_s()),
            Err(f) => {
                s.failures += 1;
                s.errors += 1;
                s.fault = Some(f);
            }
        }
    }

    fn take(&mut self, source: usize, observation: Observation, now_s: i64) {
        let newest = match observation {
            Observation::Metrics(series) => {
                let newest = series.iter().filter_map(|(_, points)| points.last().map(|p| p.0)).max();
                self.observed.kpis.clear();
                for (target, points) in series {
                    match target {
                        Target::Kpi(k) => self.observed.kpis.push((k, points)),
                        Target::Site { site, state } => {
                            let Some(&(t, v)) = points.last() else { continue };
                            let s = self.observed.sites.entry(site).or_default();
                            match state.as_str() {
                                "egress_gbps" => s.egress_gbps = Some((t, v)),
                                "utilization" => s.utilization = Some((t, v)),
                                _ => s.up = Some((t, v >= 0.5)),
                            }
                        }
                    }
                }
                newest
            }
            Observation::Groups(groups) => {
                for g in &groups {
                    let polls = self.observed.group_polls.entry(g.name.clone()).or_default();
                    if polls.len() == GROUP_POLLS_KEPT {
                        polls.pop_front();
                    }
                    let (desired, in_service, pending) = (g.desired, g.in_service, g.pending);
                    polls.push_back(GroupPoll { t_s: now_s, desired, in_service, pending });
                }
                let region = groups.first().map(|g| g.region.clone());
                self.observed.groups.retain(|g| Some(&g.region) != region.as_ref());
                self.observed.groups.extend(groups);
                self.observed.groups.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
                Some(now_s)
            }
            Observation::Bucket(bucket) => {
                match self.observed.buckets.iter_mut().find(|b| b.name == bucket.name) {
                    Some(b) => *b = bucket,
                    None => self.observed.buckets.push(bucket),
                }
                Some(now_s)
            }
            Observation::Health { site, health } => {
                self.observed.sites.entry(site).or_default().health = Some((now_s, health));
                Some(now_s)
            }
        };
        let s = &mut self.sources[source];
        s.fault = None;
        s.failures = 0;
        s.last_good_s = Some(now_s);
        s.newest_data_s = newest;
    }
}

/// One poll, for whoever watches the mirror (the console's repaint, the soak benchmark).
#[derive(Clone, Copy, Debug)]
pub struct PollEvent {
    pub source: usize,
    pub latency_ms: f64,
    pub fault: Option<FaultKind>,
}

pub type OnPoll = Arc<dyn Fn(PollEvent) + Send + Sync>;

/// A running mirror. Dropping it stops its thread.
pub struct Mirror {
    state: Arc<Mutex<MirrorState>>,
    wake: Arc<Notify>,
    runtime: Option<tokio::runtime::Runtime>,
    ingest_bucket: Option<String>,
    s3: Option<aws_sdk_s3::Client>,
    autoscaling: Vec<(String, aws_sdk_autoscaling::Client)>,
}

/// Polls every source of `config` once, all at the same time: what `edgetwin mirror --probe` prints.
pub async fn probe(config: &MirrorConfig) -> MirrorState {
    let sources = Source::all(config).await;
    let mut state = MirrorState::new(config, &sources);
    let mut polls = tokio::task::JoinSet::new();
    for (i, source) in sources.into_iter().enumerate() {
        polls.spawn(async move { (i, source.poll(now_s()).await) });
    }
    while let Some(joined) = polls.join_next().await {
        if let Ok((i, (result, latency_ms))) = joined {
            state.record(i, result, latency_ms);
        }
    }
    state
}

pub fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Mirror {
    /// Starts polling every source of `config` at once, then on its interval; `on_poll` hears of each poll.
    pub fn start(config: &MirrorConfig, on_poll: Option<OnPoll>) -> std::io::Result<Mirror> {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("mirror").enable_all().build()?;
        let sources = runtime.block_on(Source::all(config));
        let interval = Duration::from_secs(*config.poll_seconds.get_ref());
        let state = Arc::new(Mutex::new(MirrorState::new(config, &sources)));
        let wake = Arc::new(Notify::new());
        let mut s3 = None;
        let mut autoscaling = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            match &source {
                Source::S3 { client, .. } => s3 = Some(client.clone()),
                Source::AutoScaling { client, groups, .. } => {
                    autoscaling.extend(groups.iter().map(|g| (g.clone(), client.clone())));
                }
                _ => {}
            }
            let (state, wake, on_poll) = (state.clone(), wake.clone(), on_poll.clone());
            runtime.spawn(async move {
                loop {
                    let (result, latency_ms) = source.poll(now_s()).await;
                    let fault = result.as_ref().err().map(|f| f.kind);
                    let wait = {
                        let mut st = lock(&state);
                        st.record(i, result, latency_ms);
                        backoff(interval, st.sources[i].failures)
                    };
                    if let Some(f) = &on_poll {
                        f(PollEvent { source: i, latency_ms, fault });
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = wake.notified() => {}
                    }
                }
            });
        }
        Ok(Mirror {
            state,
            wake,
            runtime: Some(runtime),
            ingest_bucket: config.s3.ingest.as_ref().map(|b| b.get_ref().clone()),
            s3,
            autoscaling,
        })
    }

    /// The state now (locked for as long as it is held: read it and let go).
    pub fn state(&self) -> MutexGuard<'_, MirrorState> {
        lock(&self.state)
    }

    /// Polls every source now, whatever their interval or backoff.
    pub fn poll_now(&self) {
        self.wake.notify_waiters();
    }

    /// Carries out an action on the real system in the background, logs it, and polls again after.
    pub fn act(&self, action: Action) {
        let Some(runtime) = &self.runtime else { return };
        let (state, wake) = (self.state.clone(), self.wake.clone());
        let s3 = self.s3.clone();
        let ingest = self.ingest_bucket.clone();
        let group = match &action {
            Action::SetDesired { group, .. } => self.autoscaling.iter().find(|g| &g.0 == group).map(|g| g.1.clone()),
            _ => None,
        };
        lock(&state).acting += 1;
        runtime.spawn(async move {
            let described = action.to_string();
            let outcome = actions::run(&action, s3.as_ref(), ingest.as_deref(), group.as_ref(), now_s())
                .await
                .map_err(|f| f.to_string());
            let mut st = lock(&state);
            st.acting -= 1;
            st.actions.push(ActionRecord { at_s: now_s(), action: described, outcome });
            drop(st);
            wake.notify_waiters();
        });
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn lock(state: &Mutex<MirrorState>) -> MutexGuard<'_, MirrorState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}
