//! Fill view: a Gantt timeline per site over the last 24 or 48 simulated hours. Each row shades the site's
//! local fill window and draws its transfers coloured by source tier (peer, tier, origin; forced ones
//! outlined), the one in progress growing to now; beside it, tonight's progress and a Fill now button. Fill
//! now also goes per cluster or for every site. The map animates the transfers in progress.

use std::collections::{HashMap, VecDeque};

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};
use twin::fill::{FillTier, Transfer, TransferLog, fill_windows};
use twin::placement::ClusterId;
use twin::{Command, Scope, SimTime, SiteId, Snapshot};

use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::ui::widgets::{swatch, tier_color};

pub const VIEW: ViewSpec = ViewSpec::of::<FillView>(ViewId::new("fill"), "Fill");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    /// Most bytes still to fill first, then most filled in the span shown.
    Pending,
    Name,
}

pub struct FillView {
    pub span_hours: u32,
    pub sort: SortBy,
    pub cluster: Option<ClusterId>,
    index: TransferIndex,
}

impl Default for FillView {
    fn default() -> Self {
        FillView { span_hours: 24, sort: SortBy::Pending, cluster: None, index: TransferIndex::default() }
    }
}

/// The transfer log by site, kept up to date by reading only what is new each frame (a Netflix-scale day
/// logs hundreds of thousands of transfers).
#[derive(Default)]
struct TransferIndex {
    next_seq: u64,
    by_site: HashMap<u32, SiteLog>,
}

/// One site's transfers, in the order they ended (a site runs one at a time), each with the bytes of all its
/// transfers through it: the bytes filled since any moment are a binary search and a difference, not a sum over
/// the site's transfers every frame.
#[derive(Default)]
struct SiteLog {
    transfers: VecDeque<(Transfer, u64)>,
}

impl SiteLog {
    fn push(&mut self, t: Transfer) {
        let through = self.transfers.back().map_or(0, |l| l.1) + t.bytes;
        self.transfers.push_back((t, through));
    }

    /// Bytes of the transfers that ended at or after `from_s`.
    fn bytes_since(&self, from_s: f64) -> u64 {
        let first = self.transfers.partition_point(|(t, _)| t.end_s < from_s);
        match (self.transfers.get(first), self.transfers.back()) {
            (Some((t, through)), Some((_, last))) => last - (through - t.bytes),
            _ => 0,
        }
    }

    fn since(&self, from_s: f64) -> impl Iterator<Item = &Transfer> {
        let first = self.transfers.partition_point(|(t, _)| t.end_s < from_s);
        self.transfers.range(first..).map(|(t, _)| t)
    }
}

impl TransferIndex {
    fn update(&mut self, log: &TransferLog, keep_from_s: f64) {
        if log.end_seq() < self.next_seq {
            // Another twin (a reset or a new scenario): start over.
            *self = TransferIndex::default();
        }
        if log.end_seq() == self.next_seq {
            return;
        }
        for t in log.since(self.next_seq) {
            self.by_site.entry(t.site.0).or_default().push(*t);
        }
        self.next_seq = log.end_seq();
        for v in self.by_site.values_mut() {
            while v.transfers.front().is_some_and(|(t, _)| t.end_s < keep_from_s) {
                v.transfers.pop_front();
            }
        }
    }
}

const ROW_H: f32 = 18.0;
const NAME_W: f32 = 190.0;
const SIDE_W: f32 = 230.0;
const WINDOW: Color32 = Color32::from_rgb(40, 54, 72);

impl View for FillView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        self.ui_control(ui, ctx);
        summary(ui, ctx.snapshot());
        self.gantt(ui, ctx);
    }
}

