//! What the console's parts (views, the top bar, the error panel) ask for. They never act themselves: they
//! send a `Control`, and the shell carries out every control after the frame, in one place
//! (`ConsoleApp::handle`).

use std::path::PathBuf;

use connectors::actions::Action;

use super::real_encodes::EncodeRequest;
use super::scenario_source::ScenarioSource;
use super::view::ViewId;
use crate::worker::Request;

#[derive(Debug)]
pub enum Control {
    /// For the twin's worker: a twin command, the clock, a reset.
    Worker(Request),
    /// Put this view in the middle.
    ShowView(ViewId),
    /// Replace the twin with a scenario loaded afresh.
    Open(ScenarioSource),
    /// Ask the operator for a scenario file, then open it.
    PickScenarioFile,
    /// Encode a source for real with ffmpeg, then deliver it to the twin.
    EncodeReal(Box<EncodeRequest>),
    /// Mirror the deployment a configuration file names (replacing any mirrored now), or ask for the file.
    ConnectMirror(PathBuf),
    PickMirrorConfig,
    DisconnectMirror,
    /// Poll every mirrored source now.
    PollMirror,
    /// Draw the mirrored deployment in the other views, or the twin alone.
    ShowMirrorInViews(bool),
    /// Turn actions on the real system on or off for this session.
    EnableActions(bool),
    /// Carry out an action on the real system (the view has asked the operator to confirm it).
    Act(Action),
    /// Seed the twin from the mirrored state and simulate ahead from there.
    PlayForward,
    /// Add an edit to the What-if view's list, and show it.
    AddEdit(Box<twin::whatif::Edit>),
    /// Record viewing events of this share of members from now, and from every later start of the twin;
    /// or (None) stop, and record no more until asked.
    Record(Option<f64>),
}

impl From<Request> for Control {
    fn from(r: Request) -> Control {
        Control::Worker(r)
    }
}

impl From<twin::Command> for Control {
    fn from(c: twin::Command) -> Control {
        Control::Worker(Request::Twin(c))
    }
}
