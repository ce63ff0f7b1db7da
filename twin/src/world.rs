//! The world: metros with members, ISPs, client groups (one ISP's members in one metro), edge sites with their
//! appliances and ports, origin regions, and the backbone.
//!
//! A site's egress is the lesser of its appliances' and its ports'. The operator that hosts it (the ISP, or the
//! exchange) sizes the ports from the evening peak it forecasts the site to serve, times a headroom that varies
//! from one operator to the next, in whole port steps: so capacity follows demand, as in the field, and the
//! sites whose operators bought little headroom reach their threshold on a busy evening.

use chrono::{DateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::TwinError;
use crate::metros::{METROS_CSV, METROS_FILE, Metro, load_metros};
use crate::network::{Backbone, great_circle_km};
use crate::region::{RegionId, origin_location};
use crate::rng::{AliasTable, Rng, Stream};
use crate::scenario::{Scenario, SiteProfile};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SiteId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetroId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IspId(pub u32);

#[derive(Clone, Debug)]
pub struct Isp {
    pub name: String,
    pub country: String,
    /// Share of the country's members on this ISP.
    pub share: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SiteKind {
    /// Appliances inside an ISP's network: they serve only that ISP's members.
    Embedded(IspId),
    /// Appliances at a public exchange point: they serve anyone.
    Ixp,
}

#[derive(Clone, Debug)]
pub struct Site {
    pub name: String,
    pub metro: MetroId,
    pub region: RegionId,
    pub kind: SiteKind,
    pub storage_appliances: u32,
    pub flash_appliances: u32,
    pub disk_bytes: u64,
    /// Its appliances, storage first: `appliances.start .. appliances.end` in `World::appliances`.
    pub appliances: std::ops::Range<u32>,
    /// What its appliances can send, and what its ports carry.
    pub appliance_gbps: f64,
    pub port_gbps: f64,
    /// What it can deliver: the lesser of the two.
    pub egress_gbps: f64,
}

/// What steering needs of a site to find the appliance serving a file: its first appliance and how many of
/// each kind (a compact copy of `Site` for the play path, which reads it for every candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteShape {
    pub first_appliance: u32,
    pub storage: u16,
    pub flash: u16,
}

/// One server of a site.
#[derive(Clone, Copy, Debug)]
pub struct Appliance {
    pub site: SiteId,
    /// Its site's region, and whether the site is embedded in an ISP.
    pub region: RegionId,
    pub embedded: bool,
    pub flash: bool,
    pub disk_bytes: u64,
    pub egress_gbps: f64,
}

#[derive(Clone, Debug)]
pub struct Origin {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// The members of one ISP in one metro: the unit that steering answers for.
#[derive(Clone, Debug)]
pub struct ClientGroup {
    pub metro: MetroId,
    pub isp: IspId,
    pub members: f64,
}

#[derive(Clone, Debug)]
pub struct World {
    pub metros: Vec<Metro>,
    pub isps: Vec<Isp>,
    pub sites: Vec<Site>,
    pub appliances: Vec<Appliance>,
    pub origins: Vec<Origin>,
    pub client_groups: Vec<ClientGroup>,
    /// Every site's shape, by site.
    pub shapes: Vec<SiteShape>,
    /// For each metro, its client groups (indexes into `client_groups`) and an alias table over their members.
    pub metro_groups: Vec<(Vec<u32>, AliasTable)>,
    pub backbone: Backbone,
}

impl World {
    /// The UTC offset, in seconds, of a region's members at `utc`: each metro's offset weighted by its members.
    /// A region spans many zones (Asia runs from UTC+3 to UTC+9), so one city's clock would mislead.
    pub fn members_utc_offset_s(&self, region: usize, utc: DateTime<Utc>) -> Option<i32> {
        let (mut weighted, mut members) = (0.0, 0.0);
        for m in self.metros.iter().filter(|m| m.region.0 as usize == region) {
            weighted += m.tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc() as f64 * m.members;
            members += m.members;
        }
        (members > 0.0).then(|| (weighted / members).round() as i32)
    }

    /// The time zone of a region where most of its members live (the zone whose metros hold the most): the clock
    /// a region's "local" hours are read on, in reports and in `validate`. Ties go to the zone named first.
    pub fn busiest_zone(&self, region: usize) -> Option<chrono_tz::Tz> {
        let mut zones: Vec<(chrono_tz::Tz, f64)> = Vec::new();
        for m in self.metros.iter().filter(|m| m.region.0 as usize == region) {
            match zones.iter_mut().find(|z| z.0 == m.tz) {
                Some(z) => z.1 += m.members,
                None => zones.push((m.tz, m.members)),
            }
        }
        zones
            .into_iter()
            .filter(|z| z.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.name().cmp(a.0.name())))
            .map(|z| z.0)
    }

    pub fn build(s: &Scenario) -> Result<World, TwinError> {
        let w = &s.world;
        let mut rng = Rng::new(s.seed, Stream::World, &[]);
        let per_capita = s.demand.members_per_capita.values();
        let weight = |m: &Metro| m.population as f64 * per_capita[m.region.0 as usize];
        // Members live where people are and the service is popular: take the metros with most members.
        let mut metros: Vec<Metro> = load_metros(METROS_CSV, METROS_FILE)?
            .into_iter()
            .filter(|m| !w.unavailable_countries.iter().any(|c| c == &m.country) && weight(m) > 0.0)
            .collect();
        metros.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
        metros.truncate(w.metros);
        if metros.len() < w.metros {
            return Err(TwinError::Model(format!(
                "world.metros = {} but only {} metros of 100,000+ people are in countries where the service runs",
                w.metros,
                metros.len()
            )));
        }
        let total: f64 = metros.iter().map(weight).sum();
        for m in &mut metros {
            m.members = s.demand.members as f64 * weight(m) / total;
        }

        let isps = build_isps(&metros, w.isps_per_country);
        let mut client_groups = Vec::new();
        let mut metro_groups = Vec::with_capacity(metros.len());
        for (mi, m) in metros.iter().enumerate() {
            let mut idx = Vec::new();
            let mut weights = Vec::new();
            for (ii, isp) in isps.iter().enumerate().filter(|(_, i)| i.country == m.country) {
                idx.push(client_groups.len() as u32);
                weights.push(m.members * isp.share);
                client_groups.push(ClientGroup {
                    metro: MetroId(mi as u32),
                    isp: IspId(ii as u32),
                    members: m.members * isp.share,
                });
            }
            metro_groups.push((idx, AliasTable::new(&weights)));
        }

        let origins: Vec<Origin> = w
            .origins
            .iter()
            .map(|name| {
                let (lat, lon) = origin_location(name).unwrap_or_default();
                Origin { name: name.clone(), lat, lon }
            })
            .collect();
        let backbone = Backbone::build(
            &metros.iter().map(|m| (m.lat, m.lon)).collect::<Vec<_>>(),
            &origins.iter().map(|o| (o.lat, o.lon)).collect::<Vec<_>>(),
            w.backbone_link_gbps,
        );
        let mut world = World {
            sites: place_sites(s, &metros, &isps, &client_groups, &mut rng),
            metros,
            isps,
            appliances: Vec::new(),
            origins,
            client_groups,
            shapes: Vec::new(),
            metro_groups,
            backbone,
        };
        world.provision(s, &mut rng);
        Ok(world)
    }

    /// The origin region with the shortest backbone route to a metro: where its misses are fetched from.
    pub fn nearest_origin(&self, metro: MetroId) -> usize {
        let ms = &self.backbone.metro_origin_ms[metro.0 as usize];
        (0..ms.len()).min_by(|&a, &b| ms[a].total_cmp(&ms[b])).unwrap_or(0)
    }

    /// The client group (index into `client_groups`) that is group `index` of its metro.
    #[inline]
    pub fn metro_group(&self, metro: usize, index: u8) -> u32 {
        self.metro_groups[metro].0[index as usize]
    }

    pub fn site_location(&self, site: SiteId) -> (f64, f64) {
        let m = &self.metros[self.sites[site.0 as usize].metro.0 as usize];
        (m.lat, m.lon)
    }

    pub fn site_km(&self, metro: MetroId, site: SiteId) -> f64 {
        let m = &self.metros[metro.0 as usize];
        great_circle_km((m.lat, m.lon), self.site_location(site))
    }

    /// Appliances, and ports sized from the peak each site is expected to serve.
    fn provision(&mut self, s: &Scenario, rng: &mut Rng) {
        let tb = 1e12;
        let spec = &s.appliances;
        let expected = self.expected_peak_gbps(s);
        let ports = &s.world.ports;
        for (i, site) in self.sites.iter_mut().enumerate() {
            let first = self.appliances.len() as u32;
            for flash in std::iter::repeat_n(false, site.storage_appliances as usize)
                .chain(std::iter::repeat_n(true, site.flash_appliances as usize))
            {
                let a = if flash { &spec.flash } else { &spec.storage };
                self.appliances.push(Appliance {
                    site: SiteId(i as u32),
                    region: site.region,
                    embedded: matches!(site.kind, SiteKind::Embedded(_)),
                    flash,
                    disk_bytes: (a.disk_tb * tb) as u64,
                    egress_gbps: a.egress_gbps,
                });
            }
            site.appliances = first..self.appliances.len() as u32;
            site.disk_bytes = self.appliances[first as usize..].iter().map(|a| a.disk_bytes).sum();
            site.appliance_gbps = self.appliances[first as usize..].iter().map(|a| a.egress_gbps).sum();
            let headroom = rng.lognormal(ports.headroom_median, ports.headroom_sigma);
            site.port_gbps = ((expected[i] * headroom / ports.step_gbps).ceil().max(1.0)) * ports.step_gbps;
            site.egress_gbps = site.appliance_gbps.min(site.port_gbps);
        }
        self.shapes = self
            .sites
            .iter()
            .map(|s| SiteShape {
                first_appliance: s.appliances.start,
                storage: s.storage_appliances as u16,
                flash: s.flash_appliances as u16,
            })
            .collect();
    }

    /// The evening peak each site's operator forecasts it to serve: its share of the members it is nearest to,
    /// at the weekday peak, at the bitrate the device mix would pick on an unloaded network. Members go to
    /// their ISP's nearest sites (shared by appliance egress), else to their region's nearest exchange; an
    /// exchange also expects a share of the in-ISP demand around it (files in-ISP sites lack, and their
    /// overflow; assumed 20%).
    fn expected_peak_gbps(&self, s: &Scenario) -> Vec<f64> {
        const IXP_SPILL_SHARE: f64 = 0.2;
        let d = &s.demand;
        let curve_mean = d.daily_curve.iter().sum::<f64>() / 24.0;
        let curve_peak = d.daily_curve.iter().copied().fold(0.0, f64::max);
        let weekday = 7.0 / (5.0 + 2.0 * d.weekend_factor);
        let concurrency = d.viewing_hours_per_member_day / 24.0 * curve_peak / curve_mean.max(1e-9) * weekday;
        let share_total: f64 = d.devices.iter().map(|x| x.share).sum();
        let stream_kbps: f64 = d
            .devices
            .iter()
            .map(|x| x.share / share_total * (x.max_kbps as f64).min(s.playback.abr_safety * x.median_mbps * 1000.0))
            .sum::<f64>()
            + s.catalog.audio.stream_kbps as f64;
        let member_gbps = concurrency * stream_kbps / 1e6;

        let appliance_gbps = |site: &Site| {
            site.storage_appliances as f64 * s.appliances.storage.egress_gbps
                + site.flash_appliances as f64 * s.appliances.flash.egress_gbps
        };
        let mut expected = vec![0.0; self.sites.len()];
        // Spread `gbps` over the sites at the least distance (within 1 km of it), by appliance egress.
        let spread = |expected: &mut Vec<f64>, candidates: &[(f64, usize)], gbps: f64| {
            let Some(nearest) = candidates.iter().map(|c| c.0).min_by(f64::total_cmp) else { return };
            let near: Vec<usize> = candidates.iter().filter(|c| c.0 <= nearest + 1.0).map(|c| c.1).collect();
            let total: f64 = near.iter().map(|&i| appliance_gbps(&self.sites[i])).sum();
            for &i in &near {
                expected[i] += gbps * appliance_gbps(&self.sites[i]) / total.max(1e-9);
            }
        };
        for g in &self.client_groups {
            let region = self.metros[g.metro.0 as usize].region;
            let km = |i: usize| self.site_km(g.metro, SiteId(i as u32));
            let in_isp: Vec<(f64, usize)> = (0..self.sites.len())
                .filter(|&i| self.sites[i].kind == SiteKind::Embedded(g.isp))
                .map(|i| (km(i), i))
                .filter(|c| c.0 <= s.world.max_in_isp_km)
                .collect();
            let ixps: Vec<(f64, usize)> = (0..self.sites.len())
                .filter(|&i| self.sites[i].kind == SiteKind::Ixp && self.sites[i].region == region)
                .map(|i| (km(i), i))
                .collect();
            let gbps = g.members * member_gbps;
            if in_isp.is_empty() {
                spread(&mut expected, &ixps, gbps);
            } else {
                spread(&mut expected, &in_isp, gbps * (1.0 - IXP_SPILL_SHARE));
                spread(&mut expected, &ixps, gbps * IXP_SPILL_SHARE);
            }
        }
        expected
    }
}

/// ISPs per country: the country with most members gets `max_per_country`, smaller ones fewer (∝ cube root of
/// members); market shares fall off as 1/k^0.8 like a typical concentrated broadband market.
fn build_isps(metros: &[Metro], max_per_country: usize) -> Vec<Isp> {
    let mut countries: Vec<(String, f64)> = Vec::new();
    for m in metros {
        match countries.iter_mut().find(|(c, _)| c == &m.country) {
            Some((_, members)) => *members += m.members,
            None => countries.push((m.country.clone(), m.members)),
        }
    }
    let largest = countries.iter().map(|c| c.1).fold(0.0, f64::max);
    let mut isps = Vec::new();
    for (country, members) in countries {
        let n = ((max_per_country as f64 * (members / largest).cbrt()).round() as usize).clamp(1, max_per_country);
        let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(0.8)).collect();
        let total: f64 = weights.iter().sum();
        for (k, w) in weights.iter().enumerate() {
            isps.push(Isp { name: format!("{country}-ISP{}", k + 1), country: country.clone(), share: w / total });
        }
    }
    isps
}

