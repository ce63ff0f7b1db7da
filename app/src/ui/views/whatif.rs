//! What-if view: build a list of edits (by hand, from the picked site or title, or from an edits file), fork
//! the running twin at this moment, and run base and branch side by side in the background over a horizon and
//! a number of seed pairs, with progress and a cancel button; the live console keeps running. The result shows
//! overlaid time series of both branches, the delta table with 95% intervals, per-region deltas and a map of
//! each site's change in bytes served. Every comparison is saved in the what-if history (SQLite), and a past
//! one reopens from it without a rerun.
//!
//! Two tabs: Compare (the comparison above) and Sweep (`sweep_tab`: many variants over many seed pairs, ranked).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use chrono::Timelike;
use egui::{Color32, Pos2, Sense, Stroke, Vec2};
use egui_plot::{Legend, Line, Plot, PlotPoints};
use twin::region::REGIONS;
use twin::whatif::{self, Change, Delta, Edit, Edits, Point, Progress, Report};
use twin::{PlacementKind, Snapshot, Twin};

use super::sweep_tab::SweepTab;
use crate::store::whatif_history::{Entry, History};
use crate::ui::land;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::worker::Request;

pub const VIEW: ViewSpec = ViewSpec::of::<WhatifView>(ViewId::new("whatif"), "What-if");

/// The kinds of edit the form builds (an edits file may hold any kind).
const FORM_KINDS: [&str; 15] = [
    "take a site down",
    "bring a site up",
    "pin a title at a cluster",
    "exclude a title at a cluster",
    "switch a cluster's policy",
    "scale a cluster's disk",
    "fill a cluster now",
    "scale demand",
    "make a title trend in a region",
    "move the fill window",
    "scale the fill caps",
    "take an S3 origin region down",
    "evacuate a control-plane region",
    "scale a region's demand",
    "retire a site",
];

/// The edit being built in the form.
#[derive(Clone, Debug)]
struct Draft {
    kind: usize,
    at_hours: f64,
    site: u32,
    cluster: u32,
    title: u32,
    factor: f64,
    policy: PlacementKind,
    /// A control-plane region (index into the fleet's) or, for a trend, a demand region (into `REGIONS`).
    region: usize,
    start_hour: f64,
    hours: f64,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            kind: 0,
            at_hours: 0.0,
            site: 0,
            cluster: 0,
            title: 0,
            factor: 2.0,
            policy: PlacementKind::ALL[1],
            region: 0,
            start_hour: 2.0,
            hours: 8.0,
        }
    }
}

impl Draft {
    fn change(&self, snap: &Snapshot) -> Change {
        let cluster = Some(self.cluster);
        match self.kind {
            0 => Change::SiteDown { site: self.site },
            1 => Change::SiteUp { site: self.site },
            2 => Change::Pin { title: self.title, site: None, cluster },
            3 => Change::Exclude { title: self.title, site: None, cluster },
            4 => Change::Policy { policy: self.policy, site: None, cluster },
            5 => Change::Disk { factor: self.factor, cluster },
            6 => Change::FillNow { site: None, cluster },
            7 => Change::DemandScale { factor: self.factor, region: None },
            8 => Change::Surge {
                title: self.title,
                region: REGIONS.get(self.region).map_or("", |r| r.0).into(),
                factor: self.factor,
            },
            9 => Change::FillWindow { start_hour: Some(self.start_hour), hours: Some(self.hours) },
            10 => Change::FillCaps { factor: self.factor },
            11 => Change::OriginDown { region: snap.fleet.names.get(self.region).cloned().unwrap_or_default() },
            12 => Change::Evacuate { region: snap.fleet.names.get(self.region).cloned().unwrap_or_default() },
            14 => Change::RemoveSite { site: self.site },
            _ => Change::DemandScale {
                factor: self.factor,
                region: Some(REGIONS.get(self.region).map_or("", |r| r.0).into()),
            },
        }
    }
}

/// The view's two tabs: one comparison, or a sweep of many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Compare,
    Sweep,
}

/// A comparison under way: waiting for the fork, then running on its own thread.
struct Job {
    progress: Arc<Progress>,
    fork: Option<Receiver<Twin>>,
    done: Option<Receiver<Result<Option<Report>, String>>>,
    edits: Edits,
    hours: f64,
    seeds: u32,
    scenario: String,
    started: Instant,
}

