//! The discrete-event engine. Time advances a minute at a time. At the start of a minute the capacity model
//! (`crate::capacity`) says what every server and link can give; then every metro, on whichever worker thread
//! takes it, plays the minute of its sessions that need it (those on a busy or failed server, or switched
//! down), starts its new plays, and ends those whose last minute it was (`metro`).
//!
//! Byte accounting is exact integer arithmetic on accounts: every appliance, every metro's misses (served from
//! its origin), and per member region the edge, origin, in-ISP and transit books. An account carries the
//! summed bitrate of its streams; a minute moves that × 60 s, except on a server where some stream got less
//! than it asked, whose bytes are the sum of what its streams got (and the region books lose the shortfall).
//! Every session counts its own bytes the same way, so edge + origin bytes equal the bytes of every session, to
//! the byte.
//!
//! Each metro draws from its own random streams keyed by (metro, minute), owns its sessions, and every
//! accumulator is an integer sum, so results are bit-identical for any number of threads.

mod metro;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Offset, TimeZone};

use crate::capacity::{Capacity, FillRequest, Load};
use crate::catalog::FileId;
use crate::demand::{HourPopularity, Surge};
use crate::events::{Event, Members, Sampling};
use crate::fill::FillMinute;
use crate::fleet::{ApiLoad, Fleet};
use crate::ingest::TitleBytes;
use crate::kpi::{self, COARSE_BINS, COARSE_FACTOR, HIST_BINS, History, KpiSample};
use crate::model::Model;
use crate::placement::Placement;
use crate::region::REGIONS;
use crate::scenario::{MAX_APPLIANCES_PER_SITE, MAX_CODECS, MAX_METROS, MAX_RUNGS, MAX_SITES};
use crate::session::MetroSessions;
use crate::steering::Target;
use crate::time::{LocalClock, SECONDS_PER_MINUTE, SimTime};
use crate::trace::Request;
use crate::world::SiteId;

use metro::{MinuteCtx, finish_minute, start_minute};

/// Minutes of per-site history kept for inspectors.
pub const SITE_HISTORY_MINUTES: usize = 6 * 60;
const REGION_BOOKS: usize = 4;

/// A member region's books: bytes served from the edge, from the origin, by in-ISP appliances, from another
/// region's sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Book {
    Edge = 0,
    Origin = 1,
    InIsp = 2,
    Transit = 3,
}

/// Where each account lives in the account vectors: server accounts (appliances, then one per metro for its
/// misses), then the region books.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Accounts {
    pub appliances: usize,
    pub metros: usize,
}

impl Accounts {
    pub fn servers(self) -> usize {
        self.appliances + self.metros
    }
    pub fn total(self) -> usize {
        self.servers() + REGION_BOOKS * REGIONS.len()
    }
    pub fn metro_origin(self, metro: usize) -> usize {
        self.appliances + metro
    }
    pub fn book(self, book: Book, region: usize) -> usize {
        self.servers() + book as usize * REGIONS.len() + region
    }
}

/// What the play path reads of an appliance: its site, its site's region, and whether the site is embedded in an
/// ISP. A dense copy of those `World::appliances` fields, a quarter of an `Appliance`'s size, so the table stays
/// in cache where every play and every end reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ApplianceHome {
    pub site: SiteId,
    pub region: u8,
    pub embedded: bool,
}

/// A minute's change to an account: streams' summed bitrate and their number (a minute moves far less than
/// 2^31 kbps on one account).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Delta {
    pub rate_kbps: i32,
    pub sessions: i32,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RegionCounters {
    pub plays: u64,
    pub ebvs: u64,
    pub start_failures: u64,
    pub playback_failures: u64,
    pub stall_exits: u64,
    pub rebuffer_ms: u64,
    pub switches_down: u64,
    pub switches_up: u64,
    pub failovers: u64,
    /// Startup time of the plays that started, summed, in microseconds.
    pub startup_us: u64,
}

