//! Where the map's labels go: each label, in priority order, takes the first good spot around its anchor (right,
//! left, above, below, the diagonals, at growing distances) that covers no label already placed and no hard
//! obstacle (an origin marker, the legend), and covers as little as it can of the soft ones (site markers, flow
//! lines). Pure geometry, so it is tested without rendering.

use egui::{Pos2, Rect, Vec2};

/// One label to place: the point it belongs to, the size of its text, and how far from the anchor the label must
/// keep (the marker's half-size).
#[derive(Clone, Copy, Debug)]
pub struct LabelRequest {
    pub anchor: Pos2,
    pub size: Vec2,
    pub clearance: f32,
}

/// What labels should avoid.
#[derive(Clone, Debug, Default)]
pub struct Obstacles {
    /// Never covered if any candidate avoids them (origin markers, the legend).
    pub hard: Vec<Rect>,
    /// Covered as little as possible (site markers), by area.
    pub soft: Vec<Rect>,
    /// Crossed as little as possible (flow lines), by length.
    pub lines: Vec<[Pos2; 2]>,
}

/// Gap between a label and the marker it names, and between labels.
const GAP: f32 = 3.0;
/// Distances from the marker's edge tried, nearest first.
const DISTANCES: [f32; 6] = [2.0, 12.0, 26.0, 44.0, 66.0, 92.0];
/// Directions tried from the anchor, in order: right, left, above, below, then the diagonals.
const DIRECTIONS: [Vec2; 8] = [
    Vec2::new(1.0, 0.0),
    Vec2::new(-1.0, 0.0),
    Vec2::new(0.0, -1.0),
    Vec2::new(0.0, 1.0),
    Vec2::new(1.0, -1.0),
    Vec2::new(-1.0, -1.0),
    Vec2::new(1.0, 1.0),
    Vec2::new(-1.0, 1.0),
];
/// What moving a label one pixel further from its anchor costs, in px² of covered marker.
const DISTANCE_COST: f32 = 1.5;
/// What a pixel of flow line under a label costs, in px² of covered marker.
const LINE_COST: f32 = 3.0;

/// Places each label (in the order given: most important first) inside `bounds`. A label covers no label placed
/// before it and no hard obstacle whenever some candidate spot allows; among those spots it takes the cheapest
/// (covered markers and lines, and distance). Returns one rect per request.
pub fn place_labels(requests: &[LabelRequest], obstacles: &Obstacles, bounds: Rect) -> Vec<Rect> {
    let mut placed: Vec<Rect> = Vec::with_capacity(requests.len());
    for req in requests {
        let mut best: Option<(f32, f32, Rect)> = None; // (hard overlap, cost, rect)
        for rect in candidates(req) {
            let hard = hard_overlap(rect, bounds, &obstacles.hard, &placed);
            let distance = rect.distance_to_pos(req.anchor);
            let cost = soft_cost(rect, obstacles) + DISTANCE_COST * distance;
            let better = match best {
                None => true,
                Some((h, c, _)) => hard < h || (hard == h && cost < c),
            };
            if better {
                best = Some((hard, cost, rect));
            }
        }
        placed.push(best.map_or(Rect::from_min_size(req.anchor, req.size), |(_, _, r)| r));
    }
    placed
}

/// The spots tried around an anchor: right, left, above, below and the four diagonals, at growing distances.
fn candidates(req: &LabelRequest) -> impl Iterator<Item = Rect> + '_ {
    DISTANCES.iter().flat_map(move |&d| {
        DIRECTIONS.iter().map(move |&dir| {
            // The label's side (or corner) facing the anchor sits `clearance + GAP + d` away from it.
            let reach = req.clearance + GAP + d;
            let corner = req.anchor + dir * reach;
            // dir.x = 1: the label's left edge at the corner; -1: its right edge; 0: centred. Same for y.
            let min =
                Pos2::new(corner.x - req.size.x * (1.0 - dir.x) / 2.0, corner.y - req.size.y * (1.0 - dir.y) / 2.0);
            Rect::from_min_size(min, req.size)
        })
    })
}

