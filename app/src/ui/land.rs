//! World land from Natural Earth (assets/land-*.txt), triangulated once (earcut) for filling, with outlines.

use std::sync::OnceLock;

use egui::{Color32, Mesh, Pos2, Shape, Stroke};

pub const OCEAN: Color32 = Color32::from_rgb(18, 24, 33);
const LAND: Color32 = Color32::from_rgb(44, 52, 62);
const COAST: Color32 = Color32::from_rgb(70, 82, 96);

const LAND_110M: &str = include_str!("../../../assets/land-110m.txt");
const LAND_50M: &str = include_str!("../../../assets/land-50m.txt");

/// One polygon: triangles for the fill, rings for the coastline, and a bounding box to skip it off-screen.
pub struct LandPolygon {
    /// (lon, lat) of every ring's points, rings back to back.
    pub points: Vec<[f32; 2]>,
    /// Triangle corners, as indexes into `points`.
    pub triangles: Vec<u32>,
    /// Coastlines: the rings, cut where they jump across the antimeridian (else a line would cross the map).
    pub outlines: Vec<Vec<[f32; 2]>>,
    pub min: [f32; 2],
    pub max: [f32; 2],
}

pub struct Land {
    pub polygons: Vec<LandPolygon>,
}

/// Land at 1:110m (whole-world views) or 1:50m (zoomed in). Built on first use.
pub fn land(detailed: bool) -> &'static Land {
    static COARSE: OnceLock<Land> = OnceLock::new();
    static FINE: OnceLock<Land> = OnceLock::new();
    if detailed {
        FINE.get_or_init(|| parse("assets/land-50m.txt", LAND_50M))
    } else {
        COARSE.get_or_init(|| parse("assets/land-110m.txt", LAND_110M))
    }
}

/// Paints land and coastlines: each polygon `visible` says is on screen, placed by `to_screen(lon, lat)`.
pub fn paint(
    painter: &egui::Painter,
    detailed: bool,
    to_screen: impl Fn(f32, f32) -> Pos2,
    visible: impl Fn([f32; 2], [f32; 2]) -> bool,
) {
    let mut mesh = Mesh::default();
    let mut coast = Vec::new();
    for poly in land(detailed).polygons.iter().filter(|p| visible(p.min, p.max)) {
        let base = mesh.vertices.len() as u32;
        for pt in &poly.points {
            mesh.colored_vertex(to_screen(pt[0], pt[1]), LAND);
        }
        mesh.indices.extend(poly.triangles.iter().map(|i| base + i));
        for line in &poly.outlines {
            let line: Vec<Pos2> = line.iter().map(|pt| to_screen(pt[0], pt[1])).collect();
            coast.push(Shape::line(line, Stroke::new(0.6, COAST)));
        }
    }
    painter.add(Shape::mesh(mesh));
    painter.extend(coast);
}

/// Parses one polygon per line. A malformed line is skipped with a warning naming file:line: the map then
/// lacks that piece of land instead of the console failing.
fn parse(file: &str, text: &str) -> Land {
    let mut polygons = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_polygon(line) {
            Ok(p) => polygons.push(p),
            Err(e) => tracing::warn!("{file}:{}: {e}", n + 1),
        }
    }
    Land { polygons }
}

fn parse_polygon(line: &str) -> Result<LandPolygon, String> {
    let mut points = Vec::new();
    let mut ring_starts = Vec::new();
    for ring in line.split('|') {
        ring_starts.push(points.len());
        let coords: Vec<f32> = ring
            .split_whitespace()
            .map(|t| t.parse::<f32>().map_err(|_| format!("expected a number, found {t:?}")))
            .collect::<Result<_, _>>()?;
        if !coords.len().is_multiple_of(2) || coords.len() < 6 {
            return Err("expected a ring of at least three lon/lat pairs".into());
        }
        points.extend(coords.chunks_exact(2).map(|c| [c[0], c[1]]));
    }
    ring_starts.push(points.len());
    let flat: Vec<f64> = points.iter().flat_map(|p| [p[0] as f64, p[1] as f64]).collect();
    let holes = &ring_starts[1..ring_starts.len() - 1];
    let triangles = earcutr::earcut(&flat, holes, 2).map_err(|e| format!("cannot triangulate: {e:?}"))?;
    let mut min = [f32::MAX; 2];
    let mut max = [f32::MIN; 2];
    for p in &points {
        for i in 0..2 {
            min[i] = min[i].min(p[i]);
            max[i] = max[i].max(p[i]);
        }
    }
    // Polygons that wrap the antimeridian (Chukotka, Fiji, Antarctica) would get triangles spanning the map.
    let triangles: Vec<u32> = triangles
        .chunks_exact(3)
        .filter(|t| {
            let lons = t.iter().map(|&i| points[i][0]);
            lons.clone().fold(f32::MIN, f32::max) - lons.fold(f32::MAX, f32::min) <= 180.0
        })
        .flatten()
        .map(|&i| i as u32)
        .collect();
    let outlines = ring_starts.windows(2).flat_map(|w| cut_at_antimeridian(&points[w[0]..w[1]])).collect();
    Ok(LandPolygon { points, triangles, outlines, min, max })
}

/// A closed ring as open polylines, broken wherever consecutive points are more than 180° of longitude apart.
fn cut_at_antimeridian(ring: &[[f32; 2]]) -> Vec<Vec<[f32; 2]>> {
    let mut lines = vec![Vec::new()];
    for (i, &p) in ring.iter().chain(ring.first()).enumerate() {
        if i > 0 && (p[0] - ring[(i - 1) % ring.len()][0]).abs() > 180.0 {
            lines.push(Vec::new());
        }
        if let Some(line) = lines.last_mut() {
            line.push(p);
        }
    }
    lines.retain(|l| l.len() >= 2);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_resolutions_parse_and_triangulate() {
        for detailed in [false, true] {
            let l = land(detailed);
            assert!(l.polygons.len() > 100);
            assert!(l.polygons.iter().all(|p| p.triangles.len() % 3 == 0 && !p.outlines.is_empty()));
            // Only slivers that straddle the antimeridian lose their fill.
            let unfilled = l.polygons.iter().filter(|p| p.triangles.is_empty()).count();
            assert!(unfilled * 50 < l.polygons.len(), "{unfilled} of {} unfilled", l.polygons.len());
        }
    }

    #[test]
    fn rings_are_cut_at_the_antimeridian() {
        let ring = [[170.0, 0.0], [179.0, 1.0], [-179.0, 1.0], [-170.0, 0.0]];
        let lines = cut_at_antimeridian(&ring);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().flat_map(|l| l.windows(2)).all(|w| (w[0][0] - w[1][0]).abs() <= 180.0));
        assert_eq!(cut_at_antimeridian(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])[0].len(), 4, "closed");
    }

    #[test]
    fn bad_rings_are_rejected() {
        assert!(parse_polygon("0 0 1 x 1 1").is_err());
        assert!(parse_polygon("0 0 1 1").is_err());
        let l = parse("t.txt", "0 0 1 0 1 1\nbroken\n");
        assert_eq!(l.polygons.len(), 1);
    }
}