/// One worker thread's accumulators for a minute.
#[derive(Clone, Debug)]
pub(crate) struct Worker {
    /// Changes that count for this minute's bytes (starts, switches up, moves), and changes after it (ends,
    /// switches down).
    pub now: Vec<Delta>,
    pub after: Vec<Delta>,
    /// Streams per server account and rendition that this worker started less those it ended (the engine's
    /// count is the sum over workers: summing the arrays costs less than emptying them into it every minute).
    pub hist: Vec<i32>,
    /// Changes to `hist` not yet made, each `index << 1 | removed`: a metro's half-minute makes them in one pass
    /// at its end, where the misses into the large table overlap instead of stalling the play path one by one.
    pub hist_changes: Vec<u32>,
    /// Bytes of the streams on throttled server accounts, and the shortfall of the region books.
    pub throttled_bytes: Vec<u64>,
    pub shortfall_bytes: Vec<u64>,
    pub regions: [RegionCounters; REGIONS.len()],
    pub region_hist: Vec<u32>,
    pub site_plays: Vec<u32>,
    pub site_hist: Vec<u32>,
    /// Bitrate of the plays each appliance started this minute (for the offered-load estimate).
    pub started_kbps: Vec<i64>,
    /// Requests offered to the recorded site this minute: (metro, order within the metro, file).
    pub recorded: Vec<(u32, u32, u32)>,
    /// Requests offered to reactive sites this minute: (site, metro, order within the metro, file).
    pub reactive: Vec<(u32, u32, u32, u32)>,
    /// Bytes of the plays each site was offered first this minute, and of those it served.
    pub site_offered_bytes: Vec<u64>,
    pub site_hit_bytes: Vec<u64>,
    /// Bytes streamed per region and video (`[region × videos + video]`) and per region and rendition, since
    /// the region's day began (the sum over workers is the popularity the predictor learns).
    pub video_bytes: Vec<u64>,
    pub rendition_bytes: Vec<u64>,
    /// Bytes of the plays of each place reserved for ingest (`Catalog::slots`, one video each).
    pub title_bytes: Vec<TitleBytes>,
    /// Bytes of the sessions that ended.
    pub ended_bytes: u128,
    /// Plays per control-plane region this minute.
    pub cp_plays: Vec<u64>,
    /// The minute's plays, drawn before they are steered.
    pub draws: Vec<metro::Draw>,
    /// The metro's members going on to their next episode this minute.
    pub binging: Vec<crate::session::Continuation>,
    /// The metro's sessions below the rendition they started at (a list kept for its room).
    pub scratch: Vec<u32>,
}

// A `hist_changes` entry keeps its index into `hist` in 31 bits, in any scenario that validates.
const _: () = assert!((MAX_SITES * MAX_APPLIANCES_PER_SITE as usize + MAX_METROS) * MAX_CODECS * MAX_RUNGS < 1 << 31);

impl Worker {
    /// Takes over another worker's counts that are summed over workers (the sums stay the same).
    fn take_counts(&mut self, other: &mut Worker) {
        self.hist.iter_mut().zip(&mut other.hist).for_each(|(t, f)| *t += std::mem::take(f));
        self.video_bytes.iter_mut().zip(&mut other.video_bytes).for_each(|(t, f)| *t += std::mem::take(f));
        self.rendition_bytes.iter_mut().zip(&mut other.rendition_bytes).for_each(|(t, f)| *t += std::mem::take(f));
    }

    fn new(model: &Model, accounts: Accounts) -> Worker {
        let sites = model.world.sites.len();
        let renditions = model.catalog.renditions.len();
        Worker {
            now: vec![Delta::default(); accounts.total()],
            after: vec![Delta::default(); accounts.total()],
            hist: vec![0; accounts.servers() * renditions],
            hist_changes: Vec::new(),
            throttled_bytes: vec![0; accounts.servers()],
            shortfall_bytes: vec![0; REGION_BOOKS * REGIONS.len()],
            regions: Default::default(),
            region_hist: vec![0; REGIONS.len() * HIST_BINS],
            site_plays: vec![0; sites],
            site_hist: vec![0; sites * COARSE_BINS],
            started_kbps: vec![0; accounts.appliances],
            recorded: Vec::new(),
            reactive: Vec::new(),
            site_offered_bytes: vec![0; sites],
            site_hit_bytes: vec![0; sites],
            video_bytes: vec![0; REGIONS.len() * model.catalog.videos.len()],
            rendition_bytes: vec![0; REGIONS.len() * renditions],
            title_bytes: vec![TitleBytes::default(); model.catalog.slots.len()],
            ended_bytes: 0,
            cp_plays: vec![0; model.world.origins.len()],
            draws: Vec::new(),
            binging: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// A site's minute, as the map and the inspector show it.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SiteMinute {
    pub egress_gbps: f32,
    /// Egress ÷ capacity.
    pub utilization: f32,
    pub active_sessions: u32,
    pub plays: u32,
    /// Startup percentiles of the plays it served this minute (0 when none).
    pub startup_p50_ms: f32,
    pub startup_p95_ms: f32,
}

/// Whole-run totals. Bytes are u128: a Netflix-scale day moves about 10^18 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub plays: u64,
    pub ebvs: u64,
    pub start_failures: u64,
    pub playback_failures: u64,
    pub stall_exits: u64,
    /// Bytes of every session that has ended, counted by the session itself.
    pub ended_session_bytes: u128,
    /// Bytes delivered so far, by the servers' books.
    pub edge_bytes: u128,
    pub origin_bytes: u128,
    pub in_isp_bytes: u128,
    pub transit_bytes: u128,
    pub rebuffer_ms: u128,
    pub watch_ms: u128,
    pub stream_seconds: u128,
}

#[derive(Debug)]
pub struct Engine {
    minute: u64,
    accounts: Accounts,
    /// Per account: streams' summed bitrate and their number.
    rate: Vec<i64>,
    sessions: Vec<i64>,
    /// Streams per server account and rendition, `[account × renditions + rendition]`: the workers' counts
    /// summed.
    hist: Vec<i32>,
    metros: Vec<Mutex<MetroSessions>>,
    pub(crate) site_up: Vec<bool>,
    /// Sites removed for good (`Command::RemoveSite`): down, and they cannot come back.
    pub(crate) site_retired: Vec<bool>,
    /// Per S3 origin region, whether it serves.
    pub(crate) origin_up: Vec<bool>,
    /// This minute's capacity (set by `begin_minute`), and the fills it was asked for.
    capacity: Capacity,
    fills: Vec<FillRequest>,
    /// Per appliance, bitrate of the plays steering offers it per minute (moving average), for admission.
    offered_kbps: Vec<f64>,
    /// The server accounts each metro's sessions can be on.
    metro_accounts: Arc<Vec<Vec<u32>>>,
    appliance_homes: Arc<Vec<ApplianceHome>>,
    /// Play arrivals are multiplied by the world's scale, and by each region's.
    pub(crate) demand_scale: f64,
    pub(crate) region_demand_scale: [f64; REGIONS.len()],
    /// Titles trending in a region, in force now.
    surges: Vec<Surge>,
    /// While events are on: the members and which are sampled; and the events of the minutes since they were
    /// last taken, in metro order within each minute.
    members: Option<Members>,
    events: Vec<Event>,
    hour: Arc<HourPopularity>,
    utc_offsets_s: Vec<i32>,
    offsets_hour: Option<u64>,
    workers: Vec<Worker>,
    /// Metros, busiest first: the order work is handed out in, so big metros do not straggle.
    metro_order: Vec<u32>,
    /// The site whose offered requests are recorded, and the requests so far.
    pub(crate) recording: Option<(SiteId, Vec<Request>)>,
    /// Popularity is counted from one play in this many (each weighing as many): 1 (every play) up to about
    /// 40 M plays a day.
    popularity_sample: OneIn,

