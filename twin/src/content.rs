//! Content management: the loop that decides and moves what every site holds. At the end of each region's day
//! it takes the bytes streamed per video and rendition there from the engine, teaches the predictor, predicts
//! the region's next day, and plans every cluster of the region (per placement policy); each minute it moves
//! fills (asking the capacity model for their share first) and feeds the requests offered to reactive sites to
//! their caches. It owns the operator's pins and excludes and each site's policy, which commands change.
//! Predictions may instead come from outside (`set_given_predictions`): nightly training over a store of the
//! days recorded here; a region then plans when they come (`set_predictions`).
//!
//! One calendar convention everywhere: a region's day runs midnight to midnight at its reference offset
//! (`time::RegionCalendar`); days are observed, scored, predicted and planned per region, at its midnight.

use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use crate::BuildStage;
use crate::cache::{OnlineCache, Policy};
use crate::capacity::FillRequest;
use crate::catalog::{Catalog, FileId, TitleId};
use crate::engine::Engine;
use crate::error::TwinError;
use crate::events::{DayRecord, PlanRecord};
use crate::fill::{Admission, Fill, FillMinute, FillSources, SiteFillStatus, TransferLog};
use crate::model::Model;
use crate::placement::oracle::Oracle;
use crate::placement::proactive::Proactive;
use crate::placement::reactive;
use crate::placement::{
    ClusterId, Clusters, FileSet, Manifest, Placement, PlanInput, Planner, Rules, Scope, TitleRule,
};
use crate::popularity::{DayBytes, DayError, Predictor, file_popularity};
use crate::region::REGIONS;
use crate::scenario::PlacementKind;
use crate::steering::{Target, Tier};
use crate::time::{RegionCalendar, SECONDS_PER_DAY};
use crate::world::SiteId;

/// Most a cluster's disk may be scaled by (`set_disk_scale`).
pub const MAX_DISK_SCALE: f64 = 100.0;

/// Popularity per file for one region, and the files with any, most popular first.
#[derive(Clone, Debug, Default)]
pub struct RegionPopularity {
    pub popularity: Vec<f64>,
    pub order: Vec<u32>,
}

impl RegionPopularity {
    fn new(popularity: Vec<f64>) -> RegionPopularity {
        // Most popular first, ties lower file first. Sorted as keys (a positive popularity's bits order as its
        // value does), so a comparison does not look up two files' popularity in a table of millions.
        let mut keyed: Vec<(u64, u32)> =
            popularity.iter().zip(0u32..).filter(|(p, _)| **p > 0.0).map(|(p, f)| (!p.to_bits(), f)).collect();
        keyed.sort_unstable();
        let order = keyed.into_iter().map(|(_, f)| f).collect();
        RegionPopularity { popularity, order }
    }

    /// This popularity with the `covered` files' scaled by `weight` (in [0, 1]). Scaling keeps the order within
    /// the covered files and within the rest, so the new order is a merge of the two: no sort.
    fn discounted(&self, covered: impl Fn(u32) -> bool, weight: f64) -> RegionPopularity {
        let mut popularity = self.popularity.clone();
        let (mut held, mut rest) = (Vec::new(), Vec::new());
        for &f in &self.order {
            if covered(f) {
                popularity[f as usize] *= weight;
                if popularity[f as usize] > 0.0 {
                    held.push(f);
                }
            } else {
                rest.push(f);
            }
        }
        let mut order = Vec::with_capacity(held.len() + rest.len());
        let (mut h, mut r) = (held.iter().peekable(), rest.iter().peekable());
        // Most popular first; ties: lower file first, as `new` orders them.
        let first = |a: u32, b: u32| popularity[a as usize].total_cmp(&popularity[b as usize]).then(b.cmp(&a)).is_gt();
        while let (Some(&&a), Some(&&b)) = (h.peek(), r.peek()) {
            order.extend(if first(a, b) { h.next() } else { r.next() });
        }
        order.extend(h.chain(r));
        RegionPopularity { popularity, order }
    }

    /// Popularity of files that is their video's plays × a factor per file of the video (`file_popularity`):
    /// the order is a merge of one list per factor, each in the videos' order, so only videos are sorted.
    fn from_videos(catalog: &Catalog, plays: &[f64], rendition_shares: &[f64]) -> RegionPopularity {
        let popularity = file_popularity(catalog, plays, rendition_shares);
        let per = catalog.files_per_video();
        let mut videos: Vec<u32> = (0..plays.len() as u32).filter(|&v| plays[v as usize] > 0.0).collect();
        videos.sort_unstable_by(|&a, &b| plays[b as usize].total_cmp(&plays[a as usize]).then(a.cmp(&b)));
        let file = |slot: usize, pos: usize| videos[pos] * per as u32 + slot as u32;
        // One cursor per file of a video; the heap holds each cursor's next file, most popular first (ties: lower
        // file first). Its entries are keys (a popularity's bits, which order as its value does for one not
        // negative; the file inverted; the cursor), compared as one integer instead of field by field.
        let key = |f: u32, slot: usize| {
            (popularity[f as usize].to_bits() as u128) << 64 | ((u32::MAX - f) as u128) << 32 | slot as u128
        };
        let mut heap: BinaryHeap<u128> = (0..per)
            .filter(|&slot| !videos.is_empty() && popularity[file(slot, 0) as usize] > 0.0)
            .map(|slot| key(file(slot, 0), slot))
            .collect();
        let mut cursor = vec![0usize; per];
        let mut order = Vec::with_capacity(videos.len() * per);
        while let Some(k) = heap.pop() {
            order.push(u32::MAX - (k >> 32) as u32);
            let slot = k as u32 as usize;
            cursor[slot] += 1;
            if let Some(&v) = videos.get(cursor[slot]) {
                heap.push(key(v * per as u32 + slot as u32, slot));
            }
        }
        RegionPopularity { popularity, order }
    }
}

