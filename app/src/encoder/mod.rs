//! The `ffmpeg` ingest engine: encodes a real source (a file, or a generated test pattern) the way the modelled
//! engine describes, with the machine's cores standing in for the function pool. Stages, as in
//! `twin::ingest::job`:
//!
//! 1. inspect: ffprobe reads the source (a source it cannot read, or with no video, is refused);
//! 2. split: the source's video is cut at keyframes into chunks of about `chunk_s` (stream copy, no re-encode);
//! 3. encode: every chunk × every rung, x264 with a capped average bitrate, in parallel on `workers` processes
//!    of one thread each (or, without splitting, one ffmpeg process per rung using every core: the baseline);
//!    for a per-title ladder, trial encodes at several CRFs per resolution come first (`hull`);
//! 4. quality: SSIM and PSNR of each rendition against the source (one frame in `QUALITY_EVERY`, scaled back to
//!    the source's size), with ffmpeg's own `ssim` and `psnr` filters (libvmaf is not in Debian's build);
//! 5. thumbnails: a still every `THUMBNAIL_EVERY_S` at each size clients ask for;
//! 6. package: the chunks of each rung joined and cut into CMAF segments (fragmented MP4, `SEGMENT_S` each)
//!    with an HLS media playlist, an AAC audio rendition, and a master playlist;
//! 7. store: written into the origin folder under the keys the bucket model uses
//!    (`{title}/{feature|sNNeNN}/avc/{height}p_{kbps}k/seg_00001.m4s`, `…/avc/master.m3u8`,
//!    `…/thumbnails/{w}x{h}/00001.jpg`), so the twin and the console read real sizes.
//!
//! Only the AVC ladder is encoded for real (libx264): x265 and AV1 encoders run at a few frames a second on two
//! cores, and their sizes stay modelled.

mod hull;
pub mod tools;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;
use twin::ingest::Ladder;
use twin::ingest::job::{THUMBNAIL_EVERY_S, THUMBNAIL_SIZES};
use twin::ingest::origin::{SEGMENT_S, title_key};

pub use hull::Trial;
use tools::{Probe, ffmpeg_args, probe, run};

/// Quality is measured on one frame in this many.
const QUALITY_EVERY: u32 = 5;
/// Keyframes every 2 s of video: segments (4 s) and chunks start on one.
const GOP_S: f64 = 2.0;
/// CRFs each resolution is tried at for a per-title ladder.
const TRIAL_CRFS: [u32; 4] = [20, 26, 32, 38];
/// Per-title quality targets, SSIM in dB (assumed: 12 dB, SSIM 0.937, is a watchable phone picture; 22 dB,
/// SSIM 0.994, is transparent on a TV).
const TARGET_LOW_DB: f64 = 12.0;
const TARGET_HIGH_DB: f64 = 22.0;
const AUDIO_KBPS: u32 = 128;

/// Which engine encodes a delivery: the model (any scale, inside the simulation; `twin::ingest`) or ffmpeg (for
/// real, on this machine; this module).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Modelled,
    Ffmpeg,
}

/// Where the source comes from.
#[derive(Clone, Debug)]
pub enum SourceSpec {
    File(PathBuf),
    /// A generated pattern with a `sine` tone: `testsrc2`'s flat colours and smooth motion (easy, like a
    /// cartoon), or, `hard`, `mandelbrot`'s zoom into a fractal (fine detail everywhere, always moving).
    Pattern {
        seconds: f64,
        width: u32,
        height: u32,
        fps: f64,
        hard: bool,
    },
}

#[derive(Clone, Debug)]
pub struct EncodeSpec {
    pub source: SourceSpec,
    pub title: String,
    pub episode: Option<(u16, u16)>,
    pub ladder: Ladder,
    /// The catalogue's AVC ladder: (kbps, height) per rung, lowest first.
    pub rungs: Vec<(u32, u32)>,
    pub chunk_s: f64,
    /// Encoder processes at once (chunked), normally the machine's cores.
    pub workers: usize,
    /// False: no split, one ffmpeg process per rung on every core (the baseline chunking is measured against).
    pub split: bool,
    pub origin: PathBuf,
}

