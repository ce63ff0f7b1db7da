//! Map view: land, edge sites (sized by capacity, coloured by load, health or startup), origin regions, and
//! backbone flows drawn Vizceral-style as dots streaming from origin to metro. Pan by dragging, zoom with the
//! wheel; zoomed out, nearby sites merge into one circle so a 6,000-site world stays legible and fast. Fills in
//! progress stream from their source to the site in their tier's colour; a title picked in the placement view
//! rings the sites holding it.

use std::collections::HashMap;

use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Vec2};
use twin::world::{SiteKind, World};
use twin::{SiteId, Snapshot};

use crate::ui::land;
use crate::ui::selection::Selection;
use crate::ui::view::{View, ViewCtx, ViewId, ViewSpec};
use crate::ui::widgets::{HEALTHY, TITLE_HIGHLIGHT, tier_color};

#[path = "map_labels.rs"]
mod labels;

use labels::{LabelRequest, Obstacles};

pub const VIEW: ViewSpec = ViewSpec::of::<MapView>(ViewId::MAP, "Map");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorBy {
    Load,
    Health,
    Startup,
}

impl ColorBy {
    fn label(self) -> &'static str {
        match self {
            ColorBy::Load => "load",
            ColorBy::Health => "health",
            ColorBy::Startup => "startup p50",
        }
    }
}

pub struct MapView {
    /// Centre of the view, (lon, lat) degrees.
    pub center: [f32; 2],
    /// Pixels per degree; 0 until the first frame fits the world.
    pub zoom: f32,
    pub color_by: ColorBy,
    /// Where the map was drawn last frame, so a point can be placed on screen (`screen_pos`).
    pub rect: Rect,
    /// The labels drawn last frame, each with where it went.
    label_rects: Vec<(String, Rect)>,
    /// The origin markers drawn last frame.
    origin_rects: Vec<Rect>,
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            center: [10.0, 20.0],
            zoom: 0.0,
            color_by: ColorBy::Load,
            rect: Rect::NOTHING,
            label_rects: Vec::new(),
            origin_rects: Vec::new(),
        }
    }
}

impl MapView {
    /// The labels drawn in the last frame (an origin's name and its fleet line are one label), each with its
    /// screen rect.
    pub fn label_rects(&self) -> &[(String, Rect)] {
        &self.label_rects
    }

    /// The screen rects of the origin markers drawn in the last frame.
    pub fn origin_marker_rects(&self) -> &[Rect] {
        &self.origin_rects
    }

    /// Where a site was drawn in the last frame (when zoomed in enough to draw sites one by one).
    pub fn site_screen_pos(&self, world: &World, site: SiteId) -> Pos2 {
        let proj = Projection { rect: self.rect, center: self.center, zoom: self.zoom };
        let spread = co_located(world);
        site_pos(&proj, world, site.0 as usize, spread[site.0 as usize])
    }
}

/// For every site, its rank among the sites of its metro and how many there are: sites sharing a metro are
/// drawn on a small ring around it so each can be seen and clicked.
fn co_located(world: &World) -> Vec<(u16, u16)> {
    let mut count: HashMap<u32, u16> = HashMap::new();
    let ranks: Vec<u16> = world
        .sites
        .iter()
        .map(|s| {
            let c = count.entry(s.metro.0).or_insert(0);
            *c += 1;
            *c - 1
        })
        .collect();
    world.sites.iter().zip(ranks).map(|(s, r)| (r, count[&s.metro.0])).collect()
}

fn site_pos(proj: &Projection, world: &World, site: usize, (rank, count): (u16, u16)) -> Pos2 {
    let metro = &world.metros[world.sites[site].metro.0 as usize];
    let center = proj.to_screen(metro.lon as f32, metro.lat as f32);
    if count <= 1 {
        return center;
    }
    let angle = std::f32::consts::TAU * rank as f32 / count as f32;
    center + Vec2::angled(angle) * (6.0 + 2.0 * count as f32)
}

/// Below this many pixels per degree, sites closer than `CLUSTER_PX` merge.
const CLUSTER_BELOW_ZOOM: f32 = 12.0;
const CLUSTER_PX: f32 = 14.0;
/// More sites than this on screen are merged too, whatever the zoom.
const MAX_SITES_DRAWN_ALONE: usize = 1000;
/// Above this many pixels per degree, the 1:50m coastline replaces the 1:110m one.
const DETAILED_LAND_ZOOM: f32 = 9.0;

