//! The world: metros with members, ISPs, edge sites with their appliances, origin regions, and the backbone.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, TwinError};
use crate::network::Backbone;
use crate::rng::{AliasTable, Rng, Stream};
use crate::scenario::{Scenario, SiteProfile};

/// Every city of 100,000+ people, from GeoNames (CC BY 4.0) via assets/extract.py.
const METROS_CSV: &str = include_str!("../../assets/metros.csv");
const METROS_FILE: &str = "assets/metros.csv";

/// Content and reporting regions: continents, as GeoNames assigns countries to them.
pub const REGIONS: [(&str, &str); 6] = [
    ("NA", "North America"),
    ("SA", "South America"),
    ("EU", "Europe"),
    ("AF", "Africa"),
    ("AS", "Asia"),
    ("OC", "Oceania"),
];

/// AWS regions that can hold the origin, with their approximate location.
pub const ORIGIN_REGIONS: [(&str, f64, f64); 8] = [
    ("us-east-1", 38.95, -77.45),
    ("us-west-2", 45.84, -119.70),
    ("eu-west-1", 53.35, -6.26),
    ("eu-central-1", 50.11, 8.68),
    ("ap-northeast-1", 35.68, 139.69),
    ("ap-southeast-1", 1.35, 103.82),
    ("ap-south-1", 19.08, 72.88),
    ("sa-east-1", -23.55, -46.63),
];

pub fn origin_location(name: &str) -> Option<(f64, f64)> {
    ORIGIN_REGIONS.iter().find(|r| r.0 == name).map(|r| (r.1, r.2))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SiteId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetroId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IspId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegionId(pub u8);

impl RegionId {
    pub fn code(self) -> &'static str {
        REGIONS[self.0 as usize].0
    }
    pub fn name(self) -> &'static str {
        REGIONS[self.0 as usize].1
    }
}

#[derive(Clone, Debug)]
pub struct Metro {
    pub name: String,
    pub country: String,
    pub region: RegionId,
    pub lat: f64,
    pub lon: f64,
    pub population: u64,
    pub tz: Tz,
    pub members: f64,
}

#[derive(Clone, Debug)]
pub struct Isp {
    pub name: String,
    pub country: String,
    /// Share of the country's members on this ISP.
    pub share: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    pub origins: Vec<Origin>,
    pub client_groups: Vec<ClientGroup>,
    /// For each metro, its client groups (indexes into `client_groups`) and an alias table over their members.
    pub metro_groups: Vec<(Vec<u32>, AliasTable)>,
    pub backbone: Backbone,
}

impl World {
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

        let sites = place_sites(s, &metros, &isps, &client_groups, &mut rng);
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
        );
        Ok(World { metros, isps, sites, origins, client_groups, metro_groups, backbone })
    }

    /// The origin region with the shortest backbone route to a metro: where its misses are fetched from.
    pub fn nearest_origin(&self, metro: MetroId) -> usize {
        let ms = &self.backbone.metro_origin_ms[metro.0 as usize];
        (0..ms.len()).min_by(|&a, &b| ms[a].total_cmp(&ms[b])).unwrap_or(0)
    }

    pub fn site_location(&self, site: SiteId) -> (f64, f64) {
        let m = &self.metros[self.sites[site.0 as usize].metro.0 as usize];
        (m.lat, m.lon)
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
/// profiles go to the sites with more members behind them.
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
        let mut drawn: Vec<SiteProfile> = (0..count).map(|_| mix[table.sample(rng)].clone()).collect();
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

    let tb = 1e12;
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
                disk_bytes: (p.storage as f64 * s.appliances.storage.disk_tb * tb
                    + p.flash as f64 * s.appliances.flash.disk_tb * tb) as u64,
                egress_gbps: p.storage as f64 * s.appliances.storage.egress_gbps
                    + p.flash as f64 * s.appliances.flash.egress_gbps,
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

/// Parses the metros table (header + rows: name,country,continent,lat,lon,population,timezone), most
/// populous first. Errors name the file, line and column.
pub fn load_metros(text: &str, file: &str) -> Result<Vec<Metro>, InputError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if n == 0 || line.is_empty() {
            continue;
        }
        let fields = split_csv_line(line);
        let err = |field: usize, what: &str| {
            let col = fields.get(field).map_or(line.len(), |f| f.0);
            InputError::at_offset(file, text, line_start + col, what.to_string())
        };
        if fields.len() != 7 {
            return Err(err(fields.len().min(6), &format!("7 comma-separated fields, found {}", fields.len())));
        }
        let f = |i: usize| fields[i].1.as_str();
        let region = REGIONS
            .iter()
            .position(|r| r.0 == f(2))
            .ok_or_else(|| err(2, "a continent code (NA, SA, EU, AF, AS, OC)"))?;
        let lat: f64 = f(3)
            .parse()
            .ok()
            .filter(|v: &f64| (-90.0..=90.0).contains(v))
            .ok_or_else(|| err(3, "a latitude in [-90, 90]"))?;
        let lon: f64 = f(4)
            .parse()
            .ok()
            .filter(|v: &f64| (-180.0..=180.0).contains(v))
            .ok_or_else(|| err(4, "a longitude in [-180, 180]"))?;
        let population: u64 = f(5).parse().map_err(|_| err(5, "a population (whole number)"))?;
        let tz: Tz = f(6).parse().map_err(|_| err(6, "an IANA time zone such as Europe/Paris"))?;
        out.push(Metro {
            name: f(0).to_string(),
            country: f(1).to_string(),
            region: RegionId(region as u8),
            lat,
            lon,
            population,
            tz,
            members: 0.0,
        });
    }
    Ok(out)
}

/// Splits one CSV line into (byte column, unquoted value), honouring "quoted, fields" and "" escapes.
fn split_csv_line(line: &str) -> Vec<(usize, String)> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut quoted = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted && chars.peek().map(|p| p.1) == Some('"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push((start, std::mem::take(&mut cur)));
                start = i + 1;
            }
            _ => cur.push(c),
        }
    }
    fields.push((start, cur));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_metros_parse() {
        let metros = load_metros(METROS_CSV, METROS_FILE).expect("asset parses");
        assert!(metros.len() > 6000);
        assert_eq!(metros[0].name, "Shanghai");
        assert!(metros.windows(2).all(|w| w[0].population >= w[1].population));
        assert!(metros.iter().any(|m| m.name.contains(',')), "quoted names survive");
    }

    #[test]
    fn bad_metro_rows_are_located() {
        let text = "name,country,continent,lat,lon,population,timezone\nParis,FR,EU,48.85,2.35,2100000,Europe/Paris\nX,FR,EU,91.0,2.0,5,Europe/Paris\n";
        let e = load_metros(text, "m.csv").unwrap_err();
        assert_eq!((e.line, e.column), (3, 9), "{e}");
        let text = "h\n\"A, B\",FR,EU,1,2,3,Mars/Olympus\n";
        let e = load_metros(text, "m.csv").unwrap_err();
        assert_eq!((e.line, e.column), (2, 20), "{e}");
        assert!(e.message.contains("time zone"));
    }
}
