//! Placement view: a heat map of files (x, most popular first in the chosen region) × manifest clusters (y):
//! each cell is the share of its files the cluster's plan holds, amber on flash, blue on storage. Beside it the
//! titles, predicted against observed popularity, and for the picked title where it lives and its pin/exclude
//! rules. Picking a title highlights the sites holding it on the map.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};
use twin::catalog::{Catalog, FileId, TitleId};
use twin::placement::ClusterId;
use twin::region::REGIONS;
use twin::{Command, Scope, Snapshot, TitleRule};

use crate::ui::control::Control;
use crate::ui::selection::Selection;
use crate::ui::thumbnails::Thumbnails;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::ui::widgets::{TITLE_HIGHLIGHT, swatch};

pub const VIEW: ViewSpec = ViewSpec::of::<PlacementView>(ViewId::new("placement"), "Placement");

/// Where the title's rule buttons apply: every site, a cluster, or the site picked on the map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RuleScope {
    #[default]
    All,
    Cluster(ClusterId),
    SelectedSite,
}

#[derive(Default)]
pub struct PlacementView {
    /// The region whose popularity orders the files.
    pub region: usize,
    pub search: String,
    /// Where pin/exclude buttons apply.
    pub scope: RuleScope,
    cells: Option<HeatCells>,
    thumbnails: Thumbnails,
}

/// The heat map's counts, kept until the plans, the ordering or the width change: at Netflix scale they
/// take millions of lookups to count.
struct HeatCells {
    /// Region, columns, and the generation of each cluster's plan (0: none).
    key: (usize, usize, Vec<u64>),
    /// Per cluster and column: files planned, and of them on flash.
    counts: Vec<Vec<(u32, u32)>>,
}

const ROW_H: f32 = 18.0;
const LABEL_W: f32 = 130.0;
const STATS_W: f32 = 190.0;
const FLASH: Color32 = Color32::from_rgb(250, 180, 60);
const STORAGE: Color32 = Color32::from_rgb(70, 150, 250);
const EMPTY: Color32 = Color32::from_rgb(28, 33, 42);

impl View for PlacementView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        self.ui_control(ui, ctx.snapshot());
        egui::Panel::right("placement_titles").default_size(380.0).show(ui, |ui| self.title_panel(ui, ctx));
        egui::CentralPanel::default().show(ui, |ui| self.heat_map(ui, ctx.selection, ctx.snapshot()));
    }
}

impl PlacementView {
    fn ui_control(&mut self, ui: &mut egui::Ui, snap: &Snapshot) {
        let c = &snap.content;
        ui.horizontal_wrapped(|ui| {
            ui.label("files ranked by predicted popularity in the");
            egui::ComboBox::new("placement_region", "region").selected_text(REGIONS[self.region].1).show_ui(ui, |ui| {
                for (r, (_, name)) in REGIONS.iter().enumerate() {
                    ui.selectable_value(&mut self.region, r, *name);
                }
            });
            ui.separator();
            let kinds: Vec<String> = c.policy_counts().iter().map(|(k, n)| format!("{} × {n}", k.name())).collect();
            ui.label(format!("policies: {}", kinds.join(", ")));
            ui.separator();
            match c.prediction_errors.last() {
                Some(e) => ui.label(format!(
                    "prediction error (WAPE) day {}: {:.1}% all files, {:.1}% top tenth of videos",
                    e.day,
                    100.0 * e.wape,
                    100.0 * e.head_wape
                )),
                None => ui.label("prediction error: scored once a full day has been simulated"),
            };
        });
        ui.horizontal(|ui| {
            swatch(ui, FLASH, "on flash");
            swatch(ui, STORAGE, "on storage");
            swatch(ui, EMPTY, "not planned");
            ui.weak("· a cell is a run of files of similar popularity; brighter = more of them planned");
        });
    }

