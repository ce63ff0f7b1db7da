//! The AWS Batch backend: the plan and its scenario go to S3, one array job runs one child per cell (each
//! `edgetwin sweep cell s3://…/plan.toml`), and the coordinator follows it (DescribeJobs' status summary,
//! ListJobs' failed children and their reasons) while it gathers the cells from S3 into the sweep's folder as
//! they land. The report is then built from the folder, as the local backend's is. Cancel (or Ctrl-C)
//! terminates the job. A resumed sweep takes the cells already in S3 and submits only the others.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connectors::batch::{self, BatchConfig, Clients};
use connectors::fault::Fault;
use twin::sweep::SweepReport;

use super::child::S3Place;
use super::{CellState, LoadedPlan, SweepStatus, cell_file, format_cells};
use crate::store::sweep_dir::SweepDir;

/// How the coordinator follows a job.
#[derive(Clone, Copy, Debug)]
pub struct Follow {
    /// Between polls.
    pub poll: Duration,
    /// How long, after Batch says the job has finished, to wait for cells still to land in S3.
    pub wait_results: Duration,
}

impl Default for Follow {
    fn default() -> Follow {
        Follow { poll: Duration::from_secs(10), wait_results: Duration::from_secs(60) }
    }
}

/// Runs the cells of `plan` that neither `dir` nor S3 holds as one array job, and gathers them; writes and
/// returns the report.
pub fn run(
    plan: &LoadedPlan,
    dir: &SweepDir,
    config: &BatchConfig,
    follow: Follow,
    status: &SweepStatus,
) -> anyhow::Result<SweepReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let failures = runtime.block_on(coordinate(plan, dir, config, follow, status))?;
    super::local::report(plan, dir, &failures)
}

