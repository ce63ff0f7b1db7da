//! Real encodes the console started: the ffmpeg engine (`crate::encoder`) runs each on a thread of its own, off
//! the UI and off the twin. When one finishes, its title is delivered to the twin with the sizes it really came
//! to (`Delivery::encoded`); its files stay in the origin folder, where views find its thumbnails.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use twin::Command;
use twin::ingest::origin::title_key;
use twin::ingest::{Delivery, Encoded, Job, Ladder, Source};

use crate::encoder::{self, EncodeReport, EncodeSpec, SourceSpec};

/// What the Ingest view asks to encode: the source, and the delivery to make of it.
#[derive(Debug)]
pub struct EncodeRequest {
    pub source: SourceSpec,
    pub delivery: Delivery,
    pub ladder: Ladder,
}

/// One real encode, running or done.
pub struct RealEncode {
    pub title: String,
    /// Its objects' keys in the origin (`title_key`).
    key: String,
    /// The catalogue's AVC ladder it was encoded against: (kbps, height) per rung.
    rungs: Vec<(u32, u32)>,
    pub started: Instant,
    /// The stage running, its tasks done and in all.
    pub progress: Arc<Mutex<(String, usize, usize)>>,
    /// The report, or why it failed, once it is through.
    pub outcome: Option<Result<EncodeReport, String>>,
    pub seconds: f64,
    request: Option<EncodeRequest>,
    rx: Receiver<Result<EncodeReport, String>>,
}

impl RealEncode {
    fn new(
        title: String,
        key: String,
        rungs: Vec<(u32, u32)>,
        request: Option<EncodeRequest>,
        rx: Receiver<Result<EncodeReport, String>>,
    ) -> RealEncode {
        let progress = Arc::new(Mutex::new(("starting".to_string(), 0, 1)));
        RealEncode { title, key, rungs, started: Instant::now(), progress, outcome: None, seconds: 0.0, request, rx }
    }
}

pub struct RealEncodes {
    /// The local origin folder the ffmpeg engine writes to.
    pub origin: PathBuf,
    pub list: Vec<RealEncode>,
}

impl RealEncodes {
    pub fn new(origin: PathBuf) -> RealEncodes {
        RealEncodes { origin, list: Vec::new() }
    }

    /// Starts encoding on a thread of its own, the scenario's AVC ladder `rungs` (kbps, height) at most.
    /// One of the same title (the same keys) already running is not started twice: it fails, saying so.
    pub fn start(&mut self, request: EncodeRequest, rungs: Vec<(u32, u32)>, chunk_s: f64) {
        let d = &request.delivery;
        let key = title_key(&d.title, d.episode);
        let (tx, rx) = channel();
        if self.list.iter().any(|e| e.outcome.is_none() && e.key == key) {
            let why = format!("an encode into {key}/ is running already: wait for it, or give another title");
            let _ = tx.send(Err(why));
            self.list.push(RealEncode::new(d.title.clone(), key, rungs, None, rx));
            return;
        }
        let spec = EncodeSpec {
            source: request.source.clone(),
            title: d.title.clone(),
            episode: d.episode,
            ladder: request.ladder,
            rungs: rungs.clone(),
            chunk_s,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            split: true,
            origin: self.origin.clone(),
        };
        let title = d.title.clone();
        let e = RealEncode::new(title, key, rungs, Some(request), rx);
        let shared = e.progress.clone();
        std::thread::spawn(move || {
            let report = |stage: &str, done: usize, total: usize| {
                *shared.lock().unwrap_or_else(|e| e.into_inner()) = (stage.to_string(), done, total);
            };
            let _ = tx.send(encoder::encode(&spec, &report).map_err(|e| format!("{e:#}")));
        });
        self.list.push(e);
    }

    pub fn running(&self) -> bool {
        self.list.iter().any(|e| e.outcome.is_none())
    }

    /// Takes in the encodes that finished: each one done makes a delivery for the twin, with its real sizes.
    pub fn poll(&mut self) -> Vec<Command> {
        let mut commands = Vec::new();
        for e in self.list.iter_mut().filter(|e| e.outcome.is_none()) {
            let outcome = match e.rx.try_recv() {
                Ok(r) => r,
                Err(TryRecvError::Empty) => continue,
                Err(TryRecvError::Disconnected) => Err("the encoding thread stopped without a word".into()),
            };
            e.seconds = e.started.elapsed().as_secs_f64();
            if let (Ok(report), Some(request)) = (&outcome, e.request.take()) {
                let delivery = delivered(request.delivery, report, &e.rungs);
                commands.push(Command::Ingest { delivery, ladder: request.ladder });
            }
            e.outcome = Some(outcome);
        }
        commands
    }

    /// Where a real job's stills of `size` are, if it was encoded here.
    pub fn thumbnails(&self, job: &Job, size: (u32, u32)) -> Option<PathBuf> {
        (!job.delivery.encoded.is_empty())
            .then(|| self.origin.join(job.key_prefix()).join("thumbnails").join(format!("{}x{}", size.0, size.1)))
    }
}

/// The delivery as the real encode found it: its running time and picture, its renditions' sizes, and its
/// complexity as measured (its AVC bytes over the fixed `rungs`' up to its picture), which the twin's modelled
/// renditions of the other codec families follow.
fn delivered(mut d: Delivery, r: &EncodeReport, rungs: &[(u32, u32)]) -> Delivery {
    d.duration_s = r.duration_s.round().max(1.0) as u32;
    let fixed: f64 = rungs.iter().filter(|&&(_, h)| h <= r.height).map(|&(kbps, _)| kbps as f64 * 125.0).sum();
    let real: f64 = r.renditions.iter().map(|x| x.bytes as f64).sum::<f64>() / d.duration_s as f64;
    let complexity = if fixed > 0.0 { real / fixed } else { 1.0 };
    d.source = Source { bytes: r.source_bytes, width: r.width, height: r.height, fps: r.fps, complexity };
    d.encoded = r
        .renditions
        .iter()
        .map(|x| Encoded {
            codec: "avc".into(),
            resolution: format!("{}x{}", x.width, x.height),
            // The target names its folder, as the bucket model's keys do; the bytes are what it came to.
            rung_kbps: x.target_kbps,
            kbps: x.target_kbps,
            bytes: x.bytes,
        })
        .collect();
    d
}
