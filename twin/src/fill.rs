//! Fills: bringing each site to the manifest its planner wants. When a site's local fill window opens
//! (default 02:00–14:00, shifted by the scenario), the desired manifest is diffed against what the site holds;
//! the files to add are transferred one after another, most popular first, at the site's ingress cap (per
//! appliance) and up to its bytes-per-window cap. Each transfer takes its source by escalation: a peer (a site
//! of the same cluster) holding the file, else a tier source (another site within the hop limit, cheapest
//! route first), else, after waiting, the S3 origin if allowed. A file serves only once its transfer completes,
//! and a file leaving the manifest is deleted only once files of at least its size have gone live in its place.
//! "Fill now" runs a site's fill out of its window (still at its ingress cap). Every transfer is recorded.

use std::collections::VecDeque;

use serde::Serialize;

use crate::catalog::FileId;
use crate::model::Model;
use crate::placement::{Clusters, FileSet, Placement};
use crate::time::{LocalClock, SECONDS_PER_MINUTE, SimTime};
use crate::world::{REGIONS, SiteId};

/// Peers and tier sources kept per site, nearest first.
const PEERS: usize = 8;
const TIERS: usize = 16;
/// Transfers kept for the views.
const TRANSFER_LOG_HOURS: u64 = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FillTier {
    Peer,
    Tier,
    Origin,
}

impl FillTier {
    pub const ALL: [FillTier; 3] = [FillTier::Peer, FillTier::Tier, FillTier::Origin];
    pub fn name(self) -> &'static str {
        match self {
            FillTier::Peer => "peer",
            FillTier::Tier => "tier",
            FillTier::Origin => "origin",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    Site(SiteId),
    Origin(u32),
}

/// One file copied to one site.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Transfer {
    pub site: SiteId,
    pub file: FileId,
    pub source: Source,
    pub tier: FillTier,
    /// Seconds of simulated time.
    pub start_s: f64,
    pub end_s: f64,
    pub bytes: u64,
    /// Run out of the window by a "fill now".
    pub forced: bool,
}

/// A file copied to a site at once because a reactive cache admitted it.
#[derive(Clone, Copy, Debug)]
pub struct Admission {
    pub site: SiteId,
    pub file: FileId,
    pub size_bytes: u64,
}

/// Fill bytes moved in one minute, per region of the receiving site.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FillMinute {
    pub tier_bytes: [[u64; 3]; REGIONS.len()],
    /// The part that crossed the backbone (source in another metro, or the origin).
    pub backbone_bytes: [u64; REGIONS.len()],
}

/// A site's fill, as the views show it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SiteFillStatus {
    pub in_window: bool,
    pub forced: bool,
    /// Files still to add, and their bytes (the one in progress included).
    pub pending_files: u32,
    pub pending_bytes: u64,
    /// Tonight's plan: bytes to add when the window opened (or fill now was pressed), and done since.
    pub planned_bytes: u64,
    pub done_bytes: u64,
    /// Bytes moved in the current window, against its cap.
    pub window_bytes: u64,
    pub window_cap_bytes: u64,
    /// Files waiting for a deletion until their replacements are live.
    pub deletes_waiting: u32,
    /// The transfer in progress.
    pub active: Option<ActiveTransfer>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ActiveTransfer {
    pub file: FileId,
    pub source: Source,
    pub tier: FillTier,
    pub start_s: f64,
    /// Share of the file copied so far.
    pub done: f32,
}

impl SiteFillStatus {
    pub fn completion(&self) -> Option<f64> {
        (self.planned_bytes > 0).then(|| self.done_bytes as f64 / self.planned_bytes as f64)
    }
}

#[derive(Clone, Debug)]
struct Pending {
    file: FileId,
    size: u64,
    /// Minute it first found no peer or tier source.
    waiting_since: Option<u64>,
}