/// Where a region is in its calendar.
#[derive(Clone, Copy, Debug)]
struct RegionDay {
    calendar: RegionCalendar,
    /// The day in progress, and whether the engine has seen it since its start (else it is not observed).
    day: i64,
    whole: bool,
}

#[derive(Clone, Debug)]
pub struct Content {
    pub(crate) clusters: Arc<Clusters>,
    /// Size of every file.
    sizes: Arc<Vec<u64>>,
    pub(crate) site_policy: Vec<PlacementKind>,
    caches: Vec<Option<OnlineCache>>,
    predictor: Predictor,
    days: Vec<RegionDay>,
    /// Each region's predicted popularity per file for its day in progress (what plans and fills order by).
    pub(crate) predicted: Arc<Vec<RegionPopularity>>,
    /// Predicted and observed plays per video for each region's current and last day, `[region × videos]`.
    pub(crate) predicted_plays: Arc<Vec<f64>>,
    pub(crate) observed_plays: Arc<Vec<f64>>,
    pub(crate) observed_days: [bool; REGIONS.len()],
    /// Each region's real popularity for its day in progress, for oracle sites (while some site uses it).
    oracle: Option<Arc<Vec<RegionPopularity>>>,
    /// Each (cluster, policy, stripe)'s plan.
    cluster_plans: BTreeMap<PlanKey, Arc<Manifest>>,
    /// What each planner site should hold (None for reactive sites).
    pub(crate) site_plans: Vec<Option<Arc<Manifest>>>,
    pub(crate) rules: Rules,
    /// Each cluster's disk as a multiple of its appliances' (an operator's "what if it had twice the disk").
    disk_scale: Vec<f64>,
    pub(crate) fill: Fill,
    /// Fill bytes of admissions made after the last minute, reported with the next.
    admissions: FillMinute,
    /// The days observed since they were last taken, while they are asked for (None: not kept), and the plans
    /// made since (kept alike).
    pub(crate) days_observed: Option<Vec<DayRecord>>,
    pub(crate) plans_made: Option<Vec<PlanRecord>>,
    /// Predictions come from outside (`Command::SetPredictions`, nightly training over a store of observed
    /// days) rather than from the twin's own predictor: at a region's midnight its day is recorded, and its
    /// plans wait for them. The own predictor still learns, so a fork can go on without them.
    pub(crate) given_predictions: bool,
    /// Regions whose day in progress has no predictions yet (only while they are given).
    awaiting: [bool; REGIONS.len()],
}

/// A region waiting for its day's predictions: the day, its weekday (0 = Monday), and its start in seconds from
/// the twin's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PredictionDue {
    pub region: usize,
    pub day: i64,
    pub weekday: usize,
    pub start_s: i64,
}

/// A cluster's plan under a policy, in one of its stripes.
type PlanKey = (ClusterId, PlacementKind, u8);

/// A site's disk: its appliances', times its cluster's disk scale.
fn site_disk_bytes(model: &Model, clusters: &Clusters, scale: &[f64], site: SiteId) -> u64 {
    (model.world.sites[site.0 as usize].disk_bytes as f64 * scale[clusters.of(site).0 as usize]) as u64
}

/// Each region's calendar at its member-weighted UTC offset at the start, to the hour.
fn calendars(model: &Model) -> Vec<RegionCalendar> {
    let start = model.start_utc;
    (0..REGIONS.len())
        .map(|r| {
            let offset_s = model.world.members_utc_offset_s(r, start).unwrap_or(0);
            RegionCalendar::new(start, (offset_s as f64 / 3600.0).round() as i64 * 3600)
        })
        .collect()
}

impl Content {
    /// Observes the burn-in days, predicts and plans each region's day in progress, and returns the starting
    /// placement: every site already holds its plan, as a network running for a while would.
    pub fn new(model: &Model, progress: &mut dyn FnMut(BuildStage)) -> (Content, Placement) {
        progress(BuildStage::BurnIn);
        let clusters = Arc::new(Clusters::build(&model.world, model.scenario.policy.peer_stripes));
        let sources = Arc::new(FillSources::build(model, &clusters));
        let policy = &model.scenario.policy;
        let shares = model.demand.rendition_shares(&model.scenario, &model.catalog);
        let mut predictor = Predictor::new(&model.catalog, policy.history_weight, policy.prior_plays, &shares);
        let calendars = calendars(model);
        crate::burn_in::observe(model, &calendars, &mut predictor, policy.burn_in_days);
        let sites = model.world.sites.len();
        let clusters_len = clusters.len();
        let kind = policy.placement;
        let regions = REGIONS.len();
        let mut content = Content {
            clusters,
            sizes: Arc::new(
                (0..model.catalog.file_count() as u32).map(|f| model.catalog.file_size_bytes(FileId(f))).collect(),
            ),
            site_policy: vec![kind; sites],
            caches: vec![None; sites],
            predictor,
            days: calendars.iter().map(|&c| RegionDay { calendar: c, day: c.day_at(0), whole: false }).collect(),
            predicted: Arc::new(vec![RegionPopularity::default(); regions]),
            predicted_plays: Arc::new(vec![0.0; regions * model.catalog.videos.len()]),
            observed_plays: Arc::new(vec![0.0; regions * model.catalog.videos.len()]),
            observed_days: [false; REGIONS.len()],
            oracle: None,
            cluster_plans: BTreeMap::new(),
            site_plans: vec![None; sites],
            rules: Rules::default(),
            disk_scale: vec![1.0; clusters_len],
            fill: Fill::new(model.scenario.fill.clone(), sources, sites),
            admissions: FillMinute::default(),
            days_observed: None,
            plans_made: None,
            given_predictions: false,
            awaiting: [false; REGIONS.len()],
        };
        progress(BuildStage::Predict);
        for r in 0..regions {
            content.predict(model, r);
        }
        progress(BuildStage::Plan);
        content.plan(model);
        progress(BuildStage::Place);
        // Reactive sites start warm too: their caches hold what proactive placement would have put there.
        let mut held = Vec::with_capacity(sites);
        let mut held_bytes = Vec::with_capacity(sites);
        for s in 0..sites {
            let site = SiteId(s as u32);
            let plan = match &content.site_plans[s] {
                Some(p) => p.clone(),
                None => {
                    let region = model.world.sites[s].region.0 as usize;
                    let pop = &content.predicted[region];
                    let (cluster, stripe) = (content.clusters.of(site), content.clusters.stripe(site));
                    Arc::new(content.plan_one(model, PlacementKind::Proactive, cluster, stripe, None, pop))
                }
            };
            held.push(plan.files.clone());
            held_bytes.push(plan.used_bytes);
        }
        let mut placement = Placement::new(held, held_bytes);
        for s in 0..sites {
            let site = SiteId(s as u32);
            placement.set_layout(site, content.site_plans[s].as_ref().map(|p| p.layout.clone()));
            if kind.is_reactive() {
                content.make_reactive(model, site, kind, &mut placement);
            }
        }
        (content, placement)
    }

