//! Commands: the only way anything outside changes a running twin.

use serde::{Deserialize, Serialize};

use crate::world::SiteId;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Take a site out of service (steering stops sending plays to it) or bring it back. Sessions already
    /// playing from it finish.
    SetSiteUp { site: SiteId, up: bool },
    /// Multiply play arrivals everywhere (1 = the scenario's demand; 0 stops new plays).
    SetDemandScale { factor: f64 },
}
