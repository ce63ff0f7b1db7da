//! What the operator has picked. Shared by every view: a region picked in the QoE table, or a title picked in
//! the placement view, lights up on the map; a site picked anywhere opens its inspector.

use twin::SiteId;
use twin::catalog::TitleId;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Selection {
    pub site: Option<SiteId>,
    /// Index into `twin::world::REGIONS`.
    pub region: Option<usize>,
    pub title: Option<TitleId>,
}
