//! The console's views. One file per view, each with one entry point that reads the published snapshot and
//! sends commands. A new view (placement, fill, ingest, fleet, analytics, what-if, mirror) is a new file, a
//! new `ViewId` and a line in `shell::show_view`.

pub mod error_panel;
pub mod fill;
pub mod land;
pub mod map;
pub mod placement;
pub mod qoe;
pub mod shell;
pub mod site_inspector;

/// The views the left navigation lists, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewId {
    Map,
    Qoe,
    Placement,
    Fill,
    Ingest,
    Fleet,
    Analytics,
    WhatIf,
    Mirror,
}

impl ViewId {
    pub const ALL: [ViewId; 9] = [
        ViewId::Map,
        ViewId::Qoe,
        ViewId::Placement,
        ViewId::Fill,
        ViewId::Ingest,
        ViewId::Fleet,
        ViewId::Analytics,
        ViewId::WhatIf,
        ViewId::Mirror,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ViewId::Map => "Map",
            ViewId::Qoe => "QoE & latency",
            ViewId::Placement => "Placement",
            ViewId::Fill => "Fill",
            ViewId::Ingest => "Ingest",
            ViewId::Fleet => "Fleet",
            ViewId::Analytics => "Analytics",
            ViewId::WhatIf => "What-if",
            ViewId::Mirror => "AWS mirror",
        }
    }

    /// The name `--view` takes.
    pub fn key(self) -> &'static str {
        match self {
            ViewId::Map => "map",
            ViewId::Qoe => "qoe",
            ViewId::Placement => "placement",
            ViewId::Fill => "fill",
            ViewId::Ingest => "ingest",
            ViewId::Fleet => "fleet",
            ViewId::Analytics => "analytics",
            ViewId::WhatIf => "whatif",
            ViewId::Mirror => "mirror",
        }
    }

    /// Views that exist today; the others are listed, greyed, so the operator sees what is coming.
    pub fn available(self) -> bool {
        matches!(self, ViewId::Map | ViewId::Qoe | ViewId::Placement | ViewId::Fill)
    }

    pub fn from_key(key: &str) -> Option<ViewId> {
        ViewId::ALL.into_iter().find(|v| v.key() == key && v.available())
    }
}
