//! `edgetwin ingest`: runs deliveries through ingest's modelled engine headless, on the scenario's function
//! pool and catalogue ladders, and prints each job's timeline, the ladder it chose, the pool's use and cost,
//! and what reached the origin. The model lives in `twin::ingest`; this only builds the deliveries and prints.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use twin::catalog::Catalog;
use twin::ingest::{Delivery, Ingest, JobState, Ladder, Source};

use super::{load_scenario, positive_span};

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// A generated source of this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = positive_span)]
    pub synthetic: f64,
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
    let spec = scenario.ingest.clone();
    let mut ingest = Ingest::new(&spec, scenario.seed, &scenario.world.origins);
    let ladder = match a.ladder {
        LadderArg::Fixed => Ladder::Fixed,
        LadderArg::PerTitle => Ladder::PerTitle,
    };
    let duration_s = a.synthetic.round().max(1.0) as u32;
    for i in 0..a.titles {
        let delivery = Delivery {
            title: if a.titles == 1 { "Synthetic".into() } else { format!("Synthetic {}", i + 1) },
            episode: None,
            genre: "drama".into(),
            duration_s,
            regions: Vec::new(),
            release_s: 0,
            source: Source {
                bytes: (a.source_mbps * 125_000.0 * duration_s as f64) as u64,
                width,
                height,
                fps: a.fps,
                complexity: a.complexity,
            },
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
            job.delivery.title, duration_s, width, height, a.fps, a.complexity
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