    /// Predicts a region's day in progress (titles launching by the end of the next day included: the plan is
    /// filled today and must serve until tomorrow's fill is done; Netflix pre-positions launches).
    fn predict(&mut self, model: &Model, region: usize) {
        let RegionDay { calendar, day, .. } = self.days[region];
        let start_s = calendar.start_s(day) as f64;
        let horizon = start_s + 2.0 * SECONDS_PER_DAY as f64;
        let catalog = &model.catalog;
        let plays = self.predictor.predict(catalog, region, day, calendar.weekday(day), start_s, |v| {
            (catalog.videos[v].release_s as f64) < horizon
        });
        let videos = catalog.videos.len();
        Arc::make_mut(&mut self.predicted_plays)[region * videos..(region + 1) * videos].copy_from_slice(&plays);
        Arc::make_mut(&mut self.predicted)[region] =
            RegionPopularity::from_videos(catalog, &plays, self.predictor.rendition_shares(region));
        if self.site_policy.contains(&PlacementKind::Oracle) {
            self.predict_oracle(model, region);
        }
    }

    /// The real popularity of a region's day in progress, for oracle sites.
    fn predict_oracle(&mut self, model: &Model, region: usize) {
        let RegionDay { calendar, day, .. } = self.days[region];
        let oracle = self.oracle.get_or_insert_with(|| Arc::new(vec![RegionPopularity::default(); REGIONS.len()]));
        Arc::make_mut(oracle)[region] =
            RegionPopularity::new(Oracle::popularity(model, region, calendar.start_s(day) as f64));
    }

    fn planner(model: &Model) -> Proactive {
        let p = &model.scenario.policy;
        Proactive {
            max_churn_share: Some(p.max_churn_share),
            headroom_share: p.fill_headroom_share,
            replica_load_share: p.replica_load_share,
            incumbent_bonus: p.incumbent_bonus,
        }
    }

    /// The popularity a planner policy plans a region with: predicted, or for the oracle the real one.
    fn popularity_for(&self, kind: PlacementKind, region: usize) -> &RegionPopularity {
        match (kind, &self.oracle) {
            (PlacementKind::Oracle, Some(o)) if !o[region].popularity.is_empty() => &o[region],
            _ => &self.predicted[region],
        }
    }

    /// One cluster stripe's (or, with `site`, one site's) plan under a planner policy, from `pop`.
    fn plan_one(
        &self,
        model: &Model,
        kind: PlacementKind,
        cluster: ClusterId,
        stripe: u8,
        site: Option<SiteId>,
        pop: &RegionPopularity,
    ) -> Manifest {
        let c = self.clusters.get(cluster);
        let rules = self.rules.for_site(site.unwrap_or(SiteId(u32::MAX)), cluster);
        let previous = match site {
            Some(s) => self.site_plans[s.0 as usize].as_deref(),
            None => self.cluster_plans.get(&(cluster, kind, stripe)).map(|m| &**m),
        };
        let tb = 1e12;
        let f = &self.fill.spec;
        let window_tb =
            c.storage_appliances as f64 * f.storage_window_tb + c.flash_appliances as f64 * f.flash_window_tb;
        let input = PlanInput {
            catalog: &model.catalog,
            sizes: &self.sizes,
            popularity: &pop.popularity,
            order: &pop.order,
            storage_appliances: c.storage_appliances,
            flash_appliances: c.flash_appliances,
            storage_disk_bytes: (model.scenario.appliances.storage.disk_tb * tb * self.disk_scale[cluster.0 as usize])
                as u64,
            flash_disk_bytes: (model.scenario.appliances.flash.disk_tb * tb * self.disk_scale[cluster.0 as usize])
                as u64,
            previous,
            window_bytes: (window_tb * tb) as u64,
            rules: &rules,
        };
        let proactive = Content::planner(model);
        match kind {
            PlacementKind::Oracle => Oracle::new(proactive).plan(&input),
            _ => proactive.plan(&input),
        }
    }