    fn heat_map(&mut self, ui: &mut egui::Ui, selection: &mut Selection, snap: &Snapshot) {
        let c = &snap.content;
        let model = &snap.model;
        let order = &c.predicted[self.region].order;
        let clusters = &c.clusters.list;
        let width = ui.available_width();
        let plot_w = (width - LABEL_W - STATS_W).max(100.0);
        let (per, cols) = buckets(order.len(), plot_w);
        let col_w = plot_w / cols.max(1) as f32;
        // A striped cluster shows its first stripe.
        let plans: Vec<Option<&twin::placement::Manifest>> =
            clusters.iter().map(|cl| cl.sites.iter().find_map(|s| c.site_plans[s.0 as usize].as_deref())).collect();
        let key = (self.region, cols, plans.iter().map(|m| m.map_or(0, |m| m.generation)).collect());
        if self.cells.as_ref().is_none_or(|cells| cells.key != key) {
            let counts = plans
                .iter()
                .map(|plan| {
                    (0..cols)
                        .map(|col| {
                            let files = &order[col * per..((col + 1) * per).min(order.len())];
                            plan.map_or((0, 0), |m| {
                                files.iter().fold((0, 0), |(h, f), &x| {
                                    let x = FileId(x);
                                    (h + m.files.contains(x) as u32, f + m.layout.flash.contains(x) as u32)
                                })
                            })
                        })
                        .collect()
                })
                .collect();
            self.cells = Some(HeatCells { key, counts });
        }
        let counts = &self.cells.as_ref().expect("just filled").counts;
        egui::ScrollArea::vertical().show(ui, |ui| {
            let height = ROW_H * (clusters.len() + 1) as f32;
            let (response, painter) = ui.allocate_painter(Vec2::new(width, height), Sense::click());
            let origin = response.rect.min;
            let plot_x = origin.x + LABEL_W;
            painter.text(
                Pos2::new(plot_x, origin.y + 2.0),
                egui::Align2::LEFT_TOP,
                format!("{} files, most popular on the left (each column {per} files)", order.len()),
                egui::FontId::proportional(11.0),
                Color32::GRAY,
            );
            let selected_rank = selection.title.map(|t| title_rank(order, &model.catalog, t));
            let mut hover = None;
            for (ci, cluster) in clusters.iter().enumerate() {
                let y = origin.y + ROW_H * (ci + 1) as f32;
                painter.text(
                    Pos2::new(origin.x, y + ROW_H / 2.0),
                    egui::Align2::LEFT_CENTER,
                    &cluster.name,
                    egui::FontId::proportional(12.0),
                    ui.visuals().text_color(),
                );
                // Runs of equal colour are painted as one rectangle, on whole pixels: no seams between cells.
                let mut run: Option<(usize, Color32)> = None;
                let x_at = |col: usize| (plot_x + col as f32 * col_w).round();
                let paint = |from: usize, to: usize, color: Color32| {
                    let r = Rect::from_min_max(Pos2::new(x_at(from), y + 1.0), Pos2::new(x_at(to), y + ROW_H - 1.0));
                    painter.rect_filled(r, 0.0, color);
                };
                for col in 0..cols {
                    let files = &order[col * per..((col + 1) * per).min(order.len())];
                    let (held, flash) = counts[ci][col];
                    let (held, flash) = (held as usize, flash as usize);
                    let color = cell_color(held, flash, files.len());
                    run = match run {
                        Some((from, c)) if c == color => Some((from, c)),
                        Some((from, c)) => {
                            paint(from, col, c);
                            Some((col, color))
                        }
                        None => Some((col, color)),
                    };
                    let cell = Rect::from_min_max(Pos2::new(x_at(col), y), Pos2::new(x_at(col + 1), y + ROW_H));
                    if response.hover_pos().is_some_and(|h| cell.contains(h)) {
                        hover = Some((ci, col, held, flash, files.len()));
                    }
                }
                if let Some((from, c)) = run {
                    paint(from, cols, c);
                }
                let offload = cluster_offload(snap, &cluster.sites);
                painter.text(
                    Pos2::new(plot_x + plot_w + 8.0, y + ROW_H / 2.0),
                    egui::Align2::LEFT_CENTER,
                    format!(
                        "{} sites{} · {}",
                        cluster.sites.len(),
                        if cluster.stripes > 1 { format!(" in {} stripes", cluster.stripes) } else { String::new() },
                        offload.map_or("–".into(), |o| format!("{:.1}% off.", 100.0 * o))
                    ),
                    egui::FontId::proportional(11.0),
                    Color32::GRAY,
                );
            }
            if let Some(rank) = selected_rank.flatten() {
                let x = plot_x + (rank / per) as f32 * col_w + col_w / 2.0;
                painter.line_segment(
                    [Pos2::new(x, origin.y + ROW_H), Pos2::new(x, origin.y + height)],
                    Stroke::new(1.5, TITLE_HIGHLIGHT),
                );
            }
            if let Some((ci, col, held, flash, n)) = hover {
                let first = col * per;
                response.clone().on_hover_ui_at_pointer(|ui| {
                    ui.strong(&clusters[ci].name);
                    ui.label(format!("popularity ranks {}–{} in {}", first + 1, first + n, REGIONS[self.region].1));
                    ui.label(format!("{held} of {n} files planned, {flash} of them on flash"));
                    if let Some(&f) = order.get(first) {
                        let t = model.catalog.title_of(FileId(f));
                        ui.label(format!("most popular here: {}", model.catalog.titles[t.0 as usize].name));
                    }
                    ui.weak("click to pick that title");
                });
                if response.clicked()
                    && let Some(&f) = order.get(first)
                {
                    selection.title = Some(model.catalog.title_of(FileId(f)));
                }
            }
        });
    }

