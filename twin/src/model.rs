//! The part of a loaded scenario that does not change as the clock runs: world, catalog, demand model, steering
//! table, playback model. Built once, shared (Arc) by the twin, its forks and its snapshots; only a title
//! ingest adds to the catalogue changes it (`join`), and then the twin that took it in gets its own copy.

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::demand::Demand;
use crate::error::TwinError;
use crate::playback::Playback;
use crate::scenario::ValidScenario;
use crate::steering::SteeringTable;
use crate::world::World;

#[derive(Clone, Debug)]
pub struct Model {
    pub scenario: ValidScenario,
    /// The instant simulated time zero stands for.
    pub start_utc: DateTime<Utc>,
    pub world: World,
    pub catalog: Catalog,
    pub demand: Demand,
    pub steering: SteeringTable,
    pub playback: Playback,
    /// What a stream at each rendition asks for: its video bitrate plus one audio track (kbps).
    pub stream_kbps: Vec<f64>,
    /// Renditions by ascending `stream_kbps`.
    pub stream_order: Vec<usize>,
}

impl Model {
    pub fn build(scenario: ValidScenario) -> Result<Model, TwinError> {
        let world = World::build(&scenario)?;
        let catalog = Catalog::build(&scenario);
        let demand = Demand::build(&scenario, &catalog);
        let steering = SteeringTable::build(&scenario, &world);
        let playback = Playback::new(scenario.playback.clone());
        let audio = catalog.audio_stream_kbps as f64;
        let stream_kbps: Vec<f64> = catalog.renditions.iter().map(|r| r.kbps as f64 + audio).collect();
        let mut stream_order: Vec<usize> = (0..stream_kbps.len()).collect();
        stream_order.sort_by(|&a, &b| stream_kbps[a].total_cmp(&stream_kbps[b]).then(a.cmp(&b)));
        Ok(Model {
            start_utc: scenario.start_utc(),
            scenario,
            world,
            catalog,
            demand,
            steering,
            playback,
            stream_kbps,
            stream_order,
        })
    }
}
