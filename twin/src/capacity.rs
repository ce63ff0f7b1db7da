//! Capacity each minute: how much of what it asks for every stream gets, from the demand on each server and
//! link at the start of the minute.
//!
//! Streams share a bottleneck max-min fairly, as TCP flows do: a stream asking less than the fair level gets
//! all it asks; the others get the level ("water-filling"). An appliance's streams share its egress; a site's
//! streams (capped at their appliance's level) and the fills it sources share its ports. An origin region's
//! streams and fills share its egress; each backbone link scales what crosses it down to its capacity, and a
//! stream or fill over several links gets the least of their shares. Steering admits new plays at a site or
//! appliance in proportion to its headroom under the overload threshold, against the load it was offered.

use crate::model::Model;

/// What the streams on one server account ask for: how many at each bitrate (renditions, in the order of
/// `Model::stream_kbps`).
pub type Histogram = [i32];

/// One fill transfer's request this minute: where it reads from, what it asks, and the links it crosses.
#[derive(Clone, Debug)]
pub struct FillRequest {
    pub source: FillSource,
    pub kbps: f64,
    pub links: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillSource {
    Site(u32),
    Origin(u32),
}

/// The minute's capacity state, indexed by server account (appliances, then metro-origin accounts).
#[derive(Clone, Debug, Default)]
pub struct Capacity {
    /// Most a stream on the account gets (kbps); infinite when the account has room for everyone.
    pub level_kbps: Vec<f64>,
    /// Share of that a stream keeps after the backbone links it crosses (origin accounts; 1 for appliances).
    pub path_share: Vec<f64>,
    /// Whether some stream on the account gets less than it asks (or the account's site is down).
    pub throttled: Vec<bool>,
    /// Whether the account's site is out of service.
    pub down: Vec<bool>,
    /// Demand ÷ capacity at the start of the minute.
    pub utilization: Vec<f64>,
    /// Admission shares for new plays, per site and per appliance.
    pub admit_site: Vec<f32>,
    pub admit_appliance: Vec<f32>,
    /// What each fill request gets (kbps).
    pub fill_kbps: Vec<f64>,
    /// Each backbone link's load ÷ capacity.
    pub link_utilization: Vec<f64>,
}

/// The fair level for flows of (kbps each asks, how many), ascending by demand, sharing `capacity_kbps`:
/// infinite when everything fits.
fn water_level(flows: impl Iterator<Item = (f64, f64)> + Clone, capacity_kbps: f64) -> f64 {
    let total: f64 = flows.clone().map(|(d, n)| d * n).sum();
    if total <= capacity_kbps {
        return f64::INFINITY;
    }
    let mut left = capacity_kbps.max(0.0);
    let mut count: f64 = flows.clone().map(|(_, n)| n).sum();
    for (d, n) in flows {
        if n <= 0.0 {
            continue;
        }
        if d * count <= left {
            left -= d * n;
            count -= n;
        } else {
            return left / count;
        }
    }
    f64::INFINITY
}

/// Inputs to one minute's capacity.
pub struct Load<'a> {
    /// Streams per account and bitrate, `[account × bitrates + i]`.
    pub hist: &'a [i32],
    /// Demand per account (kbps) steering offered last minute, for admission.
    pub offered_kbps: &'a [f64],
    pub site_up: &'a [bool],
    /// Per S3 origin region: whether it serves (down, the misses and fills it would serve get nothing).
    pub origin_up: &'a [bool],
    pub fills: &'a [FillRequest],
}

impl Capacity {
    /// The minute's capacity from the streams playing at its start and the fills asked for (which share the
    /// servers and links with the streams).
    pub fn compute(model: &Model, load: &Load) -> Capacity {
        Capacity::shares(model, load, false)
    }

    /// The levels again, from the streams actually playing once the minute's plays have started and moved
    /// (`hist`), with the fills at the rates they were granted taken off first: what the minute's streams get,
    /// so no server delivers more than its capacity. Admission and fill grants stay as they were.
    pub fn relevel(&mut self, model: &Model, hist: &[i32], up: (&[bool], &[bool]), fills: &[FillRequest]) {
        let granted: Vec<FillRequest> =
            fills.iter().zip(&self.fill_kbps).map(|(f, &kbps)| FillRequest { kbps, ..f.clone() }).collect();
        let load = Load { hist, offered_kbps: &[], site_up: up.0, origin_up: up.1, fills: &granted };
        let after = Capacity::shares(model, &load, true);
        (self.level_kbps, self.path_share, self.throttled, self.utilization, self.link_utilization) =
            (after.level_kbps, after.path_share, after.throttled, after.utilization, after.link_utilization);
    }

