//! Demand: how many plays each metro starts each minute, and what they play.
//!
//! Arrivals follow members × a daily curve in local time × a weekday/weekend factor. A play picks a title from
//! a per-region popularity (Zipf appeal × regional taste × a decaying new-release boost; movies lean to
//! weekends, shows to weekdays) and a device, which caps the rung.

use crate::catalog::{Catalog, TitleKind};
use crate::rng::AliasTable;
use crate::scenario::{DeviceSpec, Scenario};
use crate::time::{LocalClock, MINUTES_PER_DAY};
use crate::world::REGIONS;

/// Watched share of a title's duration: completed plays watch 90–100%, the others 5–85%.
pub const COMPLETED_WATCH: [f64; 2] = [0.9, 1.0];
pub const PARTIAL_WATCH: [f64; 2] = [0.05, 0.85];

#[derive(Clone, Debug)]
pub struct Demand {
    /// Relative arrival rate at each local minute of the day, mean 1.
    pub curve: Vec<f64>,
    pub weekday_factor: f64,
    pub weekend_factor: f64,
    /// Plays per member per day, calibrated so members watch `viewing_hours_per_member_day`.
    pub plays_per_member_day: f64,
    pub devices: Vec<DeviceSpec>,
    pub device_table: AliasTable,
    pub movie_play_share_weekday: f64,
    pub movie_play_share_weekend: f64,
    new_release_boost: f64,
    new_release_decay_days: f64,
}

/// The title tables for one day: per region, alias tables over movies and over episodes.
#[derive(Clone, Debug, Default)]
pub struct DayPopularity {
    pub day: i64,
    pub movies: Vec<u32>,
    pub episodes: Vec<u32>,
    pub regions: Vec<(AliasTable, AliasTable)>,
}

impl Demand {
    pub fn build(s: &Scenario, catalog: &Catalog) -> Demand {
        let d = &s.demand;
        // Hourly weights → per-minute, linearly interpolated between hour midpoints, normalised to mean 1.
        let hourly = &d.daily_curve;
        let mut curve: Vec<f64> = (0..MINUTES_PER_DAY as usize)
            .map(|m| {
                let h = m as f64 / 60.0 - 0.5;
                let lo = h.floor().rem_euclid(24.0) as usize;
                let frac = h - h.floor();
                hourly[lo] * (1.0 - frac) + hourly[(lo + 1) % 24] * frac
            })
            .collect();
        let mean = curve.iter().sum::<f64>() / curve.len() as f64;
        curve.iter_mut().for_each(|v| *v /= mean);

        // A week averages 1: five weekdays at w, two weekend days at w × factor.
        let weekday_factor = 7.0 / (5.0 + 2.0 * d.weekend_factor);
        let mut demand = Demand {
            curve,
            weekday_factor,
            weekend_factor: weekday_factor * d.weekend_factor,
            plays_per_member_day: 0.0,
            devices: d.devices.clone(),
            device_table: AliasTable::new(&d.devices.iter().map(|x| x.share).collect::<Vec<_>>()),
            movie_play_share_weekday: d.movie_play_share_weekday,
            movie_play_share_weekend: d.movie_play_share_weekend,
            new_release_boost: d.new_release_boost,
            new_release_decay_days: d.new_release_decay_days,
        };
        let hours_per_play = demand.mean_watch_hours(s, catalog);
        demand.plays_per_member_day = d.viewing_hours_per_member_day / hours_per_play;
        demand
    }

    /// Appeal of a title in a region on a day (0 before release).
    pub fn title_weight(&self, catalog: &Catalog, title: usize, region: usize, day: f64) -> f64 {
        let t = &catalog.titles[title];
        let age = day - t.release_day;
        if age < 0.0 {
            return 0.0;
        }
        let boost = 1.0 + self.new_release_boost * (-age / self.new_release_decay_days).exp();
        t.appeal * t.regional_taste[region] as f64 * boost
    }

    /// Title tables for day `day` (measured at the day's middle).
    pub fn day_popularity(&self, catalog: &Catalog, day: i64) -> DayPopularity {
        let mut movies = Vec::new();
        let mut episodes = Vec::new();
        for (i, t) in catalog.titles.iter().enumerate() {
            match t.kind {
                TitleKind::Movie => movies.push(i as u32),
                TitleKind::Episode { .. } => episodes.push(i as u32),
            }
        }
        let mid = day as f64 + 0.5;
        let regions = (0..REGIONS.len())
            .map(|r| {
                let table = |ids: &[u32]| {
                    AliasTable::new(
                        &ids.iter().map(|&t| self.title_weight(catalog, t as usize, r, mid)).collect::<Vec<_>>(),
                    )
                };
                (table(&movies), table(&episodes))
            })
            .collect();
        DayPopularity { day, movies, episodes, regions }
    }

    /// Expected plays per minute from `members` at a local clock reading, before any demand scaling.
    #[inline]
    pub fn plays_per_minute(&self, members: f64, local: LocalClock) -> f64 {
        let week = if local.weekend { self.weekend_factor } else { self.weekday_factor };
        members * self.plays_per_member_day / MINUTES_PER_DAY as f64 * self.curve[local.minute_of_day as usize] * week
    }

