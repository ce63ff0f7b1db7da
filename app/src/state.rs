//! AppState: everything the console remembers between frames, and the handle to the twin worker.

use std::any::Any;
use std::path::PathBuf;

use crate::ui::loading::Loading;
use crate::ui::mirror_link::MirrorLink;
use crate::ui::real_encodes::RealEncodes;
use crate::ui::selection::Selection;
use crate::ui::site_inspector::SiteInspector;
use crate::ui::view::{View, ViewId};
use crate::ui::views::REGISTERED;
use crate::worker::TwinHandle;

pub struct AppState {
    /// None when the scenario could not be loaded: the console then shows `load_error`.
    pub twin: Option<TwinHandle>,
    /// Where the scenario came from, for the title bar.
    pub source: String,
    pub load_error: Option<String>,
    /// A scenario being built on a background thread.
    pub loading: Option<Loading>,
    /// The view in the middle.
    pub view: ViewId,
    /// Every registered view with its state, in `REGISTERED` order.
    pub views: Vec<Box<dyn View>>,
    pub inspector: SiteInspector,
    pub selection: Selection,
    /// Show the clock in UTC (else in this machine's local time zone).
    pub clock_utc: bool,
    /// The seed in the top bar's editor; applied by Reset.
    pub seed_edit: u64,
    /// CPU time of the last frame's UI pass, and whether the status bar shows it (snapshot tests hide it: it
    /// differs from run to run, the more so on a loaded machine).
    pub frame_ms: f32,
    pub show_frame_time: bool,
    /// Real (ffmpeg) encodes started from the Ingest view.
    pub encodes: RealEncodes,
    /// The live deployment mirrored, if one is.
    pub mirror: MirrorLink,
    /// Viewing events recorded from each start of the twin.
    pub record: AutoRecord,
    /// Whether a scenario loaded in the background starts playing once built.
    pub play_on_load: bool,
}

/// Viewing events the console records from each start of the twin (its load, a reset): a sample of members,
/// into a new database in `dir` each time, so the Analytics view fills as the twin runs.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoRecord {
    pub dir: PathBuf,
    /// The share of members recorded; None: the console does not record (the operator stopped it, or the
    /// console was opened with `--no-record`).
    pub sample: Option<f64>,
}

impl AutoRecord {
    /// The share the console records unless told otherwise: enough for the Analytics view's figures, and
    /// light enough to leave on.
    pub const DEFAULT_SAMPLE: f64 = 0.1;

    /// The console's default: `DEFAULT_SAMPLE` of members, into `runs/` of the data folder.
    pub fn on() -> AutoRecord {
        AutoRecord { dir: crate::store::events::console_dir(), sample: Some(Self::DEFAULT_SAMPLE) }
    }

    pub fn off() -> AutoRecord {
        AutoRecord { sample: None, ..AutoRecord::on() }
    }
}

impl AppState {
    pub fn new(twin: Option<TwinHandle>, source: String) -> AppState {
        let seed_edit = twin.as_ref().map_or(0, |t| t.latest().seed);
        AppState {
            twin,
            source,
            load_error: None,
            loading: None,
            view: REGISTERED[0].id,
            views: REGISTERED.iter().map(|v| v.make()).collect(),
            inspector: SiteInspector,
            selection: Selection::default(),
            clock_utc: true,
            seed_edit,
            frame_ms: 0.0,
            show_frame_time: true,
            encodes: RealEncodes::new(crate::data_dir().join("origin")),
            mirror: MirrorLink::default(),
            record: AutoRecord::off(),
            play_on_load: true,
        }
    }

    /// The view of type `V`, to set it up from outside (tests, benchmarks).
    pub fn find_view_mut<V: View>(&mut self) -> Option<&mut V> {
        self.views.iter_mut().find_map(|v| (v.as_mut() as &mut dyn Any).downcast_mut::<V>())
    }

    pub fn find_view<V: View>(&self) -> Option<&V> {
        self.views.iter().find_map(|v| (v.as_ref() as &dyn Any).downcast_ref::<V>())
    }
}
