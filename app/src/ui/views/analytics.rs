//! Analytics view: viewing events, recorded from the running twin into a SQLite store (or a past run's store
//! opened from disk), and what they say. The QoE table by the Mux / CTA-2066 definitions, named; drop-off
//! curves (all titles, and the titles with the most sessions, overlaid); a completion ranking whose titles open
//! their placement; weekday and weekend starts of movies and shows; the device mix; browsing and the most
//! searched titles; nightly training's last run per region and the titles its plans moved up; and the
//! predictor's error over days. Queries run on a thread of their own, every few seconds while recording, so the console stays
//! responsive.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use egui::Color32;
use egui_plot::{Legend, Line, Plot, PlotPoints};
use twin::Snapshot;

use crate::store::analytics::{self, Summary};
use crate::store::events as events_store;
use crate::ui::control::Control;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::state::AutoRecord;

pub const VIEW: ViewSpec = ViewSpec::of::<AnalyticsView>(ViewId::new("analytics"), "Analytics");

/// How often the summary is read again while events are recorded.
const REFRESH: Duration = Duration::from_secs(5);
/// Titles whose drop-off curves are drawn, and ranked.
const TOP_TITLES: usize = 6;

pub struct AnalyticsView {
    /// Share of members whose events are recorded when the operator starts a recording.
    pub sample: f64,
    /// A past run's store, opened to look at (when not recording).
    opened: Option<PathBuf>,
    pub summary: Option<Summary>,
    loading: Option<Receiver<Result<Summary, String>>>,
    last_load: Option<Instant>,
    /// The committed count the summary on show was read at.
    read_at: u64,
    pub message: Option<String>,
}

impl Default for AnalyticsView {
    fn default() -> Self {
        AnalyticsView {
            sample: AutoRecord::DEFAULT_SAMPLE,
            opened: None,
            summary: None,
            loading: None,
            last_load: None,
            read_at: 0,
            message: None,
        }
    }
}

impl View for AnalyticsView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snap = ctx.snapshot();
        ui.heading("Analytics");
        self.controls(ui, ctx);
        self.poll(ctx);
        if let Some(m) = &self.message {
            ui.colored_label(Color32::from_rgb(230, 180, 90), m);
        }
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            match &self.summary {
                Some(s) => show(ui, ctx, s),
                None if ctx.published.recording.is_some() => {
                    ui.weak("No events yet: they show once the first are committed.");
                }
                None => {
                    ui.weak("No events yet: record events from the running twin, or open a run's events database.");
                }
            }
            prediction_errors(ui, snap);
        });
    }
}

impl AnalyticsView {
    fn controls(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let recording = ctx.published.recording.clone();
        ui.horizontal(|ui| match &recording {
            Some(r) => {
                let name = r.path.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned());
                ui.label(format!(
                    "Recording {:.0}% of members into {name}: {} events, {} committed",
                    100.0 * r.sample,
                    r.taken,
                    r.written
                ))
                .on_hover_text(r.path.display().to_string());
                if ui
                    .button("Stop recording")
                    .on_hover_text("Stop, and record no more (nor after a reset) until you record again")
                    .clicked()
                {
                    ctx.send(Control::Record(None));
                }
                if ui.button("Refresh").clicked() {
                    self.load(r.path.clone(), r.written);
                }
            }
            None => {
                ui.label("Not recording.");
                let label = ui.label("members sampled %");
                let mut pct = 100.0 * self.sample;
                ui.add(egui::DragValue::new(&mut pct).range(0.1..=100.0).speed(0.5)).labelled_by(label.id);
                self.sample = pct / 100.0;
                if ui
                    .button("Record events")
                    .on_hover_text("Record from now, and from every later start of the twin")
                    .clicked()
                {
                    ctx.send(Control::Record(Some(self.sample)));
                    (self.summary, self.opened, self.message) = (None, None, None);
                }
                if ui.button("Open events database…").clicked()
                    && let Some(path) = rfd::FileDialog::new().add_filter("events", &["db"]).pick_file()
                {
                    self.opened = Some(path.clone());
                    self.load(path, 0);
                }
                if let Some(path) = self.opened.clone()
                    && ui.button("Refresh").clicked()
                {
                    self.load(path, 0);
                }
            }
        });
        if recording.is_some() {
            ui.weak("The console records events from each start of the twin, in a new database each time.");
        }
    }

    /// Reads the summary of the store at `path` on a thread of its own.
    fn load(&mut self, path: PathBuf, written: u64) {
        if self.loading.is_some() {
            return;
        }
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let result = events_store::open(&path)
                .and_then(|conn| analytics::summary(&conn, &path, TOP_TITLES))
                .map_err(|e| format!("{e:#}"));
            let _ = tx.send(result);
        });
        (self.loading, self.last_load, self.read_at) = (Some(rx), Some(Instant::now()), written);
    }

    /// Takes a finished read; while recording, starts the next one every `REFRESH` once new events are in.
    fn poll(&mut self, ctx: &ViewCtx) {
        if let Some(rx) = &self.loading {
            match rx.try_recv() {
                Ok(Ok(s)) => (self.summary, self.loading, self.message) = (Some(s), None, None),
                Ok(Err(e)) => (self.message, self.loading) = (Some(e), None),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.loading = None,
            }
        }
        if let Some(r) = &ctx.published.recording {
            let due = self.last_load.is_none_or(|t| t.elapsed() >= REFRESH);
            if due && r.written > self.read_at {
                self.load(r.path.clone(), r.written);
            }
        }
    }
}