const OCEAN: Color32 = land::OCEAN;

/// Equirectangular projection of the current view.
struct Projection {
    rect: Rect,
    center: [f32; 2],
    zoom: f32,
}

impl Projection {
    fn to_screen(&self, lon: f32, lat: f32) -> Pos2 {
        Pos2::new(
            self.rect.center().x + (lon - self.center[0]) * self.zoom,
            self.rect.center().y - (lat - self.center[1]) * self.zoom,
        )
    }
    fn to_lonlat(&self, p: Pos2) -> [f32; 2] {
        [
            self.center[0] + (p.x - self.rect.center().x) / self.zoom,
            self.center[1] - (p.y - self.rect.center().y) / self.zoom,
        ]
    }
    fn visible(&self, min: [f32; 2], max: [f32; 2]) -> bool {
        let a = self.to_screen(min[0], max[1]);
        let b = self.to_screen(max[0], min[1]);
        Rect::from_min_max(a, b).intersects(self.rect)
    }
}

/// One circle on the map: a site, or several merged.
struct Marker {
    pos: Pos2,
    sites: Vec<usize>,
    capacity_gbps: f64,
    egress_gbps: f64,
    sessions: u64,
    down: usize,
}

impl View for MapView {
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx) {
        let snap = ctx.snapshot();
        let holding = ctx.selection.title.map(|t| snap.sites_holding(t));
        self.ui_control(ui, ctx.selection, snap, holding.as_deref());
        let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let rect = response.rect;
        if self.zoom <= 0.0 {
            self.fit_world(rect);
        }
        self.navigate(ui, &response);
        self.rect = rect;
        let proj = Projection { rect, center: self.center, zoom: self.zoom };

        painter.rect_filled(rect, 0.0, OCEAN);
        draw_land(&painter, &proj);
        let mut flows = draw_flows(ui, &painter, &proj, snap);
        flows.extend(draw_fill_flows(ui, &painter, &proj, snap));
        let animating = !flows.is_empty();
        let markers = build_markers(&proj, snap);
        draw_markers(&painter, &markers, self.color_by, ctx.selection, holding.as_deref(), snap);
        let legend = draw_legend(&painter, rect, self.color_by);
        let obstacles = Obstacles {
            hard: vec![legend],
            soft: markers.iter().map(|m| Rect::from_center_size(m.pos, Vec2::splat(2.0 * m.radius() + 2.0))).collect(),
            lines: flows,
        };
        (self.label_rects, self.origin_rects) = draw_origins(&painter, &proj, snap, obstacles);

        let hovered = response.hover_pos().and_then(|pos| marker_at(&markers, pos));
        if let Some(i) = hovered {
            response.clone().on_hover_ui_at_pointer(|ui| marker_tooltip(ui, &markers[i], snap));
        }
        if response.clicked() {
            match hovered.map(|i| &markers[i]) {
                Some(m) if m.sites.len() == 1 => ctx.selection.site = Some(SiteId(m.sites[0] as u32)),
                Some(m) => {
                    // Clicking a cluster zooms into it.
                    self.center = proj.to_lonlat(m.pos);
                    self.zoom = (self.zoom * 3.0).min(400.0);
                }
                None => {}
            }
        }
        if animating {
            ui.ctx().request_repaint();
        }
    }
}

impl MapView {
    /// The knobs above the map.
    fn ui_control(&mut self, ui: &mut egui::Ui, selection: &mut Selection, snap: &Snapshot, holding: Option<&[bool]>) {
        ui.horizontal(|ui| {
            if let (Some(t), Some(holding)) = (selection.title, holding) {
                let n = holding.iter().filter(|&&h| h).count();
                let name = &snap.model.catalog.titles[t.0 as usize].name;
                ui.colored_label(TITLE_HIGHLIGHT, format!("{name}: live at {n} sites"));
                if ui.small_button("Clear").clicked() {
                    selection.title = None;
                }
                ui.separator();
            }
            if ui.button("Fit world").clicked() {
                self.zoom = 0.0;
            }
            ui.separator();
            ui.label("colour by");
            for c in [ColorBy::Load, ColorBy::Health, ColorBy::Startup] {
                ui.selectable_value(&mut self.color_by, c, c.label());
            }
            ui.separator();
            if let Some(k) = snap.latest() {
                ui.label(format!(
                    "edge {:.1} Gbps · backbone: misses {:.2} + fills {:.2} Gbps · offload {}",
                    k.edge_gbps(),
                    k.miss_gbps(),
                    k.backbone_fill_gbps(),
                    k.offload().map_or("–".to_string(), |o| format!("{:.2}%", o * 100.0))
                ));
            }
        });
    }

