//! Sweeps: a family of what-ifs (variants × seed pairs over one horizon after one fork), cut into cells. A cell
//! is one variant (or the base) on one seed: it builds the scenario with that seed, runs it to the fork, applies
//! the variant's edits and runs the horizon. It is deterministic, so the same plan and index give the same
//! result on any machine, in any order, and a sweep can be spread out (AWS Batch array jobs) and resumed.
//! The report pairs each variant with its seed's base (common random numbers): the paired interval is what
//! makes a small delta readable.
//!
//! A plan file is TOML: `scenario`, `at` (hours before the fork), `hours` (the horizon), `seeds` (pairs),
//! `objective` (the figure to rank by), `[[variant]]` tables (a name, and `[[variant.edit]]` tables or an
//! `edits` file) and `[[range]]` tables (one edit kind with one `field` over `values`: one variant per value).

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::Twin;
use crate::error::{InputError, TwinError};
use crate::scenario::ValidScenario;
use crate::whatif::{self, Branch, Delta, Edit, Edits, FIGURES, Pair, RegionDeltas, Run};

/// AWS Batch runs at most this many children in one array job; a plan has at most this many cells.
pub const MAX_CELLS: u32 = 10_000;
/// The longest fork and horizon a plan may ask for, in hours (a year): a cell must end.
pub const MAX_HOURS: f64 = 8_760.0;

/// What a sweep ranks its variants by: one of the comparison's figures, and which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    Backbone,
    Offload,
    InIsp,
    Transit,
    StartupP50,
    StartupP95,
    StartupMean,
    Rebuffer,
    Ebvs,
    StartFailures,
    Cost,
}

impl Objective {
    pub const ALL: [Objective; 11] = [
        Objective::Backbone,
        Objective::Offload,
        Objective::InIsp,
        Objective::Transit,
        Objective::StartupP50,
        Objective::StartupP95,
        Objective::StartupMean,
        Objective::Rebuffer,
        Objective::Ebvs,
        Objective::StartFailures,
        Objective::Cost,
    ];

    /// Its name in a plan file.
    pub fn key(self) -> &'static str {
        match self {
            Objective::Backbone => "backbone",
            Objective::Offload => "offload",
            Objective::InIsp => "in_isp",
            Objective::Transit => "transit",
            Objective::StartupP50 => "startup_p50",
            Objective::StartupP95 => "startup_p95",
            Objective::StartupMean => "startup_mean",
            Objective::Rebuffer => "rebuffer",
            Objective::Ebvs => "ebvs",
            Objective::StartFailures => "start_failures",
            Objective::Cost => "cost",
        }
    }

    /// Its figure, as an index into `whatif::FIGURES`.
    pub fn figure(self) -> usize {
        let name = match self {
            Objective::Backbone => "backbone",
            Objective::Offload => "offload",
            Objective::InIsp => "in-ISP",
            Objective::Transit => "transit",
            Objective::StartupP50 => "startup p50",
            Objective::StartupP95 => "startup p95",
            Objective::StartupMean => "startup mean",
            Objective::Rebuffer => "rebuffer",
            Objective::Ebvs => "EBVS",
            Objective::StartFailures => "start failures",
            Objective::Cost => "fleet cost",
        };
        FIGURES.iter().position(|f| f.0 == name).unwrap_or(0)
    }

    /// Whether a rise is a gain: more offload or in-ISP share; less of everything else.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Objective::Offload | Objective::InIsp)
    }

    fn parse(key: &str) -> Option<Objective> {
        Objective::ALL.into_iter().find(|o| o.key() == key)
    }
}

/// A named set of edits, compared with the base.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: String,
    pub edits: Edits,
}

/// A sweep, expanded: every `[[range]]` is one variant per value.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// The scenario as the file names it: `default`, or a path (relative to the plan file).
    pub scenario: String,
    pub at_hours: f64,
    pub hours: f64,
    pub seeds: u32,
    pub objective: Objective,
    pub variants: Vec<Variant>,
}

