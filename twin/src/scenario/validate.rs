//! Validation: every value a scenario gives must be finite, inside a stated range, and small enough that no
//! count or size the twin derives from it can overflow. An error points at the value in the document (or, for
//! a key left out, at the table it belongs in) and says what was expected.

use chrono::{DateTime, Utc};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::*;
use crate::error::InputError;
use crate::region::{ORIGIN_REGIONS, REGIONS, origin_location};

/// Most of any one count a scenario may ask for, so derived sizes stay far from overflow and memory bounds.
pub const MAX_SITES: usize = 100_000;
pub const MAX_METROS: usize = 20_000;
pub const MAX_TITLES: usize = 200_000;
pub const MAX_SEASONS: u32 = 40;
pub const MAX_EPISODES: u32 = 60;
/// Files the catalogue may hold in all (videos × (renditions + 1)).
pub const MAX_FILES: u64 = 20_000_000;
pub const MAX_APPLIANCES_PER_SITE: u32 = 64;
pub const MAX_ISPS_PER_COUNTRY: usize = 64;
pub const MAX_MEMBERS: u64 = 10_000_000_000;
pub const MAX_RUNGS: usize = 32;
pub const MAX_CODECS: usize = 8;
pub const MAX_DEVICES: usize = 64;
pub const MAX_GENRES: usize = 1000;
pub const MAX_KBPS: u32 = 1_000_000;
/// Most instances one Auto Scaling group may have, vCPUs an instance may have, its price, and the request
/// rate a target may hold per instance.
pub const MAX_INSTANCES: u32 = 100_000;
pub const MAX_VCPUS: u32 = 448;
pub const MAX_USD_PER_HOUR: f64 = 1000.0;
pub const MAX_TARGET_RPS: f64 = 1e6;

