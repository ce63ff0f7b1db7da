//! Steering: for a play (client group, file), the ranked list of places to fetch it from, the shape a client
//! receives: in-ISP appliances first, then public IXP sites, then the origin; within a tier, lowest round trip
//! first, and sites at the same round trip (the same metro) share the load in proportion to their egress. A
//! site is listed only if it is up, admits the play (its egress, and the appliance that would serve it, have
//! room under the overload threshold), and holds the file and its audio. An appliance embedded in an ISP serves
//! only that ISP's members; members reach the exchanges of their own region, and of a neighbouring region within
//! the peering reach (transit).
//!
//! A client plays from the first entry and moves to the next when its site fails. The engine asks for the first
//! entry when a play starts (`steer`) and for the next when a session's site goes down (`next`), as the list
//! stands then: a client holds at most `LIST_LEN` entries.

use serde::Serialize;

use crate::catalog::FileId;
use crate::network::{globe_index, one_way_ms, unit_vector};
use crate::placement::{Placement, appliance_of};
use crate::rng::mix64;
use crate::scenario::Scenario;
use crate::world::{SiteId, SiteKind, SiteShape, World};

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
    /// How many candidates from this one on share its round trip (1 when none does), and its share of their
    /// egress, cumulated: a play starts the run at the candidate its draw falls on.
    pub tie_len: u8,
    pub tie_cumulative: f32,
}

/// Where a play is steered: a candidate, its index among the group's candidates, and the appliance that serves
/// it there (None at the origin).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub candidate: Candidate,
    pub index: u8,
    pub appliance: Option<u32>,
    /// The first site that admitted the play, holding its files or not: where it would go if every site held
    /// every file, the cache it is offered to (what a reactive cache there would see).
    pub offered: Option<SiteId>,
}

/// Whether sites take new plays now: `site[s]` and `appliance[a]` are the shares of what they are offered that
/// they accept (0 when down or full, 1 when they have room for everything).
pub struct Admission<'a> {
    pub site: &'a [f32],
    pub appliance: &'a [f32],
}