    fn fit_world(&mut self, rect: Rect) {
        self.zoom = (rect.width() / 360.0).min(rect.height() / 150.0).max(0.1);
        self.center = [10.0, 12.0];
    }

    fn navigate(&mut self, ui: &egui::Ui, response: &egui::Response) {
        if response.dragged() {
            let d = response.drag_delta();
            self.center[0] -= d.x / self.zoom;
            self.center[1] += d.y / self.zoom;
        }
        if let Some(pointer) = response.hover_pos() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll / 400.0).exp();
            if (factor - 1.0).abs() > 1e-4 {
                // Zoom about the pointer: the point under it stays put.
                let proj = Projection { rect: response.rect, center: self.center, zoom: self.zoom };
                let anchor = proj.to_lonlat(pointer);
                let new_zoom = (self.zoom * factor).clamp(response.rect.width() / 720.0, 400.0);
                let offset = pointer - response.rect.center();
                self.center = [anchor[0] - offset.x / new_zoom, anchor[1] + offset.y / new_zoom];
                self.zoom = new_zoom;
            }
        }
        self.center[1] = self.center[1].clamp(-85.0, 85.0);
    }
}

/// The world of a scenario still being built, before any traffic: land, every site (embedded in an ISP or at an
/// exchange) and the S3 origins, fitted to the space left.
pub fn preview(ui: &mut egui::Ui, world: &World) {
    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::hover());
    let mut fit = MapView::default();
    fit.fit_world(response.rect);
    let proj = Projection { rect: response.rect, center: fit.center, zoom: fit.zoom };
    painter.rect_filled(proj.rect, 0.0, OCEAN);
    draw_land(&painter, &proj);
    for site in &world.sites {
        let metro = &world.metros[site.metro.0 as usize];
        let color = match site.kind {
            SiteKind::Ixp => Color32::from_rgb(120, 200, 255),
            SiteKind::Embedded(_) => Color32::from_rgb(90, 140, 190),
        };
        painter.circle_filled(proj.to_screen(metro.lon as f32, metro.lat as f32), 2.5, color);
    }
    for o in &world.origins {
        let c = proj.to_screen(o.lon as f32, o.lat as f32);
        origin_marker(&painter, c, 6.0);
        painter.text(
            c + Vec2::new(9.0, 0.0),
            egui::Align2::LEFT_CENTER,
            format!("S3 {}", o.name),
            egui::FontId::proportional(11.0),
            Color32::from_rgb(255, 190, 90),
        );
    }
    painter.text(
        proj.rect.left_bottom() + Vec2::new(8.0, -8.0),
        egui::Align2::LEFT_BOTTOM,
        format!("{} sites in {} metros · {} S3 origins", world.sites.len(), world.metros.len(), world.origins.len()),
        egui::FontId::proportional(12.0),
        Color32::from_rgb(200, 200, 200),
    );
}

/// An S3 origin: an orange diamond `half` points from its centre to each corner.
fn origin_marker(painter: &egui::Painter, c: Pos2, half: f32) {
    let pts = vec![c + Vec2::new(0.0, -half), c + Vec2::new(half, 0.0), c + Vec2::new(0.0, half), c + Vec2::new(-half, 0.0)];
    painter.add(Shape::convex_polygon(pts, Color32::from_rgb(255, 153, 0), Stroke::new(1.0, Color32::BLACK)));
}

fn draw_land(painter: &egui::Painter, proj: &Projection) {
    land::paint(
        painter,
        proj.zoom >= DETAILED_LAND_ZOOM,
        |lon, lat| proj.to_screen(lon, lat),
        |min, max| proj.visible(min, max),
    );
}