    /// A cluster's plan in each of its stripes, from `base`: a stripe is planned after the ones before it, with
    /// the files they hold counting `covered_weight` of their popularity. With each plan, the popularity it
    /// was made from (None for the first stripe, made from `base`).
    fn plan_stripes(
        &self,
        model: &Model,
        kind: PlacementKind,
        cluster: ClusterId,
        base: &RegionPopularity,
    ) -> Vec<(Manifest, Option<RegionPopularity>)> {
        let weight = model.scenario.policy.covered_weight;
        let mut stripes: Vec<(Manifest, Option<RegionPopularity>)> = Vec::new();
        for stripe in 0..self.clusters.get(cluster).stripes {
            let pop = (stripe > 0).then(|| {
                let held: Vec<&FileSet> = stripes.iter().map(|(m, _)| &*m.files).collect();
                base.discounted(|f| held.iter().any(|h| h.contains(FileId(f))), weight)
            });
            let plan = self.plan_one(model, kind, cluster, stripe, None, pop.as_ref().unwrap_or(base));
            stripes.push((plan, pop));
        }
        stripes
    }

    /// Popularity at the sites of an IXP cluster: the demand of every client group steering may send there
    /// (members × its region's popularity), with the files its own in-ISP sites plan to hold discounted to
    /// `covered_weight`, so the IXP tier holds what the tier below lacks.
    fn ixp_popularity(
        &self,
        model: &Model,
        cluster: ClusterId,
        kind: PlacementKind,
        embedded: &BTreeMap<PlanKey, Arc<Manifest>>,
    ) -> RegionPopularity {
        let world = &model.world;
        let embedded_keys: Vec<&PlanKey> = embedded.keys().collect();
        // Groups with the same region and the same in-ISP plans weigh files alike: sum their members.
        let mut members: BTreeMap<(usize, Vec<usize>), f64> = BTreeMap::new();
        for (g, group) in world.client_groups.iter().enumerate() {
            let candidates = model.steering.candidates(g);
            let site_of = |c: &crate::steering::Candidate| match c.target {
                Target::Site(s) => Some(s),
                Target::Origin(_) => None,
            };
            if !candidates.iter().filter_map(site_of).any(|s| self.clusters.of(s) == cluster) {
                continue;
            }
            let mut plans: Vec<usize> = candidates
                .iter()
                .filter(|c| c.tier == Tier::InIsp)
                .filter_map(site_of)
                .filter_map(|s| {
                    let key = (self.clusters.of(s), self.site_policy[s.0 as usize], self.clusters.stripe(s));
                    embedded_keys.binary_search(&&key).ok()
                })
                .collect();
            plans.sort_unstable();
            plans.dedup();
            let region = world.metros[group.metro.0 as usize].region.0 as usize;
            *members.entry((region, plans)).or_default() += group.members;
        }
        let region = self.clusters.get(cluster).region.0 as usize;
        if members.is_empty() {
            return self.popularity_for(kind, region).clone();
        }
        let weight = model.scenario.policy.covered_weight;
        let mut pop = vec![0.0; self.sizes.len()];
        for ((r, plans), m) in &members {
            let base = &self.popularity_for(kind, *r).popularity;
            if base.is_empty() {
                continue;
            }
            let plans: Vec<&Manifest> = plans.iter().map(|&i| &*embedded[embedded_keys[i]]).collect();
            for (f, p) in pop.iter_mut().enumerate() {
                if base[f] > 0.0 {
                    let covered = plans.iter().any(|m| m.files.contains(FileId(f as u32)));
                    *p += m * base[f] * if covered { weight } else { 1.0 };
                }
            }
        }
        RegionPopularity::new(pop)
    }

    /// Plans every region. Returns the number of plans made.
    pub fn plan(&mut self, model: &Model) -> usize {
        (0..REGIONS.len()).map(|r| self.plan_region(model, r)).sum()
    }

    /// Plans every planner site of a region for its day in progress: one plan per (cluster, policy) in use,
    /// and one per site that has rules of its own. In-ISP clusters are planned first, from their region's
    /// popularity; IXP clusters then from what the in-ISP plans leave uncovered. Returns the plans made.
    fn plan_region(&mut self, model: &Model, region: usize) -> usize {
        let clusters = self.clusters.clone();
        let in_region = |c: ClusterId| clusters.get(c).region.0 as usize == region;
        let mut wanted: Vec<(ClusterId, PlacementKind)> = Vec::new();
        for (s, &kind) in self.site_policy.iter().enumerate() {
            let site = SiteId(s as u32);
            let c = self.clusters.of(site);
            if in_region(c) && !kind.is_reactive() && !self.rules.has_site_rules(site) {
                wanted.push((c, kind));
            }
        }
        wanted.sort();
        wanted.dedup();
        let (ixp, embedded): (Vec<_>, Vec<_>) = wanted.into_iter().partition(|(c, _)| self.clusters.get(*c).ixp);
        let embedded_plans =
            parallel_map(&embedded, |&(c, kind)| self.plan_stripes(model, kind, c, self.popularity_for(kind, region)));
        let mut plans = std::mem::take(&mut self.cluster_plans);
        plans.retain(|(c, _, _), _| !in_region(*c));
        let mut stripe_pops: BTreeMap<PlanKey, RegionPopularity> = BTreeMap::new();
        let mut keep =
            |plans: &mut BTreeMap<PlanKey, Arc<Manifest>>, (c, kind): (ClusterId, PlacementKind), stripes| {
                for (stripe, (plan, pop)) in (0u8..).zip(stripes) {
                    plans.insert((c, kind, stripe), Arc::new(plan));
                    if let Some(pop) = pop {
                        stripe_pops.insert((c, kind, stripe), pop);
                    }
                }
            };
        for (&key, stripes) in embedded.iter().zip(embedded_plans) {
            keep(&mut plans, key, stripes);
        }
        // IXPs plan around every embedded plan (their members may come from a neighbouring region).
        let ixp_pop: BTreeMap<(ClusterId, PlacementKind), RegionPopularity> = ixp
            .iter()
            .copied()
            .zip(parallel_map(&ixp, |&(c, kind)| self.ixp_popularity(model, c, kind, &plans)))
            .collect();
        let ixp_plans = parallel_map(&ixp, |&(c, kind)| self.plan_stripes(model, kind, c, &ixp_pop[&(c, kind)]));
        for (&key, stripes) in ixp.iter().zip(ixp_plans) {
            keep(&mut plans, key, stripes);
        }
        let made = embedded.len() + ixp.len();
        self.cluster_plans = plans;
        let mut site_plans = 0;
        for s in 0..self.site_policy.len() {
            let site = SiteId(s as u32);
            let kind = self.site_policy[s];
            let (cluster, stripe) = (self.clusters.of(site), self.clusters.stripe(site));
            if !in_region(cluster) {
                continue;
            }
            self.site_plans[s] = if kind.is_reactive() {
                None
            } else if self.rules.has_site_rules(site) {
                site_plans += 1;
                let pop = (stripe_pops.get(&(cluster, kind, stripe)))
                    .or_else(|| ixp_pop.get(&(cluster, kind)))
                    .unwrap_or_else(|| self.popularity_for(kind, region));
                let plan = self.plan_one(model, kind, cluster, stripe, Some(site), pop);
                Some(Arc::new(plan))
            } else {
                self.cluster_plans.get(&(cluster, kind, stripe)).cloned()
            };
        }
        made + site_plans
    }

