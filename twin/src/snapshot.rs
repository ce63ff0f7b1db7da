//! Snapshot: what views read. Built by the twin on request; cheap to clone (shared parts are behind Arcs).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::engine::SiteMinute;
use crate::kpi::{History, KpiSample};
use crate::model::Model;
use crate::placement::Placement;
use crate::time::SimTime;

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub time: SimTime,
    pub start_utc: DateTime<Utc>,
    /// The loaded model: world, catalog, … (immutable).
    pub model: Arc<Model>,
    /// What each site holds.
    pub placement: Arc<Placement>,
    /// Every simulated minute, worldwide and per region (in `world::REGIONS` order). Shared, not copied.
    pub kpis: History,
    pub region_kpis: Vec<History>,
    /// Each site's last minute, and whether it is in service.
    pub sites: Arc<Vec<SiteMinute>>,
    pub site_up: Arc<Vec<bool>>,
    /// Backbone Gbps from the origin into each metro (index as `world.metros`) in the last minute.
    pub metro_origin_gbps: Arc<Vec<f32>>,
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
