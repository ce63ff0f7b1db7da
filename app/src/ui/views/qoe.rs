//! QoE & latency view: time series of startup p50/p95, rebuffer %, EBVS %, offload/in-ISP/transit %,
//! delivered bitrate, edge and fill Gbps, and backbone Gbps split into misses and fills (world, or the selected
//! region), and a sortable per-region table. Picking a region highlights its sites on the map.

use connectors::overlay::ObservedSeries;
use egui_plot::{Legend, Line, Plot, PlotPoints};
use twin::region::REGIONS;
use twin::{History, KpiId, KpiSample, Snapshot};

use crate::ui::selection::Selection;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};

pub const VIEW: ViewSpec = ViewSpec::of::<QoeView>(ViewId::new("qoe"), "QoE & latency");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Region,
    Sessions,
    Plays,
    StartupP50,
    StartupP95,
    Rebuffer,
    Ebvs,
    Offload,
    InIsp,
    Transit,
    Delivered,
    EdgeGbps,
    MissGbps,
    BackboneFillGbps,
}

impl Column {
    const ALL: [Column; 14] = [
        Column::Region,
        Column::Sessions,
        Column::Plays,
        Column::StartupP50,
        Column::StartupP95,
        Column::Rebuffer,
        Column::Ebvs,
        Column::Offload,
        Column::InIsp,
        Column::Transit,
        Column::Delivered,
        Column::EdgeGbps,
        Column::MissGbps,
        Column::BackboneFillGbps,
    ];

    fn title(self) -> &'static str {
        match self {
            Column::Region => "region",
            Column::Sessions => "sessions",
            Column::Plays => "plays/min",
            Column::StartupP50 => "startup p50 s",
            Column::StartupP95 => "p95 s",
            Column::Rebuffer => "rebuffer %",
            Column::Ebvs => "EBVS %",
            Column::Offload => "offload %",
            Column::InIsp => "in-ISP %",
            Column::Transit => "transit %",
            Column::Delivered => "Mbps/play",
            Column::EdgeGbps => "edge Gbps",
            Column::MissGbps => "misses Gbps",
            Column::BackboneFillGbps => "bb fills Gbps",
        }
    }

    /// The sort key and display text of a region's last minute.
    fn value(self, region: usize, k: &KpiSample) -> (f64, String) {
        let opt = |v: Option<f64>, scale: f64, digits: usize| match v {
            Some(v) => (v * scale, format!("{:.*}", digits, v * scale)),
            None => (f64::NEG_INFINITY, "–".to_string()),
        };
        match self {
            Column::Region => (region as f64, REGIONS[region].1.to_string()),
            Column::Sessions => (k.active_sessions as f64, k.active_sessions.to_string()),
            Column::Plays => (k.plays as f64, k.plays.to_string()),
            Column::StartupP50 => opt(k.value(KpiId::StartupP50Ms), 1e-3, 2),
            Column::StartupP95 => opt(k.value(KpiId::StartupP95Ms), 1e-3, 2),
            Column::Rebuffer => opt(k.rebuffer_pct(), 1.0, 2),
            Column::Ebvs => opt(k.ebvs_pct(), 1.0, 2),
            Column::Offload => opt(k.offload(), 100.0, 2),
            Column::InIsp => opt(k.in_isp(), 100.0, 1),
            Column::Transit => opt(k.transit(), 100.0, 2),
            Column::Delivered => opt(k.delivered_kbps(), 1e-3, 2),
            Column::EdgeGbps => opt(Some(k.edge_gbps()), 1.0, 1),
            Column::MissGbps => opt(Some(k.miss_gbps()), 1.0, 2),
            Column::BackboneFillGbps => opt(Some(k.backbone_fill_gbps()), 1.0, 2),
        }
    }
}

/// The region table's sort order.
pub struct QoeView {
    pub sort_by: Column,
    pub descending: bool,
}

impl Default for QoeView {
    fn default() -> Self {
        QoeView { sort_by: Column::Sessions, descending: true }
    }
}

impl View for QoeView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snapshot = ctx.snapshot();
        let (scope, history): (&str, &History) = match ctx.selection.region {
            Some(r) => (REGIONS[r].1, &snapshot.region_kpis[r]),
            None => ("World", &snapshot.kpis),
        };
        ui.horizontal(|ui| {
            ui.heading(format!("QoE & latency · {scope}"));
            if ctx.selection.region.is_some() && ui.button("Show the world").clicked() {
                ctx.selection.region = None;
            }
        });
        let mirrored = ctx.published.observed.as_deref();
        if mirrored.is_some() {
            ui.weak("Per region: the twin's simulation (the mirror reads world KPIs).");
        }
        self.region_table(ui, ctx.selection, snapshot);
        ui.separator();
        // The world's series as the mirrored deployment reported them, where it is mirrored.
        let observed = mirrored.filter(|_| ctx.selection.region.is_none());
        if let Some(o) = observed {
            let (color, stale) = match o.kpis_current {
                true => (ui.visuals().text_color(), ""),
                false => (egui::Color32::from_rgb(230, 190, 60), " Not current: see AWS mirror."),
            };
            ui.colored_label(
                color,
                format!("World KPIs as the deployment reported them; those it does not map are not drawn.{stale}"),
            );
        }
        plots(ui, history, observed);
    }
}