    /// The planner sites, with the bytes fills may bring them to: their disk less the replica bytes their plan
    /// keeps free.
    fn planner_sites(&self, model: &Model) -> Vec<(SiteId, u64)> {
        self.site_plans
            .iter()
            .enumerate()
            .filter_map(|(s, p)| {
                let site = SiteId(s as u32);
                p.as_ref().map(|p| (site, self.disk_bytes(model, site).saturating_sub(p.replica_bytes)))
            })
            .collect()
    }

    /// A site's disk: its appliances', times its cluster's disk scale.
    pub fn disk_bytes(&self, model: &Model, site: SiteId) -> u64 {
        site_disk_bytes(model, &self.clusters, &self.disk_scale, site)
    }

    /// Gives every site in `scope` (a cluster, or every site) `factor` times its appliances' disk, and replans:
    /// fills bring the bigger plans in at the next window (or at once with `fill_now`); a smaller disk drops
    /// what no longer fits at that fill. A reactive site's cache takes the new size at once.
    pub fn set_disk_scale(
        &mut self,
        model: &Model,
        scope: Scope,
        factor: f64,
        placement: &mut Placement,
    ) -> Result<(), TwinError> {
        self.check_scope(scope)?;
        if !(factor.is_finite() && (0.1..=MAX_DISK_SCALE).contains(&factor)) {
            return Err(TwinError::Refused(format!("a disk scale must be from 0.1 to {MAX_DISK_SCALE}, not {factor}")));
        }
        let clusters: Vec<usize> = match scope {
            Scope::Site(_) => {
                return Err(TwinError::Refused(
                    "a disk change applies to a whole cluster (its sites share one plan): give a cluster".into(),
                ));
            }
            Scope::Cluster(c) => vec![c.0 as usize],
            Scope::All => (0..self.clusters.len()).collect(),
        };
        let mut regions = Vec::new();
        for &c in &clusters {
            self.disk_scale[c] = factor;
            let cluster = self.clusters.get(ClusterId(c as u32)).clone();
            regions.push(cluster.region.0 as usize);
            for site in cluster.sites {
                if let kind @ PlacementKind::Reactive(_) = self.site_policy[site.0 as usize] {
                    self.make_reactive(model, site, kind, placement);
                }
            }
        }
        regions.sort_unstable();
        regions.dedup();
        for r in regions {
            self.plan_region(model, r);
        }
        Ok(())
    }

    /// This minute's fill requests, after opening the windows that open now (a site is replanned then).
    pub fn fill_requests(&mut self, model: &Model, engine: &mut Engine, placement: &mut Placement) -> Vec<FillRequest> {
        let minute = engine.now().minutes();
        let local = engine.local_clocks(model);
        let mut opened = Vec::new();
        for s in 0..self.site_policy.len() {
            let site = SiteId(s as u32);
            if self.site_plans[s].is_none() {
                continue;
            }
            let metro = model.world.sites[s].metro.0 as usize;
            if self.fill.window_opens(site, Fill::in_window(&self.fill.spec, local[metro])) {
                opened.push(site);
            }
        }
        self.start_plans(model, &opened, placement);
        let sites = self.planner_sites(model);
        self.fill.requests(model, minute, &sites, placement, &engine.site_up).to_vec()
    }

    /// Moves this minute's fills at the rates the capacity model granted. Returns the fill bytes to record.
    pub fn move_fills(&mut self, model: &Model, engine: &Engine, placement: &mut Placement) -> FillMinute {
        let mut out = std::mem::take(&mut self.admissions);
        let minute = engine.now().minutes();
        let (plans, clusters, scale) = (&self.site_plans, &self.clusters, &self.disk_scale);
        let limit = |s: SiteId| {
            let reserve = plans[s.0 as usize].as_ref().map_or(0, |p| p.replica_bytes);
            site_disk_bytes(model, clusters, scale, s).saturating_sub(reserve)
        };
        let granted = &engine.capacity().fill_kbps;
        let finished = self.fill.advance(model, minute, granted, limit, placement, &engine.site_up, &mut out);
        for site in finished {
            if let Some(plan) = &self.site_plans[site.0 as usize]
                && placement.holds_exactly(site, &plan.files)
            {
                placement.share(site, &plan.files);
            }
        }
        out
    }