impl FillView {
    fn ui_control(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let c = &ctx.snapshot().content;
        ui.horizontal_wrapped(|ui| {
            ui.label("last");
            for h in [24, 48] {
                ui.selectable_value(&mut self.span_hours, h, format!("{h} h"));
            }
            ui.separator();
            ui.label("sort");
            ui.selectable_value(&mut self.sort, SortBy::Pending, "busiest");
            ui.selectable_value(&mut self.sort, SortBy::Name, "name");
            ui.separator();
            let name = |x: Option<ClusterId>| x.map_or("all clusters".to_string(), |x| c.clusters.get(x).name.clone());
            egui::ComboBox::new("fill_cluster", "sites shown").selected_text(name(self.cluster)).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.cluster, None, name(None));
                for ci in 0..c.clusters.len() {
                    let id = Some(ClusterId(ci as u32));
                    ui.selectable_value(&mut self.cluster, id, name(id));
                }
            });
            ui.separator();
            if let Some(cluster) = self.cluster
                && ui.button("Fill now: this cluster").clicked()
            {
                ctx.send(Command::FillNow { scope: Scope::Cluster(cluster) });
            }
            if ui.button("Fill now: every site").clicked() {
                ctx.send(Command::FillNow { scope: Scope::All });
            }
        });
        ui.horizontal(|ui| {
            for tier in FillTier::ALL {
                swatch(ui, tier_color(tier), tier.name());
            }
            swatch(ui, WINDOW, "local fill window");
            ui.weak("· white outline: run by Fill now, out of window");
        });
    }

    fn gantt(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snap = ctx.snapshot();
        let c = &snap.content;
        let model = &snap.model;
        let now_s = snap.time.seconds() as f64;
        let from_s = (now_s - self.span_hours as f64 * 3600.0).max(0.0);
        let span_s = (now_s - from_s).max(3600.0);
        // The index keeps the longest span, whichever is shown.
        self.index.update(&c.transfers, now_s - 48.0 * 3600.0);
        let by_site = &self.index.by_site;
        let mut sites: Vec<usize> = (0..model.world.sites.len())
            .filter(|&s| c.site_plans[s].is_some())
            .filter(|&s| self.cluster.is_none_or(|cl| c.clusters.of(SiteId(s as u32)) == cl))
            .collect();
        match self.sort {
            SortBy::Pending => {
                let filled = |s: usize| by_site.get(&(s as u32)).map_or(0, |v| v.bytes_since(from_s));
                sites.sort_by_cached_key(|&s| (std::cmp::Reverse((c.fill[s].pending_bytes, filled(s))), s))
            }
            SortBy::Name => sites.sort_by(|&a, &b| model.world.sites[a].name.cmp(&model.world.sites[b].name)),
        }
        let width = ui.available_width();
        let chart_w = (width - NAME_W - SIDE_W).max(120.0);
        // Time axis.
        let (axis, painter) = ui.allocate_painter(Vec2::new(width, 16.0), Sense::hover());
        let x_of = |t: f64, left: f32| left + NAME_W + ((t - from_s) / span_s) as f32 * chart_w;
        let start_utc = snap.start_utc;
        let first_tick = (from_s / 21600.0).ceil() * 21600.0;
        let mut tick = first_tick;
        while tick <= now_s {
            let x = x_of(tick, axis.rect.left());
            let label = SimTime(tick as u64).to_utc(start_utc).format("%a %H:%M UTC").to_string();
            painter.text(
                Pos2::new(x, axis.rect.top()),
                egui::Align2::CENTER_TOP,
                label,
                egui::FontId::proportional(10.0),
                Color32::GRAY,
            );
            tick += 21600.0;
        }
        if sites.is_empty() {
            ui.label("No site is filled by a planner (reactive sites fill on misses).");
            return;
        }
        egui::ScrollArea::vertical().show_rows(ui, ROW_H, sites.len(), |ui, range| {
            for &s in &sites[range] {
                let site = SiteId(s as u32);
                let info = &model.world.sites[s];
                let status = &c.fill[s];
                ui.horizontal(|ui| {
                    let (rect, response) = ui.allocate_exact_size(Vec2::new(NAME_W + chart_w, ROW_H), Sense::click());
                    let painter = ui.painter_at(rect);
                    let selected = ctx.selection.site == Some(site);
                    painter.text(
                        Pos2::new(rect.left(), rect.center().y),
                        egui::Align2::LEFT_CENTER,
                        &info.name,
                        egui::FontId::proportional(11.5),
                        if selected { Color32::WHITE } else { ui.visuals().text_color() },
                    );
                    let chart = Rect::from_min_max(
                        Pos2::new(rect.left() + NAME_W, rect.top() + 2.0),
                        Pos2::new(rect.right(), rect.bottom() - 2.0),
                    );
                    painter.rect_filled(chart, 0.0, Color32::from_rgb(22, 26, 33));
                    // The site's local fill windows in the span.
                    for (open, close) in fill_windows(&snap.content.fill_spec, model, site, SimTime(from_s as u64), snap.time) {
                        painter.rect_filled(
                            Rect::from_min_max(
                                Pos2::new(x_of(open.seconds() as f64, rect.left()), chart.top()),
                                Pos2::new(x_of(close.seconds() as f64, rect.left()), chart.bottom()),
                            ),
                            0.0,
                            WINDOW,
                        );
                    }
                    // Transfers: back-to-back ones of one tier merge into one bar.
                    let mut bar: Option<(f64, f64, FillTier, bool)> = None;
                    let draw = |bar: (f64, f64, FillTier, bool)| {
                        let (a, b, tier, forced) = bar;
                        let r = Rect::from_min_max(
                            Pos2::new(x_of(a.max(from_s), rect.left()), chart.top() + 2.0),
                            Pos2::new(
                                x_of(b, rect.left()).max(x_of(a.max(from_s), rect.left()) + 1.0),
                                chart.bottom() - 2.0,
                            ),
                        );
                        painter.rect_filled(r, 0.0, tier_color(tier));
                        if forced {
                            painter.rect_stroke(r, 0.0, Stroke::new(1.0, Color32::WHITE), egui::StrokeKind::Inside);
                        }
                    };
                    let px_s = span_s / chart_w as f64;
                    for t in by_site.get(&site.0).into_iter().flat_map(|v| v.since(from_s)) {
                        bar = match bar {
                            Some((a, b, tier, forced))
                                if tier == t.tier && forced == t.forced && t.start_s - b <= px_s =>
                            {
                                Some((a, t.end_s, tier, forced))
                            }
                            Some(prev) => {
                                draw(prev);
                                Some((t.start_s, t.end_s, t.tier, t.forced))
                            }
                            None => Some((t.start_s, t.end_s, t.tier, t.forced)),
                        };
                    }
                    if let Some(b) = bar {
                        draw(b);
                    }
                    if let Some(a) = status.active {
                        draw((a.start_s, now_s, a.tier, status.forced));
                    }
                    if response.clicked() {
                        ctx.selection.site = Some(site);
                    }
                    response.on_hover_ui(|ui| {
                        ui.strong(&info.name);
                        ui.label(format!(
                            "{} · {}",
                            c.clusters.get(c.clusters.of(site)).name,
                            if status.in_window { "in its fill window" } else { "outside its fill window" }
                        ));
                        ui.label(format!(
                            "{} files pending ({:.2} TB) · {} deletions waiting for their replacements",
                            status.pending_files,
                            status.pending_bytes as f64 / 1e12,
                            status.deletes_waiting
                        ));
                        ui.label(format!(
                            "this window {:.2} of {:.2} TB",
                            status.window_bytes as f64 / 1e12,
                            status.window_cap_bytes as f64 / 1e12
                        ));
                        if let Some(a) = status.active {
                            ui.label(format!(
                                "copying {} from {} ({:.0}%)",
                                model.catalog.titles[model.catalog.title_of(a.file).0 as usize].name,
                                a.tier.name(),
                                100.0 * a.done
                            ));
                        }
                        ui.weak("click to inspect the site");
                    });
                    let progress = status.completion();
                    ui.add(
                        egui::ProgressBar::new(progress.unwrap_or(1.0) as f32)
                            .desired_width(110.0)
                            .desired_height(ROW_H - 4.0)
                            .text(progress.map_or("up to date".into(), |x| format!("{:.0}%", 100.0 * x))),
                    );
                    if ui.small_button("Fill now").clicked() {
                        ctx.send(Command::FillNow { scope: Scope::Site(site) });
                    }
                });
            }
        });
    }
}