/// IXP sites go to the metros with most members; embedded sites go to (metro, ISP) groups in proportion to
/// their members (highest-averages apportionment). Appliance profiles are drawn by weight, then the larger
/// profiles go to the sites with more members behind them. Appliances and ports are added by `provision`.
fn place_sites(s: &Scenario, metros: &[Metro], isps: &[Isp], groups: &[ClientGroup], rng: &mut Rng) -> Vec<Site> {
    let w = &s.world;
    let n_ixp = ((w.sites as f64 * w.ixp_share).round() as usize).min(w.sites);
    let n_embedded = w.sites - n_ixp;

    let mut by_members: Vec<usize> = (0..metros.len()).collect();
    by_members.sort_by(|&a, &b| metros[b].members.total_cmp(&metros[a].members).then(a.cmp(&b)));
    let mut ixp_count = vec![0u32; metros.len()];
    for k in 0..n_ixp {
        ixp_count[by_members[k % by_members.len()]] += 1;
    }

    let mut alloc = vec![0u32; groups.len()];
    let mut heap: std::collections::BinaryHeap<(OrdF64, std::cmp::Reverse<usize>)> =
        groups.iter().enumerate().map(|(i, g)| (OrdF64(g.members), std::cmp::Reverse(i))).collect();
    for _ in 0..n_embedded {
        let Some((_, std::cmp::Reverse(i))) = heap.pop() else {
            break;
        };
        alloc[i] += 1;
        heap.push((OrdF64(groups[i].members / (alloc[i] as f64 + 1.0)), std::cmp::Reverse(i)));
    }

    // (metro, kind, members served per site) for every site, in a stable order.
    let mut slots: Vec<(usize, SiteKind, f64)> = Vec::with_capacity(w.sites);
    for &m in &by_members {
        for _ in 0..ixp_count[m] {
            slots.push((m, SiteKind::Ixp, metros[m].members / ixp_count[m] as f64));
        }
    }
    for (gi, g) in groups.iter().enumerate() {
        for _ in 0..alloc[gi] {
            slots.push((g.metro.0 as usize, SiteKind::Embedded(g.isp), g.members / alloc[gi] as f64));
        }
    }

    let profiles_for = |kind_is_ixp: bool, rng: &mut Rng| -> Vec<SiteProfile> {
        let mix = if kind_is_ixp { &w.ixp_mix } else { &w.embedded_mix };
        let table = AliasTable::new(&mix.iter().map(|p| p.weight).collect::<Vec<_>>());
        let count = slots.iter().filter(|s| matches!(s.1, SiteKind::Ixp) == kind_is_ixp).count();
        let mut drawn: Vec<SiteProfile> = (0..count).map(|_| mix[table.sample(rng) as usize].clone()).collect();
        let capacity = |p: &SiteProfile| {
            p.storage as f64 * s.appliances.storage.egress_gbps + p.flash as f64 * s.appliances.flash.egress_gbps
        };
        drawn.sort_by(|a, b| capacity(b).total_cmp(&capacity(a)));
        drawn
    };
    let mut ixp_profiles = profiles_for(true, rng).into_iter();
    let mut embedded_profiles = profiles_for(false, rng).into_iter();

    // Hand the largest profiles to the busiest sites, then put sites back in their stable order.
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by(|&a, &b| slots[b].2.total_cmp(&slots[a].2).then(a.cmp(&b)));
    let mut profile_of = vec![None; slots.len()];
    for &i in &order {
        let next = if matches!(slots[i].1, SiteKind::Ixp) { ixp_profiles.next() } else { embedded_profiles.next() };
        profile_of[i] = next;
    }

    slots
        .iter()
        .zip(profile_of)
        .enumerate()
        .map(|(i, (&(m, kind, _), profile))| {
            let p = profile.unwrap_or(SiteProfile { storage: 1, flash: 0, weight: 1.0 });
            let metro = &metros[m];
            let label = match kind {
                SiteKind::Ixp => "IXP".to_string(),
                SiteKind::Embedded(isp) => isps[isp.0 as usize].name.clone(),
            };
            Site {
                name: format!("{} {} #{}", metro.name, label, i),
                metro: MetroId(m as u32),
                region: metro.region,
                kind,
                storage_appliances: p.storage,
                flash_appliances: p.flash,
                disk_bytes: 0,
                appliances: 0..0,
                appliance_gbps: 0.0,
                port_gbps: 0.0,
                egress_gbps: 0.0,
            }
        })
        .collect()
}

/// An f64 ordered by `total_cmp`, for the apportionment heap.
struct OrdF64(f64);
impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_the_expected_peak_and_appliances_belong_to_their_sites() {
        let s = crate::test_support::small_scenario();
        let w = World::build(&s).unwrap();
        for (i, site) in w.sites.iter().enumerate() {
            assert_eq!(site.appliances.len() as u32, site.storage_appliances + site.flash_appliances);
            assert!(
                w.appliances[site.appliances.start as usize..site.appliances.end as usize]
                    .iter()
                    .all(|a| a.site == SiteId(i as u32))
            );
            assert!(site.port_gbps >= s.world.ports.step_gbps);
            assert_eq!(site.egress_gbps, site.port_gbps.min(site.appliance_gbps));
        }
        // The world's ports carry its forecast peak with about the stated headroom.
        let expected: f64 = w.expected_peak_gbps(&s).iter().sum();
        let ports: f64 = w.sites.iter().map(|x| x.port_gbps).sum();
        assert!(ports > expected && ports < 3.0 * expected, "{ports} Gbps of ports for {expected} Gbps expected");
    }
}
