//! edgetwin's simulation: a deterministic discrete-event twin of a Netflix-style delivery system.
//!
//! No GUI, no network, no async runtime, no wall clock: the same scenario and seed give bit-identical results.
//! `Twin` is the facade: load a scenario, advance the virtual clock, apply `Command`s, take `Snapshot`s,
//! and `fork` for what-ifs.

mod burn_in;
pub mod cache;
pub mod capacity;
pub mod catalog;
pub mod command;
pub mod content;
pub mod demand;
pub mod engine;
pub mod error;
pub mod events;
pub mod fidelity;
pub mod fill;
pub mod fleet;
pub mod ingest;
mod join;
pub mod journey;
pub mod kpi;
pub mod metros;
pub mod model;
pub mod network;
pub mod placement;
pub mod playback;
pub mod popularity;
mod prefetch;
pub mod region;
pub mod rng;
pub mod scenario;
mod session;
pub mod snapshot;
pub mod steering;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod whatif;
pub mod world;

#[cfg(test)]
pub(crate) mod test_support;

use std::sync::Arc;

pub use command::Command;
pub use engine::{SiteMinute, Totals};
pub use error::{InputError, TwinError};
pub use kpi::{History, KpiId, KpiSample, Series};
pub use model::Model;
pub use placement::{Placement, Scope, TitleRule};
pub use scenario::{PlacementKind, Scenario, ValidScenario};
pub use snapshot::{ContentSnapshot, Snapshot};
pub use time::SimTime;
pub use world::SiteId;

use content::Content;
use engine::Engine;
use fleet::Fleet;
use ingest::Ingest;

/// The embedded default scenario, so the console opens with no file at hand.
pub const DEFAULT_SCENARIO: &str = include_str!("../../assets/scenarios/default.toml");

/// A running twin. Cloning it is a fork: the copy goes on independently from the same state.
#[derive(Clone, Debug)]
pub struct Twin {
    model: Arc<Model>,
    placement: Placement,
    content: Content,
    engine: Engine,
    fleet: Fleet,
    ingest: Ingest,
    /// Per place reserved for ingest, the origin bytes of its plays already read from the buckets (`join`).
    read_bytes: Vec<[u64; region::ORIGIN_REGIONS.len()]>,
}

/// How far a twin's build has come (`Twin::build`).
pub enum Building<'a> {
    /// Geography is built: metros, ISPs, sites and their appliances, origins, the backbone.
    World(&'a world::World),
    /// A stage has begun.
    Stage(BuildStage),
}

/// The stages of a build after the world, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildStage {
    /// The burn-in days observed, for the predictor to learn from.
    BurnIn,
    /// Each region's day in progress predicted.
    Predict,
    /// Every site's plan made.
    Plan,
    /// Every site holding its plan (reactive caches warmed).
    Place,
    /// The engine, the fleet and ingest set up.
    Engine,
}

impl BuildStage {
    pub const ALL: [BuildStage; 5] =
        [BuildStage::BurnIn, BuildStage::Predict, BuildStage::Plan, BuildStage::Place, BuildStage::Engine];

    pub fn label(self) -> &'static str {
        match self {
            BuildStage::BurnIn => "observing the burn-in days",
            BuildStage::Predict => "predicting each region's day",
            BuildStage::Plan => "planning placement",
            BuildStage::Place => "placing every site's files",
            BuildStage::Engine => "starting the engine",
        }
    }
}

impl Twin {
    /// Builds the world of a validated scenario and warms it up (burn-in days, today's plans in place).
    pub fn new(scenario: ValidScenario) -> Result<Twin, TwinError> {
        Twin::build(scenario, |_| {})
    }