    pub fn movie_play_share(&self, weekend: bool) -> f64 {
        if weekend { self.movie_play_share_weekend } else { self.movie_play_share_weekday }
    }

    /// Mean hours watched per play on day 0, popularity-weighted over all regions and both title kinds.
    fn mean_watch_hours(&self, s: &Scenario, catalog: &Catalog) -> f64 {
        let p = &s.playback;
        let watched = |completion: f64| {
            completion * (COMPLETED_WATCH[0] + COMPLETED_WATCH[1]) / 2.0
                + (1.0 - completion) * (PARTIAL_WATCH[0] + PARTIAL_WATCH[1]) / 2.0
        };
        let (mut movie, mut episode) = ((0.0, 0.0), (0.0, 0.0));
        for (i, t) in catalog.titles.iter().enumerate() {
            let w: f64 = (0..REGIONS.len()).map(|r| self.title_weight(catalog, i, r, 0.5)).sum();
            let acc = if t.kind == TitleKind::Movie { &mut movie } else { &mut episode };
            acc.0 += w * t.duration_s as f64;
            acc.1 += w;
        }
        let mean_s = |acc: (f64, f64)| if acc.1 > 0.0 { acc.0 / acc.1 } else { 0.0 };
        let movie_share = (5.0 * self.movie_play_share_weekday + 2.0 * self.movie_play_share_weekend) / 7.0;
        let (movie_share, episode_share) = match (movie.1 > 0.0, episode.1 > 0.0) {
            (true, true) => (movie_share, 1.0 - movie_share),
            (true, false) => (1.0, 0.0),
            _ => (0.0, 1.0),
        };
        let hours = (movie_share * mean_s(movie) * watched(p.movie_completion)
            + episode_share * mean_s(episode) * watched(p.episode_completion))
            / 3600.0;
        hours.max(1.0 / 60.0)
    }

    /// Expected share of plays at each rung, from the device mix and throughput spread (ABR picks the highest
    /// rung at or below `abr_safety` × throughput, capped by the device). Placement weighs files by it.
    pub fn rung_shares(&self, s: &Scenario, catalog: &Catalog) -> Vec<f64> {
        let ladder = &catalog.ladder;
        let total_share: f64 = self.devices.iter().map(|d| d.share).sum();
        let mut shares = vec![0.0; ladder.len()];
        for d in &self.devices {
            let top = ladder.iter().rposition(|r| r.kbps <= d.max_kbps).unwrap_or(0);
            // P(safety × T ≥ kbps) with T log-normal(median, sigma).
            let at_least = |kbps: f64| {
                let z = ((kbps / (s.playback.abr_safety * d.median_mbps * 1000.0)).ln()) / d.sigma.max(1e-9);
                1.0 - normal_cdf(z)
            };
            for r in 0..=top {
                let p_hi = if r == top { 0.0 } else { at_least(ladder[r + 1].kbps as f64) };
                let p_lo = if r == 0 { 1.0 } else { at_least(ladder[r].kbps as f64) };
                shares[r] += d.share / total_share * (p_lo - p_hi).max(0.0);
            }
        }
        shares
    }
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26; absolute error < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::small_scenario;

    #[test]
    fn curve_peaks_in_the_evening_and_troughs_early_morning() {
        let s = small_scenario();
        let c = Catalog::build(&s);
        let d = Demand::build(&s, &c);
        let peak = (0..1440).max_by(|&a, &b| d.curve[a].total_cmp(&d.curve[b])).unwrap();
        let trough = (0..1440).min_by(|&a, &b| d.curve[a].total_cmp(&d.curve[b])).unwrap();
        assert!((20 * 60..23 * 60).contains(&peak), "peak at minute {peak}");
        assert!((4 * 60..7 * 60).contains(&trough), "trough at minute {trough}");
        assert!(d.curve[peak] / d.curve[trough] >= 2.0);
        let mean: f64 = d.curve.iter().sum::<f64>() / 1440.0;
        assert!((mean - 1.0).abs() < 1e-9);
    }

    #[test]
    fn calibration_hits_viewing_hours() {
        let s = small_scenario();
        let c = Catalog::build(&s);
        let d = Demand::build(&s, &c);
        // 2.4 h a day at roughly an hour a play is a couple of plays a day.
        assert!((1.0..6.0).contains(&d.plays_per_member_day), "{}", d.plays_per_member_day);
        let shares = d.rung_shares(&s, &c);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{shares:?}");
    }

    #[test]
    fn unreleased_titles_have_no_appeal_and_new_ones_are_boosted() {
        let s = small_scenario();
        let c = Catalog::build(&s);
        let d = Demand::build(&s, &c);
        let t = 0;
        let r = c.titles[t].release_day;
        assert_eq!(d.title_weight(&c, t, 0, r - 0.1), 0.0);
        assert!(d.title_weight(&c, t, 0, r + 0.1) > d.title_weight(&c, t, 0, r + 30.0) * 5.0);
    }

    #[test]
    fn normal_cdf_is_accurate() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }
}
