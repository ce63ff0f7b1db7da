//! AWS mirror view: a live deployment as the mirror reads it. The connection panel lists every source with
//! its state (ok, stale, throttled, failing, waiting), the reason, the time of its last good data and its
//! latency; below it, what was mirrored: the KPIs from CloudWatch (marked stale when they are), the sites'
//! health, the control plane's groups and the buckets. "Play forward" seeds the twin from this state and runs
//! it ahead. Actions on the real system are off until the operator turns them on for the session, and each
//! asks to be confirmed; the log below lists what was done.

use std::path::PathBuf;

use connectors::actions::{Action, IngestMetadata};
use connectors::mirror::{MirrorState, SourceState, age, now_s};
use connectors::source::SourceKind;
use egui::Color32;
use egui_plot::{Line, Plot, PlotPoints};
use twin::region::REGIONS;

use crate::ui::control::Control;
use crate::ui::mirror_link::MirrorSession;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::ui::widgets::HEALTHY;

pub const VIEW: ViewSpec = ViewSpec::of::<MirrorView>(ViewId::new("mirror"), "AWS mirror");

/// The example configuration for the local emulator's demo.
pub const EXAMPLE_CONFIG: &str = "assets/mirror/local.toml";

pub struct MirrorView {
    /// The configuration file to connect with.
    pub config_path: String,
    /// An action waiting for the operator's confirmation.
    pub pending: Option<Action>,
    /// The action forms: desired capacity per group, the fill's scope, the ingest delivery.
    pub desired: Vec<(String, u32)>,
    pub fill_scope: String,
    pub ingest: IngestForm,
}

pub struct IngestForm {
    pub source: String,
    pub title: String,
    pub genre: usize,
    pub regions: [bool; REGIONS.len()],
    pub release_in_hours: f64,
}

impl Default for MirrorView {
    fn default() -> Self {
        MirrorView {
            config_path: EXAMPLE_CONFIG.into(),
            pending: None,
            desired: Vec::new(),
            fill_scope: "every site".into(),
            ingest: IngestForm {
                source: String::new(),
                title: String::new(),
                genre: 0,
                regions: [true; REGIONS.len()],
                release_in_hours: 24.0,
            },
        }
    }
}

/// A source state's colour: green when ok, amber when stale, orange when throttled, red when failing.
pub fn state_color(state: SourceState) -> Color32 {
    match state {
        SourceState::Ok => HEALTHY,
        SourceState::Waiting => Color32::GRAY,
        SourceState::Stale => Color32::from_rgb(230, 190, 60),
        SourceState::Throttled => Color32::from_rgb(240, 140, 40),
        SourceState::Failing => Color32::from_rgb(230, 70, 60),
    }
}

impl View for MirrorView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let Some(session) = &ctx.mirror.session else {
            self.connect_form(ui, ctx);
            return;
        };
        let state = session.mirror.state();
        let now = now_s();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(format!("AWS mirror · {}", state.name));
                ui.label(format!("{} · {}", state.endpoint, state.region)).on_hover_text(session.config.display().to_string());
                if ui.button("Poll now").clicked() {
                    ctx.send(Control::PollMirror);
                }
                if ui.button("Disconnect").clicked() {
                    ctx.send(Control::DisconnectMirror);
                }
                let mut shown = ctx.mirror.in_views;
                if ui
                    .checkbox(&mut shown, "Show in the other views")
                    .on_hover_text(
                        "The map and site inspector (sites' service state, egress, load), QoE (world KPIs), Fleet \
                         (groups' instances and limits) and Ingest (origin buckets) draw the deployment where it is \
                         mirrored",
                    )
                    .changed()
                {
                    ctx.send(Control::ShowMirrorInViews(shown));
                }
            });
            ui.separator();
            connection_panel(ui, &state, now);
            ui.separator();
            ui.horizontal(|ui| {
                if ui
                    .button("Play forward")
                    .on_hover_text(
                        "Seed the twin with the mirrored state (sites in and out of service, each group's limits and \
                         desired capacity, the recent load) and simulate ahead from there",
                    )
                    .clicked()
                {
                    ctx.send(Control::PlayForward);
                }
                if ctx.mirror.seeded.is_empty() {
                    ui.weak("Try a fill or an outage on the twin before doing it for real.");
                }
            });
            for note in &ctx.mirror.seeded {
                ui.weak(format!("· {note}"));
            }
            ui.separator();
            let cw_state = state.sources.iter().find(|s| s.kind == SourceKind::CloudWatch).map(|s| s.state(now));
            kpis(ui, &state, now, cw_state);
            ui.separator();
            sites(ui, &state, now);
            ui.separator();
            self.groups(ui, session, &state);
            ui.separator();
            buckets(ui, &state);
            ui.separator();
            self.actions(ui, ctx, session, &state);
        });
    }
}