    /// After the engine simulated a minute: reactive caches take in their requests, and a region whose day
    /// ended has it observed, its next day predicted and its clusters planned.
    pub fn after_minute(&mut self, model: &Model, engine: &mut Engine, placement: &mut Placement) {
        let mut evicted = Vec::new();
        for (site, file) in engine.take_reactive_requests() {
            let Some(cache) = self.caches[site.0 as usize].as_mut() else { continue };
            let size = model.catalog.file_size_bytes(file);
            evicted.clear();
            let access = reactive::request(cache, file, size, &mut evicted);
            for &e in &evicted {
                let e = FileId(e as u32);
                placement.remove(site, e, model.catalog.file_size_bytes(e));
            }
            if access.admitted {
                let admission = Admission { site, file, size_bytes: size };
                self.fill.admit(model, &admission, placement, &engine.site_up, &mut self.admissions);
                placement.insert(site, file, size);
            }
        }
        let now_s = engine.now().seconds() as i64;
        for r in 0..REGIONS.len() {
            let d = self.days[r];
            if d.calendar.day_at(now_s) == d.day {
                continue;
            }
            let (videos, renditions) = engine.take_region_bytes(model, r);
            if d.whole {
                let bytes = DayBytes { videos: &videos, renditions: &renditions };
                let end_s = d.calendar.start_s(d.day + 1) as f64;
                let weekday = d.calendar.weekday(d.day);
                self.predictor.observe(&model.catalog, &model.stream_kbps, r, d.day, weekday, end_s, &bytes);
                let n = model.catalog.videos.len();
                let observed = Arc::make_mut(&mut self.observed_plays);
                let plays = crate::popularity::plays_of(&model.catalog, &model.stream_kbps, &bytes);
                observed[r * n..(r + 1) * n].copy_from_slice(&plays);
                self.observed_days[r] = true;
            }
            self.days[r] = RegionDay { day: d.day + 1, whole: true, ..d };
            let n = model.catalog.videos.len();
            let was_predicted = self.predicted_plays[r * n..(r + 1) * n].to_vec();
            if !self.given_predictions {
                self.predict(model, r);
            }
            if d.whole
                && let Some(days) = &mut self.days_observed
            {
                days.push(DayRecord {
                    region: r as u8,
                    day: d.day,
                    weekday: d.calendar.weekday(d.day) as u8,
                    end_s: d.calendar.start_s(d.day + 1),
                    observed_plays: self.observed_plays[r * n..(r + 1) * n].to_vec(),
                    rendition_seconds: crate::popularity::rendition_seconds(&model.stream_kbps, &renditions),
                    predicted_plays: was_predicted,
                    next_predicted_plays: if self.given_predictions {
                        Vec::new()
                    } else {
                        self.predicted_plays[r * n..(r + 1) * n].to_vec()
                    },
                });
            }
            if self.given_predictions {
                self.awaiting[r] = true;
            } else {
                self.replan(model, r, placement);
            }
        }
        if now_s % SECONDS_PER_DAY as i64 == 0 {
            self.fill.prune(engine.now());
        }
    }

    /// Plans a region for its day in progress, and records the copies that changed while plans are kept.
    fn replan(&mut self, model: &Model, region: usize, placement: &mut Placement) {
        let before = self.plans_made.is_some().then(|| self.region_copies(model, region));
        self.plan_region(model, region);
        self.replan_open_windows(model, region, placement);
        if let Some(before) = before {
            let after = self.region_copies(model, region);
            let changes = (0u32..).zip(before.iter().zip(&after)).filter(|(_, (b, a))| b != a);
            let record = PlanRecord {
                region: region as u8,
                day: self.days[region].day,
                changes: changes.map(|(f, (&b, &a))| (f, b, a)).collect(),
            };
            if let Some(plans) = &mut self.plans_made {
                plans.push(record);
            }
        }
    }

    /// Per file, how many of a region's sites are planned to hold it (a manifest shared by sites counted once).
    fn region_copies(&self, model: &Model, region: usize) -> Vec<u32> {
        let mut sharing: Vec<(&Arc<Manifest>, u32)> = Vec::new();
        for (s, plan) in self.site_plans.iter().enumerate() {
            let Some(plan) = plan else { continue };
            if model.world.sites[s].region.0 as usize != region {
                continue;
            }
            match sharing.iter_mut().find(|(p, _)| Arc::ptr_eq(p, plan)) {
                Some(x) => x.1 += 1,
                None => sharing.push((plan, 1)),
            }
        }
        let mut copies = vec![0u32; model.catalog.file_count()];
        for (plan, sites) in sharing {
            for f in plan.files.iter() {
                copies[f.0 as usize] += sites;
            }
        }
        copies
    }

    /// Takes a region's predicted plays per video and rendition mix for its day in progress (made outside from
    /// its observed days) and plans with them.
    pub fn set_predictions(
        &mut self,
        model: &Model,
        region: usize,
        day: i64,
        plays: &[f64],
        rendition_shares: &[f64],
        placement: &mut Placement,
    ) -> Result<(), TwinError> {
        let refused = |why: String| Err(TwinError::Refused(format!("predictions for region {region}: {why}")));
        let Some(d) = self.days.get(region) else { return refused("no such region".into()) };
        if d.day != day {
            return refused(format!("they are for day {day}, but its day in progress is {}", d.day));
        }
        let (videos, renditions) = (model.catalog.videos.len(), model.catalog.renditions.len());
        if plays.len() != videos || rendition_shares.len() != renditions {
            return refused(format!(
                "{} videos and {} renditions given, the catalogue has {videos} and {renditions}",
                plays.len(),
                rendition_shares.len()
            ));
        }
        if plays.iter().chain(rendition_shares).any(|x| !x.is_finite() || *x < 0.0) {
            return refused("a prediction is negative or not a number".into());
        }
        Arc::make_mut(&mut self.predicted_plays)[region * videos..(region + 1) * videos].copy_from_slice(plays);
        self.predictor.expect(region, day, plays.to_vec());
        Arc::make_mut(&mut self.predicted)[region] =
            RegionPopularity::from_videos(&model.catalog, plays, rendition_shares);
        if self.site_policy.contains(&PlacementKind::Oracle) {
            self.predict_oracle(model, region);
        }
        self.awaiting[region] = false;
        self.replan(model, region, placement);
        Ok(())
    }

