//! The registry of views: those the console offers, in navigation order, and those still to come. A new view is
//! one file in this folder (a type implementing `View`, and its `VIEW` entry), its `mod` line and its entry in
//! `REGISTERED`; the navigation, `--view` and its help follow from this list.

use super::view::{ViewId, ViewSpec};

pub mod fill;
pub mod map;
pub mod placement;
pub mod qoe;

/// The views the console offers, in navigation order. The first is where it opens.
pub static REGISTERED: [ViewSpec; 4] = [map::VIEW, qoe::VIEW, placement::VIEW, fill::VIEW];

/// Views still to come: listed greyed in the navigation until they are registered.
pub const PLANNED: [&str; 5] = ["Ingest", "Fleet", "Analytics", "What-if", "AWS mirror"];

pub fn spec(id: ViewId) -> Option<&'static ViewSpec> {
    REGISTERED.iter().find(|v| v.id == id)
}

/// The registered view `--view` names.
pub fn by_key(key: &str) -> Option<ViewId> {
    REGISTERED.iter().find(|v| v.id.key() == key).map(|v| v.id)
}
