//! Manifest clusters: the sites that share one manifest. Open Connect groups appliances of the same kind that
//! serve the same content region; here a cluster is every site of one region, one tier (embedded in ISPs, or
//! at IXPs) and one appliance mix, so they want the same files and one plan serves them all. Peers (sites of a
//! cluster in one ISP and metro, which reach the same members) take the plan's stripes in turn, so that
//! together they hold more than one of them could.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::region::{REGIONS, RegionId};
use crate::world::{SiteId, SiteKind, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClusterId(pub u32);

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub region: RegionId,
    /// IXP sites (else embedded in ISPs).
    pub ixp: bool,
    pub storage_appliances: u32,
    pub flash_appliances: u32,
    pub sites: Vec<SiteId>,
    /// How many stripes its plan comes in: as many as its largest set of peers takes, up to the policy's.
    pub stripes: u8,
}

#[derive(Clone, Debug)]
pub struct Clusters {
    pub list: Vec<Cluster>,
    of_site: Vec<ClusterId>,
    stripe_of: Vec<u8>,
}

impl Clusters {
    /// The clusters of a world, with peers striped over up to `max_stripes` stripes.
    pub fn build(world: &World, max_stripes: u32) -> Clusters {
        let mut list: Vec<Cluster> = Vec::new();
        let mut of_site = Vec::with_capacity(world.sites.len());
        let mut stripe_of = Vec::with_capacity(world.sites.len());
        let mut peers: HashMap<(SiteKind, u32, u32, u32), u32> = HashMap::new();
        for (i, site) in world.sites.iter().enumerate() {
            let ixp = site.kind == SiteKind::Ixp;
            let key = (site.region, ixp, site.storage_appliances, site.flash_appliances);
            let found = list.iter().position(|c| (c.region, c.ixp, c.storage_appliances, c.flash_appliances) == key);
            let c = match found {
                Some(c) => c,
                None => {
                    let tier = if ixp { "IXP" } else { "ISP" };
                    list.push(Cluster {
                        name: format!(
                            "{} {tier} {}S+{}F",
                            REGIONS[site.region.0 as usize].0, site.storage_appliances, site.flash_appliances
                        ),
                        region: site.region,
                        ixp,
                        storage_appliances: site.storage_appliances,
                        flash_appliances: site.flash_appliances,
                        sites: Vec::new(),
                        stripes: 1,
                    });
                    list.len() - 1
                }
            };
            list[c].sites.push(SiteId(i as u32));
            of_site.push(ClusterId(c as u32));
            // The n-th peer takes stripe n, round the stripes.
            let n = peers.entry((site.kind, site.metro.0, site.storage_appliances, site.flash_appliances)).or_default();
            let stripe = (*n % max_stripes.max(1)) as u8;
            *n += 1;
            list[c].stripes = list[c].stripes.max(stripe + 1);
            stripe_of.push(stripe);
        }
        Clusters { list, of_site, stripe_of }
    }

    /// The stripe of its cluster's plan a site holds.
    pub fn stripe(&self, site: SiteId) -> u8 {
        self.stripe_of[site.0 as usize]
    }

    pub fn of(&self, site: SiteId) -> ClusterId {
        self.of_site[site.0 as usize]
    }

    pub fn get(&self, c: ClusterId) -> &Cluster {
        &self.list[c.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