    /// Predictions from outside (`given`), or the twin's own; a region still waiting for them when they stop
    /// being given is predicted and planned now.
    pub fn set_given_predictions(&mut self, model: &Model, given: bool, placement: &mut Placement) {
        self.given_predictions = given;
        if !given {
            for r in 0..REGIONS.len() {
                if std::mem::take(&mut self.awaiting[r]) {
                    self.predict(model, r);
                    self.replan(model, r, placement);
                }
            }
        }
    }

    /// The regions whose day in progress waits for its predictions.
    pub fn predictions_due(&self) -> Vec<PredictionDue> {
        (0..REGIONS.len())
            .filter(|&r| self.awaiting[r])
            .map(|r| {
                let RegionDay { calendar, day, .. } = self.days[r];
                PredictionDue { region: r, day, weekday: calendar.weekday(day), start_s: calendar.start_s(day) }
            })
            .collect()
    }

    /// A region's sites whose window is open now take the new plan at once rather than at their next window.
    fn replan_open_windows(&mut self, model: &Model, region: usize, placement: &mut Placement) {
        let open: Vec<SiteId> = (0..self.site_policy.len() as u32)
            .map(SiteId)
            .filter(|&site| model.world.sites[site.0 as usize].region.0 as usize == region)
            .filter(|&site| self.site_plans[site.0 as usize].is_some() && self.fill.window_open(site))
            .collect();
        self.start_plans(model, &open, placement);
    }

    /// Sites take their current plan: their fills are set to what it changes (worked out for a few sites at
    /// once, in parallel), and their layout is the plan's.
    fn start_plans(&mut self, model: &Model, sites: &[SiteId], placement: &mut Placement) {
        for batch in sites.chunks(16) {
            let changes = parallel_map(batch, |&site| {
                let s = site.0 as usize;
                let plan = self.site_plans[s].as_ref().expect("only sites with a plan take one");
                let region = model.world.sites[s].region.0 as usize;
                self.fill.plan_changes(site, &plan.files, placement, &self.predicted[region].popularity)
            });
            for (&site, changes) in batch.iter().zip(changes) {
                self.fill.set_plan(model, site, changes);
                let plan = self.site_plans[site.0 as usize].as_ref().expect("only sites with a plan take one");
                placement.set_layout(site, Some(plan.layout.clone()));
            }
        }
    }

    /// A title joined the catalogue (`Catalog::join`): its files' sizes are known now, and every region is
    /// predicted and planned again so the planners weigh it at once. While predictions come from outside, the
    /// next ones bring it.
    pub fn title_joined(&mut self, model: &Model, title: TitleId, placement: &mut Placement) {
        let sizes = Arc::make_mut(&mut self.sizes);
        for f in model.catalog.files_of(title) {
            sizes[f.0 as usize] = model.catalog.file_size_bytes(f);
        }
        if self.given_predictions {
            return;
        }
        for r in 0..REGIONS.len() {
            self.predict(model, r);
            self.replan(model, r, placement);
        }
    }

    /// The sites a scope names, or why it names none.
    pub fn sites_in_scope(&self, scope: Scope) -> Result<Vec<SiteId>, TwinError> {
        self.check_scope(scope)?;
        Ok(self.sites_in(scope))
    }

    fn sites_in(&self, scope: Scope) -> Vec<SiteId> {
        match scope {
            Scope::Site(s) => vec![s],
            Scope::Cluster(c) => self.clusters.get(c).sites.clone(),
            Scope::All => (0..self.site_policy.len() as u32).map(SiteId).collect(),
        }
    }

    fn check_scope(&self, scope: Scope) -> Result<(), TwinError> {
        match scope {
            Scope::Site(s) if s.0 as usize >= self.site_policy.len() => {
                Err(TwinError::Refused(format!("no site {} (the world has {})", s.0, self.site_policy.len())))
            }
            Scope::Cluster(c) if c.0 as usize >= self.clusters.len() => {
                Err(TwinError::Refused(format!("no cluster {} (the world has {})", c.0, self.clusters.len())))
            }
            _ => Ok(()),
        }
    }

    /// Starts the fill of every planner site in `scope` now, in window or not.
    pub fn fill_now(&mut self, model: &Model, scope: Scope, placement: &mut Placement) -> Result<(), TwinError> {
        self.check_scope(scope)?;
        let sites: Vec<SiteId> =
            self.sites_in(scope).into_iter().filter(|s| self.site_plans[s.0 as usize].is_some()).collect();
        self.start_plans(model, &sites, placement);
        for site in sites {
            self.fill.force(site);
        }
        Ok(())
    }

    /// Pins or excludes a title in `scope` (None clears the rule) and replans; fills carry it out in the
    /// next window, or at once with `fill_now`.
    pub fn set_rule(
        &mut self,
        model: &Model,
        scope: Scope,
        title: TitleId,
        rule: Option<TitleRule>,
    ) -> Result<(), TwinError> {
        self.check_scope(scope)?;
        if let Some(why) = model.catalog.title_error(title) {
            return Err(TwinError::Refused(why));
        }
        self.rules.set(scope, title, rule);
        self.plan(model);
        Ok(())
    }

