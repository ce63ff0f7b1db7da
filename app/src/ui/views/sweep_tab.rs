//! The What-if view's Sweep tab: a family of what-ifs (variants × seed pairs over one horizon after a fork at
//! the console's present hour), run here on worker threads or on AWS Batch, in the background with Cancel.
//! Variants come from the edit form, from edits files, or from a range of values; the plan is written as a
//! sweep plan file beside the running scenario's text, so it runs (and resumes) exactly as `edgetwin sweep`
//! would run it. While it runs, a grid shows each cell (rows: seed pairs; columns: the base, then each
//! variant); when done, the ranking by the objective and a forest plot of each variant's delta with its 95%
//! paired interval. Any variant opens as an ordinary comparison; every finished sweep is saved in the history.
//!
//! The tab reads snapshots and reports only: the cells, their pairing and the ranking are the twin's
//! (`twin::sweep`), run by `crate::sweep`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use egui::{Color32, Sense, Stroke, Vec2};
use egui_plot::{AxisHints, GridMark, Line, Plot, PlotPoints, Points, VLine};
use twin::Snapshot;
use twin::sweep::{Objective, SweepPlan, SweepReport, Variant, VariantResult};
use twin::whatif::{Edit, Edits, FIGURES, Report};

use crate::store::sweep_dir::SweepDir;
use crate::store::whatif_history::{History, SweepEntry};
use crate::sweep::{CellState, LoadedPlan, SweepStatus, batch, local};

/// The kinds of range the builder makes: its name in the form, the edit's `kind`, and the field it sets.
pub const RANGE_KINDS: [(&str, &str, &str); 4] = [
    ("disk factor of a cluster", "disk", "factor"),
    ("fill-window start hour", "fill_window", "start_hour"),
    ("fill caps factor", "fill_caps", "factor"),
    ("demand scale", "demand_scale", "factor"),
];

/// A range being built: one variant per value, named `"{name}={value}"`.
#[derive(Clone, Debug)]
pub struct RangeDraft {
    /// Index into `RANGE_KINDS`.
    pub kind: usize,
    pub name: String,
    /// For a disk range: the cluster.
    pub cluster: u32,
    /// Values, comma-separated.
    pub values: String,
}

impl Default for RangeDraft {
    fn default() -> Self {
        RangeDraft { kind: 0, name: "disk".into(), cluster: 0, values: "0.5, 2, 4".into() }
    }
}

/// Where the cells run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Local,
    Batch,
}

pub struct SweepTab {
    /// The plan's variants so far.
    pub variants: Vec<Variant>,
    /// The name for the next variant made from the edit form's edits.
    pub variant_name: String,
    pub range: RangeDraft,
    /// The horizon after the fork, in hours.
    pub hours: f64,
    pub seeds: u32,
    pub objective: Objective,
    /// Local workers.
    pub jobs: usize,
    pub backend: Backend,
    /// The Batch configuration file (BATCH.toml).
    pub batch_config: String,
    /// Where sweeps' folders go (None: `sweeps` in `crate::data_dir()`).
    pub root: Option<PathBuf>,
    /// The plan whose cells the grid shows.
    pub plan: Option<SweepPlan>,
    /// The sweep under way (or last run): its cells' states, progress and note.
    pub status: Option<Arc<SweepStatus>>,
    done: Option<Receiver<Result<SweepReport, String>>>,
    /// The report on show: just run, or reopened from the history.
    pub report: Option<SweepReport>,
    /// What went wrong last, or what just happened.
    pub message: Option<String>,
    entries: Option<Vec<SweepEntry>>,
}

impl Default for SweepTab {
    fn default() -> Self {
        SweepTab {
            variants: Vec::new(),
            variant_name: String::new(),
            range: RangeDraft::default(),
            hours: 6.0,
            seeds: 3,
            objective: Objective::Offload,
            jobs: 2,
            backend: Backend::Local,
            batch_config: "BATCH.toml".into(),
            root: None,
            plan: None,
            status: None,
            done: None,
            report: None,
            message: None,
            entries: None,
        }
    }
}

const QUEUED: Color32 = Color32::from_gray(105);
const RUNNING: Color32 = Color32::from_rgb(70, 130, 230);
const DONE: Color32 = Color32::from_rgb(80, 185, 110);
const FAILED: Color32 = Color32::from_rgb(225, 80, 70);
const WARN: Color32 = Color32::from_rgb(230, 180, 90);