    /// `new`, telling `progress` how far it is: the world (geography, sites, backbone) as soon as it is built,
    /// so a console can draw it while the rest (burn-in, predictions, placement) is made; then each stage.
    pub fn build(scenario: ValidScenario, mut progress: impl FnMut(Building<'_>)) -> Result<Twin, TwinError> {
        let model = Model::build(scenario)?;
        progress(Building::World(&model.world));
        let (content, placement) = Content::new(&model, &mut |stage| progress(Building::Stage(stage)));
        progress(Building::Stage(BuildStage::Engine));
        let engine = Engine::new(&model);
        let fleet = Fleet::new(&model);
        let origins: Vec<String> = model.world.origins.iter().map(|o| o.name.clone()).collect();
        let ingest = Ingest::new(&model.scenario.ingest, model.scenario.seed, &origins);
        let read_bytes = vec![[0; region::ORIGIN_REGIONS.len()]; model.catalog.slots.len()];
        Ok(Twin { model: Arc::new(model), placement, content, engine, fleet, ingest, read_bytes })
    }

    /// The embedded default scenario.
    pub fn default_scenario() -> Result<Twin, TwinError> {
        Twin::new(Scenario::parse("assets/scenarios/default.toml", DEFAULT_SCENARIO)?)
    }

    pub fn fork(&self) -> Twin {
        self.clone()
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// Plans every site's placement again now, as happens each night (fills carry it out in their windows).
    /// Returns the number of plans made.
    pub fn plan_placement(&mut self) -> usize {
        self.content.plan(&self.model)
    }

    /// Placement plans, fills, predictions and operator rules.
    pub fn content(&self) -> &Content {
        &self.content
    }

    pub fn now(&self) -> SimTime {
        self.engine.now()
    }

    /// The minute in progress (0-based).
    fn minute(&self) -> u64 {
        self.engine.now().minutes()
    }

    /// The control plane: each region's Auto Scaling group, its minutes and its scaling events.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Worker threads per simulated minute (default: all cores). Results do not depend on it.
    pub fn set_threads(&mut self, threads: usize) {
        self.engine.set_threads(&self.model, threads);
    }

    /// Advances the clock by whole minutes.
    pub fn advance_minutes(&mut self, minutes: u64) {
        for _ in 0..minutes {
            self.step_minute();
        }
    }

    /// One minute: fills ask for capacity, the capacity model shares it out, fills move, plays are simulated,
    /// the control plane serves the minute's requests and scales, reactive caches learn, and a region at its
    /// midnight has its day observed and its next day planned.
    fn step_minute(&mut self) {
        let fills = self.content.fill_requests(&self.model, &mut self.engine, &mut self.placement);
        self.engine.begin_minute(&self.model, &fills);
        let fill = self.content.move_fills(&self.model, &self.engine, &mut self.placement);
        let reactive = self.content.reactive_sites();
        self.engine.step_minute(&self.model, &self.placement, &reactive, &fill, &self.fleet);
        let load = self.engine.control_plane_load(&self.fleet);
        self.fleet.step(&self.model, self.engine.now().minutes() - 1, &load);
        self.content.after_minute(&self.model, &mut self.engine, &mut self.placement);
        self.ingest.advance(self.engine.now().seconds() * 1000);
        self.read_origin(&fill);
        self.join_stored();
    }

    /// A site of the world, or why not.
    pub(crate) fn site(&self, site: SiteId) -> Result<&world::Site, TwinError> {
        let sites = &self.model.world.sites;
        sites
            .get(site.0 as usize)
            .ok_or_else(|| TwinError::Refused(format!("no site {} (the world has {})", site.0, sites.len())))
    }

    /// Advances the clock to `until` (rounded up to a whole minute).
    pub fn advance_to(&mut self, until: SimTime) {
        let target = until.seconds().div_ceil(time::SECONDS_PER_MINUTE);
        while self.engine.now().minutes() < target {
            self.step_minute();
        }
    }

    pub fn apply(&mut self, command: Command) -> Result<(), TwinError> {
        match command {
            Command::SetSiteUp { site, up } => {
                self.site(site)?;
                if up && self.engine.site_retired[site.0 as usize] {
                    return Err(TwinError::Refused(format!("site {} was removed: it cannot be brought up", site.0)));
                }
                self.engine.site_up[site.0 as usize] = up;
            }
            Command::RemoveSite { site } => {
                let region = self.site(site)?.region;
                let sites = &self.model.world.sites;
                let retired = &self.engine.site_retired;
                if retired[site.0 as usize] {
                    return Err(TwinError::Refused(format!("site {} is removed already", site.0)));
                }
                let others = (0..sites.len()).filter(|&s| s != site.0 as usize && sites[s].region == region);
                if others.clone().all(|s| retired[s]) {
                    return Err(TwinError::Refused(format!(
                        "site {} is the last of {}: a region keeps at least one site",
                        site.0,
                        region::REGIONS[region.0 as usize].1
                    )));
                }
                self.engine.site_retired[site.0 as usize] = true;
                self.engine.site_up[site.0 as usize] = false;
            }
            Command::SetOriginUp { origin, up } => {
                let origins = self.model.world.origins.len();
                let slot = self.engine.origin_up.get_mut(origin).ok_or_else(|| {
                    TwinError::Refused(format!("no origin region {origin} (the world has {origins})"))
                })?;
                *slot = up;
            }
            Command::SetDemandScale { factor, region } => {
                if !(factor.is_finite() && (0.0..=command::MAX_DEMAND_SCALE).contains(&factor)) {
                    return Err(TwinError::Refused(format!(
                        "demand scale must be a number from 0 to {}, not {factor}",
                        command::MAX_DEMAND_SCALE
                    )));
                }
                match region {
                    None => self.engine.demand_scale = factor,
                    Some(r) => {
                        let regions = region::REGIONS.len();
                        *self
                            .engine
                            .region_demand_scale
                            .get_mut(r)
                            .ok_or_else(|| TwinError::Refused(format!("no region {r} (there are {regions})")))? =
                            factor;
                    }
                }
            }
            Command::SetTitleSurge { title, region, factor } => {
                if let Some(why) = self.model.catalog.title_error(title) {
                    return Err(TwinError::Refused(why));
                }
                if region >= region::REGIONS.len() {
                    return Err(TwinError::Refused(format!(
                        "no region {region} (there are {})",
                        region::REGIONS.len()
                    )));
                }
                if !(factor.is_finite() && (0.0..=demand::MAX_SURGE).contains(&factor)) {
                    return Err(TwinError::Refused(format!(
                        "a surge must be a factor from 0 to {}, not {factor}",
                        demand::MAX_SURGE
                    )));
                }
                self.engine.set_surge(&self.model, demand::Surge { title, region, factor });
            }
            Command::SetFillSchedule { window_start_hour, window_hours, caps_factor } => {
                self.content.fill.set_schedule(window_start_hour, window_hours, caps_factor)?
            }
            Command::FillNow { scope } => self.content.fill_now(&self.model, scope, &mut self.placement)?,
            Command::SetTitleRule { scope, title, rule } => self.content.set_rule(&self.model, scope, title, rule)?,
            Command::SetDiskScale { scope, factor } => {
                self.content.set_disk_scale(&self.model, scope, factor, &mut self.placement)?
            }
            Command::SetSitePolicy { site, policy } => {
                self.content.set_policy(&self.model, site, policy, &mut self.placement)?
            }
            Command::SetScalingPolicy { region, policy } => self.fleet.set_policy(region, policy, self.minute())?,
            Command::SetDesiredCapacity { region, desired } => {
                self.fleet.set_desired(region, desired, self.minute())?
            }
            Command::KillInstances { region, count } => self.fleet.kill(region, count, self.minute())?,
            Command::SetPredictions { region, day, plays, rendition_shares } => self.content.set_predictions(
                &self.model,
                region,
                day,
                &plays,
                &rendition_shares,
                &mut self.placement,
            )?,
            Command::EvacuateRegion { region, evacuated } => {
                self.fleet.evacuate(&self.model, region, evacuated, self.minute())?
            }
            Command::SetOriginContents { bucket, objects } => {
                self.ingest.set_contents(&bucket, objects).map_err(TwinError::Refused)?
            }
            Command::Ingest { delivery, ladder } => {
                join::delivery_regions(&delivery)?;
                join::delivery_genre(&self.model, &delivery)?;
                join::delivery_release(&delivery, self.engine.now())?;
                let c = &self.model.catalog;
                self.ingest.deliver(delivery, ladder, &c.codecs, &c.renditions, self.engine.now().seconds() * 1000);
            }
        }
        Ok(())
    }

    pub fn snapshot(&self) -> Snapshot {
        let e = &self.engine;
        Snapshot {
            time: e.now(),
            start_utc: self.model.start_utc,
            model: self.model.clone(),
            placement: self.placement.clone(),
            content: ContentSnapshot {
                clusters: self.content.clusters.clone(),
                site_policy: Arc::new(self.content.site_policy.clone()),
                site_plans: Arc::new(self.content.site_plans.clone()),
                predicted: self.content.predicted.clone(),
                predicted_plays: self.content.predicted_plays.clone(),
                observed_plays: self.content.observed_plays.clone(),
                observed_days: self.content.observed_days,
                prediction_errors: Arc::new(self.content.prediction_errors()),
                rules: Arc::new(self.content.rules.iter().collect()),
                fill: Arc::new(self.content.fill_status(&self.model)),
                fill_spec: self.content.fill.spec.clone(),
                transfers: self.content.transfers().clone(),
                site_offered_bytes: Arc::new(e.site_offered_bytes.clone()),
                site_hit_bytes: Arc::new(e.site_hit_bytes.clone()),
            },
            kpis: e.kpis.clone(),
            region_kpis: e.region_kpis.clone(),
            sites: Arc::new(e.site_now.clone()),
            site_up: Arc::new(e.site_up.clone()),
            site_retired: Arc::new(e.site_retired.clone()),
            origin_up: Arc::new(e.origin_up.clone()),
            metro_origin_gbps: Arc::new(e.metro_origin_gbps.clone()),
            fleet: Arc::new(self.fleet.snapshot()),
            ingest: Arc::new(self.ingest.snapshot(e.title_bytes.clone())),
        }
    }

    /// Where the twin's memory goes: (what, heap bytes), approximately; the largest parts only.
    pub fn memory(&self) -> Vec<(&'static str, usize)> {
        let (sessions, engine) = self.engine.heap_bytes();
        let (sets, changes) = self.placement.heap_bytes();
        let (predictions, plans) = self.content.heap_bytes();
        let (queues, log) = self.content.fill.heap_bytes();
        vec![
            ("sessions in progress", sessions),
            ("engine books and histories", engine),
            ("sites' own file sets", sets),
            ("sites' changes since their plan", changes),
            ("predictions", predictions),
            ("plans and file sizes", plans),
            ("fill queues", queues),
            ("transfer log", log),
        ]
    }

    /// Every simulated minute so far, worldwide.
    pub fn kpis(&self) -> &History {
        &self.engine.kpis
    }

    /// Every simulated minute so far, for one region (index into `region::REGIONS`).
    pub fn region_kpis(&self, region: usize) -> &History {
        &self.engine.region_kpis[region]
    }

    /// A site's recent minutes, oldest first.
    pub fn site_history(&self, site: SiteId) -> Vec<SiteMinute> {
        self.engine.site_history(site.0 as usize)
    }

    /// Starts recording the requests offered to `site` (those steering would send it if it held every file),
    /// or stops. Recording does not change the simulation.
    pub fn record_site_requests(&mut self, site: Option<SiteId>) {
        self.engine.recording = site.map(|s| (s, Vec::new()));
    }

    /// The requests recorded so far, in order.
    pub fn recorded_requests(&self) -> &[trace::Request] {
        self.engine.recording.as_ref().map_or(&[], |r| &r.1)
    }

    /// Per site, the bytes steering sent it first and the bytes it served of them, since the start.
    pub fn site_bytes(&self) -> (&[u64], &[u64]) {
        (&self.engine.site_offered_bytes, &self.engine.site_hit_bytes)
    }

    /// Starts emitting viewing events for the share `sampling` keeps of members (by member hash), or (None)
    /// stops. Take them with `take_events` as the clock goes on.
    pub fn set_events(&mut self, sampling: Option<events::Sampling>) {
        self.engine.set_events(&self.model, sampling);
        self.content.days_observed = sampling.map(|_| Vec::new());
        self.content.plans_made = sampling.map(|_| Vec::new());
    }

    /// The regions' days observed since the last take (kept while events are on): plays per video observed,
    /// and predicted for the day and the next.
    pub fn take_days(&mut self) -> Vec<events::DayRecord> {
        self.content.days_observed.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The regions' plans made since the last take (kept while events are on): the copies that changed.
    pub fn take_plans(&mut self) -> Vec<events::PlanRecord> {
        self.content.plans_made.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// With `true`, a region's next day is predicted outside: at its midnight the twin records the day (see
    /// `take_days`) and plans only when `Command::SetPredictions` brings the predictions; until then its sites
    /// keep the plans they had. With `false` (as built), the twin predicts on its own.
    /// Regions still waiting when they stop being given are predicted and planned at once.
    pub fn set_given_predictions(&mut self, given: bool) {
        self.content.set_given_predictions(&self.model, given, &mut self.placement);
    }

    /// The regions waiting for their day's predictions (while they are given).
    pub fn predictions_due(&self) -> Vec<content::PredictionDue> {
        self.content.predictions_due()
    }

    /// The events of the minutes since the last take, minute by minute (within a minute, metro by metro; a
    /// play's browse and search come with its attempt, stamped the moments before it): the twin's event sink. Empty unless `set_events` turned them on.
    pub fn take_events(&mut self) -> Vec<events::Event> {
        self.engine.take_events()
    }

    /// Worker threads per simulated minute.
    pub fn threads(&self) -> usize {
        self.engine.threads()
    }

    pub fn totals(&self) -> Totals {
        self.engine.totals
    }

    /// The startup-time histogram of every play so far (`kpi::HIST_BINS` bins), worldwide or for one region.
    pub fn startup_hist(&self, region: Option<usize>) -> Vec<u64> {
        let bins = kpi::HIST_BINS;
        let mut hist = vec![0u64; bins];
        for r in (0..region::REGIONS.len()).filter(|&r| region.is_none_or(|x| x == r)) {
            for (h, &c) in hist.iter_mut().zip(&self.engine.run_hist[r * bins..(r + 1) * bins]) {
                *h += c;
            }
        }
        hist
    }

    /// Startup-time percentile over the whole run so far, worldwide or for one region.
    pub fn run_startup_ms(&self, region: Option<usize>, q: f64) -> Option<f64> {
        kpi::hist_quantile(&self.startup_hist(region), 1, q)
    }
}
