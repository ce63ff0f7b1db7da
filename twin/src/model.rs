//! The immutable part of a loaded scenario: world, catalog, demand model, steering table, playback model.
//! Built once, shared (Arc) by the twin and all its forks.

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::demand::Demand;
use crate::error::TwinError;
use crate::playback::Playback;
use crate::scenario::Scenario;
use crate::steering::SteeringTable;
use crate::world::World;

#[derive(Debug)]
pub struct Model {
    pub scenario: Scenario,
    /// The instant simulated time zero stands for (parsed once from the scenario).
    pub start_utc: DateTime<Utc>,
    pub world: World,
    pub catalog: Catalog,
    pub demand: Demand,
    pub steering: SteeringTable,
    pub playback: Playback,
}

impl Model {
    pub fn build(scenario: Scenario) -> Result<Model, TwinError> {
        let world = World::build(&scenario)?;
        let catalog = Catalog::build(&scenario);
        let demand = Demand::build(&scenario, &catalog);
        let steering = SteeringTable::build(&scenario, &world);
        let playback = Playback::new(scenario.playback.clone(), catalog.ladder.iter().map(|r| r.kbps).collect());
        Ok(Model { start_utc: scenario.start_utc(), scenario, world, catalog, demand, steering, playback })
    }
}
