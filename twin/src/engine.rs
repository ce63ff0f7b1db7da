//! The discrete-event engine. Time advances a minute at a time; within a minute every metro draws its play
//! arrivals, and each play is steered and played out at once. What a play does later (its end) is an event in
//! a calendar queue: a ring of minute buckets, aggregated per account, so a billion sessions a day cost no
//! heap operations.
//!
//! Byte accounting is exact integer arithmetic. An account (a site, an origin region, a member region's edge
//! or origin traffic, or a metro's origin traffic) carries the summed bitrate of the sessions it serves; bytes in a minute are that rate × 60 s
//! plus corrections for sessions starting or ending inside the minute. So edge + origin bytes equal the bytes
//! of every session played, to the byte.
//!
//! Metros are shared out to worker threads. Each metro draws from its own random stream keyed by (metro,
//! minute), and every accumulator is an integer sum, so results are bit-identical for any number of threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Offset, TimeZone};

use crate::catalog::{FileId, TitleId};
use crate::demand::DayPopularity;
use crate::fill::FillMinute;
use crate::kpi::{self, COARSE_BINS, COARSE_FACTOR, HIST_BINS, History, KpiSample};
use crate::model::Model;
use crate::placement::Placement;
use crate::playback::{MAX_WATCH_S, Path};
use crate::rng::{Rng, Stream, mix64};
use crate::steering::Target;
use crate::time::{LocalClock, MINUTES_PER_DAY, SECONDS_PER_MINUTE, SimTime};
use crate::trace::Request;
use crate::world::SiteId;
use crate::world::{REGIONS, SiteKind};

/// Calendar-queue length in minutes: longer than any session.
const RING: usize = (MAX_WATCH_S as usize / 60) + 2;
/// Minutes of per-site history kept for inspectors.
pub const SITE_HISTORY_MINUTES: usize = 6 * 60;
const BYTES_PER_KBPS_SECOND: i64 = 125;

#[derive(Clone, Copy, Debug, Default)]
struct Delta {
    rate_kbps: i64,
    bytes: i64,
    sessions: i64,
}