fn show(ui: &mut egui::Ui, ctx: &mut ViewCtx, s: &Summary) {
    let q = &s.qoe;
    let rate = s.sampling_rate;
    ui.label(format!(
        "{} · seed {} · {:.1}% of members sampled (counts scaled back ×{:.1})",
        s.scenario,
        s.seed,
        100.0 * rate,
        1.0 / rate
    ));
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.strong("QoE (Mux / CTA-2066 definitions)");
            let rows = [
                ("Play attempts", format!("{:.0}", q.attempts as f64 / rate)),
                ("Video startup time p50 / p95 (attempt to first frame)", format!("{:.0} / {:.0} ms", q.startup_p50_ms, q.startup_p95_ms)),
                ("Rebuffer percentage (÷ watch time, ended sessions)", format!("{:.3}%", q.rebuffer_pct)),
                ("Video start failures (÷ play attempts)", format!("{:.3}%", q.video_start_failure_pct)),
                ("Exits before video start (÷ play attempts)", format!("{:.3}%", q.exits_before_start_pct)),
                ("Playback failures (÷ video starts)", format!("{:.3}%", q.playback_failure_pct)),
                ("Completion (past 90% of the video, ÷ ended sessions)", format!("{:.1}%", s.completion_pct)),
                (
                    "Pauses / seeks back / forward per hour watched",
                    format!(
                        "{:.2} / {:.2} / {:.2}",
                        s.interactions_per_hour[0], s.interactions_per_hour[1], s.interactions_per_hour[2]
                    ),
                ),
            ];
            egui::Grid::new("analytics_qoe").striped(true).num_columns(2).show(ui, |ui| {
                for (k, v) in rows {
                    ui.label(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
            ui.add_space(8.0);
            ui.strong("Titles with the most ended sessions (click: its placement)");
            egui::Grid::new("analytics_titles").striped(true).num_columns(3).show(ui, |ui| {
                ui.label("title");
                ui.label("sessions");
                ui.label("completed");
                ui.end_row();
                for (t, name, n, done, _) in &s.titles {
                    title_link(ui, ctx, *t, name);
                    ui.label(format!("{:.0}", *n as f64 / rate));
                    ui.label(format!("{:.1}%", 100.0 * done));
                    ui.end_row();
                }
            });
        });
        ui.add_space(16.0);
        ui.vertical(|ui| {
            ui.strong("Drop-off: still watching at each tenth of the video");
            let curve = |c: &[f64; 11]| -> PlotPoints { c.iter().enumerate().map(|(i, v)| [10.0 * i as f64, 100.0 * v]).collect() };
            Plot::new("analytics_drop_off")
                .width(520.0)
                .height(230.0)
                .legend(Legend::default())
                .include_y(0.0)
                .include_y(100.0)
                .x_axis_label("% of the video")
                .y_axis_label("% still watching")
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .show(ui, |p| {
                    p.line(Line::new("all titles", curve(&s.drop_off)).color(Color32::WHITE).width(2.0));
                    for (_, name, _, _, c) in &s.titles {
                        p.line(Line::new(name.as_str(), curve(c)));
                    }
                });
            ui.add_space(8.0);
            ui.strong("Video starts");
            for (label, [shows, movies]) in ["weekdays", "weekends"].iter().zip(s.week) {
                let total = (shows + movies).max(1) as f64;
                if shows + movies > 0 {
                    ui.label(format!(
                        "{label} (UTC day): {:.0} · movies {:.1}% · shows {:.1}%",
                        (shows + movies) as f64 / rate,
                        100.0 * movies as f64 / total,
                        100.0 * shows as f64 / total
                    ));
                }
            }
            let starts = s.devices.iter().map(|d| d.1).sum::<u64>().max(1) as f32;
            for (name, n) in &s.devices {
                ui.horizontal(|ui| {
                    ui.add_sized([70.0, 16.0], egui::Label::new(name.as_str()));
                    ui.add(egui::ProgressBar::new(*n as f32 / starts).desired_width(260.0).text(format!(
                        "{:.1}%",
                        100.0 * *n as f32 / starts
                    )));
                });
            }
            ui.add_space(8.0);
            let g = &s.episode_gaps;
            let binges = g.bins.iter().sum::<u64>();
            ui.strong(format!("Time between episodes (same member, next episode; median {:.0} s)", g.median_s));
            for (name, n) in analytics::GAP_BIN_NAMES.iter().zip(g.bins) {
                ui.horizontal(|ui| {
                    ui.add_sized([70.0, 16.0], egui::Label::new(*name));
                    let share = n as f32 / binges.max(1) as f32;
                    ui.add(egui::ProgressBar::new(share).desired_width(260.0).text(format!("{:.1}%", 100.0 * share)));
                });
            }
            ui.add_space(8.0);
            ui.strong("Browsing and search");
            ui.label(format!(
                "{:.1} pages browsed per play attempt · a search before {:.1}% of attempts",
                s.pages_per_attempt, s.search_pct
            ));
            ui.horizontal_wrapped(|ui| {
                ui.label("Most searched:");
                for (t, name, n) in &s.searches {
                    title_link(ui, ctx, *t, name);
                    ui.weak(format!("{:.0}", *n as f64 / rate));
                }
            });
        });
    });
    training(ui, ctx, s);
}