/// One cell: a seed pair's base (`variant` None) or one variant on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub index: u32,
    /// The seed pair, from 0: the scenario's seed plus this.
    pub seed: u32,
    pub variant: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    scenario: Spanned<String>,
    #[serde(default)]
    at: Option<Spanned<toml::Value>>,
    hours: Spanned<toml::Value>,
    seeds: Spanned<toml::Value>,
    objective: Spanned<String>,
    #[serde(default)]
    variant: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    range: Vec<Spanned<toml::Table>>,
}

impl SweepPlan {
    /// Reads a plan; a mistake is reported at its line and column (for a bad variant or range, its table's;
    /// for a bad edits file, that file's). `read_edits` reads a variant's `edits` file, as the plan names it,
    /// and returns the name to report it by and its text.
    pub fn parse(file: &str, text: &str, read_edits: &mut ReadEdits) -> Result<SweepPlan, InputError> {
        let at = |offset: usize, message: String| InputError::at_offset(file, text, offset, message);
        let parsed: PlanFile = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                format!(
                    "{} (expected a sweep plan: scenario, at, hours, seeds, objective, [[variant]] and [[range]] tables)",
                    e.message().trim_end()
                ),
            )
        })?;
        let number = |v: &Spanned<toml::Value>, name: &str| -> Result<f64, InputError> {
            let x = v.get_ref().as_float().or_else(|| v.get_ref().as_integer().map(|n| n as f64));
            x.filter(|x| x.is_finite() && *x <= MAX_HOURS).ok_or_else(|| {
                at(v.span().start, format!("`{name}` must be a finite number of hours, at most {MAX_HOURS} (a year)"))
            })
        };
        let at_hours = match &parsed.at {
            Some(v) => number(v, "at")?,
            None => 0.0,
        };
        if at_hours < 0.0 {
            return Err(at(parsed.at.as_ref().map_or(0, |v| v.span().start), "`at` must be 0 or more".into()));
        }
        let hours = number(&parsed.hours, "hours")?;
        if hours <= 0.0 {
            return Err(at(parsed.hours.span().start, format!("`hours` must be above 0, found {hours}")));
        }
        let seeds_at = parsed.seeds.span().start;
        let seeds = match parsed.seeds.get_ref().as_integer() {
            Some(n) if n >= 1 && n <= i64::from(MAX_CELLS) => n as u32,
            Some(n) => {
                return Err(at(seeds_at, format!("`seeds` must be from 1 to {MAX_CELLS} seed pairs, found {n}")));
            }
            None => return Err(at(seeds_at, "`seeds` must be a whole number of seed pairs, 1 or more".into())),
        };
        let objective = Objective::parse(parsed.objective.get_ref()).ok_or_else(|| {
            let keys: Vec<&str> = Objective::ALL.iter().map(|o| o.key()).collect();
            at(
                parsed.objective.span().start,
                format!("no objective {:?} (expected one of {})", parsed.objective.get_ref(), keys.join(", ")),
            )
        })?;

        let mut variants: Vec<(usize, Variant)> = Vec::new();
        for (i, spanned) in parsed.variant.into_iter().enumerate() {
            let start = spanned.span().start;
            let v = variant(spanned.into_inner(), read_edits).map_err(|e| match e {
                VariantError::InFile(e) => e,
                VariantError::Said(m) => at(start, format!("variant {}: {m}", i + 1)),
            })?;
            variants.push((start, v));
        }
        for (i, spanned) in parsed.range.into_iter().enumerate() {
            let start = spanned.span().start;
            let expanded = range(spanned.into_inner()).map_err(|m| at(start, format!("range {}: {m}", i + 1)))?;
            variants.extend(expanded.into_iter().map(|v| (start, v)));
        }
        if variants.is_empty() {
            return Err(at(0, "an empty plan: expected at least one [[variant]] or [[range]] table".into()));
        }
        for (n, (start, v)) in variants.iter().enumerate() {
            if v.name.is_empty() || v.name == BASE {
                return Err(at(*start, format!("a variant needs a name other than {BASE:?}, found {:?}", v.name)));
            }
            if variants[..n].iter().any(|(_, w)| w.name == v.name) {
                return Err(at(*start, format!("two variants are named {:?}: each needs its own name", v.name)));
            }
            if let Some(late) = v.edits.edits.iter().find(|e| e.at_hours >= hours) {
                return Err(at(
                    *start,
                    format!(
                        "variant {:?}: an edit at {} h after the fork does not come before the horizon ends ({hours} h)",
                        v.name, late.at_hours
                    ),
                ));
            }
        }
        let cells = u64::from(seeds) * (variants.len() as u64 + 1);
        if cells > u64::from(MAX_CELLS) {
            return Err(at(
                seeds_at,
                format!(
                    "{cells} cells ({seeds} seed pair(s) × ({} variants + the base)): a sweep has at most {MAX_CELLS}, \
                     the most children AWS Batch runs in one array job",
                    variants.len()
                ),
            ));
        }
        Ok(SweepPlan {
            scenario: parsed.scenario.into_inner(),
            at_hours,
            hours,
            seeds,
            objective,
            variants: variants.into_iter().map(|(_, v)| v).collect(),
        })
    }

    /// Cells in all: each seed pair's base and variants.
    pub fn cells(&self) -> u32 {
        cell_count(self.seeds, self.variants.len())
    }

    /// Cell `index`: seed pair `index / (variants + 1)`, then its base and each variant in turn.
    pub fn cell(&self, index: u32) -> Result<Cell, TwinError> {
        if index >= self.cells() {
            return Err(TwinError::Refused(format!(
                "no cell {index}: the plan has {} (indices 0 to {})",
                self.cells(),
                self.cells() - 1
            )));
        }
        let per_seed = self.variants.len() as u32 + 1;
        let slot = index % per_seed;
        Ok(Cell { index, seed: index / per_seed, variant: (slot > 0).then(|| slot as usize - 1) })
    }

    /// The cell's name: the variant's, or "base".
    pub fn cell_name(&self, cell: Cell) -> &str {
        cell.variant.map_or(BASE, |v| &self.variants[v].name)
    }

    /// The plan as a file, every range expanded and every edit inline, naming `scenario` as its scenario: what
    /// `parse` reads back as this plan. The same plan gives the same text.
    pub fn to_toml(&self, scenario: &str) -> String {
        let mut head = toml::Table::new();
        head.insert("scenario".into(), scenario.into());
        head.insert("at".into(), self.at_hours.into());
        head.insert("hours".into(), self.hours.into());
        head.insert("seeds".into(), i64::from(self.seeds).into());
        head.insert("objective".into(), self.objective.key().into());
        let mut out = toml::to_string(&head).unwrap_or_default();
        for v in &self.variants {
            out.push_str(&format!("\n[[variant]]\nname = {}\n", toml::Value::from(v.name.as_str())));
            for e in &v.edits.edits {
                out.push_str("\n[[variant.edit]]\n");
                out.push_str(&toml::to_string(&e.to_table()).unwrap_or_default());
            }
        }
        out
    }

    /// What names this sweep's cells: a digest of the plan (less where its scenario lives) and the scenario's
    /// text, so a cell of another plan, or of a changed scenario, is never taken for one of this.
    pub fn digest(&self, scenario_text: &str) -> String {
        let mut hash = Fnv::default();
        hash.write(self.to_toml("").as_bytes());
        hash.write(b"\0");
        hash.write(scenario_text.as_bytes());
        format!("{:016x}", hash.0)
    }
}