    /// The picked title's details and rules, above the titles in order of popularity.
    fn title_panel(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snap = ctx.snapshot();
        let catalog = &snap.model.catalog;
        if let Some(t) = ctx.selection.title {
            self.title_detail(ui, ctx, t);
            ui.separator();
        }
        ui.horizontal(|ui| {
            ui.label("titles");
            ui.add(egui::TextEdit::singleline(&mut self.search).hint_text("search by name").desired_width(160.0));
        });
        // Titles in order of the plays the plan expected of them.
        let needle = self.search.to_lowercase();
        let mut titles: Vec<(TitleId, f64, Option<f64>)> = (0..catalog.titles.len() as u32)
            .map(TitleId)
            .filter(|&t| !catalog.is_free_slot(t))
            .filter(|&t| needle.is_empty() || catalog.titles[t.0 as usize].name.to_lowercase().contains(&needle))
            .map(|t| {
                let (predicted, seen) = snap.content.title_plays(catalog, self.region, t);
                (t, predicted, seen)
            })
            .collect();
        titles.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        titles.truncate(200);
        ui.weak(format!(
            "plays a day in {} (full-play equivalents): what today's plan used / what yesterday saw (– before a \
             whole day was seen)",
            REGIONS[self.region].1
        ));
        egui::ScrollArea::vertical().id_salt("placement_title_list").show(ui, |ui| {
            egui::Grid::new("placement_titles_grid").num_columns(3).striped(true).show(ui, |ui| {
                ui.strong("title");
                ui.strong("predicted");
                ui.strong("seen");
                ui.end_row();
                for (t, pred, seen) in titles {
                    let name = &catalog.titles[t.0 as usize].name;
                    if ui.selectable_label(ctx.selection.title == Some(t), name).clicked() {
                        ctx.selection.title = Some(t);
                    }
                    ui.label(format!("{pred:.1}"));
                    ui.label(seen.map_or("–".into(), |s| format!("{s:.1}")));
                    ui.end_row();
                }
            });
        });
    }

