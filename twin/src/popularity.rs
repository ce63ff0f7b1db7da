//! Popularity prediction, per region, from what the engine observed and nothing else. Popularity is bytes
//! streamed ÷ file size (Open Connect's measure) over a day. It is learned per video and per rendition and
//! combined per file: a file's popularity is its video's plays (in full-play equivalents) × the share of plays
//! at its rendition (its audio file: × the audio's bitrate over its stored size).
//!
//! - Each video's rate is a Gamma–Poisson estimate with forgetting: (α + S) / (α / prior + D), where S and D
//!   are the exponentially smoothed sums of its de-seasonalised daily plays and of its days out, and α
//!   (`prior_plays`) is how many plays the prior counts for. A video seen rarely leans on its prior; one not
//!   seen for a while decays towards it, not to nothing.
//! - The prior uses only what an operator knows before a launch: genre and type (the mean rate of the region's
//!   videos of that genre and type, learned; uniform before anything is seen), the release date (a launch
//!   boost, learned from earlier launches' first days; assumed 4× decaying over a week before any), and the
//!   rung mix (renditions' expected shares from the device mix, until plays are seen).
//! - Each region's daily total per kind (movies lean to weekends, shows to weekdays) gives weekday factors.
//!
//! Days are each region's own (`content` says when they end); each observed day is scored against the
//! prediction made for it, per region and video: WAPE = Σ|predicted − actual| ÷ Σ actual.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::region::REGIONS;
use crate::time::SECONDS_PER_DAY;

const WEEK: usize = 7;
/// Assumed before any launch is seen: a launch draws 4× its genre's rate, the boost fading over a week.
const LAUNCH_RATIO_PRIOR: f64 = 4.0;
const LAUNCH_DECAY_DAYS: f64 = 7.0;

/// How good one day's prediction was, over every region scored that day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DayError {
    pub day: i64,
    /// Weighted absolute percentage error over every (region, video): Σ|p − a| ÷ Σ a.
    pub wape: f64,
    /// The same over the videos placement cares about most: the top tenth of each region's videos by actual
    /// plays (about what its sites' disks hold; a share, not a count, so it means the same at any scale).
    pub head_wape: f64,
}

/// A day's observations in one region: bytes streamed per video and per rendition.
pub struct DayBytes<'a> {
    pub videos: &'a [u64],
    pub renditions: &'a [u64],
}

#[derive(Clone, Debug)]
pub struct Predictor {
    videos: usize,
    weight: f64,
    prior_plays: f64,
    /// Smoothed de-seasonalised plays and days out, `[region × videos + video]`.
    plays: Vec<f64>,
    days: Vec<f64>,
    /// Smoothed daily total per region and kind (movie = 1), and the weekday factors around it.
    kind_level: [[f64; 2]; REGIONS.len()],
    weekday: [[[f64; WEEK]; 2]; REGIONS.len()],
    weekday_seen: [[bool; WEEK]; REGIONS.len()],
    /// Mean rate of a video per region, genre and kind, `[(region × genres + genre) × 2 + kind]`; 0 until the
    /// region's first day is observed. (A placeholder rate there made the first launches' ratio a raw play
    /// count, so launch priors grew with the square of the members.)
    genre_rate: Vec<f64>,
    /// First-day rate of launches over their genre's rate, per region.
    launch_ratio: [f64; REGIONS.len()],
    launches_seen: [u32; REGIONS.len()],
    /// Share of play-seconds at each rendition, `[region × renditions + rendition]`.
    rendition_share: Vec<f64>,
    /// Predictions waiting for their day, per region: (day, plays per video).
    pending: Vec<Option<(i64, Vec<f64>)>>,
    /// Per day: Σ|p − a|, Σ a, and the same over the head, summed over the regions scored.
    scores: Vec<(i64, [f64; 4], u8)>,
}