/// Backbone flows: dots streaming from each origin to the metros it serves, denser for more Gbps. Returns the
/// lines drawn.
fn draw_flows(ui: &egui::Ui, painter: &egui::Painter, proj: &Projection, snap: &Snapshot) -> Vec<[Pos2; 2]> {
    let world = &snap.model.world;
    let t = ui.input(|i| i.time) as f32;
    let mut drawn = Vec::new();
    for (m, &gbps) in snap.metro_origin_gbps.iter().enumerate() {
        if gbps < 0.005 {
            continue;
        }
        let metro = &world.metros[m];
        let origin = &world.origins[world.nearest_origin(twin::world::MetroId(m as u32))];
        let from = proj.to_screen(origin.lon as f32, origin.lat as f32);
        let to = proj.to_screen(metro.lon as f32, metro.lat as f32);
        if !proj.rect.intersects(Rect::from_two_pos(from, to)) {
            continue;
        }
        drawn.push([from, to]);
        let color = flow_color(gbps);
        painter.line_segment([from, to], Stroke::new(0.8, color.gamma_multiply(0.25)));
        let dots = (gbps * 4.0).ceil().clamp(1.0, 40.0) as usize;
        for k in 0..dots {
            let f = (t * 0.2 + k as f32 / dots as f32).fract();
            painter.circle_filled(from.lerp(to, f), 1.8, color);
        }
    }
    drawn
}

/// Fills in progress: a line from the source (a site or an S3 origin) to the filling site, dots streaming along
/// it in the tier's colour. Returns the lines drawn.
fn draw_fill_flows(ui: &egui::Ui, painter: &egui::Painter, proj: &Projection, snap: &Snapshot) -> Vec<[Pos2; 2]> {
    let world = &snap.model.world;
    let t = ui.input(|i| i.time) as f32;
    let mut drawn = Vec::new();
    for (s, status) in snap.content.fill.iter().enumerate() {
        let Some(a) = status.active else { continue };
        let (lat, lon) = match a.source {
            twin::fill::Source::Site(o) => world.site_location(o),
            twin::fill::Source::Origin(o) => (world.origins[o as usize].lat, world.origins[o as usize].lon),
        };
        let (to_lat, to_lon) = world.site_location(SiteId(s as u32));
        let from = proj.to_screen(lon as f32, lat as f32);
        let to = proj.to_screen(to_lon as f32, to_lat as f32);
        if !proj.rect.intersects(Rect::from_two_pos(from, to).expand(2.0)) {
            continue;
        }
        drawn.push([from, to]);
        let color = tier_color(a.tier);
        painter.line_segment([from, to], Stroke::new(1.0, color.gamma_multiply(0.35)));
        for k in 0..3 {
            let f = (t * 0.35 + k as f32 / 3.0 + s as f32 * 0.137).fract();
            painter.circle_filled(from.lerp(to, f), 1.6, color);
        }
    }
    drawn
}

/// Origin traffic is a miss: amber when light, red when heavy.
fn flow_color(gbps: f32) -> Color32 {
    if gbps < 1.0 { Color32::from_rgb(240, 190, 70) } else { Color32::from_rgb(240, 80, 60) }
}

