//! The registry of views: those the console offers, in navigation order. A new view is
//! one file in this folder (a type implementing `View`, and its `VIEW` entry) and its name in the `views!` line
//! below; the navigation, `--view` and its help follow from that list.

use super::view::{ViewId, ViewSpec};

/// Declares each view's module and registers its `VIEW`, in navigation order.
macro_rules! views {
    ($($view:ident),* $(,)?) => {
        $(pub mod $view;)*

        /// The views the console offers, in navigation order. The first is where it opens.
        pub static REGISTERED: &[ViewSpec] = &[$($view::VIEW),*];
    };
}

views![map, qoe, placement, fill, fleet, analytics, whatif, ingest, mirror];

/// The What-if view's Sweep tab (a part of `whatif`, not a view of its own).
pub mod sweep_tab;

pub fn spec(id: ViewId) -> Option<&'static ViewSpec> {
    REGISTERED.iter().find(|v| v.id == id)
}

/// The registered view `--view` names.
pub fn by_key(key: &str) -> Option<ViewId> {
    REGISTERED.iter().find(|v| v.id.key() == key).map(|v| v.id)
}