impl MirrorView {
    fn connect_form(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        ui.heading("AWS mirror");
        ui.label(
            "Mirror a live deployment (CloudWatch, S3, Auto Scaling, site health) from a configuration file. \
             Credentials come from the standard AWS chain (environment, profile, SSO); endpoint_url points at an \
             emulator. See README, \"AWS mirror\".",
        );
        ui.horizontal(|ui| {
            let label = ui.label("configuration");
            ui.add(egui::TextEdit::singleline(&mut self.config_path).desired_width(420.0)).labelled_by(label.id);
            if ui.button("Browse…").clicked() {
                ctx.send(Control::PickMirrorConfig);
            }
            if ui.button("Connect").clicked() {
                ctx.send(Control::ConnectMirror(PathBuf::from(self.config_path.trim())));
            }
        });
        if let Some(e) = &ctx.mirror.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }

    fn groups(&mut self, ui: &mut egui::Ui, session: &MirrorSession, state: &MirrorState) {
        ui.strong("Control plane (Auto Scaling)");
        if state.observed.groups.is_empty() {
            ui.weak("No group mirrored yet.");
            return;
        }
        let titles = ["region", "group", "min", "max", "desired", "in service", "pending", "leaving", "launch", ""];
        egui::Grid::new("mirror_groups").striped(true).num_columns(titles.len()).show(ui, |ui| {
            for t in titles {
                ui.strong(t);
            }
            ui.end_row();
            for g in &state.observed.groups {
                for cell in [&g.region, &g.name] {
                    ui.label(cell);
                }
                for n in [g.min, g.max, g.desired, g.in_service, g.pending, g.leaving] {
                    ui.label(n.to_string());
                }
                ui.label(&g.launch);
                let i = match self.desired.iter().position(|(name, _)| *name == g.name) {
                    Some(i) => i,
                    None => {
                        self.desired.push((g.name.clone(), g.desired));
                        self.desired.len() - 1
                    }
                };
                ui.add_enabled_ui(session.actions_enabled, |ui| {
                    ui.horizontal(|ui| {
                        let value = &mut self.desired[i].1;
                        ui.add(egui::DragValue::new(value).range(g.min..=g.max));
                        if ui.button("Set desired…").on_disabled_hover_text("Turn actions on first").clicked() {
                            self.pending = Some(Action::SetDesired { group: g.name.clone(), desired: *value });
                        }
                    });
                });
                ui.end_row();
            }
        });
        for g in &state.observed.groups {
            egui::CollapsingHeader::new(format!("{}: {} recent activities", g.name, g.activities.len()))
                .id_salt(("activities", &g.name))
                .show(ui, |ui| {
                    for a in &g.activities {
                        ui.label(format!("{} ago · {} · {} ({})", age(now_s() - a.start_s), a.status, a.description, a.cause));
                    }
                });
        }
    }