/// How much of the rect is off `bounds` or on a hard obstacle or a label already placed (with a gap), in px².
fn hard_overlap(rect: Rect, bounds: Rect, hard: &[Rect], placed: &[Rect]) -> f32 {
    let outside = rect.area() - area(rect.intersect(bounds));
    let spaced = rect.expand(GAP / 2.0);
    outside
        + hard.iter().map(|h| area(spaced.intersect(*h))).sum::<f32>()
        + placed.iter().map(|p| area(spaced.intersect(p.expand(GAP / 2.0)))).sum::<f32>()
}

fn soft_cost(rect: Rect, obstacles: &Obstacles) -> f32 {
    obstacles.soft.iter().map(|s| area(rect.intersect(*s))).sum::<f32>()
        + LINE_COST * obstacles.lines.iter().map(|&l| clipped_length(l, rect)).sum::<f32>()
}

/// Area of a rect, 0 if it is empty (an `intersect` of disjoint rects is inverted).
fn area(r: Rect) -> f32 {
    if r.is_positive() { r.area() } else { 0.0 }
}

/// Length of the part of a segment inside a rect (Liang–Barsky clipping).
fn clipped_length([a, b]: [Pos2; 2], rect: Rect) -> f32 {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for (p, q) in [(-d.x, a.x - rect.min.x), (d.x, rect.max.x - a.x), (-d.y, a.y - rect.min.y), (d.y, rect.max.y - a.y)]
    {
        if p == 0.0 {
            if q < 0.0 {
                return 0.0;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t1 > t0 { (t1 - t0) * d.length() } else { 0.0 }
}

/// Where a leader line from the anchor to its label should end, if the label sits away from its marker.
pub fn leader(anchor: Pos2, clearance: f32, label: Rect) -> Option<[Pos2; 2]> {
    let end = label.clamp(anchor);
    let d = end.distance(anchor);
    (d > clearance + GAP + 4.0).then(|| [anchor + (end - anchor) * (clearance / d), end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_one_anchor_do_not_overlap_each_other_or_an_obstacle() {
        let anchor = Pos2::new(200.0, 200.0);
        let marker = Rect::from_center_size(anchor, Vec2::splat(12.0));
        // Another marker right where the first label would go.
        let other = Rect::from_min_size(Pos2::new(212.0, 190.0), Vec2::new(12.0, 12.0));
        let req = LabelRequest { anchor, size: Vec2::new(120.0, 28.0), clearance: 6.0 };
        let obstacles = Obstacles { hard: vec![marker, other], ..Default::default() };
        let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::splat(400.0));
        let rects = place_labels(&[req, req, req], &obstacles, bounds);
        assert_eq!(rects.len(), 3);
        for (i, a) in rects.iter().enumerate() {
            assert!(bounds.contains_rect(*a), "{a:?} inside the map");
            for h in &obstacles.hard {
                assert!(!a.intersects(*h), "label {i} {a:?} covers obstacle {h:?}");
            }
            for b in &rects[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} and {b:?} overlap");
            }
            assert!(a.distance_to_pos(anchor) < 60.0, "label {i} stays near its anchor: {a:?}");
        }
    }

    #[test]
    fn a_label_avoids_soft_obstacles_when_it_can_and_clips_lines() {
        let anchor = Pos2::new(200.0, 200.0);
        let req = LabelRequest { anchor, size: Vec2::new(60.0, 14.0), clearance: 6.0 };
        // Site markers all along the right of the anchor.
        let soft = vec![Rect::from_min_size(Pos2::new(205.0, 180.0), Vec2::new(100.0, 40.0))];
        let obstacles = Obstacles { soft, ..Default::default() };
        let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::splat(400.0));
        let r = place_labels(&[req], &obstacles, bounds)[0];
        assert!(!r.intersects(obstacles.soft[0]), "{r:?}");
        assert!(r.max.x <= anchor.x, "went left: {r:?}");
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::splat(10.0));
        assert!((clipped_length([Pos2::new(-5.0, 5.0), Pos2::new(15.0, 5.0)], rect) - 10.0).abs() < 1e-4);
        assert_eq!(clipped_length([Pos2::new(-5.0, 20.0), Pos2::new(15.0, 20.0)], rect), 0.0);
    }
}