impl Predictor {
    /// A predictor that knows nothing but the catalogue and the expected rung mix.
    pub fn new(catalog: &Catalog, weight: f64, prior_plays: f64, rendition_shares: &[f64]) -> Predictor {
        let videos = catalog.videos.len();
        Predictor {
            videos,
            weight,
            prior_plays,
            plays: vec![0.0; REGIONS.len() * videos],
            days: vec![0.0; REGIONS.len() * videos],
            kind_level: [[0.0; 2]; REGIONS.len()],
            weekday: [[[1.0; WEEK]; 2]; REGIONS.len()],
            weekday_seen: [[false; WEEK]; REGIONS.len()],
            genre_rate: vec![0.0; REGIONS.len() * catalog.genres.len() * 2],
            launch_ratio: [LAUNCH_RATIO_PRIOR; REGIONS.len()],
            launches_seen: [0; REGIONS.len()],
            rendition_share: (0..REGIONS.len()).flat_map(|_| rendition_shares.iter().copied()).collect(),
            pending: vec![None; REGIONS.len()],
            scores: Vec::new(),
        }
    }

    fn genre_slot(&self, catalog: &Catalog, region: usize, video: usize) -> usize {
        let t = &catalog.titles[catalog.videos[video].title.0 as usize];
        (region * catalog.genres.len() + t.genre as usize) * 2 + t.is_movie() as usize
    }

    fn is_movie(catalog: &Catalog, video: usize) -> usize {
        catalog.titles[catalog.videos[video].title.0 as usize].is_movie() as usize
    }

    /// The prior rate of a video in a region at `t_s` (seconds from the start).
    fn prior(&self, catalog: &Catalog, region: usize, video: usize, t_s: f64) -> f64 {
        let age_days = (t_s - catalog.videos[video].release_s as f64) / SECONDS_PER_DAY as f64;
        let launch = 1.0 + (self.launch_ratio[region] - 1.0).max(0.0) * (-age_days.max(0.0) / LAUNCH_DECAY_DAYS).exp();
        self.genre_rate[self.genre_slot(catalog, region, video)] * launch
    }

    /// Takes in a finished day of `region`: `day` (weekday 0 = Monday) ended at `end_s` (seconds from the
    /// start). `stream_kbps[r]`: what a play at rendition r streams (video and audio).
    #[allow(clippy::too_many_arguments)] // a day's identity (region, day, weekday, end) and what it saw
    pub fn observe(
        &mut self,
        catalog: &Catalog,
        stream_kbps: &[f64],
        region: usize,
        day: i64,
        weekday: usize,
        end_s: f64,
        bytes: &DayBytes,
    ) {
        let plays = plays_of(catalog, stream_kbps, bytes);
        let seconds = rendition_seconds(stream_kbps, bytes.renditions);
        self.observe_plays(catalog, region, day, weekday, end_s, &plays, &seconds);
    }

