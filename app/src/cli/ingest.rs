//! `edgetwin ingest`: runs a delivery through one of ingest's two engines headless. The modelled engine runs
//! deliveries on the scenario's function pool and catalogue ladders at any scale, and prints each job's
//! timeline, the ladder it chose, the pool's use and cost, and what reached the origin (the model lives in
//! `twin::ingest`). The ffmpeg engine (`crate::encoder`) encodes a real file or a generated pattern into an
//! origin folder, and prints the ladder chosen, each rung's size and quality, and the encode speed.

use std::path::PathBuf;

use anyhow::bail;
use clap::{ArgGroup, Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use twin::catalog::Catalog;
use twin::ingest::{Delivery, Ingest, JobState, Ladder, Source};

use super::{load_scenario, positive_span};
use crate::encoder::{self, EncodeReport, EncodeSpec, Engine, SourceSpec};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("source").required(true).args(["synthetic", "file"])))]
pub struct IngestArgs {
    /// A generated source of this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = positive_span)]
    pub synthetic: Option<f64>,
    /// A real source file (its picture, frame rate and length are read with ffprobe).
    pub file: Option<PathBuf>,
    /// The modelled engine (the function pool, at any scale) or real encoding with ffmpeg.
    #[arg(long, value_enum, default_value_t = Engine::Modelled)]
    pub engine: Engine,
    /// ffmpeg engine: the origin folder it writes under the bucket's keys.
    #[arg(long, default_value = "origin")]
    pub origin: PathBuf,
    /// ffmpeg engine, generated source: testsrc2's flat colours and smooth motion (easy), or a mandelbrot zoom's
    /// fine detail and constant motion (hard).
    #[arg(long, value_enum, default_value_t = Pattern::Easy)]
    pub pattern: Pattern,
    /// ffmpeg engine: encoder processes at once (default: the machine's cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// ffmpeg engine: no split; one ffmpeg process per rung on every core (the baseline for chunking).
    #[arg(long)]
    pub no_split: bool,
    /// Scenario whose function pool and ladders to use (TOML), or `default`.
    #[arg(long, default_value = "default")]
    pub scenario: PathBuf,
    /// The scenario's fixed ladder, or a per-title ladder that follows the source's complexity.
    #[arg(long, value_enum, default_value_t = LadderArg::Fixed)]
    pub ladder: LadderArg,
    /// How hard the source is to encode (1 is a typical title; a cartoon about 0.5, grain and motion 1.4).
    #[arg(long, default_value_t = 1.0)]
    pub complexity: f64,
    /// The source's picture, WIDTHxHEIGHT, and frame rate.
    #[arg(long, default_value = "3840x2160")]
    pub resolution: String,
    #[arg(long, default_value_t = 24.0)]
    pub fps: f64,
    /// The source's bitrate, Mbps (a studio mezzanine: tens to hundreds).
    #[arg(long, default_value_t = 200.0)]
    pub source_mbps: f64,
    /// Titles delivered at once, competing for the pool (at most 1,000).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub titles: u32,
    /// Overrides of the scenario's [ingest] pool.
    #[arg(long)]
    pub chunk_seconds: Option<f64>,
    #[arg(long)]
    pub concurrency: Option<u32>,
    #[arg(long)]
    pub memory_mb: Option<u32>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LadderArg {
    Fixed,
    PerTitle,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
pub enum Pattern {
    Easy,
    Hard,
}

pub fn ingest(a: IngestArgs) -> anyhow::Result<()> {
    let scenario = load_scenario(&a.scenario, None)?
        .edit("the command line", |s| {
            let g = &mut s.ingest;
            g.chunk_s = a.chunk_seconds.unwrap_or(g.chunk_s);
            g.concurrency = a.concurrency.unwrap_or(g.concurrency);
            g.memory_mb = a.memory_mb.unwrap_or(g.memory_mb);
        })
        // Only the flags can make the scenario invalid here: name the flag, not a place in the scenario.
        .map_err(|e| {
            let flags =
                [("chunk_s", "--chunk-seconds"), ("concurrency", "--concurrency"), ("memory_mb", "--memory-mb")];
            let message = flags.iter().fold(e.message, |m, (key, flag)| m.replace(&format!("`ingest.{key}`"), flag));
            anyhow::anyhow!(message)
        })?;
    let Some((width, height)) = twin::ingest::job::dimensions(&a.resolution) else {
        bail!("--resolution {:?}: expected WIDTHxHEIGHT, such as 3840x2160", a.resolution);
    };
    if !(a.source_mbps.is_finite() && a.source_mbps > 0.0) {
        bail!("--source-mbps {}: expected a number above 0", a.source_mbps);
    }
    let catalog = Catalog::build(&scenario);
    let ladder = match a.ladder {
        LadderArg::Fixed => Ladder::Fixed,
        LadderArg::PerTitle => Ladder::PerTitle,
    };
    if a.engine == Engine::Ffmpeg {
        if a.titles > 1 {
            bail!("--titles is for the modelled engine: the ffmpeg engine encodes one source");
        }
        if !(a.fps.is_finite() && (1.0..=120.0).contains(&a.fps)) {
            bail!("--fps {}: expected 1 to 120 frames a second", a.fps);
        }
        return real(&a, &catalog, ladder, scenario.ingest.chunk_s, (width, height));
    }
    // A real file's picture, rate and length, as inspect would read them.
    let (duration_s, width, height, fps, bytes) = match &a.file {
        Some(path) => {
            encoder::tools::check_installed()?;
            let p = encoder::tools::probe(path, false)?;
            let bytes = std::fs::metadata(path)?.len();
            (p.duration_s.round().max(1.0) as u32, p.width, p.height, p.fps, bytes)
        }
        None => {
            let duration_s = a.synthetic.unwrap_or(1.0).round().max(1.0) as u32;
            (duration_s, width, height, a.fps, (a.source_mbps * 125_000.0 * duration_s as f64) as u64)
        }
    };
    let spec = scenario.ingest.clone();
    let mut ingest = Ingest::new(&spec, scenario.seed, &scenario.world.origins);
    for i in 0..a.titles {
        let delivery = Delivery {
            title: if a.titles == 1 { "Synthetic".into() } else { format!("Synthetic {}", i + 1) },
            episode: None,
            genre: "drama".into(),
            duration_s,
            regions: Vec::new(),
            release_s: 0,
            source: Source { bytes, width, height, fps, complexity: a.complexity },
            encoded: Vec::new(),
        };
        ingest.deliver(delivery, ladder, &catalog.codecs, &catalog.renditions, 0);
    }
    // Long enough for any job a valid pool can finish (a chunk per function time limit, in turn).
    ingest.advance(u64::MAX / 4);

    println!(
        "ingest · scenario {} · pool: {} functions of {} MB ({:.1} vCPU), {:.0} s limit · {:.0} s chunks · {:?} ladder",
        scenario.name,
        spec.concurrency,
        spec.memory_mb,
        ingest.vcpus(),
        spec.timeout_s,
        spec.chunk_s,
        ladder
    );
    let secs = |ms: u64| ms as f64 / 1000.0;
    let mut failed = 0;
    for job in ingest.jobs() {
        println!(
            "\n{} ({} s of {}x{} at {} fps, complexity {})",
            job.delivery.title, duration_s, width, height, fps, a.complexity
        );
        println!("  {:<11} {:>9} {:>9} {:>9} {:>7}", "stage", "start s", "end s", "took s", "tasks");
        for span in &job.timeline {
            let end = span.end_ms.map_or("–".to_string(), |e| format!("{:.1}", secs(e)));
            let took = span.end_ms.map_or("–".to_string(), |e| format!("{:.1}", secs(e - span.start_ms)));
            println!(
                "  {:<11} {:>9.1} {:>9} {:>9} {:>7}",
                span.stage.name(),
                secs(span.start_ms),
                end,
                took,
                span.tasks
            );
        }
        match &job.state {
            JobState::Done { at_ms } => println!(
                "  done in {:.1} s ({:.1}× real time): {} renditions, {:.2} GB with thumbnails",
                secs(*at_ms),
                duration_s as f64 / secs(*at_ms),
                job.renditions.len(),
                job.stored_bytes() as f64 / 1e9
            ),
            JobState::Failed { at_ms, stage, reason } => {
                failed += 1;
                println!("  FAILED at {:.1} s in {}: {reason}", secs(*at_ms), stage.name());
            }
            JobState::Running => println!("  still running"),
        }
    }
    if let Some(job) = ingest.jobs().first() {
        println!("\nladder ({:?})", job.ladder);
        println!("  {:<6} {:<11} {:>10} {:>10} {:>12}", "codec", "resolution", "rung kbps", "kbps", "MB");
        for r in &job.renditions {
            println!(
                "  {:<6} {:<11} {:>10} {:>10} {:>12.1}",
                r.codec,
                r.resolution,
                r.rung_kbps,
                r.kbps,
                r.bytes as f64 / 1e6
            );
        }
    }
    let p = ingest.pool();
    println!(
        "\npool: {} invocations, {} cold starts, {} retries, {} over the time limit, at most {} of {} running; \
         {:.0} GB-s billed, ${:.2}",
        p.stats.invocations,
        p.stats.cold_starts,
        p.stats.retries,
        p.stats.timeouts,
        p.stats.peak_running,
        p.concurrency,
        p.stats.billed_gb_s,
        p.stats.cost_usd
    );
    for b in &ingest.origin().buckets {
        println!("origin s3://{}: {} objects, {:.2} GB", b.name, b.stats.objects, b.stats.bytes as f64 / 1e9);
    }
    if failed > 0 {
        bail!("{failed} of {} jobs failed", ingest.jobs().len());
    }
    Ok(())
}

/// The ffmpeg engine: encodes the file or a generated pattern for real, with a progress bar, and prints the
/// ladder, each rung's size and quality, and the speed.
fn real(a: &IngestArgs, catalog: &Catalog, ladder: Ladder, chunk_s: f64, size: (u32, u32)) -> anyhow::Result<()> {
    let rungs = encoder::avc_rungs(catalog);
    let source = match (&a.file, a.synthetic) {
        (Some(path), _) => SourceSpec::File(path.clone()),
        (None, seconds) => SourceSpec::Pattern {
            seconds: seconds.unwrap_or(20.0),
            width: size.0,
            height: size.1,
            fps: a.fps,
            hard: a.pattern == Pattern::Hard,
        },
    };
    let title = match &a.file {
        Some(p) => p.file_stem().map_or("Source".to_string(), |s| s.to_string_lossy().into_owned()),
        None => format!("Synthetic {:?}", a.pattern).to_lowercase(),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let spec = EncodeSpec {
        source,
        title,
        episode: None,
        ladder,
        rungs,
        chunk_s,
        workers: a.workers.unwrap_or(cores).max(1),
        split: !a.no_split,
        origin: a.origin.clone(),
    };
    let bar = ProgressBar::new(1).with_style(
        ProgressStyle::with_template("{spinner} {msg:<18} [{bar:40}] {pos}/{len}, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |stage: &str, done: usize, total: usize| {
        bar.set_message(stage.to_string());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = encoder::encode(&spec, &progress)?;
    bar.finish_and_clear();
    print_report(&report, a.origin.display().to_string());
    Ok(())
}

fn print_report(r: &EncodeReport, origin: String) {
    println!(
        "ingest · ffmpeg engine · {} · {}x{} at {:.3} fps, {:.1} s, {:.1} MB · {} ladder · {} chunks on {} workers",
        r.source,
        r.width,
        r.height,
        r.fps,
        r.duration_s,
        r.source_bytes as f64 / 1e6,
        r.ladder,
        r.chunks,
        r.workers
    );
    if !r.trials.is_empty() {
        println!("\nper-title trials (x264 veryfast at each CRF; * on the convex hull of SSIM dB against kbps)");
        println!("  {:<11} {:>4} {:>9} {:>8} {:>8} {:>7}", "resolution", "crf", "kbps", "SSIM", "SSIM dB", "PSNR");
        for t in &r.trials {
            let on = if r.hull.contains(t) { "*" } else { "" };
            println!(
                "  {:<11} {:>4} {:>9.0} {:>8.4} {:>8.2} {:>7.2} {on}",
                format!("{}x{}", t.width, t.height),
                t.crf,
                t.kbps,
                t.ssim,
                t.ssim_db,
                t.psnr
            );
        }
    }
    if !r.choices.is_empty() {
        let picks: Vec<String> = (r.choices.iter())
            .map(|(target, t)| format!("{target:.1} dB → {}p {:.0} kbps", t.height, t.kbps))
            .collect();
        println!("quality targets (SSIM dB): {}", picks.join(" · "));
    }
    println!("\nladder chosen (avc)");
    println!(
        "  {:<11} {:>11} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "resolution", "target kbps", "kbps", "MB", "segments", "SSIM", "SSIM dB", "PSNR"
    );
    for x in &r.renditions {
        println!(
            "  {:<11} {:>11} {:>9.0} {:>9.2} {:>9} {:>8.4} {:>8.2} {:>7.2}",
            format!("{}x{}", x.width, x.height),
            x.target_kbps,
            x.kbps,
            x.bytes as f64 / 1e6,
            x.segments,
            x.ssim,
            x.ssim_db,
            x.psnr
        );
    }
    let ladder_kbps: f64 = r.renditions.iter().map(|x| x.kbps).sum();
    println!("  ladder in all: {ladder_kbps:.0} kbps");
    for (w, h, stills, bytes) in &r.thumbnails {
        println!("thumbnails {w}x{h}: {stills} stills, {:.1} KB", *bytes as f64 / 1e3);
    }
    let stages: Vec<String> = r.stage_s.iter().map(|(s, t)| format!("{s} {t:.1} s")).collect();
    println!("\nstages: {}", stages.join(" · "));
    println!("encode speed: {:.2}× real time ({:.1} s of video)", r.encode_speed(), r.duration_s);
    println!(
        "origin {origin}/{}: {:.2} MB (renditions, audio {:.2} MB, thumbnails), master playlist avc/master.m3u8",
        r.title_key,
        r.total_bytes() as f64 / 1e6,
        r.audio_bytes as f64 / 1e6
    );
}