    fn actions(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, session: &MirrorSession, state: &MirrorState) {
        ui.strong("Actions on the real system");
        let mut enabled = session.actions_enabled;
        if ui
            .checkbox(&mut enabled, "Enable actions for this session")
            .on_hover_text("Off each time the console opens. Every action asks to be confirmed, and is logged.")
            .changed()
        {
            ctx.send(Control::EnableActions(enabled));
            if !enabled {
                self.pending = None;
            }
        }
        if let Some(action) = self.pending.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(Color32::from_rgb(240, 140, 40), format!("Confirm: {action}, on {}?", state.endpoint));
                if ui.add_enabled(session.actions_enabled, egui::Button::new("Confirm")).clicked() {
                    ctx.send(Control::Act(action));
                    self.pending = None;
                }
                if ui.button("Cancel").clicked() {
                    self.pending = None;
                }
            });
        }
        ui.add_enabled_ui(session.actions_enabled, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("fill scope");
                ui.add(egui::TextEdit::singleline(&mut self.fill_scope).desired_width(200.0)).labelled_by(label.id);
                if ui.button("Request fill…").clicked() {
                    self.pending = Some(Action::RequestFill { scope: self.fill_scope.trim().to_string() });
                }
            });
            let f = &mut self.ingest;
            ui.horizontal(|ui| {
                let label = ui.label("ingest source");
                ui.add(egui::TextEdit::singleline(&mut f.source).desired_width(260.0)).labelled_by(label.id);
                let label = ui.label("title");
                ui.add(egui::TextEdit::singleline(&mut f.title).desired_width(160.0)).labelled_by(label.id);
                let genres = &ctx.snapshot().model.catalog.genres;
                f.genre = f.genre.min(genres.len().saturating_sub(1));
                egui::ComboBox::from_label("genre")
                    .selected_text(genres.get(f.genre).map_or("", |g| g.as_str()))
                    .show_ui(ui, |ui| {
                        for (i, g) in genres.iter().enumerate() {
                            ui.selectable_value(&mut f.genre, i, g);
                        }
                    });
                for (on, (code, _)) in f.regions.iter_mut().zip(REGIONS) {
                    ui.checkbox(on, code);
                }
                ui.add(egui::DragValue::new(&mut f.release_in_hours).range(0.0..=87_600.0).suffix(" h to release"));
                let ready = !f.source.trim().is_empty() && !f.title.trim().is_empty() && f.regions.iter().any(|r| *r);
                if ui.add_enabled(ready, egui::Button::new("Upload for ingest…")).clicked() {
                    self.pending = Some(Action::UploadIngest {
                        source: PathBuf::from(f.source.trim()),
                        metadata: IngestMetadata {
                            title: f.title.trim().to_string(),
                            genre: genres.get(f.genre).cloned().unwrap_or_default(),
                            regions: REGIONS
                                .iter()
                                .zip(f.regions)
                                .filter(|(_, on)| *on)
                                .map(|((code, _), _)| code.to_string())
                                .collect(),
                            release_in_hours: f.release_in_hours,
                        },
                    });
                }
            });
        });
        if state.acting > 0 {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{} action(s) under way", state.acting));
            });
        }
        for a in state.actions.iter().rev() {
            let when = chrono::DateTime::from_timestamp(a.at_s, 0).map_or(String::new(), |t| t.format("%H:%M:%S UTC").to_string());
            match &a.outcome {
                Ok(done) => ui.label(format!("{when} · {} · {done}", a.action)),
                Err(why) => ui.colored_label(ui.visuals().error_fg_color, format!("{when} · {} · failed: {why}", a.action)),
            };
        }
    }
}

/// Every source with its state, why, when its data last came, and how long its last poll took.
fn connection_panel(ui: &mut egui::Ui, state: &MirrorState, now: i64) {
    ui.strong("Connection");
    let titles = ["state", "source", "last good data", "latency", "polls", "errors", "reason"];
    egui::Grid::new("mirror_sources").striped(true).num_columns(titles.len()).show(ui, |ui| {
        for t in titles {
            ui.strong(t);
        }
        ui.end_row();
        for s in &state.sources {
            let st = s.state(now);
            ui.colored_label(state_color(st), st.label());
            ui.label(&s.name);
            ui.label(s.newest_data_s.map_or("never".into(), |t| format!("{} ago", age(now - t))));
            ui.label(s.latency_ms.map_or("–".into(), |ms| format!("{ms:.0} ms")));
            ui.label(s.polls.to_string());
            ui.label(s.errors.to_string());
            let reason = s.reason(now);
            ui.add(egui::Label::new(&reason).truncate()).on_hover_text(&reason);
            ui.end_row();
        }
    });
}

