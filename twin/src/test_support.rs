//! Shared fixtures for unit tests.

use crate::scenario::{Scenario, ValidScenario};

/// A small world that builds in milliseconds: 30 metros, 40 sites, 60 titles, 200,000 members.
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
