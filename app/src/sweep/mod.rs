//! Sweeps, outside the twin: a plan read with its scenario and edits files, its cells run here on worker threads
//! (`local`) or as an AWS Batch array job (`batch`, with the child's side in `child`), what a sweep under way
//! shows (`SweepStatus`), and its report as Markdown. The CLI and the console's Sweep tab both run them here.

pub mod batch;
pub mod child;
pub mod local;

use std::fmt::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use twin::sweep::{CellOutcome, CellResult, SweepPlan, SweepReport};
use twin::{Scenario, ValidScenario};

/// A plan ready to run: expanded, with its scenario, and the digest that names its cells.
#[derive(Clone, Debug)]
pub struct LoadedPlan {
    pub plan: SweepPlan,
    pub scenario: ValidScenario,
    /// The scenario file's text (the embedded default's for `default`): what a Batch child gets.
    pub scenario_text: String,
    pub digest: String,
}

impl LoadedPlan {
    /// Reads the plan at `path`; its scenario and edits files are found beside it.
    pub fn load(path: &Path) -> anyhow::Result<LoadedPlan> {
        let name = path.display().to_string();
        let text = crate::read_text(path, "a TOML sweep plan")?;
        LoadedPlan::parse(&name, &text, path.parent().unwrap_or(Path::new(".")), None)
    }

    /// Reads a plan from `text` (`file` names it in errors); relative paths are from `dir`. `scenario_text`,
    /// when given, is the scenario's text (a Batch child has it from S3), else it is read from the plan's path.
    pub fn parse(file: &str, text: &str, dir: &Path, scenario_text: Option<String>) -> anyhow::Result<LoadedPlan> {
        let mut read_edits = |p: &str| -> Result<(String, String), String> {
            let path = dir.join(p);
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            Ok((path.display().to_string(), text))
        };
        let plan = SweepPlan::parse(file, text, &mut read_edits)?;
        let (scenario_file, scenario_text) = match (scenario_text, plan.scenario.as_str()) {
            (Some(t), _) => (plan.scenario.clone(), t),
            (None, "default") => ("assets/scenarios/default.toml".to_string(), twin::DEFAULT_SCENARIO.to_string()),
            (None, p) => {
                let path = dir.join(p);
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{file}: reading its scenario {}", path.display()))?;
                (path.display().to_string(), text)
            }
        };
        let scenario = Scenario::parse(&scenario_file, &scenario_text)?;
        let digest = plan.digest(&scenario_text);
        Ok(LoadedPlan { plan, scenario, scenario_text, digest })
    }
}

/// A cell's file: the same result gives the same bytes.
pub fn cell_bytes(cell: &CellResult) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(cell).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The name of cell `index`'s file, in a sweep's folder (`cells/`) as in S3.
pub fn cell_file(index: u32) -> String {
    format!("cell-{index:06}.json")
}

/// Where a cell stands, as the console's grid shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum CellState {
    Queued,
    Running,
    Done,
    Failed(String),
}

impl CellState {
    pub fn of(cell: &CellResult) -> CellState {
        match &cell.outcome {
            CellOutcome::Done(_) => CellState::Done,
            CellOutcome::Failed(why) => CellState::Failed(why.clone()),
        }
    }
}

/// A sweep under way, shared with whoever watches it: each cell's state, what the backend last said, and the
/// switch that stops it.
#[derive(Debug, Default)]
pub struct SweepStatus {
    pub cells: Mutex<Vec<CellState>>,
    pub cancel: AtomicBool,
    pub note: Mutex<String>,
}

impl SweepStatus {
    pub fn new(cells: u32) -> SweepStatus {
        SweepStatus { cells: Mutex::new(vec![CellState::Queued; cells as usize]), ..SweepStatus::default() }
    }

    pub fn set(&self, index: u32, state: CellState) {
        if let Some(c) = self.cells.lock().unwrap_or_else(|p| p.into_inner()).get_mut(index as usize) {
            *c = state;
        }
    }