/// A title's name that opens its placement.
fn title_link(ui: &mut egui::Ui, ctx: &mut ViewCtx, title: u32, name: &str) {
    if ui.link(name).clicked() {
        ctx.selection.title = Some(twin::catalog::TitleId(title));
        ctx.send(Control::ShowView(super::placement::VIEW.id));
    }
}

/// Nightly training's last run in each region (read from the store, planned with at once), and the titles its
/// plans gave the most copies.
fn training(ui: &mut egui::Ui, ctx: &mut ViewCtx, s: &Summary) {
    ui.add_space(8.0);
    ui.strong("Nightly training: the last run in each region (it reads the store; placement follows)");
    if s.training.is_empty() {
        ui.weak("Not run yet: training runs at each region's midnight, once a whole day is in the store.");
        return;
    }
    ui.horizontal_top(|ui| {
        egui::Grid::new("analytics_training").striped(true).num_columns(6).show(ui, |ui| {
            for h in ["region", "day read", "ran at", "days read", "took", "files up / down (copies)"] {
                ui.label(h);
            }
            ui.end_row();
            for (region, r) in &s.training {
                let (at, day) = s.training_times(r);
                ui.label(region);
                ui.label(day);
                ui.label(at);
                ui.label(format!("{} ({} rows)", r.days_read, r.rows_read));
                // A set width: the table keeps its columns however long a run took.
                ui.add_sized([64.0, ui.spacing().interact_size.y], egui::Label::new(format!("{:.0} ms", r.wall_ms)));
                ui.label(format!(
                    "{} up (+{}) / {} down (−{})",
                    r.files_up, r.copies_added, r.files_down, r.copies_removed
                ));
                ui.end_row();
            }
        });
        ui.add_space(16.0);
        egui::Grid::new("analytics_moves").striped(true).num_columns(3).show(ui, |ui| {
            ui.label("moved up (click: its placement)");
            ui.label("region");
            ui.label("copies added");
            ui.end_row();
            for m in &s.moves {
                title_link(ui, ctx, m.title, &m.name);
                ui.label(&m.region);
                ui.label(format!("+{}", m.copies_added));
                ui.end_row();
            }
        });
    });
}

/// The predictor's error on each observed day (it feeds placement): worldwide WAPE, and over the head.
fn prediction_errors(ui: &mut egui::Ui, snap: &Snapshot) {
    let errors = &snap.content.prediction_errors;
    ui.add_space(8.0);
    ui.strong("Prediction error over days (weighted absolute % error of next-day plays)");
    if errors.is_empty() {
        ui.weak("No day observed yet: the first comes at a region's midnight.");
        return;
    }
    let line = |f: fn(&twin::popularity::DayError) -> f64| -> PlotPoints {
        errors.iter().map(|e| [e.day as f64, 100.0 * f(e)]).collect()
    };
    Plot::new("analytics_prediction")
        .height(160.0)
        .legend(Legend::default())
        .include_y(0.0)
        .x_axis_label("day")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(Line::new("every video", line(|e| e.wape)));
            p.line(Line::new("the head (top tenth)", line(|e| e.head_wape)));
        });
}
