//! A Batch child: `edgetwin sweep cell s3://BUCKET/PREFIX/DIGEST/plan.toml`. It reads the plan and its scenario
//! from S3, finds its cell from `AWS_BATCH_JOB_ARRAY_INDEX` (through `--cells` when the job runs only some cells,
//! or `--index` for a plain job), runs it, and writes the cell's file beside the plan, under `cells/`. A cell
//! the twin refuses is written as failed, with the reason, and the child exits with an error; an index outside
//! the plan writes nothing.

use std::path::Path;

use anyhow::{Context, bail};
use connectors::batch::{get, put};
use twin::sweep::{self, CellOutcome};

use super::{LoadedPlan, cell_bytes, cell_file, parse_cells};

/// Where a sweep's files live in S3.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Place {
    pub bucket: String,
    /// The sweep's prefix, ending in `/` (`PREFIX/DIGEST/`).
    pub prefix: String,
    pub digest: String,
}

impl S3Place {
    /// From a plan's URL, `s3://BUCKET/PREFIX/DIGEST/plan.toml`.
    pub fn of_plan_url(url: &str) -> anyhow::Result<S3Place> {
        let expected = "expected s3://BUCKET/PREFIX/DIGEST/plan.toml";
        let rest = url.strip_prefix("s3://").with_context(|| format!("{url}: {expected}"))?;
        let (bucket, key) = rest.split_once('/').with_context(|| format!("{url}: {expected}"))?;
        let prefix =
            key.strip_suffix("plan.toml").filter(|p| p.ends_with('/')).with_context(|| format!("{url}: {expected}"))?;
        let digest = prefix.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        if bucket.is_empty() || digest.len() != 16 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("{url}: {expected}, DIGEST being the sweep's 16 hex digits");
        }
        Ok(S3Place { bucket: bucket.into(), prefix: prefix.into(), digest: digest.into() })
    }

    pub fn cell_key(&self, index: u32) -> String {
        format!("{}cells/{}", self.prefix, cell_file(index))
    }
}

/// Runs the child's cell. `index` (a plain job's) wins over the environment's array index.
pub fn run(plan_url: &str, index: Option<u32>, cells: Option<&str>) -> anyhow::Result<()> {
    let place = S3Place::of_plan_url(plan_url)?;
    let array_index = match index {
        Some(i) => i,
        None => {
            let var = std::env::var("AWS_BATCH_JOB_ARRAY_INDEX").context(
                "AWS_BATCH_JOB_ARRAY_INDEX is not set: a child runs in an AWS Batch array job, or is given --index",
            )?;
            var.trim().parse().with_context(|| format!("AWS_BATCH_JOB_ARRAY_INDEX={var:?}: expected a whole number"))?
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let region =
        std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).unwrap_or("us-east-1".into());
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    let s3 = runtime.block_on(connectors::s3::client(&region, endpoint.as_deref(), None));
    let fetch = |key: String| -> anyhow::Result<String> {
        let bytes = runtime.block_on(get(&s3, &place.bucket, &key))?;
        String::from_utf8(bytes).with_context(|| format!("s3://{}/{key}: expected UTF-8 text", place.bucket))
    };
    let plan_text = fetch(format!("{}plan.toml", place.prefix))?;
    let scenario_text = fetch(format!("{}scenario.toml", place.prefix))?;
    let plan = LoadedPlan::parse(plan_url, &plan_text, Path::new("."), Some(scenario_text))?;
    if plan.digest != place.digest {
        bail!(
            "{plan_url}: the plan and scenario there are sweep {}, not {}: were they changed?",
            plan.digest,
            place.digest
        );
    }
    let cell = match cells {
        Some(spec) => {
            let list = parse_cells(spec)?;
            *list.get(array_index as usize).with_context(|| {
                format!("array index {array_index} is outside --cells, which lists {} cell(s)", list.len())
            })?
        }
        None => array_index,
    };
    plan.plan.cell(cell)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "cell {cell} of sweep {} ({} cells): {}",
        plan.digest,
        plan.plan.cells(),
        plan.plan.cell_name(plan.plan.cell(cell)?)
    );
    let result = sweep::run_cell(&plan.plan, &plan.scenario, &plan.digest, cell, threads, &Default::default())?
        .context("the cell was cancelled")?;
    let key = place.cell_key(cell);
    runtime.block_on(put(&s3, &place.bucket, &key, cell_bytes(&result)))?;
    eprintln!("wrote s3://{}/{key}", place.bucket);
    match result.outcome {
        CellOutcome::Done(_) => Ok(()),
        CellOutcome::Failed(why) => bail!("cell {cell} failed: {why}"),
    }
}