impl SweepTab {
    /// Whether a sweep is under way (its report not yet in).
    pub fn under_way(&self) -> bool {
        self.status.is_some() && self.report.is_none()
    }

    /// Where a sweep's folder goes: under `root`, named by the plan's digest (so a rerun resumes it).
    pub fn folder(&self, plan: &LoadedPlan) -> PathBuf {
        self.root.clone().unwrap_or_else(|| crate::data_dir().join("sweeps")).join(&plan.digest)
    }

    /// The plan as it would run now: the variants so far, forked at the console's present hour (rounded down)
    /// of its running scenario, written as a plan file and read back as `edgetwin sweep` reads one.
    pub fn build_plan(&self, snap: &Snapshot) -> anyhow::Result<LoadedPlan> {
        anyhow::ensure!(!self.variants.is_empty(), "no variants yet: add edits, an edits file or a range");
        let scenario: &twin::Scenario = &snap.model.scenario;
        let scenario_text = toml::to_string(scenario)?;
        let plan = SweepPlan {
            scenario: "scenario.toml".into(),
            at_hours: (snap.time.minutes() / 60) as f64,
            hours: self.hours,
            seeds: self.seeds,
            objective: self.objective,
            variants: self.variants.clone(),
        };
        LoadedPlan::parse("sweep plan", &plan.to_toml("scenario.toml"), Path::new("."), Some(scenario_text))
    }

    /// Runs `plan`'s cells that `dir` lacks here, on `jobs` workers, in the background.
    pub fn start_local(&mut self, plan: LoadedPlan, dir: PathBuf, jobs: usize) {
        self.start(plan, dir, move |plan, dir, status| local::run(plan, dir, jobs, status));
    }

    /// Runs `plan`'s cells that `dir` lacks as an AWS Batch array job, in the background.
    pub fn start_batch(&mut self, plan: LoadedPlan, dir: PathBuf, config: connectors::batch::BatchConfig) {
        self.start(plan, dir, move |plan, dir, status| {
            batch::run(plan, dir, &config, batch::Follow::default(), status)
        });
    }

    fn start(
        &mut self,
        plan: LoadedPlan,
        dir: PathBuf,
        run: impl FnOnce(&LoadedPlan, &SweepDir, &SweepStatus) -> anyhow::Result<SweepReport> + Send + 'static,
    ) {
        let status = Arc::new(SweepStatus::new(plan.plan.cells()));
        status.say(format!("starting in {}", dir.display()));
        let (tx, rx) = channel();
        let shared = status.clone();
        let (plan_shown, digest) = (plan.plan.clone(), plan.digest.clone());
        std::thread::spawn(move || {
            let result = SweepDir::create(&dir, &plan)
                .and_then(|dir| run(&plan, &dir, &shared))
                .map_err(|e| format!("sweep {digest}: {e:#}"));
            let _ = tx.send(result);
        });
        self.plan = Some(plan_shown);
        self.status = Some(status);
        self.done = Some(rx);
        self.report = None;
        self.message = None;
    }

    /// Shows `status` as a sweep of `plan` under way, without running anything (what the grid would show).
    pub fn watch(&mut self, plan: SweepPlan, status: Arc<SweepStatus>) {
        self.plan = Some(plan);
        self.status = Some(status);
        self.done = None;
        self.report = None;
    }

    /// Shows a finished sweep's report (no grid: its cells are in the report).
    pub fn open_report(&mut self, report: SweepReport) {
        self.plan = None;
        self.status = None;
        self.done = None;
        self.report = Some(report);
    }

