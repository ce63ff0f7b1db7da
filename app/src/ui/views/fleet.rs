//! Fleet view: the control plane's Auto Scaling group in each region. A table of the regions' last minute;
//! for the picked region, its policy (editable live), buttons to kill instances and to evacuate or restore
//! the region, and time series of in-service against desired instances, requests a second by type, CPU and
//! API latency against the objective, with scaling events marked on the time axis.

use connectors::mirror::GroupPoll;
use connectors::overlay::ObservedSeries;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints, PlotUi, Points, VLine};
use twin::fleet::asg::{INSTANCE_TYPES, InstanceType};
use twin::fleet::requests::API_TYPES;
use twin::fleet::{Activity, FleetMinute, FleetSnapshot, GroupPolicy};
use twin::scenario::{ScalingKind, ScalingMetric};
use twin::{Command, SimTime, Snapshot};

use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};

pub const VIEW: ViewSpec = ViewSpec::of::<FleetView>(ViewId::new("fleet"), "Fleet");

/// The picked region, the policy being edited for it, and how many instances "Kill" takes.
pub struct FleetView {
    pub region: usize,
    /// (region, policy) while the operator's edit differs from the group's policy; None shows the group's.
    draft: Option<(usize, GroupPolicy)>,
    pub kill_count: u32,
}

impl Default for FleetView {
    fn default() -> Self {
        FleetView { region: 0, draft: None, kill_count: 1 }
    }
}

impl View for FleetView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snapshot = ctx.snapshot();
        let fleet = &snapshot.fleet;
        if fleet.names.is_empty() {
            ui.weak("This scenario has no control-plane region.");
            return;
        }
        self.region = self.region.min(fleet.names.len() - 1);
        ui.heading(format!("Fleet · {}", fleet.names[self.region]));
        let observed = ctx.published.observed.as_deref();
        self.region_table(ui, snapshot, observed);
        ui.separator();
        self.controls(ui, ctx, snapshot);
        ui.separator();
        let mirrored = observed.and_then(|o| o.group(self.region).map(|polls| (polls, o.groups_current)));
        match mirrored {
            Some((polls, current)) => mirrored_plot(ui, polls, current),
            None => plots(ui, fleet, self.region, snapshot.model.scenario.fleet.latency_slo_ms),
        }
    }
}

impl FleetView {
    /// Each region's last minute: simulated, or its group's last poll where a deployment is mirrored (then
    /// only the instances are known).
    fn region_table(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, observed: Option<&ObservedSeries>) {
        let fleet = &snapshot.fleet;
        let titles = [
            "region", "policy", "in service", "desired", "pending", "requests/s", "CPU %", "p50 ms", "p95 ms",
            "p99 ms", "failed/min", "members", "instance-h", "cost $",
        ];
        egui::Grid::new("fleet_regions").striped(true).num_columns(titles.len()).show(ui, |ui| {
            for t in titles {
                ui.strong(t);
            }
            ui.end_row();
            for (r, name) in fleet.names.iter().enumerate() {
                let label = if fleet.evacuated[r] { format!("{name} (evacuated)") } else { name.clone() };
                if ui.selectable_label(self.region == r, label).clicked() {
                    self.region = r;
                }
                ui.label(fleet.policies[r].kind.name());
                if let Some(&(_, p)) = observed.and_then(|o| o.group(r)).and_then(|polls| polls.last()) {
                    for text in [p.in_service.to_string(), p.desired.to_string(), p.pending.to_string()] {
                        ui.label(text).on_hover_text("mirrored");
                    }
                    for _ in 3..titles.len() - 2 {
                        ui.weak("–").on_hover_text("not mirrored");
                    }
                    ui.end_row();
                    continue;
                }
                match fleet.history[r].last() {
                    Some(m) => {
                        for text in [
                            m.in_service.to_string(),
                            m.desired.to_string(),
                            m.pending.to_string(),
                            format!("{:.0}", m.total_rps()),
                            format!("{:.0}", 100.0 * m.cpu),
                            format!("{:.0}", m.p50_ms),
                            format!("{:.0}", m.p95_ms),
                            format!("{:.0}", m.p99_ms),
                            m.failed_requests.to_string(),
                            format!("{:.2} M", m.members / 1e6),
                            format!("{:.0}", m.instance_hours),
                            format!("{:.0}", m.cost_usd),
                        ] {
                            ui.label(text);
                        }
                    }
                    None => {
                        ui.weak("no minute yet");
                    }
                }
                ui.end_row();
            }
        });
    }