pub struct WhatifView {
    pub tab: Tab,
    pub sweep: SweepTab,
    pub edits: Vec<Edit>,
    draft: Draft,
    pub hours: f64,
    pub seeds: u32,
    job: Option<Job>,
    /// The comparison on show: just run, or reopened from the history.
    pub report: Option<Report>,
    /// What went wrong last, or what just happened.
    pub message: Option<String>,
    /// The history's file (None: `History::default_path()`); opened at first use.
    pub history_path: Option<PathBuf>,
    history: Option<Result<History, String>>,
    entries: Vec<Entry>,
}

impl Default for WhatifView {
    fn default() -> Self {
        WhatifView {
            tab: Tab::Compare,
            sweep: SweepTab::default(),
            edits: Vec::new(),
            draft: Draft::default(),
            hours: 6.0,
            seeds: 1,
            job: None,
            report: None,
            message: None,
            history_path: None,
            history: None,
            entries: Vec::new(),
        }
    }
}

impl View for WhatifView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snap = ctx.snapshot();
        self.open_history();
        self.poll_job();
        let history = match &self.history {
            Some(Ok(h)) => Some(h),
            _ => None,
        };
        self.sweep.poll(history);
        ui.heading("What-if");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Compare, "Compare");
            ui.selectable_value(&mut self.tab, Tab::Sweep, "Sweep");
        });
        if self.tab == Tab::Sweep {
            self.sweep_ui(ui, ctx, snap);
            return;
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(520.0);
                    self.ready_questions(ui, snap);
                    ui.add_space(4.0);
                    self.edit_list(ui, ctx, snap);
                });
                ui.add_space(16.0);
                ui.vertical(|ui| {
                    self.run_controls(ui, ctx, snap);
                    ui.add_space(8.0);
                    self.history_list(ui);
                });
            });
            if let Some(m) = &self.message {
                ui.colored_label(Color32::from_rgb(230, 180, 90), m);
            }
            ui.separator();
            match &self.report {
                Some(r) => show_report(ui, r, snap),
                None => {
                    ui.weak("No comparison yet: add edits, then Run comparison.");
                }
            }
        });
    }
}

