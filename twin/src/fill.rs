//! Fills: bringing each site to the manifest its planner wants. When a site's local fill window opens
//! (default 02:00–14:00, shifted by the scenario), the desired manifest is diffed against what the site holds;
//! the files to add are transferred one after another, most popular first, at the site's ingress cap (per
//! appliance) and up to its bytes-per-window cap. Each transfer takes its source by escalation: a peer (a site
//! of the same cluster) holding the file, else a tier source (another site within the hop limit, cheapest
//! route first), else, after waiting, the S3 origin if allowed. An embedded site fills only from sites of its
//! own ISP or from exchange (IXP) sites, never from another ISP's. A transfer competes with the streams its
//! source serves and with everything on the backbone links it crosses (`crate::capacity`), so each minute a
//! site first asks for its ingress cap (`requests`) and then moves what it was granted (`advance`). A file
//! serves only once its transfer completes, and a file leaving the manifest is deleted only once files of at
//! least its size have gone live in its place. A site out of service does not fill. "Fill now" runs a site's
//! fill out of its window (still at its ingress cap). Every transfer is recorded.

use std::collections::VecDeque;

use serde::Serialize;

use crate::capacity::{FillRequest, FillSource};
use crate::catalog::FileId;
use crate::error::TwinError;
use crate::model::Model;
use crate::placement::{Clusters, FileSet, Placement};
use crate::region::REGIONS;
use crate::session::BYTES_PER_KBPS_MINUTE;
use crate::time::{LocalClock, SECONDS_PER_MINUTE, SimTime};
use crate::world::{SiteId, SiteKind};

/// Peers and tier sources kept per site, nearest first.
const PEERS: usize = 8;
const TIERS: usize = 16;
/// Transfers kept for the views.
const TRANSFER_LOG_HOURS: u64 = 48;
/// Most an operator may scale the fill caps by.
pub const MAX_CAPS_FACTOR: f64 = 100.0;

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

/// A run of files copied to one site back to back from one source: the unit the transfer log keeps (a night's
/// fill of a site is a few runs, not thousands of records).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Transfer {
    pub site: SiteId,
    /// The last file of the run.
    pub file: FileId,
    /// Files copied back to back in the run.
    pub files: u32,
    pub source: Source,
    pub tier: FillTier,
    /// Seconds of simulated time.
    pub start_s: f64,
    pub end_s: f64,
    pub bytes: u64,
    /// Run out of the window by a "fill now".
    pub forced: bool,
}

impl Transfer {
    /// Whether `next` carries this run on: same site, source, tier and window, starting where it ended, and the
    /// run under a quarter of an hour (so the log shows a long fill as it goes).
    fn continues(&self, next: &Transfer) -> bool {
        (self.site, self.source, self.tier, self.forced) == (next.site, next.source, next.tier, next.forced)
            && (next.start_s - self.end_s).abs() < 1.0
            && next.end_s - self.start_s <= 900.0
    }
}

/// A file copied to a site at once because a reactive cache admitted it.
#[derive(Clone, Copy, Debug)]
pub struct Admission {
    pub site: SiteId,
    pub file: FileId,
    pub size_bytes: u64,
}

/// Fill bytes moved in one minute, per region of the receiving site.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FillMinute {
    pub tier_bytes: [[u64; 3]; REGIONS.len()],
    /// The part that crossed the backbone (source in another metro, or the origin).
    pub backbone_bytes: [u64; REGIONS.len()],
    /// Files read from an origin that arrived this minute: (origin index, file, bytes).
    pub origin_files: Vec<(u32, FileId, u64)>,
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

/// What a new plan changes at a site (`Fill::plan_changes`).
#[derive(Clone, Debug)]
pub struct PlanChanges {
    adds: Vec<FileId>,
    deletes: Vec<FileId>,
}

/// A file waiting to be filled, and the minute it first found no peer or tier source (`u32::MAX`: not yet).
#[derive(Clone, Copy, Debug)]
struct Pending {
    file: FileId,
    waiting_since: u32,
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
    links: Vec<u32>,
}