    /// Takes the report when the sweep's thread is done, and saves it in the history. Call every frame.
    pub fn poll(&mut self, history: Option<&History>) {
        if self.entries.is_none()
            && let Some(h) = history
        {
            self.entries = Some(h.list_sweeps().unwrap_or_default());
        }
        let Some(rx) = &self.done else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the sweep stopped unexpectedly".into()),
        };
        self.done = None;
        let cancelled = self.status.as_ref().is_some_and(|s| s.cancelled());
        match result {
            Ok(report) if cancelled => {
                self.message = Some(format!(
                    "cancelled: the report of the {} of {} cells done (run again to resume; not saved)",
                    report.done, report.cells
                ));
                self.report = Some(report);
            }
            Ok(report) => {
                self.message = match history {
                    Some(h) => match h.save_sweep(&report.scenario, &report) {
                        Ok(id) => {
                            self.entries = Some(h.list_sweeps().unwrap_or_default());
                            Some(format!("saved as sweep #{id}"))
                        }
                        Err(e) => Some(format!("not saved: {e:#}")),
                    },
                    None => Some("not saved: no history".into()),
                };
                self.report = Some(report);
            }
            Err(e) => {
                self.message = Some(e);
                self.status = None;
                self.plan = None;
            }
        }
    }

    /// Under the edit form: makes its edits a variant.
    pub fn add_edits_ui(&mut self, ui: &mut egui::Ui, edits: &[Edit]) {
        ui.horizontal(|ui| {
            let label = ui.label("variant name");
            ui.add(egui::TextEdit::singleline(&mut self.variant_name).desired_width(140.0).hint_text("variant 1"))
                .labelled_by(label.id);
            if ui.add_enabled(!edits.is_empty(), egui::Button::new("Add the edits above as a variant")).clicked() {
                let name = match self.variant_name.trim() {
                    "" => self.next_name(),
                    n => n.to_string(),
                };
                self.add(vec![Variant { name, edits: Edits { edits: edits.to_vec() } }]);
                self.variant_name.clear();
            }
        });
    }

    fn next_name(&self) -> String {
        (1..).map(|i| format!("variant {i}")).find(|n| !self.variants.iter().any(|v| &v.name == n)).unwrap_or_default()
    }

    /// Adds variants, unless a name is taken.
    fn add(&mut self, variants: Vec<Variant>) {
        if let Some(v) = variants.iter().find(|v| self.variants.iter().any(|w| w.name == v.name)) {
            self.message = Some(format!("there is a variant named {:?} already: each needs its own name", v.name));
            return;
        }
        self.message = None;
        self.variants.extend(variants);
    }

    /// The variants, and what adds more: an edits file, a range.
    pub fn variants_ui(&mut self, ui: &mut egui::Ui, snap: &Snapshot) {
        ui.strong(format!("Variants ({})", self.variants.len()));
        let mut remove = None;
        egui::ScrollArea::vertical().id_salt("sweep_variants").max_height(140.0).show(ui, |ui| {
            for (i, v) in self.variants.iter().enumerate() {
                ui.horizontal(|ui| {
                    if ui.small_button("Remove").on_hover_text(v.edits.to_toml()).clicked() {
                        remove = Some(i);
                    }
                    ui.label(format!("{} · {} edit(s)", v.name, v.edits.edits.len()));
                });
            }
        });
        if let Some(i) = remove {
            self.variants.remove(i);
        }
        if self.variants.is_empty() {
            ui.weak("None yet: add the edits on the left, an edits file, or a range.");
        }
        ui.horizontal(|ui| {
            if ui.button("Add variants from an edits file…").clicked()
                && let Some(paths) = rfd::FileDialog::new().add_filter("edits", &["toml"]).pick_files()
            {
                self.add_edits_files(&paths);
            }
            if !self.variants.is_empty() && ui.button("Clear variants").clicked() {
                self.variants.clear();
            }
        });
        ui.add_space(4.0);
        let r = &mut self.range;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Range:");
            egui::ComboBox::from_id_salt("sweep_range_kind")
                .selected_text(RANGE_KINDS[r.kind].0)
                .show_ui(ui, |ui| {
                    for (i, k) in RANGE_KINDS.iter().enumerate() {
                        if ui.selectable_value(&mut r.kind, i, k.0).clicked() {
                            r.name = k.1.into();
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            if r.kind == 0 {
                let label = ui.label("cluster");
                let clusters = snap.content.clusters.len().saturating_sub(1) as u32;
                ui.add(egui::DragValue::new(&mut r.cluster).range(0..=clusters)).labelled_by(label.id);
            }
        });
        let add = ui
            .horizontal(|ui| {
                let label = ui.label("name");
                ui.add(egui::TextEdit::singleline(&mut r.name).desired_width(90.0)).labelled_by(label.id);
                let label = ui.label("values");
                ui.add(egui::TextEdit::singleline(&mut r.values).desired_width(120.0).hint_text("0.5, 1, 2"))
                    .labelled_by(label.id);
                ui.button("Add range").clicked()
            })
            .inner;
        if add {
            match expand_range(&self.range) {
                Ok(v) => self.add(v),
                Err(e) => self.message = Some(e),
            }
        }
    }

    /// Each file is one variant, named after the file.
    fn add_edits_files(&mut self, paths: &[PathBuf]) {
        for path in paths {
            let name = path.display().to_string();
            let loaded = std::fs::read_to_string(path)
                .map_err(|e| format!("{name}: {e}"))
                .and_then(|text| Edits::parse(&name, &text).map_err(|e| e.to_string()));
            match loaded {
                Ok(edits) if edits.edits.is_empty() => {
                    self.message = Some(format!("{name}: no [[edit]] tables"));
                    return;
                }
                Ok(edits) => {
                    let stem = path.file_stem().map_or(name.clone(), |s| s.to_string_lossy().into_owned());
                    self.add(vec![Variant { name: stem, edits }]);
                }
                Err(e) => {
                    self.message = Some(e);
                    return;
                }
            }
        }
    }

    /// The horizon, seeds, objective, backend; run or cancel; progress; past sweeps.
    pub fn run_ui(&mut self, ui: &mut egui::Ui, snap: &Snapshot, history: Option<&History>) {
        ui.strong("Plan");
        ui.horizontal(|ui| {
            let label = ui.label("hours after the fork");
            ui.add(egui::DragValue::new(&mut self.hours).range(0.25..=168.0).speed(0.25)).labelled_by(label.id);
            let label = ui.label("seed pairs");
            ui.add(egui::DragValue::new(&mut self.seeds).range(1..=100)).labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label("rank by");
            egui::ComboBox::from_id_salt("sweep_objective")
                .selected_text(objective_text(self.objective))
                .show_ui(ui, |ui| {
                    for o in Objective::ALL {
                        ui.selectable_value(&mut self.objective, o, objective_text(o));
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.weak(format!(
            "fork at {} h (the console's hour), {} cell(s)",
            snap.time.minutes() / 60,
            twin::sweep::cell_count(self.seeds, self.variants.len())
        ));
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.backend, Backend::Local, "Local");
            let label = ui.label("workers");
            ui.add_enabled(self.backend == Backend::Local, egui::DragValue::new(&mut self.jobs).range(1..=64))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.backend, Backend::Batch, "AWS Batch");
            let enabled = self.backend == Backend::Batch;
            let label = ui.label("config");
            ui.add_enabled(enabled, egui::TextEdit::singleline(&mut self.batch_config).desired_width(110.0))
                .labelled_by(label.id);
            if ui.add_enabled(enabled, egui::Button::new("Pick…")).clicked()
                && let Some(path) = rfd::FileDialog::new().add_filter("Batch config", &["toml"]).pick_file()
            {
                self.batch_config = path.display().to_string();
            }
        });
        if let Some(status) = self.status.clone().filter(|_| self.under_way()) {
            let (done, failed, all) = status.counts();
            ui.horizontal(|ui| {
                let fraction = (done + failed) as f32 / all.max(1) as f32;
                ui.add(egui::ProgressBar::new(fraction).desired_width(200.0).show_percentage());
                if ui.button("Cancel").clicked() {
                    status.cancel();
                    status.say("cancelling…");
                    if self.done.is_none() {
                        // Only watched: nothing runs to stop.
                        (self.status, self.plan) = (None, None);
                    }
                }
            });
            ui.weak(format!("{done} done, {failed} failed of {all} cell(s) · {}", status.note()));
            if self.done.is_some() {
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
        } else if ui.add_enabled(!self.variants.is_empty(), egui::Button::new("Run sweep")).clicked() {
            self.run(snap);
        }
        ui.add_space(8.0);
        self.history_ui(ui, history);
    }

    fn run(&mut self, snap: &Snapshot) {
        let plan = match self.build_plan(snap) {
            Ok(p) => p,
            Err(e) => {
                self.message = Some(format!("{e:#}"));
                return;
            }
        };
        let dir = self.folder(&plan);
        match self.backend {
            Backend::Local => self.start_local(plan, dir, self.jobs),
            Backend::Batch => match connectors::batch::BatchConfig::load(Path::new(&self.batch_config)) {
                Ok(config) => self.start_batch(plan, dir, config),
                Err(e) => self.message = Some(e.to_string()),
            },
        }
    }

    fn history_ui(&mut self, ui: &mut egui::Ui, history: Option<&History>) {
        ui.strong("Past sweeps");
        let Some(h) = history else {
            ui.weak("No history (see the Compare tab).");
            return;
        };
        let entries = self.entries.as_deref().unwrap_or_default();
        if entries.is_empty() {
            ui.weak("No saved sweep yet.");
            return;
        }
        let mut open = None;
        egui::ScrollArea::vertical().id_salt("sweep_history").max_height(110.0).show(ui, |ui| {
            for e in entries {
                ui.horizontal(|ui| {
                    if ui.small_button(format!("Open sweep #{}", e.id)).on_hover_text(&e.saved_utc).clicked() {
                        open = Some(e.id);
                    }
                    ui.add(egui::Label::new(&e.title).truncate());
                });
            }
        });
        if let Some(id) = open {
            match h.load_sweep(id) {
                Ok(r) => {
                    self.open_report(r);
                    self.message = None;
                }
                Err(e) => self.message = Some(format!("{e:#}")),
            }
        }
    }

    /// The message, the cells' grid, and the report: returns a variant to open as a comparison.
    pub fn results_ui(&mut self, ui: &mut egui::Ui) -> Option<Report> {
        if let Some(m) = &self.message {
            ui.colored_label(WARN, m);
        }
        if let (Some(plan), Some(status)) = (&self.plan, &self.status) {
            ui.separator();
            cell_grid(ui, plan, status, self.under_way());
        }
        ui.separator();
        match &self.report {
            Some(r) => show_report(ui, r),
            None if self.under_way() => {
                ui.weak("The ranking shows when every cell is in.");
                None
            }
            None => {
                ui.weak("No sweep yet: add variants, then Run sweep.");
                None
            }
        }
    }
}

/// A range's variants, expanded by the twin's own `[[range]]` (so names and values read as a plan file's).
pub fn expand_range(r: &RangeDraft) -> Result<Vec<Variant>, String> {
    let (_, kind, field) = RANGE_KINDS[r.kind.min(RANGE_KINDS.len() - 1)];
    let values = (r.values.split(',').map(str::trim).filter(|v| !v.is_empty()))
        .map(|v| v.parse::<f64>().map(toml::Value::Float).map_err(|_| format!("range: {v:?} is not a number")))
        .collect::<Result<Vec<_>, _>>()?;
    if values.is_empty() {
        return Err("range: give values, such as 0.5, 1, 2".into());
    }
    let mut range = toml::Table::new();
    range.insert("name".into(), r.name.trim().into());
    range.insert("field".into(), field.into());
    range.insert("values".into(), toml::Value::Array(values));
    range.insert("kind".into(), kind.into());
    if kind == "disk" {
        range.insert("cluster".into(), i64::from(r.cluster).into());
    }
    twin::sweep::range(range)
}

fn objective_text(o: Objective) -> String {
    let (name, unit) = FIGURES[o.figure()];
    format!("{name} ({unit}, {} is better)", if o.higher_is_better() { "higher" } else { "lower" })
}

/// One square per cell: rows are seed pairs, columns the base and then each variant.
fn cell_grid(ui: &mut egui::Ui, plan: &SweepPlan, status: &SweepStatus, under_way: bool) {
    let states = status.states();
    let columns = plan.variants.len() + 1;
    let rows = plan.seeds as usize;
    ui.horizontal(|ui| {
        ui.strong(format!("Cells: {} seed pair(s) × the base and {} variant(s)", rows, plan.variants.len()));
        for (color, name) in [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")] {
            let (rect, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, color);
            ui.label(name);
        }
    });
    let side = match (columns, rows) {
        (c, r) if c > 40 || r > 20 => 8.0,
        (c, r) if c > 20 || r > 10 => 14.0,
        _ => 18.0,
    };
    let gap = 3.0;
    egui::ScrollArea::both().id_salt("sweep_cells").max_height(160.0).max_width(ui.available_width()).show(ui, |ui| {
        let size = Vec2::new(columns as f32 * (side + gap), rows as f32 * (side + gap));
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        for (i, state) in states.iter().enumerate() {
            let (row, column) = (i / columns, i % columns);
            let min = rect.min + Vec2::new(column as f32 * (side + gap), row as f32 * (side + gap));
            let square = egui::Rect::from_min_size(min, Vec2::splat(side));
            let color = match state {
                CellState::Queued => QUEUED,
                CellState::Running => RUNNING,
                CellState::Done => DONE,
                CellState::Failed(_) => FAILED,
            };
            painter.rect_filled(square, 2.0, color);
            if column == 0 {
                painter.rect_stroke(square, 2.0, Stroke::new(1.0, Color32::WHITE), egui::StrokeKind::Outside);
            }
        }
        if let Some(pos) = response.hover_pos() {
            let offset = pos - rect.min;
            let (column, row) = ((offset.x / (side + gap)) as usize, (offset.y / (side + gap)) as usize);
            let index = row * columns + column;
            if column < columns
                && let (Some(state), Ok(cell)) = (states.get(index), plan.cell(index as u32))
            {
                let what = match state {
                    CellState::Queued => "queued".to_string(),
                    CellState::Running => "running".to_string(),
                    CellState::Done => "done".to_string(),
                    CellState::Failed(why) => format!("failed: {why}"),
                };
                response.on_hover_text_at_pointer(format!(
                    "cell {index}: {} on seed pair {}\n{what}",
                    plan.cell_name(cell),
                    cell.seed
                ));
            }
        }
    });
    ui.weak("A white edge marks each seed pair's base.");
    // While it runs, the failures as they come; once done, the report lists them.
    if under_way {
        let failed: Vec<(usize, &str)> = (states.iter().enumerate())
            .filter_map(|(i, s)| match s {
                CellState::Failed(why) => Some((i, why.as_str())),
                _ => None,
            })
            .collect();
        failed_list(ui, plan, failed.iter().map(|&(i, why)| (i as u32, why)));
    }
}

fn failed_list<'a>(ui: &mut egui::Ui, plan: &SweepPlan, failed: impl Iterator<Item = (u32, &'a str)>) {
    for (index, why) in failed {
        let Ok(cell) = plan.cell(index) else { continue };
        ui.colored_label(
            FAILED,
            format!("cell {index} ({}, seed pair {}) failed: {why}", plan.cell_name(cell), cell.seed),
        );
    }
}

/// The ranking, the forest plot and the cells that failed or are missing; a variant to open, if asked.
fn show_report(ui: &mut egui::Ui, r: &SweepReport) -> Option<Report> {
    let figure = r.objective.figure();
    let (name, unit) = FIGURES[figure];
    ui.strong(&r.title);
    ui.weak(format!(
        "sweep {} · {} of {} cells done · ranked by {name}, {} is better",
        r.sweep,
        r.done,
        r.cells,
        if r.objective.higher_is_better() { "higher" } else { "lower" }
    ));
    let mut open = None;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(660.0);
            open = ranking_table(ui, r, name, unit);
        });
        ui.add_space(12.0);
        ui.vertical(|ui| {
            ui.label(format!("Forest plot: Δ {name} ({unit}) of each variant with its 95% paired interval"));
            forest_plot(ui, r, name, unit);
        });
    });
    for (title, cells) in [("failed", &r.failed), ("missing", &r.missing)] {
        if cells.is_empty() {
            continue;
        }
        ui.strong(format!("{} cell(s) {title}", cells.len()));
        for c in cells {
            ui.colored_label(
                if title == "failed" { FAILED } else { QUEUED },
                format!("cell {} ({}, seed pair {}) {title}: {}", c.index, c.variant, c.seed_pair, c.reason),
            );
        }
    }
    open.map(|v| comparison(r, &r.variants[v]))
}

