//! An ingest job: a studio's delivery taken through its stages in order, each stage's tasks on the function
//! pool, with a timeline per stage. What each task costs (assumed unless a source is named):
//!
//! - inspect: probing the source reads up to 256 MB of it, and a second of CPU;
//! - split: the keyframe index gives chunk boundaries of about `chunk_s` (each encode task reads its own byte
//!   range of the source, so nothing is copied);
//! - encode: every chunk × every rendition (codec family × rung, no rung above the source's resolution). CPU
//!   per frame at 1080p: AVC 0.04 vCPU-s (x264 medium, about 25 frames/s a core), HEVC 0.25 (x265 medium,
//!   about 4), AV1 0.15 (SVT-AV1 preset 8, about 7); in proportion to pixels for other sizes;
//! - quality: SSIM and PSNR of each rendition against the source on one frame in ten, 0.01 vCPU-s per 1080p
//!   frame measured;
//! - thumbnails: one still every 10 s at each size clients ask for (`THUMBNAIL_SIZES`), about 0.1 byte a pixel;
//! - package: a master playlist per codec family and a media playlist per rendition;
//! - store: each rendition and the thumbnails copied to the origin at the function's storage throughput.
//!
//! With `Ladder::PerTitle` each rung's bitrate follows the source's complexity (1 is a typical title; a
//! cartoon is well under, film grain and motion over), as Netflix's per-title encoding does; with the fixed
//! ladder every title gets the catalogue's bitrates.

use serde::{Deserialize, Serialize};

use super::pool::{Task, TaskFailure};
use crate::catalog::Rendition;
use crate::scenario::IngestSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Stage {
    Inspect,
    Split,
    Encode,
    Quality,
    Thumbnails,
    Package,
    Store,
}

pub const STAGES: [Stage; 7] =
    [Stage::Inspect, Stage::Split, Stage::Encode, Stage::Quality, Stage::Thumbnails, Stage::Package, Stage::Store];

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Inspect => "inspect",
            Stage::Split => "split",
            Stage::Encode => "encode",
            Stage::Quality => "quality",
            Stage::Thumbnails => "thumbnails",
            Stage::Package => "package",
            Stage::Store => "store",
        }
    }

    fn next(self) -> Option<Stage> {
        STAGES.get(self as usize + 1).copied()
    }
}

/// Thumbnail sizes clients ask for: TV rows, phone and tablet rows, and trick-play stills.
pub const THUMBNAIL_SIZES: [(u32, u32); 3] = [(1280, 720), (640, 360), (320, 180)];
/// A still every this many seconds of video.
pub const THUMBNAIL_EVERY_S: u32 = 10;
/// Bytes a pixel of a JPEG still (assumed).
const THUMBNAIL_BYTES_PER_PIXEL: f64 = 0.1;
/// The longest delivery a job takes.
pub const MAX_DURATION_S: u32 = 12 * 3600;
/// Most of the source inspect reads, bytes.
const PROBE_BYTES: f64 = 256e6;
const PIXELS_1080P: f64 = 1920.0 * 1080.0;
/// The least bitrate a studio source may have (a mezzanine is tens to hundreds of Mbps); anything less is
/// truncated or not video.
const MIN_SOURCE_KBPS: f64 = 1000.0;

/// vCPU-seconds to encode one 1080p frame, by codec family (assumed, see the module's notes).
pub fn vcpu_s_per_1080p_frame(codec: &str) -> f64 {
    match codec.to_ascii_lowercase().as_str() {
        "avc" | "h264" => 0.04,
        "av1" => 0.15,
        _ => 0.25,
    }
}

/// What the studio delivers: the title's metadata and its source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub title: String,
    /// `None` for a movie; (season, episode) for an episode.
    pub episode: Option<(u16, u16)>,
    pub genre: String,
    pub duration_s: u32,
    /// Regions expected to watch it most.
    pub regions: Vec<String>,
    /// When it goes live, seconds on the twin's clock.
    pub release_s: i64,
    pub source: Source,
    /// Renditions already encoded for real (by the ffmpeg engine): the job takes their sizes for their codec
    /// family in place of the model's, and models the rest. Empty for the modelled engine.
    #[serde(default)]
    pub encoded: Vec<Encoded>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// How hard it is to encode: 1 is a typical title.
    pub complexity: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ladder {
    Fixed,
    PerTitle,
}