async fn coordinate(
    plan: &LoadedPlan,
    dir: &SweepDir,
    config: &BatchConfig,
    follow: Follow,
    status: &SweepStatus,
) -> anyhow::Result<Vec<(u32, String)>> {
    let clients = Clients::new(config).await;
    let bucket = config.bucket.get_ref().clone();
    let place = S3Place {
        bucket: bucket.clone(),
        prefix: format!("{}/", config.sweep_prefix(&plan.digest)),
        digest: plan.digest.clone(),
    };
    let plan_url = format!("s3://{bucket}/{}plan.toml", place.prefix);
    status.say(format!("putting the plan and scenario at s3://{bucket}/{}", place.prefix));
    for (name, text) in
        [("plan.toml", plan.plan.to_toml("scenario.toml")), ("scenario.toml", plan.scenario_text.clone())]
    {
        batch::put(&clients.s3, &bucket, &format!("{}{name}", place.prefix), text.into_bytes()).await?;
    }

    // What is done already: in the folder, or in S3 from an earlier run.
    let mut landed = vec![false; plan.plan.cells() as usize];
    let (cells, _) = dir.cells(plan);
    for (i, c) in cells.iter().enumerate() {
        if let Some(c) = c {
            landed[i] = true;
            status.set(i as u32, CellState::of(c));
        }
    }
    gather(&clients, &place, plan, dir, &mut landed, status).await?;
    let todo: Vec<u32> = (0..plan.plan.cells()).filter(|&i| !landed[i as usize]).collect();
    if todo.is_empty() {
        status.say("every cell is done already");
        return Ok(Vec::new());
    }
    let mut command = vec!["sweep".to_string(), "cell".into(), plan_url.clone()];
    if todo.len() == 1 {
        command.extend(["--index".into(), todo[0].to_string()]);
    } else if todo.len() < landed.len() {
        command.extend(["--cells".into(), format_cells(&todo)]);
    }
    let name = format!("edgetwin-sweep-{}", plan.digest);
    let job = batch::submit(&clients.batch, config, &name, todo.len() as u32, command).await?;
    status.say(format!("array job {job}: {} child(ren) on {}", todo.len(), config.job_queue.get_ref()));
    eprintln!("submitted array job {job} ({} children) for {plan_url}", todo.len());

    // Follow the job and gather its cells until every one is in, failed, or late.
    let mut failures: BTreeMap<u32, String> = BTreeMap::new();
    let mut finished_at: Option<Instant> = None;
    loop {
        if status.cancelled() {
            batch::terminate(&clients.batch, &job, "cancelled by the operator").await?;
            status.say(format!("array job {job} terminated"));
            eprintln!("terminated array job {job}");
            break;
        }
        let view = batch::describe(&clients.batch, &job).await?;
        gather(&clients, &place, plan, dir, &mut landed, status).await?;
        if todo.len() == 1 && view.status == "FAILED" && !landed[todo[0] as usize] {
            // A plain job (one cell) has no children to list.
            let reason = format!("Batch: FAILED ({})", view.reason.as_deref().unwrap_or("Batch gave no reason"));
            status.set(todo[0], CellState::Failed(reason.clone()));
            failures.insert(todo[0], reason);
        } else if view.children.get("FAILED").copied().unwrap_or(0) > 0 || view.status == "FAILED" {
            for (child, reason) in batch::failed_children(&clients.batch, &job).await? {
                let Some(&cell) = todo.get(child as usize) else { continue };
                if !landed[cell as usize] {
                    status.set(cell, CellState::Failed(reason.clone()));
                    failures.insert(cell, reason);
                }
            }
        }
        let open = todo.iter().filter(|&&c| !landed[c as usize] && !failures.contains_key(&c)).count();
        let counts: Vec<String> =
            view.children.iter().filter(|(_, n)| **n > 0).map(|(s, n)| format!("{n} {s}")).collect();
        status.say(format!(
            "array job {job}: {}{}; {} cell(s) still to land",
            view.status,
            if counts.is_empty() { String::new() } else { format!(" ({})", counts.join(", ")) },
            open
        ));
        if open == 0 {
            break;
        }
        if view.finished() {
            let since = *finished_at.get_or_insert_with(Instant::now);
            if since.elapsed() >= follow.wait_results {
                let late: Vec<u32> =
                    todo.iter().copied().filter(|&c| !landed[c as usize] && !failures.contains_key(&c)).collect();
                for c in late {
                    let why = format!(
                        "no result in S3 {} s after Batch finished the job ({}): the child ended without writing {}",
                        follow.wait_results.as_secs(),
                        view.status,
                        cell_file(c)
                    );
                    status.set(c, CellState::Failed(why.clone()));
                    failures.insert(c, why);
                }
                break;
            }
        }
        tokio::time::sleep(follow.poll).await;
    }
    gather(&clients, &place, plan, dir, &mut landed, status).await?;
    Ok(failures.into_iter().filter(|(c, _)| !landed[*c as usize]).collect())
}

/// Copies the cells that have landed in S3 since last time into the folder.
async fn gather(
    clients: &Clients,
    place: &S3Place,
    plan: &LoadedPlan,
    dir: &SweepDir,
    landed: &mut [bool],
    status: &SweepStatus,
) -> Result<(), Fault> {
    let prefix = format!("{}cells/", place.prefix);
    for key in batch::keys(&clients.s3, &place.bucket, &prefix).await? {
        let Some(index) = key
            .strip_prefix(&prefix)
            .and_then(|n| n.strip_prefix("cell-"))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if landed.get(index as usize) != Some(&false) {
            continue;
        }
        let bytes = batch::get(&clients.s3, &place.bucket, &key).await?;
        match dir.write_cell_bytes(plan, index, &bytes) {
            Ok(cell) => {
                landed[index as usize] = true;
                status.set(index, CellState::of(&cell));
            }
            Err(e) => tracing::warn!("s3://{}/{key}: {e:#}", place.bucket),
        }
    }
    Ok(())
}