/// Reads an edits file, as a plan names it: the name to report it by, and its text; or what went wrong.
pub type ReadEdits<'a> = dyn FnMut(&str) -> Result<(String, String), String> + 'a;

/// The cells of `seeds` seed pairs of `variants` variants: each pair's base and each variant on it.
pub fn cell_count(seeds: u32, variants: usize) -> u32 {
    seeds * (variants as u32 + 1)
}

/// A cell's name when it is a seed pair's base.
pub const BASE: &str = "base";

/// What is wrong with a `[[variant]]` table: said of the table, or located in its edits file.
enum VariantError {
    Said(String),
    InFile(InputError),
}

/// A `[[variant]]` table.
fn variant(mut table: toml::Table, read_edits: &mut ReadEdits) -> Result<Variant, VariantError> {
    use VariantError::Said;
    let name = match table.remove("name") {
        Some(toml::Value::String(s)) => s,
        Some(_) => return Err(Said("`name` must be a string".into())),
        None => return Err(Said("a [[variant]] needs a `name`".into())),
    };
    let mut edits = Vec::new();
    if let Some(path) = table.remove("edits") {
        let path = path.as_str().ok_or_else(|| Said("`edits` must name an edits file".to_string()))?.to_string();
        let (file, text) = read_edits(&path).map_err(|e| Said(format!("{name:?}: edits file {path}: {e}")))?;
        edits.extend(Edits::parse(&file, &text).map_err(VariantError::InFile)?.edits);
    }
    match table.remove("edit") {
        Some(toml::Value::Array(tables)) => {
            for (i, t) in tables.into_iter().enumerate() {
                let toml::Value::Table(t) = t else {
                    return Err(Said(format!("{name:?}: edit {} is not a table", i + 1)));
                };
                edits.push(Edit::from_table(t).map_err(|e| Said(format!("{name:?}, edit {}: {e}", i + 1)))?);
            }
        }
        Some(_) => return Err(Said(format!("{name:?}: `edit` must be [[variant.edit]] tables"))),
        None => {}
    }
    if let Some(key) = table.keys().next() {
        return Err(Said(format!(
            "{name:?}: unknown field `{key}` (expected name, edits, or [[variant.edit]] tables)"
        )));
    }
    if edits.is_empty() {
        return Err(Said(format!("{name:?} has no edits: give [[variant.edit]] tables or an `edits` file")));
    }
    Ok(Variant { name, edits: Edits { edits } })
}