/// Completion, files live against pending, and what fills moved.
fn summary(ui: &mut egui::Ui, snap: &Snapshot) {
    let c = &snap.content;
    let (planned, done, pending_files, in_window) = c.fill.iter().fold((0u64, 0u64, 0u64, 0usize), |acc, f| {
        (acc.0 + f.planned_bytes, acc.1 + f.done_bytes, acc.2 + f.pending_files as u64, acc.3 + f.in_window as usize)
    });
    // Files not yet live are the ones in fill queues.
    let plan_files: usize = c.site_plans.iter().flatten().map(|m| m.file_count).sum();
    let live = plan_files.saturating_sub(pending_files as usize);
    let day_start = snap.time.minutes().saturating_sub(24 * 60) as usize;
    let mut tier_bytes = [0u64; 3];
    let (mut fill_backbone, mut miss) = (0u64, 0u64);
    for k in snap.kpis.iter().skip(day_start) {
        for (a, b) in tier_bytes.iter_mut().zip(k.fill_bytes) {
            *a += b;
        }
        fill_backbone += k.fill_backbone_bytes;
        miss += k.origin_bytes;
    }
    let tb = |b: u64| format!("{:.2} TB", b as f64 / 1e12);
    ui.label(format!(
        "tonight: {} · files live {} of {} planned ({} pending) · {} sites in their window now",
        if planned > 0 {
            format!("{:.1}% filled ({} of {})", 100.0 * done as f64 / planned as f64, tb(done), tb(planned))
        } else {
            "nothing to fill".into()
        },
        live,
        plan_files,
        pending_files,
        in_window
    ));
    ui.label(format!(
        "last 24 h: fills peer {} · tier {} · origin {} · backbone {} fills vs {} misses",
        tb(tier_bytes[0]),
        tb(tier_bytes[1]),
        tb(tier_bytes[2]),
        tb(fill_backbone),
        tb(miss)
    ));
}
