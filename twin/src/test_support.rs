//! Shared fixtures for unit tests.

use crate::scenario::{Scenario, ValidScenario};

/// A small world that builds in milliseconds: 30 metros, 40 sites, 60 titles, 200,000 members, and disks far
/// smaller than its catalogue (about 20 TB), so where files go matters.
pub fn small_scenario() -> ValidScenario {
    Scenario::parse(
        "small.toml",
        r#"
name = "small"
seed = 11
start = "2026-11-23T00:00:00Z"
horizon_hours = 6.0
[world]
metros = 30
sites = 40
ports = { step_gbps = 1.0 }
[appliances]
storage = { disk_tb = 4.0, egress_gbps = 96.0 }
flash = { disk_tb = 0.5, egress_gbps = 190.0 }
[catalog]
titles = 60
[demand]
members = 200000
[policy]
burn_in_days = 3
"#,
    )
    .expect("fixture is valid")
}
