//! The twin's worker thread. The console sends `Request`s and reads the latest `Published` frame; it never
//! waits on the simulation. A panic in the twin does not take the console down: the worker catches it,
//! publishes it as the frame's `failure`, and waits for a reset.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use connectors::overlay::ObservedSeries;
use twin::{Command, SimTime, SiteId, SiteMinute, Snapshot, Twin, ValidScenario};

use crate::store::events::EventStore;
use crate::training::Training;

/// Simulated seconds per wall second, or as fast as the twin goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    Times(f64),
    Max,
}

impl Speed {
    pub const CHOICES: [Speed; 6] = [
        Speed::Times(1.0),
        Speed::Times(10.0),
        Speed::Times(100.0),
        Speed::Times(1000.0),
        Speed::Times(10_000.0),
        Speed::Max,
    ];

    pub fn label(self) -> String {
        match self {
            Speed::Times(x) => format!("{x}×"),
            Speed::Max => "max".to_string(),
        }
    }
}

/// What the console asks of the worker.
#[derive(Debug)]
pub enum Request {
    Twin(Command),
    Play(bool),
    SetSpeed(Speed),
    /// Advance one simulated minute (while paused).
    Step,
    /// Start over from the scenario's beginning, optionally with another seed.
    Reset {
        seed: u64,
    },
    /// Send a fork of the twin as it stands now (a what-if starts from it).
    Fork(std::sync::mpsc::Sender<Twin>),
    /// Record viewing events into a new database at this path, for this share of members; or (None) stop.
    RecordEvents(Option<(std::path::PathBuf, f64)>),
    /// Attach this site's recent history to published frames.
    Inspect(Option<SiteId>),
    Quit,
    /// A debug control for tests of the console's recovery: the worker panics handling it, as a bug in the twin
    /// would. Nothing in the console sends it.
    InjectPanic,
}

/// An events recording in progress, as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    pub path: std::path::PathBuf,
    pub sample: f64,
    pub taken: u64,
    pub written: u64,
}

/// The worker's side of a recording: the store, nightly training from it, the share sampled, events taken for
/// it, and the committed count last published (so a frame goes out when the writer catches up, even while
/// paused).
struct Recorder {
    store: EventStore,
    training: Training,
    sample: f64,
    taken: u64,
    published_written: u64,
}

/// What the console reads each frame.
#[derive(Clone, Debug)]
pub struct Published {
    pub snapshot: Snapshot,
    pub inspected: Option<(SiteId, Vec<SiteMinute>)>,
    pub playing: bool,
    pub speed: Speed,
    pub seed: u64,
    /// Achieved simulated seconds per wall second, and plays simulated per wall second, over the last second.
    pub sim_speed: f64,
    pub plays_per_s: f64,
    /// A command the twin refused, to show the operator.
    pub last_error: Option<String>,
    /// The operator's commands the twin took since its start, each with the moment it took it: what the What-if
    /// view can replay as edits.
    pub actions: Arc<Vec<(SimTime, Command)>>,
    /// Events being recorded: where, for which share of members, how many taken from the twin and committed.
    pub recording: Option<Recording>,
    /// The twin panicked: what it said. The snapshot is the last one before; nothing runs until a reset.
    pub failure: Option<String>,
    /// Series a mirrored deployment observed, which views draw in place of the simulated ones (set by the
    /// console's mirror link, never by the worker).
    pub observed: Option<Arc<ObservedSeries>>,
}

pub struct TwinHandle {
    tx: Sender<Request>,
    latest: Arc<Mutex<Arc<Published>>>,
    thread: Option<JoinHandle<()>>,
}

impl TwinHandle {
    /// Starts the worker, paused. The first frame is published before this returns.
    pub fn spawn(twin: Twin, repaint: Option<egui::Context>) -> TwinHandle {
        let (tx, rx) = channel();
        let worker = Worker::new(twin);
        let latest = Arc::new(Mutex::new(Arc::new(worker.publish_frame())));
        let shared = latest.clone();
        let thread = std::thread::Builder::new()
            .name("twin".into())
            .spawn(move || worker.run(rx, shared, repaint))
            .expect("spawning the twin thread");
        TwinHandle { tx, latest, thread: Some(thread) }
    }

    pub fn send(&self, r: Request) {
        // The worker only stops on Quit or when it has died; then there is nothing to tell it.
        let _ = self.tx.send(r);
    }

