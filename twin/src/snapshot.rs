//! Snapshot: what views read. Built by the twin on request; cheap to clone (shared parts are behind Arcs).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::catalog::{Catalog, TitleId};
use crate::content::RegionPopularity;
use crate::engine::SiteMinute;
use crate::fill::{SiteFillStatus, TransferLog};
use crate::fleet::FleetSnapshot;
use crate::ingest::IngestSnapshot;
use crate::kpi::{History, KpiSample};
use crate::model::Model;
use crate::placement::{Clusters, Manifest, Placement, Scope, TitleRule};
use crate::popularity::DayError;
use crate::region::REGIONS;
use crate::scenario::{FillSpec, PlacementKind};
use crate::time::SimTime;
use crate::world::SiteId;

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub time: SimTime,
    pub start_utc: DateTime<Utc>,
    /// The loaded model: world, catalog, … (immutable).
    pub model: Arc<Model>,
    /// What each site holds live.
    pub placement: Placement,
    pub content: ContentSnapshot,
    /// Every simulated minute, worldwide and per region (in `world::REGIONS` order). Shared, not copied.
    pub kpis: History,
    pub region_kpis: Vec<History>,
    /// Each site's last minute, and whether it is in service.
    pub sites: Arc<Vec<SiteMinute>>,
    pub site_up: Arc<Vec<bool>>,
    /// Sites removed for good (`Command::RemoveSite`).
    pub site_retired: Arc<Vec<bool>>,
    /// Whether each S3 origin region (index as `world.origins`) serves.
    pub origin_up: Arc<Vec<bool>>,
    /// Backbone Gbps from the origin into each metro (index as `world.metros`) in the last minute.
    pub metro_origin_gbps: Arc<Vec<f32>>,
    /// The control plane: each region's group, its minutes and its scaling events.
    pub fleet: Arc<FleetSnapshot>,
    /// Ingest's jobs, its function pool and the origin buckets.
    pub ingest: Arc<IngestSnapshot>,
}

/// Placement and fill, as the placement and fill views read them.
#[derive(Clone, Debug)]
pub struct ContentSnapshot {
    pub clusters: Arc<Clusters>,
    pub site_policy: Arc<Vec<PlacementKind>>,
    /// What each planner site should hold today (None for reactive sites).
    pub site_plans: Arc<Vec<Option<Arc<Manifest>>>>,
    /// Each region's predicted popularity per file for its day in progress (what plans order by).
    pub predicted: Arc<Vec<RegionPopularity>>,
    /// Predicted plays per video for each region's day in progress, and the plays observed on its last day
    /// (`[region × videos + video]`, full-play equivalents; zeros before a whole day was seen).
    pub predicted_plays: Arc<Vec<f64>>,
    pub observed_plays: Arc<Vec<f64>>,
    /// Whether each region has had a whole day observed yet.
    pub observed_days: [bool; REGIONS.len()],
    pub prediction_errors: Arc<Vec<DayError>>,
    pub rules: Arc<Vec<(Scope, TitleId, TitleRule)>>,
    pub fill: Arc<Vec<SiteFillStatus>>,
    /// The fill schedule in force (window and caps), which commands may have changed from the scenario's.
    pub fill_spec: FillSpec,
    pub transfers: TransferLog,
    /// Since the start, bytes of the plays each site was offered first, and of those it served.
    pub site_offered_bytes: Arc<Vec<u64>>,
    pub site_hit_bytes: Arc<Vec<u64>>,
}

impl ContentSnapshot {
    /// A title's plays a day in a region (full-play equivalents over its videos): what the plan was made
    /// with, and what the region's last whole day saw (None before one was observed).
    pub fn title_plays(&self, catalog: &Catalog, region: usize, title: TitleId) -> (f64, Option<f64>) {
        let videos = catalog.videos.len();
        let range = catalog.titles[title.0 as usize].videos.clone();
        let sum = |plays: &[f64]| range.clone().map(|v| plays[region * videos + v as usize]).sum::<f64>();
        (sum(&self.predicted_plays), self.observed_days[region].then(|| sum(&self.observed_plays)))
    }

    /// How many sites use each placement policy, in the order first met.
    pub fn policy_counts(&self) -> Vec<(PlacementKind, usize)> {
        let mut counts: Vec<(PlacementKind, usize)> = Vec::new();
        for &k in self.site_policy.iter() {
            match counts.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => counts.push((k, 1)),
            }
        }
        counts
    }

    /// A site's offload: the share of the bytes it was offered that it served.
    pub fn site_offload(&self, site: usize) -> Option<f64> {
        let offered = self.site_offered_bytes[site];
        (offered > 0).then(|| self.site_hit_bytes[site] as f64 / offered as f64)
    }
}

impl Snapshot {
    pub fn now_utc(&self) -> DateTime<Utc> {
        self.time.to_utc(self.start_utc)
    }

    /// The last simulated minute, worldwide.
    pub fn latest(&self) -> Option<&KpiSample> {
        self.kpis.last()
    }
}

// Queries for the console's views: rules the views need, answered by the twin.

/// A planner site's plan against what it holds: files of the plan that are live, and all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanProgress {
    pub live_files: usize,
    pub planned_files: usize,
}

