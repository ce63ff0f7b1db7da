//! Site inspector: one site's appliances, disk, files, egress against capacity, sessions, startup, and a plot
//! of its last hours. Shown beside the view while a site is picked (clicking one on the map or in the fill
//! Gantt); closing it clears the pick.

use egui_plot::{Legend, Line, Plot};
use twin::world::SiteKind;
use twin::{Command, PlacementKind, Scope, SiteId};

use twin::whatif::{Change, Edit};

use super::control::Control;
use super::view::{View, ViewCtx};
use super::widgets::HEALTHY;

/// Holds nothing of its own: the site is the selection's.
#[derive(Default)]
pub struct SiteInspector;

impl View for SiteInspector {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let Some(site) = ctx.selection.site else { return };
        if !inspect(ui, ctx, site) {
            ctx.selection.site = None;
        }
    }
}

/// Draws the inspector; false when the operator closes it (or the site does not exist).
fn inspect(ui: &mut egui::Ui, ctx: &mut ViewCtx, site: SiteId) -> bool {
    let p = ctx.published;
    let world = &p.snapshot.model.world;
    let s = site.0 as usize;
    let (Some(info), Some(now)) = (world.sites.get(s), p.snapshot.sites.get(s)) else {
        return false;
    };
    let mut open = true;
    ui.horizontal(|ui| {
        ui.heading("Site");
        if ui.button("Close").clicked() {
            open = false;
        }
    });
    ui.strong(&info.name);
    let metro = &world.metros[info.metro.0 as usize];
    ui.label(format!("{}, {} · {}", metro.name, metro.country, info.region.name()));
    ui.label(match info.kind {
        SiteKind::Ixp => "Public IXP site: serves members of every ISP".to_string(),
        SiteKind::Embedded(isp) => format!("Embedded in {}: serves only its members", world.isps[isp.0 as usize].name),
    });
    let up = p.snapshot.site_up[s];
    let retired = p.snapshot.site_retired.get(s).copied().unwrap_or(false);
    ui.horizontal(|ui| {
        if retired {
            ui.colored_label(ui.visuals().error_fg_color, "removed for good");
        } else if up {
            ui.colored_label(HEALTHY, "in service");
            if ui.button("Take out of service").clicked() {
                ctx.send(Command::SetSiteUp { site, up: false });
            }
        } else {
            ui.colored_label(ui.visuals().error_fg_color, "out of service");
            if ui.button("Bring back").clicked() {
                ctx.send(Command::SetSiteUp { site, up: true });
            }
        }
    });
    if !retired
        && ui
            .button("Retire this site…")
            .on_hover_text("A what-if edit: the site removed for good, in a branch compared with the twin as it runs")
            .clicked()
    {
        ctx.send(Control::AddEdit(Box::new(Edit { at_hours: 0.0, change: Change::RemoveSite { site: site.0 } })));
    }
    ui.separator();

    let model = &p.snapshot.model;
    let spec = &model.scenario.appliances;
    let content = &p.snapshot.content;
    let plan = content.site_plans[site.0 as usize].as_deref();
    let used_bytes = p.snapshot.placement.held_bytes(site) + plan.map_or(0, |m| m.replica_bytes);
    egui::Grid::new("site_facts").num_columns(2).show(ui, |ui| {
        ui.label("appliances");
        ui.label(format!(
            "{} storage ({:.0} TB, {:.0} Gbps) · {} flash ({:.0} TB, {:.0} Gbps)",
            info.storage_appliances,
            spec.storage.disk_tb,
            spec.storage.egress_gbps,
            info.flash_appliances,
            spec.flash.disk_tb,
            spec.flash.egress_gbps
        ));
        ui.end_row();
        ui.label("disk used");
        ui.add(egui::ProgressBar::new((used_bytes as f64 / info.disk_bytes.max(1) as f64) as f32).text(format!(
            "{:.1} / {:.0} TB",
            used_bytes as f64 / 1e12,
            info.disk_bytes as f64 / 1e12
        )));
        ui.end_row();
        ui.label("files live");
        match (plan, p.snapshot.plan_progress(site)) {
            (Some(m), Some(progress)) => {
                ui.label(format!(
                    "{} of {} planned ({} pending) · {} on flash · catalogue {}",
                    progress.live_files,
                    progress.planned_files,
                    progress.pending_files(),
                    m.layout.flash.len(),
                    model.catalog.file_count()
                ));
            }
            _ => {
                ui.label(format!("{} cached of {}", p.snapshot.placement.held_count(site), model.catalog.file_count()));
            }
        }
        ui.end_row();
        ui.label("cluster");
        ui.label(&content.clusters.get(content.clusters.of(site)).name);
        ui.end_row();
        ui.label("offload");
        ui.label(
            content
                .site_offload(site.0 as usize)
                .map_or("–".into(), |o| format!("{:.1}% of offered bytes", 100.0 * o)),
        );
        ui.end_row();
        ui.label("egress now");
        ui.add(
            egui::ProgressBar::new(now.utilization.clamp(0.0, 1.0))
                .text(format!("{:.1} / {:.0} Gbps", now.egress_gbps, info.egress_gbps)),
        );
        ui.end_row();
        ui.label("sessions");
        ui.label(format!("{} playing · {} plays last minute", now.active_sessions, now.plays));
        ui.end_row();
        ui.label("startup");
        ui.label(if now.plays > 0 {
            format!("p50 {:.2} s · p95 {:.2} s", now.startup_p50_ms / 1000.0, now.startup_p95_ms / 1000.0)
        } else {
            "–".to_string()
        });
        ui.end_row();
    });
    ui.separator();
    placement_controls(ui, ctx, site);
    ui.separator();

    match &p.inspected {
        Some((inspected, history)) if *inspected == site && !history.is_empty() => {
            let end_min = p.snapshot.time.minutes() as f64;
            let start = end_min - history.len() as f64;
            let egress: Vec<[f64; 2]> = history
                .iter()
                .enumerate()
                .map(|(i, m)| [(start + i as f64 - end_min) / 60.0, m.egress_gbps as f64])
                .collect();
            let capacity = info.egress_gbps;
            Plot::new(("site_history", s))
                .height(180.0)
                .legend(Legend::default())
                .x_axis_label("hours before now")
                .y_axis_label("Gbps")
                .include_y(0.0)
                .allow_scroll(false)
                .show(ui, |plot| {
                    plot.line(Line::new("egress", egress));
                    plot.line(Line::new("capacity", vec![[(start - end_min) / 60.0, capacity], [0.0, capacity]]));
                });
        }
        _ => {
            ui.weak("History appears once the twin has simulated a minute with this site open.");
        }
    }
    open
}