    pub(crate) kpis: History,
    pub(crate) region_kpis: Vec<History>,
    pub(crate) site_now: Vec<SiteMinute>,
    site_history: Vec<SiteMinute>,
    /// Backbone Gbps from the origin into each metro (plays no edge site could take).
    pub(crate) metro_origin_gbps: Vec<f32>,
    /// Since the start, bytes of the plays each site was offered first (it was the best admitting site for
    /// them, held the file or not) and of those it served: its offload.
    pub(crate) site_offered_bytes: Vec<u64>,
    pub(crate) site_hit_bytes: Vec<u64>,
    /// Startup histogram per region over the whole run, for summaries.
    pub(crate) run_hist: Vec<u64>,
    pub(crate) totals: Totals,
    /// Plays per control-plane region in the last minute.
    cp_plays: Vec<u64>,
    /// Since the start, bytes of the plays of each place reserved for ingest, by where they were served from.
    pub(crate) title_bytes: Vec<TitleBytes>,
}

impl Clone for Engine {
    fn clone(&self) -> Engine {
        Engine {
            minute: self.minute,
            accounts: self.accounts,
            rate: self.rate.clone(),
            sessions: self.sessions.clone(),
            hist: self.hist.clone(),
            metros: self
                .metros
                .iter()
                .map(|m| Mutex::new(m.lock().unwrap_or_else(PoisonError::into_inner).clone()))
                .collect(),
            site_up: self.site_up.clone(),
            site_retired: self.site_retired.clone(),
            origin_up: self.origin_up.clone(),
            capacity: self.capacity.clone(),
            fills: self.fills.clone(),
            offered_kbps: self.offered_kbps.clone(),
            metro_accounts: self.metro_accounts.clone(),
            appliance_homes: self.appliance_homes.clone(),
            demand_scale: self.demand_scale,
            region_demand_scale: self.region_demand_scale,
            surges: self.surges.clone(),
            members: self.members.clone(),
            events: self.events.clone(),
            hour: self.hour.clone(),
            utc_offsets_s: self.utc_offsets_s.clone(),
            offsets_hour: self.offsets_hour,
            workers: self.workers.clone(),
            metro_order: self.metro_order.clone(),
            recording: self.recording.clone(),
            popularity_sample: self.popularity_sample,
            kpis: self.kpis.clone(),
            region_kpis: self.region_kpis.clone(),
            site_now: self.site_now.clone(),
            site_history: self.site_history.clone(),
            metro_origin_gbps: self.metro_origin_gbps.clone(),
            site_offered_bytes: self.site_offered_bytes.clone(),
            site_hit_bytes: self.site_hit_bytes.clone(),
            run_hist: self.run_hist.clone(),
            totals: self.totals,
            cp_plays: self.cp_plays.clone(),
            title_bytes: self.title_bytes.clone(),
        }
    }
}

/// The streams per server account and rendition now, into `hist`: the workers' counts summed.
fn sum_hist(hist: &mut [i32], workers: &[Worker]) {
    let (first, rest) = workers.split_first().expect("an engine has a worker");
    hist.copy_from_slice(&first.hist);
    for w in rest {
        hist.iter_mut().zip(&w.hist).for_each(|(h, d)| *h += d);
    }
}

/// One in `n`: which keys a sample of one in `n` takes (those that are multiples of `n`), tested with a multiply
/// instead of a division, as the play path does for every play (Lemire, Kaser and Kurz, "Faster remainder by
/// direct computation", 2019: `x` is a multiple of `n` when `x · ⌈2¹²⁸/n⌉ mod 2¹²⁸ < ⌈2¹²⁸/n⌉`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OneIn {
    pub n: u64,
    /// `⌈2¹²⁸/n⌉` (0 for `n` = 1: every key is taken).
    inverse: u128,
}