#[derive(Clone, Debug, Default)]
struct SiteFill {
    /// The run of transfers being extended, logged when the next does not carry it on.
    run: Option<Transfer>,
    queue: VecDeque<Pending>,
    /// Bytes of the files in `queue`.
    queued_bytes: u64,
    active: Option<Active>,
    /// Files to delete once replacements are live, least popular first.
    deletes: VecDeque<FileId>,
    /// Bytes gone live tonight not yet matched by deletions.
    credit: u64,
    window_open: bool,
    window_bytes: u64,
    forced: bool,
    planned_bytes: u64,
    done_bytes: u64,
}

/// A place a site may fill from, and the backbone links between them (empty within a metro).
#[derive(Clone, Debug)]
struct Route {
    site: SiteId,
    links: Vec<u32>,
}

/// Nearby sources for each site's fills, by route cost on the backbone.
#[derive(Clone, Debug)]
pub struct FillSources {
    peers: Vec<Vec<Route>>,
    tiers: Vec<Vec<Route>>,
    /// The links from each site's nearest origin to it.
    origin_links: Vec<Vec<u32>>,
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
        // An embedded site fills from its own ISP's sites or from exchanges; an exchange from exchanges.
        let may_source =
            |site: SiteId, other: SiteId| match (world.sites[site.0 as usize].kind, world.sites[other.0 as usize].kind)
            {
                (_, SiteKind::Ixp) => true,
                (SiteKind::Embedded(a), SiteKind::Embedded(b)) => a == b,
                (SiteKind::Ixp, SiteKind::Embedded(_)) => false,
            };
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
                    for &other in sites_at[x].iter().filter(|&&o| o != site && may_source(site, o)) {
                        let route = || Route { site: other, links: routes[x].links.clone() };
                        if clusters.of(other) == cluster {
                            if p.len() < PEERS {
                                p.push(route());
                            }
                        } else if t.len() < TIERS && routes[x].hops <= max_hops {
                            t.push(route());
                        }
                    }
                }
            }
        }
        FillSources {
            peers,
            tiers,
            origin_links: world
                .sites
                .iter()
                .map(|s| world.backbone.metro_origin_path[s.metro.0 as usize].clone())
                .collect(),
            metro_of: world.sites.iter().map(|s| s.metro.0).collect(),
        }
    }

    /// The nearest peer, else tier site, holding `file` live and in service.
    fn find(&self, site: SiteId, file: FileId, placement: &Placement, up: &[bool]) -> Option<(&Route, FillTier)> {
        let s = site.0 as usize;
        let holds = |r: &&Route| up[r.site.0 as usize] && placement.holds(r.site, file);
        self.peers[s]
            .iter()
            .find(holds)
            .map(|r| (r, FillTier::Peer))
            .or_else(|| self.tiers[s].iter().find(holds).map(|r| (r, FillTier::Tier)))
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
    /// The fill schedule in force: the scenario's, as commands since changed it.
    pub(crate) spec: FillSpec,
    /// The scenario's, to scale the caps from.
    base: FillSpec,
    sites: Vec<SiteFill>,
    sources: std::sync::Arc<FillSources>,
    /// Completed transfers of (at least) the last `TRANSFER_LOG_HOURS`, in completion order.
    pub transfers: TransferLog,
    /// The sites whose requests this minute are in `requests`, in order, and those with nothing left to add
    /// but deletions waiting.
    requesting: Vec<SiteId>,
    requests: Vec<FillRequest>,
    settling: Vec<SiteId>,
}

impl Fill {
    pub fn new(spec: FillSpec, sources: std::sync::Arc<FillSources>, sites: usize) -> Fill {
        Fill {
            base: spec.clone(),
            spec,
            sites: vec![SiteFill::default(); sites],
            sources,
            transfers: TransferLog::default(),
            requesting: Vec::new(),
            requests: Vec::new(),
            settling: Vec::new(),
        }
    }