/// The site's placement policy (switchable), and its fill: window, progress, Fill now.
fn placement_controls(ui: &mut egui::Ui, ctx: &mut ViewCtx, site: SiteId) {
    let content = &ctx.snapshot().content;
    let s = site.0 as usize;
    let current = content.site_policy[s];
    ui.horizontal(|ui| {
        let mut chosen = current;
        egui::ComboBox::new(("site_policy", s), "placement policy").selected_text(current.name()).show_ui(ui, |ui| {
            for kind in PlacementKind::ALL {
                ui.selectable_value(&mut chosen, kind, kind.name());
            }
        });
        if chosen != current {
            ctx.send(Command::SetSitePolicy { site, policy: chosen });
        }
    });
    if current.is_reactive() {
        ui.weak("A reactive cache: misses are fetched at once and admitted.");
        return;
    }
    let fill = &content.fill[s];
    ui.horizontal(|ui| {
        ui.label(if fill.in_window { "in its fill window" } else { "outside its fill window" });
        ui.add(
            egui::ProgressBar::new(fill.completion().unwrap_or(1.0) as f32)
                .desired_width(120.0)
                .text(fill.completion().map_or("up to date".into(), |c| format!("{:.0}% filled", 100.0 * c))),
        );
        if ui.button("Fill now").clicked() {
            ctx.send(Command::FillNow { scope: Scope::Site(site) });
        }
    });
}
