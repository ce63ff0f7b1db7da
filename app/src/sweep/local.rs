//! The local backend: a sweep's cells on worker threads here. Cells already in the folder are not run again;
//! each cell is written as it finishes, so a sweep stopped (Ctrl-C, Cancel, a kill) resumes where it was.

use std::sync::atomic::{AtomicUsize, Ordering};

use twin::sweep::{self, SweepReport};

use super::{CellState, LoadedPlan, SweepStatus};
use crate::store::sweep_dir::SweepDir;

/// Runs the cells of `plan` that `dir` lacks on `jobs` workers, then writes and returns the report (of every
/// cell the folder holds, even if cancelled).
pub fn run(plan: &LoadedPlan, dir: &SweepDir, jobs: usize, status: &SweepStatus) -> anyhow::Result<SweepReport> {
    let (cells, notes) = dir.cells(plan);
    for n in notes {
        tracing::warn!("{n}");
    }
    let mut todo = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        match c {
            Some(c) => status.set(i as u32, CellState::of(c)),
            None => todo.push(i as u32),
        }
    }
    let jobs = jobs.clamp(1, todo.len().max(1));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / jobs).max(1);
    status.say(format!(
        "{} cell(s) to run here on {jobs} worker(s), {} already done",
        todo.len(),
        cells.len() - todo.len()
    ));
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while let Some(&index) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if status.cancelled() {
                        return;
                    }
                    status.set(index, CellState::Running);
                    let ran = sweep::run_cell(&plan.plan, &plan.scenario, &plan.digest, index, threads, &status.cancel);
                    let state = match ran {
                        Ok(Some(cell)) => match dir.write_cell(&cell) {
                            Ok(()) => CellState::of(&cell),
                            Err(e) => CellState::Failed(format!("{e:#}")),
                        },
                        Ok(None) => CellState::Queued,
                        Err(e) => CellState::Failed(e.to_string()),
                    };
                    if let CellState::Failed(why) = &state {
                        failures.lock().unwrap_or_else(|p| p.into_inner()).push((index, why.clone()));
                    }
                    status.set(index, state);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    report(plan, dir, &failures)
}

/// The report of the cells in `dir` (`failures` names cells that failed without a file), written beside them.
pub fn report(plan: &LoadedPlan, dir: &SweepDir, failures: &[(u32, String)]) -> anyhow::Result<SweepReport> {
    let (cells, _) = dir.cells(plan);
    let report = SweepReport::new(&plan.plan, &plan.scenario.name, &plan.digest, &cells, failures);
    dir.write_report(&report)?;
    Ok(report)
}