    /// `observe`, from a day's plays per video (full-play equivalents, as `plays_of` counts them) and its
    /// play-seconds per rendition: what a store of observed days keeps.
    #[allow(clippy::too_many_arguments)] // a day's identity (region, day, weekday, end) and what it saw
    pub fn observe_plays(
        &mut self,
        catalog: &Catalog,
        region: usize,
        day: i64,
        weekday: usize,
        end_s: f64,
        actual: &[f64],
        seconds: &[f64],
    ) {
        let videos = self.videos;
        if let Some((d, predicted)) = self.pending[region].take()
            && d == day
        {
            self.score(day, &predicted, actual);
        }

        // Rendition mix: the day's share of play-seconds at each rendition.
        let all: f64 = seconds.iter().sum();
        if all > 0.0 {
            let n = seconds.len();
            for (s, &x) in self.rendition_share[region * n..(region + 1) * n].iter_mut().zip(seconds) {
                *s = self.weight * x / all + (1.0 - self.weight) * *s;
            }
        }

        // Weekday factors per kind, around each kind's smoothed daily total.
        let mut totals = [0.0f64; 2];
        for (v, &a) in actual.iter().enumerate() {
            totals[Predictor::is_movie(catalog, v)] += a;
        }
        let w = self.weight;
        for (k, &total) in totals.iter().enumerate() {
            let base = self.kind_level[region][k];
            if base > 0.0 && total > 0.0 {
                let season = &mut self.weekday[region][k][weekday];
                let ratio = total / base;
                *season = if self.weekday_seen[region][weekday] { w * ratio + (1.0 - w) * *season } else { ratio };
            }
            let season = self.weekday[region][k][weekday];
            self.kind_level[region][k] =
                if base > 0.0 { w * total / season + (1.0 - w) * base } else { total / season };
        }
        self.weekday_seen[region][weekday] = true;

        // Each video out by the day's end: its smoothed plays and days; launches teach the launch boost.
        let start_s = end_s - SECONDS_PER_DAY as f64;
        for (v, &seen) in actual.iter().enumerate().take(videos) {
            let release = catalog.videos[v].release_s as f64;
            if release >= end_s {
                continue;
            }
            let i = region * videos + v;
            let season = self.weekday[region][Predictor::is_movie(catalog, v)][weekday];
            let plays = seen / season;
            if release >= start_s && seen > 0.0 {
                let genre = self.genre_rate[self.genre_slot(catalog, region, v)];
                if genre > 0.0 {
                    let ratio = plays / genre;
                    let n = self.launches_seen[region] as f64;
                    self.launch_ratio[region] =
                        if n == 0.0 { ratio } else { (n * self.launch_ratio[region] + ratio) / (n + 1.0) };
                    self.launches_seen[region] = (self.launches_seen[region] + 1).min(1000);
                }
            }
            // Part of a first day counts for the part the video was out.
            let exposure = ((end_s - release) / SECONDS_PER_DAY as f64).min(1.0);
            self.plays[i] = (1.0 - w) * self.plays[i] + plays;
            self.days[i] = (1.0 - w) * self.days[i] + exposure;
        }

        // The genre rates the prior starts from: the mean estimated rate of the videos of each genre and kind.
        let genres = catalog.genres.len();
        let mut sum = vec![0.0f64; genres * 2];
        let mut n = vec![0u32; genres * 2];
        for v in 0..videos {
            let i = region * videos + v;
            if self.days[i] > 0.0 {
                let slot = self.genre_slot(catalog, region, v) - region * genres * 2;
                sum[slot] += self.plays[i] / self.days[i];
                n[slot] += 1;
            }
        }
        let overall = sum.iter().sum::<f64>() / n.iter().sum::<u32>().max(1) as f64;
        for slot in 0..genres * 2 {
            self.genre_rate[region * genres * 2 + slot] =
                if n[slot] > 0 { sum[slot] / n[slot] as f64 } else { overall };
        }
    }

    /// Predicted plays of every video in `region` on the day starting at `start_s` (weekday 0 = Monday), for
    /// the videos `released` by then; remembered to score when the day is observed.
    pub fn predict(
        &mut self,
        catalog: &Catalog,
        region: usize,
        day: i64,
        weekday: usize,
        start_s: f64,
        released: impl Fn(usize) -> bool,
    ) -> Vec<f64> {
        let videos = self.videos;
        let mid_s = start_s + SECONDS_PER_DAY as f64 / 2.0;
        let alpha = self.prior_plays;
        let predicted: Vec<f64> = (0..videos)
            .map(|v| {
                if !released(v) {
                    return 0.0;
                }
                let i = region * videos + v;
                let prior = self.prior(catalog, region, v, mid_s).max(1e-12);
                let rate = (alpha + self.plays[i]) / (alpha / prior + self.days[i]);
                rate * self.weekday[region][Predictor::is_movie(catalog, v)][weekday]
            })
            .collect();
        self.expect(region, day, predicted.clone());
        predicted
    }

