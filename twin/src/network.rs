//! The network: great-circle distances (geo), latency from distance, a backbone graph (petgraph) between metros
//! and origin regions, and a spatial index (rstar) for "nearest" queries.

use geo::{Distance, Haversine, Point};
use petgraph::graph::{NodeIndex, UnGraph};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// Light in fibre covers about 200 km per millisecond.
const FIBRE_KM_PER_MS: f64 = 200.0;
/// Fibre routes run longer than the great circle.
const ROUTE_FACTOR: f64 = 1.3;
/// Switching and queueing per backbone hop.
const PER_HOP_MS: f64 = 0.25;

pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    // geo points are (x = lon, y = lat).
    Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0)) / 1000.0
}

/// One-way propagation delay over a fibre route between two points `km` apart on the great circle.
pub fn one_way_ms(km: f64) -> f64 {
    km * ROUTE_FACTOR / FIBRE_KM_PER_MS + PER_HOP_MS
}

/// A point on the unit sphere: Euclidean (chord) distance between such points orders pairs exactly as
/// great-circle distance does, with no trouble at the antimeridian or the poles.
pub fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// Spatial index over points on the globe, each carrying an index into some table.
pub type GlobeIndex = RTree<GeomWithData<[f64; 3], u32>>;

pub fn globe_index(points: impl Iterator<Item = (f64, f64)>) -> GlobeIndex {
    RTree::bulk_load(
        points.enumerate().map(|(i, (lat, lon))| GeomWithData::new(unit_vector(lat, lon), i as u32)).collect(),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetNode {
    Metro(u32),
    Origin(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub km: f64,
    pub latency_ms: f64,
    pub capacity_gbps: f64,
}

/// The backbone: metros and origin regions joined by fibre links.
#[derive(Clone, Debug)]
pub struct Backbone {
    pub graph: UnGraph<NetNode, Link>,
    pub metro_nodes: Vec<NodeIndex>,
    pub origin_nodes: Vec<NodeIndex>,
    /// One-way latency over the backbone from each metro to each origin, `[metro][origin]`.
    pub metro_origin_ms: Vec<Vec<f64>>,
    /// The links (edge indices) of the cheapest route from each metro's nearest origin to the metro.
    pub metro_origin_path: Vec<Vec<u32>>,
}

impl Backbone {
    /// Joins metros with a minimum spanning tree (so the graph is connected) plus links to each metro's three
    /// nearest neighbours (so routes are not forced along the tree), and each origin to its three nearest
    /// metros. Every link carries `link_gbps`.
    pub fn build(metros: &[(f64, f64)], origins: &[(f64, f64)], link_gbps: f64) -> Backbone {
        let mut graph = UnGraph::new_undirected();
        let metro_nodes: Vec<_> = (0..metros.len()).map(|i| graph.add_node(NetNode::Metro(i as u32))).collect();
        let origin_nodes: Vec<_> = (0..origins.len()).map(|i| graph.add_node(NetNode::Origin(i as u32))).collect();
        let link = |a: (f64, f64), b: (f64, f64)| {
            let km = great_circle_km(a, b);
            Link { km, latency_ms: one_way_ms(km), capacity_gbps: link_gbps }
        };

        for (a, b) in minimum_spanning_tree(metros) {
            graph.update_edge(metro_nodes[a], metro_nodes[b], link(metros[a], metros[b]));
        }
        let index = globe_index(metros.iter().copied());
        for (i, &(lat, lon)) in metros.iter().enumerate() {
            for n in index.nearest_neighbor_iter(&unit_vector(lat, lon)).filter(|n| n.data as usize != i).take(3) {
                let j = n.data as usize;
                graph.update_edge(metro_nodes[i], metro_nodes[j], link(metros[i], metros[j]));
            }
        }
        for (o, &(lat, lon)) in origins.iter().enumerate() {
            for n in index.nearest_neighbor_iter(&unit_vector(lat, lon)).take(3) {
                let j = n.data as usize;
                graph.update_edge(origin_nodes[o], metro_nodes[j], link(origins[o], metros[j]));
            }
        }

        let mut backbone =
            Backbone { graph, metro_nodes, origin_nodes, metro_origin_ms: Vec::new(), metro_origin_path: Vec::new() };
        let from_origins: Vec<ShortestPaths> =
            backbone.origin_nodes.iter().map(|&n| backbone.shortest_paths(n)).collect();
        for &mn in &backbone.metro_nodes {
            let ms: Vec<f64> = from_origins.iter().map(|p| p.best[mn.index()].ms).collect();
            let nearest = (0..ms.len()).min_by(|&a, &b| ms[a].total_cmp(&ms[b])).unwrap_or(0);
            let path = from_origins.get(nearest).map_or(Vec::new(), |p| p.path_to(mn.index()));
            backbone.metro_origin_ms.push(ms);
            backbone.metro_origin_path.push(path);
        }
        backbone
    }

    pub fn link_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Capacity of every link, by edge index.
    pub fn link_gbps(&self) -> Vec<f64> {
        self.graph.edge_weights().map(|l| l.capacity_gbps).collect()
    }
}

/// The cheapest backbone route to a metro: its one-way latency (route cost), its number of links, and the
/// links themselves (edge indices, from the far end towards the metro the routes were asked from).
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub ms: f64,
    pub hops: u32,
    pub links: Vec<u32>,
}

/// Single-source shortest paths over the backbone, by latency: cost, links, and the edge each node was
/// reached by.
struct ShortestPaths {
    best: Vec<RouteCost>,
    via: Vec<Option<(u32, usize)>>,
}

#[derive(Clone, Copy)]
struct RouteCost {
    ms: f64,
    hops: u32,
}

impl ShortestPaths {
    /// The edges from the source to `node`.
    fn path_to(&self, node: usize) -> Vec<u32> {
        let mut links = Vec::new();
        let mut at = node;
        while let Some((edge, from)) = self.via[at] {
            links.push(edge);
            at = from;
        }
        links.reverse();
        links
    }
}

impl Backbone {
    /// Dijkstra from `start`, counting the links of each route it keeps.
    fn shortest_paths(&self, start: NodeIndex) -> ShortestPaths {
        use petgraph::visit::EdgeRef;
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = self.graph.node_count();
        let mut best = vec![RouteCost { ms: f64::INFINITY, hops: u32::MAX }; n];
        let mut via = vec![None; n];
        let mut heap = BinaryHeap::new();
        best[start.index()] = RouteCost { ms: 0.0, hops: 0 };
        // Latencies are ≥ 0, so their bit patterns order as the values do.
        heap.push(Reverse((0f64.to_bits(), start.index())));
        while let Some(Reverse((bits, u))) = heap.pop() {
            let here = best[u];
            if f64::from_bits(bits) > here.ms {
                continue;
            }
            for e in self.graph.edges(NodeIndex::new(u)) {
                let v = if e.source().index() == u { e.target().index() } else { e.source().index() };
                let ms = here.ms + e.weight().latency_ms;
                if ms < best[v].ms {
                    best[v] = RouteCost { ms, hops: here.hops + 1 };
                    via[v] = Some((e.id().index() as u32, u));
                    heap.push(Reverse((ms.to_bits(), v)));
                }
            }
        }
        ShortestPaths { best, via }
    }

    /// Cheapest routes (by latency) from one metro to every metro, indexed as the metros; unreachable ones
    /// have infinite cost and no links.
    pub fn routes_from_metro(&self, metro: usize) -> Vec<Route> {
        let paths = self.shortest_paths(self.metro_nodes[metro]);
        self.metro_nodes
            .iter()
            .map(|m| {
                let c = paths.best[m.index()];
                let links = if c.ms.is_finite() { paths.path_to(m.index()) } else { Vec::new() };
                Route { ms: c.ms, hops: c.hops, links }
            })
            .collect()
    }
}

/// Prim's algorithm on the complete great-circle graph: O(n²) time, O(n) memory; fine for thousands of metros.
fn minimum_spanning_tree(points: &[(f64, f64)]) -> Vec<(usize, usize)> {
    let n = points.len();
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    if n < 2 {
        return edges;
    }
    let vecs: Vec<[f64; 3]> = points.iter().map(|&(la, lo)| unit_vector(la, lo)).collect();
    let chord2 = |a: &[f64; 3], b: &[f64; 3]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
    let mut in_tree = vec![false; n];
    let mut best = vec![(f64::INFINITY, 0usize); n];
    in_tree[0] = true;
    for j in 1..n {
        best[j] = (chord2(&vecs[0], &vecs[j]), 0);
    }
    for _ in 1..n {
        let Some(next) = (0..n).filter(|&j| !in_tree[j]).min_by(|&a, &b| best[a].0.total_cmp(&best[b].0)) else {
            break;
        };
        in_tree[next] = true;
        edges.push((best[next].1, next));
        for j in 0..n {
            if !in_tree[j] {
                let d = chord2(&vecs[next], &vecs[j]);
                if d < best[j].0 {
                    best[j] = (d, next);
                }
            }
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_latency() {
        let london = (51.5074, -0.1278);
        let new_york = (40.7128, -74.0060);
        let km = great_circle_km(london, new_york);
        assert!((km - 5570.0).abs() < 30.0, "{km}");
        let ms = one_way_ms(km);
        assert!((30.0..45.0).contains(&ms), "{ms}");
    }

    #[test]
    fn backbone_is_connected_and_routes_reach_every_origin() {
        let metros = [(51.5, -0.1), (48.9, 2.35), (40.7, -74.0), (34.0, -118.2), (-33.9, 151.2), (35.7, 139.7)];
        let origins = [(38.9, -77.4), (53.3, -6.3)];
        let b = Backbone::build(&metros, &origins, 100.0);
        assert_eq!(petgraph::algo::connected_components(&b.graph), 1);
        for row in &b.metro_origin_ms {
            for &ms in row {
                assert!(ms.is_finite() && ms > 0.0);
            }
        }
        // London is closer to Dublin than to Virginia.
        assert!(b.metro_origin_ms[0][1] < b.metro_origin_ms[0][0]);
        // Metro routes agree with petgraph's Dijkstra, and count their links.
        let routes = b.routes_from_metro(0);
        assert_eq!(routes[0], Route { ms: 0.0, hops: 0, links: vec![] });
        let reference = petgraph::algo::dijkstra(&b.graph, b.metro_nodes[0], None, |e| e.weight().latency_ms);
        for (m, r) in routes.iter().enumerate() {
            assert!((r.ms - reference[&b.metro_nodes[m]]).abs() < 1e-9);
            assert!(m == 0 || r.hops >= 1);
            assert_eq!(r.links.len(), r.hops as usize);
            let ms: f64 = r.links.iter().map(|&e| b.graph.edge_weights().nth(e as usize).unwrap().latency_ms).sum();
            assert!((ms - r.ms).abs() < 1e-9, "a route's links add up to its cost");
        }
        // Each metro's path from its nearest origin ends at the metro and costs its latency.
        for (m, path) in b.metro_origin_path.iter().enumerate() {
            let ms: f64 = path.iter().map(|&e| b.graph.edge_weights().nth(e as usize).unwrap().latency_ms).sum();
            let nearest = b.metro_origin_ms[m].iter().copied().fold(f64::INFINITY, f64::min);
            assert!((ms - nearest).abs() < 1e-9);
        }
        // Routes never beat the great circle.
        let direct = one_way_ms(great_circle_km(metros[4], origins[0])) - PER_HOP_MS;
        assert!(b.metro_origin_ms[4][0] >= direct);
    }
}
