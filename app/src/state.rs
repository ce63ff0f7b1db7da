//! AppState: everything the console remembers between frames, and the handle to the twin worker.

use std::sync::mpsc::Receiver;

use twin::catalog::TitleId;
use twin::{SiteId, Twin};

use crate::ui::ViewId;
use crate::ui::fill::FillState;
use crate::ui::map::MapState;
use crate::ui::placement::PlacementState;
use crate::ui::qoe::QoeState;
use crate::worker::TwinHandle;

/// What the operator has picked: shared by every view (a region picked in the QoE table, or a title picked in
/// the placement view, lights up on the map).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Selection {
    pub site: Option<SiteId>,
    pub region: Option<usize>,
    pub title: Option<TitleId>,
}

pub struct AppState {
    /// None when the scenario could not be loaded: the console then shows `load_error`.
    pub twin: Option<TwinHandle>,
    /// Where the scenario came from, for the title bar.
    pub source: String,
    pub load_error: Option<String>,
    /// A scenario being built on a background thread.
    pub loading: Option<Receiver<Result<Twin, String>>>,
    pub view: ViewId,
    pub selection: Selection,
    pub map: MapState,
    pub qoe: QoeState,
    pub placement: PlacementState,
    pub fill: FillState,
    /// Show the clock in UTC (else in this machine's local time zone).
    pub clock_utc: bool,
    /// The seed in the top bar's editor; applied by Reset.
    pub seed_edit: u64,
    /// CPU time of the last frame's UI pass.
    pub frame_ms: f32,
}

impl AppState {
    pub fn new(twin: Option<TwinHandle>, source: String) -> AppState {
        let seed_edit = twin.as_ref().map_or(0, |t| t.latest().seed);
        AppState {
            twin,
            source,
            load_error: None,
            loading: None,
            view: ViewId::Map,
            selection: Selection::default(),
            map: MapState::default(),
            qoe: QoeState::default(),
            placement: PlacementState::default(),
            fill: FillState::default(),
            clock_utc: true,
            seed_edit,
            frame_ms: 0.0,
        }
    }
}