    /// Where the title is planned and live, and its pin/exclude rules.
    fn title_detail(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx, title: TitleId) {
        let snap = ctx.snapshot();
        let model = &snap.model;
        let c = &snap.content;
        let t = &model.catalog.titles[title.0 as usize];
        ui.horizontal(|ui| {
            ui.heading(&t.name);
            if ui.button("Clear").clicked() {
                ctx.selection.title = None;
            }
        });
        ui.label(format!(
            "{} · {} · {} videos · released day {:.1}",
            if t.is_movie() { "movie" } else { "series" },
            model.catalog.genres[t.genre as usize],
            t.videos.len(),
            t.release_s as f64 / 86_400.0
        ));
        // A title ingested here for real: its stills from the origin folder.
        let job = snap.ingest.jobs.iter().find(|j| j.joined_as() == Some(title));
        if let Some(job) = job
            && let Some(dir) = ctx.encodes.thumbnails(job, (320, 180))
        {
            self.thumbnails.show(ui, job.id, &dir, 6, 120.0);
        }
        egui::Grid::new("title_popularity").num_columns(4).show(ui, |ui| {
            ui.strong("region");
            ui.strong("predicted");
            ui.strong("seen");
            ui.strong("error");
            ui.end_row();
            for (r, (code, _)) in REGIONS.iter().enumerate() {
                let (pred, seen) = snap.content.title_plays(&model.catalog, r, title);
                ui.label(*code);
                ui.label(format!("{pred:.1}"));
                ui.label(seen.map_or("–".into(), |s| format!("{s:.1}")));
                ui.label(match seen {
                    Some(s) if s > 0.0 => format!("{:+.0}%", 100.0 * (pred - s) / s),
                    _ => "–".into(),
                });
                ui.end_row();
            }
        });
        // Where it lives: sites holding it live, and its files planned, per cluster.
        let files: Vec<FileId> = model.catalog.files_of(title).collect();
        let holding = snap.sites_holding(title);
        ui.horizontal(|ui| {
            ui.label(format!("live at {} of {} sites", holding.iter().filter(|&&h| h).count(), holding.len()));
            if ui.button("Show on map").clicked() {
                ctx.send(Control::ShowView(ViewId::MAP));
            }
        });
        egui::ScrollArea::vertical().id_salt("title_clusters").max_height(150.0).show(ui, |ui| {
            egui::Grid::new("title_clusters_grid").num_columns(3).striped(true).show(ui, |ui| {
                for (ci, cluster) in c.clusters.list.iter().enumerate() {
                    let planned = cluster
                        .sites
                        .first()
                        .and_then(|s| c.site_plans[s.0 as usize].as_ref())
                        .map_or(0, |m| files.iter().filter(|&&f| m.files.contains(f)).count());
                    let live = cluster.sites.iter().filter(|s| holding[s.0 as usize]).count();
                    let rule = c
                        .rules
                        .iter()
                        .find(|(scope, t, _)| *t == title && *scope == Scope::Cluster(ClusterId(ci as u32)));
                    ui.label(&cluster.name);
                    ui.label(format!(
                        "{planned}/{} files planned · live at {live}/{} sites",
                        files.len(),
                        cluster.sites.len()
                    ));
                    ui.label(rule.map_or("", |(_, _, r)| match r {
                        TitleRule::Pin => "pinned",
                        TitleRule::Exclude => "excluded",
                    }));
                    ui.end_row();
                }
            });
        });
        let site = ctx.selection.site;
        if self.scope == RuleScope::SelectedSite && site.is_none() {
            self.scope = RuleScope::All;
        }
        let scope_name = |s: RuleScope| match (s, site) {
            (RuleScope::Cluster(c), _) => snap.content.clusters.get(c).name.clone(),
            (RuleScope::SelectedSite, Some(site)) => model.world.sites[site.0 as usize].name.clone(),
            _ => "every site".to_string(),
        };
        ui.horizontal(|ui| {
            ui.label("rule at");
            egui::ComboBox::new("rule_scope", "scope").selected_text(scope_name(self.scope)).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.scope, RuleScope::All, scope_name(RuleScope::All));
                if site.is_some() {
                    ui.selectable_value(&mut self.scope, RuleScope::SelectedSite, scope_name(RuleScope::SelectedSite));
                }
                for ci in 0..c.clusters.len() {
                    let id = RuleScope::Cluster(ClusterId(ci as u32));
                    ui.selectable_value(&mut self.scope, id, scope_name(id));
                }
            });
        });
        let scope = match (self.scope, site) {
            (RuleScope::Cluster(c), _) => Scope::Cluster(c),
            (RuleScope::SelectedSite, Some(s)) => Scope::Site(s),
            _ => Scope::All,
        };
        let current = c.rules.iter().find(|(s, t, _)| *s == scope && *t == title).map(|(_, _, r)| *r);
        ui.horizontal(|ui| {
            for (label, rule) in
                [("Pin", Some(TitleRule::Pin)), ("Exclude", Some(TitleRule::Exclude)), ("Unpin / clear", None)]
            {
                let active = current == rule;
                if ui.add_enabled(!active, egui::Button::new(label)).clicked() {
                    ctx.send(Command::SetTitleRule { scope, title, rule });
                }
            }
            if ui.button("Fill now").on_hover_text("Start the fill of the sites in this scope now").clicked() {
                ctx.send(Command::FillNow { scope });
            }
        });
        ui.weak("Rules change tonight's plan; fills carry it out in each site's window, or at once with Fill now.");
    }
}

/// Files per heat-map column and the column count for a plot `width` pixels wide.
fn buckets(files: usize, width: f32) -> (usize, usize) {
    let cols = (width.max(1.0) as usize).min(files.max(1));
    let per = files.div_ceil(cols.max(1)).max(1);
    (per, files.div_ceil(per))
}

/// Blue for storage, amber for flash, brighter the larger the share of the cell's files planned.
fn cell_color(held: usize, flash: usize, n: usize) -> Color32 {
    if held == 0 || n == 0 {
        return EMPTY;
    }
    let share = held as f32 / n as f32;
    let on = if flash * 2 >= held { FLASH } else { STORAGE };
    EMPTY.lerp_to_gamma(on, 0.25 + 0.75 * share)
}

/// Rank (in the region's order) of the title's most popular file, if any of its files are ranked.
fn title_rank(order: &[u32], catalog: &Catalog, title: TitleId) -> Option<usize> {
    order.iter().position(|&f| catalog.title_of(FileId(f)) == title)
}

/// Bytes a cluster's sites served of the bytes first offered to them, since the start.
fn cluster_offload(snap: &Snapshot, sites: &[twin::SiteId]) -> Option<f64> {
    let c = &snap.content;
    let (offered, hit) = sites
        .iter()
        .fold((0u64, 0u64), |(o, h), s| (o + c.site_offered_bytes[s.0 as usize], h + c.site_hit_bytes[s.0 as usize]));
    (offered > 0).then(|| hit as f64 / offered as f64)
}
