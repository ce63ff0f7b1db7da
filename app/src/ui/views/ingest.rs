//! Ingest view: the studio's deliveries as jobs on the function pool. The pool's concurrency in use, its cold
//! starts, retries and cost; an "Ingest title" form that delivers a title to the running twin; every job with a
//! progress bar per stage, its state (or why it failed) and where its title is on its way to the edge; the
//! picked job's timeline, a bar per stage on the job's own clock, and its title's journey (encoded, in origin,
//! planned, filling, live at N sites) with "Show on map"; and the origin buckets' objects and bytes.

use egui::{Color32, ProgressBar, RichText, Sense, Stroke, vec2};
use twin::ingest::{Delivery, IngestSnapshot, Job, JobState, Ladder, STAGES, Source};
use twin::journey::{Journey, Leg};
use twin::region::REGIONS;
use twin::{Command, Snapshot};

use crate::encoder::{Engine, SourceSpec};
use crate::ui::control::Control;
use crate::ui::real_encodes::{EncodeRequest, RealEncodes};
use crate::ui::thumbnails::Thumbnails;
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
    thumbnails: Thumbnails,
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
    /// Index into the catalogue's genres, and the regions it is made for (`REGIONS` order).
    pub genre: usize,
    pub regions: [bool; REGIONS.len()],
    /// Hours from delivery to release: time for placement to pre-position it.
    pub release_in_hours: f64,
    pub engine: Engine,
    /// The ffmpeg engine's source: a file, or (empty) a generated pattern of this length, easy or hard.
    pub source_file: String,
    pub pattern_seconds: f64,
    pub hard_pattern: bool,
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
            genre: 0,
            regions: [false; REGIONS.len()],
            release_in_hours: 0.0,
            engine: Engine::Modelled,
            source_file: String::new(),
            pattern_seconds: 20.0,
            hard_pattern: false,
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
        self.form(ui, ctx, snapshot);
        if !ctx.encodes.list.is_empty() {
            ui.separator();
            real_encodes(ui, ctx.encodes);
        }
        ui.separator();
        if ingest.jobs.is_empty() {
            ui.weak("No deliveries yet: ingest a title above.");
        } else {
            self.jobs(ui, snapshot);
            let picked = self.picked.and_then(|id| ingest.jobs.get(id as usize)).or(ingest.jobs.last());
            if let Some(job) = picked {
                ui.separator();
                timeline(ui, job, snapshot.time.seconds() * 1000);
                ui.separator();
                journey(ui, ctx, job, &snapshot.journey(job), &mut self.thumbnails);
            }
        }
        ui.separator();
        ui.strong("Origin");
        egui::Grid::new("ingest_buckets").striped(true).show(ui, |ui| {
            for t in ["bucket", "objects", "GB", "PUTs", "GETs", "GETs/s", "MB/s out"] {
                ui.strong(t);
            }
            ui.end_row();
            for (name, b) in &ingest.buckets {
                ui.label(format!("s3://{name}"));
                ui.label(b.objects.to_string());
                ui.label(format!("{:.2}", b.bytes as f64 / 1e9));
                ui.label(b.puts.to_string());
                ui.label(b.gets.to_string());
                ui.label(format!("{:.1}", b.gets_per_s));
                ui.label(format!("{:.1}", b.out_bytes_per_s / 1e6));
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
    fn form(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, snapshot: &Snapshot) {
        let f = &mut self.form;
        let genres = &snapshot.model.catalog.genres;
        f.genre = f.genre.min(genres.len().saturating_sub(1));
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
            ui.label("engine");
            ui.radio_value(&mut f.engine, Engine::Modelled, "modelled");
            ui.radio_value(&mut f.engine, Engine::Ffmpeg, "ffmpeg");
            // The source's picture: the modelled source's, or the generated pattern's.
            let picture = |ui: &mut egui::Ui, f: &mut Form| {
                let (w, h) = RESOLUTIONS[f.resolution];
                egui::ComboBox::from_label("source").selected_text(format!("{w}x{h}")).show_ui(ui, |ui| {
                    for (i, (w, h)) in RESOLUTIONS.iter().enumerate() {
                        ui.selectable_value(&mut f.resolution, i, format!("{w}x{h}"));
                    }
                });
                let label = ui.label("fps");
                ui.add(egui::DragValue::new(&mut f.fps).range(1.0..=120.0)).labelled_by(label.id);
            };
            match f.engine {
                Engine::Modelled => {
                    let label = ui.label("minutes");
                    ui.add(egui::DragValue::new(&mut f.minutes).range(1.0..=720.0).speed(1.0)).labelled_by(label.id);
                    picture(ui, f);
                    let label = ui.label("source Mbps");
                    ui.add(egui::DragValue::new(&mut f.source_mbps).range(0.1..=2000.0).speed(1.0)).labelled_by(label.id);
                    let label = ui.label("complexity");
                    ui.add(egui::Slider::new(&mut f.complexity, 0.3..=1.5)).labelled_by(label.id);
                }
                Engine::Ffmpeg => {
                    let label = ui.label("source file");
                    ui.add(
                        egui::TextEdit::singleline(&mut f.source_file)
                            .hint_text("empty: a generated pattern")
                            .desired_width(200.0),
                    )
                    .labelled_by(label.id);
                    if f.source_file.trim().is_empty() {
                        let label = ui.label("pattern seconds");
                        ui.add(egui::DragValue::new(&mut f.pattern_seconds).range(2.0..=600.0)).labelled_by(label.id);
                        picture(ui, f);
                        ui.radio_value(&mut f.hard_pattern, false, "easy (testsrc2)");
                        ui.radio_value(&mut f.hard_pattern, true, "hard (mandelbrot)");
                        if f.resolution == 0 {
                            ui.weak("(4K is four times the work of 1080p, which encodes at about 0.8× real time on two cores)");
                        }
                    }
                }
            }
            egui::ComboBox::from_label("genre").selected_text(genres.get(f.genre).map_or("", |g| g.as_str())).show_ui(
                ui,
                |ui| {
                    for (i, g) in genres.iter().enumerate() {
                        ui.selectable_value(&mut f.genre, i, g);
                    }
                },
            );
            ui.label("made for");
            for (on, (code, name)) in f.regions.iter_mut().zip(REGIONS) {
                ui.checkbox(on, code).on_hover_text(name);
            }
            let label = ui.label("release in hours");
            ui.add(egui::DragValue::new(&mut f.release_in_hours).range(0.0..=24.0 * 30.0).speed(1.0))
                .labelled_by(label.id);
            ui.label("ladder");
            ui.radio_value(&mut f.ladder, Ladder::Fixed, "fixed");
            ui.radio_value(&mut f.ladder, Ladder::PerTitle, "per-title");
            let (w, h) = RESOLUTIONS[f.resolution];
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
                    genre: genres.get(f.genre).cloned().unwrap_or_default(),
                    duration_s,
                    regions: (f.regions.iter().zip(REGIONS)).filter(|(on, _)| **on).map(|(_, r)| r.0.into()).collect(),
                    release_s: snapshot.time.seconds() as i64 + (f.release_in_hours * 3600.0).round() as i64,
                    source: Source {
                        bytes: (f.source_mbps * 125_000.0 * duration_s as f64) as u64,
                        width: w,
                        height: h,
                        fps: f.fps,
                        complexity: f.complexity,
                    },
                    encoded: Vec::new(),
                };
                match f.engine {
                    Engine::Modelled => ctx.send(Command::Ingest { delivery, ladder: f.ladder }),
                    Engine::Ffmpeg => {
                        let source = match f.source_file.trim() {
                            "" => SourceSpec::Pattern {
                                seconds: f.pattern_seconds,
                                width: w,
                                height: h,
                                fps: f.fps,
                                hard: f.hard_pattern,
                            },
                            path => SourceSpec::File(path.into()),
                        };
                        let request = EncodeRequest { source, delivery, ladder: f.ladder };
                        ctx.send(Control::EncodeReal(Box::new(request)));
                    }
                }
                self.picked = None;
            }
        });
    }

    fn jobs(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) {
        let ingest = &snapshot.ingest;
        egui::ScrollArea::vertical().id_salt("ingest_jobs").max_height(260.0).show(ui, |ui| {
            egui::Grid::new("ingest_jobs_grid").striped(true).show(ui, |ui| {
                ui.strong("job");
                ui.strong("title");
                for stage in STAGES {
                    ui.strong(stage.name());
                }
                ui.strong("state");
                ui.strong("journey");
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
                    ui.label(leg_text(&snapshot.journey(job)));
                    ui.end_row();
                }
            });
        });
    }
}

