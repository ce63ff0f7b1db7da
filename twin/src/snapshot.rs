//! Snapshot: what views read. Built by the twin on request; cheap to clone (shared parts are behind Arcs).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::catalog::TitleId;
use crate::content::RegionPopularity;
use crate::engine::SiteMinute;
use crate::fill::{SiteFillStatus, TransferLog};
use crate::kpi::{History, KpiSample};
use crate::model::Model;
use crate::placement::{Clusters, Manifest, Placement, Scope, TitleRule};
use crate::popularity::DayError;
use crate::scenario::PlacementKind;
use crate::time::SimTime;

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
    /// Backbone Gbps from the origin into each metro (index as `world.metros`) in the last minute.
    pub metro_origin_gbps: Arc<Vec<f32>>,
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
    pub prediction_errors: Arc<Vec<DayError>>,
    pub rules: Arc<Vec<(Scope, TitleId, TitleRule)>>,
    pub fill: Arc<Vec<SiteFillStatus>>,
    pub transfers: TransferLog,
    /// Since the start, bytes of the plays each site was offered first, and of those it served.
    pub site_offered_bytes: Arc<Vec<u64>>,
    pub site_hit_bytes: Arc<Vec<u64>>,
}

impl ContentSnapshot {
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