    /// The picked region's policy editor, kill and evacuation buttons.
    fn controls(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, snapshot: &Snapshot) {
        let fleet = &snapshot.fleet;
        let r = self.region;
        let current = &fleet.policies[r];
        let mut draft = match &self.draft {
            Some((region, p)) if *region == r => p.clone(),
            _ => current.clone(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label("policy");
            for kind in [ScalingKind::TargetTracking, ScalingKind::Predictive] {
                ui.radio_value(&mut draft.kind, kind, kind.name());
            }
            let label = ui.label("min");
            ui.add(egui::DragValue::new(&mut draft.min).range(0..=draft.max)).labelled_by(label.id);
            let label = ui.label("max");
            ui.add(egui::DragValue::new(&mut draft.max).range(draft.min.max(1)..=twin::scenario::MAX_INSTANCES))
                .labelled_by(label.id);
            match draft.metric {
                ScalingMetric::Cpu => {
                    let label = ui.label("target CPU %");
                    let mut pct = draft.target * 100.0;
                    ui.add(egui::DragValue::new(&mut pct).range(5.0..=95.0).speed(1.0)).labelled_by(label.id);
                    draft.target = pct / 100.0;
                }
                ScalingMetric::Requests => {
                    let label = ui.label("target requests/s per instance");
                    ui.add(egui::DragValue::new(&mut draft.target).range(1.0..=1e6)).labelled_by(label.id);
                }
            }
            let label = ui.label("instance");
            egui::ComboBox::from_id_salt("fleet_instance")
                .selected_text(&draft.instance.name)
                .show_ui(ui, |ui| {
                    for &(name, vcpus, usd_per_hour) in &INSTANCE_TYPES {
                        let t = InstanceType { name: name.into(), vcpus, usd_per_hour };
                        let text = format!("{name} · {vcpus} vCPU · ${usd_per_hour}/h");
                        ui.selectable_value(&mut draft.instance, t, text);
                    }
                })
                .response
                .labelled_by(label.id);
            let changed = draft != *current;
            if ui.add_enabled(changed, egui::Button::new("Apply policy")).clicked() {
                ctx.send(Command::SetScalingPolicy { region: r, policy: draft.clone() });
            }
            if ui.add_enabled(changed, egui::Button::new("Revert")).clicked() {
                draft = current.clone();
            }
        });
        self.draft = (draft != *current).then_some((r, draft));
        ui.horizontal(|ui| {
            let label = ui.label("instances to kill");
            ui.add(egui::DragValue::new(&mut self.kill_count).range(1..=1000)).labelled_by(label.id);
            if ui.button("Kill instances").on_hover_text("Terminate them now; the group replaces them").clicked() {
                ctx.send(Command::KillInstances { region: r, count: self.kill_count });
            }
            let evacuated = fleet.evacuated[r];
            let others_up = (0..fleet.names.len()).any(|o| o != r && !fleet.evacuated[o]);
            if evacuated {
                if ui.button("Restore region").clicked() {
                    ctx.send(Command::EvacuateRegion { region: r, evacuated: false });
                }
            } else if ui
                .add_enabled(others_up, egui::Button::new("Evacuate region"))
                .on_hover_text("Send its members to the nearest region in service, as an evacuation drill does")
                .on_disabled_hover_text("The last region in service cannot be evacuated")
                .clicked()
            {
                ctx.send(Command::EvacuateRegion { region: r, evacuated: true });
            }
        });
    }
}

