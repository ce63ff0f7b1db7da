//! The console's view interface. A view is one type holding its own state; each frame the shell hands it a
//! `ViewCtx`: the twin's latest published frame to read, the operator's selection, and the controls to send.
//! A view never changes the twin, the shell or another view itself: it sends a `Control`.

use std::any::Any;

use twin::Snapshot;

use super::control::Control;
use super::mirror_link::MirrorLink;
use super::real_encodes::RealEncodes;
use super::selection::Selection;
use crate::worker::Published;

pub trait View: Any {
    /// Draws the view for one frame.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx);
}

/// What a view gets each frame.
pub struct ViewCtx<'a> {
    /// The twin's latest frame: snapshot, inspected site, clock.
    pub published: &'a Published,
    /// What the operator has picked; shared by every view.
    pub selection: &'a mut Selection,
    /// The real (ffmpeg) encodes started here, and the origin folder they write to.
    pub encodes: &'a RealEncodes,
    /// The live deployment mirrored, if one is.
    pub mirror: &'a MirrorLink,
    controls: Vec<Control>,
}

impl<'a> ViewCtx<'a> {
    pub fn new(
        published: &'a Published,
        selection: &'a mut Selection,
        encodes: &'a RealEncodes,
        mirror: &'a MirrorLink,
    ) -> ViewCtx<'a> {
        ViewCtx { published, selection, encodes, mirror, controls: Vec::new() }
    }

    pub fn snapshot(&self) -> &'a Snapshot {
        &self.published.snapshot
    }

    /// Queues a control; the shell carries it out after the frame.
    pub fn send(&mut self, control: impl Into<Control>) {
        self.controls.push(control.into());
    }

    pub fn into_controls(self) -> Vec<Control> {
        self.controls
    }
}

/// A registered view, by the name `--view` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewId(&'static str);

impl ViewId {
    /// The map: where the console opens, and where "Show on map" goes.
    pub const MAP: ViewId = ViewId("map");

    pub const fn new(key: &'static str) -> ViewId {
        ViewId(key)
    }

    pub fn key(self) -> &'static str {
        self.0
    }
}

/// A view type's entry in the registry (`views::REGISTERED`): its names, and how to make one.
#[derive(Clone, Copy)]
pub struct ViewSpec {
    pub id: ViewId,
    /// Its name in the navigation.
    pub label: &'static str,
    make: fn() -> Box<dyn View>,
}

impl ViewSpec {
    pub const fn of<V: View + Default>(id: ViewId, label: &'static str) -> ViewSpec {
        ViewSpec { id, label, make: new_view::<V> }
    }

    /// A new view of this type, in its default state.
    pub fn make(&self) -> Box<dyn View> {
        (self.make)()
    }
}

fn new_view<V: View + Default>() -> Box<dyn View> {
    Box::<V>::default()
}