    pub fn latest(&self) -> Arc<Published> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for TwinHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(Request::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    twin: Twin,
    scenario: ValidScenario,
    playing: bool,
    speed: Speed,
    inspect: Option<SiteId>,
    /// Simulated seconds owed to the clock at the chosen speed, not yet simulated.
    owed_s: f64,
    last_error: Option<String>,
    actions: Arc<Vec<(SimTime, Command)>>,
    /// The events store being written.
    events: Option<Recorder>,
    /// Set when the twin panicked: its state cannot be trusted, so only a reset brings it back.
    failure: Option<String>,
    rate: RateMeter,
}

/// Measures simulated seconds and plays per wall second over a sliding second.
struct RateMeter {
    since: Instant,
    sim_s: f64,
    plays: u64,
    sim_speed: f64,
    plays_per_s: f64,
}

impl RateMeter {
    fn record(&mut self, sim_s: f64, plays: u64) {
        self.sim_s += sim_s;
        self.plays += plays;
        let wall = self.since.elapsed().as_secs_f64();
        if wall >= 1.0 {
            (self.sim_speed, self.plays_per_s) = (self.sim_s / wall, self.plays as f64 / wall);
            (self.since, self.sim_s, self.plays) = (Instant::now(), 0.0, 0);
        }
    }
}

/// Longest the worker simulates before looking at its mailbox again.
const SLICE: Duration = Duration::from_millis(30);

impl Worker {
    fn new(twin: Twin) -> Worker {
        let scenario = twin.model().scenario.clone();
        Worker {
            twin,
            scenario,
            playing: false,
            speed: Speed::Times(1000.0),
            inspect: None,
            owed_s: 0.0,
            last_error: None,
            actions: Arc::default(),
            events: None,
            failure: None,
            rate: RateMeter { since: Instant::now(), sim_s: 0.0, plays: 0, sim_speed: 0.0, plays_per_s: 0.0 },
        }
    }

    fn publish_frame(&self) -> Published {
        Published {
            snapshot: self.twin.snapshot(),
            inspected: self.inspect.map(|s| (s, self.twin.site_history(s))),
            playing: self.playing,
            speed: self.speed,
            seed: self.twin.model().scenario.seed,
            sim_speed: if self.playing { self.rate.sim_speed } else { 0.0 },
            plays_per_s: if self.playing { self.rate.plays_per_s } else { 0.0 },
            last_error: self.last_error.clone(),
            actions: self.actions.clone(),
            recording: self.events.as_ref().map(|r| Recording {
                path: r.store.path().to_path_buf(),
                sample: r.sample,
                taken: r.taken,
                written: r.published_written,
            }),
            failure: None,
            observed: None,
        }
    }

    fn run(mut self, rx: Receiver<Request>, latest: Arc<Mutex<Arc<Published>>>, repaint: Option<egui::Context>) {
        let mut last_tick = Instant::now();
        loop {
            let frame = match panic::catch_unwind(AssertUnwindSafe(|| self.turn(&rx, &mut last_tick))) {
                Ok(Turn::Quit) => return,
                Ok(Turn::Unchanged) => continue,
                Ok(Turn::Publish(frame)) => frame,
                Err(payload) => {
                    let failure = format!("the simulation panicked: {}", panic_message(payload.as_ref()));
                    (self.failure, self.playing) = (Some(failure.clone()), false);
                    let last = latest.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    Arc::new(Published {
                        failure: Some(failure),
                        playing: false,
                        sim_speed: 0.0,
                        plays_per_s: 0.0,
                        ..(*last).clone()
                    })
                }
            };
            *latest.lock().unwrap_or_else(PoisonError::into_inner) = frame;
            if let Some(ctx) = &repaint {
                ctx.request_repaint();
            }
        }
    }