/// A journey's leg in a few words, with its site counts.
fn leg_text(j: &Journey) -> String {
    match j.leg {
        Leg::Planned => format!("planned at {} sites", j.planned_sites),
        Leg::Filling => format!("filling: live at {} of {} sites", j.live_sites, j.planned_sites),
        Leg::Positioned => format!("pre-positioned at {} sites", j.live_sites),
        Leg::Live => format!("live at {} sites", j.live_sites),
        leg => leg.name().to_string(),
    }
}

/// The title's way to the edge: each leg passed, the one it is on, and where its plays are served from.
fn journey(ui: &mut egui::Ui, ctx: &mut ViewCtx, job: &Job, j: &Journey, thumbnails: &mut Thumbnails) {
    ui.strong(format!("Journey of {}", title_of(job)));
    let legs = [Leg::Encoding, Leg::InOrigin, Leg::Planned, Leg::Filling, Leg::Positioned, Leg::Live];
    ui.horizontal(|ui| {
        for (i, leg) in legs.into_iter().enumerate() {
            if i > 0 {
                ui.weak(">");
            }
            let text = RichText::new(if leg == j.leg { leg_text(j) } else { leg.name().to_string() });
            let passed = j.leg > leg && !matches!(j.leg, Leg::Failed | Leg::NoPlace);
            ui.label(match () {
                _ if leg == j.leg => text.strong().color(Color32::from_rgb(90, 200, 120)),
                _ if passed => text,
                _ => text.weak(),
            });
        }
    });
    match j.leg {
        Leg::Failed => {
            ui.label(RichText::new("The job failed: the title never reached the origin.").color(ui.visuals().error_fg_color));
        }
        Leg::NoPlace => {
            ui.label(
                RichText::new(
                    "Stored in the origin, but every place the catalogue reserved for ingest is taken \
                     ([ingest] title_slots): it is not in the catalogue.",
                )
                .color(ui.visuals().warn_fg_color),
            );
        }
        _ => {}
    }
    let Some(title) = j.title else { return };
    let now_s = ctx.snapshot().time.seconds() as i64;
    let start = ctx.snapshot().start_utc;
    ui.horizontal_wrapped(|ui| {
        if let Some(r) = j.release_s {
            let at = (start + chrono::Duration::seconds(r)).format("%a %H:%M UTC");
            ui.label(if r > now_s { format!("goes live {at}") } else { format!("live since {at}") });
        }
        let (edge, origin) = (j.bytes.edge as f64 / 1e9, j.bytes.origin as f64 / 1e9);
        let served = edge + origin;
        ui.label(if served > 0.0 {
            format!(
                "· its plays so far: {edge:.1} GB from edge sites, {origin:.1} GB from the origin ({:.0}% offload)",
                100.0 * edge / served
            )
        } else {
            "· no plays yet".to_string()
        });
        ui.label(format!("· held at {} sites", j.holding_sites));
        if ui.button("Show on map").on_hover_text("Light up the sites holding it on the map").clicked() {
            ctx.selection.title = Some(title);
            ctx.send(Control::ShowView(ViewId::MAP));
        }
        if ui.button("Open in placement").on_hover_text("Its plays, plans and rules per cluster").clicked() {
            ctx.selection.title = Some(title);
            ctx.send(Control::ShowView(super::placement::VIEW.id));
        }
    });
    if let Some(dir) = ctx.encodes.thumbnails(job, (320, 180)) {
        thumbnails.show(ui, job.id, &dir, 8, 160.0);
    }
}