impl Delta {
    #[inline]
    fn add(&mut self, o: &Delta) {
        self.rate_kbps += o.rate_kbps;
        self.bytes += o.bytes;
        self.sessions += o.sessions;
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct RegionCounters {
    plays: u64,
    ebvs: u64,
    rebuffer_ms: u64,
    watch_ms: u64,
    planned_bytes: u64,
}

/// One worker thread's accumulators. Persistent across minutes because its ring holds future session ends.
#[derive(Clone, Debug)]
struct Worker {
    /// Session ends by account and minute: `[account × RING + minute % RING]`. Account-major, so the few
    /// accounts one metro's plays land on stay in cache while the metro is simulated.
    ring: Vec<Delta>,
    now: Vec<Delta>,
    regions: [RegionCounters; REGIONS.len()],
    region_hist: Vec<u32>,
    site_plays: Vec<u32>,
    /// Bitrate of the plays each site started this minute.
    site_started_kbps: Vec<i64>,
    site_hist: Vec<u32>,
    /// Requests offered to the recorded site this minute: (metro, order within the metro, file).
    recorded: Vec<(u32, u32, u32)>,
    /// Requests offered to reactive sites this minute: (site, metro, order within the metro, file).
    reactive: Vec<(u32, u32, u32, u32)>,
    /// Bytes of the plays each site was offered first this minute, and of those it served.
    site_offered_bytes: Vec<u64>,
    site_hit_bytes: Vec<u64>,
    /// Bytes streamed today per region and file, `[region × files + file]`: the popularity the predictor learns.
    file_bytes: Vec<u64>,
}

impl Worker {
    fn new(accounts: usize, sites: usize, files: usize) -> Worker {
        Worker {
            ring: vec![Delta::default(); RING * accounts],
            now: vec![Delta::default(); accounts],
            regions: Default::default(),
            region_hist: vec![0; REGIONS.len() * HIST_BINS],
            site_plays: vec![0; sites],
            site_started_kbps: vec![0; sites],
            recorded: Vec::new(),
            site_hist: vec![0; sites * COARSE_BINS],
            reactive: Vec::new(),
            site_offered_bytes: vec![0; sites],
            site_hit_bytes: vec![0; sites],
            file_bytes: vec![0; REGIONS.len() * files],
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

/// Per-minute inputs shared read-only by the workers.
struct MinuteCtx<'a> {
    model: &'a Model,
    placement: &'a Placement,
    day: &'a DayPopularity,
    minute: u64,
    local: &'a [LocalClock],
    admit: &'a [f32],
    site_share: &'a [f64],
    demand_scale: f64,
    /// The site whose offered requests are being recorded, if any.
    record: Option<SiteId>,
    /// Sites run as reactive caches: the requests offered to them are logged for their caches.
    reactive: &'a [bool],
    /// One play in this many counts towards per-file popularity (with this weight).
    popularity_sample: u64,
}

#[derive(Clone, Debug)]
pub struct Engine {
    minute: u64,
    accounts: usize,
    /// Rate and sessions currently on each account.
    active: Vec<Delta>,
    pub(crate) site_up: Vec<bool>,
    /// The site whose offered requests are recorded, and the requests so far.
    pub(crate) recording: Option<(SiteId, Vec<Request>)>,
    /// Per site, bitrate of the plays steering offers it per minute (moving average), for admission.
    offered_kbps: Vec<f64>,
    pub(crate) demand_scale: f64,
    day: Arc<DayPopularity>,
    utc_offsets_s: Vec<i32>,
    offsets_hour: Option<u64>,
    workers: Vec<Worker>,
    /// Metros, busiest first: the order work is handed out in, so big metros do not straggle.
    metro_order: Vec<u32>,
    /// Per-file popularity is counted from one play in this many (each weighing as many): a write per play
    /// into a table of every (region, file) misses cache, and at hundreds of millions of plays a day a sample
    /// measures popularity as well. 1 (every play) up to about 40 M plays a day.
    popularity_sample: u64,

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
}

/// Whole-run totals. Bytes are u128: a Netflix-scale day moves about 10^18 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub plays: u64,
    pub ebvs: u64,
    /// Bytes of every session that started playing, counted in full when it starts.
    pub planned_bytes: u128,
    /// Bytes delivered so far.
    pub edge_bytes: u128,
    pub origin_bytes: u128,
    pub in_isp_bytes: u128,
    pub rebuffer_ms: u128,
    pub watch_ms: u128,
}

impl Engine {
    pub fn new(model: &Model) -> Engine {
        let sites = model.world.sites.len();
        let accounts = sites + model.world.origins.len() + 2 * REGIONS.len() + model.world.metros.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut metro_order: Vec<u32> = (0..model.world.metros.len() as u32).collect();
        metro_order.sort_by(|&a, &b| {
            model.world.metros[b as usize].members.total_cmp(&model.world.metros[a as usize].members).then(a.cmp(&b))
        });
        Engine {
            minute: 0,
            accounts,
            active: vec![Delta::default(); accounts],
            site_up: vec![true; sites],
            recording: None,
            // Until a site has been seen, assume it is offered a full capacity's worth each minute.
            offered_kbps: model.world.sites.iter().map(|s| s.egress_gbps * 1e6).collect(),
            demand_scale: 1.0,
            day: Arc::new(model.demand.day_popularity(&model.catalog, 0)),
            utc_offsets_s: vec![0; model.world.metros.len()],
            offsets_hour: None,
            workers: (0..threads).map(|_| Worker::new(accounts, sites, model.catalog.file_count())).collect(),
            metro_order,
            popularity_sample: ((model.scenario.demand.members as f64 * model.demand.plays_per_member_day / 40e6)
                as u64)
                .clamp(1, 64),
            kpis: History::default(),
            region_kpis: vec![History::default(); REGIONS.len()],
            site_now: vec![SiteMinute::default(); sites],
            site_history: vec![SiteMinute::default(); sites * SITE_HISTORY_MINUTES],
            metro_origin_gbps: vec![0.0; model.world.metros.len()],
            site_offered_bytes: vec![0; sites],
            site_hit_bytes: vec![0; sites],
            run_hist: vec![0; REGIONS.len() * HIST_BINS],
            totals: Totals::default(),
        }
    }

    pub fn now(&self) -> SimTime {
        SimTime::from_minutes(self.minute)
    }

    /// Worker threads used per minute. Results do not depend on it. Future session ends held by dropped
    /// workers are folded into the remaining ones.
    pub fn set_threads(&mut self, threads: usize) {
        let threads = threads.max(1);
        while self.workers.len() > threads {
            if let Some(w) = self.workers.pop() {
                for (a, b) in self.workers[0].ring.iter_mut().zip(&w.ring) {
                    a.add(b);
                }
                for (a, b) in self.workers[0].file_bytes.iter_mut().zip(&w.file_bytes) {
                    *a += b;
                }
            }
        }
        let (accounts, sites, files) = (self.accounts, self.site_now.len(), self.workers[0].file_bytes.len());
        self.workers.resize_with(threads, || Worker::new(accounts, sites, files / REGIONS.len()));
    }

    /// The last `SITE_HISTORY_MINUTES` (or fewer) minutes of one site, oldest first.
    pub fn site_history(&self, site: usize) -> Vec<SiteMinute> {
        let sites = self.site_now.len();
        let n = (self.minute as usize).min(SITE_HISTORY_MINUTES);
        (self.minute as usize - n..self.minute as usize)
            .map(|m| self.site_history[(m % SITE_HISTORY_MINUTES) * sites + site])
            .collect()
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

    /// Bytes streamed per region and file since the last call, `[region × files + file]`.
    pub fn take_file_bytes(&mut self) -> Vec<u64> {
        let mut out = vec![0u64; self.workers[0].file_bytes.len()];
        for w in &mut self.workers {
            for (o, b) in out.iter_mut().zip(&mut w.file_bytes) {
                *o += std::mem::take(b);
            }
        }
        out
    }

    /// The requests offered to reactive sites in the last minute, as (site, file), in a fixed order (by site,
    /// then metro, then play) whichever worker drew them.
    pub fn take_reactive_requests(&mut self) -> Vec<(SiteId, FileId)> {
        let mut all: Vec<(u32, u32, u32, u32)> = self.workers.iter_mut().flat_map(|w| w.reactive.drain(..)).collect();
        all.sort_unstable();
        all.into_iter().map(|(s, _, _, f)| (SiteId(s), FileId(f))).collect()
    }

    /// Simulates one minute. `reactive[s]`: site `s` is a reactive cache (its offered requests are logged);
    /// `fill`: fill bytes that moved this minute, recorded with the minute's KPIs.
    pub fn step_minute(&mut self, model: &Model, placement: &Placement, reactive: &[bool], fill: &FillMinute) {
        let minute = self.minute;
        let sites = model.world.sites.len();
        let origins = model.world.origins.len();
        let accounts = self.accounts;

        let day = (minute / MINUTES_PER_DAY) as i64;
        if self.day.day != day {
            self.day = Arc::new(model.demand.day_popularity(&model.catalog, day));
        }
        let local = self.local_clocks(model);

        // Session ends due this minute.
        let slot = minute as usize % RING;
        let mut ends = vec![Delta::default(); accounts];
        for w in &mut self.workers {
            for (acc, row) in ends.iter_mut().zip(w.ring.chunks_exact_mut(RING)) {
                acc.add(&row[slot]);
                row[slot] = Delta::default();
            }
        }
        for (a, d) in self.active.iter_mut().zip(&ends) {
            a.rate_kbps += d.rate_kbps;
            a.sessions += d.sessions;
        }

        // What steering may send each site this minute. A site admits the share of its expected offered load
        // that fits under the overload threshold, so a minute's arrivals cannot push it far past it.
        let overload = model.scenario.policy.overload_utilization;
        let mut admit = vec![0f32; sites];
        let mut site_share = vec![1.0; sites];
        for s in 0..sites {
            let demand_kbps = self.active[s].rate_kbps as f64;
            let capacity_kbps = model.world.sites[s].egress_gbps * 1e6;
            let headroom_kbps = overload * capacity_kbps - demand_kbps;
            if self.site_up[s] && headroom_kbps > 0.0 {
                let expected = self.offered_kbps[s];
                admit[s] = if expected <= headroom_kbps { 1.0 } else { (headroom_kbps / expected) as f32 };
            }
            if demand_kbps > capacity_kbps {
                site_share[s] = capacity_kbps / demand_kbps;
            }
        }

        let ctx = MinuteCtx {
            model,
            placement,
            day: &self.day,
            minute,
            local: &local,
            admit: &admit,
            site_share: &site_share,
            demand_scale: self.demand_scale,
            record: self.recording.as_ref().map(|r| r.0),
            reactive,
            popularity_sample: self.popularity_sample,
        };
        let next = AtomicUsize::new(0);
        let order = &self.metro_order;
        let work = |w: &mut Worker| {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&metro) = order.get(i) else { break };
                simulate_metro(&ctx, metro as usize, w);
            }
        };
        if self.workers.len() == 1 {
            work(&mut self.workers[0]);
        } else {
            std::thread::scope(|scope| {
                for w in self.workers.iter_mut() {
                    scope.spawn(|| work(w));
                }
            });
        }

        // Fold the workers' minute into the books.
        let mut regions = [RegionCounters::default(); REGIONS.len()];
        let mut region_hist = vec![0u32; REGIONS.len() * HIST_BINS];
        let mut site_plays = vec![0u32; sites];
        let mut starts = vec![Delta::default(); accounts];
        for w in &mut self.workers {
            for (acc, d) in starts.iter_mut().zip(&mut w.now) {
                acc.add(d);
                *d = Delta::default();
            }
            for (acc, r) in regions.iter_mut().zip(&mut w.regions) {
                acc.plays += r.plays;
                acc.ebvs += r.ebvs;
                acc.rebuffer_ms += r.rebuffer_ms;
                acc.watch_ms += r.watch_ms;
                acc.planned_bytes += r.planned_bytes;
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
        }
        let mut bytes = vec![0u64; accounts];
        for a in 0..accounts {
            // Starts (and ends within the same minute) join the rate; partial minutes are in the byte terms.
            self.active[a].rate_kbps += starts[a].rate_kbps;
            self.active[a].sessions += starts[a].sessions;
            let b = self.active[a].rate_kbps * BYTES_PER_KBPS_SECOND * SECONDS_PER_MINUTE as i64
                + ends[a].bytes
                + starts[a].bytes;
            debug_assert!(b >= 0 && self.active[a].rate_kbps >= 0);
            bytes[a] = b.max(0) as u64;
        }

        self.minute += 1;
        let t = SimTime::from_minutes(self.minute);
        self.record_sites(model, &bytes, &site_plays);
        self.learn_offered_load(&admit);
        self.collect_recorded(model, minute);
        let metro_base = sites + origins + 2 * REGIONS.len();
        for (m, gbps) in self.metro_origin_gbps.iter_mut().enumerate() {
            *gbps = kpi::bytes_per_minute_to_gbps(bytes[metro_base + m]) as f32;
        }

        let mut in_isp = [0u64; REGIONS.len()];
        for (site, b) in model.world.sites.iter().zip(&bytes) {
            if matches!(site.kind, SiteKind::Embedded(_)) {
                in_isp[site.region.0 as usize] += b;
            }
        }

        let region_base = sites + origins;
        let mut global = KpiSample { t, ..Default::default() };
        let mut global_hist = vec![0u32; HIST_BINS];
        for r in 0..REGIONS.len() {
            let (edge, origin) = (region_base + r, region_base + REGIONS.len() + r);
            let hist = &region_hist[r * HIST_BINS..(r + 1) * HIST_BINS];
            let c = &regions[r];
            let sample = KpiSample {
                t,
                active_sessions: (self.active[edge].sessions + self.active[origin].sessions).max(0) as u64,
                plays: c.plays,
                ebvs: c.ebvs,
                edge_bytes: bytes[edge],
                origin_bytes: bytes[origin],
                in_isp_bytes: in_isp[r],
                fill_bytes: fill.tier_bytes[r],
                fill_backbone_bytes: fill.backbone_bytes[r],
                startup_p50_ms: kpi::hist_quantile(hist, 1, 0.5).unwrap_or(0.0),
                startup_p95_ms: kpi::hist_quantile(hist, 1, 0.95).unwrap_or(0.0),
                rebuffer_ms: c.rebuffer_ms,
                watch_ms: c.watch_ms,
            };
            for (g, (&h, run)) in global_hist.iter_mut().zip(hist.iter().zip(&mut self.run_hist[r * HIST_BINS..])) {
                *g += h;
                *run += h as u64;
            }
            global.active_sessions += sample.active_sessions;
            global.plays += sample.plays;
            global.ebvs += sample.ebvs;
            global.edge_bytes += sample.edge_bytes;
            global.origin_bytes += sample.origin_bytes;
            global.in_isp_bytes += sample.in_isp_bytes;
            for (g, b) in global.fill_bytes.iter_mut().zip(sample.fill_bytes) {
                *g += b;
            }
            global.fill_backbone_bytes += sample.fill_backbone_bytes;
            global.rebuffer_ms += sample.rebuffer_ms;
            global.watch_ms += sample.watch_ms;
            self.totals.planned_bytes += c.planned_bytes as u128;
            self.region_kpis[r].push(sample);
        }
        global.startup_p50_ms = kpi::hist_quantile(&global_hist, 1, 0.5).unwrap_or(0.0);
        global.startup_p95_ms = kpi::hist_quantile(&global_hist, 1, 0.95).unwrap_or(0.0);
        self.totals.plays += global.plays;
        self.totals.ebvs += global.ebvs;
        self.totals.edge_bytes += global.edge_bytes as u128;
        self.totals.origin_bytes += global.origin_bytes as u128;
        self.totals.in_isp_bytes += global.in_isp_bytes as u128;
        self.totals.rebuffer_ms += global.rebuffer_ms as u128;
        self.totals.watch_ms += global.watch_ms as u128;
        self.kpis.push(global);
    }

    fn record_sites(&mut self, model: &Model, bytes: &[u64], site_plays: &[u32]) {
        let sites = self.site_now.len();
        let row = ((self.minute as usize - 1) % SITE_HISTORY_MINUTES) * sites;
        let mut hist = [0u32; COARSE_BINS];
        for s in 0..sites {
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
            let egress = kpi::bytes_per_minute_to_gbps(bytes[s]);
            let m = SiteMinute {
                egress_gbps: egress as f32,
                utilization: (egress / model.world.sites[s].egress_gbps) as f32,
                active_sessions: self.active[s].sessions.max(0) as u32,
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
    fn collect_recorded(&mut self, model: &Model, minute: u64) {
        let Some((_, trace)) = &mut self.recording else { return };
        let mut batch: Vec<(u32, u32, u32)> = self.workers.iter_mut().flat_map(|w| w.recorded.drain(..)).collect();
        batch.sort_unstable();
        let time_s = (minute * SECONDS_PER_MINUTE) as u32;
        trace.extend(batch.into_iter().map(|(_, _, file)| Request {
            time_s,
            obj_id: file as u64,
            // oracleGeneral stores sizes as u32: files over 4 GiB are capped there.
            size_bytes: model.catalog.file_size_bytes(FileId(file)).min(u32::MAX as u64) as u32,
        }));
    }

    /// Learns each site's offered load (what steering would send it if it admitted everything) from what it
    /// admitted, so the next minute's admission share fits.
    fn learn_offered_load(&mut self, admit: &[f32]) {
        for (s, offered) in self.offered_kbps.iter_mut().enumerate() {
            let admitted: i64 = self.workers.iter().map(|w| w.site_started_kbps[s]).sum();
            // A site that admitted (almost) nothing says little about what it is offered: keep the estimate.
            // Rises are taken at once, falls smoothed: underestimating is what overloads a site.
            if admit[s] >= 0.05 {
                let seen = admitted as f64 / admit[s] as f64;
                *offered = seen.max(0.5 * *offered + 0.5 * seen);
            }
        }
        for w in &mut self.workers {
            w.site_started_kbps.fill(0);
        }
    }
}

/// All plays one metro starts in one minute.
fn simulate_metro(ctx: &MinuteCtx, metro: usize, w: &mut Worker) {
    let model = ctx.model;
    let world = &model.world;
    let m = &world.metros[metro];
    let mut rng = Rng::new(model.scenario.seed, Stream::Sessions, &[metro as u64, ctx.minute]);
    let local = ctx.local[metro];
    let plays = rng.poisson(model.demand.plays_per_minute(m.members, local) * ctx.demand_scale);
    if plays == 0 {
        return;
    }
    let region = m.region.0 as usize;
    let (groups, group_table) = &world.metro_groups[metro];
    if group_table.is_empty() {
        return;
    }
    let (movies, episodes) = &ctx.day.regions[region];
    let movie_share = match (movies.is_empty(), episodes.is_empty()) {
        (true, true) => return,
        (true, false) => 0.0,
        (false, true) => 1.0,
        (false, false) => model.demand.movie_play_share(local.weekend),
    };
    let sites = world.sites.len();
    let region_edge = sites + world.origins.len() + region;
    let region_origin = region_edge + REGIONS.len();
    let metro_origin = sites + world.origins.len() + 2 * REGIONS.len() + metro;
    let ladder = model.playback.ladder_kbps();
    let files = model.catalog.file_count();
    let minute_start_s = ctx.minute * SECONDS_PER_MINUTE;
    for seq in 0..plays as u32 {
        let group = groups[group_table.sample(&mut rng)] as usize;
        let device = &model.demand.devices[model.demand.device_table.sample(&mut rng)];
        let access_kbps = rng.lognormal(device.median_mbps * 1000.0, device.sigma);
        let movie = rng.f64() < movie_share;
        let title =
            if movie { ctx.day.movies[movies.sample(&mut rng)] } else { ctx.day.episodes[episodes.sample(&mut rng)] };
        let rung = model.playback.pick_rung(access_kbps, device.max_kbps);
        let file = model.catalog.file(TitleId(title), rung);
        let draw = rng.f64() as f32;
        let first = model.steering.first_site(group, ctx.admit, draw);
        if let Some(s) = first {
            if Some(s) == ctx.record {
                w.recorded.push((metro as u32, seq, file.0));
            }
            if ctx.reactive[s.0 as usize] {
                w.reactive.push((s.0, metro as u32, seq, file.0));
            }
        }
        let list = model.steering.steer(group, file, ctx.admit, draw, ctx.placement);
        let best = list.best();
        let (account, site_share) = match best.target {
            Target::Site(s) => (s.0 as usize, ctx.site_share[s.0 as usize]),
            Target::Origin(o) => (sites + o as usize, 1.0),
        };
        let path = Path { access_kbps, rtt_ms: best.rtt_ms as f64 + device.access_rtt_ms, site_share };
        let duration_s = model.catalog.titles[title as usize].duration_s;
        let out = model.playback.play(&mut rng, rung, &path, duration_s, movie);

        let counters = &mut w.regions[region];
        counters.plays += 1;
        if account < sites {
            w.site_plays[account] += 1;
        }
        if out.abandoned {
            counters.ebvs += 1;
            continue;
        }
        let bin = kpi::hist_bin(out.startup_ms);
        w.region_hist[region * HIST_BINS + bin] += 1;
        if account < sites {
            w.site_hist[account * COARSE_BINS + bin / COARSE_FACTOR] += 1;
            w.site_started_kbps[account] += ladder[rung] as i64;
        }
        counters.watch_ms += out.watch_s as u64 * 1000;
        counters.rebuffer_ms += out.rebuffer_ms;

        // Playing occupies [start, start + watch) at the rung's bitrate.
        let kbps = ladder[rung] as i64;
        let planned = (kbps * BYTES_PER_KBPS_SECOND) as u64 * out.watch_s as u64;
        counters.planned_bytes += planned;
        let n = ctx.popularity_sample;
        if n == 1 || mix64(ctx.minute << 40 ^ (metro as u64) << 20 ^ seq as u64).is_multiple_of(n) {
            w.file_bytes[region * files + file.0 as usize] += planned * n;
        }
        if let Some(s) = first {
            w.site_offered_bytes[s.0 as usize] += planned;
            if account == s.0 as usize {
                w.site_hit_bytes[s.0 as usize] += planned;
            }
        }
        let start_offset = rng.below(SECONDS_PER_MINUTE) as i64;
        let end_s = minute_start_s + start_offset as u64 + out.watch_s as u64;
        let (end_minute, end_offset) = (end_s / SECONDS_PER_MINUTE, (end_s % SECONDS_PER_MINUTE) as i64);
        let start = Delta { rate_kbps: kbps, bytes: -kbps * BYTES_PER_KBPS_SECOND * start_offset, sessions: 1 };
        let end = Delta { rate_kbps: -kbps, bytes: kbps * BYTES_PER_KBPS_SECOND * end_offset, sessions: -1 };
        // Every play books on its server and on its region's edge or origin traffic; origin plays also on the
        // metro they flow into, for the map's backbone flows.
        let booked =
            if account < sites { [account, region_edge, region_edge] } else { [account, region_origin, metro_origin] };
        let distinct = if account < sites { 2 } else { 3 };
        for &acc in &booked[..distinct] {
            w.now[acc].add(&start);
            if end_minute == ctx.minute {
                w.now[acc].add(&end);
            } else {
                w.ring[acc * RING + end_minute as usize % RING].add(&end);
            }
        }
    }
}