    pub fn states(&self) -> Vec<CellState> {
        self.cells.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn say(&self, note: impl Into<String>) {
        *self.note.lock().unwrap_or_else(|p| p.into_inner()) = note.into();
    }

    pub fn note(&self) -> String {
        self.note.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Cells done (or failed) of all.
    pub fn counts(&self) -> (usize, usize, usize) {
        let states = self.states();
        let done = states.iter().filter(|s| **s == CellState::Done).count();
        let failed = states.iter().filter(|s| matches!(s, CellState::Failed(_))).count();
        (done, failed, states.len())
    }
}

/// The report as Markdown: the ranking with each variant's objective delta and intervals, every figure's
/// delta per variant, and the cells that failed or are missing.
pub fn markdown(r: &SweepReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", r.title);
    let _ = writeln!(out, "Sweep `{}`: {} of {} cells done.\n", r.sweep, r.done, r.cells);
    let figure = r.objective.figure();
    let (name, unit) = twin::whatif::FIGURES[figure];
    let better = if r.objective.higher_is_better() { "higher" } else { "lower" };
    let _ = writeln!(out, "## Ranking by {name} ({unit}, {better} is better)\n");
    let _ = writeln!(out, "| rank | variant | pairs | base | variant | Δ | 95% paired | 95% unpaired | significant |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    let interval = |h: Option<f64>| h.map_or("–".to_string(), |h| format!("±{h:.3}"));
    for &v in &r.ranking {
        let variant = &r.variants[v];
        let d = &variant.deltas[figure];
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} | {:+.3} | {} | {} | {} |",
            variant.rank.unwrap_or(0),
            variant.name,
            variant.pairs,
            d.base,
            d.branch,
            d.delta,
            interval(d.interval),
            interval(variant.unpaired_interval),
            if variant.significant { "yes" } else { "no" }
        );
    }
    for v in r.variants.iter().filter(|v| v.pairs == 0) {
        let _ = writeln!(out, "| – | {} | 0 | | | | | | no pair done |", v.name);
    }
    let _ = writeln!(out, "\n## Every figure, Δ against the base (95% paired interval)\n");
    let _ = write!(out, "| figure |");
    for v in &r.variants {
        let _ = write!(out, " {} |", v.name);
    }
    let _ = writeln!(out, "\n|---|{}", "---|".repeat(r.variants.len()));
    for (i, (figure, unit)) in twin::whatif::FIGURES.iter().enumerate() {
        let _ = write!(out, "| {figure} ({unit}) |");
        for v in &r.variants {
            let _ = match v.deltas.get(i) {
                Some(d) => write!(out, " {:+.3} {} |", d.delta, interval(d.interval)),
                None => write!(out, " – |"),
            };
        }
        out.push('\n');
    }
    for (title, cells) in [("Failed cells", &r.failed), ("Missing cells", &r.missing)] {
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {title}\n\n| cell | variant | seed pair | reason |\n|---|---|---|---|");
        for c in cells {
            let _ = writeln!(out, "| {} | {} | {} | {} |", c.index, c.variant, c.seed_pair, c.reason);
        }
    }
    out
}

/// The report's JSON: the same cells give the same bytes, whichever backend ran them.
pub fn report_json(r: &SweepReport) -> String {
    let mut text = serde_json::to_string_pretty(r).unwrap_or_default();
    text.push('\n');
    text
}

/// Cell indices as ranges, `0-3,7,9-10`: how a resumed Batch job names the cells its children run.
pub fn format_cells(cells: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let mut j = i;
        while j + 1 < cells.len() && cells[j + 1] == cells[j] + 1 {
            j += 1;
        }
        out.push(if i == j { cells[i].to_string() } else { format!("{}-{}", cells[i], cells[j]) });
        i = j + 1;
    }
    out.join(",")
}

/// The indices `format_cells` wrote.
pub fn parse_cells(spec: &str) -> anyhow::Result<Vec<u32>> {
    let mut cells = Vec::new();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let number =
            |s: &str| s.trim().parse::<u32>().with_context(|| format!("--cells {spec:?}: {s:?} is not a cell index"));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                anyhow::ensure!(a <= b, "--cells {spec:?}: {part} runs backwards");
                cells.extend(a..=b);
            }
            None => cells.push(number(part)?),
        }
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_lists_round_trip_as_ranges() {
        let cells = [0, 1, 2, 3, 7, 9, 10];
        assert_eq!(format_cells(&cells), "0-3,7,9-10");
        assert_eq!(parse_cells("0-3,7,9-10").unwrap(), cells);
        assert!(parse_cells("3-1").is_err() && parse_cells("x").is_err());
    }
}