/// Each mirrored KPI: its latest value and age, and its last hours; all marked when CloudWatch is stale.
fn kpis(ui: &mut egui::Ui, state: &MirrorState, now: i64, cw: Option<SourceState>) {
    ui.horizontal(|ui| {
        ui.strong("KPIs (CloudWatch)");
        if let Some(st) = cw.filter(|s| *s != SourceState::Ok) {
            ui.colored_label(state_color(st), format!("{}: not the present", st.label()));
        }
    });
    if state.observed.kpis.is_empty() {
        ui.weak("No KPI mirrored yet.");
        return;
    }
    let stale = cw != Some(SourceState::Ok);
    ui.horizontal_wrapped(|ui| {
        for (kpi, points) in &state.observed.kpis {
            ui.vertical(|ui| {
                ui.set_width(300.0);
                let latest = points.last().map_or("no data".into(), |&(t, v)| {
                    format!("{v:.1} {} · {} ago{}", kpi.unit(), age(now - t), if stale { " · stale" } else { "" })
                });
                ui.label(format!("{}: {latest}", kpi.label()));
                let color = if stale { Color32::GRAY } else { Color32::from_rgb(90, 170, 255) };
                let line: PlotPoints = points.iter().map(|&(t, v)| [(t - now) as f64 / 60.0, v]).collect();
                Plot::new(("mirror_kpi", kpi.key()))
                    .height(90.0)
                    .allow_scroll(false)
                    .allow_drag(false)
                    .x_axis_label("minutes from now")
                    .show(ui, |p| p.line(Line::new(kpi.label(), line).color(color)));
            });
        }
    });
}

fn sites(ui: &mut egui::Ui, state: &MirrorState, now: i64) {
    ui.strong("Sites");
    if state.observed.sites.is_empty() {
        ui.weak("No site mirrored yet.");
        return;
    }
    let titles = ["site", "in service", "health", "load", "egress Gbps", "as of"];
    egui::Grid::new("mirror_sites").striped(true).num_columns(titles.len()).show(ui, |ui| {
        for t in titles {
            ui.strong(t);
        }
        ui.end_row();
        for (name, s) in &state.observed.sites {
            ui.label(name);
            ui.label(match s.in_service() {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "–",
            });
            ui.label(s.health.as_ref().map_or("–".into(), |(_, h)| format!("{:?}", h.health).to_lowercase()));
            let load = s.health.as_ref().map(|(_, h)| h.load).or(s.utilization.map(|u| u.1));
            ui.label(load.map_or("–".into(), |l| format!("{:.0}%", l * 100.0)));
            let egress = s.health.as_ref().map(|(_, h)| h.egress_gbps).or(s.egress_gbps.map(|e| e.1));
            ui.label(egress.map_or("–".into(), |e| format!("{e:.1}")));
            let newest = [s.egress_gbps.map(|v| v.0), s.utilization.map(|v| v.0), s.up.map(|v| v.0), s.health.as_ref().map(|v| v.0)]
                .into_iter()
                .flatten()
                .max();
            ui.label(newest.map_or("–".into(), |t| format!("{} ago", age(now - t))));
            ui.end_row();
        }
    });
}

fn buckets(ui: &mut egui::Ui, state: &MirrorState) {
    ui.strong("Buckets (S3)");
    if state.observed.buckets.is_empty() {
        ui.weak("No bucket listed yet.");
        return;
    }
    egui::Grid::new("mirror_buckets").striped(true).num_columns(3).show(ui, |ui| {
        for t in ["bucket", "objects", "GB"] {
            ui.strong(t);
        }
        ui.end_row();
        for b in &state.observed.buckets {
            ui.label(format!("s3://{}", b.name));
            ui.label(b.stats.objects.to_string());
            ui.label(format!("{:.3}", b.stats.bytes as f64 / 1e9));
            ui.end_row();
        }
    });
}
