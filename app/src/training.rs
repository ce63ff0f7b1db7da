//! Nightly training: the loop from viewing data back into placement, through the events store. At each
//! region's midnight the twin records the day and waits (`Twin::set_given_predictions`). Training then has the
//! store commit the day, reads it back (plays per video from `daily`, play-seconds per rendition from
//! `daily_renditions`, the day's weekday and end from `days`), teaches its predictor, predicts the region's new
//! day, and hands the predictions to the twin (`Command::SetPredictions`), whose plans follow at once. What it
//! did goes back into the store: the next day's predictions into `daily`, the run into `training_runs`, and the
//! planned copies that changed into `placement_changes`.
//!
//! The predictor is the twin's own model (`twin::popularity`), started as the twin's stood when training began:
//! learned from the burn-in days, the history before the store. From then on it learns from the store alone,
//! never from the engine's memory, so what the store holds is what placement follows.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};
use twin::content::PredictionDue;
use twin::popularity::Predictor;
use twin::region::REGIONS;
use twin::time::SECONDS_PER_DAY;
use twin::{Command, Model, Twin};

use crate::store::events::{self as events_store, EventStore, TrainingRecord, TrainingRun};

pub struct Training {
    model: Arc<Model>,
    predictor: Predictor,
    reader: Connection,
    /// Days of each region read from the store so far.
    days_read: [u32; REGIONS.len()],
}

impl Training {
    /// Starts training `twin` from the store being written: the twin waits for predictions from now on.
    pub fn start(twin: &mut Twin, store: &EventStore) -> anyhow::Result<Training> {
        let reader = events_store::open(store.path())?;
        twin.set_given_predictions(true);
        Ok(Training {
            model: twin.model().clone(),
            predictor: twin.content().predictor().clone(),
            reader,
            days_read: [0; REGIONS.len()],
        })
    }

    /// After each simulated minute: if a region's day ended, commits the days the twin recorded, trains on
    /// them from the store, and plans the regions with the predictions made. Returns the runs of this minute.
    pub fn after_minute(&mut self, twin: &mut Twin, store: &EventStore) -> anyhow::Result<Vec<TrainingRun>> {
        let due = twin.predictions_due();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        store.send_days(twin.take_days())?;
        store.sync()?;
        let mut runs = Vec::with_capacity(due.len());
        for d in due {
            let started = Instant::now();
            let (observed, rows_read) = self.learn(d).with_context(|| {
                format!("training {} for its day {} from {}", REGIONS[d.region].0, d.day, store.path().display())
            })?;
            let plays = self.predict(d);
            let rendition_shares = self.predictor.rendition_shares(d.region).to_vec();
            twin.apply(Command::SetPredictions {
                region: d.region,
                day: d.day,
                plays: plays.clone(),
                rendition_shares,
            })?;
            let plans = twin.take_plans();
            let mut run = TrainingRun {
                region: d.region as u8,
                day: d.day - 1,
                t_s: twin.now().seconds() as i64,
                days_read: self.days_read[d.region],
                rows_read,
                wall_ms: started.elapsed().as_secs_f64() * 1e3,
                ..TrainingRun::default()
            };
            for &(_, before, after) in plans.iter().flat_map(|p| &p.changes) {
                if after > before {
                    run.files_up += 1;
                    run.copies_added += (after - before) as u64;
                } else {
                    run.files_down += 1;
                    run.copies_removed += (before - after) as u64;
                }
            }
            store.send_plans(plans)?;
            if observed {
                store.send_training(TrainingRecord { run: run.clone(), next_predicted_plays: plays })?;
            }
            runs.push(run);
        }
        Ok(runs)
    }

    /// Teaches the predictor the region's day before `due`, as the store holds it. Returns whether the store
    /// holds that day (the first, partial day of a run is not observed) and the rows read.
    fn learn(&mut self, due: PredictionDue) -> anyhow::Result<(bool, u32)> {
        let (region, day) = (due.region, due.day - 1);
        let known: Option<(i64, i64)> = self
            .reader
            .query_row("SELECT weekday, end_s FROM days WHERE region = ?1 AND day = ?2", params![region, day], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((weekday, end_s)) = known else { return Ok((false, 0)) };
        let catalog = &self.model.catalog;
        let mut plays = vec![0.0; catalog.videos.len()];
        let mut seconds = vec![0.0; catalog.renditions.len()];
        let mut rows = 0u32;
        let mut stmt =
            self.reader.prepare_cached("SELECT video, observed_plays FROM daily WHERE region = ?1 AND day = ?2")?;
        for row in stmt.query_map(params![region, day], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))? {
            let (video, p) = row?;
            *plays.get_mut(video as usize).context("a daily row names a video the catalogue lacks")? = p;
            rows += 1;
        }
        let mut stmt = self
            .reader
            .prepare_cached("SELECT rendition, seconds FROM daily_renditions WHERE region = ?1 AND day = ?2")?;
        for row in stmt.query_map(params![region, day], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))? {
            let (rendition, s) = row?;
            *seconds.get_mut(rendition as usize).context("a daily rendition the catalogue lacks")? = s;
            rows += 1;
        }
        self.predictor.observe_plays(
            catalog,
            region,
            day,
            weekday.rem_euclid(7) as usize,
            end_s as f64,
            &plays,
            &seconds,
        );
        self.days_read[region] += 1;
        Ok((true, rows))
    }

    /// The region's predicted plays per video for its day in progress: the videos released by the end of the
    /// next day included, as the twin's own predictions do (a plan is filled today and serves until tomorrow's
    /// fill is done).
    fn predict(&mut self, due: PredictionDue) -> Vec<f64> {
        let catalog = &self.model.catalog;
        let start_s = due.start_s as f64;
        let horizon = start_s + 2.0 * SECONDS_PER_DAY as f64;
        self.predictor.predict(catalog, due.region, due.day, due.weekday, start_s, |v| {
            (catalog.videos[v].release_s as f64) < horizon
        })
    }
}
