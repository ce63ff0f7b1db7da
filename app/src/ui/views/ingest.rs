//! Ingest view: the studio's deliveries as jobs on the function pool. The pool's concurrency in use, its cold
//! starts, retries and cost; an "Ingest title" form that delivers a title to the running twin; every job with a
//! progress bar per stage and its state (or why it failed); the picked job's timeline, a bar per stage on the
//! job's own clock; and the origin buckets' objects and bytes.

use egui::{Color32, ProgressBar, RichText, Sense, Stroke, vec2};
use twin::Command;
use twin::ingest::{Delivery, IngestSnapshot, Job, JobState, Ladder, STAGES, Source};

use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};

pub const VIEW: ViewSpec = ViewSpec::of::<IngestView>(ViewId::new("ingest"), "Ingest");

/// Source pictures the form offers.
const RESOLUTIONS: [(u32, u32); 4] = [(3840, 2160), (2560, 1440), (1920, 1080), (1280, 720)];

/// The delivery being written in the form, and the job whose timeline is shown.
#[derive(Default)]
pub struct IngestView {
    pub form: Form,
    pub picked: Option<u32>,
    delivered: u32,
}

/// The "Ingest title" form.
#[derive(Clone, Debug)]
pub struct Form {
    pub title: String,
    pub episode: Option<(u16, u16)>,
    pub minutes: f64,
    pub resolution: usize,
    pub fps: f64,
    pub source_mbps: f64,
    pub complexity: f64,
    pub ladder: Ladder,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            title: String::new(),
            episode: None,
            minutes: 100.0,
            resolution: 0,
            fps: 24.0,
            source_mbps: 200.0,
            complexity: 1.0,
            ladder: Ladder::PerTitle,
        }
    }
}

impl View for IngestView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snapshot = ctx.snapshot();
        let ingest = &snapshot.ingest;
        ui.heading("Ingest");
        pool(ui, ingest);
        ui.separator();
        self.form(ui, ctx, snapshot.time.seconds() as i64);
        ui.separator();
        if ingest.jobs.is_empty() {
            ui.weak("No deliveries yet: ingest a title above.");
        } else {
            self.jobs(ui, ingest);
            let picked = self.picked.and_then(|id| ingest.jobs.get(id as usize)).or(ingest.jobs.last());
            if let Some(job) = picked {
                ui.separator();
                timeline(ui, job, snapshot.time.seconds() * 1000);
            }
        }
        ui.separator();
        ui.strong("Origin");
        egui::Grid::new("ingest_buckets").striped(true).show(ui, |ui| {
            for t in ["bucket", "objects", "GB", "PUTs", "GETs"] {
                ui.strong(t);
            }
            ui.end_row();
            for (name, b) in &ingest.buckets {
                ui.label(format!("s3://{name}"));
                ui.label(b.objects.to_string());
                ui.label(format!("{:.2}", b.bytes as f64 / 1e9));
                ui.label(b.puts.to_string());
                ui.label(b.gets.to_string());
                ui.end_row();
            }
        });
    }
}

fn pool(ui: &mut egui::Ui, ingest: &IngestSnapshot) {
    let p = &ingest.pool;
    ui.horizontal(|ui| {
        ui.label("Function pool");
        let share = p.running as f32 / p.concurrency.max(1) as f32;
        ui.add(
            ProgressBar::new(share)
                .desired_width(240.0)
                .text(format!("{} of {} functions running", p.running, p.concurrency)),
        );
        ui.label(format!(
            "{} queued · {} invocations · {} cold starts · {} retries · {} over the time limit · at most {} at once · \
             {:.0} GB-s · ${:.2}",
            p.queued,
            p.stats.invocations,
            p.stats.cold_starts,
            p.stats.retries,
            p.stats.timeouts,
            p.stats.peak_running,
            p.stats.billed_gb_s,
            p.stats.cost_usd
        ));
    });
}