    /// Heap bytes of the sites' queues and deletion lists, and of the transfer log.
    pub fn heap_bytes(&self) -> (usize, usize) {
        let queues = self.sites.iter().map(|f| f.queue.capacity() * 8 + f.deletes.capacity() * 4).sum();
        (queues, self.transfers.len() * std::mem::size_of::<Transfer>())
    }

    /// Moves every site's fill window (local start hour, length) and scales its caps (rate and bytes per window)
    /// from the scenario's by `caps_factor`. A window opening or closing under the new schedule does so at
    /// the next minute.
    pub fn set_schedule(&mut self, start_hour: f64, hours: f64, caps_factor: f64) -> Result<(), TwinError> {
        if !(start_hour.is_finite() && (0.0..24.0).contains(&start_hour)) {
            return Err(TwinError::Refused(format!("a fill window starts at an hour in [0, 24), not {start_hour}")));
        }
        if !(hours.is_finite() && (1.0 / 60.0..=24.0).contains(&hours)) {
            return Err(TwinError::Refused(format!("a fill window lasts a minute to 24 hours, not {hours}")));
        }
        if !(caps_factor.is_finite() && caps_factor > 0.0 && caps_factor <= MAX_CAPS_FACTOR) {
            return Err(TwinError::Refused(format!(
                "fill caps scale by a factor above 0 and at most {MAX_CAPS_FACTOR}, not {caps_factor}"
            )));
        }
        let b = &self.base;
        self.spec = FillSpec {
            window_start_hour: start_hour,
            window_shift_hours: 0.0,
            window_hours: hours,
            storage_gbps: b.storage_gbps * caps_factor,
            storage_window_tb: b.storage_window_tb * caps_factor,
            flash_gbps: b.flash_gbps * caps_factor,
            flash_window_tb: b.flash_window_tb * caps_factor,
            ..b.clone()
        };
        Ok(())
    }

    /// The schedule in force, as `set_schedule` takes it: the window's local start hour and length, and the
    /// factor the caps are of the scenario's.
    pub fn schedule(&self) -> (f64, f64, f64) {
        let f = &self.spec;
        let caps = if self.base.storage_gbps > 0.0 { f.storage_gbps / self.base.storage_gbps } else { 1.0 };
        ((f.window_start_hour + f.window_shift_hours).rem_euclid(24.0), f.window_hours, caps)
    }

    /// Whether a site's local clock is inside its fill window under `f`.
    pub fn in_window(f: &FillSpec, local: LocalClock) -> bool {
        let start_min = ((f.window_start_hour + f.window_shift_hours) * 60.0).rem_euclid(1440.0);
        let since = (local.minute_of_day as f64 - start_min).rem_euclid(1440.0);
        since < f.window_hours * 60.0
    }

