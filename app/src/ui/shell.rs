//! The console's frame: top bar (scenario, clock, play controls), left navigation, status bar, and the current
//! view in the middle. Loading a scenario (bare start, `edgetwin SCENARIO`, File → Open) happens here.

use std::path::PathBuf;
use std::time::Instant;

use twin::{Scenario, Twin};

use super::{ViewId, error_panel, fill, map, placement, qoe, site_inspector};
use crate::state::AppState;
use crate::worker::{Control, Published, Speed, TwinHandle};

/// Where a scenario comes from.
#[derive(Clone, Debug)]
pub enum ScenarioSource {
    Default,
    File(PathBuf),
}

impl ScenarioSource {
    pub fn label(&self) -> String {
        match self {
            ScenarioSource::Default => "default (embedded)".to_string(),
            ScenarioSource::File(p) => p.display().to_string(),
        }
    }

    pub fn load(&self) -> Result<Twin, String> {
        let scenario = match self {
            ScenarioSource::Default => Scenario::parse("assets/scenarios/default.toml", twin::DEFAULT_SCENARIO),
            ScenarioSource::File(p) => crate::cli::read_scenario(p),
        }
        .map_err(|e| e.to_string())?;
        Twin::new(scenario).map_err(|e| e.to_string())
    }
}

pub struct ConsoleApp {
    pub state: AppState,
    /// Handed to the worker so it can wake the UI when a new frame is published.
    repaint: Option<egui::Context>,
}

impl ConsoleApp {
    /// Loads `source` on a background thread (a Netflix-size world takes a noticeable moment) and starts the
    /// clock once it is built; a bad scenario opens the error panel instead.
    pub fn open(source: ScenarioSource, repaint: Option<egui::Context>) -> ConsoleApp {
        let (tx, rx) = std::sync::mpsc::channel();
        let wake = repaint.clone();
        let loader = source.clone();
        std::thread::spawn(move || {
            let _ = tx.send(loader.load());
            if let Some(ctx) = wake {
                ctx.request_repaint();
            }
        });
        let mut state = AppState::new(None, source.label());
        state.loading = Some(rx);
        ConsoleApp { state, repaint }
    }