    /// Takes what is in the mailbox (waiting a while when paused), simulates what the clock owes, and makes the
    /// frame to publish if anything changed.
    fn turn(&mut self, rx: &Receiver<Request>, last_tick: &mut Instant) -> Turn {
        // Paused: sleep until told something. Playing: check the mailbox without waiting.
        let wait = if self.playing { Duration::ZERO } else { Duration::from_millis(250) };
        let mut changed = false;
        match rx.recv_timeout(wait) {
            Ok(r) => {
                if !self.handle(r) {
                    return Turn::Quit;
                }
                changed = true;
                while let Ok(r) = rx.try_recv() {
                    if !self.handle(r) {
                        return Turn::Quit;
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => return Turn::Quit,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let wall = now.duration_since(*last_tick).as_secs_f64();
        *last_tick = now;
        if self.playing {
            changed |= self.simulate(wall);
        }
        changed |= self.pass_events();
        // A failed twin keeps its failure frame on screen.
        if changed && self.failure.is_none() { Turn::Publish(Arc::new(self.publish_frame())) } else { Turn::Unchanged }
    }

    /// Starts recording events into a new store (stopping any recording first), or stops.
    fn record_events(&mut self, to: Option<(std::path::PathBuf, f64)>) {
        if let Some(r) = self.events.take() {
            self.twin.set_events(None);
            self.twin.set_given_predictions(false);
            if let Err(e) = r.store.finish() {
                self.last_error = Some(format!("{e:#}"));
            }
        }
        let Some((path, sample)) = to else { return };
        let Some(sampling) = twin::events::Sampling::new(sample) else {
            self.last_error = Some(format!("a sampling share is in (0, 1], not {sample}"));
            return;
        };
        let started = EventStore::create(&path, &self.twin, sample)
            .and_then(|store| Ok((Training::start(&mut self.twin, &store)?, store)));
        match started {
            Ok((training, store)) => {
                self.twin.set_events(Some(sampling));
                self.events = Some(Recorder { store, training, sample, taken: 0, published_written: 0 });
            }
            Err(e) => self.last_error = Some(format!("{e:#}")),
        }
    }

    /// Hands the events the twin made since the last turn to the store. Returns whether there is news to
    /// publish: events taken, or more committed.
    fn pass_events(&mut self) -> bool {
        let Some(r) = &mut self.events else { return false };
        let batch = self.twin.take_events();
        let took = !batch.is_empty();
        r.taken += batch.len() as u64;
        if let Err(e) = r.store.send(batch) {
            self.last_error = Some(format!("{e:#}"));
            self.record_events(None);
            return true;
        }
        let written = r.store.written();
        let committed = written != r.published_written;
        r.published_written = written;
        took || committed
    }

    /// One simulated minute; while recording, a region whose day ended is trained from the store and planned
    /// before the next.
    fn advance_minute(&mut self) {
        self.twin.advance_minutes(1);
        let Some(r) = &mut self.events else { return };
        if let Err(e) = r.store.update_titles(&self.twin) {
            self.last_error = Some(format!("{e:#}"));
            self.record_events(None);
            return;
        }
        if let Err(e) = r.training.after_minute(&mut self.twin, &r.store) {
            self.last_error = Some(format!("nightly training stopped the recording: {e:#}"));
            self.record_events(None);
        }
    }

    /// Simulates what the clock owes for `wall` seconds at the chosen speed, for at most one slice.
    fn simulate(&mut self, wall: f64) -> bool {
        let started = Instant::now();
        let plays_before = self.twin.totals().plays;
        let mut minutes = 0u64;
        match self.speed {
            Speed::Times(x) => {
                // Cap what is owed so a stall (a slow frame, a debugger) does not turn into a burst.
                self.owed_s = (self.owed_s + wall * x).min(3600.0);
                while self.owed_s >= 60.0 && started.elapsed() < SLICE {
                    self.advance_minute();
                    self.owed_s -= 60.0;
                    minutes += 1;
                }
                if minutes == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Speed::Max => {
                while started.elapsed() < SLICE {
                    self.advance_minute();
                    minutes += 1;
                }
            }
        }
        self.rate.record(minutes as f64 * 60.0, self.twin.totals().plays - plays_before);
        minutes > 0
    }

    /// Applies one request; false means stop. A failed twin takes only a reset (or quit).
    fn handle(&mut self, r: Request) -> bool {
        if self.failure.is_some() && !matches!(r, Request::Reset { .. } | Request::Quit) {
            return true;
        }
        match r {
            Request::Twin(cmd) => {
                let now = self.twin.now();
                self.last_error = match self.twin.apply(cmd.clone()) {
                    Ok(()) => {
                        Arc::make_mut(&mut self.actions).push((now, cmd));
                        None
                    }
                    Err(e) => Some(e.to_string()),
                };
            }
            Request::Play(p) => {
                self.playing = p;
                self.owed_s = 0.0;
            }
            Request::SetSpeed(s) => self.speed = s,
            Request::Step => self.advance_minute(),
            Request::Reset { seed } => {
                match Twin::new(self.scenario.clone().with_seed(seed)) {
                    Ok(t) => {
                        self.record_events(None);
                        self.twin = t;
                        self.actions = Arc::default();
                        (self.last_error, self.failure) = (None, None);
                    }
                    Err(e) => self.last_error = Some(e.to_string()),
                }
                self.owed_s = 0.0;
            }
            Request::RecordEvents(to) => self.record_events(to),
            Request::Fork(reply) => {
                // The asker may have gone (its view closed): nothing to do then.
                let _ = reply.send(self.twin.fork());
            }
            Request::Inspect(site) => self.inspect = site,
            Request::Quit => return false,
            Request::InjectPanic => panic!("injected by a test"),
        }
        true
    }
}

/// What one turn of the worker's loop came to.
enum Turn {
    Publish(Arc<Published>),
    Unchanged,
    Quit,
}

/// The message a panic was raised with (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => s,
        (_, Some(s)) => s,
        _ => "(no message)",
    }
}