    /// Switches a site's placement policy. A site turning reactive keeps what it holds as its cache's
    /// starting content; a site turning to a planner gets its plan at its next window.
    pub fn set_policy(
        &mut self,
        model: &Model,
        site: SiteId,
        kind: PlacementKind,
        placement: &mut Placement,
    ) -> Result<(), TwinError> {
        self.check_scope(Scope::Site(site))?;
        self.site_policy[site.0 as usize] = kind;
        if kind.is_reactive() {
            self.make_reactive(model, site, kind, placement);
        } else {
            self.caches[site.0 as usize] = None;
            if kind == PlacementKind::Oracle {
                for r in 0..REGIONS.len() {
                    self.predict_oracle(model, r);
                }
            }
        }
        let region = model.world.sites[site.0 as usize].region.0 as usize;
        self.plan_region(model, region);
        Ok(())
    }

    /// Turns a site into a reactive cache primed with what it holds, most popular as most recent; it keeps
    /// what the cache took in.
    fn make_reactive(&mut self, model: &Model, site: SiteId, kind: PlacementKind, placement: &mut Placement) {
        let PlacementKind::Reactive(policy) = kind else { return };
        let s = site.0 as usize;
        let mut cache = reactive::site_cache(policy, self.disk_bytes(model, site));
        let region = model.world.sites[s].region.0 as usize;
        let pop = &self.predicted[region].popularity;
        let mut files: Vec<FileId> = placement.held_files(site).collect();
        files.sort_by(|a, b| pop[a.0 as usize].total_cmp(&pop[b.0 as usize]).then(a.cmp(b)));
        let mut evicted = Vec::new();
        for &f in &files {
            reactive::request(&mut cache, f, model.catalog.file_size_bytes(f), &mut evicted);
        }
        for f in files.into_iter().filter(|f| !cache.contains(f.0 as u64)) {
            placement.remove(site, f, model.catalog.file_size_bytes(f));
        }
        self.caches[s] = Some(cache);
        self.fill.clear(site);
        self.site_plans[s] = None;
        placement.set_layout(site, None);
    }

    /// Heap bytes of the predictions (per file, per video) and of the plans (each counted once).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let pop = |p: &RegionPopularity| p.popularity.len() * 8 + p.order.len() * 4;
        let predictions = self.predicted.iter().map(pop).sum::<usize>()
            + self.oracle.as_ref().map_or(0, |o| o.iter().map(pop).sum())
            + (self.predicted_plays.len() + self.observed_plays.len()) * 8;
        let plans =
            self.cluster_plans.len() + self.site_plans.iter().flatten().filter(|p| Arc::strong_count(p) == 1).count();
        let plan_bytes = self.sizes.len() / 4; // files and flash bitmaps
        (predictions, plans * plan_bytes + self.sizes.len() * 8)
    }

    /// The twin's own predictor, as it stands (trained on the burn-in days and every day observed since).
    pub fn predictor(&self) -> &Predictor {
        &self.predictor
    }

    pub fn prediction_errors(&self) -> Vec<DayError> {
        self.predictor.errors()
    }

    pub fn fill_status(&self, model: &Model) -> Vec<SiteFillStatus> {
        (0..self.site_policy.len() as u32).map(|s| self.fill.status(model, SiteId(s))).collect()
    }

    /// Which sites run as reactive caches.
    pub fn reactive_sites(&self) -> Vec<bool> {
        self.site_policy.iter().map(|k| k.is_reactive()).collect()
    }

    pub fn transfers(&self) -> &TransferLog {
        &self.fill.transfers
    }

    /// Files of a site's plan that are live, and all its plan's files (for reactive sites: what it holds).
    pub fn plan_progress(&self, site: SiteId, placement: &Placement) -> (usize, usize) {
        match &self.site_plans[site.0 as usize] {
            Some(p) => (p.files.iter().filter(|&f| placement.holds(site, f)).count(), p.files.len()),
            None => (placement.held_count(site), placement.held_count(site)),
        }
    }
}

/// Maps in parallel over the available cores, keeping order (each item is independent and deterministic).
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|c| scope.spawn(|| c.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("planning thread panicked")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_file_order_equals_a_full_sort() {
        let catalog = Catalog::build(&crate::test_support::small_scenario());
        let plays: Vec<f64> = (0..catalog.videos.len()).map(|v| ((v * 37) % 11) as f64).collect();
        let shares: Vec<f64> = (0..catalog.renditions.len()).map(|r| (r % 4) as f64 / 10.0).collect();
        let merged = RegionPopularity::from_videos(&catalog, &plays, &shares);
        let sorted = RegionPopularity::new(file_popularity(&catalog, &plays, &shares));
        assert_eq!(merged.popularity, sorted.popularity);
        assert_eq!(merged.order, sorted.order);
        assert!(!merged.order.is_empty());
    }

    #[test]
    fn a_discounted_order_equals_a_full_sort() {
        let base = RegionPopularity::new((0..500).map(|f| ((f * 37) % 23) as f64).collect());
        let covered = |f: u32| f.is_multiple_of(3);
        for weight in [0.0, 0.2, 1.0] {
            let merged = base.discounted(covered, weight);
            let scaled =
                base.popularity.iter().enumerate().map(|(f, &p)| if covered(f as u32) { p * weight } else { p });
            let sorted = RegionPopularity::new(scaled.collect());
            assert_eq!(merged.popularity, sorted.popularity);
            assert_eq!(merged.order, sorted.order, "weight {weight}");
        }
    }
}