    /// Remembers what was predicted for a region's day (here or outside), to score when the day is observed.
    pub fn expect(&mut self, region: usize, day: i64, plays: Vec<f64>) {
        self.pending[region] = Some((day, plays));
    }

    /// Share of plays at each rendition in a region.
    pub fn rendition_shares(&self, region: usize) -> &[f64] {
        let n = self.rendition_share.len() / REGIONS.len();
        &self.rendition_share[region * n..(region + 1) * n]
    }

    fn score(&mut self, day: i64, predicted: &[f64], actual: &[f64]) {
        let (mut err, mut sum) = (0.0, 0.0);
        for (p, a) in predicted.iter().zip(actual) {
            err += (p - a).abs();
            sum += a;
        }
        let mut idx: Vec<usize> = (0..actual.len()).collect();
        idx.sort_by(|&a, &b| actual[b].total_cmp(&actual[a]));
        let (mut head_err, mut head_sum) = (0.0, 0.0);
        for &i in idx.iter().take(actual.len().div_ceil(10)) {
            head_err += (predicted[i] - actual[i]).abs();
            head_sum += actual[i];
        }
        let add = [err, sum, head_err, head_sum];
        match self.scores.iter_mut().find(|s| s.0 == day) {
            Some(s) => {
                for (x, y) in s.1.iter_mut().zip(add) {
                    *x += y;
                }
                s.2 += 1;
            }
            None => self.scores.push((day, add, 1)),
        }
    }

    /// Each day's error, once every region has scored it.
    pub fn errors(&self) -> Vec<DayError> {
        let ratio = |e: f64, s: f64| if s > 0.0 { e / s } else { 0.0 };
        self.scores
            .iter()
            .filter(|s| s.2 as usize == REGIONS.len())
            .map(|(day, x, _)| DayError { day: *day, wape: ratio(x[0], x[1]), head_wape: ratio(x[2], x[3]) })
            .collect()
    }
}

/// Seconds played at each rendition, from the bytes streamed at it (`stream_kbps[r]`: what a play at rendition r
/// streams, video and audio).
pub fn rendition_seconds(stream_kbps: &[f64], rendition_bytes: &[u64]) -> Vec<f64> {
    rendition_bytes.iter().zip(stream_kbps).map(|(&b, &k)| b as f64 / (k * 125.0)).collect()
}

/// Plays (in full-play equivalents) of each video in a day's bytes: bytes ÷ (duration × the mean bitrate
/// of the day's plays in the region).
pub fn plays_of(catalog: &Catalog, stream_kbps: &[f64], bytes: &DayBytes) -> Vec<f64> {
    let (mut total, mut seconds) = (0.0, 0.0);
    for (r, &b) in bytes.renditions.iter().enumerate() {
        total += b as f64;
        seconds += b as f64 / (stream_kbps[r] * 125.0);
    }
    let mean_kbps = if seconds > 0.0 { total / seconds / 125.0 } else { 1.0 };
    bytes
        .videos
        .iter()
        .zip(&catalog.videos)
        .map(|(&b, v)| b as f64 / (v.duration_s.max(1) as f64 * 125.0 * mean_kbps))
        .collect()
}

