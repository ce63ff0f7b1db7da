//! Popularity prediction, per region and file. Popularity is bytes streamed ÷ file size (Open Connect's
//! measure) over a day. Tomorrow's is predicted from smoothed history with weekly seasonality:
//!
//! - each region's daily total, per kind (movies lean to weekends, shows to weekdays), gives a weekday factor
//!   (smoothed ratio of that weekday's total to the smoothed level);
//! - each file's level is exponentially smoothed over de-seasonalised days;
//! - a title with no history yet (released since) gets a prior: the mean first-day popularity of earlier
//!   launches of its genre in the region at the same rung, or before any launch was seen, its genre's mean
//!   level × the catalogue's new-release boost (an ingest-time hint).
//!
//! Each observed day is scored against the prediction made for it: WAPE = Σ|predicted − actual| ÷ Σ actual.

use serde::Serialize;

use crate::catalog::{Catalog, FileId};
use crate::world::REGIONS;

const WEEK: usize = 7;

/// How good one day's prediction was.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DayError {
    pub day: i64,
    /// Weighted absolute percentage error over every (region, file): Σ|p − a| ÷ Σ a.
    pub wape: f64,
    /// The same over the files placement cares about most: the top 1,000 of each region by actual popularity.
    pub head_wape: f64,
}

#[derive(Clone, Debug)]
pub struct Predictor {
    files: usize,
    rungs: usize,
    weight: f64,
    /// De-seasonalised smoothed popularity, `[region × files + file]`.
    level: Vec<f64>,
    /// Whether a file has been observed at least once (its title was out).
    seen: Vec<bool>,
    /// Smoothed daily total per region and kind (movie = 1), and the weekday factors around it.
    kind_level: [[f64; 2]; REGIONS.len()],
    weekday: [[[f64; WEEK]; 2]; REGIONS.len()],
    weekday_seen: [bool; WEEK],
    /// First-day popularity of launches, per (region, genre, rung): sum and count.
    launch_sum: Vec<f64>,
    launch_count: Vec<u32>,
    new_release_factor: f64,
    /// The prediction made for a day, kept to score it once the day is over.
    pending: Option<(i64, Vec<f64>)>,
    pub errors: Vec<DayError>,
}

impl Predictor {
    /// A predictor warmed with `history`: per region, the popularity (any scale) a typical past day showed,
    /// and, if known, the weekly pattern (`weekdays[kind][weekday]`, kind 1 = movies, mean 1) earlier weeks
    /// showed. The first observed day sets the scale.
    pub fn new(
        catalog: &Catalog,
        weight: f64,
        new_release_boost: f64,
        history: &[Vec<f64>],
        weekdays: Option<[[f64; WEEK]; 2]>,
    ) -> Predictor {
        let files = catalog.file_count();
        let mut level = vec![0.0; REGIONS.len() * files];
        let mut seen = vec![false; REGIONS.len() * files];
        for (r, pop) in history.iter().enumerate() {
            for (f, &p) in pop.iter().enumerate() {
                level[r * files + f] = p;
                seen[r * files + f] = p > 0.0;
            }
        }
        Predictor {
            files,
            rungs: catalog.ladder.len(),
            weight,
            level,
            seen,
            kind_level: [[0.0; 2]; REGIONS.len()],
            weekday: [weekdays.unwrap_or([[1.0; WEEK]; 2]); REGIONS.len()],
            weekday_seen: [weekdays.is_some(); WEEK],
            launch_sum: vec![0.0; REGIONS.len() * catalog.genres.len() * catalog.ladder.len()],
            launch_count: vec![0; REGIONS.len() * catalog.genres.len() * catalog.ladder.len()],
            new_release_factor: 1.0 + new_release_boost,
            pending: None,
            errors: Vec::new(),
        }
    }

    fn launch_slot(&self, catalog: &Catalog, region: usize, f: usize) -> usize {
        let t = &catalog.titles[f / self.rungs];
        (region * catalog.genres.len() + t.genre as usize) * self.rungs + f % self.rungs
    }

    /// Takes in a finished day: `bytes[region × files + file]` streamed on `day` (weekday 0 = Monday).
    pub fn observe(&mut self, catalog: &Catalog, day: i64, weekday: usize, bytes: &[u64]) {
        let files = self.files;
        let actual: Vec<f64> = (0..REGIONS.len() * files)
            .map(|i| bytes[i] as f64 / catalog.file_size_bytes(FileId((i % files) as u32)).max(1) as f64)
            .collect();
        if let Some((d, predicted)) = self.pending.take()
            && d == day
        {
            self.errors.push(score(day, &predicted, &actual, files));
        }
        let first_day = self.kind_level.iter().all(|k| k[0] == 0.0 && k[1] == 0.0);
        for r in 0..REGIONS.len() {
            let row = r * files..(r + 1) * files;
            let mut totals = [0.0f64; 2];
            for (f, &a) in actual[row.clone()].iter().enumerate() {
                totals[catalog.titles[f / self.rungs].is_movie() as usize] += a;
            }
            if first_day {
                // The warm-start history is in relative units: bring it to this day's scale, per kind.
                let mut warm = [0.0f64; 2];
                for (f, &l) in self.level[row.clone()].iter().enumerate() {
                    warm[catalog.titles[f / self.rungs].is_movie() as usize] += l;
                }
                let level: [f64; 2] = std::array::from_fn(|k| totals[k] / self.weekday[r][k][weekday]);
                for (f, l) in self.level[row.clone()].iter_mut().enumerate() {
                    let k = catalog.titles[f / self.rungs].is_movie() as usize;
                    if warm[k] > 0.0 {
                        *l *= level[k] / warm[k];
                    }
                }
                self.kind_level[r] = level;
            }
            for (k, &total) in totals.iter().enumerate() {
                let w = self.weight;
                let base = self.kind_level[r][k];
                if base > 0.0 && total > 0.0 {
                    let season = &mut self.weekday[r][k][weekday];
                    let ratio = total / base;
                    *season = if self.weekday_seen[weekday] { w * ratio + (1.0 - w) * *season } else { ratio };
                }
                let season = self.weekday[r][k][weekday];
                self.kind_level[r][k] = w * total / season + (1.0 - w) * self.kind_level[r][k];
            }
            for f in 0..files {
                let i = r * files + f;
                let a = actual[i];
                let k = catalog.titles[f / self.rungs].is_movie() as usize;
                let season = self.weekday[r][k][weekday];
                if !self.seen[i] {
                    if a > 0.0 {
                        // A launch: its first day seeds the prior for later launches, and its level.
                        let slot = self.launch_slot(catalog, r, f);
                        self.launch_sum[slot] += a / season;
                        self.launch_count[slot] += 1;
                        self.level[i] = a / season;
                        self.seen[i] = true;
                    }
                } else {
                    self.level[i] = self.weight * a / season + (1.0 - self.weight) * self.level[i];
                }
            }
        }
        self.weekday_seen[weekday] = true;
    }