/// A `[[range]]` table: one variant per value, each with one edit (its `kind` and other fields, and `field` set
/// to the value), named `NAME=VALUE`. Says what is wrong.
pub fn range(mut table: toml::Table) -> Result<Vec<Variant>, String> {
    let mut take_str = |key: &str| match table.remove(key) {
        Some(toml::Value::String(s)) => Ok(s),
        Some(_) => Err(format!("`{key}` must be a string")),
        None => Err(format!("a [[range]] needs `{key}`")),
    };
    let name = take_str("name")?;
    let field = take_str("field")?;
    let values = match table.remove("values") {
        Some(toml::Value::Array(v)) if !v.is_empty() => v,
        Some(toml::Value::Array(_)) => return Err(format!("{name:?}: `values` is empty: give one value or more")),
        Some(_) => return Err(format!("{name:?}: `values` must be a list, such as [0.5, 1.0, 2.0]")),
        None => return Err(format!("{name:?}: a [[range]] needs `values`")),
    };
    if table.contains_key(&field) {
        return Err(format!("{name:?}: `{field}` is the field the range sets; give it in `values` only"));
    }
    let mut variants = Vec::new();
    for value in values {
        let label = match &value {
            toml::Value::Float(x) if !x.is_finite() => {
                return Err(format!("{name:?}: a value must be a finite number, found {x}"));
            }
            toml::Value::Float(x) => format!("{x}"),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::String(s) => s.clone(),
            toml::Value::Boolean(b) => b.to_string(),
            other => return Err(format!("{name:?}: a value must be a number, a string or a boolean, found {other}")),
        };
        let mut edit = table.clone();
        edit.insert(field.clone(), value);
        let edit = Edit::from_table(edit).map_err(|e| format!("{name:?} at {field} = {label}: {e}"))?;
        variants.push(Variant { name: format!("{name}={label}"), edits: Edits { edits: vec![edit] } });
    }
    Ok(variants)
}

/// FNV-1a, 64 bits: a stable digest (the same on every machine and build), not a secure one.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// What one cell gave: its place in the sweep, and its run or why it failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// The sweep's digest (`SweepPlan::digest`).
    pub sweep: String,
    pub index: u32,
    pub variant: String,
    /// The seed the cell's twin ran with.
    pub seed: u64,
    pub outcome: CellOutcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellOutcome {
    Done(Run),
    /// The twin refused the cell (an edit refused at its time, say): the reason.
    Failed(String),
}