#[derive(Clone, Debug)]
struct Active {
    file: FileId,
    size: u64,
    done: u64,
    source: Source,
    tier: FillTier,
    start_s: f64,
    backbone: bool,
}

#[derive(Clone, Debug, Default)]
struct SiteFill {
    queue: VecDeque<Pending>,
    /// Bytes of the files in `queue`.
    queued_bytes: u64,
    active: Option<Active>,
    /// Files to delete once replacements are live, least popular first.
    deletes: VecDeque<(FileId, u64)>,
    /// Bytes gone live tonight not yet matched by deletions.
    credit: u64,
    window_open: bool,
    window_bytes: u64,
    forced: bool,
    planned_bytes: u64,
    done_bytes: u64,
}

/// Nearby sources for each site's fills, by route cost on the backbone.
#[derive(Clone, Debug)]
pub struct FillSources {
    peers: Vec<Vec<SiteId>>,
    tiers: Vec<Vec<SiteId>>,
    /// Whether each listed source is in another metro (its bytes cross the backbone).
    metro_of: Vec<u32>,
}

impl FillSources {
    pub fn build(model: &Model, clusters: &Clusters) -> FillSources {
        let world = &model.world;
        let max_hops = model.scenario.fill.escalation.max_hops;
        let mut sites_at: Vec<Vec<SiteId>> = vec![Vec::new(); world.metros.len()];
        for (i, s) in world.sites.iter().enumerate() {
            sites_at[s.metro.0 as usize].push(SiteId(i as u32));
        }
        let mut peers = vec![Vec::new(); world.sites.len()];
        let mut tiers = vec![Vec::new(); world.sites.len()];
        for (m, here) in sites_at.iter().enumerate() {
            if here.is_empty() {
                continue;
            }
            let routes = world.backbone.routes_from_metro(m);
            let mut order: Vec<usize> = (0..world.metros.len()).filter(|&x| routes[x].ms.is_finite()).collect();
            order.sort_by(|&a, &b| routes[a].ms.total_cmp(&routes[b].ms).then(a.cmp(&b)));
            for &site in here {
                let cluster = clusters.of(site);
                let (p, t) = (&mut peers[site.0 as usize], &mut tiers[site.0 as usize]);
                for &x in &order {
                    if p.len() >= PEERS && (t.len() >= TIERS || routes[x].hops > max_hops) {
                        break;
                    }
                    for &other in sites_at[x].iter().filter(|&&o| o != site) {
                        if clusters.of(other) == cluster {
                            if p.len() < PEERS {
                                p.push(other);
                            }
                        } else if t.len() < TIERS && routes[x].hops <= max_hops {
                            t.push(other);
                        }
                    }
                }
            }
        }
        FillSources { peers, tiers, metro_of: world.sites.iter().map(|s| s.metro.0).collect() }
    }

    /// The nearest peer, else tier site, holding `file` live.
    fn find(&self, site: SiteId, file: FileId, placement: &Placement) -> Option<(SiteId, FillTier)> {
        let s = site.0 as usize;
        let holds = |o: &&SiteId| placement.holds(**o, file);
        self.peers[s]
            .iter()
            .find(holds)
            .map(|&o| (o, FillTier::Peer))
            .or_else(|| self.tiers[s].iter().find(holds).map(|&o| (o, FillTier::Tier)))
    }

    fn crosses_backbone(&self, site: SiteId, source: Source) -> bool {
        match source {
            Source::Site(o) => self.metro_of[o.0 as usize] != self.metro_of[site.0 as usize],
            Source::Origin(_) => true,
        }
    }
}

/// Completed transfers, oldest first, in shared chunks so snapshots copy pointers, not records.
#[derive(Clone, Debug, Default)]
pub struct TransferLog {
    chunks: VecDeque<std::sync::Arc<[Transfer]>>,
    tail: Vec<Transfer>,
    /// Sequence number of the first transfer kept (every transfer ever logged has one, in order).
    first_seq: u64,
}

