//! Steering: for a play (client group, file), the ranked list of places to fetch it from, the shape a client
//! receives: in-ISP appliances first, then public IXP sites, then the origin; within a tier, lowest round trip
//! first. A site appears only if it is up, has egress to spare, and holds the file. An appliance embedded in an ISP
//! serves only that ISP's members.

use serde::Serialize;

use crate::catalog::FileId;
use crate::network::{globe_index, one_way_ms, unit_vector};
use crate::placement::Placement;
use crate::scenario::Scenario;
use crate::world::{SiteId, SiteKind, World};

/// A client receives at most this many entries.
pub const LIST_LEN: usize = 3;
/// Candidates considered per tier.
const PER_TIER: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Tier {
    InIsp,
    Ixp,
    Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Target {
    Site(SiteId),
    Origin(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub target: Target,
    pub tier: Tier,
    /// Round trip from the client group's metro, excluding the last mile.
    pub rtt_ms: f32,
}

/// What a client is told: up to `LIST_LEN` places, best first. Never empty: the origin holds everything.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SteeringList {
    entries: [Candidate; LIST_LEN],
    len: u8,
}

impl SteeringList {
    pub fn entries(&self) -> &[Candidate] {
        &self.entries[..self.len as usize]
    }
    pub fn best(&self) -> &Candidate {
        &self.entries[0]
    }
}

/// Ranked candidates for every client group, built once per world.
#[derive(Clone, Debug)]
pub struct SteeringTable {
    candidates: Vec<Vec<Candidate>>,
}

impl SteeringTable {
    pub fn build(s: &Scenario, world: &World) -> SteeringTable {
        let ixp_sites: Vec<u32> =
            (0..world.sites.len() as u32).filter(|&i| world.sites[i as usize].kind == SiteKind::Ixp).collect();
        let ixp_index = globe_index(ixp_sites.iter().map(|&i| world.site_location(SiteId(i))));
        let mut isp_sites: Vec<Vec<u32>> = vec![Vec::new(); world.isps.len()];
        for (i, site) in world.sites.iter().enumerate() {
            if let SiteKind::Embedded(isp) = site.kind {
                isp_sites[isp.0 as usize].push(i as u32);
            }
        }

        let candidates = world
            .client_groups
            .iter()
            .map(|g| {
                let m = &world.metros[g.metro.0 as usize];
                let here = (m.lat, m.lon);
                let rtt = |km: f64| (2.0 * one_way_ms(km)) as f32;
                let site_km = |i: u32| crate::network::great_circle_km(here, world.site_location(SiteId(i)));

                let mut in_isp: Vec<(f64, u32)> = isp_sites[g.isp.0 as usize]
                    .iter()
                    .map(|&i| (site_km(i), i))
                    .filter(|&(km, _)| km <= s.world.max_in_isp_km)
                    .collect();
                in_isp.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut list: Vec<Candidate> = in_isp
                    .iter()
                    .take(PER_TIER)
                    .map(|&(km, i)| Candidate { target: Target::Site(SiteId(i)), tier: Tier::InIsp, rtt_ms: rtt(km) })
                    .collect();
                list.extend(ixp_index.nearest_neighbor_iter(&unit_vector(here.0, here.1)).take(PER_TIER).map(|n| {
                    let i = ixp_sites[n.data as usize];
                    Candidate { target: Target::Site(SiteId(i)), tier: Tier::Ixp, rtt_ms: rtt(site_km(i)) }
                }));
                let origin = world.nearest_origin(g.metro);
                list.push(Candidate {
                    target: Target::Origin(origin as u32),
                    tier: Tier::Origin,
                    rtt_ms: (2.0 * world.backbone.metro_origin_ms[g.metro.0 as usize][origin]) as f32,
                });
                list
            })
            .collect();
        SteeringTable { candidates }
    }

    /// Every place a client in `group` may be steered to, best first (the origin last).
    pub fn candidates(&self, group: usize) -> &[Candidate] {
        &self.candidates[group]
    }

    /// The site a play from `group` would go to if every site held every file: the site whose cache the play
    /// is offered to (what a reactive cache there would see).
    pub fn first_site(&self, group: usize, admit: &[f32], draw: f32) -> Option<SiteId> {
        self.candidates[group].iter().find_map(|c| match c.target {
            Target::Site(s) if draw < admit[s.0 as usize] => Some(s),
            _ => None,
        })
    }

    /// The list a client in `group` receives for `file`. `admit[s]` is the share of plays site `s` accepts
    /// now: 0 when it is down or full, 1 when it has room for all it is offered, in between when it has room
    /// for part; `draw`, uniform in [0, 1), decides this play (a site is listed when `draw < admit[s]`).
    #[inline]
    pub fn steer(&self, group: usize, file: FileId, admit: &[f32], draw: f32, placement: &Placement) -> SteeringList {
        let cands = &self.candidates[group];
        let origin = cands[cands.len() - 1];
        let mut out = SteeringList { entries: [origin; LIST_LEN], len: 0 };
        for c in cands {
            let ok = match c.target {
                Target::Site(s) => draw < admit[s.0 as usize] && placement.holds(s, file),
                Target::Origin(_) => true,
            };
            if ok {
                out.entries[out.len as usize] = *c;
                out.len += 1;
                if out.len as usize == LIST_LEN || c.tier == Tier::Origin {
                    break;
                }
            }
        }
        out
    }
}