/// Origin regions: the S3 origin, and the region's control-plane fleet (instances in service, API p95) in a label
/// beside it, placed where it covers no other label, no origin and as few sites and flows as it can. Returns the
/// labels drawn (with where) and the origin markers.
fn draw_origins(
    painter: &egui::Painter,
    proj: &Projection,
    snap: &Snapshot,
    mut obstacles: Obstacles,
) -> (Vec<(String, Rect)>, Vec<Rect>) {
    const HALF: f32 = 6.0;
    const PAD: f32 = 2.0;
    let fleet = &snap.fleet;
    let font = egui::FontId::proportional(11.0);
    let origins = &snap.model.world.origins;
    let centers: Vec<Pos2> = origins.iter().map(|o| proj.to_screen(o.lon as f32, o.lat as f32)).collect();
    let marker_rects: Vec<Rect> =
        centers.iter().map(|&c| Rect::from_center_size(c, Vec2::splat(2.0 * HALF + 1.0))).collect();
    for &c in &centers {
        origin_marker(painter, c, HALF);
    }

    // Each origin's label: its name, and its fleet's line under it.
    let mut texts = Vec::new();
    let mut galleys = Vec::new();
    let mut requests = Vec::new();
    for (r, o) in origins.iter().enumerate() {
        if !proj.rect.expand(HALF).contains(centers[r]) {
            continue;
        }
        let name = format!("S3 {}", o.name);
        let fleet_line = match (fleet.evacuated.get(r), fleet.history.get(r).and_then(|h| h.last())) {
            (Some(true), _) => Some(("fleet evacuated".to_string(), Color32::from_rgb(240, 80, 60))),
            (_, Some(m)) => {
                let slow = m.p95_ms as f64 > snap.model.scenario.fleet.latency_slo_ms;
                let color = if slow { Color32::from_rgb(240, 80, 60) } else { Color32::from_rgb(200, 200, 200) };
                Some((format!("fleet {} inst · p95 {:.0} ms", m.in_service, m.p95_ms), color))
            }
            _ => None,
        };
        let mut lines = vec![painter.layout_no_wrap(name.clone(), font.clone(), Color32::from_rgb(255, 190, 90))];
        let mut text = name;
        if let Some((line, color)) = fleet_line {
            lines.push(painter.layout_no_wrap(line.clone(), font.clone(), color));
            text = format!("{text}\n{line}");
        }
        let size = Vec2::new(
            lines.iter().map(|g| g.size().x).fold(0.0, f32::max),
            lines.iter().map(|g| g.size().y).sum::<f32>(),
        ) + Vec2::splat(2.0 * PAD);
        requests.push(LabelRequest { anchor: centers[r], size, clearance: HALF + 1.0 });
        texts.push(text);
        galleys.push(lines);
    }
    obstacles.hard.extend(marker_rects.iter().copied());
    let placed = labels::place_labels(&requests, &obstacles, proj.rect.shrink(2.0));

    for ((req, rect), lines) in requests.iter().zip(&placed).zip(galleys) {
        if let Some(line) = labels::leader(req.anchor, req.clearance, *rect) {
            painter.line_segment(line, Stroke::new(1.0, Color32::from_rgb(255, 190, 90).gamma_multiply(0.8)));
        }
        painter.rect_filled(*rect, 3.0, Color32::from_black_alpha(150));
        // Text lines flush to the side facing the origin.
        let right = rect.center().x < req.anchor.x;
        let mut y = rect.min.y + PAD;
        for g in lines {
            let x = if right { rect.max.x - PAD - g.size().x } else { rect.min.x + PAD };
            let h = g.size().y;
            painter.galley(Pos2::new(x, y), g, Color32::WHITE);
            y += h;
        }
    }
    (texts.into_iter().zip(placed).collect(), marker_rects)
}

/// Sites on screen, merged into clusters when zoomed out. Off-screen sites cost nothing beyond a projection.
fn build_markers(proj: &Projection, snap: &Snapshot) -> Vec<Marker> {
    let world = &snap.model.world;
    let area = proj.rect.expand(10.0);
    // Merge when zoomed out, or when so many sites are on screen that drawing each would be clutter (and slow).
    let on_screen = world
        .sites
        .iter()
        .filter(|s| {
            let m = &world.metros[s.metro.0 as usize];
            area.contains(proj.to_screen(m.lon as f32, m.lat as f32))
        })
        .count();
    let cluster = proj.zoom < CLUSTER_BELOW_ZOOM || on_screen > MAX_SITES_DRAWN_ALONE;
    let mut cells: HashMap<(i32, i32), usize> = HashMap::new();
    let mut markers: Vec<Marker> = Vec::new();
    let spread = if cluster { Vec::new() } else { co_located(world) };
    for (i, site) in world.sites.iter().enumerate() {
        let metro = &world.metros[site.metro.0 as usize];
        let pos = if cluster {
            proj.to_screen(metro.lon as f32, metro.lat as f32)
        } else {
            site_pos(proj, world, i, spread[i])
        };
        if !area.contains(pos) {
            continue;
        }
        let now = &snap.sites[i];
        let down = !snap.site_up[i] as usize;
        let slot = if cluster {
            let key = ((pos.x / CLUSTER_PX).floor() as i32, (pos.y / CLUSTER_PX).floor() as i32);
            *cells.entry(key).or_insert_with(|| {
                markers.push(Marker {
                    pos,
                    sites: Vec::new(),
                    capacity_gbps: 0.0,
                    egress_gbps: 0.0,
                    sessions: 0,
                    down: 0,
                });
                markers.len() - 1
            })
        } else {
            markers.push(Marker { pos, sites: Vec::new(), capacity_gbps: 0.0, egress_gbps: 0.0, sessions: 0, down: 0 });
            markers.len() - 1
        };
        let m = &mut markers[slot];
        m.sites.push(i);
        m.capacity_gbps += site.egress_gbps;
        m.egress_gbps += now.egress_gbps as f64;
        m.sessions += now.active_sessions as u64;
        m.down += down;
    }
    // Place merged circles at their capacity-weighted centre.
    if cluster {
        for m in markers.iter_mut().filter(|m| m.sites.len() > 1) {
            let mut c = Vec2::ZERO;
            for &s in &m.sites {
                let metro = &world.metros[world.sites[s].metro.0 as usize];
                c += proj.to_screen(metro.lon as f32, metro.lat as f32).to_vec2() * world.sites[s].egress_gbps as f32;
            }
            m.pos = (c / m.capacity_gbps as f32).to_pos2();
        }
    }
    markers
}