/// One step of a path into the TOML document.
#[derive(Clone, Debug)]
pub(super) enum PathStep {
    Key(&'static str),
    Index(usize),
}
use PathStep::{Index, Key};

/// A value that failed validation: where it lives, and what was expected.
pub(super) struct Invalid {
    path: Vec<PathStep>,
    expected: String,
}

impl Invalid {
    /// The error, located in `text` (the document the scenario came from).
    pub(super) fn locate(self, file: &str, text: &str) -> InputError {
        let offset = locate(text, &self.path);
        let key = self
            .path
            .iter()
            .map(|s| match s {
                Key(k) => format!(".{k}"),
                Index(i) => format!("[{i}]"),
            })
            .collect::<String>();
        InputError::at_offset(
            file,
            text,
            offset,
            format!("`{}`: expected {}", key.trim_start_matches('.'), self.expected),
        )
    }
}

type Checked = Result<(), Invalid>;

fn check(ok: bool, path: &[PathStep], expected: impl Into<String>) -> Checked {
    if ok { Ok(()) } else { Err(Invalid { path: path.to_vec(), expected: expected.into() }) }
}

/// A finite number in [lo, hi].
fn within(v: f64, lo: f64, hi: f64, path: &[PathStep]) -> Checked {
    check(v.is_finite() && v >= lo && v <= hi, path, format!("a number in [{lo}, {hi}], found {v}"))
}

/// A finite number in (0, hi].
fn positive(v: f64, hi: f64, path: &[PathStep]) -> Checked {
    check(v.is_finite() && v > 0.0 && v <= hi, path, format!("a number above 0 and at most {hi}, found {v}"))
}

fn fraction(v: f64, path: &[PathStep]) -> Checked {
    within(v, 0.0, 1.0, path)
}

fn count<T: PartialOrd + std::fmt::Display + Copy>(v: T, lo: T, hi: T, path: &[PathStep]) -> Checked {
    check(v >= lo && v <= hi, path, format!("a whole number from {lo} to {hi}, found {v}"))
}

/// [min, max] minutes with min ≥ 1 (nothing rounds to 0 s) and max ≤ 4 h.
fn minutes_range(v: [f64; 2], path: &[PathStep]) -> Checked {
    check(
        v[0].is_finite() && v[1].is_finite() && v[0] >= 1.0 && v[0] <= v[1] && v[1] <= 240.0,
        path,
        format!("[min, max] minutes with 1 ≤ min ≤ max ≤ 240, found {v:?}"),
    )
}

fn count_range(v: [u32; 2], hi: u32, path: &[PathStep]) -> Checked {
    check(v[0] >= 1 && v[0] <= v[1] && v[1] <= hi, path, format!("[min, max] with 1 ≤ min ≤ max ≤ {hi}, found {v:?}"))
}

pub(super) fn parse_start(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

impl Scenario {
    pub(super) fn validate(&self) -> Checked {
        check(
            parse_start(&self.start).is_some(),
            &[Key("start")],
            "an RFC 3339 instant such as \"2026-11-23T00:00:00Z\"",
        )?;
        positive(self.horizon_hours, 24.0 * 366.0 * 10.0, &[Key("horizon_hours")])?;
        self.validate_world()?;
        self.validate_catalog()?;
        self.validate_demand()?;
        self.validate_playback()?;
        self.validate_policy()?;
        self.validate_fill()?;
        self.validate_fleet()?;
        self.validate_ingest()
    }

    fn validate_world(&self) -> Checked {
        let w = &self.world;
        let at = |k| [Key("world"), Key(k)];
        count(w.metros, 1, MAX_METROS, &at("metros"))?;
        count(w.sites, 1, MAX_SITES, &at("sites"))?;
        fraction(w.ixp_share, &at("ixp_share"))?;
        count(w.isps_per_country, 1, MAX_ISPS_PER_COUNTRY, &at("isps_per_country"))?;
        positive(w.max_in_isp_km, 20_000.0, &at("max_in_isp_km"))?;
        within(w.ixp_reach_km, 0.0, 20_000.0, &at("ixp_reach_km"))?;
        for (key, mix) in [("embedded_mix", &w.embedded_mix), ("ixp_mix", &w.ixp_mix)] {
            check(!mix.is_empty() && mix.len() <= 64, &at(key), "1 to 64 site profiles")?;
            for (i, p) in mix.iter().enumerate() {
                let path = |k| [Key("world"), Key(key), Index(i), Key(k)];
                positive(p.weight, 1e6, &path("weight"))?;
                count(p.storage, 0, MAX_APPLIANCES_PER_SITE, &path("storage"))?;
                count(p.flash, 0, MAX_APPLIANCES_PER_SITE, &path("flash"))?;
                check(
                    (1..=MAX_APPLIANCES_PER_SITE).contains(&(p.storage + p.flash)),
                    &[Key("world"), Key(key), Index(i)],
                    format!("1 to {MAX_APPLIANCES_PER_SITE} appliances (storage + flash)"),
                )?;
            }
        }
        check(!w.origins.is_empty() && w.origins.len() <= ORIGIN_REGIONS.len(), &at("origins"), "1 to 8 origins")?;
        for (i, o) in w.origins.iter().enumerate() {
            check(
                origin_location(o).is_some() && !w.origins[..i].contains(o),
                &[Key("world"), Key("origins"), Index(i)],
                format!("a known AWS region, once ({}), found {o:?}", ORIGIN_REGIONS.map(|r| r.0).join(", ")),
            )?;
        }
        let ports = |k| [Key("world"), Key("ports"), Key(k)];
        within(w.ports.headroom_median, 0.1, 10.0, &ports("headroom_median"))?;
        within(w.ports.headroom_sigma, 0.0, 2.0, &ports("headroom_sigma"))?;
        within(w.ports.step_gbps, 0.1, 10_000.0, &ports("step_gbps"))?;
        positive(w.origin_egress_gbps, 1e7, &at("origin_egress_gbps"))?;
        positive(w.backbone_link_gbps, 1e7, &at("backbone_link_gbps"))?;
        for (key, a) in [("storage", &self.appliances.storage), ("flash", &self.appliances.flash)] {
            positive(a.disk_tb, 100_000.0, &[Key("appliances"), Key(key), Key("disk_tb")])?;
            positive(a.egress_gbps, 100_000.0, &[Key("appliances"), Key(key), Key("egress_gbps")])?;
        }
        Ok(())
    }

    fn validate_catalog(&self) -> Checked {
        let c = &self.catalog;
        let at = |k| [Key("catalog"), Key(k)];
        count(c.titles, 1, MAX_TITLES, &at("titles"))?;
        fraction(c.movie_share, &at("movie_share"))?;
        count_range(c.seasons_per_series, MAX_SEASONS, &at("seasons_per_series"))?;
        count_range(c.episodes_per_season, MAX_EPISODES, &at("episodes_per_season"))?;
        minutes_range(c.movie_minutes, &at("movie_minutes"))?;
        minutes_range(c.episode_minutes, &at("episode_minutes"))?;
        positive(c.back_catalog_days, 36_500.0, &at("back_catalog_days"))?;
        fraction(c.recent_share, &at("recent_share"))?;
        positive(c.recent_window_days, 3650.0, &at("recent_window_days"))?;
        check(
            c.recent_window_days < c.back_catalog_days,
            &at("recent_window_days"),
            "fewer days than back_catalog_days",
        )?;
        check(
            c.release_hour_utc.is_finite() && (0.0..24.0).contains(&c.release_hour_utc),
            &at("release_hour_utc"),
            "an hour in [0, 24)",
        )?;
        check(
            !c.genres.is_empty() && c.genres.len() <= MAX_GENRES,
            &at("genres"),
            format!("1 to {MAX_GENRES} genres"),
        )?;
        check(
            !c.codecs.is_empty() && c.codecs.len() <= MAX_CODECS,
            &at("codecs"),
            format!("1 to {MAX_CODECS} codecs"),
        )?;
        for (i, codec) in c.codecs.iter().enumerate() {
            let path = |k| [Key("catalog"), Key("codecs"), Index(i), Key(k)];
            check(
                !codec.name.is_empty() && !c.codecs[..i].iter().any(|o| o.name == codec.name),
                &path("name"),
                "a codec name used once",
            )?;
            check(
                !codec.ladder.is_empty() && codec.ladder.len() <= MAX_RUNGS,
                &path("ladder"),
                format!("1 to {MAX_RUNGS} rungs"),
            )?;
            for (j, r) in codec.ladder.iter().enumerate() {
                let rising = j == 0 || r.kbps > codec.ladder[j - 1].kbps;
                check(
                    r.kbps > 0 && r.kbps <= MAX_KBPS && rising,
                    &[Key("catalog"), Key("codecs"), Index(i), Key("ladder"), Index(j), Key("kbps")],
                    format!("a bitrate above the rung before it, at most {MAX_KBPS} kbps"),
                )?;
            }
        }
        let a = &c.audio;
        let audio = |k| [Key("catalog"), Key("audio"), Key(k)];
        count(a.tracks, 1, 256, &audio("tracks"))?;
        positive(a.track_kbps, MAX_KBPS as f64, &audio("track_kbps"))?;
        count(a.stream_kbps, 1, MAX_KBPS, &audio("stream_kbps"))?;
        count(a.subtitle_tracks, 0, 1000, &audio("subtitle_tracks"))?;
        within(a.subtitle_kbps, 0.0, 1000.0, &audio("subtitle_kbps"))?;

        // The catalogue at its largest must stay within the twin's file budget.
        let movies = (c.titles as f64 * c.movie_share).round() as u64;
        let series = c.titles as u64 - movies.min(c.titles as u64);
        let videos = movies + series * c.seasons_per_series[1] as u64 * c.episodes_per_season[1] as u64;
        let renditions: u64 = c.codecs.iter().map(|k| k.ladder.len() as u64).sum();
        check(
            videos * (renditions + 1) <= MAX_FILES,
            &at("titles"),
            format!(
                "a catalogue of at most {MAX_FILES} files; up to {videos} videos × {} files each could be drawn \
                 (fewer titles, seasons, episodes or rungs)",
                renditions + 1
            ),
        )
    }

    fn validate_demand(&self) -> Checked {
        let d = &self.demand;
        let at = |k| [Key("demand"), Key(k)];
        count(d.members, 1, MAX_MEMBERS, &at("members"))?;
        for (i, v) in d.members_per_capita.values().into_iter().enumerate() {
            within(v, 0.0, 1e6, &[Key("demand"), Key("members_per_capita"), Key(REGIONS[i].0)])?;
        }
        check(
            d.members_per_capita.values().iter().sum::<f64>() > 0.0,
            &at("members_per_capita"),
            "some region above 0",
        )?;
        positive(d.viewing_hours_per_member_day, 24.0, &at("viewing_hours_per_member_day"))?;
        within(d.zipf_exponent, 0.0, 3.0, &at("zipf_exponent"))?;
        within(d.regional_taste_sigma, 0.0, 3.0, &at("regional_taste_sigma"))?;
        positive(d.home_region_boost, 1000.0, &at("home_region_boost"))?;
        within(d.new_release_boost, 0.0, 1000.0, &at("new_release_boost"))?;
        positive(d.new_release_decay_days, 3650.0, &at("new_release_decay_days"))?;
        within(d.launch_spike, 0.0, 1000.0, &at("launch_spike"))?;
        positive(d.launch_spike_hours, 24.0 * 30.0, &at("launch_spike_hours"))?;
        positive(d.weekend_factor, 100.0, &at("weekend_factor"))?;
        fraction(d.movie_play_share_weekday, &at("movie_play_share_weekday"))?;
        fraction(d.movie_play_share_weekend, &at("movie_play_share_weekend"))?;
        check(
            d.daily_curve.len() == 24,
            &at("daily_curve"),
            format!("24 hourly weights, found {}", d.daily_curve.len()),
        )?;
        for (i, &v) in d.daily_curve.iter().enumerate() {
            within(v, 0.0, 1e6, &[Key("demand"), Key("daily_curve"), Index(i)])?;
        }
        check(d.daily_curve.iter().sum::<f64>() > 0.0, &at("daily_curve"), "some weight above 0")?;
        check(
            !d.devices.is_empty() && d.devices.len() <= MAX_DEVICES,
            &at("devices"),
            format!("1 to {MAX_DEVICES} device classes"),
        )?;
        let codecs = &self.catalog.codecs;
        let lowest = codecs.iter().filter_map(|c| c.ladder.first()).map(|r| r.kbps).min().unwrap_or(0);
        for (i, dev) in d.devices.iter().enumerate() {
            let p = |k| [Key("demand"), Key("devices"), Index(i), Key(k)];
            positive(dev.share, 1e6, &p("share"))?;
            check(
                dev.max_kbps >= lowest && dev.max_kbps <= MAX_KBPS,
                &p("max_kbps"),
                format!("at least the lowest rung ({lowest} kbps), at most {MAX_KBPS}"),
            )?;
            check(
                dev.codecs.iter().any(|n| codecs.iter().any(|c| &c.name == n))
                    && dev.codecs.iter().all(|n| codecs.iter().any(|c| &c.name == n)),
                &p("codecs"),
                format!(
                    "codec names from [catalog.codecs] ({}), at least one",
                    codecs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )?;
            positive(dev.median_mbps, 100_000.0, &p("median_mbps"))?;
            within(dev.sigma, 0.0, 3.0, &p("sigma"))?;
            within(dev.access_rtt_ms, 0.0, 10_000.0, &p("access_rtt_ms"))?;
        }
        Ok(())
    }

    fn validate_playback(&self) -> Checked {
        let p = &self.playback;
        let at = |k| [Key("playback"), Key(k)];
        within(p.control_plane_round_trips, 0.0, 100.0, &at("control_plane_round_trips"))?;
        within(p.player_init_ms, 0.0, 60_000.0, &at("player_init_ms"))?;
        positive(p.startup_buffer_s, 600.0, &at("startup_buffer_s"))?;
        count(p.startup_max_kbps, 1, MAX_KBPS, &at("startup_max_kbps"))?;
        within(p.buffer_s, 0.0, 3600.0, &at("buffer_s"))?;
        check(
            p.abr_safety.is_finite() && p.abr_safety > 0.0 && p.abr_safety <= 1.0,
            &at("abr_safety"),
            format!("a share in (0, 1], found {}", p.abr_safety),
        )?;
        positive(p.rtt_reference_ms, 10_000.0, &at("rtt_reference_ms"))?;
        within(p.abandon_after_s, 0.0, 600.0, &at("abandon_after_s"))?;
        within(p.abandon_per_s, 0.0, 1.0, &at("abandon_per_s"))?;
        positive(p.stall_patience_s, 36_000.0, &at("stall_patience_s"))?;
        within(p.stall_patience_sigma, 0.0, 3.0, &at("stall_patience_sigma"))?;
        for key in ["base_ebvs", "base_rebuffer", "movie_completion", "episode_completion"] {
            let v = match key {
                "base_ebvs" => p.base_ebvs,
                "base_rebuffer" => p.base_rebuffer,
                "movie_completion" => p.movie_completion,
                _ => p.episode_completion,
            };
            fraction(v, &at(key))?;
        }
        Ok(())
    }

    fn validate_policy(&self) -> Checked {
        let pol = &self.policy;
        let at = |k| [Key("policy"), Key(k)];
        check(
            pol.overload_utilization.is_finite() && pol.overload_utilization > 0.0 && pol.overload_utilization <= 1.0,
            &at("overload_utilization"),
            format!("a share of capacity in (0, 1], found {}", pol.overload_utilization),
        )?;
        fraction(pol.max_churn_share, &at("max_churn_share"))?;
        check(
            pol.fill_headroom_share.is_finite() && (0.0..0.9).contains(&pol.fill_headroom_share),
            &at("fill_headroom_share"),
            format!("a share in [0, 0.9), found {}", pol.fill_headroom_share),
        )?;
        check(
            pol.history_weight.is_finite() && pol.history_weight > 0.0 && pol.history_weight <= 1.0,
            &at("history_weight"),
            format!("a weight in (0, 1] (0 would never learn), found {}", pol.history_weight),
        )?;
        within(pol.prior_plays, 0.0, 1e9, &at("prior_plays"))?;
        count(pol.burn_in_days, 0, 366, &at("burn_in_days"))?;
        check(
            pol.replica_load_share.is_finite() && pol.replica_load_share > 0.0 && pol.replica_load_share <= 1.0,
            &at("replica_load_share"),
            format!("a share in (0, 1], found {}", pol.replica_load_share),
        )?;
        within(pol.incumbent_bonus, 0.0, 10.0, &at("incumbent_bonus"))?;
        fraction(pol.covered_weight, &at("covered_weight"))?;
        count(pol.peer_stripes, 1, 8, &at("peer_stripes"))
    }

    fn validate_fill(&self) -> Checked {
        let f = &self.fill;
        let at = |k| [Key("fill"), Key(k)];
        check(
            f.window_start_hour.is_finite() && (0.0..24.0).contains(&f.window_start_hour),
            &at("window_start_hour"),
            format!("an hour in [0, 24), found {}", f.window_start_hour),
        )?;
        check(
            f.window_hours.is_finite() && f.window_hours >= 1.0 / 60.0 && f.window_hours <= 24.0,
            &at("window_hours"),
            format!("a length from one minute to 24 hours, found {}", f.window_hours),
        )?;
        within(f.window_shift_hours, -2.0, 2.0, &at("window_shift_hours"))?;
        positive(f.storage_gbps, 10_000.0, &at("storage_gbps"))?;
        positive(f.storage_window_tb, 100_000.0, &at("storage_window_tb"))?;
        positive(f.flash_gbps, 10_000.0, &at("flash_gbps"))?;
        positive(f.flash_window_tb, 100_000.0, &at("flash_window_tb"))?;
        let e = &f.escalation;
        count(e.max_hops, 0, 64, &[Key("fill"), Key("escalation"), Key("max_hops")])?;
        count(e.wait_minutes, 0, 7 * 24 * 60, &[Key("fill"), Key("escalation"), Key("wait_minutes")])
    }
}

impl Scenario {
    fn validate_fleet(&self) -> Checked {
        let f = &self.fleet;
        let at = |k| [Key("fleet"), Key(k)];
        check(!f.instance_type.is_empty(), &at("instance_type"), "an instance type name such as \"m5.2xlarge\"")?;
        count(f.instance_vcpus, 1, MAX_VCPUS, &at("instance_vcpus"))?;
        within(f.instance_usd_per_hour, 0.0, MAX_USD_PER_HOUR, &at("instance_usd_per_hour"))?;
        count(f.launch_s, 0, 3600, &at("launch_s"))?;
        count(f.warmup_s, 0, 3600, &at("warmup_s"))?;
        count(f.max, 1, MAX_INSTANCES, &at("max"))?;
        count(f.min, 0, f.max, &at("min"))?;
        count(f.protected, 0, f.max, &at("protected"))?;
        match f.metric {
            ScalingMetric::Cpu => check(
                f.target.is_finite() && f.target > 0.0 && f.target < 1.0,
                &at("target"),
                format!("a CPU share in (0, 1) for metric = \"cpu\", found {}", f.target),
            )?,
            ScalingMetric::Requests => positive(f.target, MAX_TARGET_RPS, &at("target"))?,
        }
        count(f.scale_in_cooldown_s, 0, 24 * 3600, &at("scale_in_cooldown_s"))?;
        count(f.predictive_buffer_s, 0, 3600, &at("predictive_buffer_s"))?;
        positive(f.timeout_ms, 600_000.0, &at("timeout_ms"))?;
        positive(f.latency_slo_ms, 600_000.0, &at("latency_slo_ms"))?;
        within(f.instance_failures_per_day, 0.0, 100.0, &at("instance_failures_per_day"))?;
        for (i, g) in f.groups.iter().enumerate() {
            let path = |k| [Key("fleet"), Key("groups"), Index(i), Key(k)];
            check(
                self.world.origins.contains(&g.region) && f.groups[..i].iter().all(|other| other.region != g.region),
                &path("region"),
                format!("one of [world] origins ({}), each named once", self.world.origins.join(", ")),
            )?;
            let max = g.max.unwrap_or(f.max);
            count(max, 1, MAX_INSTANCES, &path("max"))?;
            count(g.min.unwrap_or(f.min.min(max)), 0, max, &path("min"))?;
        }
        Ok(())
    }
}

impl Scenario {
    fn validate_ingest(&self) -> Checked {
        let g = &self.ingest;
        let at = |k| [Key("ingest"), Key(k)];
        count(g.concurrency, 1, 100_000, &at("concurrency"))?;
        count(g.memory_mb, 128, 10_240, &at("memory_mb"))?;
        positive(g.timeout_s, 24.0 * 3600.0, &at("timeout_s"))?;
        within(g.cold_start_s, 0.0, 600.0, &at("cold_start_s"))?;
        within(g.keep_warm_s, 0.0, 24.0 * 3600.0, &at("keep_warm_s"))?;
        check(
            g.failure_rate.is_finite() && (0.0..1.0).contains(&g.failure_rate),
            &at("failure_rate"),
            format!("a share in [0, 1), found {}", g.failure_rate),
        )?;
        count(g.max_retries, 0, 100, &at("max_retries"))?;
        within(g.backoff_s, 0.0, 3600.0, &at("backoff_s"))?;
        within(g.usd_per_gb_s, 0.0, 1.0, &at("usd_per_gb_s"))?;
        positive(g.chunk_s, 24.0 * 3600.0, &at("chunk_s"))?;
        positive(g.storage_mb_per_s, 100_000.0, &at("storage_mb_per_s"))?;
        count(g.title_slots, 0, 10_000, &at("title_slots"))?;
        Ok(())
    }
}

/// Byte offset of the value at `path` in the document; where the path is absent (a default was used), the
/// deepest table on the path that is present, so the error points at the section to add the key to.
fn locate(text: &str, path: &[PathStep]) -> usize {
    let Ok(root) = DeTable::parse(text) else {
        return 0;
    };
    let mut best = 0;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut array: Option<&[Spanned<DeValue>]> = None;
    for step in path {
        let value = match (step, table, array) {
            (Key(k), Some(t), _) => t.iter().find(|(key, _)| key.get_ref().as_ref() == *k).map(|(_, v)| v),
            (Index(i), _, Some(a)) => a.get(*i),
            _ => None,
        };
        let Some(value) = value else { break };
        best = value.span().start;
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(a.as_ref())),
            _ => (None, None),
        };
    }
    best
}