    /// Predicted popularity of every file in `region` on `day` (weekday 0 = Monday), for titles released by
    /// then (`released(title)`); remembered to score once the day is observed if `region` is the last asked.
    pub fn predict(
        &self,
        catalog: &Catalog,
        region: usize,
        weekday: usize,
        released: impl Fn(usize) -> bool,
    ) -> Vec<f64> {
        let files = self.files;
        let genres = catalog.genres.len();
        // Mean level per (genre, rung) among titles already seen: the prior's fallback.
        let mut genre_sum = vec![0.0f64; genres * self.rungs];
        let mut genre_n = vec![0u32; genres * self.rungs];
        for f in 0..files {
            if self.seen[region * files + f] {
                let g = catalog.titles[f / self.rungs].genre as usize * self.rungs + f % self.rungs;
                genre_sum[g] += self.level[region * files + f];
                genre_n[g] += 1;
            }
        }
        (0..files)
            .map(|f| {
                let t = f / self.rungs;
                if !released(t) {
                    return 0.0;
                }
                let i = region * files + f;
                let season = self.weekday[region][catalog.titles[t].is_movie() as usize][weekday];
                let level = if self.seen[i] {
                    self.level[i]
                } else {
                    let slot = self.launch_slot(catalog, region, f);
                    if self.launch_count[slot] > 0 {
                        self.launch_sum[slot] / self.launch_count[slot] as f64
                    } else {
                        let g = catalog.titles[t].genre as usize * self.rungs + f % self.rungs;
                        self.new_release_factor * genre_sum[g] / genre_n[g].max(1) as f64
                    }
                };
                level * season
            })
            .collect()
    }

    /// Remembers the prediction for `day` (all regions, `[region × files + file]`) to score it later.
    pub fn remember(&mut self, day: i64, predicted: Vec<f64>) {
        self.pending = Some((day, predicted));
    }
}

fn score(day: i64, predicted: &[f64], actual: &[f64], files: usize) -> DayError {
    let wape = |idx: &mut dyn Iterator<Item = usize>| {
        let (mut err, mut sum) = (0.0, 0.0);
        for i in idx {
            err += (predicted[i] - actual[i]).abs();
            sum += actual[i];
        }
        if sum > 0.0 { err / sum } else { 0.0 }
    };
    let mut head = Vec::new();
    for r in 0..REGIONS.len() {
        let mut idx: Vec<usize> = (r * files..(r + 1) * files).collect();
        idx.sort_by(|&a, &b| actual[b].total_cmp(&actual[a]));
        head.extend(idx.into_iter().take(1000));
    }
    DayError { day, wape: wape(&mut (0..actual.len())), head_wape: wape(&mut head.into_iter()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::small_scenario;

    #[test]
    fn learns_a_steady_world_and_a_weekly_cycle() {
        let catalog = Catalog::build(&small_scenario());
        let files = catalog.file_count();
        let truth: Vec<f64> = (0..files).map(|f| 1000.0 / (1 + f % 97) as f64).collect();
        // Weekends double movies.
        let bytes_for = |weekday: usize| -> Vec<u64> {
            (0..REGIONS.len() * files)
                .map(|i| {
                    let f = i % files;
                    let movie = catalog.titles[f / catalog.ladder.len()].is_movie();
                    let factor = if movie && weekday >= 5 { 2.0 } else { 1.0 };
                    (truth[f] * factor * catalog.file_size_bytes(FileId(f as u32)) as f64) as u64
                })
                .collect()
        };
        let warm = vec![vec![1.0; files]; REGIONS.len()];
        let mut p = Predictor::new(&catalog, 0.5, 2.0, &warm, None);
        // Day 0's prediction is in the warm start's relative units: not scored.
        for day in 0..21i64 {
            let weekday = day as usize % 7;
            if day > 0 {
                let pred = (0..REGIONS.len()).flat_map(|r| p.predict(&catalog, r, weekday, |_| true)).collect();
                p.remember(day, pred);
            }
            p.observe(&catalog, day, weekday, &bytes_for(weekday));
        }
        let wape = |day: i64| p.errors.iter().find(|e| e.day == day).unwrap().wape;
        assert!(wape(5) > 0.1, "the first Saturday's movie surge is not yet known: {}", wape(5));
        for day in 14..21 {
            assert!(wape(day) < 0.05, "day {day}: {}", wape(day));
        }
    }
}