    /// Levels, admission and fill grants. With `fixed_fills`, the fills' rates are taken off the capacities
    /// before the streams share what is left (and admission is not computed).
    fn shares(model: &Model, load: &Load, fixed_fills: bool) -> Capacity {
        let world = &model.world;
        let kbps = &model.stream_kbps;
        let bitrates = kbps.len();
        let appliances = world.appliances.len();
        let metros = world.metros.len();
        let accounts = appliances + metros;
        let order = &model.stream_order;
        let count = |a: usize| &load.hist[a * bitrates..(a + 1) * bitrates];
        let demand_of = |a: usize| count(a).iter().zip(kbps).map(|(&n, &k)| n.max(0) as f64 * k).sum::<f64>();

        let mut cap = Capacity {
            level_kbps: vec![f64::INFINITY; accounts],
            path_share: vec![1.0; accounts],
            throttled: vec![false; accounts],
            down: vec![false; accounts],
            utilization: vec![0.0; accounts],
            admit_site: vec![0.0; world.sites.len()],
            admit_appliance: vec![0.0; appliances],
            fill_kbps: vec![0.0; load.fills.len()],
            link_utilization: vec![0.0; world.backbone.link_count()],
        };

        // Appliances, each on its own egress.
        for (a, app) in world.appliances.iter().enumerate() {
            let c = count(a);
            cap.level_kbps[a] =
                water_level(order.iter().map(|&i| (kbps[i], c[i].max(0) as f64)), app.egress_gbps * 1e6);
            cap.utilization[a] = demand_of(a) / (app.egress_gbps * 1e6);
        }
        // Sites: their appliances' streams (each capped at its appliance's level) and the fills they source
        // share the ports.
        let mut site_fill_kbps = vec![Vec::new(); world.sites.len()];
        let mut origin_fill_kbps = vec![Vec::new(); world.origins.len()];
        for (i, f) in load.fills.iter().enumerate() {
            match f.source {
                FillSource::Site(s) => site_fill_kbps[s as usize].push((i, f.kbps)),
                FillSource::Origin(o) => origin_fill_kbps[o as usize].push((i, f.kbps)),
            }
        }
        let mut fill_level = vec![f64::INFINITY; load.fills.len()];
        // Flows: (demand, count), one list reused for every site and origin.
        let mut flows: Vec<(f64, f64)> = Vec::new();
        for (s, site) in world.sites.iter().enumerate() {
            let range = site.appliances.start as usize..site.appliances.end as usize;
            let up = load.site_up[s];
            // Every appliance's bitrates capped at its level, then the fills.
            flows.clear();
            for a in range.clone() {
                let c = count(a);
                for &i in order {
                    if c[i] > 0 {
                        flows.push((kbps[i].min(cap.level_kbps[a]), c[i] as f64));
                    }
                }
            }
            let fills: f64 = site_fill_kbps[s].iter().map(|&(_, k)| k).sum();
            let mut port_kbps = site.egress_gbps * 1e6;
            if fixed_fills {
                port_kbps = (port_kbps - fills).max(0.0);
            } else {
                flows.extend(site_fill_kbps[s].iter().map(|&(_, k)| (k, 1.0)));
            }
            flows.sort_by(|x, y| x.0.total_cmp(&y.0));
            let port = water_level(flows.iter().copied(), port_kbps);
            let site_demand: f64 = flows.iter().map(|f| f.0 * f.1).sum();
            for a in range {
                cap.level_kbps[a] = cap.level_kbps[a].min(port);
                cap.down[a] = !up;
                let top = count(a).iter().zip(kbps).filter(|(n, _)| **n > 0).map(|(_, &k)| k).fold(0.0, f64::max);
                cap.throttled[a] = !up || cap.level_kbps[a] < top;
            }
            for &(i, _) in &site_fill_kbps[s] {
                fill_level[i] = if up { port } else { 0.0 };
            }
            if !fixed_fills && up {
                cap.admit_site[s] =
                    admit_share(model, site.egress_gbps * 1e6, site_demand, load.offered_kbps_site(model, s));
            }
        }
        for (a, app) in world.appliances.iter().enumerate().filter(|_| !fixed_fills) {
            if !cap.down[a] {
                cap.admit_appliance[a] = admit_share(model, app.egress_gbps * 1e6, demand_of(a), load.offered_kbps[a]);
            }
        }

        // Backbone: misses flow from each metro's origin along its path; fills along theirs.
        let links = world.backbone.link_gbps();
        let mut link_load = vec![0.0f64; links.len()];
        for m in 0..metros {
            let d = demand_of(appliances + m);
            for &e in &world.backbone.metro_origin_path[m] {
                link_load[e as usize] += d;
            }
        }
        for f in load.fills {
            for &e in &f.links {
                link_load[e as usize] += f.kbps;
            }
        }
        let link_share: Vec<f64> =
            link_load.iter().zip(&links).map(|(&l, &c)| if l > c * 1e6 { c * 1e6 / l } else { 1.0 }).collect();
        for (u, (&l, &c)) in cap.link_utilization.iter_mut().zip(link_load.iter().zip(&links)) {
            *u = l / (c * 1e6);
        }
        let path_share = |path: &[u32]| path.iter().map(|&e| link_share[e as usize]).fold(1.0, f64::min);

        // Origins: the misses of the metros they serve and their fills share their egress.
        let origin_of: Vec<usize> =
            (0..metros).map(|m| world.nearest_origin(crate::world::MetroId(m as u32))).collect();
        for (o, origin_fills) in origin_fill_kbps.iter().enumerate() {
            let up = load.origin_up.get(o).copied().unwrap_or(true);
            flows.clear();
            let mut per_bitrate = vec![0f64; bitrates];
            for m in (0..metros).filter(|&m| origin_of[m] == o) {
                for (p, &n) in per_bitrate.iter_mut().zip(count(appliances + m)) {
                    *p += n.max(0) as f64;
                }
            }
            for &i in order {
                if per_bitrate[i] > 0.0 {
                    flows.push((kbps[i], per_bitrate[i]));
                }
            }
            let mut egress_kbps = if up { model.scenario.world.origin_egress_gbps * 1e6 } else { 0.0 };
            if fixed_fills {
                egress_kbps = (egress_kbps - origin_fills.iter().map(|&(_, k)| k).sum::<f64>()).max(0.0);
            } else {
                flows.extend(origin_fills.iter().map(|&(_, k)| (k, 1.0)));
            }
            flows.sort_by(|x, y| x.0.total_cmp(&y.0));
            let level = water_level(flows.iter().copied(), egress_kbps);
            for m in (0..metros).filter(|&m| origin_of[m] == o) {
                let a = appliances + m;
                let share = path_share(&world.backbone.metro_origin_path[m]);
                cap.level_kbps[a] = level;
                cap.path_share[a] = share;
                cap.down[a] = !up;
                let top = count(a).iter().zip(kbps).filter(|(n, _)| **n > 0).map(|(_, &k)| k).fold(0.0, f64::max);
                cap.throttled[a] = !up || level < top || share < 1.0;
                cap.utilization[a] = demand_of(a) / (model.scenario.world.origin_egress_gbps * 1e6);
            }
            for &(i, _) in origin_fills {
                fill_level[i] = level;
            }
        }
        for (i, f) in load.fills.iter().enumerate() {
            cap.fill_kbps[i] = f.kbps.min(fill_level[i]) * path_share(&f.links);
        }
        cap
    }