/// Runs cell `index` of `plan` on `scenario` with `threads` worker threads. None once `cancel` is set (it is
/// looked at each simulated minute); an edit the twin refuses gives a failed cell, not an error.
pub fn run_cell(
    plan: &SweepPlan,
    scenario: &ValidScenario,
    digest: &str,
    index: u32,
    threads: usize,
    cancel: &AtomicBool,
) -> Result<Option<CellResult>, TwinError> {
    let cell = plan.cell(index)?;
    let seed = scenario.seed + u64::from(cell.seed);
    let fork_minutes = (plan.at_hours * 60.0).round() as u64;
    let mut twin = Twin::new(scenario.clone().with_seed(seed))?;
    twin.set_threads(threads);
    for _ in 0..fork_minutes {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        twin.advance_minutes(1);
    }
    let edits = cell.variant.map_or_else(Edits::default, |v| plan.variants[v].edits.clone());
    let outcome = match Branch::new(twin, &edits, plan.hours) {
        Err(e) => CellOutcome::Failed(e.to_string()),
        Ok(mut branch) => loop {
            if branch.done() {
                break CellOutcome::Done(branch.result());
            }
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if let Err(e) = branch.step() {
                break CellOutcome::Failed(e.to_string());
            }
        },
    };
    Ok(Some(CellResult { sweep: digest.into(), index, variant: plan.cell_name(cell).into(), seed, outcome }))
}

/// A cell the report lacks, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lacking {
    pub index: u32,
    pub variant: String,
    pub seed_pair: u32,
    /// Why it failed, or "missing" when nothing was heard of it.
    pub reason: String,
}

/// One variant against the base, paired by seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    pub name: String,
    pub edits: String,
    /// Seed pairs with both the base and the variant done.
    pub pairs: u32,
    /// Every figure's delta (`whatif::FIGURES`), paired by seed, with its 95% interval.
    pub deltas: Vec<Delta>,
    pub regions: Vec<RegionDeltas>,
    /// The objective's 95% interval were the seeds not paired (each side's spread on its own), to show what
    /// pairing buys.
    pub unpaired_interval: Option<f64>,
    /// Whether the objective's interval leaves out zero.
    pub significant: bool,
    /// Its place by the objective, from 1 (best); None without a pair.
    pub rank: Option<u32>,
}

impl VariantResult {
    pub fn objective<'a>(&'a self, report: &SweepReport) -> Option<&'a Delta> {
        self.deltas.get(report.objective.figure())
    }
}

/// A sweep's report, built from its cells alone: the same cells give the same report, wherever they ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub title: String,
    pub sweep: String,
    pub scenario: String,
    pub at_hours: f64,
    pub hours: f64,
    pub seeds: u32,
    pub objective: Objective,
    pub cells: u32,
    pub done: u32,
    pub variants: Vec<VariantResult>,
    /// Variant indices, best first by the objective.
    pub ranking: Vec<usize>,
    pub failed: Vec<Lacking>,
    pub missing: Vec<Lacking>,
}

