//! Snapshot: what views read. Built by the twin on request; cheap to clone (shared parts are behind Arcs).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::engine::{SiteMinute, Totals};
use crate::kpi::KpiSample;
use crate::model::Model;
use crate::time::SimTime;

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub time: SimTime,
    pub start_utc: DateTime<Utc>,
    /// The loaded model: world, catalog, … (immutable).
    pub model: Arc<Model>,
    /// The last simulated minute, worldwide and per region (in `world::REGIONS` order).
    pub latest: Option<KpiSample>,
    pub regions_latest: Vec<KpiSample>,
    /// Each site's last minute, and whether it is in service.
    pub sites: Arc<Vec<SiteMinute>>,
    pub site_up: Arc<Vec<bool>>,
    /// Backbone Gbps out of each origin region in the last minute.
    pub origin_gbps: Vec<f64>,
    pub totals: Totals,
}

impl Snapshot {
    pub fn now_utc(&self) -> DateTime<Utc> {
        self.time.to_utc(self.start_utc)
    }
}