impl TransferLog {
    const CHUNK: usize = 1024;

    fn push(&mut self, t: Transfer) {
        self.tail.push(t);
        if self.tail.len() == Self::CHUNK {
            self.chunks.push_back(std::sync::Arc::from(std::mem::take(&mut self.tail)));
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = &Transfer> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).chain(self.tail.iter())
    }
    /// The transfers with sequence numbers from `seq` on, skipping whole chunks before it: a view that
    /// indexes the log reads only what is new since its last look.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &Transfer> + '_ {
        let skip = seq.saturating_sub(self.first_seq) as usize;
        let (whole, part) = (skip / Self::CHUNK, skip % Self::CHUNK);
        self.chunks
            .iter()
            .skip(whole)
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
            .skip(if whole <= self.chunks.len() { part } else { skip - self.chunks.len() * Self::CHUNK })
    }
    /// Sequence number the next transfer will get.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.len() as u64
    }
    pub fn len(&self) -> usize {
        self.chunks.len() * Self::CHUNK + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops whole chunks that ended before `before_s`.
    fn prune(&mut self, before_s: f64) {
        while self.chunks.front().is_some_and(|c| c.last().is_some_and(|t| t.end_s < before_s)) {
            self.chunks.pop_front();
            self.first_seq += Self::CHUNK as u64;
        }
    }
}

/// Every site's fill, and the record of transfers.
#[derive(Clone, Debug)]
pub struct Fill {
    sites: Vec<SiteFill>,
    sources: std::sync::Arc<FillSources>,
    /// Completed transfers of (at least) the last `TRANSFER_LOG_HOURS`, in completion order.
    pub transfers: TransferLog,
}

impl Fill {
    pub fn new(sources: std::sync::Arc<FillSources>, sites: usize) -> Fill {
        Fill { sites: vec![SiteFill::default(); sites], sources, transfers: TransferLog::default() }
    }

    /// Whether a site's local clock is inside its fill window.
    pub fn in_window(model: &Model, local: LocalClock) -> bool {
        let f = &model.scenario.fill;
        let start_min = ((f.window_start_hour + f.window_shift_hours) * 60.0).rem_euclid(1440.0);
        let since = (local.minute_of_day as f64 - start_min).rem_euclid(1440.0);
        since < f.window_hours * 60.0
    }

    /// A site's ingress cap (bytes per second) and its bytes per window.
    pub fn caps(model: &Model, site: SiteId) -> (f64, u64) {
        let f = &model.scenario.fill;
        let s = &model.world.sites[site.0 as usize];
        let gbps = s.storage_appliances as f64 * f.storage_gbps + s.flash_appliances as f64 * f.flash_gbps;
        let tb = s.storage_appliances as f64 * f.storage_window_tb + s.flash_appliances as f64 * f.flash_window_tb;
        (gbps * 1e9 / 8.0, (tb * 1e12) as u64)
    }

    pub fn window_open(&self, site: SiteId) -> bool {
        self.sites[site.0 as usize].window_open
    }

    /// Runs out of window until the site's plan is done (the window's byte cap does not apply).
    pub fn force(&mut self, site: SiteId) {
        self.sites[site.0 as usize].forced = true;
    }

    /// Drops a site's plan (it stopped being filled by a planner).
    pub fn clear(&mut self, site: SiteId) {
        self.sites[site.0 as usize] = SiteFill::default();
    }

    pub fn status(&self, model: &Model, site: SiteId) -> SiteFillStatus {
        let f = &self.sites[site.0 as usize];
        let active_left = f.active.as_ref().map_or(0, |a| a.size - a.done);
        SiteFillStatus {
            in_window: f.window_open,
            forced: f.forced,
            pending_files: f.queue.len() as u32 + f.active.is_some() as u32,
            pending_bytes: f.queued_bytes + active_left,
            planned_bytes: f.planned_bytes,
            done_bytes: f.done_bytes,
            window_bytes: f.window_bytes,
            window_cap_bytes: Fill::caps(model, site).1,
            deletes_waiting: f.deletes.len() as u32,
            active: f.active.as_ref().map(|a| ActiveTransfer {
                file: a.file,
                source: a.source,
                tier: a.tier,
                start_s: a.start_s,
                done: a.done as f32 / a.size.max(1) as f32,
            }),
        }
    }

