//! The console's link to a live deployment: the mirror (`connectors::mirror`) polling it on its own thread,
//! whether the operator has turned actions on for this session (off until they do), and what the last "play
//! forward" carried into the twin. Nothing here holds or shows credentials: they stay in the AWS chain.

use std::path::{Path, PathBuf};

use connectors::config::MirrorConfig;
use connectors::mirror::{Mirror, SourceState, now_s};

use crate::worker::Published;

pub struct MirrorSession {
    /// The configuration file it was opened from.
    pub config: PathBuf,
    pub mirror: Mirror,
    /// Actions on the real system: off until the operator turns them on, for this session only.
    pub actions_enabled: bool,
}

#[derive(Default)]
pub struct MirrorLink {
    pub session: Option<MirrorSession>,
    /// Why the last connection failed (a configuration error names its file, line and column).
    pub error: Option<String>,
    /// What the last play forward carried over, in words.
    pub seeded: Vec<String>,
    /// Draw the mirrored deployment in the other views (`connectors::overlay`) rather than the twin alone.
    pub in_views: bool,
}

/// The twin's frame with the mirrored deployment drawn over it, and the banner that says so.
pub struct Overlaid {
    pub published: Published,
    /// What came from the deployment, and which sources are not current.
    pub banner: String,
    /// The worst source's state.
    pub worst: SourceState,
}

impl MirrorLink {
    /// `p` overlaid with what the mirror observed (`connectors::overlay`), when a deployment is mirrored and
    /// shown in the views.
    pub fn overlaid(&self, p: &Published) -> Option<Overlaid> {
        let session = self.session.as_ref().filter(|_| self.in_views)?;
        let state = session.mirror.state();
        let now = now_s();
        let overlaid = connectors::overlay::overlay(&p.snapshot, &state, now);
        let not_current: Vec<String> = state
            .sources
            .iter()
            .filter(|x| x.state(now) != SourceState::Ok)
            .map(|x| format!("{} {}", x.name, x.state(now).label()))
            .collect();
        let carried = if overlaid.carried.is_empty() { "nothing yet".into() } else { overlaid.carried.join(", ") };
        let mut banner = format!("Mirroring {}: {carried} from the deployment; the rest is the twin's.", state.name);
        if !not_current.is_empty() {
            banner.push_str(&format!(" Not current: {}.", not_current.join("; ")));
        }
        Some(Overlaid {
            published: Published {
                snapshot: overlaid.snapshot,
                observed: Some(std::sync::Arc::new(overlaid.series)),
                ..p.clone()
            },
            banner,
            worst: state.worst(now),
        })
    }

    /// Opens the configuration at `path` and starts mirroring; a bad configuration leaves `error` set instead.
    pub fn connect(&mut self, path: &Path, repaint: Option<egui::Context>) {
        self.session = None;
        self.seeded.clear();
        let started = MirrorConfig::load(path).map_err(|e| e.to_string()).and_then(|config| {
            let on_poll: Option<connectors::mirror::OnPoll> =
                repaint.map(|ctx| std::sync::Arc::new(move |_| ctx.request_repaint()) as connectors::mirror::OnPoll);
            Mirror::start(&config, on_poll).map_err(|e| format!("cannot start the mirror's thread: {e}"))
        });
        match started {
            Ok(mirror) => {
                self.error = None;
                self.in_views = true;
                self.session = Some(MirrorSession { config: path.to_path_buf(), mirror, actions_enabled: false });
            }
            Err(e) => self.error = Some(e),
        }
    }
}
