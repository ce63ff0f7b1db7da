//! Manifest clusters: the sites that share one manifest. Open Connect groups appliances of the same kind that
//! serve the same content region; here a cluster is every site of one region with the same appliance mix, so
//! they want the same files and one plan serves them all.

use serde::{Deserialize, Serialize};

use crate::world::{REGIONS, RegionId, SiteId, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClusterId(pub u32);

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub region: RegionId,
    pub storage_appliances: u32,
    pub flash_appliances: u32,
    pub sites: Vec<SiteId>,
}

#[derive(Clone, Debug)]
pub struct Clusters {
    pub list: Vec<Cluster>,
    of_site: Vec<ClusterId>,
}

impl Clusters {
    pub fn build(world: &World) -> Clusters {
        let mut list: Vec<Cluster> = Vec::new();
        let mut of_site = Vec::with_capacity(world.sites.len());
        for (i, site) in world.sites.iter().enumerate() {
            let key = (site.region, site.storage_appliances, site.flash_appliances);
            let c = match list.iter().position(|c| (c.region, c.storage_appliances, c.flash_appliances) == key) {
                Some(c) => c,
                None => {
                    list.push(Cluster {
                        name: format!(
                            "{} {}S+{}F",
                            REGIONS[site.region.0 as usize].0, site.storage_appliances, site.flash_appliances
                        ),
                        region: site.region,
                        storage_appliances: site.storage_appliances,
                        flash_appliances: site.flash_appliances,
                        sites: Vec::new(),
                    });
                    list.len() - 1
                }
            };
            list[c].sites.push(SiteId(i as u32));
            of_site.push(ClusterId(c as u32));
        }
        Clusters { list, of_site }
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
