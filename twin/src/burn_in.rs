//! Burn-in: days of demand before the start, observed without delivery, so predictions start warm. For each
//! region and each whole local day before the start, the demand model draws how many plays each video got
//! (Poisson counts around its expected share of the region's plays that day), and the predictor sees only
//! those counts, as bytes at the expected rung mix: the noisy observations a running service would have
//! collected, not the demand model's expected values. A simulated day of the engine would add delivery
//! effects (bitrate on the path, abandonment) that the first live days then teach.

use crate::catalog::Catalog;
use crate::demand::{COMPLETED_WATCH, PARTIAL_WATCH};
use crate::model::Model;
use crate::popularity::{DayBytes, Predictor};
use crate::region::REGIONS;
use crate::rng::{Rng, Stream};
use crate::time::{RegionCalendar, SECONDS_PER_DAY};

/// Observes `days` whole days of each region before the start.
pub fn observe(model: &Model, calendars: &[RegionCalendar], predictor: &mut Predictor, days: u32) {
    let catalog = &model.catalog;
    let demand = &model.demand;
    let shares = demand.rendition_shares(&model.scenario, catalog);
    let mean_kbps: f64 = shares.iter().zip(&model.stream_kbps).map(|(s, k)| s * k).sum();
    let p = &model.scenario.playback;
    let watched = |completion: f64| {
        completion * (COMPLETED_WATCH[0] + COMPLETED_WATCH[1]) / 2.0
            + (1.0 - completion) * (PARTIAL_WATCH[0] + PARTIAL_WATCH[1]) / 2.0
    };
    let watched = [watched(p.episode_completion), watched(p.movie_completion)];
    for (r, cal) in calendars.iter().enumerate().take(REGIONS.len()) {
        let members: f64 = model.world.metros.iter().filter(|m| m.region.0 as usize == r).map(|m| m.members).sum();
        let last = cal.day_at(0) - 1;
        for day in last + 1 - days as i64..=last {
            let weekday = cal.weekday(day);
            let weekend = weekday >= 5;
            let week = if weekend { demand.weekend_factor } else { demand.weekday_factor };
            let plays = members * demand.plays_per_member_day * week;
            let movie_share = demand.movie_play_share(weekend);
            let start = cal.start_s(day) as f64;
            let mid = start + SECONDS_PER_DAY as f64 / 2.0;
            let weights: Vec<f64> =
                (0..catalog.videos.len()).map(|v| demand.video_weight(catalog, v, r, mid)).collect();
            let mut kind_total = [0.0f64; 2];
            for (v, w) in weights.iter().enumerate() {
                kind_total[is_movie(catalog, v)] += w;
            }
            let mut rng = Rng::new(model.scenario.seed, Stream::BurnIn, &[r as u64, day as u64]);
            let video_bytes: Vec<u64> = weights
                .iter()
                .enumerate()
                .map(|(v, &w)| {
                    let k = is_movie(catalog, v);
                    let share = if k == 1 { movie_share } else { 1.0 - movie_share };
                    let expected = if kind_total[k] > 0.0 { plays * share * w / kind_total[k] } else { 0.0 };
                    let n = rng.poisson(expected);
                    let seconds = n as f64 * watched[k] * catalog.videos[v].duration_s as f64;
                    (seconds * mean_kbps * 125.0) as u64
                })
                .collect();
            let total: f64 = video_bytes.iter().map(|&b| b as f64).sum();
            let rendition_bytes: Vec<u64> =
                shares.iter().zip(&model.stream_kbps).map(|(s, k)| (total * s * k / mean_kbps) as u64).collect();
            let end = start + SECONDS_PER_DAY as f64;
            let bytes = DayBytes { videos: &video_bytes, renditions: &rendition_bytes };
            predictor.observe(catalog, &model.stream_kbps, r, day, weekday, end, &bytes);
        }
    }
}

fn is_movie(catalog: &Catalog, video: usize) -> usize {
    catalog.titles[catalog.videos[video].title.0 as usize].is_movie() as usize
}
