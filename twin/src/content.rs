//! Content management: the loop that decides and moves what every site holds. Each day it takes the bytes
//! streamed per region and file from the engine, teaches the predictor, plans every cluster's manifest for the
//! coming day (per placement policy), and hands the plans to fills; each minute it moves fills and feeds the
//! requests offered to reactive sites to their caches. It owns the operator's pins and excludes and each
//! site's policy, which commands change.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Datelike;

use crate::catalog::{FileId, TitleId};
use crate::engine::Engine;
use crate::error::TwinError;
use crate::fill::{Admission, Fill, FillMinute, FillSources, SiteFillStatus, TransferLog};
use crate::model::Model;
use crate::placement::oracle::Oracle;
use crate::placement::proactive::Proactive;
use crate::placement::reactive::SiteCache;
use crate::placement::{
    ClusterId, Clusters, Manifest, Placement, PlanInput, Planner, Rules, Scope, TitleRule, expected_popularity,
};
use crate::popularity::{DayError, Predictor};
use crate::scenario::PlacementKind;
use crate::steering::{Target, Tier};
use crate::time::MINUTES_PER_DAY;
use crate::world::{REGIONS, SiteId};

/// Popularity per file for one region, and the files with any, most popular first.
#[derive(Clone, Debug, Default)]
pub struct RegionPopularity {
    pub popularity: Vec<f64>,
    pub order: Vec<u32>,
}

impl RegionPopularity {
    fn new(popularity: Vec<f64>) -> RegionPopularity {
        let mut order: Vec<u32> = (0..popularity.len() as u32).filter(|&f| popularity[f as usize] > 0.0).collect();
        order.sort_by(|&a, &b| popularity[b as usize].total_cmp(&popularity[a as usize]).then(a.cmp(&b)));
        RegionPopularity { popularity, order }
    }
}

#[derive(Clone, Debug)]
pub struct Content {
    pub(crate) clusters: Arc<Clusters>,
    /// Size of every file.
    sizes: Arc<Vec<u64>>,
    pub(crate) site_policy: Vec<PlacementKind>,
    caches: Vec<Option<SiteCache>>,
    predictor: Predictor,
    /// Today's predicted popularity per region (what proactive plans and fills order by).
    pub(crate) predicted: Arc<Vec<RegionPopularity>>,
    /// Today's real popularity per region, for oracle sites (only while some site uses the oracle).
    oracle: Option<Arc<Vec<RegionPopularity>>>,
    /// Yesterday's observed popularity per region, `[region × files + file]`.
    pub(crate) observed: Arc<Vec<f64>>,
    cluster_plans: BTreeMap<(ClusterId, PlacementKind), Arc<Manifest>>,
    /// What each planner site should hold (None for reactive sites).
    pub(crate) site_plans: Vec<Option<Arc<Manifest>>>,
    pub(crate) rules: Rules,
    pub(crate) fill: Fill,
    /// The day the plans are for.
    day: i64,
    /// Fill bytes of admissions made after the last minute, reported with the next.
    admissions: FillMinute,
}