    /// Sets a site's plan: add `desired − held` in `priority` order (most popular first), delete
    /// `held − desired` least popular first once replacements are live.
    pub fn replan(&mut self, model: &Model, site: SiteId, desired: &FileSet, placement: &Placement, priority: &[f64]) {
        let held = placement.held(site);
        let f = &mut self.sites[site.0 as usize];
        let active = f.active.as_ref().map(|a| a.file);
        let mut adds: Vec<FileId> = desired.iter().filter(|&x| !held.contains(x) && Some(x) != active).collect();
        adds.sort_by(|a, b| priority[b.0 as usize].total_cmp(&priority[a.0 as usize]).then(a.cmp(b)));
        let mut deletes: Vec<FileId> = held.iter().filter(|&x| !desired.contains(x)).collect();
        deletes.sort_by(|a, b| priority[a.0 as usize].total_cmp(&priority[b.0 as usize]).then(a.cmp(b)));
        let size = |x: FileId| model.catalog.file_size_bytes(x);
        f.queue = adds.into_iter().map(|file| Pending { file, size: size(file), waiting_since: None }).collect();
        f.queued_bytes = f.queue.iter().map(|p| p.size).sum();
        f.deletes = deletes.into_iter().map(|x| (x, size(x))).collect();
        f.credit = 0;
        f.planned_bytes = f.queued_bytes + f.active.as_ref().map_or(0, |a| a.size - a.done);
        f.done_bytes = 0;
    }

    /// Whether the site's window just opened (the caller replans it then). Call once per minute per site,
    /// before `step_site`.
    pub fn window_opens(&mut self, site: SiteId, in_window: bool) -> bool {
        let f = &mut self.sites[site.0 as usize];
        let opens = in_window && !f.window_open;
        if opens {
            f.window_bytes = 0;
        }
        f.window_open = in_window;
        opens
    }