impl IngestView {
    fn form(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, now_s: i64) {
        let f = &mut self.form;
        ui.strong("Ingest title");
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("title");
            ui.add(egui::TextEdit::singleline(&mut f.title).hint_text("New title").desired_width(160.0))
                .labelled_by(label.id);
            let mut series = f.episode.is_some();
            ui.checkbox(&mut series, "episode");
            match (series, f.episode) {
                (true, None) => f.episode = Some((1, 1)),
                (false, Some(_)) => f.episode = None,
                _ => {}
            }
            if let Some((season, episode)) = &mut f.episode {
                let label = ui.label("season");
                ui.add(egui::DragValue::new(season).range(1..=99)).labelled_by(label.id);
                let label = ui.label("episode");
                ui.add(egui::DragValue::new(episode).range(1..=999)).labelled_by(label.id);
            }
            let label = ui.label("minutes");
            ui.add(egui::DragValue::new(&mut f.minutes).range(1.0..=720.0).speed(1.0)).labelled_by(label.id);
            let (w, h) = RESOLUTIONS[f.resolution];
            egui::ComboBox::from_label("source").selected_text(format!("{w}x{h}")).show_ui(ui, |ui| {
                for (i, (w, h)) in RESOLUTIONS.iter().enumerate() {
                    ui.selectable_value(&mut f.resolution, i, format!("{w}x{h}"));
                }
            });
            let label = ui.label("fps");
            ui.add(egui::DragValue::new(&mut f.fps).range(1.0..=120.0)).labelled_by(label.id);
            let label = ui.label("source Mbps");
            ui.add(egui::DragValue::new(&mut f.source_mbps).range(0.1..=2000.0).speed(1.0)).labelled_by(label.id);
            let label = ui.label("complexity");
            ui.add(egui::Slider::new(&mut f.complexity, 0.3..=1.5)).labelled_by(label.id);
            ui.label("ladder");
            ui.radio_value(&mut f.ladder, Ladder::Fixed, "fixed");
            ui.radio_value(&mut f.ladder, Ladder::PerTitle, "per-title");
            ui.label("engine: modelled");
            if ui.button("Deliver").clicked() {
                self.delivered += 1;
                let title = match f.title.trim() {
                    "" => format!("New title {}", self.delivered),
                    t => t.to_string(),
                };
                let duration_s = (f.minutes * 60.0).round() as u32;
                let delivery = Delivery {
                    title,
                    episode: f.episode,
                    genre: "drama".into(),
                    duration_s,
                    regions: Vec::new(),
                    release_s: now_s,
                    source: Source {
                        bytes: (f.source_mbps * 125_000.0 * duration_s as f64) as u64,
                        width: w,
                        height: h,
                        fps: f.fps,
                        complexity: f.complexity,
                    },
                };
                ctx.send(Command::Ingest { delivery, ladder: f.ladder });
                self.picked = None;
            }
        });
    }

    fn jobs(&mut self, ui: &mut egui::Ui, ingest: &IngestSnapshot) {
        egui::ScrollArea::vertical().id_salt("ingest_jobs").max_height(260.0).show(ui, |ui| {
            egui::Grid::new("ingest_jobs_grid").striped(true).show(ui, |ui| {
                ui.strong("job");
                ui.strong("title");
                for stage in STAGES {
                    ui.strong(stage.name());
                }
                ui.strong("state");
                ui.end_row();
                for job in ingest.jobs.iter().rev() {
                    let label = format!("#{}", job.id + 1);
                    if ui.selectable_label(self.picked == Some(job.id), label).clicked() {
                        self.picked = Some(job.id);
                    }
                    ui.label(title_of(job));
                    for stage in STAGES {
                        let span = job.timeline.iter().find(|s| s.stage == stage);
                        let (share, text) = match span {
                            Some(s) => (s.done as f32 / s.tasks.max(1) as f32, format!("{}/{}", s.done, s.tasks)),
                            None => (0.0, String::new()),
                        };
                        ui.add(ProgressBar::new(share).desired_width(70.0).text(text));
                    }
                    match &job.state {
                        JobState::Running => ui.label(format!("{} …", job.stage().map_or("queued", |s| s.name()))),
                        JobState::Done { at_ms } => ui.label(format!(
                            "done in {} · {} renditions · {:.1} GB",
                            duration(at_ms - job.submitted_ms),
                            job.renditions.len(),
                            job.stored_bytes() as f64 / 1e9
                        )),
                        JobState::Failed { stage, reason, .. } => ui
                            .label(
                                RichText::new(format!("failed in {} (why: below)", stage.name()))
                                    .color(ui.visuals().error_fg_color),
                            )
                            .on_hover_text(reason),
                    };
                    ui.end_row();
                }
            });
        });
    }
}

fn title_of(job: &Job) -> String {
    match job.delivery.episode {
        Some((s, e)) => format!("{} S{s:02}E{e:02}", job.delivery.title),
        None => job.delivery.title.clone(),
    }
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 { format!("{}h{:02}m", s / 3600, s / 60 % 60) } else { format!("{}m{:02}s", s / 60, s % 60) }
}

/// A job's stages on its own clock: a bar each, from its start to its end (or now, while it runs).
fn timeline(ui: &mut egui::Ui, job: &Job, now_ms: u64) {
    ui.strong(format!("Timeline of #{} {}", job.id + 1, title_of(job)));
    let end_ms = match job.state {
        JobState::Done { at_ms } | JobState::Failed { at_ms, .. } => at_ms,
        JobState::Running => now_ms.max(job.submitted_ms + 1),
    };
    let span_ms = (end_ms - job.submitted_ms).max(1) as f32;
    let width = (ui.available_width() - 200.0).max(200.0);
    for stage in STAGES {
        ui.horizontal(|ui| {
            ui.add_sized([90.0, 16.0], egui::Label::new(stage.name()));
            let (rect, _) = ui.allocate_exact_size(vec2(width, 14.0), Sense::hover());
            ui.painter().rect_stroke(rect, 2.0, Stroke::new(1.0, Color32::from_gray(70)), egui::StrokeKind::Inside);
            let Some(s) = job.timeline.iter().find(|s| s.stage == stage) else { return };
            let x = |ms: u64| rect.left() + width * (ms.saturating_sub(job.submitted_ms)) as f32 / span_ms;
            let stop = s.end_ms.unwrap_or(end_ms);
            let color = match &job.state {
                JobState::Failed { stage: at, .. } if *at == stage => ui.visuals().error_fg_color,
                _ if s.end_ms.is_none() => Color32::from_rgb(240, 180, 60),
                _ => Color32::from_rgb(70, 150, 220),
            };
            let bar = egui::Rect::from_x_y_ranges(x(s.start_ms)..=x(stop).max(x(s.start_ms) + 2.0), rect.y_range());
            ui.painter().rect_filled(bar, 2.0, color);
            ui.label(format!("{} – {}", duration(s.start_ms - job.submitted_ms), duration(stop - job.submitted_ms)));
        });
    }
    if let JobState::Failed { stage, reason, .. } = &job.state {
        let text = RichText::new(format!("failed in {}: {reason}", stage.name())).color(ui.visuals().error_fg_color);
        ui.add(egui::Label::new(text).wrap());
    }
}