    /// A site's ingress cap (kbps) and its bytes per window under `f`.
    pub fn caps(f: &FillSpec, model: &Model, site: SiteId) -> (f64, u64) {
        let s = &model.world.sites[site.0 as usize];
        let gbps = s.storage_appliances as f64 * f.storage_gbps + s.flash_appliances as f64 * f.flash_gbps;
        let tb = s.storage_appliances as f64 * f.storage_window_tb + s.flash_appliances as f64 * f.flash_window_tb;
        (gbps * 1e6, (tb * 1e12) as u64)
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
            window_cap_bytes: Fill::caps(&self.spec, model, site).1,
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

    /// What a site's plan changes: the files to add, `desired − held` (less the one in transfer), in
    /// `priority` order (most popular first), and those to delete, `held − desired`, least popular first.
    /// Reads only, so many sites' changes can be worked out at once.
    pub fn plan_changes(
        &self,
        site: SiteId,
        desired: &FileSet,
        placement: &Placement,
        priority: &[f64],
    ) -> PlanChanges {
        let active = self.sites[site.0 as usize].active.as_ref().map(|a| a.file);
        let mut adds = placement.missing(site, desired);
        adds.retain(|&x| Some(x) != active);
        adds.sort_by(|a, b| priority[b.0 as usize].total_cmp(&priority[a.0 as usize]).then(a.cmp(b)));
        let mut deletes = placement.surplus(site, desired);
        deletes.sort_by(|a, b| priority[a.0 as usize].total_cmp(&priority[b.0 as usize]).then(a.cmp(b)));
        PlanChanges { adds, deletes }
    }

    /// Sets a site's plan: its adds queued, its deletes made once replacements are live.
    pub fn set_plan(&mut self, model: &Model, site: SiteId, changes: PlanChanges) {
        let f = &mut self.sites[site.0 as usize];
        let size = |x: FileId| model.catalog.file_size_bytes(x);
        f.queued_bytes = changes.adds.iter().map(|&x| size(x)).sum();
        f.queue = changes.adds.into_iter().map(|file| Pending { file, waiting_since: u32::MAX }).collect();
        f.deletes = changes.deletes.into();
        f.credit = 0;
        f.planned_bytes = f.queued_bytes + f.active.as_ref().map_or(0, |a| a.size - a.done);
        f.done_bytes = 0;
    }

    /// Whether the site's window just opened (the caller replans it then). Call once per minute per site,
    /// before `requests`.
    pub fn window_opens(&mut self, site: SiteId, in_window: bool) -> bool {
        let f = &mut self.sites[site.0 as usize];
        let opens = in_window && !f.window_open;
        if opens {
            f.window_bytes = 0;
        }
        if f.window_open
            && !in_window
            && let Some(run) = f.run.take()
        {
            self.transfers.push(run);
        }
        f.window_open = in_window;
        opens
    }

    /// Picks the next file a site fills and where from: the first pending file that fits and has a source (a
    /// peer, a tier site, or after waiting the origin); the rest wait their turn.
    #[allow(clippy::too_many_arguments)] // one minute's inputs to a site's fill; a struct would only rename them
    fn start_next(
        &mut self,
        model: &Model,
        site: SiteId,
        minute: u64,
        limit_bytes: u64,
        placement: &Placement,
        up: &[bool],
        t_s: f64,
    ) {
        let escalation = &self.spec.escalation;
        let sources = self.sources.clone();
        let f = &mut self.sites[site.0 as usize];
        let room = limit_bytes.saturating_sub(placement.held_bytes(site));
        let mut chosen = None;
        for (i, p) in f.queue.iter_mut().enumerate() {
            if model.catalog.file_size_bytes(p.file) > room {
                continue;
            }
            let found =
                sources.find(site, p.file, placement, up).map(|(r, t)| (Source::Site(r.site), t, r.links.clone()));
            let waited =
                p.waiting_since != u32::MAX && minute >= p.waiting_since as u64 + escalation.wait_minutes as u64;
            let source = match found {
                Some(s) => Some(s),
                None if escalation.origin_allowed && (waited || escalation.wait_minutes == 0) => {
                    let metro = model.world.sites[site.0 as usize].metro;
                    let origin = Source::Origin(model.world.nearest_origin(metro) as u32);
                    Some((origin, FillTier::Origin, sources.origin_links[site.0 as usize].clone()))
                }
                None => {
                    if p.waiting_since == u32::MAX {
                        p.waiting_since = minute as u32;
                    }
                    None
                }
            };
            if let Some(src) = source {
                chosen = Some((i, src));
                break;
            }
        }
        let Some((i, (source, tier, links))) = chosen else { return };
        let Some(p) = f.queue.remove(i) else { return };
        let size = model.catalog.file_size_bytes(p.file);
        f.queued_bytes -= size;
        f.active = Some(Active {
            file: p.file,
            size,
            done: 0,
            source,
            tier,
            start_s: t_s,
            backbone: sources.crosses_backbone(site, source),
            links,
        });
    }

    /// What every filling site asks for this minute: its ingress cap, from the source of the file it is on
    /// (or starts now). `sites` lists the planner sites with the bytes fills may bring each to.
    pub fn requests(
        &mut self,
        model: &Model,
        minute: u64,
        sites: &[(SiteId, u64)],
        placement: &Placement,
        up: &[bool],
    ) -> &[FillRequest] {
        self.requesting.clear();
        self.requests.clear();
        self.settling.clear();
        let t_s = (minute * SECONDS_PER_MINUTE) as f64;
        for &(site, limit) in sites {
            let (rate_kbps, window_cap) = Fill::caps(&self.spec, model, site);
            let f = &self.sites[site.0 as usize];
            let has_budget = f.forced || f.window_bytes < window_cap;
            if !(f.window_open || f.forced) || !has_budget || !up[site.0 as usize] {
                continue;
            }
            if f.active.is_none() {
                self.start_next(model, site, minute, limit, placement, up, t_s);
            }
            let f = &mut self.sites[site.0 as usize];
            let Some(a) = f.active.as_ref() else {
                if f.queue.is_empty() {
                    if f.deletes.is_empty() {
                        f.forced = false;
                    } else {
                        self.settling.push(site);
                    }
                }
                continue;
            };
            let source = match a.source {
                Source::Site(s) => FillSource::Site(s.0),
                Source::Origin(o) => FillSource::Origin(o),
            };
            self.requesting.push(site);
            self.requests.push(FillRequest { source, kbps: rate_kbps, links: a.links.clone() });
        }
        &self.requests
    }

    /// Moves this minute's fills at the rates granted to `requests` (`granted_kbps`, in their order). Returns
    /// the sites whose plan this minute finished.
    #[allow(clippy::too_many_arguments)] // one minute's inputs to every fill; a struct would only rename them
    pub fn advance(
        &mut self,
        model: &Model,
        minute: u64,
        granted_kbps: &[f64],
        limit: impl Fn(SiteId) -> u64,
        placement: &mut Placement,
        up: &[bool],
        out: &mut FillMinute,
    ) -> Vec<SiteId> {
        let mut finished = Vec::new();
        let t0 = (minute * SECONDS_PER_MINUTE) as f64;
        let requesting = std::mem::take(&mut self.requesting);
        for site in self.settling.drain(..) {
            let f = &mut self.sites[site.0 as usize];
            while let Some(x) = f.deletes.pop_front() {
                placement.remove(site, x, model.catalog.file_size_bytes(x));
            }
            f.forced = false;
            finished.push(site);
        }
        for (&site, &kbps) in requesting.iter().zip(granted_kbps) {
            let (_, window_cap) = Fill::caps(&self.spec, model, site);
            let region = model.world.sites[site.0 as usize].region.0 as usize;
            let rate_bps = kbps * 125.0;
            let minute_bytes = (kbps * BYTES_PER_KBPS_MINUTE as f64) as u64;
            let f = &self.sites[site.0 as usize];
            let mut budget =
                if f.forced { minute_bytes } else { minute_bytes.min(window_cap.saturating_sub(f.window_bytes)) };
            let mut used = 0u64;
            while budget > 0 {
                if self.sites[site.0 as usize].active.is_none() {
                    self.start_next(
                        model,
                        site,
                        minute,
                        limit(site),
                        placement,
                        up,
                        t0 + used as f64 / rate_bps.max(1.0),
                    );
                }
                let f = &mut self.sites[site.0 as usize];
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
                    if let Source::Origin(o) = a.source {
                        out.origin_files.push((o, a.file, a.size));
                    }
                    let done = Transfer {
                        site,
                        file: a.file,
                        files: 1,
                        source: a.source,
                        tier: a.tier,
                        start_s: a.start_s,
                        end_s: t0 + used as f64 / rate_bps.max(1.0),
                        bytes: a.size,
                        forced: !f.window_open,
                    };
                    match f.run.as_mut() {
                        Some(run) if run.continues(&done) => {
                            (run.file, run.end_s, run.bytes) = (done.file, done.end_s, run.bytes + done.bytes);
                            run.files += 1;
                        }
                        _ => {
                            if let Some(run) = f.run.replace(done) {
                                self.transfers.push(run);
                            }
                        }
                    }
                    f.credit += a.size;
                    f.active = None;
                    // Files replaced by what just went live may go now.
                    while f.credit > 0 {
                        let Some(x) = f.deletes.pop_front() else { break };
                        let size = model.catalog.file_size_bytes(x);
                        placement.remove(site, x, size);
                        f.credit = f.credit.saturating_sub(size);
                    }
                }
            }
            let f = &mut self.sites[site.0 as usize];
            if f.queue.is_empty() && f.active.is_none() && used > 0 {
                if let Some(run) = f.run.take() {
                    self.transfers.push(run);
                }
                // Every replacement is live: the rest of the deletions may go.
                while let Some(x) = f.deletes.pop_front() {
                    placement.remove(site, x, model.catalog.file_size_bytes(x));
                }
                f.forced = false;
                finished.push(site);
            }
        }
        self.requesting = requesting;
        finished
    }

