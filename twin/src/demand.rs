//! Demand: how many plays each metro starts each minute, and what they play.
//!
//! Arrivals follow members × a daily curve in local time × a weekday/weekend factor. A play picks a video from
//! its region's popularity of the hour: title appeal (Zipf rank) × the video's share of it × regional taste ×
//! a new-release boost decaying over days × a launch spike decaying over hours, nothing before release (titles
//! go live at their release instant); movies lean to weekends, shows to weekdays. The device picks the codec
//! family (the first it decodes) and caps the rung.

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Catalog, TitleId, TitleKind};
use crate::region::REGIONS;
use crate::rng::{AliasTable, LogNormalTable};
use crate::scenario::Scenario;
use crate::time::{LocalClock, MINUTES_PER_DAY, SECONDS_PER_DAY};

/// Watched share of a video's duration: completed plays watch 90–100%, the others 5–85%.
pub const COMPLETED_WATCH: [f64; 2] = [0.9, 1.0];
pub const PARTIAL_WATCH: [f64; 2] = [0.05, 0.85];
const SECONDS_PER_HOUR: i64 = 3600;

/// A device class, with its codec family resolved against the catalogue.
#[derive(Clone, Debug)]
pub struct Device {
    pub name: String,
    pub share: f64,
    pub max_kbps: u32,
    /// Index into `Catalog::codecs`.
    pub codec: usize,
    pub median_kbps: f64,
    pub sigma: f64,
    /// Its access throughput's distribution, as drawn on the play path.
    pub access_kbps: LogNormalTable,
    pub access_rtt_ms: f64,
}

#[derive(Clone, Debug)]
pub struct Demand {
    /// Relative arrival rate at each local minute of the day, mean 1.
    pub curve: Vec<f64>,
    pub weekday_factor: f64,
    pub weekend_factor: f64,
    /// Plays per member per day, calibrated so members watch `viewing_hours_per_member_day`.
    pub plays_per_member_day: f64,
    pub devices: Vec<Device>,
    pub device_table: AliasTable,
    pub movie_play_share_weekday: f64,
    pub movie_play_share_weekend: f64,
    new_release_boost: f64,
    new_release_decay_days: f64,
    launch_spike: f64,
    launch_spike_hours: f64,
    /// The share of episode plays that complete (binge watching goes on from those).
    episode_completion: f64,
    /// Every video's release instant, sorted: to know when an hour's popularity must be drawn afresh.
    releases_s: Vec<i64>,
}

/// An alias table whose draws are (video, its duration in seconds).
pub type VideoTable = AliasTable<(u32, u32)>;

/// A title trending in one region: its appeal there times `factor`. Members choose among titles, so a surge
/// takes plays from the others rather than adding viewing (assumed: a trending title is watched instead of
/// something else, within the region's daily viewing hours).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Surge {
    pub title: TitleId,
    /// Index into `region::REGIONS`.
    pub region: usize,
    pub factor: f64,
}

/// Most a surge may multiply a title's appeal by.
pub const MAX_SURGE: f64 = 1000.0;

/// Binge watching (assumed; Netflix's 2013 survey with Harris Interactive found 61% of members binge
/// regularly, two to six episodes at a sitting): a member who completes an episode goes on to the next with
/// probability `BINGE_CONTINUE`. Of those who go on, `AUTOPLAY_SHARE` let the post-play countdown start it
/// 5–20 s after the end; the others come back after a break of 2 minutes to 3 hours (log-uniform; a series
/// taken up again another day is not modelled). Demand stays as calibrated: the next episode's fresh plays are
/// its plays less those the episode before sends it; the metro's fresh arrivals are its arrivals less the
/// continuations starting, and are movies as often as makes the minute's plays, continuations included, movies
/// at the calibrated share.
pub const BINGE_CONTINUE: f64 = 0.6;
pub const AUTOPLAY_SHARE: f64 = 0.7;
pub const AUTOPLAY_GAP_S: [f64; 2] = [5.0, 20.0];
pub const BREAK_GAP_S: [f64; 2] = [120.0, 3.0 * 3600.0];

/// One region's tables for an hour.
#[derive(Clone, Debug, Default)]
pub struct RegionTables {
    /// Fresh plays' draws over movies and over episodes, each yielding (video, its duration in seconds); the
    /// episodes' weights are their plays less what binge watching brings them.
    pub movies: VideoTable,
    pub episodes: VideoTable,
}