impl PlanProgress {
    /// Files of the plan not live yet (queued or not yet filled).
    pub fn pending_files(&self) -> usize {
        self.planned_files - self.live_files
    }
}

impl Snapshot {
    /// Whether each site (in `world.sites` order) holds any file of `title` live, so steering can send a
    /// play of it there.
    pub fn sites_holding(&self, title: TitleId) -> Vec<bool> {
        let files: Vec<_> = self.model.catalog.files_of(title).collect();
        (0..self.placement.sites() as u32).map(|s| files.iter().any(|&f| self.placement.holds(SiteId(s), f))).collect()
    }

    /// A site's plan against what it holds live; None for a reactive site (it has no plan).
    pub fn plan_progress(&self, site: SiteId) -> Option<PlanProgress> {
        let plan = self.content.site_plans.get(site.0 as usize)?.as_deref()?;
        // A site whose fill is done shares its plan's set: nothing to count.
        let live_files = if self.placement.shares(site, &plan.files) {
            plan.file_count
        } else {
            plan.files.iter().filter(|&f| self.placement.holds(site, f)).count()
        };
        Some(PlanProgress { live_files, planned_files: plan.file_count })
    }
}

#[cfg(test)]
mod view_query_tests {
    use crate::catalog::TitleId;
    use crate::{Command, PlacementKind, Scope, SiteId, TitleRule, Twin};

    fn small_twin() -> Twin {
        Twin::new(crate::test_support::small_scenario()).expect("fixture builds")
    }

    #[test]
    fn sites_holding_a_title_are_those_holding_any_of_its_files() {
        let snap = small_twin().snapshot();
        let catalog = &snap.model.catalog;
        let (mut held, mut lacking) = (0, 0);
        for t in (0..catalog.titles.len() as u32).map(TitleId) {
            let holding = snap.sites_holding(t);
            assert_eq!(holding.len(), snap.model.world.sites.len());
            for (s, &h) in holding.iter().enumerate() {
                let expected = snap.placement.held_files(SiteId(s as u32)).any(|f| catalog.title_of(f) == t);
                assert_eq!(h, expected, "site {s}, {t:?}");
            }
            held += holding.iter().filter(|&&h| h).count();
            lacking += holding.iter().filter(|&&h| !h).count();
        }
        assert!(held > 0 && lacking > 0, "the fixture's sites hold some titles and lack others");
    }

    #[test]
    fn plan_progress_counts_live_files_of_the_plan() {
        let mut twin = small_twin();
        // The warm start: every planner site holds its plan.
        let snap = twin.snapshot();
        for s in (0..snap.model.world.sites.len() as u32).map(SiteId) {
            let plan = snap.content.site_plans[s.0 as usize].as_ref().expect("proactive everywhere");
            let progress = snap.plan_progress(s).expect("a planner site");
            assert_eq!(progress, super::PlanProgress { live_files: plan.file_count, planned_files: plan.file_count });
        }
        // A title a site does not hold, pinned there: in its plan, not live until filled.
        let sites = snap.model.world.sites.len() as u32;
        let (site, cold) = (1..sites)
            .map(SiteId)
            .find_map(|s| {
                let holding = |t: TitleId| snap.model.catalog.files_of(t).any(|f| snap.placement.holds(s, f));
                let generated = (0..snap.model.catalog.slots.start).map(TitleId);
                generated.into_iter().find(|&t| !holding(t)).map(|t| (s, t))
            })
            .expect("some site lacks some title");
        let files = snap.model.catalog.files_of(cold).count();
        twin.apply(Command::SetTitleRule { scope: Scope::Site(site), title: cold, rule: Some(TitleRule::Pin) })
            .unwrap();
        twin.apply(Command::SetSitePolicy {
            site: SiteId(0),
            policy: PlacementKind::Reactive(crate::cache::OnlinePolicy::Lru),
        })
        .unwrap();
        let after = twin.snapshot();
        assert_eq!(after.plan_progress(SiteId(0)), None, "a reactive site has no plan");
        for s in (1..sites).map(SiteId) {
            let plan = after.content.site_plans[s.0 as usize].as_ref().unwrap();
            let live = plan.files.iter().filter(|&f| after.placement.holds(s, f)).count();
            let progress = after.plan_progress(s).unwrap();
            assert_eq!(progress, super::PlanProgress { live_files: live, planned_files: plan.file_count });
        }
        assert!(after.plan_progress(site).unwrap().pending_files() >= files, "it waits for the pinned files");
    }

    #[test]
    fn every_plan_has_a_generation_of_its_own() {
        let mut twin = small_twin();
        let generations = |twin: &Twin| -> std::collections::BTreeSet<u64> {
            twin.snapshot().content.site_plans.iter().flatten().map(|m| m.generation).collect()
        };
        let first = generations(&twin);
        assert!(!first.is_empty() && !first.contains(&0));
        twin.plan_placement();
        assert!(first.is_disjoint(&generations(&twin)), "replanning numbers the new plans afresh");
        assert!(generations(&small_twin()).is_disjoint(&first), "another twin's plans too");
    }
}