impl Marker {
    /// Sized by egress capacity; a merged circle stays within its grid cell so clusters do not pile up.
    fn radius(&self) -> f32 {
        let r = 1.5 + 0.2 * self.capacity_gbps.sqrt() as f32;
        if self.sites.len() > 1 { r.min(0.6 * CLUSTER_PX) } else { r.min(20.0) }
    }
}

fn marker_color(m: &Marker, by: ColorBy, snap: &Snapshot) -> Color32 {
    let util = (m.egress_gbps / m.capacity_gbps.max(1e-9)) as f32;
    match by {
        ColorBy::Load => ramp(util / 0.95),
        ColorBy::Health => {
            if m.down == m.sites.len() {
                Color32::from_gray(110)
            } else if m.down > 0 || util >= 0.9 {
                Color32::from_rgb(240, 170, 50)
            } else {
                HEALTHY
            }
        }
        ColorBy::Startup => {
            // Plays-weighted startup p50 of the marker's sites.
            let (mut w, mut sum) = (0.0f32, 0.0f32);
            for &s in &m.sites {
                let now = &snap.sites[s];
                w += now.plays as f32;
                sum += now.plays as f32 * now.startup_p50_ms;
            }
            if w == 0.0 { Color32::from_gray(110) } else { ramp((sum / w / 1000.0 - 0.5) / 1.5) }
        }
    }
}

/// Green (0) → yellow (0.5) → red (1).
fn ramp(x: f32) -> Color32 {
    let x = x.clamp(0.0, 1.0);
    if x < 0.5 {
        Color32::from_rgb((70.0 + 370.0 * x) as u8, 200, (110.0 - 160.0 * x) as u8)
    } else {
        Color32::from_rgb(255, (200.0 - 280.0 * (x - 0.5)) as u8, 30)
    }
}

fn draw_markers(
    painter: &egui::Painter,
    markers: &[Marker],
    by: ColorBy,
    selection: &Selection,
    holding: Option<&[bool]>,
    snap: &Snapshot,
) {
    let world = &snap.model.world;
    for m in markers {
        let r = m.radius();
        let held = holding.map(|h| m.sites.iter().any(|&s| h[s]));
        // With a title picked, sites without it fade.
        let fill = marker_color(m, by, snap);
        let fill = if held == Some(false) { fill.gamma_multiply(0.25) } else { fill };
        painter.circle(m.pos, r, fill, Stroke::new(0.8, Color32::from_black_alpha(160)));
        if held == Some(true) {
            painter.circle_stroke(m.pos, r + 2.0, Stroke::new(2.0, TITLE_HIGHLIGHT));
        }
        let in_region =
            selection.region.is_some_and(|reg| m.sites.iter().any(|&s| world.sites[s].region.0 as usize == reg));
        if in_region {
            painter.circle_stroke(m.pos, r + 2.5, Stroke::new(1.5, Color32::from_rgb(120, 200, 255)));
        }
        if selection.site.is_some_and(|s| m.sites.contains(&(s.0 as usize))) {
            painter.circle_stroke(m.pos, r + 4.0, Stroke::new(2.0, Color32::WHITE));
        }
    }
}