fn ranking_table(ui: &mut egui::Ui, r: &SweepReport, name: &str, unit: &str) -> Option<usize> {
    let figure = r.objective.figure();
    let delta_head = format!("Δ {name} ({unit})");
    let head = ["rank", "variant", "pairs", delta_head.as_str(), "95% paired", "95% unpaired", "significant", ""];
    let interval = |h: Option<f64>| h.map_or("–".to_string(), |h| format!("±{h:.3}"));
    let mut open = None;
    egui::Grid::new("sweep_ranking").striped(true).num_columns(head.len()).show(ui, |ui| {
        for h in head {
            ui.strong(h);
        }
        ui.end_row();
        let unranked = (0..r.variants.len()).filter(|v| !r.ranking.contains(v));
        for v in r.ranking.iter().copied().chain(unranked) {
            let variant = &r.variants[v];
            ui.label(variant.rank.map_or("–".into(), |n| n.to_string()));
            ui.label(&variant.name).on_hover_text(&variant.edits);
            ui.label(variant.pairs.to_string());
            match variant.deltas.get(figure) {
                Some(d) => {
                    ui.label(format!("{:+.3}", d.delta));
                    ui.label(interval(d.interval));
                    ui.label(interval(variant.unpaired_interval));
                    ui.label(if variant.significant { "yes" } else { "no" });
                    if ui.small_button("Open as comparison").clicked() {
                        open = Some(v);
                    }
                }
                None => {
                    for _ in 0..3 {
                        ui.label("–");
                    }
                    ui.weak("no pair done");
                }
            }
            ui.end_row();
        }
    });
    open
}