impl WhatifView {
    /// The Sweep tab: the edit form (its edits make a variant), the sweep's variants and plan, its cells and
    /// report. A variant opened as a comparison shows in the Compare tab.
    fn sweep_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, snap: &Snapshot) {
        let mut opened = None;
        egui::ScrollArea::vertical().id_salt("whatif_sweep").auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(500.0);
                    self.edit_list(ui, ctx, snap);
                    ui.add_space(4.0);
                    self.sweep.add_edits_ui(ui, &self.edits);
                });
                ui.add_space(16.0);
                ui.vertical(|ui| {
                    ui.set_width(370.0);
                    self.sweep.variants_ui(ui, snap);
                });
                ui.add_space(16.0);
                ui.vertical(|ui| {
                    ui.set_width(ui.available_width());
                    let history = match &self.history {
                        Some(Ok(h)) => Some(h),
                        _ => None,
                    };
                    self.sweep.run_ui(ui, snap, history);
                });
            });
            opened = self.sweep.results_ui(ui);
        });
        if let Some(report) = opened {
            self.message =
                Some("opened from a sweep: its deltas and regions (a sweep keeps no series or sites)".into());
            self.report = Some(report);
            self.tab = Tab::Compare;
        }
    }

    /// A few questions asked in one click, each filling the edit list with the running twin's own ids.
    fn ready_questions(&mut self, ui: &mut egui::Ui, snap: &Snapshot) {
        let mut asked = None;
        ui.horizontal_wrapped(|ui| {
            ui.label("Ready questions:");
            for (label, ask) in READY_QUESTIONS {
                if ui.button(label).clicked() {
                    asked = Some(ask(snap));
                }
            }
        });
        match asked {
            Some(Ok(q)) => {
                self.edits = q.edits;
                if let Some(h) = q.hours {
                    self.hours = self.hours.max(h);
                }
                self.message = Some(q.said);
            }
            Some(Err(e)) => self.message = Some(e),
            None => {}
        }
    }

    fn open_history(&mut self) {
        if self.history.is_none() {
            let path = self.history_path.clone().unwrap_or_else(History::default_path);
            let opened = History::open(&path).map_err(|e| format!("{e:#}"));
            if let Ok(h) = &opened {
                self.entries = h.list().unwrap_or_default();
            }
            self.history = Some(opened);
        }
    }

    /// The edits so far, the form that adds one, and quick edits from what is picked.
    fn edit_list(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, snap: &Snapshot) {
        ui.strong(format!("Edits ({})", self.edits.len()));
        let mut remove = None;
        for (i, e) in self.edits.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(format!("{:>5.1} h  {}", e.at_hours, describe(&e.change, snap)));
                if ui.small_button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            self.edits.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button("Load edits file…").clicked()
                && let Some(path) = rfd::FileDialog::new().add_filter("edits", &["toml"]).pick_file()
            {
                self.load_edits(&path);
            }
            if !self.edits.is_empty() && ui.button("Clear edits").clicked() {
                self.edits.clear();
            }
        });
        self.console_actions(ui, ctx, snap);
        ui.add_space(4.0);
        self.form(ui, snap);
        let picked = ctx.selection.site.map(|s| (s, snap.content.clusters.of(s)));
        if let Some((site, cluster)) = picked {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Picked {}:", snap.model.world.sites[site.0 as usize].name));
                let mut add = |change| self.edits.push(Edit { at_hours: 0.0, change });
                if ui.button("Take it down").clicked() {
                    add(Change::SiteDown { site: site.0 });
                }
                if ui.button("Double its cluster's disk").clicked() {
                    add(Change::Disk { factor: 2.0, cluster: Some(cluster.0) });
                    add(Change::FillNow { site: None, cluster: Some(cluster.0) });
                }
                if let Some(title) = ctx.selection.title
                    && ui
                        .button(format!("Pin {} in its cluster", snap.model.catalog.titles[title.0 as usize].name))
                        .clicked()
                {
                    add(Change::Pin { title: title.0, site: None, cluster: Some(cluster.0) });
                    add(Change::FillNow { site: None, cluster: Some(cluster.0) });
                }
            });
        } else {
            ui.weak("Pick a site on the map (and a title in Placement) for quick edits.");
        }
    }

    /// What the operator did by hand in the console, as edits: added to the list (the first at hour 0, the
    /// rest as far after it as they came), or saved as an edits file.
    fn console_actions(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, snap: &Snapshot) {
        let actions = &ctx.published.actions;
        if actions.is_empty() {
            return;
        }
        let first = actions[0].0.seconds();
        let recorded: Vec<Edit> = actions
            .iter()
            .flat_map(|(t, c)| {
                let at_hours = (t.seconds() - first) as f64 / 3600.0;
                Change::of_command(c, &snap.fleet.names).into_iter().map(move |change| Edit { at_hours, change })
            })
            .collect();
        ui.horizontal(|ui| {
            ui.label(format!("{} action(s) made in the console:", actions.len()));
            if ui.button("Add them as edits").clicked() {
                self.edits.extend(recorded.iter().cloned());
            }
            if ui.button("Save as edits file…").clicked()
                && let Some(path) =
                    rfd::FileDialog::new().add_filter("edits", &["toml"]).set_file_name("edits.toml").save_file()
            {
                let text = Edits { edits: recorded }.to_toml();
                self.message = Some(match std::fs::write(&path, text) {
                    Ok(()) => format!("saved to {}", path.display()),
                    Err(e) => format!("{}: {e}", path.display()),
                });
            }
        });
    }

    fn form(&mut self, ui: &mut egui::Ui, snap: &Snapshot) {
        let d = &mut self.draft;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Add:");
            egui::ComboBox::from_id_salt("whatif_kind")
                .selected_text(FORM_KINDS[d.kind])
                .show_ui(ui, |ui| {
                    for (i, k) in FORM_KINDS.iter().enumerate() {
                        ui.selectable_value(&mut d.kind, i, *k);
                    }
                })
                .response
                .labelled_by(label.id);
            let sites = snap.model.world.sites.len().saturating_sub(1) as u32;
            let clusters = snap.content.clusters.len().saturating_sub(1) as u32;
            let catalog = &snap.model.catalog;
            let titles = (catalog.titles.len() - catalog.free_slots()).saturating_sub(1) as u32;
            let field = |ui: &mut egui::Ui, name: &str, value: &mut u32, max: u32| {
                let label = ui.label(name);
                ui.add(egui::DragValue::new(value).range(0..=max)).labelled_by(label.id);
            };
            match d.kind {
                0 | 1 | 14 => field(ui, "site", &mut d.site, sites),
                2 | 3 => {
                    field(ui, "title", &mut d.title, titles);
                    field(ui, "cluster", &mut d.cluster, clusters);
                }
                4 => {
                    field(ui, "cluster", &mut d.cluster, clusters);
                    let label = ui.label("policy");
                    egui::ComboBox::from_id_salt("whatif_policy")
                        .selected_text(d.policy.name())
                        .show_ui(ui, |ui| {
                            for k in PlacementKind::ALL {
                                ui.selectable_value(&mut d.policy, k, k.name());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                }
                5 | 7 | 8 | 10 | 13 => {
                    if d.kind == 5 {
                        field(ui, "cluster", &mut d.cluster, clusters);
                    }
                    if d.kind == 8 {
                        field(ui, "title", &mut d.title, titles);
                    }
                    if d.kind == 8 || d.kind == 13 {
                        let label = ui.label("region");
                        egui::ComboBox::from_id_salt("whatif_demand_region")
                            .selected_text(REGIONS.get(d.region).map_or("–", |r| r.1))
                            .show_ui(ui, |ui| {
                                for (i, r) in REGIONS.iter().enumerate() {
                                    ui.selectable_value(&mut d.region, i, r.1);
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    }
                    let label = ui.label("×");
                    ui.add(egui::DragValue::new(&mut d.factor).range(0.1..=100.0).speed(0.05)).labelled_by(label.id);
                }
                6 => field(ui, "cluster", &mut d.cluster, clusters),
                9 => {
                    let label = ui.label("opens at local hour");
                    ui.add(egui::DragValue::new(&mut d.start_hour).range(0.0..=23.75).speed(0.25))
                        .labelled_by(label.id);
                    let label = ui.label("for hours");
                    ui.add(egui::DragValue::new(&mut d.hours).range(0.25..=24.0).speed(0.25)).labelled_by(label.id);
                }
                _ => {
                    let label = ui.label("region");
                    egui::ComboBox::from_id_salt("whatif_region")
                        .selected_text(snap.fleet.names.get(d.region).map_or("–", |s| s.as_str()))
                        .show_ui(ui, |ui| {
                            for (i, n) in snap.fleet.names.iter().enumerate() {
                                ui.selectable_value(&mut d.region, i, n);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                }
            }
            let label = ui.label("at hour");
            ui.add(egui::DragValue::new(&mut d.at_hours).range(0.0..=168.0).speed(0.25)).labelled_by(label.id);
        });
        if ui.button("Add edit").clicked() {
            self.edits.push(Edit { at_hours: self.draft.at_hours, change: self.draft.change(snap) });
        }
    }

    fn load_edits(&mut self, path: &std::path::Path) {
        let name = path.display().to_string();
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|text| Edits::parse(&name, &text).map_err(|e| e.to_string()));
        match loaded {
            Ok(e) => {
                self.message = Some(format!("loaded {} edit(s) from {name}", e.edits.len()));
                self.edits.extend(e.edits);
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Horizon, seed pairs, run or cancel, and progress.
    fn run_controls(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, snap: &Snapshot) {
        ui.horizontal(|ui| {
            let label = ui.label("hours after now");
            ui.add(egui::DragValue::new(&mut self.hours).range(1.0..=168.0).speed(0.5)).labelled_by(label.id);
            let label = ui.label("seed pairs");
            ui.add(egui::DragValue::new(&mut self.seeds).range(1..=20)).labelled_by(label.id);
        });
        match &self.job {
            Some(job) => {
                ui.horizontal(|ui| {
                    ui.add(
                        egui::ProgressBar::new(job.progress.fraction() as f32).desired_width(260.0).show_percentage(),
                    );
                    if ui.button("Cancel").clicked() {
                        job.progress.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                });
                ui.weak(format!("base and branch, {} h from the fork, {} seed pair(s)…", job.hours, job.seeds));
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
            None => {
                let ready = !self.edits.is_empty();
                if ui.add_enabled(ready, egui::Button::new("Run comparison")).clicked() {
                    let (tx, rx) = channel();
                    ctx.send(Request::Fork(tx));
                    self.job = Some(Job {
                        progress: Arc::new(Progress::default()),
                        fork: Some(rx),
                        done: None,
                        edits: Edits { edits: self.edits.clone() },
                        hours: self.hours,
                        seeds: self.seeds,
                        scenario: snap.model.scenario.name.clone(),
                        started: Instant::now(),
                    });
                    self.message = None;
                }
            }
        }
    }

    /// Takes the fork once the worker sends it and starts the comparison; takes the report when it is done.
    fn poll_job(&mut self) {
        let Some(job) = &mut self.job else { return };
        if let Some(rx) = &job.fork {
            match rx.try_recv() {
                Ok(fork) => {
                    let (tx, done) = channel();
                    let (edits, hours, seeds, progress) =
                        (job.edits.clone(), job.hours, job.seeds, job.progress.clone());
                    let at = fork.now().minutes() as f64 / 60.0;
                    let title = format!(
                        "{} · {} edit(s) at {at:.1} h · {hours} h after the fork · {seeds} seed pair(s)",
                        job.scenario,
                        edits.edits.len()
                    );
                    let started = job.started;
                    std::thread::spawn(move || {
                        let result = whatif::run_pairs(&fork, &edits, hours, seeds, &progress)
                            .map(|pairs| {
                                pairs
                                    .map(|p| Report::new(title, &edits, at, hours, &p, started.elapsed().as_secs_f64()))
                            })
                            .map_err(|e| e.to_string());
                        let _ = tx.send(result);
                    });
                    job.fork = None;
                    job.done = Some(done);
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.message = Some("the twin did not hand over a fork (is it stopped?)".into());
                    self.job = None;
                    return;
                }
            }
        }
        let Some(done) = self.job.as_ref().and_then(|j| j.done.as_ref()) else { return };
        let result = match done.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the comparison stopped unexpectedly".into()),
        };
        let scenario = self.job.take().map(|j| j.scenario).unwrap_or_default();
        match result {
            Ok(Some(report)) => {
                self.message = match &self.history {
                    Some(Ok(h)) => match h.save(&scenario, &report) {
                        Ok(id) => {
                            self.entries = h.list().unwrap_or_default();
                            Some(format!("saved as comparison {id}"))
                        }
                        Err(e) => Some(format!("not saved: {e:#}")),
                    },
                    Some(Err(e)) => Some(format!("not saved (no history): {e}")),
                    None => None,
                };
                self.report = Some(report);
            }
            Ok(None) => self.message = Some("comparison cancelled".into()),
            Err(e) => self.message = Some(format!("comparison failed: {e}")),
        }
    }

    fn history_list(&mut self, ui: &mut egui::Ui) {
        ui.strong("History");
        match &self.history {
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(230, 120, 110), e);
                return;
            }
            Some(Ok(_)) if self.entries.is_empty() => {
                ui.weak("No saved comparison yet.");
                return;
            }
            _ => {}
        }
        let mut open = None;
        egui::ScrollArea::vertical().id_salt("whatif_history").max_height(120.0).show(ui, |ui| {
            for e in &self.entries {
                ui.horizontal(|ui| {
                    if ui.small_button(format!("Open #{}", e.id)).clicked() {
                        open = Some(e.id);
                    }
                    ui.label(format!("{} · Δ offload {:+.2} pts", e.title, e.offload_delta));
                });
            }
        });
        if let (Some(id), Some(Ok(h))) = (open, &self.history) {
            match h.load(id) {
                Ok(r) => self.report = Some(r),
                Err(e) => self.message = Some(format!("{e:#}")),
            }
        }
    }
}

/// A ready question: its edits, the horizon it needs (if longer than the one set), and what it asks in words.
struct Question {
    edits: Vec<Edit>,
    hours: Option<f64>,
    said: String,
}

type Ask = fn(&Snapshot) -> Result<Question, String>;
const READY_QUESTIONS: [(&str, Ask); 5] = [
    ("Busiest site down at peak", busiest_site_down),
    ("LRU everywhere", lru_everywhere),
    ("Tightest cluster's disk ×2", tightest_disk_doubled),
    ("Fill window 2 h later", fill_window_later),
    ("Busiest control-plane region evacuated", busiest_region_evacuated),
];

fn now(change: Change) -> Edit {
    Edit { at_hours: 0.0, change }
}

/// The site sending the most in the last minute, down at its metro's next peak hour (the demand curve's
/// highest local hour).
fn busiest_site_down(snap: &Snapshot) -> Result<Question, String> {
    let sites = &snap.sites;
    let site = (0..sites.len())
        .filter(|&s| sites[s].egress_gbps > 0.0)
        .max_by(|&a, &b| sites[a].egress_gbps.total_cmp(&sites[b].egress_gbps))
        .ok_or("no site is serving yet")?;
    let world = &snap.model.world;
    let curve = &snap.model.scenario.demand.daily_curve;
    let peak = (0..curve.len()).max_by(|&a, &b| curve[a].total_cmp(&curve[b])).unwrap_or(21) as i64;
    let local = snap.now_utc().with_timezone(&world.metros[world.sites[site].metro.0 as usize].tz);
    let minute = i64::from(local.hour() * 60 + local.minute());
    let at_hours = (peak * 60 - minute).rem_euclid(24 * 60) as f64 / 60.0;
    let name = &world.sites[site].name;
    Ok(Question {
        edits: vec![Edit { at_hours, change: Change::SiteDown { site: site as u32 } }],
        hours: Some((at_hours + 3.0).ceil()),
        said: format!(
            "Ready question: the busiest site, {name} ({:.1} Gbps), down at its {peak:02}:00 local peak, in {at_hours:.1} h",
            sites[site].egress_gbps
        ),
    })
}

fn lru_everywhere(_: &Snapshot) -> Result<Question, String> {
    let policy = PlacementKind::parse("lru").ok_or("the twin has no LRU policy")?;
    Ok(Question {
        edits: vec![now(Change::Policy { policy, site: None, cluster: None })],
        hours: None,
        said: "Ready question: every site on LRU from now".into(),
    })
}

/// The cluster whose disks are fullest (bytes held and replicas against its sites' disk), given twice the
/// disk and filled at once.
fn tightest_disk_doubled(snap: &Snapshot) -> Result<Question, String> {
    let clusters = &snap.content.clusters;
    let fullness = |c: &twin::placement::cluster::Cluster| {
        let (mut used, mut disk) = (0.0, 0.0);
        for &s in &c.sites {
            let plan = snap.content.site_plans[s.0 as usize].as_deref();
            used += (snap.placement.held_bytes(s) + plan.map_or(0, |m| m.replica_bytes)) as f64;
            disk += snap.model.world.sites[s.0 as usize].disk_bytes as f64;
        }
        if disk > 0.0 { used / disk } else { 0.0 }
    };
    let (c, full) = (clusters.list.iter().enumerate())
        .map(|(i, c)| (i, fullness(c)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or("the twin has no cluster")?;
    let cluster = Some(c as u32);
    Ok(Question {
        edits: vec![now(Change::Disk { factor: 2.0, cluster }), now(Change::FillNow { site: None, cluster })],
        hours: None,
        said: format!(
            "Ready question: the tightest cluster, {c} ({}, {:.0}% full), with twice the disk, filled now",
            clusters.list[c].name,
            100.0 * full
        ),
    })
}

fn fill_window_later(snap: &Snapshot) -> Result<Question, String> {
    let f = &snap.content.fill_spec;
    let start = (f.window_start_hour + f.window_shift_hours).rem_euclid(24.0);
    let later = (start + 2.0).rem_euclid(24.0);
    Ok(Question {
        edits: vec![now(Change::FillWindow { start_hour: Some(later), hours: None })],
        hours: None,
        said: format!("Ready question: the fill window opening at {later:.2} local instead of {start:.2}"),
    })
}

/// The control-plane region with the most instances in service in the last minute (of those not evacuated).
fn busiest_region_evacuated(snap: &Snapshot) -> Result<Question, String> {
    let fleet = &snap.fleet;
    let (r, instances) = (0..fleet.names.len())
        .filter(|&r| !fleet.evacuated.get(r).copied().unwrap_or(false))
        .filter_map(|r| fleet.history.get(r)?.last().map(|m| (r, m.in_service)))
        .max_by_key(|&(r, n)| (n, std::cmp::Reverse(r)))
        .ok_or("no control-plane region is in service")?;
    let region = fleet.names[r].clone();
    Ok(Question {
        said: format!("Ready question: {region} ({instances} instance(s) in service) evacuated now"),
        edits: vec![now(Change::Evacuate { region })],
        hours: None,
    })
}

/// A change in words, with the names of what it touches.
fn describe(c: &Change, snap: &Snapshot) -> String {
    let site = |s: u32| snap.model.world.sites.get(s as usize).map_or(format!("site {s}"), |x| x.name.clone());
    let title = |t: u32| snap.model.catalog.titles.get(t as usize).map_or(format!("title {t}"), |x| x.name.clone());
    let at = |s: &Option<u32>, c: &Option<u32>| match (s, c) {
        (Some(s), _) => format!("at {}", site(*s)),
        (_, Some(c)) => format!("in cluster {c}"),
        _ => "everywhere".into(),
    };
    match c {
        Change::SiteDown { site: s } => format!("take {} down", site(*s)),
        Change::SiteUp { site: s } => format!("bring {} up", site(*s)),
        Change::RemoveSite { site: s } => format!("retire {}", site(*s)),
        Change::Pin { title: t, site: s, cluster } => format!("pin {} {}", title(*t), at(s, cluster)),
        Change::Exclude { title: t, site: s, cluster } => format!("exclude {} {}", title(*t), at(s, cluster)),
        Change::Unpin { title: t, site: s, cluster } => format!("clear {}'s rule {}", title(*t), at(s, cluster)),
        Change::Policy { policy, site: s, cluster } => format!("{} {}", policy.name(), at(s, cluster)),
        Change::Disk { factor, cluster } => format!("disk × {factor} {}", at(&None, cluster)),
        Change::FillNow { site: s, cluster } => format!("fill now {}", at(s, cluster)),
        Change::DemandScale { factor, region: None } => format!("demand × {factor}"),
        Change::DemandScale { factor, region: Some(r) } => format!("demand × {factor} in {r}"),
        Change::Surge { title: t, region, factor } => format!("{} × {factor} in {region}", title(*t)),
        Change::FillWindow { start_hour, hours } => format!(
            "fill window from {} for {} h",
            start_hour.map_or("its hour".into(), |h| format!("{h:.2} local")),
            hours.map_or("its".into(), |h| format!("{h:.2}"))
        ),
        Change::FillCaps { factor } => format!("fill caps × {factor}"),
        Change::OriginDown { region } => format!("S3 origin {region} down"),
        Change::OriginUp { region } => format!("S3 origin {region} up"),
        Change::Evacuate { region } => format!("evacuate {region}"),
        Change::Restore { region } => format!("restore {region}"),
        Change::KillInstances { region, count } => format!("kill {count} instance(s) in {region}"),
        Change::DesiredCapacity { region, desired } => format!("desired capacity {desired} in {region}"),
        Change::Scaling { region, .. } => format!("scaling policy of {region}"),
    }
}

const BASE: Color32 = Color32::from_rgb(140, 160, 190);
const BRANCH: Color32 = Color32::from_rgb(240, 170, 60);

fn show_report(ui: &mut egui::Ui, r: &Report, snap: &Snapshot) {
    ui.strong(&r.title);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(560.0);
            delta_table(ui, "whatif_deltas", &r.deltas, |d| format!("{} ({})", d.figure, d.unit));
        });
        ui.vertical(|ui| {
            let size = Vec2::new(ui.available_width().min(640.0), 300.0);
            delta_map(ui, r, snap, size);
            ui.horizontal(|ui| {
                for (i, (name, get)) in SERIES.iter().enumerate() {
                    if i == 2 {
                        break;
                    }
                    series_plot(ui, name, *get, r, size.x / 2.0 - 6.0);
                }
            });
            ui.horizontal(|ui| {
                for (name, get) in &SERIES[2..] {
                    series_plot(ui, name, *get, r, size.x / 2.0 - 6.0);
                }
            });
        });
    });
    ui.separator();
    ui.strong("Per region");
    let rows: Vec<Delta> = (r.regions.iter())
        .flat_map(|g| g.deltas.iter().map(move |d| Delta { figure: format!("{} {}", g.region, d.figure), ..d.clone() }))
        .collect();
    delta_table(ui, "whatif_regions", &rows, |d| format!("{} ({})", d.figure, d.unit));
}

type Get = fn(&Point) -> f64;
const SERIES: [(&str, Get); 4] = [
    ("offload %", |p| p.offload_pct),
    ("backbone Gbps", |p| p.backbone_gbps),
    ("startup p95 ms", |p| p.startup_p95_ms),
    ("control-plane instances", |p| p.instances),
];

fn series_plot(ui: &mut egui::Ui, name: &str, get: Get, r: &Report, width: f32) {
    let line = |series: &[Point]| -> PlotPoints { series.iter().map(|p| [p.hour, get(p)]).collect() };
    ui.vertical(|ui| {
        ui.label(name);
        Plot::new(("whatif_plot", name))
            .width(width)
            .height(130.0)
            .legend(Legend::default())
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_axis_label("hours after the fork")
            .show(ui, |p| {
                p.line(Line::new("base", line(&r.base_series)).color(BASE));
                p.line(Line::new("branch", line(&r.branch_series)).color(BRANCH));
            });
    });
}

fn delta_table(ui: &mut egui::Ui, id: &str, deltas: &[Delta], label: impl Fn(&Delta) -> String) {
    let head = ["figure", "base", "branch", "Δ", "Δ %", "± 95%"];
    egui::Grid::new(id).striped(true).num_columns(head.len()).show(ui, |ui| {
        for h in head {
            ui.strong(h);
        }
        ui.end_row();
        for d in deltas {
            ui.label(label(d));
            ui.label(format!("{:.3}", d.base));
            ui.label(format!("{:.3}", d.branch));
            let color = if d.delta == 0.0 { ui.visuals().weak_text_color() } else { ui.visuals().text_color() };
            ui.colored_label(color, format!("{:+.3}", d.delta));
            ui.label(d.pct().map_or("–".into(), |p| format!("{p:+.2}")));
            ui.label(d.interval.map_or("–".into(), |h| format!("±{h:.3}")));
            ui.end_row();
        }
    });
}

/// The world with each site as a dot: red where it served less in the branch, green where it served more,
/// its area by how many TB moved.
fn delta_map(ui: &mut egui::Ui, r: &Report, snap: &Snapshot, size: Vec2) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, land::OCEAN);
    let to_screen = |lon: f32, lat: f32| {
        Pos2::new(rect.left() + (lon + 180.0) / 360.0 * rect.width(), rect.top() + (85.0 - lat) / 150.0 * rect.height())
    };
    land::paint(&painter, false, to_screen, |_, _| true);
    let world = &snap.model.world;
    let most = r.sites.iter().map(|s| s.served.delta.abs()).fold(0.0, f64::max);
    for s in r.sites.iter().filter(|s| (s.site as usize) < world.sites.len()) {
        let metro = &world.metros[world.sites[s.site as usize].metro.0 as usize];
        let at = to_screen(metro.lon as f32, metro.lat as f32);
        let share = if most > 0.0 { (s.served.delta.abs() / most).sqrt() as f32 } else { 0.0 };
        let color = match s.served.delta {
            d if d < 0.0 => Color32::from_rgb(235, 90, 80),
            d if d > 0.0 => Color32::from_rgb(90, 200, 120),
            _ => Color32::from_gray(110),
        };
        painter.circle(at, 2.0 + 9.0 * share, color.gamma_multiply(0.85), Stroke::new(0.5, Color32::BLACK));
    }
    painter.text(
        rect.left_bottom() + Vec2::new(8.0, -8.0),
        egui::Align2::LEFT_BOTTOM,
        format!("bytes served per site, branch − base (largest {most:.2} TB): red less, green more"),
        egui::FontId::proportional(12.0),
        Color32::from_gray(200),
    );
}