/// Popularity of every file (bytes streamed ÷ file size per day) from its video's plays (full-play
/// equivalents) and the share of plays at each rendition: a video file's is its video's plays × its
/// rendition's share; the audio file's, its video's plays × the audio bitrate a play streams over the bytes the
/// audio file keeps per second.
pub fn file_popularity(catalog: &Catalog, video_plays: &[f64], rendition_shares: &[f64]) -> Vec<f64> {
    let audio = catalog.audio_stream_kbps as f64 * 125.0 / catalog.audio_bytes_per_s.max(1) as f64;
    let mut pop = Vec::with_capacity(catalog.file_count());
    for &p in video_plays {
        pop.extend(rendition_shares.iter().map(|&share| p * share));
        pop.push(p * audio);
    }
    pop
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::small_scenario;

    #[test]
    fn learns_observed_demand_and_a_weekly_cycle_from_a_naive_prior() {
        let catalog = Catalog::build(&small_scenario());
        let videos = catalog.videos.len();
        let renditions = catalog.renditions.len();
        let kbps: Vec<f64> = catalog.renditions.iter().map(|r| r.kbps as f64 + 256.0).collect();
        let shares = vec![1.0 / renditions as f64; renditions];
        // The truth is unlike anything the prior knows: a video's rank decides it. Two back-catalogue episodes of
        // one season stop being watched at day 10.
        let truth: Vec<f64> = (0..videos).map(|v| 500.0 / (1 + (v * 7919) % 211) as f64).collect();
        let old = |v: usize| catalog.videos[v].release_s < -30 * SECONDS_PER_DAY as i64;
        let p0 = Predictor::new(&catalog, 0.5, 0.5, &shares);
        let slot = |v: usize| p0.genre_slot(&catalog, 0, v);
        let same_season = |a: usize, b: usize| {
            let (x, y) = (&catalog.videos[a], &catalog.videos[b]);
            x.title == y.title && x.release_s == y.release_s
        };
        let (a, b) = (0..videos)
            .flat_map(|a| (a + 1..videos).map(move |b| (a, b)))
            .find(|&(a, b)| old(a) && same_season(a, b) && slot(a) == slot(b) && truth[a] != truth[b])
            .expect("two old episodes of one season");
        let bytes_for = |day: i64, weekday: usize| -> (Vec<u64>, Vec<u64>) {
            let video: Vec<u64> = (0..videos)
                .map(|v| {
                    let factor = if Predictor::is_movie(&catalog, v) == 1 && weekday >= 5 { 2.0 } else { 1.0 };
                    let gone = day >= 10 && (v == a || v == b);
                    if gone {
                        0
                    } else {
                        (truth[v] * factor * catalog.videos[v].duration_s as f64 * 125.0 * kbps[0]) as u64
                    }
                })
                .collect();
            let mut rend = vec![0u64; renditions];
            rend[0] = video.iter().sum();
            (video, rend)
        };
        let mut p = p0.clone();
        let day_s = SECONDS_PER_DAY as f64;
        let mut wape = Vec::new();
        let mut last = Vec::new();
        for day in 0..28i64 {
            let weekday = day as usize % 7;
            let start = day as f64 * day_s;
            let pred = p.predict(&catalog, 0, day, weekday, start, |v| catalog.videos[v].release_s < start as i64);
            let (v, r) = bytes_for(day, weekday);
            let actual = plays_of(&catalog, &kbps, &DayBytes { videos: &v, renditions: &r });
            let (e, s): (f64, f64) = pred
                .iter()
                .zip(&actual)
                .filter(|(_, a)| **a > 0.0)
                .fold((0.0, 0.0), |acc, (p, a)| (acc.0 + (p - a).abs(), acc.1 + a));
            wape.push(e / s);
            p.observe(&catalog, &kbps, 0, day, weekday, start + day_s, &DayBytes { videos: &v, renditions: &r });
            last = pred;
        }
        assert!(wape[0] > 0.5, "the naive prior knows nothing of this demand: {}", wape[0]);
        assert!(wape[5] > wape[4], "the first Saturday's movie surge is not yet known: {wape:?}");
        for (day, w) in wape.iter().enumerate().skip(14) {
            assert!(*w < 0.08, "day {day}: {w}");
        }
        // Videos no longer watched decay to what their prior says, whatever they drew before.
        assert!((last[a] - last[b]).abs() < 0.01 * last[a], "{} vs {}", last[a], last[b]);
        assert!(last[a] < 0.25 * truth[a].min(truth[b]), "{} against {} and {}", last[a], truth[a], truth[b]);
        // The rendition mix is learned too.
        assert!(p.rendition_shares(0)[0] > 0.99);
    }
}
