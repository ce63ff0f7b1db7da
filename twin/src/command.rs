//! Commands: the only way anything outside changes a running twin.

use serde::{Deserialize, Serialize};

use crate::catalog::TitleId;
use crate::fleet::GroupPolicy;
use crate::ingest::{Delivery, Ladder};
use crate::placement::{Scope, TitleRule};
use crate::scenario::PlacementKind;
use crate::world::SiteId;

/// Most a demand scale may multiply arrivals by.
pub const MAX_DEMAND_SCALE: f64 = 100.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Take a site out of service (steering stops sending plays to it, and its sessions move to the next entry
    /// of their steering list within the minute) or bring it back.
    SetSiteUp { site: SiteId, up: bool },
    /// Retire a site for good: it stops serving at once (its sessions move as from a site down), leaves every
    /// steering list and fill route, and cannot be brought back. The last site of a region cannot be retired.
    RemoveSite { site: SiteId },
    /// Take an S3 origin region (index into the world's origins) out of service or bring it back. While it is
    /// out, plays no site can serve from the metros it serves fail to start, sessions streaming from it fail
    /// unless a site on their list holds the file, and fills from it stall.
    SetOriginUp { origin: usize, up: bool },
    /// Multiply play arrivals everywhere, or (`region`: an index into `region::REGIONS`) in one region, on top of
    /// the world's scale (1 = the scenario's demand; 0 stops new plays; at most 100).
    SetDemandScale {
        factor: f64,
        #[serde(default)]
        region: Option<usize>,
    },
    /// Make a title `factor` times as appealing in a region (index into `region::REGIONS`) from now: it trends
    /// there, taking plays from other titles; 1 ends the surge (at most `demand::MAX_SURGE`).
    SetTitleSurge { title: TitleId, region: usize, factor: f64 },
    /// Start the fill of one site, a cluster or every site now, out of its window if need be.
    FillNow { scope: Scope },
    /// Move every site's fill window (local start hour in [0, 24), length up to 24 h) and scale its caps
    /// (ingress rate and bytes per window) by `caps_factor` from the scenario's.
    SetFillSchedule { window_start_hour: f64, window_hours: f64, caps_factor: f64 },
    /// Pin a title (keep all its files) or exclude it, at a site, a cluster or everywhere; None clears the
    /// rule. Takes effect at the next fill.
    SetTitleRule { scope: Scope, title: TitleId, rule: Option<TitleRule> },
    /// Give a cluster's sites (or every site's) `factor` times their appliances' disk (0.1 to 100); plans
    /// follow at once, fills at the next window or with `FillNow`.
    SetDiskScale { scope: Scope, factor: f64 },
    /// Switch how a site chooses its content.
    SetSitePolicy { site: SiteId, policy: PlacementKind },
    /// Set a control-plane region's scaling policy (index into the scenario's origins): its kind, limits,
    /// target and instance type.
    SetScalingPolicy { region: usize, policy: GroupPolicy },
    /// Set a control-plane region's desired capacity (within its group's limits), as AWS's SetDesiredCapacity:
    /// the group launches or terminates to match, and its scaling policy goes on from there.
    SetDesiredCapacity { region: usize, desired: u32 },
    /// Terminate instances of a region's group at once (the group replaces them).
    KillInstances { region: usize, count: u32 },
    /// A region's predicted plays per video (full-play equivalents) and rendition mix for its day in progress,
    /// made outside by nightly training (see `Twin::set_given_predictions`): its sites are planned with them.
    SetPredictions { region: usize, day: i64, plays: Vec<f64>, rendition_shares: Vec<f64> },
    /// Take a control-plane region out (its members go to the nearest region in service) or bring it back.
    EvacuateRegion { region: usize, evacuated: bool },
    /// Replace an origin bucket's objects with a listing (playing forward from a mirrored deployment's
    /// inventory): its object and byte counts follow.
    SetOriginContents { bucket: String, objects: Vec<(String, u64)> },
    /// A studio delivers a title: an ingest job starts now on the function pool (`crate::ingest`).
    Ingest { delivery: Delivery, ladder: Ladder },
}