impl Content {
    /// Plans day 0 from a warm start (the predictor is seeded with a typical past day) and returns the
    /// starting placement: every site already holds its plan, as a network running for a while would.
    pub fn new(model: &Model) -> (Content, Placement) {
        let clusters = Arc::new(Clusters::build(&model.world));
        let sources = Arc::new(FillSources::build(model, &clusters));
        let history: Vec<Vec<f64>> = (0..REGIONS.len())
            .map(|r| expected_popularity(&model.scenario, &model.catalog, &model.demand, r, -0.5))
            .collect();
        // Earlier weeks showed the weekly pattern: more plays at weekends, and more of them movies.
        let d = &model.demand;
        let day_plays = |w: usize| if Content::weekday_is_weekend(w) { d.weekend_factor } else { d.weekday_factor };
        let kind_share = |w: usize, movie: bool| {
            let m = d.movie_play_share(Content::weekday_is_weekend(w));
            if movie { m } else { 1.0 - m }
        };
        let weekdays: [[f64; 7]; 2] = std::array::from_fn(|k| {
            let raw: [f64; 7] = std::array::from_fn(|w| day_plays(w) * kind_share(w, k == 1));
            let mean = raw.iter().sum::<f64>() / 7.0;
            raw.map(|x| x / mean)
        });
        let predictor = Predictor::new(
            &model.catalog,
            model.scenario.policy.history_weight,
            model.scenario.demand.new_release_boost,
            &history,
            Some(weekdays),
        );
        let sites = model.world.sites.len();
        let kind = model.scenario.policy.placement;
        let mut content = Content {
            clusters,
            sizes: Arc::new(
                (0..model.catalog.file_count() as u32).map(|f| model.catalog.file_size_bytes(FileId(f))).collect(),
            ),
            site_policy: vec![kind; sites],
            caches: vec![None; sites],
            predictor,
            predicted: Arc::default(),
            oracle: None,
            observed: Arc::new(vec![0.0; REGIONS.len() * model.catalog.file_count()]),
            cluster_plans: BTreeMap::new(),
            site_plans: vec![None; sites],
            rules: Rules::default(),
            fill: Fill::new(sources, sites),
            day: 0,
            admissions: FillMinute::default(),
        };
        content.predict(model, 0);
        content.plan(model);
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
                    Arc::new(content.plan_one(model, PlacementKind::Proactive, content.clusters.of(site), None, pop))
                }
            };
            held.push(plan.files.clone());
            held_bytes.push(plan.used_bytes);
        }
        let mut placement = Placement::new(held, held_bytes);
        for s in 0..sites {
            if kind.is_reactive() {
                content.make_reactive(model, SiteId(s as u32), kind, &mut placement);
            }
        }
        (content, placement)
    }

    /// Weekday 5 and 6 (Monday = 0) are the weekend.
    fn weekday_is_weekend(weekday: usize) -> bool {
        weekday >= 5
    }

    fn weekday(model: &Model, day: i64) -> usize {
        (model.start_utc + chrono::Duration::days(day)).weekday().num_days_from_monday() as usize
    }

    /// Predicts `day` for every region.
    fn predict(&mut self, model: &Model, day: i64) {
        let weekday = Content::weekday(model, day);
        // Titles launching tomorrow are included: today's plan is filled today and must serve until tomorrow's
        // fill is done (Netflix pre-positions launches).
        let released = |t: usize| model.catalog.titles[t].release_day < day as f64 + 2.0;
        let regions: Vec<Vec<f64>> =
            (0..REGIONS.len()).map(|r| self.predictor.predict(&model.catalog, r, weekday, released)).collect();
        if day > 0 {
            // Day 0's prediction is in the warm start's relative units: nothing to score it against. The day is
            // scored on the titles out that day (by its middle, as the engine's daily title tables count them),
            // not on tomorrow's launches placed ahead.
            let rungs = model.catalog.ladder.len();
            let out_today = |f: usize| model.catalog.titles[f / rungs].release_day <= day as f64 + 0.5;
            let scored = regions
                .iter()
                .flat_map(|pop| pop.iter().enumerate().map(|(f, &p)| if out_today(f) { p } else { 0.0 }))
                .collect();
            self.predictor.remember(day, scored);
        }
        self.predicted = Arc::new(regions.into_iter().map(RegionPopularity::new).collect());
        self.day = day;
        self.oracle = None;
        if self.site_policy.contains(&PlacementKind::Oracle) {
            self.predict_oracle(model);
        }
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
            (PlacementKind::Oracle, Some(o)) => &o[region],
            _ => &self.predicted[region],
        }
    }

    /// One cluster's (or, with `site`, one site's) plan under a planner policy, from `pop`.
    fn plan_one(
        &self,
        model: &Model,
        kind: PlacementKind,
        cluster: ClusterId,
        site: Option<SiteId>,
        pop: &RegionPopularity,
    ) -> Manifest {
        let c = self.clusters.get(cluster);
        let rules = self.rules.for_site(site.unwrap_or(SiteId(u32::MAX)), cluster);
        let previous = match site {
            Some(s) => self.site_plans[s.0 as usize].as_deref(),
            None => self.cluster_plans.get(&(cluster, kind)).map(|m| &**m),
        };
        let tb = 1e12;
        let input = PlanInput {
            catalog: &model.catalog,
            sizes: &self.sizes,
            popularity: &pop.popularity,
            order: &pop.order,
            storage_appliances: c.storage_appliances,
            flash_appliances: c.flash_appliances,
            storage_disk_bytes: (model.scenario.appliances.storage.disk_tb * tb) as u64,
            flash_disk_bytes: (model.scenario.appliances.flash.disk_tb * tb) as u64,
            previous,
            rules: &rules,
        };
        let proactive = Content::planner(model);
        match kind {
            PlacementKind::Oracle => Oracle::new(proactive).plan(&input),
            _ => proactive.plan(&input),
        }
    }

    /// Popularity at the sites of an IXP cluster: the demand of every client group steering may send there
    /// (members × its region's popularity), with the files its own in-ISP sites plan to hold discounted to
    /// `ixp_covered_weight`, so the IXP tier holds what the tier below lacks.
    fn ixp_popularity(
        &self,
        model: &Model,
        cluster: ClusterId,
        kind: PlacementKind,
        embedded: &BTreeMap<(ClusterId, PlacementKind), Arc<Manifest>>,
    ) -> RegionPopularity {
        let world = &model.world;
        let embedded_keys: Vec<&(ClusterId, PlacementKind)> = embedded.keys().collect();
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
                    let key = (self.clusters.of(s), self.site_policy[s.0 as usize]);
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
        let weight = model.scenario.policy.ixp_covered_weight;
        let mut pop = vec![0.0; self.sizes.len()];
        for ((r, plans), m) in &members {
            let base = &self.popularity_for(kind, *r).popularity;
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

    /// Plans every planner site for the current day: one plan per (cluster, policy) in use, and one per site
    /// that has rules of its own. In-ISP clusters are planned first, from their region's popularity; IXP
    /// clusters then from what the in-ISP plans leave uncovered. Returns the number of plans made.
    pub fn plan(&mut self, model: &Model) -> usize {
        let mut wanted: Vec<(ClusterId, PlacementKind)> = Vec::new();
        for (s, &kind) in self.site_policy.iter().enumerate() {
            let site = SiteId(s as u32);
            if !kind.is_reactive() && !self.rules.has_site_rules(site) {
                wanted.push((self.clusters.of(site), kind));
            }
        }
        wanted.sort();
        wanted.dedup();
        let (ixp, embedded): (Vec<_>, Vec<_>) = wanted.into_iter().partition(|(c, _)| self.clusters.get(*c).ixp);
        let embedded_plans = parallel_map(&embedded, |&(c, kind)| {
            let region = self.clusters.get(c).region.0 as usize;
            self.plan_one(model, kind, c, None, self.popularity_for(kind, region))
        });
        let embedded: BTreeMap<_, _> = embedded.into_iter().zip(embedded_plans.into_iter().map(Arc::new)).collect();
        let ixp_pop: BTreeMap<(ClusterId, PlacementKind), RegionPopularity> =
            ixp.iter().map(|&(c, kind)| ((c, kind), self.ixp_popularity(model, c, kind, &embedded))).collect();
        let ixp_plans = parallel_map(&ixp, |&(c, kind)| self.plan_one(model, kind, c, None, &ixp_pop[&(c, kind)]));
        let mut plans = embedded;
        plans.extend(ixp.into_iter().zip(ixp_plans.into_iter().map(Arc::new)));
        self.cluster_plans = plans;
        let mut site_plans = 0;
        for s in 0..self.site_policy.len() {
            let site = SiteId(s as u32);
            let kind = self.site_policy[s];
            let cluster = self.clusters.of(site);
            self.site_plans[s] = if kind.is_reactive() {
                None
            } else if self.rules.has_site_rules(site) {
                site_plans += 1;
                let region = self.clusters.get(cluster).region.0 as usize;
                let pop = ixp_pop.get(&(cluster, kind)).unwrap_or_else(|| self.popularity_for(kind, region));
                Some(Arc::new(self.plan_one(model, kind, cluster, Some(site), pop)))
            } else {
                self.cluster_plans.get(&(cluster, kind)).cloned()
            };
        }
        self.cluster_plans.len() + site_plans
    }

    /// Fills for the coming minute, before the engine simulates it. Returns the fill bytes to record with it.
    pub fn before_minute(&mut self, model: &Model, engine: &mut Engine, placement: &mut Placement) -> FillMinute {
        let minute = engine.now().minutes();
        let local = engine.local_clocks(model);
        let mut out = std::mem::take(&mut self.admissions);
        for s in 0..self.site_policy.len() {
            let site = SiteId(s as u32);
            let Some(plan) = &self.site_plans[s] else { continue };
            let metro = model.world.sites[s].metro.0 as usize;
            let in_window = Fill::in_window(model, local[metro]);
            if self.fill.window_opens(site, in_window) {
                let region = model.world.sites[s].region.0 as usize;
                self.fill.replan(model, site, &plan.files, placement, &self.predicted[region].popularity);
            }
            let finished = self.fill.step_site(model, site, minute, plan.replica_bytes, placement, &mut out);
            if finished && *placement.held(site) == *plan.files {
                placement.share(site, &plan.files);
            }
        }
        out
    }

    /// After the engine simulated a minute: reactive caches take in their requests, and at the end of a day
    /// the predictor learns it and tomorrow is planned.
    pub fn after_minute(&mut self, model: &Model, engine: &mut Engine, placement: &mut Placement) {
        let mut evicted = Vec::new();
        for (site, file) in engine.take_reactive_requests() {
            let Some(cache) = self.caches[site.0 as usize].as_mut() else { continue };
            let size = model.catalog.file_size_bytes(file);
            evicted.clear();
            let access = cache.access(file, size, &mut evicted);
            for &e in &evicted {
                let e = FileId(e as u32);
                placement.remove(site, e, model.catalog.file_size_bytes(e));
            }
            if access.admitted {
                self.fill.admit(model, &Admission { site, file, size_bytes: size }, placement, &mut self.admissions);
                placement.insert(site, file, size);
            }
        }
        let now = engine.now();
        if now.minutes().is_multiple_of(MINUTES_PER_DAY) {
            let day = (now.minutes() / MINUTES_PER_DAY) as i64 - 1;
            let bytes = engine.take_file_bytes();
            self.predictor.observe(&model.catalog, day, Content::weekday(model, day), &bytes);
            let files = model.catalog.file_count();
            self.observed = Arc::new(
                (0..bytes.len())
                    .map(|i| bytes[i] as f64 / model.catalog.file_size_bytes(FileId((i % files) as u32)) as f64)
                    .collect(),
            );
            self.predict(model, day + 1);
            self.plan(model);
            self.replan_open_windows(model, placement);
            self.fill.prune(now);
        }
    }

    /// Sites whose window is open now take the new plan at once rather than at their next window.
    fn replan_open_windows(&mut self, model: &Model, placement: &Placement) {
        for s in 0..self.site_policy.len() {
            let site = SiteId(s as u32);
            if let Some(plan) = &self.site_plans[s]
                && self.fill.window_open(site)
            {
                let region = model.world.sites[s].region.0 as usize;
                self.fill.replan(model, site, &plan.files, placement, &self.predicted[region].popularity);
            }
        }
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
                Err(TwinError::Model(format!("no site {} (the world has {})", s.0, self.site_policy.len())))
            }
            Scope::Cluster(c) if c.0 as usize >= self.clusters.len() => {
                Err(TwinError::Model(format!("no cluster {} (the world has {})", c.0, self.clusters.len())))
            }
            _ => Ok(()),
        }
    }

    /// Starts the fill of every planner site in `scope` now, in window or not.
    pub fn fill_now(&mut self, model: &Model, scope: Scope, placement: &Placement) -> Result<(), TwinError> {
        self.check_scope(scope)?;
        for site in self.sites_in(scope) {
            if let Some(plan) = &self.site_plans[site.0 as usize] {
                let region = model.world.sites[site.0 as usize].region.0 as usize;
                self.fill.replan(model, site, &plan.files, placement, &self.predicted[region].popularity);
                self.fill.force(site);
            }
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
        if title.0 as usize >= model.catalog.titles.len() {
            return Err(TwinError::Model(format!(
                "no title {} (the catalogue has {})",
                title.0,
                model.catalog.titles.len()
            )));
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
            if kind == PlacementKind::Oracle && self.oracle.is_none() {
                self.predict_oracle(model);
            }
        }
        self.plan(model);
        Ok(())
    }

    /// The real popularity of the current day, for oracle sites.
    fn predict_oracle(&mut self, model: &Model) {
        let day = self.day;
        self.oracle = Some(Arc::new(
            (0..REGIONS.len()).map(|r| RegionPopularity::new(Oracle::popularity(model, r, day))).collect(),
        ));
    }

    /// Turns a site into a reactive cache primed with what it holds, most popular as most recent.
    fn make_reactive(&mut self, model: &Model, site: SiteId, kind: PlacementKind, placement: &mut Placement) {
        let s = site.0 as usize;
        let disk = model.world.sites[s].disk_bytes;
        let Some(mut cache) = SiteCache::new(kind, disk) else { return };
        let region = model.world.sites[s].region.0 as usize;
        let pop = &self.predicted[region].popularity;
        let mut files: Vec<FileId> = placement.held(site).iter().collect();
        files.sort_by(|a, b| pop[a.0 as usize].total_cmp(&pop[b.0 as usize]).then(a.cmp(b)));
        let mut evicted = Vec::new();
        for f in files {
            cache.access(f, model.catalog.file_size_bytes(f), &mut evicted);
        }
        for e in evicted {
            let e = FileId(e as u32);
            placement.remove(site, e, model.catalog.file_size_bytes(e));
        }
        self.caches[s] = Some(cache);
        self.fill.clear(site);
        self.site_plans[s] = None;
    }

    pub fn prediction_errors(&self) -> &[DayError] {
        &self.predictor.errors
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
        let held = placement.held(site);
        match &self.site_plans[site.0 as usize] {
            Some(p) => (p.files.iter().filter(|&f| held.contains(f)).count(), p.files.len()),
            None => (held.len(), held.len()),
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