/// The video tables for one hour, per region.
#[derive(Clone, Debug, Default)]
pub struct HourPopularity {
    /// Hours since the start.
    pub hour: i64,
    pub regions: Vec<RegionTables>,
    /// Per video, a bit: whether a play that completes it may go on to the next episode (out by the hour's
    /// middle, of the same series). A bit a video, so the question asked of every play stays in cache.
    pub leads_on: Vec<u64>,
}

impl HourPopularity {
    #[inline]
    pub fn leads_on(&self, video: u32) -> bool {
        self.leads_on.get(video as usize / 64).is_some_and(|w| w >> (video % 64) & 1 == 1)
    }
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

        let devices: Vec<Device> = d
            .devices
            .iter()
            .map(|x| Device {
                name: x.name.clone(),
                share: x.share,
                max_kbps: x.max_kbps,
                // Validation guarantees one of its codecs is in the catalogue.
                codec: x.codecs.iter().find_map(|n| catalog.codecs.iter().position(|c| c == n)).unwrap_or(0),
                median_kbps: x.median_mbps * 1000.0,
                sigma: x.sigma,
                access_kbps: LogNormalTable::new(x.median_mbps * 1000.0, x.sigma),
                access_rtt_ms: x.access_rtt_ms,
            })
            .collect();
        let mut releases_s: Vec<i64> =
            catalog.videos.iter().map(|v| v.release_s).filter(|&r| r != catalog::UNRELEASED).collect();
        releases_s.sort_unstable();
        releases_s.dedup();
        // A week averages 1: five weekdays at w, two weekend days at w × factor.
        let weekday_factor = 7.0 / (5.0 + 2.0 * d.weekend_factor);
        let mut demand = Demand {
            curve,
            weekday_factor,
            weekend_factor: weekday_factor * d.weekend_factor,
            plays_per_member_day: 0.0,
            device_table: AliasTable::new(&devices.iter().map(|x| x.share).collect::<Vec<_>>()),
            devices,
            movie_play_share_weekday: d.movie_play_share_weekday,
            movie_play_share_weekend: d.movie_play_share_weekend,
            new_release_boost: d.new_release_boost,
            new_release_decay_days: d.new_release_decay_days,
            launch_spike: d.launch_spike,
            launch_spike_hours: d.launch_spike_hours,
            episode_completion: s.playback.episode_completion,
            releases_s,
        };
        let hours_per_play = demand.mean_watch_hours(s, catalog);
        demand.plays_per_member_day = d.viewing_hours_per_member_day / hours_per_play;
        demand
    }

    /// Appeal of a video in a region at `t_s` seconds from the start (0 before release).
    pub fn video_weight(&self, catalog: &Catalog, video: usize, region: usize, t_s: f64) -> f64 {
        let v = &catalog.videos[video];
        let age_s = t_s - v.release_s as f64;
        if age_s < 0.0 {
            return 0.0;
        }
        let t = &catalog.titles[v.title.0 as usize];
        let days = age_s / SECONDS_PER_DAY as f64;
        let hours = age_s / SECONDS_PER_HOUR as f64;
        let boost = 1.0
            + self.new_release_boost * (-days / self.new_release_decay_days).exp()
            + self.launch_spike * (-hours / self.launch_spike_hours).exp();
        t.appeal * v.appeal * t.regional_taste[region] as f64 * boost
    }

    /// A title joined the catalogue (`Catalog::join`) and goes live at `release_s`.
    pub fn add_release(&mut self, release_s: i64) {
        let at = self.releases_s.partition_point(|&r| r < release_s);
        if self.releases_s.get(at) != Some(&release_s) {
            self.releases_s.insert(at, release_s);
        }
    }

    /// Whether the tables of `hour` can differ from those of the hour before by more than the slow decay of
    /// the new-release boost: a video goes live in it, or is still in its launch spike.
    pub fn hour_changes(&self, hour: i64) -> bool {
        let end = (hour + 1) * SECONDS_PER_HOUR;
        let spike_s = (3.0 * self.launch_spike_hours * SECONDS_PER_HOUR as f64) as i64;
        let first = self.releases_s.partition_point(|&r| r < end - SECONDS_PER_HOUR - spike_s);
        self.releases_s.get(first).is_some_and(|&r| r < end)
    }

    /// Video tables for `hour` (hours since the start), measured at the hour's middle, with each surge's title
    /// `factor` times as appealing in its region.
    pub fn hour_popularity(&self, catalog: &Catalog, hour: i64, surges: &[Surge]) -> HourPopularity {
        let mut movies = Vec::new();
        let mut episodes = Vec::new();
        // Places no title has joined yet are left out (they weigh nothing, and leave the tables as without them).
        for (i, v) in catalog.videos.iter().enumerate().filter(|(_, v)| v.release_s != catalog::UNRELEASED) {
            match catalog.titles[v.title.0 as usize].kind {
                TitleKind::Movie => movies.push((i as u32, v.duration_s)),
                TitleKind::Series { .. } => episodes.push((i as u32, v.duration_s)),
            }
        }
        let mid = (hour * SECONDS_PER_HOUR) as f64 + SECONDS_PER_HOUR as f64 / 2.0;
        let mut leads_on = vec![0u64; catalog.videos.len().div_ceil(64)];
        for (v, pair) in catalog.videos.windows(2).enumerate() {
            if pair[0].title == pair[1].title && (pair[1].release_s as f64) <= mid {
                leads_on[v / 64] |= 1 << (v % 64);
            }
        }
        let regions = (0..REGIONS.len())
            .map(|r| {
                let surge = |v: u32| {
                    let title = catalog.videos[v as usize].title;
                    surges.iter().filter(|s| s.region == r && s.title == title).map(|s| s.factor).product::<f64>()
                };
                let weights = |ids: &[(u32, u32)]| -> Vec<f64> {
                    ids.iter().map(|&(v, _)| self.video_weight(catalog, v as usize, r, mid) * surge(v)).collect()
                };
                let fresh = self.fresh_plays(&episodes, &weights(&episodes), |v| leads_on[v / 64] >> (v % 64) & 1 == 1);
                RegionTables {
                    movies: AliasTable::with_payloads(&weights(&movies), &movies),
                    episodes: AliasTable::with_payloads(&fresh, &episodes),
                }
            })
            .collect();
        HourPopularity { hour, regions, leads_on }
    }

    /// The fresh plays of a region's episodes (`episodes`, in catalogue order, with their expected `plays`):
    /// each one's plays less those its episode before sends it, if that one `leads_on`. (The catalogue's episode
    /// shares keep that positive: an episode draws 92% of the one before, or more for a newer season's first,
    /// against the at most 60% binge watching sends it.)
    fn fresh_plays(&self, episodes: &[(u32, u32)], plays: &[f64], leads_on: impl Fn(usize) -> bool) -> Vec<f64> {
        let sent = BINGE_CONTINUE * self.episode_completion;
        let mut fresh = plays.to_vec();
        for i in 1..episodes.len() {
            let before = episodes[i - 1].0 as usize;
            if before + 1 == episodes[i].0 as usize && leads_on(before) {
                fresh[i] = (fresh[i] - sent * plays[i - 1]).max(0.0);
            }
        }
        fresh
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

    /// Mean hours watched per play at the start, popularity-weighted over all regions and both kinds.
    fn mean_watch_hours(&self, s: &Scenario, catalog: &Catalog) -> f64 {
        let p = &s.playback;
        let watched = |completion: f64| {
            completion * (COMPLETED_WATCH[0] + COMPLETED_WATCH[1]) / 2.0
                + (1.0 - completion) * (PARTIAL_WATCH[0] + PARTIAL_WATCH[1]) / 2.0
        };
        let (mut movie, mut episode) = ((0.0, 0.0), (0.0, 0.0));
        for (i, v) in catalog.videos.iter().enumerate() {
            let w: f64 = (0..REGIONS.len()).map(|r| self.video_weight(catalog, i, r, 0.0)).sum();
            let acc = if catalog.titles[v.title.0 as usize].is_movie() { &mut movie } else { &mut episode };
            acc.0 += w * v.duration_s as f64;
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

    /// Expected share of plays at each rendition, from the device mix and throughput spread (ABR picks the
    /// highest rung of the device's codec at or below `abr_safety` × throughput, capped by the device), on an
    /// unloaded network. What an operator knows of the rung mix before a launch.
    pub fn rendition_shares(&self, s: &Scenario, catalog: &Catalog) -> Vec<f64> {
        let total_share: f64 = self.devices.iter().map(|d| d.share).sum();
        let mut shares = vec![0.0; catalog.renditions.len()];
        for d in &self.devices {
            let range = &catalog.codec_renditions[d.codec];
            let ladder = &catalog.renditions[range.start as usize..range.end as usize];
            let top = ladder.iter().rposition(|r| r.kbps <= d.max_kbps).unwrap_or(0);
            // P(safety × T ≥ kbps) with T log-normal(median, sigma).
            let at_least = |kbps: f64| {
                let z = (kbps / (s.playback.abr_safety * d.median_kbps)).ln() / d.sigma.max(1e-9);
                1.0 - normal_cdf(z)
            };
            for r in 0..=top {
                let p_hi = if r == top { 0.0 } else { at_least(ladder[r + 1].kbps as f64) };
                let p_lo = if r == 0 { 1.0 } else { at_least(ladder[r].kbps as f64) };
                shares[range.start as usize + r] += d.share / total_share * (p_lo - p_hi).max(0.0);
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
        let shares = d.rendition_shares(&s, &c);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{shares:?}");
    }

    #[test]
    fn binge_watching_moves_plays_between_episodes_without_changing_any_videos_plays() {
        let s = small_scenario();
        let c = Catalog::build(&s);
        let d = Demand::build(&s, &c);
        let hour = 24;
        let tables = d.hour_popularity(&c, hour, &[]);
        let mid = hour as f64 * 3600.0 + 1800.0;
        let mut leading = 0;
        for (v, video) in c.videos.iter().enumerate() {
            let next = c.videos.get(v + 1).filter(|n| n.title == video.title && n.release_s as f64 <= mid);
            assert_eq!(tables.leads_on(v as u32), next.is_some(), "video {v}");
            leading += next.is_some() as usize;
        }
        assert!(leading > c.videos.len() / 2, "{leading} of {} videos lead on to a next episode", c.videos.len());
        // Fresh plays and those binge watching sends make each episode's plays, and no episode's fresh plays
        // go below nothing (so no clamp bends it).
        let ids: Vec<(u32, u32)> = (0..c.videos.len() as u32)
            .filter(|&v| !c.titles[c.videos[v as usize].title.0 as usize].is_movie())
            .map(|v| (v, c.videos[v as usize].duration_s))
            .collect();
        let sent = BINGE_CONTINUE * s.playback.episode_completion;
        for r in 0..REGIONS.len() {
            let plays: Vec<f64> = ids.iter().map(|&(v, _)| d.video_weight(&c, v as usize, r, mid)).collect();
            let fresh = d.fresh_plays(&ids, &plays, |v| tables.leads_on(v as u32));
            for i in 1..ids.len() {
                let before = ids[i - 1].0;
                let inflow = if tables.leads_on(before) && before + 1 == ids[i].0 { sent * plays[i - 1] } else { 0.0 };
                assert!(plays[i] - inflow >= 0.0, "episode {} draws less than the one before sends it", ids[i].0);
                assert!((fresh[i] + inflow - plays[i]).abs() <= 1e-9 * plays[i].max(1e-12), "episode {}", ids[i].0);
            }
        }
    }

    #[test]
    fn videos_go_live_at_their_release_instant_with_a_launch_spike() {
        let s = small_scenario();
        let c = Catalog::build(&s);
        let d = Demand::build(&s, &c);
        let v = 0;
        let r = c.videos[v].release_s as f64;
        assert_eq!(d.video_weight(&c, v, 0, r - 1.0), 0.0);
        let first_hour = d.video_weight(&c, v, 0, r + 1800.0);
        let next_day = d.video_weight(&c, v, 0, r + 86_400.0);
        let month = d.video_weight(&c, v, 0, r + 30.0 * 86_400.0);
        assert!(first_hour > next_day * 1.1 && next_day > month * 5.0, "{first_hour} {next_day} {month}");
        // Release hours are marked as changing; an hour long after every release is not.
        let hour = c.videos[v].release_s.div_euclid(3600);
        assert!(d.hour_changes(hour));
        let last = c.videos.iter().map(|x| x.release_s).filter(|&r| r != catalog::UNRELEASED).max().unwrap();
        let quiet = last.div_euclid(3600) + 24 * 30;
        assert!(!d.hour_changes(quiet));
        // A title that joins later marks its release hour (once, however often it is added).
        let mut d = d;
        d.add_release(quiet * 3600 + 60);
        d.add_release(quiet * 3600 + 60);
        assert!(d.hour_changes(quiet) && !d.hour_changes(quiet - 1));
        assert_eq!(d.releases_s.iter().filter(|&&r| r == quiet * 3600 + 60).count(), 1);
    }

    #[test]
    fn normal_cdf_is_accurate() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }
}