/// The uniform draw in [0, 1) that decides whether `site` admits play `play`: independent across sites.
#[inline]
pub fn admission_draw(play: u64, site: u32) -> f32 {
    (mix64(play ^ (site as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 40) as f32 / (1u64 << 24) as f32
}

/// Ranked candidates for every client group, built once per world.
#[derive(Clone, Debug)]
pub struct SteeringTable {
    /// Every group's candidates, one list after another (the play path reads them for every play: one flat
    /// table, and a dense index of where each group's list starts, stay in cache better than a list each).
    candidates: Vec<Candidate>,
    starts: Vec<u32>,
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

        let lists: Vec<Vec<Candidate>> = world
            .client_groups
            .iter()
            .map(|g| {
                let m = &world.metros[g.metro.0 as usize];
                let rtt = |km: f64| (2.0 * one_way_ms(km)) as f32;
                let site_km = |i: u32| world.site_km(g.metro, SiteId(i));
                let site = |i: u32, km: f64, tier: Tier| Candidate {
                    target: Target::Site(SiteId(i)),
                    tier,
                    rtt_ms: rtt(km),
                    tie_len: 1,
                    tie_cumulative: 1.0,
                };

                let mut in_isp: Vec<(f64, u32)> = isp_sites[g.isp.0 as usize]
                    .iter()
                    .map(|&i| (site_km(i), i))
                    .filter(|&(km, _)| km <= s.world.max_in_isp_km)
                    .collect();
                in_isp.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut list: Vec<Candidate> =
                    in_isp.iter().take(PER_TIER).map(|&(km, i)| site(i, km, Tier::InIsp)).collect();
                let reachable =
                    |i: u32, km: f64| world.sites[i as usize].region == m.region || km <= s.world.ixp_reach_km;
                list.extend(
                    ixp_index
                        .nearest_neighbor_iter(&unit_vector(m.lat, m.lon))
                        .map(|n| ixp_sites[n.data as usize])
                        .map(|i| (site_km(i), i))
                        .filter(|&(km, i)| reachable(i, km))
                        .take(PER_TIER)
                        .map(|(km, i)| site(i, km, Tier::Ixp)),
                );
                mark_ties(&mut list, world);
                let origin = world.nearest_origin(g.metro);
                list.push(Candidate {
                    target: Target::Origin(origin as u32),
                    tier: Tier::Origin,
                    rtt_ms: (2.0 * world.backbone.metro_origin_ms[g.metro.0 as usize][origin]) as f32,
                    tie_len: 1,
                    tie_cumulative: 1.0,
                });
                list
            })
            .collect();
        let mut starts = vec![0u32];
        starts.extend(lists.iter().scan(0u32, |end, list| {
            *end += list.len() as u32;
            Some(*end)
        }));
        SteeringTable { candidates: lists.concat(), starts }
    }

    /// Every place a client in `group` may be steered to, best first (the origin last).
    #[inline]
    pub fn candidates(&self, group: usize) -> &[Candidate] {
        &self.candidates[self.starts[group] as usize..self.starts[group + 1] as usize]
    }

    /// The candidates of `group` in the order play `play` tries them: ties rotated to start where its draw
    /// falls, by egress share.
    #[inline]
    fn order(&self, group: usize, play: u64) -> impl Iterator<Item = (usize, &Candidate)> + '_ {
        let cands = self.candidates(group);
        let u = (mix64(play ^ 0x5EED) >> 40) as f32 / (1u64 << 24) as f32;
        let mut i = 0;
        let mut rotation: Option<(usize, usize, usize)> = None; // (run start, run len, first)
        std::iter::from_fn(move || {
            if let Some((start, len, first)) = rotation {
                let k = i - start;
                if k < len {
                    i += 1;
                    let j = start + (first - start + k) % len;
                    return Some((j, &cands[j]));
                }
                rotation = None;
            }
            let c = cands.get(i)?;
            if c.tie_len > 1 {
                let len = c.tie_len as usize;
                let first = (i..i + len).find(|&j| u < cands[j].tie_cumulative).unwrap_or(i + len - 1);
                rotation = Some((i, len, first));
                i += 1;
                return Some((first, &cands[first]));
            }
            i += 1;
            Some((i - 1, c))
        })
    }

    /// The first entry of the list a client in `group` receives for `file` (and its audio file `audio`): the
    /// first candidate, in the play's order, that admits play `play` (at the site, and at the appliance that
    /// would serve it) and holds both. Never fails: the origin holds everything.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the play path: plain arguments, no struct built per play
    pub fn steer(
        &self,
        group: usize,
        file: FileId,
        audio: FileId,
        play: u64,
        admission: &Admission,
        placement: &Placement,
        shapes: &[SiteShape],
    ) -> Entry {
        let mut offered = None;
        for (index, c) in self.order(group, play) {
            match c.target {
                Target::Site(s) => {
                    let draw = admission_draw(play, s.0);
                    if draw >= admission.site[s.0 as usize] {
                        continue;
                    }
                    offered.get_or_insert(s);
                    if placement.holds(s, file) && placement.holds(s, audio) {
                        let a = appliance_of(shapes[s.0 as usize], placement.layout(s), file, play);
                        if draw < admission.appliance[a as usize] {
                            return Entry { candidate: *c, index: index as u8, appliance: Some(a), offered };
                        }
                    }
                }
                Target::Origin(_) => return Entry { candidate: *c, index: index as u8, appliance: None, offered },
            }
        }
        let cands = self.candidates(group);
        Entry { candidate: cands[cands.len() - 1], index: (cands.len() - 1) as u8, appliance: None, offered }
    }

    /// The entry a session of `group` on candidate `current` moves to when its site fails: the first other
    /// candidate, in the group's order, that is up and holds the file and its audio.
    #[allow(clippy::too_many_arguments)] // the play path: plain arguments, no struct built per move
    pub fn next(
        &self,
        group: usize,
        current: u8,
        file: FileId,
        audio: FileId,
        key: u64,
        up: &[bool],
        placement: &Placement,
        shapes: &[SiteShape],
    ) -> Entry {
        for (index, c) in self.candidates(group).iter().enumerate().filter(|&(i, _)| i != current as usize) {
            match c.target {
                Target::Site(s) => {
                    if up[s.0 as usize] && placement.holds(s, file) && placement.holds(s, audio) {
                        let a = appliance_of(shapes[s.0 as usize], placement.layout(s), file, key);
                        return Entry { candidate: *c, index: index as u8, appliance: Some(a), offered: None };
                    }
                }
                Target::Origin(_) => {
                    return Entry { candidate: *c, index: index as u8, appliance: None, offered: None };
                }
            }
        }
        let cands = self.candidates(group);
        Entry { candidate: cands[cands.len() - 1], index: (cands.len() - 1) as u8, appliance: None, offered: None }
    }
}

/// Marks runs of candidates of one tier in one metro (the same round trip) as ties, with their cumulative
/// share of the run's appliance egress.
fn mark_ties(list: &mut [Candidate], world: &World) {
    let metro_of = |c: &Candidate| match c.target {
        Target::Site(s) => Some(world.sites[s.0 as usize].metro),
        Target::Origin(_) => None,
    };
    let egress = |c: &Candidate| match c.target {
        Target::Site(s) => world.sites[s.0 as usize].appliance_gbps,
        Target::Origin(_) => 0.0,
    };
    let mut i = 0;
    while i < list.len() {
        let mut j = i + 1;
        while j < list.len() && list[j].tier == list[i].tier && metro_of(&list[j]) == metro_of(&list[i]) {
            j += 1;
        }
        let total: f64 = list[i..j].iter().map(egress).sum();
        let mut cumulative = 0.0;
        for (k, candidate) in list[i..j].iter_mut().enumerate() {
            cumulative += egress(candidate) / total.max(1e-9);
            // Only the run's first candidate starts a rotation.
            candidate.tie_len = if k == 0 { (j - i) as u8 } else { 1 };
            candidate.tie_cumulative = if i + k + 1 == j { 1.0 } else { cumulative as f32 };
        }
        i = j;
    }
}