    /// Takes the loaded twin (or the load error) once the loader thread has finished.
    fn poll_loading(&mut self) {
        let Some(rx) = &self.state.loading else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err("loading the scenario stopped unexpectedly".into()),
        };
        self.state.loading = None;
        match result {
            Ok(twin) => {
                let handle = TwinHandle::spawn(twin, self.repaint.clone());
                handle.send(Control::Play(true));
                self.state.seed_edit = handle.latest().seed;
                self.state.twin = Some(handle);
            }
            Err(e) => self.state.load_error = Some(e),
        }
    }

    /// A console over an already-built twin, paused (screenshots, tests, benchmarks).
    pub fn with_twin(twin: Twin, source: String, repaint: Option<egui::Context>) -> ConsoleApp {
        ConsoleApp { state: AppState::new(Some(TwinHandle::spawn(twin, repaint.clone())), source), repaint }
    }

    fn switch_to(&mut self, source: ScenarioSource) {
        let view = self.state.view;
        *self = ConsoleApp::open(source, self.repaint.clone());
        self.state.view = view;
    }

    fn send(&self, c: Control) {
        if let Some(t) = &self.state.twin {
            t.send(c);
        }
    }

    /// Draws one frame.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        self.poll_loading();
        let published = self.state.twin.as_ref().map(|t| t.latest());
        self.top_bar(ui, published.as_deref());
        self.status_bar(ui, published.as_deref());
        self.navigation(ui);

        match published {
            None if self.state.loading.is_some() => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(format!("Loading {}…", self.state.source));
                        });
                    });
                });
            }
            None => {
                let action = egui::CentralPanel::default().show(ui, |ui| error_panel::ui(ui, &self.state)).inner;
                match action {
                    error_panel::ErrorAction::OpenAnother => self.pick_file(),
                    error_panel::ErrorAction::LoadDefault => self.switch_to(ScenarioSource::Default),
                    error_panel::ErrorAction::None => {}
                }
            }
            Some(p) => {
                if let Some(site) = self.state.selection.site {
                    let mut controls = Vec::new();
                    let close = egui::Panel::right("site_inspector")
                        .default_size(340.0)
                        .show(ui, |ui| site_inspector::ui(ui, &p, site, &mut controls))
                        .inner;
                    for c in controls {
                        self.send(c);
                    }
                    if close {
                        self.state.selection.site = None;
                        self.send(Control::Inspect(None));
                    }
                }
                let before = self.state.selection.site;
                egui::CentralPanel::default().show(ui, |ui| self.show_view(ui, &p));
                if self.state.selection.site != before {
                    self.send(Control::Inspect(self.state.selection.site));
                }
            }
        }
        self.state.frame_ms = started.elapsed().as_secs_f32() * 1000.0;
    }

    fn show_view(&mut self, ui: &mut egui::Ui, p: &Published) {
        let s = &mut self.state;
        let mut controls = Vec::new();
        match s.view {
            ViewId::Map => map::ui(ui, &mut s.map, &mut s.selection, p),
            ViewId::Qoe => qoe::ui(ui, &mut s.qoe, &mut s.selection, p),
            ViewId::Placement => placement::ui(ui, &mut s.placement, &mut s.selection, &mut s.view, p, &mut controls),
            ViewId::Fill => fill::ui(ui, &mut s.fill, &mut s.selection, p, &mut controls),
            other => {
                ui.centered_and_justified(|ui| ui.label(format!("The {} view is not built yet.", other.label())));
            }
        }
        for c in controls {
            self.send(c);
        }
    }

    fn pick_file(&mut self) {
        if let Some(path) = rfd::FileDialog::new().add_filter("edgetwin scenario", &["toml"]).pick_file() {
            self.switch_to(ScenarioSource::File(path));
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, p: Option<&Published>) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open scenario…").clicked() {
                        self.pick_file();
                    }
                    if ui.button("Open the default scenario").clicked() {
                        self.switch_to(ScenarioSource::Default);
                    }
                    if ui.button("Quit").clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.separator();
                ui.label(egui::RichText::new("Local twin").strong().color(egui::Color32::from_rgb(90, 170, 255)))
                    .on_hover_text("Simulated locally. The AWS mirror mode comes with the connectors.");
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
                    self.send(Control::Play(!p.playing));
                }
                if ui.add_enabled(!p.playing, egui::Button::new("Step")).on_hover_text("Advance one minute").clicked() {
                    self.send(Control::Step);
                }
                egui::ComboBox::from_label("speed").selected_text(p.speed.label()).show_ui(ui, |ui| {
                    for s in Speed::CHOICES {
                        if ui.selectable_label(s == p.speed, s.label()).clicked() {
                            self.send(Control::SetSpeed(s));
                        }
                    }
                });
                ui.separator();
                let seed_label = ui.label("seed");
                ui.add(egui::DragValue::new(&mut self.state.seed_edit)).labelled_by(seed_label.id);
                if ui.button("Reset").on_hover_text("Start the scenario over with this seed").clicked() {
                    self.send(Control::Reset { seed: self.state.seed_edit });
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
                ui.label(format!("frame {:.1} ms", self.state.frame_ms));
            });
        });
    }

    fn navigation(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("navigation").resizable(false).default_size(130.0).show(ui, |ui| {
            ui.add_space(6.0);
            for v in ViewId::ALL {
                let selected = self.state.view == v;
                let r = ui.add_enabled(v.available(), egui::Button::selectable(selected, v.label()));
                if r.clicked() {
                    self.state.view = v;
                }
                if !v.available() {
                    r.on_disabled_hover_text("Coming in a later release");
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
