//! `edgetwin sweep PLAN.toml`: run a sweep's cells here (`--jobs` workers) or as an AWS Batch array job
//! (`--backend aws-batch --batch BATCH.toml`), into a folder of one file per cell, and print its report: the
//! variants ranked by the objective, each delta paired by seed with its 95% interval, and the cells that failed
//! or are missing. Run again, it resumes. `edgetwin sweep cell s3://…/plan.toml` is a Batch child's command.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use connectors::batch::BatchConfig;
use indicatif::{ProgressBar, ProgressStyle};
use twin::sweep::SweepReport;

use crate::store::sweep_dir::SweepDir;
use crate::store::whatif_history::History;
use crate::sweep::batch::Follow;
use crate::sweep::{LoadedPlan, SweepStatus, batch, child, local};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The sweep plan (TOML: see README "Sweeps").
    #[arg(required = true)]
    pub plan: Option<PathBuf>,
    /// Where the cells and the report go (default: sweep-DIGEST beside the current folder's files).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Cells run at once (local backend).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: u32,
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    pub backend: Backend,
    /// The AWS Batch configuration (region, job_queue, job_definition, bucket, prefix, attempts).
    #[arg(long)]
    pub batch: Option<PathBuf>,
    /// Make the configuration's compute environment, queue, job definition and bucket in an emulator first.
    #[arg(long)]
    pub create_demo_queue: bool,
    /// With --create-demo-queue: the image the job definition names.
    #[arg(long, default_value = "edgetwin:latest")]
    pub image: String,
    /// Seconds between polls of the Batch job.
    #[arg(long, default_value_t = 10.0, value_parser = super::positive_span)]
    pub poll: f64,
    /// Seconds to wait, once Batch says the job has finished, for cells still to land in S3.
    #[arg(long, default_value_t = 60.0, value_parser = super::non_negative_span)]
    pub wait_results: f64,
    /// Save the report in this what-if history (SQLite; the console's is ~/.local/share/edgetwin/whatif.sqlite).
    #[arg(long)]
    pub history: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SweepCommand {
    /// An AWS Batch child: run the cell of AWS_BATCH_JOB_ARRAY_INDEX and write it to S3 beside the plan.
    Cell(CellArgs),
}

#[derive(Args, Debug)]
pub struct CellArgs {
    /// The plan in S3: s3://BUCKET/PREFIX/DIGEST/plan.toml.
    pub plan: String,
    /// Run this cell (a plain job's), not the array index's.
    #[arg(long)]
    pub index: Option<u32>,
    /// The cells the array's children run, by array index (`0-3,7`): a resumed sweep's.
    #[arg(long)]
    pub cells: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Local,
    AwsBatch,
}

