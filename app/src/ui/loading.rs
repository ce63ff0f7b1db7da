//! A scenario being built on a thread of its own: its world as soon as geography is built (drawn at once, so
//! the operator sees the network while the rest is made), the stage the build has reached, and at last the twin
//! or why not.

use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Instant;

use twin::world::World;
use twin::{BuildStage, Building, Twin};

use super::scenario_source::ScenarioSource;

/// What the build thread sends.
enum Event {
    World(Box<World>),
    Stage(BuildStage),
    Done(Box<Result<Twin, String>>),
}

pub struct Loading {
    rx: Receiver<Event>,
    /// The scenario's world, once built.
    pub world: Option<Box<World>>,
    /// The stage under way after the world.
    pub stage: Option<BuildStage>,
    pub started: Instant,
}

impl Loading {
    /// Starts building `source`; `repaint` is woken at each step.
    pub fn start(source: ScenarioSource, repaint: Option<egui::Context>) -> Loading {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let wake = || {
                if let Some(ctx) = &repaint {
                    ctx.request_repaint();
                }
            };
            let result = source.load(|b| {
                let _ = tx.send(match b {
                    Building::World(w) => Event::World(Box::new(w.clone())),
                    Building::Stage(s) => Event::Stage(s),
                });
                wake();
            });
            let _ = tx.send(Event::Done(Box::new(result)));
            wake();
        });
        Loading { rx, world: None, stage: None, started: Instant::now() }
    }

    /// Takes what the build sent since the last frame; the twin (or why not) once it is done.
    pub fn poll(&mut self) -> Option<Result<Twin, String>> {
        loop {
            match self.rx.try_recv() {
                Ok(Event::World(w)) => self.world = Some(w),
                Ok(Event::Stage(s)) => self.stage = Some(s),
                Ok(Event::Done(result)) => return Some(*result),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    return Some(Err("loading the scenario stopped unexpectedly".into()));
                }
            }
        }
    }

    /// The progress line: the stage, its place among the stages, and the time so far.
    pub fn progress(&self, source: &str) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        match self.stage {
            None if self.world.is_some() => format!("Building {source}: the world is built · {elapsed:.1} s"),
            None => format!("Loading {source}… {elapsed:.1} s"),
            Some(s) => {
                let i = BuildStage::ALL.iter().position(|&x| x == s).unwrap_or(0) + 1;
                let n = BuildStage::ALL.len();
                format!("Building {source}: {} ({i} of {n}) · {elapsed:.1} s; it plays once ready", s.label())
            }
        }
    }
}