    /// Moves one minute of a site's fill. `reserve_bytes` is disk the site keeps for replicas. Returns true
    /// when this minute finished the site's plan.
    pub fn step_site(
        &mut self,
        model: &Model,
        site: SiteId,
        minute: u64,
        reserve_bytes: u64,
        placement: &mut Placement,
        out: &mut FillMinute,
    ) -> bool {
        let sources = self.sources.clone();
        let (rate_bps, window_cap) = Fill::caps(model, site);
        let disk = model.world.sites[site.0 as usize].disk_bytes;
        let region = model.world.sites[site.0 as usize].region.0 as usize;
        let escalation = &model.scenario.fill.escalation;
        let f = &mut self.sites[site.0 as usize];
        if !(f.window_open || f.forced) {
            return false;
        }
        let minute_bytes = (rate_bps * SECONDS_PER_MINUTE as f64) as u64;
        let mut budget =
            if f.forced { minute_bytes } else { minute_bytes.min(window_cap.saturating_sub(f.window_bytes)) };
        let mut used = 0u64;
        let t0 = (minute * SECONDS_PER_MINUTE) as f64;
        while budget > 0 {
            if f.active.is_none() {
                // The first pending file that fits and has a source; the rest wait their turn.
                let room = disk.saturating_sub(placement.held_bytes(site) + reserve_bytes);
                let mut chosen = None;
                for (i, p) in f.queue.iter_mut().enumerate() {
                    if p.size > room {
                        continue;
                    }
                    let found = sources.find(site, p.file, placement).map(|(o, t)| (Source::Site(o), t));
                    let waited = p.waiting_since.is_some_and(|w| minute >= w + escalation.wait_minutes as u64);
                    let source = match found {
                        Some(s) => Some(s),
                        None if escalation.origin_allowed && (waited || escalation.wait_minutes == 0) => {
                            let metro = model.world.sites[site.0 as usize].metro;
                            Some((Source::Origin(model.world.nearest_origin(metro) as u32), FillTier::Origin))
                        }
                        None => {
                            p.waiting_since.get_or_insert(minute);
                            None
                        }
                    };
                    if let Some(src) = source {
                        chosen = Some((i, src));
                        break;
                    }
                }
                let Some((i, (source, tier))) = chosen else { break };
                let Some(p) = f.queue.remove(i) else { break };
                f.queued_bytes -= p.size;
                f.active = Some(Active {
                    file: p.file,
                    size: p.size,
                    done: 0,
                    source,
                    tier,
                    start_s: t0 + used as f64 / rate_bps,
                    backbone: sources.crosses_backbone(site, source),
                });
            }
            let Some(a) = f.active.as_mut() else { break };
            let take = budget.min(a.size - a.done);
            a.done += take;
            budget -= take;
            used += take;
            f.window_bytes += take;
            f.done_bytes += take;
            out.tier_bytes[region][a.tier as usize] += take;
            if a.backbone {
                out.backbone_bytes[region] += take;
            }
            if a.done == a.size {
                placement.insert(site, a.file, a.size);
                self.transfers.push(Transfer {
                    site,
                    file: a.file,
                    source: a.source,
                    tier: a.tier,
                    start_s: a.start_s,
                    end_s: t0 + used as f64 / rate_bps,
                    bytes: a.size,
                    forced: !f.window_open,
                });
                f.credit += a.size;
                f.active = None;
                // Files replaced by what just went live may go now.
                while f.credit > 0 {
                    let Some((x, size)) = f.deletes.pop_front() else { break };
                    placement.remove(site, x, size);
                    f.credit = f.credit.saturating_sub(size);
                }
            }
        }
        if f.queue.is_empty() && f.active.is_none() {
            // Every replacement is live: the rest of the deletions may go.
            let finished = used > 0 || !f.deletes.is_empty();
            while let Some((x, size)) = f.deletes.pop_front() {
                placement.remove(site, x, size);
            }
            f.forced = false;
            return finished;
        }
        false
    }

    /// A reactive cache's admission: copied at once from the nearest peer or tier site holding it, else the
    /// origin. Counted as fill bytes; not logged as a transfer (there are as many as misses).
    pub fn admit(&self, model: &Model, a: &Admission, placement: &Placement, out: &mut FillMinute) {
        let (source, tier) = match self.sources.find(a.site, a.file, placement) {
            Some((o, t)) => (Source::Site(o), t),
            None => {
                let metro = model.world.sites[a.site.0 as usize].metro;
                (Source::Origin(model.world.nearest_origin(metro) as u32), FillTier::Origin)
            }
        };
        let region = model.world.sites[a.site.0 as usize].region.0 as usize;
        out.tier_bytes[region][tier as usize] += a.size_bytes;
        if self.sources.crosses_backbone(a.site, source) {
            out.backbone_bytes[region] += a.size_bytes;
        }
    }