/// One row per ranked variant (the best at the top): a point at its delta, a line across its interval, and
/// a vertical line at zero.
fn forest_plot(ui: &mut egui::Ui, r: &SweepReport, name: &str, unit: &str) {
    let figure = r.objective.figure();
    let rows: Vec<(&VariantResult, f64)> =
        (r.ranking.iter().enumerate()).map(|(place, &v)| (&r.variants[v], (r.ranking.len() - place) as f64)).collect();
    let names: Vec<(f64, String)> = rows.iter().map(|(v, y)| (*y, v.name.clone())).collect();
    let better = |d: f64| if r.objective.higher_is_better() { d > 0.0 } else { d < 0.0 };
    let height = (60.0 + 30.0 * rows.len() as f32).min(360.0);
    let y_axis = AxisHints::new_y().min_thickness(110.0).formatter(move |mark: GridMark, _| {
        names.iter().find(|(y, _)| (y - mark.value).abs() < 1e-6).map_or(String::new(), |(_, n)| n.clone())
    });
    Plot::new("sweep_forest")
        .width((ui.available_width() - 130.0).clamp(200.0, 520.0))
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show_grid([true, false])
        .include_x(0.0)
        .include_y(0.4)
        .include_y(rows.len() as f64 + 0.6)
        .custom_y_axes(vec![y_axis])
        .y_grid_spacer(|input| {
            let (lo, hi) = input.bounds;
            (lo.ceil() as i64..=hi.floor() as i64).map(|y| GridMark { value: y as f64, step_size: 1.0 }).collect()
        })
        .x_axis_label(format!("Δ {name} ({unit}) against the base"))
        .show(ui, |p| {
            p.vline(VLine::new("zero", 0.0).color(Color32::from_gray(160)));
            for (v, y) in &rows {
                let Some(d) = v.deltas.get(figure) else { continue };
                let color = match (v.significant, better(d.delta)) {
                    (true, true) => DONE,
                    (true, false) => FAILED,
                    _ => Color32::from_gray(190),
                };
                if let Some(h) = d.interval {
                    let points: PlotPoints = vec![[d.delta - h, *y], [d.delta + h, *y]].into();
                    p.line(Line::new(v.name.clone(), points).color(color).width(2.0));
                }
                p.points(Points::new(v.name.clone(), vec![[d.delta, *y]]).color(color).radius(4.0).filled(true));
            }
        });
}

/// A variant of a sweep, as an ordinary comparison: its deltas and regions against the base (a sweep keeps
/// no time series or per-site figures).
pub fn comparison(r: &SweepReport, v: &VariantResult) -> Report {
    Report {
        title: format!(
            "{} · variant {} of sweep {} · at {} h · {} h after the fork · {} seed pair(s)",
            r.scenario, v.name, r.sweep, r.at_hours, r.hours, v.pairs
        ),
        edits: v.edits.clone(),
        at_hours: r.at_hours,
        hours: r.hours,
        seeds: v.pairs,
        wall_s: 0.0,
        deltas: v.deltas.clone(),
        regions: v.regions.clone(),
        sites: Vec::new(),
        base_series: Vec::new(),
        branch_series: Vec::new(),
    }
}