fn marker_at(markers: &[Marker], pos: Pos2) -> Option<usize> {
    markers
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m.pos.distance(pos) - m.radius()))
        .filter(|&(_, d)| d <= 3.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn marker_tooltip(ui: &mut egui::Ui, m: &Marker, snap: &Snapshot) {
    let world = &snap.model.world;
    if let [s] = m.sites[..] {
        let site = &world.sites[s];
        let now = &snap.sites[s];
        ui.strong(&site.name);
        ui.label(match site.kind {
            SiteKind::Ixp => "public IXP site".to_string(),
            SiteKind::Embedded(isp) => format!("embedded in {}", world.isps[isp.0 as usize].name),
        });
        if !snap.site_up[s] {
            ui.colored_label(ui.visuals().error_fg_color, "out of service");
        }
        ui.label(format!(
            "egress {:.1} / {:.0} Gbps ({:.0}%)",
            now.egress_gbps,
            site.egress_gbps,
            now.utilization * 100.0
        ));
        ui.label(format!("{} sessions, {} plays/min", now.active_sessions, now.plays));
        if now.plays > 0 {
            ui.label(format!(
                "startup p50 {:.2} s, p95 {:.2} s",
                now.startup_p50_ms / 1000.0,
                now.startup_p95_ms / 1000.0
            ));
        }
        ui.weak("click to inspect");
    } else {
        ui.strong(format!("{} sites", m.sites.len()));
        ui.label(format!("egress {:.1} / {:.0} Gbps", m.egress_gbps, m.capacity_gbps));
        ui.label(format!("{} sessions", m.sessions));
        if m.down > 0 {
            ui.label(format!("{} out of service", m.down));
        }
        ui.weak("click to zoom in");
    }
}

/// Draws the legend in the map's bottom-left corner; returns where.
fn draw_legend(painter: &egui::Painter, rect: Rect, by: ColorBy) -> Rect {
    let entries: Vec<(Color32, &str)> = match by {
        ColorBy::Load => vec![(ramp(0.0), "idle"), (ramp(0.5), "half"), (ramp(1.0), "at threshold")],
        ColorBy::Health => vec![
            (HEALTHY, "healthy"),
            (Color32::from_rgb(240, 170, 50), "busy (90%+) or partly down"),
            (Color32::from_gray(110), "out of service"),
        ],
        ColorBy::Startup => {
            vec![
                (ramp(0.0), "0.5 s or less"),
                (ramp(0.5), "1.25 s"),
                (ramp(1.0), "2 s or more"),
                (Color32::from_gray(110), "no plays"),
            ]
        }
    };
    let origin = rect.left_bottom() + Vec2::new(10.0, -(entries.len() as f32 * 16.0 + 30.0));
    let bg = Rect::from_min_size(origin - Vec2::splat(6.0), Vec2::new(200.0, entries.len() as f32 * 16.0 + 34.0));
    painter.rect_filled(bg, 4.0, Color32::from_black_alpha(170));
    painter.text(
        origin,
        egui::Align2::LEFT_TOP,
        format!("sites by {}", by.label()),
        egui::FontId::proportional(12.0),
        Color32::WHITE,
    );
    for (k, (c, label)) in entries.iter().enumerate() {
        let y = origin.y + 18.0 + k as f32 * 16.0;
        painter.circle_filled(Pos2::new(origin.x + 6.0, y + 6.0), 5.0, *c);
        painter.text(
            Pos2::new(origin.x + 16.0, y),
            egui::Align2::LEFT_TOP,
            *label,
            egui::FontId::proportional(11.0),
            Color32::LIGHT_GRAY,
        );
    }
    painter.text(
        Pos2::new(origin.x, origin.y + 18.0 + entries.len() as f32 * 16.0),
        egui::Align2::LEFT_TOP,
        "size: egress capacity; orange diamond: S3 origin",
        egui::FontId::proportional(10.0),
        Color32::GRAY,
    );
    bg
}