/// One rendition written to the origin.
#[derive(Clone, Debug, Serialize)]
pub struct Rendition {
    /// Its folder under the origin.
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub target_kbps: u32,
    /// Video bits per second of what was written, over its running time.
    pub kbps: f64,
    /// Bytes of its segments, init segment and playlist.
    pub bytes: u64,
    pub segments: u32,
    pub ssim: f64,
    pub ssim_db: f64,
    pub psnr: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct EncodeReport {
    pub title_key: String,
    /// The file, or which pattern was generated.
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub duration_s: f64,
    pub source_bytes: u64,
    pub ladder: String,
    pub chunks: usize,
    pub workers: usize,
    pub renditions: Vec<Rendition>,
    /// Per-title only: every trial, those on the hull, and for each quality target the hull point taken.
    pub trials: Vec<Trial>,
    pub hull: Vec<Trial>,
    pub choices: Vec<(f64, Trial)>,
    pub audio_bytes: u64,
    /// (width, height, stills, bytes) per size.
    pub thumbnails: Vec<(u32, u32, u32, u64)>,
    pub master_playlist: String,
    /// Wall seconds of each stage, in the order they ran (packaging before quality, which reads what it wrote).
    pub stage_s: Vec<(&'static str, f64)>,
}

impl EncodeReport {
    /// Seconds of source encoded per wall second in the encode stage (trials included).
    pub fn encode_speed(&self) -> f64 {
        let encode = self.stage_s.iter().filter(|(s, _)| *s == "encode").map(|(_, t)| t).sum::<f64>();
        self.duration_s / encode.max(1e-9)
    }

    pub fn total_bytes(&self) -> u64 {
        self.renditions.iter().map(|r| r.bytes).sum::<u64>()
            + self.audio_bytes
            + self.thumbnails.iter().map(|t| t.3).sum::<u64>()
    }
}

/// A catalogue's AVC ladder, the one this engine encodes: (kbps, height) per rung, lowest first (empty if it
/// has none).
pub fn avc_rungs(catalog: &twin::catalog::Catalog) -> Vec<(u32, u32)> {
    let Some(avc) = catalog.codecs.iter().position(|c| c == "avc") else { return Vec::new() };
    let range = catalog.codec_renditions[avc].clone();
    (catalog.renditions[range.start as usize..range.end as usize].iter())
        .filter_map(|r| Some((r.kbps, twin::ingest::job::dimensions(&r.resolution)?.1)))
        .collect()
}

/// The work folder (chunks, trials, encoded chunks, a generated source): removed when the encode ends, done
/// or failed.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Wall time per stage.
struct Laps {
    clock: Instant,
    stages: Vec<(&'static str, f64)>,
}

impl Laps {
    fn lap(&mut self, stage: &'static str) {
        self.stages.push((stage, self.clock.elapsed().as_secs_f64()));
        self.clock = Instant::now();
    }
}

/// What a stage reports as it goes: the stage, tasks done, tasks in all.
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// One task of a stage: it starts an ffmpeg (or ffprobe) and returns what it made.
type Task<'a, T> = Box<dyn Fn() -> anyhow::Result<T> + Send + Sync + 'a>;

/// Runs `tasks` on `workers` threads (each task starts its own ffmpeg), in order of index; the first error wins.
fn parallel<T: Send>(
    stage: &str,
    workers: usize,
    tasks: Vec<Task<'_, T>>,
    progress: Progress,
) -> anyhow::Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<anyhow::Result<T>>>> = Mutex::new((0..tasks.len()).map(|_| None).collect());
    progress(stage, 0, tasks.len());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, tasks.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(i) else { break };
                    let r = task();
                    let failed = r.is_err();
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    progress(stage, done.fetch_add(1, Ordering::Relaxed) + 1, tasks.len());
                    if failed {
                        next.store(tasks.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Some(r) => out.push(r?),
            None => bail!("{stage}: stopped after an earlier task failed"),
        }
    }
    Ok(out)
}

fn s(x: impl ToString) -> String {
    x.to_string()
}

/// The x264 settings every encode shares: keyframes every `GOP_S` and at no other place, so chunks and
/// segments start on one; `threads` encoder threads (0: as many as the machine has).
fn x264_args(fps: f64, threads: usize) -> Vec<String> {
    let gop = (fps * GOP_S).round().max(1.0) as u32;
    ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p", "-an"]
        .into_iter()
        .map(String::from)
        .chain([s("-g"), s(gop), s("-keyint_min"), s(gop), s("-sc_threshold"), s(0), s("-threads"), s(threads)])
        .collect()
}

/// Capped average bitrate (the way a ladder rung is encoded): at most 1.2× the target over a 2 s buffer.
fn rate_args(kbps: u32) -> Vec<String> {
    vec![
        s("-b:v"),
        format!("{kbps}k"),
        s("-maxrate"),
        format!("{}k", kbps * 6 / 5),
        s("-bufsize"),
        format!("{}k", kbps * 2),
    ]
}

fn scale_to(height: u32) -> Vec<String> {
    vec![s("-vf"), format!("scale=-2:{height}:flags=bicubic")]
}

/// Makes the generated source: the pattern with a tone, as a studio mezzanine (x264 at CRF 12, keyframes
/// every 2 s).
fn make_pattern(path: &Path, seconds: f64, width: u32, height: u32, fps: f64, hard: bool) -> anyhow::Result<()> {
    let pattern = if hard { "mandelbrot" } else { "testsrc2" };
    let video = format!("{pattern}=size={width}x{height}:rate={fps}");
    let audio = s("sine=frequency=440:sample_rate=48000");
    let mut a = ffmpeg_args(0, "error");
    a.extend([s("-f"), s("lavfi"), s("-i"), video, s("-f"), s("lavfi"), s("-i"), audio, s("-t"), s(seconds)]);
    let gop = (fps * GOP_S).round().max(1.0) as u32;
    a.extend(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p"].map(String::from));
    a.extend([s("-g"), s(gop), s("-keyint_min"), s(gop), s("-sc_threshold"), s(0)]);
    a.extend([s("-c:a"), s("aac"), s("-b:a"), s("192k"), path.display().to_string()]);
    run("ffmpeg", &a, "making the test pattern").map(|_| ())
}

/// SSIM and PSNR of `rendition` against `source` (scaled back to the source's size), on one frame in
/// `QUALITY_EVERY`.
fn measure(rendition: &Path, source: &Path, src: &Probe) -> anyhow::Result<(f64, f64, f64)> {
    let pick = format!("select='not(mod(n\\,{QUALITY_EVERY}))'");
    let graph = format!(
        "[0:v]{pick},scale={w}:{h}:flags=bicubic,split[a1][a2];[1:v]{pick},split[r1][r2];[a1][r1]ssim;[a2][r2]psnr",
        w = src.width,
        h = src.height
    );
    let mut a = ffmpeg_args(1, "info");
    a.extend([s("-i"), rendition.display().to_string(), s("-i"), source.display().to_string()]);
    a.extend([s("-lavfi"), graph, s("-f"), s("null"), s("-")]);
    let log = run("ffmpeg", &a, &format!("measuring {}", rendition.display()))?;
    tools::parse_quality(&log).with_context(|| format!("{}: ffmpeg printed no SSIM and PSNR", rendition.display()))
}

/// Bytes of the regular files in `dir`.
fn dir_bytes(dir: &Path) -> anyhow::Result<(u64, u32)> {
    let mut bytes = 0;
    let mut count = 0;
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let m = e?.metadata()?;
        if m.is_file() {
            bytes += m.len();
            count += 1;
        }
    }
    Ok((bytes, count))
}

/// Encodes `spec`'s source into its origin folder, reporting progress as it goes.
pub fn encode(spec: &EncodeSpec, progress: Progress) -> anyhow::Result<EncodeReport> {
    tools::check_installed()?;
    let prefix = title_key(&spec.title, spec.episode);
    let out_dir = spec.origin.join(&prefix);
    let work = spec.origin.join(".work").join(&prefix);
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
    }
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir).with_context(|| format!("clearing {}", out_dir.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let _scratch = Scratch(work.clone());
    let mut laps = Laps { clock: Instant::now(), stages: Vec::new() };

    // The studio's delivery: a file, or the pattern made now (not counted as a stage).
    let source = match &spec.source {
        SourceSpec::File(p) => p.clone(),
        SourceSpec::Pattern { seconds, width, height, fps, hard } => {
            progress("generate source", 0, 1);
            let p = work.join("source.mp4");
            make_pattern(&p, *seconds, *width, *height, *fps, *hard)?;
            progress("generate source", 1, 1);
            p
        }
    };
    laps.clock = Instant::now();

    // 1. Inspect.
    progress("inspect", 0, 1);
    let src = probe(&source, false)?;
    if !(src.duration_s > 0.0 && src.fps > 0.0) {
        bail!("{}: no running time or frame rate ffprobe can read", source.display());
    }
    let source_bytes = std::fs::metadata(&source)?.len();
    if spec.rungs.is_empty() {
        bail!("the scenario's catalogue has no avc ladder, the one the ffmpeg engine encodes");
    }
    let rungs: Vec<(u32, u32)> = spec.rungs.iter().copied().filter(|&(_, h)| h <= src.height).collect();
    if rungs.is_empty() {
        bail!("{}: a {}x{} picture is below every rung of the ladder", source.display(), src.width, src.height);
    }
    laps.lap("inspect");

    // 2. Split at keyframes (the source's, which may not fall every `chunk_s`: chunks end where they fall).
    let chunk_dir = work.join("chunks");
    std::fs::create_dir_all(&chunk_dir)?;
    let chunks: Vec<PathBuf> = if spec.split {
        progress("split", 0, 1);
        let mut a = ffmpeg_args(1, "error");
        a.extend([s("-i"), source.display().to_string(), s("-map"), s("0:v:0"), s("-c"), s("copy")]);
        a.extend([s("-f"), s("segment"), s("-segment_time"), format!("{}", spec.chunk_s), s("-reset_timestamps")]);
        a.extend([s("1"), chunk_dir.join("%05d.mp4").display().to_string()]);
        run("ffmpeg", &a, "splitting the source at keyframes")?;
        let mut found: Vec<PathBuf> = std::fs::read_dir(&chunk_dir)?.filter_map(|e| Some(e.ok()?.path())).collect();
        found.sort();
        found
    } else {
        vec![source.clone()]
    };
    laps.lap("split");

    // 3. Encode: the per-title trials first, then every chunk of every rung.
    let workers = if spec.split { spec.workers.max(1) } else { 1 };
    let threads = if spec.split { 1 } else { 0 };
    let (ladder, trials, hull, choices) = match spec.ladder {
        Ladder::Fixed => (rungs.clone(), Vec::new(), Vec::new(), Vec::new()),
        Ladder::PerTitle => {
            let mut heights: Vec<u32> = rungs.iter().map(|r| r.1).collect();
            heights.dedup();
            let trial_dir = work.join("trials");
            std::fs::create_dir_all(&trial_dir)?;
            let mut tasks: Vec<Task<'_, Trial>> = Vec::new();
            for &h in &heights {
                for crf in TRIAL_CRFS {
                    let (source, src, trial_dir) = (&source, &src, &trial_dir);
                    tasks.push(Box::new(move || {
                        let out = trial_dir.join(format!("{h}p_crf{crf}.mp4"));
                        let mut a = ffmpeg_args(1, "error");
                        a.extend([s("-i"), source.display().to_string()]);
                        a.extend(scale_to(h));
                        a.extend(x264_args(src.fps, 1));
                        a.extend([s("-crf"), s(crf), out.display().to_string()]);
                        run("ffmpeg", &a, &format!("trial encode {h}p at CRF {crf}"))?;
                        let p = probe(&out, true)?;
                        let kbps = p.video_bytes as f64 * 8.0 / 1000.0 / (p.video_frames.max(1) as f64 / src.fps);
                        let (ssim, ssim_db, psnr) = measure(&out, source, src)?;
                        Ok(Trial { width: p.width, height: p.height, crf, kbps, ssim, ssim_db, psnr })
                    }));
                }
            }
            let trials = parallel("per-title trials", spec.workers.max(1), tasks, progress)?;
            let hull = hull::convex_hull(&trials);
            let choices = hull::choose(&hull, &hull::targets(rungs.len(), TARGET_LOW_DB, TARGET_HIGH_DB));
            let mut ladder: Vec<(u32, u32)> =
                choices.iter().map(|(_, t)| ((t.kbps.round() as u32).max(50), t.height)).collect();
            ladder.dedup();
            (ladder, trials, hull, choices)
        }
    };
    let enc_dir = work.join("encoded");
    let mut tasks: Vec<Task<'_, ()>> = Vec::new();
    for &(kbps, h) in &ladder {
        let dir = enc_dir.join(format!("{h}p_{kbps}k"));
        std::fs::create_dir_all(&dir)?;
        for (i, chunk) in chunks.iter().enumerate() {
            let (dir, src) = (dir.clone(), &src);
            tasks.push(Box::new(move || {
                let mut a = ffmpeg_args(threads, "error");
                a.extend([s("-i"), chunk.display().to_string()]);
                a.extend(scale_to(h));
                a.extend(x264_args(src.fps, threads));
                a.extend(rate_args(kbps));
                a.push(dir.join(format!("{i:05}.mp4")).display().to_string());
                run("ffmpeg", &a, &format!("encoding chunk {} at {h}p {kbps} kbps", i + 1)).map(|_| ())
            }));
        }
    }
    parallel("encode", workers, tasks, progress)?;
    laps.lap("encode");

    // 6, before 4 (quality reads the packaged renditions). Package each rung as CMAF + HLS, and the audio.
    let avc_dir = out_dir.join("avc");
    let mut tasks: Vec<Task<'_, ()>> = Vec::new();
    for &(kbps, h) in &ladder {
        let name = format!("{h}p_{kbps}k");
        let (from, to) = (enc_dir.join(&name), avc_dir.join(&name));
        let chunk_count = chunks.len();
        tasks.push(Box::new(move || {
            std::fs::create_dir_all(&to)?;
            let list = from.join("chunks.txt");
            let lines: String =
                (0..chunk_count).map(|i| format!("file '{}'\n", from.join(format!("{i:05}.mp4")).display())).collect();
            std::fs::write(&list, lines)?;
            let mut a = ffmpeg_args(1, "error");
            a.extend([
                s("-f"),
                s("concat"),
                s("-safe"),
                s("0"),
                s("-i"),
                list.display().to_string(),
                s("-c"),
                s("copy"),
            ]);
            a.extend(hls_args(&to));
            run("ffmpeg", &a, &format!("packaging {name}")).map(|_| ())
        }));
    }
    if src.has_audio {
        let to = out_dir.join("audio").join(format!("aac_{AUDIO_KBPS}k"));
        let source = &source;
        tasks.push(Box::new(move || {
            std::fs::create_dir_all(&to)?;
            let mut a = ffmpeg_args(1, "error");
            a.extend([s("-i"), source.display().to_string(), s("-map"), s("0:a:0"), s("-c:a"), s("aac")]);
            a.extend([s("-b:a"), format!("{AUDIO_KBPS}k")]);
            a.extend(hls_args(&to));
            run("ffmpeg", &a, "packaging the audio").map(|_| ())
        }));
    }
    parallel("package", spec.workers.max(1), tasks, progress)?;
    laps.lap("package");

    // 4. Quality of each rendition as packaged.
    let mut tasks: Vec<Task<'_, (f64, f64, f64)>> = Vec::new();
    for &(kbps, h) in &ladder {
        let playlist = avc_dir.join(format!("{h}p_{kbps}k")).join("playlist.m3u8");
        let (source, src) = (&source, &src);
        tasks.push(Box::new(move || measure(&playlist, source, src)));
    }
    let quality = parallel("quality", spec.workers.max(1), tasks, progress)?;
    laps.lap("quality");

    // 5. Thumbnails.
    let mut tasks: Vec<Task<'_, (u32, u32, u32, u64)>> = Vec::new();
    for (w, h) in THUMBNAIL_SIZES {
        let dir = out_dir.join("thumbnails").join(format!("{w}x{h}"));
        let source = &source;
        tasks.push(Box::new(move || {
            std::fs::create_dir_all(&dir)?;
            let fit = format!(
                "fps=1/{THUMBNAIL_EVERY_S},scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"
            );
            let mut a = ffmpeg_args(1, "error");
            a.extend([s("-i"), source.display().to_string(), s("-vf"), fit, s("-q:v"), s("3")]);
            a.push(dir.join("%05d.jpg").display().to_string());
            run("ffmpeg", &a, &format!("thumbnails at {w}x{h}"))?;
            let (bytes, stills) = dir_bytes(&dir)?;
            Ok((w, h, stills, bytes))
        }));
    }
    let thumbnails = parallel("thumbnails", spec.workers.max(1), tasks, progress)?;
    laps.lap("thumbnails");

    // 7. Store: the master playlist, and what each rendition came to.
    let mut renditions = Vec::new();
    let mut variants = Vec::new();
    for (&(kbps, h), &(ssim, ssim_db, psnr)) in ladder.iter().zip(&quality) {
        let name = format!("{h}p_{kbps}k");
        let dir = avc_dir.join(&name);
        let (bytes, files) = dir_bytes(&dir)?;
        let init = std::fs::read(dir.join("init.mp4"))?;
        let mut peak_kbps: f64 = 0.0;
        let mut video_bytes = 0;
        let mut frames = 0;
        let mut width = 0;
        let mut codec = String::new();
        for n in 1..=files.saturating_sub(2) {
            let seg = dir.join(format!("seg_{n:05}.m4s"));
            // A segment is read the way a player reads it: after its init segment.
            let joined = work.join(format!("probe_{name}.mp4"));
            let mut body = init.clone();
            body.extend(std::fs::read(&seg)?);
            std::fs::write(&joined, body)?;
            let p = probe(&joined, true).with_context(|| format!("{}", seg.display()))?;
            width = p.width;
            codec = tools::avc_codec_string(&p.profile, p.level);
            video_bytes += p.video_bytes;
            frames += p.video_frames;
            peak_kbps = peak_kbps.max(p.video_bytes as f64 * 8.0 / 1000.0 / (p.video_frames.max(1) as f64 / src.fps));
        }
        let kbps_real = video_bytes as f64 * 8.0 / 1000.0 / (frames.max(1) as f64 / src.fps);
        renditions.push(Rendition {
            key: format!("{prefix}/avc/{name}"),
            width,
            height: h,
            target_kbps: kbps,
            kbps: kbps_real,
            bytes,
            segments: files.saturating_sub(2),
            ssim,
            ssim_db,
            psnr,
        });
        variants.push((name, width, h, peak_kbps, kbps_real, codec));
    }
    let audio_dir = out_dir.join("audio").join(format!("aac_{AUDIO_KBPS}k"));
    let audio_bytes = if src.has_audio { dir_bytes(&audio_dir)?.0 } else { 0 };
    let master = master_playlist(&variants, src.has_audio);
    std::fs::write(avc_dir.join("master.m3u8"), &master)?;
    laps.lap("store");

    Ok(EncodeReport {
        title_key: prefix,
        source: match &spec.source {
            SourceSpec::File(p) => p.display().to_string(),
            SourceSpec::Pattern { hard: false, .. } => "generated testsrc2 pattern (easy)".into(),
            SourceSpec::Pattern { hard: true, .. } => "generated mandelbrot zoom (hard)".into(),
        },
        width: src.width,
        height: src.height,
        fps: src.fps,
        duration_s: src.duration_s,
        source_bytes,
        ladder: format!("{:?}", spec.ladder),
        chunks: chunks.len(),
        workers,
        renditions,
        trials,
        hull,
        choices,
        audio_bytes,
        thumbnails,
        master_playlist: master,
        stage_s: laps.stages,
    })
}

/// HLS with CMAF segments of `SEGMENT_S` into `dir`: `init.mp4`, `seg_00001.m4s` …, `playlist.m3u8`.
fn hls_args(dir: &Path) -> Vec<String> {
    vec![
        s("-f"),
        s("hls"),
        s("-hls_time"),
        s(SEGMENT_S),
        s("-hls_playlist_type"),
        s("vod"),
        s("-hls_segment_type"),
        s("fmp4"),
        s("-hls_fmp4_init_filename"),
        s("init.mp4"),
        s("-start_number"),
        s(1),
        s("-hls_segment_filename"),
        dir.join("seg_%05d.m4s").display().to_string(),
        dir.join("playlist.m3u8").display().to_string(),
    ]
}

/// The master playlist: one variant per rung (peak and average bandwidth with the audio, resolution, codecs),
/// sharing the audio rendition.
fn master_playlist(variants: &[(String, u32, u32, f64, f64, String)], audio: bool) -> String {
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if audio {
        m += &format!(
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",NAME=\"main\",DEFAULT=YES,AUTOSELECT=YES,URI=\"../audio/aac_{AUDIO_KBPS}k/playlist.m3u8\"\n"
        );
    }
    for (name, w, h, peak, avg, codec) in variants {
        let a = if audio { AUDIO_KBPS as f64 } else { 0.0 };
        let codecs = if audio { format!("{codec},mp4a.40.2") } else { codec.clone() };
        m += &format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},RESOLUTION={w}x{h},CODECS=\"{codecs}\"{}\n{name}/playlist.m3u8\n",
            ((peak + a) * 1000.0).round() as u64,
            ((avg + a) * 1000.0).round() as u64,
            if audio { ",AUDIO=\"aac\"" } else { "" }
        );
    }
    m
}
