//! Regions and AWS origin regions: the fixed tables every other module names things by. A leaf module: it
//! imports nothing of the twin, so the scenario and the world can both use it.

use serde::{Deserialize, Serialize};

/// Content and reporting regions: continents, as GeoNames assigns countries to them.
pub const REGIONS: [(&str, &str); 6] = [
    ("NA", "North America"),
    ("SA", "South America"),
    ("EU", "Europe"),
    ("AF", "Africa"),
    ("AS", "Asia"),
    ("OC", "Oceania"),
];

/// AWS regions that can hold the origin (and run the control plane), with their approximate location.
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

/// Where an AWS region is, if it is one the twin knows.
pub fn origin_location(name: &str) -> Option<(f64, f64)> {
    ORIGIN_REGIONS.iter().find(|r| r.0 == name).map(|r| (r.1, r.2))
}

/// A content and reporting region (index into `REGIONS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegionId(pub u8);

impl RegionId {
    pub fn code(self) -> &'static str {
        REGIONS[self.0 as usize].0
    }
    pub fn name(self) -> &'static str {
        REGIONS[self.0 as usize].1
    }
    pub fn from_code(code: &str) -> Option<RegionId> {
        REGIONS.iter().position(|r| r.0 == code).map(|i| RegionId(i as u8))
    }
    pub fn all() -> impl Iterator<Item = RegionId> {
        (0..REGIONS.len() as u8).map(RegionId)
    }
}
