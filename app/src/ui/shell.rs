//! The console's frame: top bar (scenario, clock, play controls), left navigation, status bar, the site
//! inspector while a site is picked, and the current view in the middle. Everything the parts ask for comes
//! back as a `Control`, carried out in `handle` after the frame; loading a scenario happens here too.

use std::time::Instant;

use twin::Twin;

use super::control::Control;
use super::error_panel::{self, Problem};
use super::loading::Loading;
use super::scenario_source::ScenarioSource;
use super::view::{View, ViewCtx};
use super::views::{self, REGISTERED};
use crate::state::{AppState, AutoRecord};
use crate::worker::{Published, Request, Speed, TwinHandle};

pub struct ConsoleApp {
    pub state: AppState,
    /// Handed to the worker so it can wake the UI when a new frame is published.
    repaint: Option<egui::Context>,
}

impl ConsoleApp {
    /// Loads `source` on a background thread (a Netflix-size world takes a noticeable moment) and starts the
    /// clock once it is built, recording events as `record` says; a bad scenario opens the error panel instead.
    pub fn open(source: ScenarioSource, repaint: Option<egui::Context>, record: AutoRecord) -> ConsoleApp {
        ConsoleApp::load(source, repaint, record, true)
    }

    /// As `open`, with the clock stopped once the twin is built (tests that step it a minute at a time).
    pub fn open_paused(source: ScenarioSource, repaint: Option<egui::Context>, record: AutoRecord) -> ConsoleApp {
        ConsoleApp::load(source, repaint, record, false)
    }

    fn load(source: ScenarioSource, repaint: Option<egui::Context>, record: AutoRecord, play: bool) -> ConsoleApp {
        let mut state = AppState::new(None, source.label());
        let loading = Loading::start(source, repaint.clone());
        (state.loading, state.record, state.play_on_load) = (Some(loading), record, play);
        ConsoleApp { state, repaint }
    }

    /// Takes the loaded twin (or the load error) once the loader thread has finished.
    fn poll_loading(&mut self) {
        let Some(loading) = &mut self.state.loading else { return };
        let Some(result) = loading.poll() else { return };
        self.state.loading = None;
        match result {
            Ok(twin) => {
                let handle = TwinHandle::spawn(twin, self.repaint.clone());
                let seed = handle.latest().seed;
                self.state.seed_edit = seed;
                self.state.twin = Some(handle);
                self.record_from_start(seed);
                self.send(Request::Play(self.state.play_on_load));
            }
            Err(e) => self.state.load_error = Some(e),
        }
    }

    /// A console over an already-built twin, paused (screenshots, tests, benchmarks).
    pub fn with_twin(twin: Twin, source: String, repaint: Option<egui::Context>) -> ConsoleApp {
        ConsoleApp { state: AppState::new(Some(TwinHandle::spawn(twin, repaint.clone())), source), repaint }
    }