/// Per-title encoding's bitrate for a rung of the fixed ladder, at the source's complexity.
pub fn per_title_kbps(kbps: u32, complexity: f64) -> u32 {
    (kbps as f64 * complexity.clamp(0.3, 1.5)).round().max(1.0) as u32
}

/// One encoded rendition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoded {
    pub codec: String,
    pub resolution: String,
    /// The catalogue rung it stands for (a real per-title rung: its own target), and its bitrate for this title
    /// (what its keys are named by).
    pub rung_kbps: u32,
    pub kbps: u32,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageSpan {
    pub stage: Stage,
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    pub tasks: u32,
    pub done: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum JobState {
    Running,
    Done { at_ms: u64 },
    Failed { at_ms: u64, stage: Stage, reason: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct Job {
    pub id: u32,
    pub delivery: Delivery,
    pub ladder: Ladder,
    pub submitted_ms: u64,
    pub state: JobState,
    pub timeline: Vec<StageSpan>,
    /// Chunk boundaries, seconds of the source.
    pub chunks: Vec<(u32, u32)>,
    pub renditions: Vec<Encoded>,
    /// (width, height, stills, bytes) per size.
    pub thumbnails: Vec<(u32, u32, u32, u64)>,
    /// Once stored: what became of its title in the catalogue.
    pub catalogued: Option<super::Catalogued>,
    /// What the catalogue's own rungs that it encodes would take for its running time.
    ladder_bytes: u64,
}

/// A "WIDTHxHEIGHT" resolution's numbers.
pub fn dimensions(resolution: &str) -> Option<(u32, u32)> {
    let (w, h) = resolution.split_once('x')?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

impl Job {
    /// A job for `delivery`, encoding the renditions of `codecs` (the catalogue's ladders) its source can feed,
    /// in chunks of about `chunk_s`.
    pub fn new(
        id: u32,
        delivery: Delivery,
        ladder: Ladder,
        chunk_s: f64,
        codecs: &[String],
        renditions: &[Rendition],
    ) -> Job {
        let src = &delivery.source;
        let fits = |r: &&Rendition| {
            dimensions(&r.resolution).is_some_and(|(w, h)| w <= src.width.max(1) && h <= src.height.max(1))
        };
        let codec_name = |r: &Rendition| codecs.get(r.codec as usize).cloned().unwrap_or_default();
        let real = |r: &&Rendition| delivery.encoded.iter().any(|e| e.codec == codec_name(r));
        let mut encoded = renditions
            .iter()
            .filter(fits)
            .filter(|r| !real(r))
            .map(|r| {
                let kbps = match ladder {
                    Ladder::Fixed => r.kbps,
                    Ladder::PerTitle => per_title_kbps(r.kbps, src.complexity),
                };
                Encoded {
                    codec: codec_name(r),
                    resolution: r.resolution.clone(),
                    rung_kbps: r.kbps,
                    kbps,
                    bytes: kbps as u64 * 125 * delivery.duration_s as u64,
                }
            })
            .collect::<Vec<_>>();
        encoded.extend(delivery.encoded.iter().cloned());
        encoded.sort_by_key(|e| codecs.iter().position(|c| *c == e.codec).unwrap_or(usize::MAX));
        let ladder_bytes = renditions.iter().filter(fits).map(|r| r.kbps as u64 * 125 * delivery.duration_s as u64);
        let ladder_bytes = ladder_bytes.sum();
        // Chunks and stills of a duration inspect will refuse are never made (nor would they fit in memory).
        let made_s = if delivery.duration_s <= MAX_DURATION_S { delivery.duration_s } else { 0 };
        let thumbnails = THUMBNAIL_SIZES
            .iter()
            .map(|&(w, h)| {
                let stills = made_s.div_ceil(THUMBNAIL_EVERY_S).max(1);
                (w, h, stills, (stills as f64 * w as f64 * h as f64 * THUMBNAIL_BYTES_PER_PIXEL) as u64)
            })
            .collect();
        let len = (chunk_s.round() as u32).max(1);
        let chunks = (0..made_s.div_ceil(len)).map(|i| (i * len, ((i + 1) * len).min(made_s)));
        Job {
            id,
            ladder,
            submitted_ms: 0,
            state: JobState::Running,
            timeline: Vec::new(),
            chunks: chunks.collect(),
            delivery,
            renditions: encoded,
            thumbnails,
            catalogued: None,
            ladder_bytes,
        }
    }

    /// Whether the source is one that can be encoded; if not, why.
    pub fn check_source(&self) -> Result<(), String> {
        let d = &self.delivery;
        let s = &d.source;
        if d.duration_s == 0 || d.duration_s > MAX_DURATION_S {
            return Err(format!("a duration of {} s (expected 1 s to 12 h)", d.duration_s));
        }
        if !(16..=7680).contains(&s.width) || !(16..=4320).contains(&s.height) {
            return Err(format!("a {}x{} picture (expected 16x16 to 7680x4320)", s.width, s.height));
        }
        if !(s.fps.is_finite() && (1.0..=120.0).contains(&s.fps)) {
            return Err(format!("{} frames a second (expected 1 to 120)", s.fps));
        }
        if !(s.complexity.is_finite() && s.complexity > 0.0) {
            return Err(format!("a complexity of {} (expected above 0)", s.complexity));
        }
        let kbps = s.bytes as f64 * 8.0 / 1000.0 / d.duration_s as f64;
        if kbps < MIN_SOURCE_KBPS {
            return Err(format!(
                "{:.1} MB for {} s of video is {kbps:.0} kbps (a studio source has at least {MIN_SOURCE_KBPS:.0}): \
                 truncated or not video",
                s.bytes as f64 / 1e6,
                d.duration_s
            ));
        }
        if self.renditions.is_empty() {
            return Err(format!("a {}x{} picture is below every rung of the ladder", s.width, s.height));
        }
        Ok(())
    }

    /// The codec families it encodes, in ladder order.
    pub fn codecs(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.renditions.iter().map(|r| r.codec.as_str()).collect();
        names.dedup();
        names
    }

    pub fn stage(&self) -> Option<Stage> {
        self.timeline.last().map(|s| s.stage)
    }

    /// Starts `stage` at `now_ms`: its timeline entry and its tasks.
    pub fn start(&mut self, stage: Stage, now_ms: u64, spec: &IngestSpec) -> Vec<Task> {
        let tasks = self.tasks(stage, spec);
        self.timeline.push(StageSpan { stage, start_ms: now_ms, end_ms: None, tasks: tasks.len() as u32, done: 0 });
        tasks
    }

    fn tasks(&self, stage: Stage, spec: &IngestSpec) -> Vec<Task> {
        let d = &self.delivery;
        let src = &d.source;
        let bw = spec.storage_mb_per_s * 1e6;
        let frames = |seconds: u32| seconds as f64 * src.fps;
        let pixels = |resolution: &str| dimensions(resolution).map_or(1.0, |(w, h)| w as f64 * h as f64 / PIXELS_1080P);
        let task = |index: usize, cpu_s: f64, io_s: f64| Task {
            job: self.id,
            stage: stage as u8,
            index: index as u32,
            cpu_s,
            io_s,
            attempt: 0,
        };
        match stage {
            Stage::Inspect => vec![task(0, 1.0, (src.bytes as f64).min(PROBE_BYTES) / bw)],
            Stage::Split => vec![task(0, 0.5, 1.0)],
            Stage::Encode => {
                let mut out = Vec::with_capacity(self.chunks.len() * self.renditions.len());
                for &(from, to) in &self.chunks {
                    let len = to - from;
                    let read = src.bytes as f64 * len as f64 / d.duration_s as f64;
                    for r in &self.renditions {
                        let cpu = frames(len) * vcpu_s_per_1080p_frame(&r.codec) * pixels(&r.resolution);
                        let write = r.kbps as f64 * 125.0 * len as f64;
                        out.push(task(out.len(), cpu, (read + write) / bw));
                    }
                }
                out
            }
            Stage::Quality => self
                .renditions
                .iter()
                .enumerate()
                .map(|(i, r)| task(i, frames(d.duration_s) / 10.0 * 0.01 * pixels(&r.resolution), r.bytes as f64 / bw))
                .collect(),
            Stage::Thumbnails => self
                .thumbnails
                .iter()
                .enumerate()
                .map(|(i, &(w, h, stills, bytes))| {
                    task(i, stills as f64 * 0.02 * w as f64 * h as f64 / PIXELS_1080P, bytes as f64 / bw)
                })
                .collect(),
            Stage::Package => (0..self.codecs().len()).map(|i| task(i, 1.0, 0.5)).collect(),
            Stage::Store => {
                let thumbs: u64 = self.thumbnails.iter().map(|t| t.3).sum();
                let mut out: Vec<Task> =
                    self.renditions.iter().enumerate().map(|(i, r)| task(i, 0.2, r.bytes as f64 / bw)).collect();
                out.push(task(out.len(), 0.2, thumbs as f64 / bw));
                out
            }
        }
    }

    /// One of its tasks finished at `at_ms`. Returns the stage to start next, if the one running is through.
    pub fn finished(&mut self, task: &Task, failure: Option<&TaskFailure>, at_ms: u64) -> Option<Stage> {
        let stage = self.stage()?;
        if self.state != JobState::Running || task.stage != stage as u8 {
            return None;
        }
        if let Some(f) = failure {
            self.fail(at_ms, stage, self.failure_reason(task, f));
            return None;
        }
        let span = self.timeline.last_mut()?;
        span.done += 1;
        if span.done < span.tasks {
            return None;
        }
        span.end_ms = Some(at_ms);
        if stage == Stage::Inspect
            && let Err(why) = self.check_source()
        {
            self.fail(at_ms, stage, format!("bad source: {why}"));
            return None;
        }
        match stage.next() {
            Some(next) => Some(next),
            None => {
                self.state = JobState::Done { at_ms };
                None
            }
        }
    }

    fn fail(&mut self, at_ms: u64, stage: Stage, reason: String) {
        if let Some(span) = self.timeline.last_mut() {
            span.end_ms = Some(at_ms);
        }
        self.state = JobState::Failed { at_ms, stage, reason };
    }

    fn failure_reason(&self, task: &Task, failure: &TaskFailure) -> String {
        let what = if task.stage == Stage::Encode as u8 {
            let per_chunk = self.renditions.len().max(1);
            let (chunk, r) = (task.index as usize / per_chunk, &self.renditions[task.index as usize % per_chunk]);
            let (from, to) = self.chunks[chunk];
            format!("chunk {} ({from}–{to} s) at {} {} {} kbps", chunk + 1, r.codec, r.resolution, r.kbps)
        } else {
            format!("task {}", task.index + 1)
        };
        match failure {
            TaskFailure::OverTimeLimit { needed_s, limit_s } => format!(
                "{what} needs {needed_s:.0} s, over the {limit_s:.0} s time limit (shorter chunks or more memory)"
            ),
            TaskFailure::RetriesSpent { tries } => format!("{what} failed on all {tries} tries"),
        }
    }

    /// The title it joined the catalogue as, once it has.
    pub fn joined_as(&self) -> Option<crate::catalog::TitleId> {
        match self.catalogued {
            Some(super::Catalogued::Joined { title, .. }) => Some(title),
            _ => None,
        }
    }

    /// Its renditions' bytes over what the catalogue's rungs up to its source would be for the same running
    /// time: what per-title encoding (modelled, or measured by a real encode) saved or spent.
    pub fn size_scale(&self) -> f64 {
        let bytes: u64 = self.renditions.iter().map(|r| r.bytes).sum();
        if self.ladder_bytes == 0 { 1.0 } else { bytes as f64 / self.ladder_bytes as f64 }
    }

    /// The job's total bytes in the origin: its renditions and thumbnails.
    pub fn stored_bytes(&self) -> u64 {
        self.renditions.iter().map(|r| r.bytes).sum::<u64>() + self.thumbnails.iter().map(|t| t.3).sum::<u64>()
    }

    /// Where its objects go in a bucket: `{title}/{feature|sNNeNN}`.
    pub fn key_prefix(&self) -> String {
        super::origin::title_key(&self.delivery.title, self.delivery.episode)
    }
}