    /// What a stream asking `kbps` on `account` gets this minute.
    #[inline]
    pub fn delivered_kbps(&self, account: usize, kbps: f64) -> f64 {
        kbps.min(self.level_kbps[account]) * self.path_share[account]
    }
}

impl Load<'_> {
    /// A site's offered load: what its appliances were offered.
    fn offered_kbps_site(&self, model: &Model, site: usize) -> f64 {
        let r = &model.world.sites[site].appliances;
        self.offered_kbps[r.start as usize..r.end as usize].iter().sum()
    }
}

/// The share of its offered load a server with `demand_kbps` of `capacity_kbps` admits: what fits under the
/// overload threshold, so a minute's arrivals cannot push it far past it.
fn admit_share(model: &Model, capacity_kbps: f64, demand_kbps: f64, offered_kbps: f64) -> f32 {
    let headroom = model.scenario.policy.overload_utilization * capacity_kbps - demand_kbps;
    if headroom <= 0.0 {
        0.0
    } else if offered_kbps <= headroom {
        1.0
    } else {
        (headroom / offered_kbps) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_filling_spares_streams_below_the_fair_level() {
        let demand = [1000.0, 4000.0, 16000.0];
        let flows = |count: [f64; 3]| demand.into_iter().zip(count);
        // Ample: nothing binds.
        assert!(water_level(flows([1.0; 3]), 30_000.0).is_infinite());
        // 10 × 1000 + 5 × 4000 + 5 × 16000 = 110,000 on 50,000: the 1000s keep theirs, then 40,000 over 10.
        let count = [10.0, 5.0, 5.0];
        let level = water_level(flows(count), 50_000.0);
        assert!((level - 4000.0).abs() < 1e-9, "{level}");
        let delivered: f64 = (0..3).map(|i| demand[i].min(level) * count[i]).sum();
        assert!(delivered <= 50_000.0 + 1e-6);
        // Tighter: 30,000 → the 1000s keep theirs (10,000), 20,000 over the other 10 streams.
        let level = water_level(flows(count), 30_000.0);
        assert!((level - 2000.0).abs() < 1e-9, "{level}");
    }
}