impl OneIn {
    pub fn new(n: u64) -> OneIn {
        assert!(n >= 1, "a sample of one in 0");
        OneIn { n, inverse: if n == 1 { 0 } else { u128::MAX / n as u128 + 1 } }
    }

    #[inline]
    pub fn takes(self, key: u64) -> bool {
        self.n == 1 || self.inverse.wrapping_mul(key as u128) < self.inverse
    }
}

/// Runs `step` on every metro, busiest first, spread over the workers (the same results on any number).
fn run_metros(
    workers: &mut [Worker],
    order: &[u32],
    metros: &[Mutex<MetroSessions>],
    ctx: &MinuteCtx,
    step: fn(&MinuteCtx, usize, &mut MetroSessions, &mut Worker),
) {
    let next = AtomicUsize::new(0);
    let work = |w: &mut Worker| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&metro) = order.get(i) else { break };
            let mut store = metros[metro as usize].lock().unwrap_or_else(PoisonError::into_inner);
            step(ctx, metro as usize, &mut store, w);
        }
    };
    if workers.len() == 1 {
        work(&mut workers[0]);
    } else {
        std::thread::scope(|scope| {
            for w in workers.iter_mut() {
                scope.spawn(|| work(w));
            }
        });
    }
}

impl Engine {
    pub fn new(model: &Model) -> Engine {
        let world = &model.world;
        let sites = world.sites.len();
        let accounts = Accounts { appliances: world.appliances.len(), metros: world.metros.len() };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut metro_order: Vec<u32> = (0..world.metros.len() as u32).collect();
        metro_order.sort_by(|&a, &b| {
            world.metros[b as usize].members.total_cmp(&world.metros[a as usize].members).then(a.cmp(&b))
        });
        let metro_accounts = (0..world.metros.len())
            .map(|m| {
                let mut acc: Vec<u32> = world.metro_groups[m]
                    .0
                    .iter()
                    .flat_map(|&g| model.steering.candidates(g as usize))
                    .filter_map(|c| match c.target {
                        Target::Site(s) => Some(world.sites[s.0 as usize].appliances.clone()),
                        Target::Origin(_) => None,
                    })
                    .flatten()
                    .collect();
                acc.push(accounts.metro_origin(m) as u32);
                acc.sort_unstable();
                acc.dedup();
                acc
            })
            .collect();
        let renditions = model.catalog.renditions.len();
        Engine {
            minute: 0,
            accounts,
            rate: vec![0; accounts.total()],
            sessions: vec![0; accounts.total()],
            hist: vec![0; accounts.servers() * renditions],
            metros: (0..world.metros.len()).map(|_| Mutex::new(MetroSessions::default())).collect(),
            site_up: vec![true; sites],
            site_retired: vec![false; sites],
            origin_up: vec![true; world.origins.len()],
            capacity: Capacity::default(),
            fills: Vec::new(),
            // Until an appliance has been seen, assume it is offered a full egress's worth each minute.
            offered_kbps: world.appliances.iter().map(|a| a.egress_gbps * 1e6).collect(),
            metro_accounts: Arc::new(metro_accounts),
            appliance_homes: Arc::new(
                world
                    .appliances
                    .iter()
                    .map(|a| ApplianceHome { site: a.site, region: a.region.0, embedded: a.embedded })
                    .collect(),
            ),
            demand_scale: 1.0,
            region_demand_scale: [1.0; REGIONS.len()],
            surges: Vec::new(),
            members: None,
            events: Vec::new(),
            hour: Arc::new(model.demand.hour_popularity(&model.catalog, 0, &[])),
            utc_offsets_s: vec![0; world.metros.len()],
            offsets_hour: None,
            workers: (0..threads).map(|_| Worker::new(model, accounts)).collect(),
            metro_order,
            recording: None,
            popularity_sample: OneIn::new(
                ((model.scenario.demand.members as f64 * model.demand.plays_per_member_day / 40e6) as u64).clamp(1, 64),
            ),
            kpis: History::default(),
            region_kpis: vec![History::default(); REGIONS.len()],
            site_now: vec![SiteMinute::default(); sites],
            site_history: vec![SiteMinute::default(); sites * SITE_HISTORY_MINUTES],
            metro_origin_gbps: vec![0.0; world.metros.len()],
            site_offered_bytes: vec![0; sites],
            site_hit_bytes: vec![0; sites],
            run_hist: vec![0; REGIONS.len() * HIST_BINS],
            totals: Totals::default(),
            cp_plays: vec![0; world.origins.len()],
            title_bytes: vec![TitleBytes::default(); model.catalog.slots.len()],
        }
    }