/// A mirrored region's group: its instances at each poll (requests, CPU and latency are not mirrored).
fn mirrored_plot(ui: &mut egui::Ui, polls: &[(SimTime, GroupPoll)], current: bool) {
    let note = "The deployment's group, as mirrored: its instances at each poll. Requests, CPU and latency are \
                not mirrored.";
    match current {
        true => ui.label(note),
        false => ui.colored_label(egui::Color32::from_rgb(230, 190, 60), format!("{note} Not current: see AWS mirror.")),
    };
    let series = |f: &dyn Fn(&GroupPoll) -> u32| -> PlotPoints<'static> {
        polls.iter().map(|(t, p)| [t.seconds() as f64 / 3600.0, f(p) as f64]).collect()
    };
    Plot::new("fleet_mirrored_instances")
        .height(220.0)
        .legend(Legend::default())
        .x_axis_label("simulated hours (the deployment's readings drawn that long before the twin's present)")
        .y_axis_label("instances")
        .allow_scroll(false)
        .show(ui, |p| {
            // Each poll marked too: a group polled once is one point.
            p.points(Points::new("in service", series(&|g| g.in_service)).radius(3.0));
            p.line(Line::new("in service", series(&|g| g.in_service)).width(1.5));
            p.line(Line::new("desired", series(&|g| g.desired)).width(1.0).style(LineStyle::dashed_dense()));
            p.line(Line::new("pending", series(&|g| g.pending)).width(1.0));
        });
}

/// The picked region's minutes on one linked time axis, with its scaling events marked.
fn plots(ui: &mut egui::Ui, fleet: &FleetSnapshot, region: usize, slo_ms: f64) {
    let history = &fleet.history[region];
    let events: Vec<_> = fleet.events.iter().filter(|e| e.region == region).map(|e| e.event).collect();
    let marks = |plot: &mut PlotUi| {
        for e in &events {
            let (name, color) = match e.activity {
                Activity::ScaleOut => ("scale-out", egui::Color32::from_rgb(80, 170, 90)),
                Activity::ScaleIn => ("scale-in", egui::Color32::from_rgb(90, 130, 200)),
                Activity::Replace | Activity::Kill => ("kill / replace", egui::Color32::from_rgb(210, 80, 70)),
                Activity::Evacuate | Activity::Restore => ("evacuate / restore", egui::Color32::from_rgb(230, 150, 40)),
                Activity::Policy => ("policy change", egui::Color32::GRAY),
                Activity::SetDesired => ("desired capacity set", egui::Color32::from_rgb(150, 110, 200)),
            };
            plot.vline(VLine::new(name, e.minute as f64 / 60.0).color(color).style(LineStyle::dashed_loose()));
        }
    };
    let series = |f: &dyn Fn(&FleetMinute) -> f64| -> PlotPoints<'static> {
        history.iter().map(|m| [m.t.seconds() as f64 / 3600.0, f(m)]).collect()
    };
    let plot_h = ((ui.available_height() - 20.0) / 4.0).max(80.0);
    let link = ui.scope_id().with("fleet_time");
    let plot = |name: &str| {
        Plot::new(format!("fleet_{name}"))
            .height(plot_h)
            .link_axis(link, [true, false])
            .legend(Legend::default())
            .x_axis_label("simulated hours")
            .y_axis_label(name.to_string())
            .allow_scroll(false)
    };
    plot("instances").show(ui, |p| {
        p.line(Line::new("in service", series(&|m| m.in_service as f64)).width(1.5));
        p.line(Line::new("desired", series(&|m| m.desired as f64)).width(1.0).style(LineStyle::dashed_dense()));
        marks(p);
    });
    plot("requests/s").show(ui, |p| {
        p.line(Line::new("total", series(&|m| m.total_rps() as f64)).width(1.5));
        for (i, t) in API_TYPES.iter().enumerate() {
            p.line(Line::new(t.name(), series(&|m| m.rps[i] as f64)).width(1.0));
        }
    });
    plot("CPU %").show(ui, |p| {
        p.line(Line::new("CPU", series(&|m| 100.0 * m.cpu as f64)).width(1.5));
    });
    plot("API latency ms").show(ui, |p| {
        p.line(Line::new("p50", series(&|m| m.p50_ms as f64)).width(1.0));
        p.line(Line::new("p95", series(&|m| m.p95_ms as f64)).width(1.5));
        p.line(Line::new("p99", series(&|m| m.p99_ms as f64)).width(1.0));
        p.hline(egui_plot::HLine::new("p95 objective", slo_ms).style(LineStyle::dashed_loose()));
        marks(p);
    });
}