    /// A reactive cache's admission: copied at once from the nearest peer or tier site holding it, else the
    /// origin. Counted as fill bytes; not logged as a transfer (there are as many as misses).
    pub fn admit(&self, model: &Model, a: &Admission, placement: &Placement, up: &[bool], out: &mut FillMinute) {
        let source = match self.sources.find(a.site, a.file, placement, up) {
            Some((r, t)) => (Source::Site(r.site), t),
            None => {
                let metro = model.world.sites[a.site.0 as usize].metro;
                (Source::Origin(model.world.nearest_origin(metro) as u32), FillTier::Origin)
            }
        };
        let region = model.world.sites[a.site.0 as usize].region.0 as usize;
        out.tier_bytes[region][source.1 as usize] += a.size_bytes;
        if let Source::Origin(o) = source.0 {
            out.origin_files.push((o, a.file, a.size_bytes));
        }
        if self.sources.crosses_backbone(a.site, source.0) {
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
            files: 1,
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

// Queries for the console's views.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::scenario::FillSpec;

/// A site's fill windows that overlap `[from, to)`, clipped to it, oldest first. Each local day's window opens
/// when the clock of the site's metro reads the window's start (`window_start_hour + window_shift_hours`) and
/// closes `window_hours` of local clock later, as `Fill::in_window` judges it: a window spanning a
/// daylight-saving change is an hour longer or shorter.
pub fn fill_windows(
    spec: &FillSpec,
    model: &Model,
    site: SiteId,
    from: SimTime,
    to: SimTime,
) -> Vec<(SimTime, SimTime)> {
    let metro = model.world.sites[site.0 as usize].metro;
    windows_in_zone(spec, model.world.metros[metro.0 as usize].tz, model.start_utc, from, to)
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
        let mut spec = crate::test_support::small_scenario().fill.clone();
        (spec.window_start_hour, spec.window_shift_hours, spec.window_hours) = (start_hour, shift_hours, hours);
        spec
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("a UTC instant")
    }

    /// A model whose fills use `spec` (the small world: only the fill settings matter here).
    fn model_with(spec: &FillSpec) -> Model {
        let scenario = crate::test_support::small_scenario().edit("test", |s| s.fill = spec.clone()).unwrap();
        Model::build(scenario).unwrap()
    }

    /// What the engine's rule says at a minute, with the zone's offset at that minute.
    fn engine_in_window(model: &Model, tz: Tz, start_utc: DateTime<Utc>, minute: u64) -> bool {
        let now = SimTime::from_minutes(minute).to_utc(start_utc);
        let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix().local_minus_utc();
        Fill::in_window(&model.scenario.fill, LocalClock::at(now, offset))
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
            let windows = fill_windows(&model.scenario.fill, &model, site, day, SimTime(3 * day.0));
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