    pub fn now(&self) -> SimTime {
        SimTime::from_minutes(self.minute)
    }

    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Puts `surge` in force from this minute (replacing one for the same title and region; a factor of 1
    /// ends it).
    pub fn set_surge(&mut self, model: &Model, surge: Surge) {
        self.surges.retain(|s| (s.title, s.region) != (surge.title, surge.region));
        if surge.factor != 1.0 {
            self.surges.push(surge);
        }
        self.hour = Arc::new(model.demand.hour_popularity(&model.catalog, self.hour.hour, &self.surges));
    }

    pub fn surges(&self) -> &[Surge] {
        &self.surges
    }

    /// Starts emitting events for the members `sampling` keeps, or (None) stops.
    pub fn set_events(&mut self, model: &Model, sampling: Option<Sampling>) {
        self.members = sampling.map(|s| Members::new(&model.world, s));
        if self.members.is_none() {
            for m in &self.metros {
                m.lock().unwrap_or_else(PoisonError::into_inner).forget_members();
            }
            self.events = Vec::new();
        }
    }

    /// The events since the last take, oldest minute first.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Worker threads used per minute. Results do not depend on it: workers hold a minute's accumulators,
    /// emptied at its end, and counts that are summed over workers, which a worker let go hands to the first.
    pub fn set_threads(&mut self, model: &Model, threads: usize) {
        let accounts = self.accounts;
        while self.workers.len() > threads.max(1) {
            let mut gone = self.workers.pop().expect("more workers than wanted");
            self.workers[0].take_counts(&mut gone);
        }
        self.workers.resize_with(threads.max(1), || Worker::new(model, accounts));
    }

    /// The last `SITE_HISTORY_MINUTES` (or fewer) minutes of one site, oldest first.
    pub fn site_history(&self, site: usize) -> Vec<SiteMinute> {
        let sites = self.site_now.len();
        let n = (self.minute as usize).min(SITE_HISTORY_MINUTES);
        (self.minute as usize - n..self.minute as usize)
            .map(|m| self.site_history[(m % SITE_HISTORY_MINUTES) * sites + site])
            .collect()
    }

    /// Heap bytes of the sessions in progress, and of everything else the engine keeps.
    pub fn heap_bytes(&self) -> (usize, usize) {
        let sessions = self.metros.iter().map(|m| m.lock().unwrap_or_else(PoisonError::into_inner).heap_bytes()).sum();
        let per_worker = |w: &Worker| {
            (w.video_bytes.len() + w.rendition_bytes.len()) * 8
                + w.hist.len() * 4
                + w.hist_changes.capacity() * 4
                + w.now.len() * 32
        };
        let other = self.workers.iter().map(per_worker).sum::<usize>()
            + self.site_history.len() * std::mem::size_of::<SiteMinute>()
            + self.hist.len() * 4;
        (sessions, other)
    }

    /// This minute's capacity (after `begin_minute`).
    pub fn capacity(&self) -> &Capacity {
        &self.capacity
    }

    /// Each metro's local clock at the start of the current minute.
    pub fn local_clocks(&mut self, model: &Model) -> Vec<LocalClock> {
        let now_utc = SimTime::from_minutes(self.minute).to_utc(model.start_utc);
        let hour = self.minute / 60;
        if self.offsets_hour != Some(hour) {
            // Offsets change with daylight saving; an hourly refresh catches every transition.
            let naive = now_utc.naive_utc();
            for (o, m) in self.utc_offsets_s.iter_mut().zip(&model.world.metros) {
                *o = m.tz.offset_from_utc_datetime(&naive).fix().local_minus_utc();
            }
            self.offsets_hour = Some(hour);
        }
        self.utc_offsets_s.iter().map(|&o| LocalClock::at(now_utc, o)).collect()
    }

    /// Bytes streamed in `region` per video and per rendition since the last call for it (its day).
    pub fn take_region_bytes(&mut self, model: &Model, region: usize) -> (Vec<u64>, Vec<u64>) {
        let videos = model.catalog.videos.len();
        let renditions = model.catalog.renditions.len();
        let (mut v, mut r) = (vec![0; videos], vec![0; renditions]);
        let take = |sum: &mut [u64], part: &mut [u64]| {
            sum.iter_mut().zip(part).for_each(|(s, p)| *s += std::mem::take(p));
        };
        for w in &mut self.workers {
            take(&mut v, &mut w.video_bytes[region * videos..(region + 1) * videos]);
            take(&mut r, &mut w.rendition_bytes[region * renditions..(region + 1) * renditions]);
        }
        (v, r)
    }

    /// The requests offered to reactive sites in the last minute, as (site, file), in a fixed order (by site,
    /// then metro, then play) whichever worker drew them.
    pub fn take_reactive_requests(&mut self) -> Vec<(SiteId, FileId)> {
        let mut all: Vec<(u32, u32, u32, u32)> = self.workers.iter_mut().flat_map(|w| w.reactive.drain(..)).collect();
        all.sort_unstable();
        all.into_iter().map(|(s, _, _, f)| (SiteId(s), FileId(f))).collect()
    }

    /// Computes this minute's capacity from the streams playing and the fills asked for.
    pub fn begin_minute(&mut self, model: &Model, fills: &[FillRequest]) {
        let load = Load {
            hist: &self.hist,
            offered_kbps: &self.offered_kbps,
            site_up: &self.site_up,
            origin_up: &self.origin_up,
            fills,
        };
        self.capacity = Capacity::compute(model, &load);
        self.fills = fills.to_vec();
    }

    /// Simulates one minute (after `begin_minute`). `reactive[s]`: site `s` is a reactive cache (its offered
    /// requests are logged); `fill`: fill bytes that moved this minute, recorded with the minute's KPIs.
    pub fn step_minute(
        &mut self,
        model: &Model,
        placement: &Placement,
        reactive: &[bool],
        fill: &FillMinute,
        fleet: &Fleet,
    ) {
        let minute = self.minute;
        let hour = (minute / 60) as i64;
        if self.hour.hour != hour && (self.hour.hour / 24 != hour / 24 || model.demand.hour_changes(hour)) {
            self.hour = Arc::new(model.demand.hour_popularity(&model.catalog, hour, &self.surges));
        }
        let local = self.local_clocks(model);
        let scan = |cap: &Capacity, flag: fn(&Capacity, usize) -> bool| -> Vec<bool> {
            self.metro_accounts.iter().map(|accounts| accounts.iter().any(|&a| flag(cap, a as usize))).collect()
        };

        // First half: moves off failed servers, climbs back, new plays, with the capacity of the minute's start.
        let failed = scan(&self.capacity, |c, a| c.down[a]);
        let demand_scale: [f64; REGIONS.len()] =
            std::array::from_fn(|r| self.region_demand_scale[r] * self.demand_scale);
        let mut ctx = MinuteCtx {
            model,
            placement,
            hour: &self.hour,
            minute,
            local: &local,
            capacity: &self.capacity,
            accounts: self.accounts,
            homes: &self.appliance_homes,
            scan: &failed,
            demand_scale: &demand_scale,
            record: self.recording.as_ref().map(|r| r.0),
            reactive,
            site_up: &self.site_up,
            popularity_sample: self.popularity_sample,
            fleet,
            members: self.members.as_ref(),
        };
        run_metros(&mut self.workers, &self.metro_order, &self.metros, &ctx, start_minute);

        // What each server's streams get, from who plays this minute; then the second half: streams on busy
        // servers play at their share, and the minute's last sessions end.
        sum_hist(&mut self.hist, &self.workers);
        let mut capacity = self.capacity.clone();
        capacity.relevel(model, &self.hist, (&self.site_up, &self.origin_up), &self.fills);
        let busy = scan(&capacity, |c, a| c.throttled[a]);
        ctx.capacity = &capacity;
        ctx.scan = &busy;
        run_metros(&mut self.workers, &self.metro_order, &self.metros, &ctx, finish_minute);
        if self.members.is_some() {
            for m in &self.metros {
                self.events.append(&mut m.lock().unwrap_or_else(PoisonError::into_inner).events);
            }
        }
        self.capacity = capacity;
        self.close_minute(model, fill);
    }

    /// Folds the workers' minute into the books and the KPIs, and moves the clock on.
    fn close_minute(&mut self, model: &Model, fill: &FillMinute) {
        let accounts = self.accounts;
        let (servers, total) = (accounts.servers(), accounts.total());
        let sites = model.world.sites.len();
        let mut regions = [RegionCounters::default(); REGIONS.len()];
        let mut region_hist = vec![0u32; REGIONS.len() * HIST_BINS];
        let mut site_plays = vec![0u32; sites];
        let mut throttled_bytes = vec![0u64; servers];
        let mut shortfall = vec![0u64; REGION_BOOKS * REGIONS.len()];
        let mut after = vec![(0i64, 0i64); total];
        self.cp_plays.fill(0);
        for w in &mut self.workers {
            for (a, d) in w.now.iter_mut().enumerate() {
                self.rate[a] += d.rate_kbps as i64;
                self.sessions[a] += d.sessions as i64;
                *d = Delta::default();
            }
            for (acc, d) in after.iter_mut().zip(&mut w.after) {
                acc.0 += d.rate_kbps as i64;
                acc.1 += d.sessions as i64;
                *d = Delta::default();
            }
            for (acc, b) in throttled_bytes.iter_mut().zip(&mut w.throttled_bytes) {
                *acc += std::mem::take(b);
            }
            for (acc, b) in shortfall.iter_mut().zip(&mut w.shortfall_bytes) {
                *acc += std::mem::take(b);
            }
            for (acc, r) in regions.iter_mut().zip(&mut w.regions) {
                acc.plays += r.plays;
                acc.ebvs += r.ebvs;
                acc.start_failures += r.start_failures;
                acc.playback_failures += r.playback_failures;
                acc.stall_exits += r.stall_exits;
                acc.rebuffer_ms += r.rebuffer_ms;
                acc.switches_down += r.switches_down;
                acc.switches_up += r.switches_up;
                acc.failovers += r.failovers;
                acc.startup_us += r.startup_us;
                *r = RegionCounters::default();
            }
            for (acc, h) in region_hist.iter_mut().zip(&mut w.region_hist) {
                *acc += std::mem::take(h);
            }
            for (acc, p) in site_plays.iter_mut().zip(&w.site_plays) {
                *acc += p;
            }
            for (acc, b) in self.site_offered_bytes.iter_mut().zip(&mut w.site_offered_bytes) {
                *acc += std::mem::take(b);
            }
            for (acc, b) in self.site_hit_bytes.iter_mut().zip(&mut w.site_hit_bytes) {
                *acc += std::mem::take(b);
            }
            for (acc, b) in self.title_bytes.iter_mut().zip(&mut w.title_bytes) {
                acc.add(&std::mem::take(b));
            }
            self.totals.ended_session_bytes += std::mem::take(&mut w.ended_bytes);
            for (acc, p) in self.cp_plays.iter_mut().zip(&mut w.cp_plays) {
                *acc += std::mem::take(p);
            }
        }
        sum_hist(&mut self.hist, &self.workers);
        // A worker's stream counts drift with the metros it happens to take (a session may end on another
        // worker than started it): once an hour the first worker takes the others' over, so none can overflow.
        if self.minute % 60 == 59 {
            let (first, rest) = self.workers.split_first_mut().expect("an engine has a worker");
            for w in rest {
                first.take_counts(w);
            }
        }
        // This minute's bytes: from the streams' bitrate, or what they got where some got less.
        let full = |rate: i64| (rate.max(0) as u64) * crate::session::BYTES_PER_KBPS_MINUTE;
        let mut bytes = vec![0u64; total];
        for a in 0..servers {
            bytes[a] = if self.capacity.throttled[a] { throttled_bytes[a] } else { full(self.rate[a]) };
        }
        for (i, b) in bytes[servers..].iter_mut().enumerate() {
            *b = full(self.rate[servers + i]).saturating_sub(shortfall[i]);
        }
        let playing: Vec<i64> = (0..REGIONS.len())
            .map(|r| self.sessions[accounts.book(Book::Edge, r)] + self.sessions[accounts.book(Book::Origin, r)])
            .collect();
        for (a, d) in after.iter().enumerate() {
            self.rate[a] += d.0;
            self.sessions[a] += d.1;
            debug_assert!(self.rate[a] >= 0 && self.sessions[a] >= 0);
        }

        self.minute += 1;
        let t = SimTime::from_minutes(self.minute);
        self.record_sites(model, &bytes, &site_plays);
        self.learn_offered_load(model);
        self.collect_recorded(model);
        for (m, gbps) in self.metro_origin_gbps.iter_mut().enumerate() {
            *gbps = kpi::bytes_per_minute_to_gbps(bytes[accounts.metro_origin(m)]) as f32;
        }
        let mut saturated = [0u64; REGIONS.len()];
        let overload = model.scenario.policy.overload_utilization;
        for (s, site) in model.world.sites.iter().enumerate() {
            if self.site_now[s].utilization as f64 >= overload {
                saturated[site.region.0 as usize] += 1;
            }
        }

        let mut global = KpiSample { t, ..Default::default() };
        let mut global_hist = vec![0u32; HIST_BINS];
        for r in 0..REGIONS.len() {
            let hist = &region_hist[r * HIST_BINS..(r + 1) * HIST_BINS];
            let c = &regions[r];
            let book = |b: Book| bytes[accounts.book(b, r)];
            let sample = KpiSample {
                t,
                active_sessions: (self.sessions[accounts.book(Book::Edge, r)]
                    + self.sessions[accounts.book(Book::Origin, r)])
                .max(0) as u64,
                stream_seconds: playing[r].max(0) as u64 * SECONDS_PER_MINUTE,
                plays: c.plays,
                ebvs: c.ebvs,
                start_failures: c.start_failures,
                playback_failures: c.playback_failures,
                stall_exits: c.stall_exits,
                edge_bytes: book(Book::Edge),
                origin_bytes: book(Book::Origin),
                in_isp_bytes: book(Book::InIsp),
                transit_bytes: book(Book::Transit),
                fill_bytes: fill.tier_bytes[r],
                fill_backbone_bytes: fill.backbone_bytes[r],
                startup_p50_ms: kpi::hist_quantile(hist, 1, 0.5).unwrap_or(0.0),
                startup_p95_ms: kpi::hist_quantile(hist, 1, 0.95).unwrap_or(0.0),
                starts: hist.iter().map(|&h| h as u64).sum(),
                startup_us: c.startup_us,
                rebuffer_ms: c.rebuffer_ms,
                watch_ms: playing[r].max(0) as u64 * SECONDS_PER_MINUTE * 1000,
                switches_down: c.switches_down,
                switches_up: c.switches_up,
                failovers: c.failovers,
                saturated_sites: saturated[r],
            };
            for (g, (&h, run)) in global_hist.iter_mut().zip(hist.iter().zip(&mut self.run_hist[r * HIST_BINS..])) {
                *g += h;
                *run += h as u64;
            }
            global.add_counts(&sample);
            self.region_kpis[r].push(sample);
        }
        global.startup_p50_ms = kpi::hist_quantile(&global_hist, 1, 0.5).unwrap_or(0.0);
        global.startup_p95_ms = kpi::hist_quantile(&global_hist, 1, 0.95).unwrap_or(0.0);
        let tot = &mut self.totals;
        tot.plays += global.plays;
        tot.ebvs += global.ebvs;
        tot.start_failures += global.start_failures;
        tot.playback_failures += global.playback_failures;
        tot.stall_exits += global.stall_exits;
        tot.edge_bytes += global.edge_bytes as u128;
        tot.origin_bytes += global.origin_bytes as u128;
        tot.in_isp_bytes += global.in_isp_bytes as u128;
        tot.transit_bytes += global.transit_bytes as u128;
        tot.rebuffer_ms += global.rebuffer_ms as u128;
        tot.watch_ms += global.watch_ms as u128;
        tot.stream_seconds += global.stream_seconds as u128;
        self.kpis.push(global);
    }

    /// The last minute's demand on each control-plane region: its plays, and the sessions of its members
    /// playing now.
    pub fn control_plane_load(&self, fleet: &Fleet) -> Vec<ApiLoad> {
        let mut loads: Vec<ApiLoad> = self.cp_plays.iter().map(|&plays| ApiLoad { plays, playing: 0 }).collect();
        for (m, store) in self.metros.iter().enumerate() {
            let (region, _) = fleet.route(m);
            loads[region].playing += store.lock().unwrap_or_else(PoisonError::into_inner).count as u64;
        }
        loads
    }

    fn record_sites(&mut self, model: &Model, bytes: &[u64], site_plays: &[u32]) {
        let sites = self.site_now.len();
        let row = ((self.minute as usize - 1) % SITE_HISTORY_MINUTES) * sites;
        let mut hist = [0u32; COARSE_BINS];
        for (s, site) in model.world.sites.iter().enumerate() {
            let (p50, p95) = if site_plays[s] > 0 {
                hist.fill(0);
                for w in &self.workers {
                    for (h, &c) in hist.iter_mut().zip(&w.site_hist[s * COARSE_BINS..(s + 1) * COARSE_BINS]) {
                        *h += c;
                    }
                }
                (
                    kpi::hist_quantile(&hist, COARSE_FACTOR, 0.5).unwrap_or(0.0),
                    kpi::hist_quantile(&hist, COARSE_FACTOR, 0.95).unwrap_or(0.0),
                )
            } else {
                (0.0, 0.0)
            };
            let apps = site.appliances.start as usize..site.appliances.end as usize;
            let egress = kpi::bytes_per_minute_to_gbps(bytes[apps.clone()].iter().sum());
            let m = SiteMinute {
                egress_gbps: egress as f32,
                utilization: (egress / site.egress_gbps) as f32,
                active_sessions: self.sessions[apps].iter().sum::<i64>().max(0) as u32,
                plays: site_plays[s],
                startup_p50_ms: p50 as f32,
                startup_p95_ms: p95 as f32,
            };
            self.site_now[s] = m;
            self.site_history[row + s] = m;
        }
        for w in &mut self.workers {
            w.site_plays.fill(0);
            w.site_hist.fill(0);
        }
    }

    /// Appends this minute's recorded requests in a fixed order (by metro, then play), whichever worker drew them.
    fn collect_recorded(&mut self, model: &Model) {
        let time_s = ((self.minute - 1) * SECONDS_PER_MINUTE) as u32;
        let Some((_, trace)) = &mut self.recording else {
            for w in &mut self.workers {
                w.recorded.clear();
            }
            return;
        };
        let mut batch: Vec<(u32, u32, u32)> = self.workers.iter_mut().flat_map(|w| w.recorded.drain(..)).collect();
        batch.sort_unstable();
        trace.extend(batch.into_iter().map(|(_, _, file)| Request {
            time_s,
            obj_id: file as u64,
            // oracleGeneral stores sizes as u32: files over 4 GiB are capped there.
            size_bytes: model.catalog.file_size_bytes(FileId(file)).min(u32::MAX as u64) as u32,
        }));
    }

    /// Learns each appliance's offered load (what steering would send it if it admitted everything) from what
    /// it admitted, so the next minute's admission share fits.
    fn learn_offered_load(&mut self, model: &Model) {
        let cap = &self.capacity;
        for (a, offered) in self.offered_kbps.iter_mut().enumerate() {
            let admitted: i64 = self.workers.iter().map(|w| w.started_kbps[a]).sum();
            let site = model.world.appliances[a].site.0 as usize;
            let admit = cap.admit_site[site].min(cap.admit_appliance[a]);
            // An appliance that admitted (almost) nothing says little about what it is offered: keep the
            // estimate. Rises are taken at once, falls smoothed: underestimating is what overloads a server.
            if admit >= 0.05 {
                let seen = admitted as f64 / admit as f64;
                *offered = seen.max(0.5 * *offered + 0.5 * seen);
            }
        }
        for w in &mut self.workers {
            w.started_kbps.fill(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OneIn;
    use crate::rng::mix64;

    #[test]
    fn one_in_n_takes_the_multiples_of_n() {
        let keys = (0..2000u64).chain([u64::MAX, u64::MAX - 1, 1 << 47, (1 << 47) - 1]).chain((0..2000).map(mix64));
        for n in 1..=64 {
            let sample = OneIn::new(n);
            for key in keys.clone() {
                assert_eq!(sample.takes(key), key.is_multiple_of(n), "{key} in one in {n}");
            }
        }
    }
}