    /// Draws one frame, then carries out what its parts asked for.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        self.poll_loading();
        for delivery in self.state.encodes.poll() {
            self.send(Request::Twin(delivery));
        }
        if self.state.encodes.running() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
        }
        let picked_site = self.state.selection.site;
        let published = self.state.twin.as_ref().map(|t| t.latest());
        let mut controls = Vec::new();
        self.top_bar(ui, published.as_deref(), &mut controls);
        self.status_bar(ui, published.as_deref());
        self.navigation(ui, &mut controls);
        match published.as_deref() {
            None if let Some(loading) = &self.state.loading => {
                let line = loading.progress(&self.state.source);
                egui::CentralPanel::default().show(ui, |ui| match &loading.world {
                    Some(world) => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(line);
                        });
                        views::map::preview(ui, world);
                    }
                    None => {
                        ui.centered_and_justified(|ui| {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label(line);
                            });
                        });
                    }
                });
                // The elapsed time on the line moves.
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
            }
            None => {
                let problem = Problem {
                    heading: "The scenario could not be loaded",
                    source: &self.state.source,
                    message: self.state.load_error.as_deref().unwrap_or_default(),
                    reset_seed: None,
                };
                egui::CentralPanel::default().show(ui, |ui| error_panel::ui(ui, &problem, &mut controls));
            }
            Some(Published { failure: Some(failure), .. }) => {
                let problem = Problem {
                    heading: "The twin stopped",
                    source: &self.state.source,
                    message: failure,
                    reset_seed: Some(self.state.seed_edit),
                };
                egui::CentralPanel::default().show(ui, |ui| error_panel::ui(ui, &problem, &mut controls));
            }
            Some(p) => controls.extend(self.show_views(ui, p)),
        }
        for c in controls {
            self.handle(c);
        }
        if self.state.selection.site != picked_site {
            self.send(Request::Inspect(self.state.selection.site));
        }
        self.state.frame_ms = started.elapsed().as_secs_f32() * 1000.0;
    }

    /// The site inspector (while a site is picked) and the current view; returns what they asked for. With the
    /// mirror shown in the views, they draw the twin's snapshot overlaid with what the mirror observed, under a
    /// banner saying what came from the deployment and which sources are not ok.
    fn show_views(&mut self, ui: &mut egui::Ui, p: &Published) -> Vec<Control> {
        let s = &mut self.state;
        let mirrored = (s.view != views::mirror::VIEW.id).then(|| s.mirror.overlaid(p)).flatten();
        if let Some(m) = &mirrored {
            egui::Panel::top("mirror_banner").show(ui, |ui| {
                ui.colored_label(views::mirror::state_color(m.worst), &m.banner);
            });
        }
        let p = mirrored.as_ref().map_or(p, |m| &m.published);
        let mut ctx = ViewCtx::new(p, &mut s.selection, &s.encodes, &s.mirror);
        if ctx.selection.site.is_some() {
            egui::Panel::right("site_inspector").default_size(340.0).show(ui, |ui| s.inspector.ui(ui, &mut ctx));
        }
        let current = REGISTERED.iter().position(|v| v.id == s.view);
        if let Some(view) = current.and_then(|i| s.views.get_mut(i)) {
            egui::CentralPanel::default().show(ui, |ui| view.ui(ui, &mut ctx));
        }
        ctx.into_controls()
    }

    /// Carries out one control: the one place where the console changes in answer to its parts.
    pub fn handle(&mut self, control: Control) {
        match control {
            Control::Worker(r) => {
                let reset = match r {
                    Request::Reset { seed } => Some(seed),
                    _ => None,
                };
                self.send(r);
                if let Some(seed) = reset {
                    self.record_from_start(seed);
                }
            }
            Control::AddEdit(edit) => {
                if let Some(v) = self.state.find_view_mut::<views::whatif::WhatifView>() {
                    v.tab = views::whatif::Tab::Compare;
                    v.edits.push(*edit);
                    self.state.view = views::whatif::VIEW.id;
                }
            }
            Control::Record(sample) => {
                self.state.record.sample = sample;
                match &self.state.twin {
                    Some(t) if sample.is_some() => self.record_from_start(t.latest().seed),
                    _ => self.send(Request::RecordEvents(None)),
                }
            }
            Control::ShowView(id) => {
                if views::spec(id).is_some() {
                    self.state.view = id;
                }
            }
            Control::Open(source) => self.switch_to(source),
            Control::PickScenarioFile => {
                if let Some(path) = rfd::FileDialog::new().add_filter("edgetwin scenario", &["toml"]).pick_file() {
                    self.switch_to(ScenarioSource::File(path));
                }
            }
            Control::ConnectMirror(path) => {
                self.state.mirror.connect(&path, self.repaint.clone());
                self.state.view = views::mirror::VIEW.id;
            }
            Control::PickMirrorConfig => {
                if let Some(path) = rfd::FileDialog::new().add_filter("mirror configuration", &["toml"]).pick_file() {
                    self.handle(Control::ConnectMirror(path));
                }
            }
            Control::DisconnectMirror => self.state.mirror = Default::default(),
            Control::ShowMirrorInViews(on) => self.state.mirror.in_views = on,
            Control::PollMirror => {
                if let Some(s) = &self.state.mirror.session {
                    s.mirror.poll_now();
                }
            }
            Control::EnableActions(on) => {
                if let Some(s) = &mut self.state.mirror.session {
                    s.actions_enabled = on;
                    tracing::info!(
                        "actions on the real system {} for this session",
                        if on { "enabled" } else { "disabled" }
                    );
                }
            }
            Control::Act(action) => match &self.state.mirror.session {
                Some(s) if s.actions_enabled => {
                    tracing::info!("action on the real system: {action}");
                    s.mirror.act(action);
                }
                _ => tracing::warn!("action refused, actions are off: {action}"),
            },
            Control::PlayForward => self.play_forward(),
            Control::EncodeReal(request) => {
                let Some(t) = &self.state.twin else { return };
                let model = &t.latest().snapshot.model;
                let rungs = crate::encoder::avc_rungs(&model.catalog);
                self.state.encodes.start(*request, rungs, model.scenario.ingest.chunk_s);
            }
        }
    }

    /// Starts recording events into a new database, if the console records: on a twin just started (loaded, or
    /// reset with `seed`), or when the operator asks.
    fn record_from_start(&self, seed: u64) {
        let (Some(sample), Some(t)) = (self.state.record.sample, &self.state.twin) else { return };
        let scenario = t.latest().snapshot.model.scenario.name.clone();
        let path = crate::store::events::new_console_path(&self.state.record.dir, &scenario, seed);
        self.send(Request::RecordEvents(Some((path, sample))));
    }

    /// Seeds the twin with the mirrored state, then runs it from there on the map.
    fn play_forward(&mut self) {
        let (Some(session), Some(twin)) = (&self.state.mirror.session, &self.state.twin) else { return };
        let seed = connectors::seed::seed(&session.mirror.state(), &twin.latest().snapshot);
        for c in seed.commands {
            twin.send(Request::Twin(c));
        }
        twin.send(Request::Play(true));
        self.state.mirror.seeded = seed.notes;
        self.state
            .mirror
            .seeded
            .push("the views show the twin running ahead (\"Show in the other views\" shows the deployment)".into());
        self.state.mirror.in_views = false;
        self.state.view = views::map::VIEW.id;
    }

    /// What the console shows: the local twin, or the mirrored deployment with its worst source's state.
    fn mode_label(&self, ui: &mut egui::Ui, controls: &mut Vec<Control>) {
        let Some(session) = &self.state.mirror.session else {
            ui.label(egui::RichText::new("Local twin").strong().color(egui::Color32::from_rgb(90, 170, 255)))
                .on_hover_text("Simulated locally. Open \"AWS mirror\" to mirror a live deployment.");
            return;
        };
        let st = session.mirror.state();
        let worst = st.worst(connectors::mirror::now_s());
        let text = format!("AWS mirror · {} · {}", st.name, worst.label());
        let color = views::mirror::state_color(worst);
        if ui.add(egui::Button::new(egui::RichText::new(text).strong().color(color))).on_hover_text(
            "The worst state of the mirror's sources; the twin below runs locally (Play forward seeds it from the mirror)",
        ).clicked() {
            controls.push(Control::ShowView(views::mirror::VIEW.id));
        }
    }

    fn switch_to(&mut self, source: ScenarioSource) {
        let (view, show_frame_time) = (self.state.view, self.state.show_frame_time);
        let mirror = std::mem::take(&mut self.state.mirror);
        *self = ConsoleApp::open(source, self.repaint.clone(), self.state.record.clone());
        (self.state.view, self.state.show_frame_time) = (view, show_frame_time);
        self.state.mirror = mirror;
    }

    fn send(&self, r: Request) {
        if let Some(t) = &self.state.twin {
            t.send(r);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, p: Option<&Published>, controls: &mut Vec<Control>) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open scenario…").clicked() {
                        controls.push(Control::PickScenarioFile);
                    }
                    if ui.button("Open the default scenario").clicked() {
                        controls.push(Control::Open(ScenarioSource::Default));
                    }
                    if ui.button("Quit").clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.separator();
                self.mode_label(ui, controls);
                let Some(p) = p else {
                    ui.label("no scenario");
                    return;
                };
                ui.label(egui::RichText::new(&p.snapshot.model.scenario.name).strong())
                    .on_hover_text(&self.state.source);
                ui.separator();

                let now = p.snapshot.now_utc();
                let clock = if self.state.clock_utc {
                    now.format("%a %Y-%m-%d %H:%M UTC").to_string()
                } else {
                    now.with_timezone(&chrono::Local).format("%a %Y-%m-%d %H:%M local").to_string()
                };
                ui.label(egui::RichText::new(clock).monospace());
                if ui
                    .selectable_label(self.state.clock_utc, "UTC")
                    .on_hover_text("UTC or this machine's time zone")
                    .clicked()
                {
                    self.state.clock_utc = !self.state.clock_utc;
                }
                ui.separator();

                let play = if p.playing { "Pause" } else { "Play" };
                if ui.button(play).clicked() {
                    controls.push(Request::Play(!p.playing).into());
                }
                if ui.add_enabled(!p.playing, egui::Button::new("Step")).on_hover_text("Advance one minute").clicked() {
                    controls.push(Request::Step.into());
                }
                egui::ComboBox::from_label("speed").selected_text(p.speed.label()).show_ui(ui, |ui| {
                    for s in Speed::CHOICES {
                        if ui.selectable_label(s == p.speed, s.label()).clicked() {
                            controls.push(Request::SetSpeed(s).into());
                        }
                    }
                });
                ui.separator();
                let seed_label = ui.label("seed");
                ui.add(egui::DragValue::new(&mut self.state.seed_edit)).labelled_by(seed_label.id);
                if ui.button("Reset").on_hover_text("Start the scenario over with this seed").clicked() {
                    controls.push(Request::Reset { seed: self.state.seed_edit }.into());
                }
            });
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui, p: Option<&Published>) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if let Some(p) = p {
                    ui.label(format!("sim speed {:.0}×", p.sim_speed));
                    ui.separator();
                    ui.label(format!("{:.2} M sessions/s", p.plays_per_s / 1e6));
                    ui.separator();
                    if let Some(k) = p.snapshot.latest() {
                        ui.label(format!("{} active sessions", k.active_sessions));
                        ui.separator();
                    }
                    if let Some(err) = &p.last_error {
                        ui.colored_label(ui.visuals().error_fg_color, err);
                        ui.separator();
                    }
                }
                if self.state.show_frame_time {
                    ui.label(format!("frame {:.1} ms", self.state.frame_ms));
                }
            });
        });
    }

    /// The registered views.
    fn navigation(&mut self, ui: &mut egui::Ui, controls: &mut Vec<Control>) {
        egui::Panel::left("navigation").resizable(false).default_size(130.0).show(ui, |ui| {
            ui.add_space(6.0);
            for v in REGISTERED {
                if ui.add(egui::Button::selectable(self.state.view == v.id, v.label)).clicked() {
                    controls.push(Control::ShowView(v.id));
                }
            }
        });
    }
}

impl eframe::App for ConsoleApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
