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