impl SweepReport {
    /// The report of `cells` (one per index, None where none came back; a cell of another sweep counts as
    /// none). `failures` gives a reason heard from elsewhere (Batch's) for a cell that did not come back.
    pub fn new(
        plan: &SweepPlan,
        scenario_name: &str,
        digest: &str,
        cells: &[Option<CellResult>],
        failures: &[(u32, String)],
    ) -> SweepReport {
        let run = |index: u32| -> Option<&Run> {
            match cells.get(index as usize)?.as_ref().filter(|c| c.sweep == digest && c.index == index)?.outcome {
                CellOutcome::Done(ref r) => Some(r),
                CellOutcome::Failed(_) => None,
            }
        };
        let per_seed = plan.variants.len() as u32 + 1;
        let mut variants: Vec<VariantResult> = plan
            .variants
            .iter()
            .enumerate()
            .map(|(v, variant)| {
                let pairs: Vec<Pair> = (0..plan.seeds)
                    .filter_map(|s| {
                        let base = run(s * per_seed)?;
                        let branch = run(s * per_seed + v as u32 + 1)?;
                        Some(Pair { base: base.clone(), branch: branch.clone() })
                    })
                    .collect();
                variant_result(plan, variant, &pairs)
            })
            .collect();
        let objective = plan.objective;
        let mut ranking: Vec<usize> = (0..variants.len()).filter(|&v| variants[v].pairs > 0).collect();
        let score = |v: &VariantResult| {
            let d = v.deltas[objective.figure()].delta;
            if objective.higher_is_better() { -d } else { d }
        };
        ranking.sort_by(|&a, &b| score(&variants[a]).total_cmp(&score(&variants[b])).then(a.cmp(&b)));
        for (place, &v) in ranking.iter().enumerate() {
            variants[v].rank = Some(place as u32 + 1);
        }
        let (mut failed, mut missing) = (Vec::new(), Vec::new());
        for index in 0..plan.cells() {
            let Ok(cell) = plan.cell(index) else { continue };
            let lacking =
                |reason: String| Lacking { index, variant: plan.cell_name(cell).into(), seed_pair: cell.seed, reason };
            let result = cells.get(index as usize).and_then(|c| c.as_ref()).filter(|c| c.sweep == digest);
            match result.map(|c| &c.outcome) {
                Some(CellOutcome::Done(_)) => {}
                Some(CellOutcome::Failed(why)) => failed.push(lacking(why.clone())),
                None => match failures.iter().find(|f| f.0 == index) {
                    Some((_, why)) => failed.push(lacking(why.clone())),
                    None => missing.push(lacking("missing".into())),
                },
            }
        }
        SweepReport {
            title: format!(
                "sweep · {scenario_name} · {} variant(s) × {} seed pair(s) · {} h after a fork at {} h · by {}",
                plan.variants.len(),
                plan.seeds,
                plan.hours,
                plan.at_hours,
                objective.key()
            ),
            sweep: digest.into(),
            scenario: scenario_name.into(),
            at_hours: plan.at_hours,
            hours: plan.hours,
            seeds: plan.seeds,
            objective,
            cells: plan.cells(),
            done: plan.cells() - (failed.len() + missing.len()) as u32,
            variants,
            ranking,
            failed,
            missing,
        }
    }
}

fn variant_result(plan: &SweepPlan, variant: &Variant, pairs: &[Pair]) -> VariantResult {
    let (deltas, regions) =
        if pairs.is_empty() { (Vec::new(), Vec::new()) } else { (whatif::deltas(pairs), whatif::region_deltas(pairs)) };
    let figure = plan.objective.figure();
    let values: Vec<(f64, f64)> =
        pairs.iter().map(|p| (p.base.outcome.values()[figure], p.branch.outcome.values()[figure])).collect();
    let significant = deltas.get(figure).and_then(|d| d.interval.map(|h| d.delta.abs() > h)).unwrap_or(false);
    VariantResult {
        name: variant.name.clone(),
        edits: variant.edits.to_toml(),
        pairs: pairs.len() as u32,
        deltas,
        regions,
        unpaired_interval: unpaired_interval(&values),
        significant,
        rank: None,
    }
}

/// The 95% half-width of the difference of two means, each side's spread taken on its own (Welch), as if the
/// base and the variant had run on unrelated seeds.
fn unpaired_interval(values: &[(f64, f64)]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let var = |f: &dyn Fn(&(f64, f64)) -> f64| {
        let mean = values.iter().map(f).sum::<f64>() / n as f64;
        values.iter().map(|v| (f(v) - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    };
    let (a, b) = (var(&|v| v.0) / n as f64, var(&|v| v.1) / n as f64);
    if a + b == 0.0 {
        return Some(0.0);
    }
    let df = (a + b).powi(2) / (a * a / (n - 1) as f64 + b * b / (n - 1) as f64);
    Some(whatif::t_975((df.floor() as usize).max(1)) * (a + b).sqrt())
}

#[cfg(test)]
mod tests;
