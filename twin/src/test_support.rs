//! Shared fixtures for unit tests.

use crate::scenario::Scenario;

/// A small world that builds in milliseconds: 30 metros, 40 sites, 300 titles, 200,000 members.
pub fn small_scenario() -> Scenario {
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
[catalog]
titles = 300
[demand]
members = 200000
"#,
    )
    .expect("fixture is valid")
}