pub fn sweep(a: SweepArgs) -> anyhow::Result<()> {
    if let Some(SweepCommand::Cell(c)) = a.command {
        return child::run(&c.plan, c.index, c.cells.as_deref());
    }
    let path = a.plan.context("give a sweep plan")?;
    let plan = LoadedPlan::load(&path)?;
    let config = a.batch.as_deref().map(BatchConfig::load).transpose()?;
    if (a.backend == Backend::AwsBatch || a.create_demo_queue) && config.is_none() {
        anyhow::bail!("--backend aws-batch and --create-demo-queue need --batch BATCH.toml");
    }
    if a.create_demo_queue
        && let Some(config) = &config
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let made = runtime.block_on(connectors::batch::create_demo_queue(config, &a.image))?;
        println!(
            "made compute environment {}, job queue {} and job definition {} (image {}), and bucket {}",
            made.compute_environment,
            made.job_queue,
            made.job_definition,
            a.image,
            config.bucket.get_ref()
        );
    }
    let history = a.history.as_deref().map(History::open).transpose()?;
    let out = a.out.unwrap_or_else(|| PathBuf::from(format!("sweep-{}", plan.digest)));
    let dir = SweepDir::create(&out, &plan)?;
    let cells = plan.plan.cells();
    eprintln!(
        "sweep {} of {}: {} variant(s) × {} seed pair(s) = {cells} cells, {} h after a fork at {} h, into {}",
        plan.digest,
        plan.scenario.name,
        plan.plan.variants.len(),
        plan.plan.seeds,
        plan.plan.hours,
        plan.plan.at_hours,
        out.display()
    );
    let status = Arc::new(SweepStatus::new(cells));
    cancel_on_ctrl_c(status.clone());
    let started = Instant::now();
    let done_before = dir.cells(&plan).0.iter().filter(|c| c.is_some()).count();
    let report = with_bar(&status, || match (a.backend, &config) {
        (Backend::AwsBatch, Some(config)) => {
            let follow =
                Follow { poll: Duration::from_secs_f64(a.poll), wait_results: Duration::from_secs_f64(a.wait_results) };
            batch::run(&plan, &dir, config, follow, &status)
        }
        _ => local::run(&plan, &dir, a.jobs as usize, &status),
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    print!("{}", text_report(&report));
    let ran = (report.done as usize + report.failed.len()).saturating_sub(done_before);
    println!(
        "\n{} of {cells} cells done ({ran} run now) in {wall_s:.1} s: {:.2} cells a minute; report in {}",
        report.done,
        ran as f64 / (wall_s / 60.0),
        out.join("report.json").display()
    );
    if status.cancelled() {
        println!("stopped early: run the same command again to resume");
    }
    if let Some(h) = history {
        let id = h.save_sweep(&report.scenario, &report)?;
        println!("saved as sweep {id} in {}", h.path().display());
    }
    Ok(())
}

/// Ctrl-C stops the sweep (Batch: terminates its job) rather than the process, so the report of what is done is
/// still written.
fn cancel_on_ctrl_c(status: Arc<SweepStatus>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
            eprintln!("\nstopping: cells under way are left, the report is written from those done");
            status.cancel();
        }
    });
}

/// Runs `work` while a bar shows cells done and minutes simulated here.
fn with_bar(
    status: &SweepStatus,
    work: impl FnOnce() -> anyhow::Result<SweepReport> + Send,
) -> anyhow::Result<SweepReport> {
    let bar = ProgressBar::new(status.counts().2 as u64).with_style(
        ProgressStyle::with_template("{spinner} cells [{bar:40}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = std::thread::scope(|s| {
        let job = s.spawn(work);
        while !job.is_finished() {
            let (done, failed, _) = status.counts();
            bar.set_position((done + failed) as u64);
            bar.set_message(format!("{failed} failed · {}", status.note()));
            std::thread::sleep(Duration::from_millis(200));
        }
        job.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    bar.finish_and_clear();
    result
}

/// The ranking, and what failed or is missing, as text.
fn text_report(r: &SweepReport) -> String {
    let figure = r.objective.figure();
    let (name, unit) = twin::whatif::FIGURES[figure];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let interval = |h: Option<f64>| h.map_or("–".to_string(), |h| format!("±{h:.3}"));
    for &v in &r.ranking {
        let variant = &r.variants[v];
        let d = &variant.deltas[figure];
        rows.push(vec![
            variant.rank.map_or("–".into(), |n| n.to_string()),
            variant.name.clone(),
            variant.pairs.to_string(),
            format!("{:.3}", d.base),
            format!("{:.3}", d.branch),
            format!("{:+.3}", d.delta),
            interval(d.interval),
            interval(variant.unpaired_interval),
            if variant.significant { "yes".into() } else { "no".into() },
        ]);
    }
    let mut out = format!(
        "{}\n\nranked by {name} ({unit}, {} is better):\n",
        r.title,
        if r.objective.higher_is_better() { "higher" } else { "lower" }
    );
    out.push_str(&super::table_text(
        &["rank", "variant", "pairs", "base", "variant", "Δ", "95% paired", "95% unpaired", "significant"],
        &rows,
    ));
    for v in r.variants.iter().filter(|v| v.pairs == 0) {
        out.push_str(&format!("{}: no seed pair done\n", v.name));
    }
    for (title, cells) in [("failed", &r.failed), ("missing", &r.missing)] {
        if !cells.is_empty() {
            out.push_str(&format!("\n{} {title} cell(s):\n", cells.len()));
            for c in cells.iter().take(20) {
                out.push_str(&format!("  cell {} ({}, seed pair {}): {}\n", c.index, c.variant, c.seed_pair, c.reason));
            }
            if cells.len() > 20 {
                out.push_str(&format!("  … and {} more (report.md lists them all)\n", cells.len() - 20));
            }
        }
    }
    out
}