impl QoeView {
    fn region_table(&mut self, ui: &mut egui::Ui, selection: &mut Selection, snapshot: &Snapshot) {
        let mut rows: Vec<(usize, KpiSample)> =
            (0..REGIONS.len()).filter_map(|r| snapshot.region_kpis[r].last().map(|k| (r, *k))).collect();
        rows.sort_by(|a, b| {
            let (x, y) = (self.sort_by.value(a.0, &a.1).0, self.sort_by.value(b.0, &b.1).0);
            let o = x.total_cmp(&y);
            if self.descending { o.reverse() } else { o }
        });
        egui::Grid::new("region_table").striped(true).num_columns(Column::ALL.len()).show(ui, |ui| {
            for c in Column::ALL {
                let arrow = match (self.sort_by == c, self.descending) {
                    (true, true) => " (down)",
                    (true, false) => " (up)",
                    _ => "",
                };
                if ui.button(egui::RichText::new(format!("{}{arrow}", c.title())).strong()).clicked() {
                    if self.sort_by == c {
                        self.descending = !self.descending;
                    } else {
                        (self.sort_by, self.descending) = (c, c != Column::Region);
                    }
                }
            }
            ui.end_row();
            for (r, k) in &rows {
                for c in Column::ALL {
                    let text = c.value(*r, k).1;
                    if c == Column::Region {
                        let selected = selection.region == Some(*r);
                        if ui.selectable_label(selected, text).on_hover_text("Highlight on the map").clicked() {
                            selection.region = if selected { None } else { Some(*r) };
                        }
                    } else {
                        ui.label(text);
                    }
                }
                ui.end_row();
            }
        });
        if rows.is_empty() {
            ui.weak("No minutes simulated yet: press Play or Step.");
        }
    }
}

/// The KPI time series of the world or the picked region, on one linked time axis: simulated, or those a
/// mirrored deployment `observed` (only the KPIs it maps).
fn plots(ui: &mut egui::Ui, history: &History, observed: Option<&ObservedSeries>) {
    let plots: [(&str, &[(KpiId, &str)]); 6] = [
        (
            "startup ms",
            &[
                (KpiId::StartupP50Ms, "startup p50"),
                (KpiId::StartupMeanMs, "startup mean"),
                (KpiId::StartupP95Ms, "startup p95"),
            ],
        ),
        ("rebuffer, EBVS %", &[(KpiId::RebufferPct, "rebuffer %"), (KpiId::EbvsPct, "EBVS %")]),
        (
            "% of bytes",
            &[(KpiId::OffloadPct, "offload %"), (KpiId::InIspPct, "in-ISP %"), (KpiId::TransitPct, "transit %")],
        ),
        ("kbps per play", &[(KpiId::DeliveredKbps, "delivered bitrate")]),
        ("edge Gbps", &[(KpiId::EdgeGbps, "edge (plays)"), (KpiId::FillGbps, "fills, all tiers")]),
        (
            "backbone Gbps",
            &[
                (KpiId::BackboneGbps, "backbone total"),
                (KpiId::MissGbps, "misses (plays from origin)"),
                (KpiId::BackboneFillGbps, "fills over the backbone"),
            ],
        ),
    ];
    let plot_h = ((ui.available_height() - 20.0) / plots.len() as f32).max(70.0);
    let link = ui.scope_id().with("qoe_time");
    for (name, series) in plots {
        Plot::new(name)
            .height(plot_h)
            .link_axis(link, [true, false])
            .legend(Legend::default())
            .x_axis_label("simulated hours")
            .y_axis_label(name)
            .allow_scroll(false)
            .show(ui, |plot| {
                for &(kpi, label) in series {
                    let line = match observed {
                        None => points(history, kpi),
                        Some(o) => match o.kpi(kpi) {
                            Some(p) => p.iter().map(|(t, v)| [t.seconds() as f64 / 3600.0, *v]).collect(),
                            None => continue,
                        },
                    };
                    plot.line(Line::new(label, line).width(1.5));
                }
            });
    }
}

fn points(history: &History, kpi: KpiId) -> PlotPoints<'static> {
    history.iter().filter_map(|s| s.value(kpi).map(|v| [s.t.seconds() as f64 / 3600.0, v])).collect()
}