/// The encodes ffmpeg is running or ran here: each one's stage and progress, what it made, or why it failed.
fn real_encodes(ui: &mut egui::Ui, encodes: &RealEncodes) {
    ui.strong(format!("Real encodes (ffmpeg, into {})", encodes.origin.display()));
    for e in encodes.list.iter().rev() {
        ui.horizontal_wrapped(|ui| {
            ui.label(&e.title);
            match &e.outcome {
                None => {
                    let (stage, done, total) = e.progress.lock().map(|p| p.clone()).unwrap_or_default();
                    let share = done as f32 / total.max(1) as f32;
                    ui.add(ProgressBar::new(share).desired_width(200.0).text(format!("{stage} {done}/{total}")));
                    ui.weak(format!("{:.0} s", e.started.elapsed().as_secs_f64()));
                }
                Some(Ok(r)) => {
                    let top = r.renditions.last();
                    ui.label(format!(
                        "encoded in {:.0} s ({:.2}× real time): {} renditions, {:.1} MB, top SSIM {:.4}; delivered",
                        e.seconds,
                        r.encode_speed(),
                        r.renditions.len(),
                        r.total_bytes() as f64 / 1e6,
                        top.map_or(0.0, |t| t.ssim)
                    ));
                }
                Some(Err(why)) => {
                    let text = RichText::new(format!("failed: {why}")).color(ui.visuals().error_fg_color);
                    ui.add(egui::Label::new(text).wrap());
                }
            }
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