    /// Drops transfers older than the log keeps.
    pub fn prune(&mut self, now: SimTime) {
        self.transfers.prune(now.seconds().saturating_sub(TRANSFER_LOG_HOURS * 3600) as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(i: u64) -> Transfer {
        Transfer {
            site: SiteId(i as u32 % 7),
            file: FileId(i as u32),
            source: Source::Origin(0),
            tier: FillTier::Origin,
            start_s: i as f64,
            end_s: i as f64 + 1.0,
            bytes: 1,
            forced: false,
        }
    }

    #[test]
    fn the_log_reads_from_any_sequence_number_after_pruning() {
        let mut log = TransferLog::default();
        let n = 3 * TransferLog::CHUNK as u64 + 100;
        for i in 0..n {
            log.push(transfer(i));
        }
        log.prune(TransferLog::CHUNK as f64 + 5.0);
        assert_eq!(log.end_seq(), n);
        assert_eq!(log.since(0).next().unwrap().file, FileId(TransferLog::CHUNK as u32));
        for seq in [1500, 2048, 3 * TransferLog::CHUNK as u64 + 3, n - 1] {
            assert_eq!(log.since(seq).next().unwrap().file, FileId(seq as u32), "{seq}");
            assert_eq!(log.since(seq).count() as u64, n - seq);
        }
        assert_eq!(log.since(n).count(), 0);
    }
}

// Queries for the console's views (branch console-views).

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::scenario::FillSpec;

/// A site's fill windows that overlap `[from, to)`, clipped to it, oldest first. Each local day's window opens
/// when the clock of the site's metro reads the window's start (`window_start_hour + window_shift_hours`) and
/// closes `window_hours` of local clock later, as `Fill::in_window` judges it: a window spanning a
/// daylight-saving change is an hour longer or shorter.
pub fn fill_windows(model: &Model, site: SiteId, from: SimTime, to: SimTime) -> Vec<(SimTime, SimTime)> {
    let metro = model.world.sites[site.0 as usize].metro;
    windows_in_zone(&model.scenario.fill, model.world.metros[metro.0 as usize].tz, model.start_utc, from, to)
}

fn windows_in_zone(
    spec: &FillSpec,
    tz: Tz,
    start_utc: DateTime<Utc>,
    from: SimTime,
    to: SimTime,
) -> Vec<(SimTime, SimTime)> {
    // Whole local minutes, as `Fill::in_window` compares them.
    let open_min = ((spec.window_start_hour + spec.window_shift_hours) * 60.0).rem_euclid(1440.0);
    let (open_min, close_min) = (open_min.ceil() as i64, (open_min + spec.window_hours * 60.0).ceil() as i64);
    let sim = |utc: DateTime<Utc>| SimTime((utc - start_utc).num_seconds().max(0) as u64);
    // The window of the local day before `from` may still be open at `from`.
    let first_day = from.to_utc(start_utc).with_timezone(&tz).date_naive().pred_opt();
    let last_day = to.to_utc(start_utc).with_timezone(&tz).date_naive();
    let mut out: Vec<(SimTime, SimTime)> = Vec::new();
    for day in first_day.into_iter().flat_map(|d| d.iter_days()).take_while(|d| *d <= last_day) {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        let open = sim(first_instant_reading(tz, midnight + Duration::minutes(open_min))).max(from);
        let close = sim(first_instant_reading(tz, midnight + Duration::minutes(close_min))).min(to);
        if open >= close {
            continue;
        }
        match out.last_mut() {
            // A window of 24 h runs into the next day's.
            Some(last) if last.1 >= open => last.1 = last.1.max(close),
            _ => out.push((open, close)),
        }
    }
    out
}

/// The first instant the local clock reads `local` or later: the earlier reading when the clock goes back
/// over it, the moment it jumps past when the clock goes forward over it.
fn first_instant_reading(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Clocks jump by whole minutes, by less than a day.
    (0..=1440)
        .find_map(|m| tz.from_local_datetime(&(local + Duration::minutes(m))).earliest())
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod fill_window_tests {
    use chrono::Offset;

    use super::*;
    use crate::time::LocalClock;

    fn spec(start_hour: f64, shift_hours: f64, hours: f64) -> FillSpec {
        let mut spec = crate::test_support::small_scenario().fill;
        (spec.window_start_hour, spec.window_shift_hours, spec.window_hours) = (start_hour, shift_hours, hours);
        spec
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("a UTC instant")
    }

    /// A model whose fills use `spec` (the small world: only the fill settings matter here).
    fn model_with(spec: &FillSpec) -> Model {
        let mut scenario = crate::test_support::small_scenario();
        scenario.fill = spec.clone();
        Model::build(scenario).unwrap()
    }

    /// What the engine's rule says at a minute, with the zone's offset at that minute.
    fn engine_in_window(model: &Model, tz: Tz, start_utc: DateTime<Utc>, minute: u64) -> bool {
        let now = SimTime::from_minutes(minute).to_utc(start_utc);
        let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix().local_minus_utc();
        Fill::in_window(model, LocalClock::at(now, offset))
    }

    #[test]
    fn paris_windows_stretch_when_the_clocks_go_back() {
        // Sunday 26 October 2025, 03:00 CEST becomes 02:00 CET (01:00 UTC).
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let start = utc("2025-10-24T00:00:00Z");
        let at = |s: &str| SimTime((utc(s) - start).num_seconds() as u64);
        let windows = windows_in_zone(&spec(2.0, 0.0, 12.0), tz, start, SimTime(0), at("2025-10-28T00:00:00Z"));
        assert_eq!(
            windows,
            vec![
                (at("2025-10-24T00:00:00Z"), at("2025-10-24T12:00:00Z")), // 02:00–14:00 CEST
                (at("2025-10-25T00:00:00Z"), at("2025-10-25T12:00:00Z")),
                (at("2025-10-26T00:00:00Z"), at("2025-10-26T13:00:00Z")), // 02:00 CEST – 14:00 CET: 13 h
                (at("2025-10-27T01:00:00Z"), at("2025-10-27T13:00:00Z")), // 02:00–14:00 CET
            ]
        );
    }

    #[test]
    fn windows_agree_with_the_engine_rule_minute_by_minute() {
        // Both of Europe's changes in 2026, and the southern hemisphere's (Sydney) and a zone without any.
        for (zone, start) in [
            ("Europe/Paris", "2026-03-27T00:00:00Z"),
            ("Europe/Paris", "2026-10-23T00:00:00Z"),
            ("Australia/Sydney", "2026-04-02T00:00:00Z"),
            ("America/New_York", "2026-03-06T00:00:00Z"),
            ("Asia/Kolkata", "2026-03-06T00:00:00Z"),
        ] {
            let tz: Tz = zone.parse().unwrap();
            let start = utc(start);
            for spec in [spec(2.0, 0.0, 12.0), spec(2.0, -2.0, 12.0), spec(22.0, 1.5, 9.25), spec(2.0, 0.0, 24.0)] {
                let model = model_with(&spec);
                let minutes = 5 * 1440;
                let (from, to) = (SimTime::from_minutes(7), SimTime::from_minutes(minutes));
                let windows = windows_in_zone(&spec, tz, start, from, to);
                for m in 7..minutes {
                    let t = SimTime::from_minutes(m);
                    let listed = windows.iter().any(|&(a, b)| a <= t && t < b);
                    assert_eq!(listed, engine_in_window(&model, tz, start, m), "{zone} {start} {spec:?} minute {m}");
                }
            }
        }
    }

    #[test]
    fn a_sites_windows_follow_its_metro() {
        let model = Model::build(crate::test_support::small_scenario()).unwrap();
        let day = SimTime::from_minutes(crate::time::MINUTES_PER_DAY);
        for s in 0..model.world.sites.len() as u32 {
            let site = SiteId(s);
            let tz = model.world.metros[model.world.sites[s as usize].metro.0 as usize].tz;
            let windows = fill_windows(&model, site, day, SimTime(3 * day.0));
            assert_eq!(windows, windows_in_zone(&model.scenario.fill, tz, model.start_utc, day, SimTime(3 * day.0)));
            let open: u64 = windows.iter().map(|(a, b)| b.0 - a.0).sum();
            assert_eq!(
                open,
                2 * 12 * 3600,
                "two 12-hour windows in two days at {}",
                model.world.sites[s as usize].name
            );
        }
    }
}
