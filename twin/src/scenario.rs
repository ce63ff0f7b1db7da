//! Scenario files (TOML): what world to build, what catalog and demand to simulate, with which policies.
//!
//! Every knob has a default taken from public figures (cited where they are set), so a scenario file only
//! states what it changes. Parsing and validation errors name file:line:column and what was expected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::InputError;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream. The same scenario and seed give bit-identical results.
    pub seed: u64,
    /// Instant (RFC 3339, UTC) that simulated time zero stands for.
    pub start: String,
    /// How long a headless run lasts unless told otherwise.
    pub horizon_hours: f64,
    pub world: WorldSpec,
    pub catalog: CatalogSpec,
    pub demand: DemandSpec,
    #[serde(default)]
    pub appliances: ApplianceSpecs,
    #[serde(default)]
    pub playback: PlaybackSpec,
    #[serde(default)]
    pub policy: PolicySpec,
    #[serde(default)]
    pub fill: FillSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// Members live in this many of the most populous metros (from assets/metros.csv).
    pub metros: usize,
    /// Countries where the service is not offered (ISO 3166 alpha-2).
    #[serde(default = "default_unavailable")]
    pub unavailable_countries: Vec<String>,
    /// Number of edge sites (clusters of appliances).
    pub sites: usize,
    /// Share of the sites that sit at public exchange points (IXPs); the rest are embedded in ISPs.
    #[serde(default = "default_ixp_share")]
    pub ixp_share: f64,
    /// Most ISPs any one country has; the largest countries have this many, each with a market share.
    #[serde(default = "default_isps_per_country")]
    pub isps_per_country: usize,
    /// An ISP's members may be served by that ISP's own site in another metro up to this far away.
    #[serde(default = "default_max_in_isp_km")]
    pub max_in_isp_km: f64,
    /// Appliance mixes for ISP-embedded sites, drawn by weight.
    #[serde(default = "default_embedded_mix")]
    pub embedded_mix: Vec<SiteProfile>,
    /// Appliance mixes for IXP sites, drawn by weight.
    #[serde(default = "default_ixp_mix")]
    pub ixp_mix: Vec<SiteProfile>,
    /// AWS regions that hold the S3 origin.
    #[serde(default = "default_origins")]
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteProfile {
    #[serde(default)]
    pub storage: u32,
    #[serde(default)]
    pub flash: u32,
    pub weight: f64,
}

/// Open Connect appliances (openconnect.netflix.com hardware page): storage ≈ 360 TB / 96 Gbps,
/// flash ≈ 24 TB / 190 Gbps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplianceSpecs {
    #[serde(default = "storage_appliance")]
    pub storage: ApplianceSpec,
    #[serde(default = "flash_appliance")]
    pub flash: ApplianceSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplianceSpec {
    pub disk_tb: f64,
    pub egress_gbps: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSpec {
    pub titles: usize,
    /// Share of titles that are movies; the rest are series episodes.
    #[serde(default = "default_movie_title_share")]
    pub movie_share: f64,
    #[serde(default = "default_episodes_per_season")]
    pub episodes_per_season: u32,
    #[serde(default = "default_movie_minutes")]
    pub movie_minutes: [f64; 2],
    #[serde(default = "default_episode_minutes")]
    pub episode_minutes: [f64; 2],
    /// Back-catalogue titles were released uniformly this many days before the start.
    #[serde(default = "default_back_catalog_days")]
    pub back_catalog_days: f64,
    /// Share of titles that are recent or upcoming releases, released within ± `recent_window_days`.
    #[serde(default = "default_recent_share")]
    pub recent_share: f64,
    #[serde(default = "default_recent_window_days")]
    pub recent_window_days: f64,
    #[serde(default = "default_genres")]
    pub genres: Vec<String>,
    /// The bitrate ladder: one file per title and rung.
    #[serde(default = "default_ladder")]
    pub ladder: Vec<Rung>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    pub kbps: u32,
    pub resolution: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    pub members: u64,
    /// Relative share of each region's people who are members; members are spread over metros by
    /// population × this.
    #[serde(default)]
    pub members_per_capita: RegionWeights,
    /// About 550 M hours a day across about 230 M members (Netflix H1 2023 engagement report: 100 B hours).
    #[serde(default = "default_viewing_hours")]
    pub viewing_hours_per_member_day: f64,
    /// Title popularity ∝ 1 / rank^exponent.
    #[serde(default = "default_zipf")]
    pub zipf_exponent: f64,
    /// Log-space spread of a title's appeal from one region to the next.
    #[serde(default = "default_taste_sigma")]
    pub regional_taste_sigma: f64,
    /// Extra appeal of a title in its home region.
    #[serde(default = "default_home_boost")]
    pub home_region_boost: f64,
    /// Appeal multiplier on release day, decaying exponentially with `new_release_decay_days`.
    #[serde(default = "default_new_release_boost")]
    pub new_release_boost: f64,
    #[serde(default = "default_new_release_decay")]
    pub new_release_decay_days: f64,
    /// Weekend days carry this much more viewing than weekdays.
    #[serde(default = "default_weekend_factor")]
    pub weekend_factor: f64,
    /// Share of plays that are movies on weekdays and at weekends (movies lean to weekends).
    #[serde(default = "default_movie_play_weekday")]
    pub movie_play_share_weekday: f64,
    #[serde(default = "default_movie_play_weekend")]
    pub movie_play_share_weekend: f64,
    /// Relative viewing in each local hour 00..23: peak 21–23 h, trough 05–06 h.
    #[serde(default = "default_daily_curve")]
    pub daily_curve: Vec<f64>,
    #[serde(default = "default_devices")]
    pub devices: Vec<DeviceSpec>,
}

/// One number per region (continent), keyed by its code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "UPPERCASE")]
pub struct RegionWeights {
    pub na: f64,
    pub sa: f64,
    pub eu: f64,
    pub af: f64,
    pub r#as: f64,
    pub oc: f64,
}

impl RegionWeights {
    /// In `world::REGIONS` order.
    pub fn values(&self) -> [f64; 6] {
        [self.na, self.sa, self.eu, self.af, self.r#as, self.oc]
    }
}

impl Default for RegionWeights {
    /// Tuned so that, over the metros of assets/metros.csv, members split by region about as Netflix's paid
    /// memberships did at the end of 2023 (UCAN 31%, EMEA 34%, LATAM 18%, APAC 17%): the metros list gives
    /// city-proper populations, which undercount Europe's many smaller towns.
    fn default() -> Self {
        RegionWeights { na: 0.21, sa: 0.09, eu: 0.25, af: 0.02, r#as: 0.03, oc: 0.2 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    pub name: String,
    pub share: f64,
    /// Highest rung this device class may play.
    pub max_kbps: u32,
    /// Median access throughput, and its log-space spread.
    pub median_mbps: f64,
    pub sigma: f64,
    /// Last-mile round trip.
    pub access_rtt_ms: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybackSpec {
    /// Control-plane (play API) latency before the client contacts a site.
    pub control_plane_ms: f64,
    pub player_init_ms: f64,
    /// Seconds of video buffered before the first frame, fetched at no more than `startup_max_kbps`.
    pub startup_buffer_s: f64,
    pub startup_max_kbps: u32,
    /// The player picks the highest rung at or below this share of measured throughput.
    pub abr_safety: f64,
    /// One long-haul TCP connection slows as round trip grows past this.
    pub rtt_reference_ms: f64,
    /// Krishnan & Sitaraman 2012: abandonment starts past 2 s of startup, then +5.8% per extra second.
    pub abandon_after_s: f64,
    pub abandon_per_s: f64,
    /// Exits before video start that happen however fast startup is.
    pub base_ebvs: f64,
    /// Rebuffer share of watch time with ample throughput headroom.
    pub base_rebuffer: f64,
    /// Share of plays watched to (near) the end.
    pub movie_completion: f64,
    pub episode_completion: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySpec {
    /// How every site chooses its content at start (each site can be switched while running).
    pub placement: PlacementKind,
    /// Steering passes over a site whose egress is above this share of capacity.
    pub overload_utilization: f64,
    /// Most of a site's disk the nightly plan may replace (bytes added ÷ disk): bounds churn, and so fill
    /// traffic, when predictions wobble.
    pub max_churn_share: f64,
    /// Share of disk the plan leaves free, so tonight's files can land before the ones they replace go.
    pub fill_headroom_share: f64,
    /// Weight of the newest day in the smoothed popularity history (exponential smoothing).
    pub history_weight: f64,
    /// A file gets one more replica across a cluster's appliances for each this share of the cluster's
    /// predicted bytes it carries (replicas ∝ popularity).
    pub replica_load_share: f64,
    /// A file already planned for a cluster ranks as if this share more popular, so prediction noise does not
    /// churn the edge of the disk.
    pub incumbent_bonus: f64,
    /// At an IXP, a file the members' own in-ISP sites already plan to hold counts this share of its
    /// popularity: the IXP needs it only when those sites are full or down, so its disk goes to what the
    /// tier below lacks.
    pub ixp_covered_weight: f64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementKind {
    /// Nightly manifests from predicted popularity, filled in off-peak windows (Open Connect's way).
    Proactive,
    /// A reactive cache: a miss is fetched at once and admitted, evicting the least recently used.
    Lru,
    /// A reactive cache evicting the least frequently used.
    Lfu,
    /// Proactive placement that knows the coming day's real demand: the yardstick.
    Oracle,
}

impl PlacementKind {
    pub const ALL: [PlacementKind; 4] =
        [PlacementKind::Proactive, PlacementKind::Lru, PlacementKind::Lfu, PlacementKind::Oracle];
    pub fn name(self) -> &'static str {
        match self {
            PlacementKind::Proactive => "proactive",
            PlacementKind::Lru => "lru",
            PlacementKind::Lfu => "lfu",
            PlacementKind::Oracle => "oracle",
        }
    }
    pub fn parse(name: &str) -> Option<PlacementKind> {
        PlacementKind::ALL.into_iter().find(|k| k.name() == name)
    }
    pub fn is_reactive(self) -> bool {
        matches!(self, PlacementKind::Lru | PlacementKind::Lfu)
    }
}

/// Off-peak fills. Open Connect: a storage appliance fills at up to 1.2 Gbps and 6.5 TB per window, in
/// 02:00–14:00 local time, which can shift by ±2 h.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FillSpec {
    /// Local hour the window opens, before the shift.
    pub window_start_hour: f64,
    pub window_hours: f64,
    /// Shift of every window, in hours (±2).
    pub window_shift_hours: f64,
    /// Ingress cap per storage appliance, and bytes per window.
    pub storage_gbps: f64,
    pub storage_window_tb: f64,
    /// No public figure for flash appliances: by default they fill like storage ones.
    pub flash_gbps: f64,
    pub flash_window_tb: f64,
    pub escalation: EscalationSpec,
}

/// Where a fill may come from, tried in order: a peer (same cluster), then a tier (another site, by route
/// cost on the backbone), then the S3 origin.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationSpec {
    /// A tier source may be at most this many backbone hops away.
    pub max_hops: u32,
    /// How long a file waits for a peer or tier source to have it before going to the origin.
    pub wait_minutes: u32,
    /// Whether fills may come from the origin at all.
    pub origin_allowed: bool,
}

fn default_unavailable() -> Vec<String> {
    // Netflix is not offered in China, Russia (since 2022), North Korea and Syria.
    ["CN", "RU", "KP", "SY"].map(String::from).to_vec()
}
fn default_ixp_share() -> f64 {
    0.12
}
fn default_isps_per_country() -> usize {
    6
}
fn default_max_in_isp_km() -> f64 {
    1500.0
}
fn default_embedded_mix() -> Vec<SiteProfile> {
    vec![
        SiteProfile { storage: 0, flash: 1, weight: 0.45 },
        SiteProfile { storage: 1, flash: 0, weight: 0.30 },
        SiteProfile { storage: 1, flash: 1, weight: 0.20 },
        SiteProfile { storage: 2, flash: 2, weight: 0.05 },
    ]
}
fn default_ixp_mix() -> Vec<SiteProfile> {
    vec![SiteProfile { storage: 2, flash: 2, weight: 0.6 }, SiteProfile { storage: 4, flash: 4, weight: 0.4 }]
}
fn default_origins() -> Vec<String> {
    ["us-east-1", "us-west-2", "eu-west-1"].map(String::from).to_vec()
}
fn storage_appliance() -> ApplianceSpec {
    ApplianceSpec { disk_tb: 360.0, egress_gbps: 96.0 }
}
fn flash_appliance() -> ApplianceSpec {
    ApplianceSpec { disk_tb: 24.0, egress_gbps: 190.0 }
}
impl Default for ApplianceSpecs {
    fn default() -> Self {
        ApplianceSpecs { storage: storage_appliance(), flash: flash_appliance() }
    }
}
fn default_movie_title_share() -> f64 {
    0.3
}
fn default_episodes_per_season() -> u32 {
    10
}
fn default_movie_minutes() -> [f64; 2] {
    [85.0, 150.0]
}
fn default_episode_minutes() -> [f64; 2] {
    [22.0, 60.0]
}
fn default_back_catalog_days() -> f64 {
    1500.0
}
fn default_recent_share() -> f64 {
    0.04
}
fn default_recent_window_days() -> f64 {
    14.0
}
fn default_genres() -> Vec<String> {
    ["drama", "comedy", "action", "thriller", "documentary", "kids", "anime", "romance", "horror", "reality"]
        .map(String::from)
        .to_vec()
}
fn default_ladder() -> Vec<Rung> {
    // Netflix's old fixed ladder (Per-Title Encode Optimization, 2015), plus 4K at about 16 Mbps.
    [
        (235, "320x240"),
        (375, "384x288"),
        (560, "512x384"),
        (750, "512x384"),
        (1050, "640x480"),
        (1750, "720x480"),
        (2350, "1280x720"),
        (3000, "1280x720"),
        (4300, "1920x1080"),
        (5800, "1920x1080"),
        (16000, "3840x2160"),
    ]
    .map(|(kbps, r)| Rung { kbps, resolution: r.to_string() })
    .to_vec()
}
fn default_viewing_hours() -> f64 {
    550.0 / 230.0
}
fn default_zipf() -> f64 {
    0.9
}
fn default_taste_sigma() -> f64 {
    0.7
}
fn default_home_boost() -> f64 {
    3.0
}
fn default_new_release_boost() -> f64 {
    12.0
}
fn default_new_release_decay() -> f64 {
    7.0
}
fn default_weekend_factor() -> f64 {
    1.15
}
fn default_movie_play_weekday() -> f64 {
    0.3
}
fn default_movie_play_weekend() -> f64 {
    0.45
}
fn default_daily_curve() -> Vec<f64> {
    // Local hours 00..23. Evening peak 21–23 h, trough 05–06 h; peak/trough ≈ 7.
    vec![
        0.75, 0.5, 0.32, 0.22, 0.16, 0.14, 0.15, 0.22, 0.3, 0.36, 0.42, 0.48, //
        0.55, 0.58, 0.6, 0.64, 0.7, 0.78, 0.88, 0.97, 1.0, 1.05, 1.02, 0.92,
    ]
}
fn default_devices() -> Vec<DeviceSpec> {
    let d = |name: &str, share, max_kbps, median_mbps, sigma, access_rtt_ms| DeviceSpec {
        name: name.to_string(),
        share,
        max_kbps,
        median_mbps,
        sigma,
        access_rtt_ms,
    };
    vec![
        // 4K needs a premium plan and a 4K set; other TVs stop at 1080p.
        d("tv-4k", 0.2, 16000, 40.0, 0.8, 12.0),
        d("tv-hd", 0.35, 5800, 30.0, 0.8, 12.0),
        d("desktop", 0.15, 5800, 25.0, 0.8, 12.0),
        d("tablet", 0.1, 4300, 15.0, 0.9, 18.0),
        d("phone", 0.2, 1750, 8.0, 1.0, 35.0),
    ]
}
impl Default for PlaybackSpec {
    fn default() -> Self {
        PlaybackSpec {
            control_plane_ms: 90.0,
            player_init_ms: 150.0,
            startup_buffer_s: 4.0,
            startup_max_kbps: 1750,
            abr_safety: 0.75,
            rtt_reference_ms: 60.0,
            abandon_after_s: 2.0,
            abandon_per_s: 0.058,
            base_ebvs: 0.01,
            base_rebuffer: 0.01,
            movie_completion: 0.55,
            episode_completion: 0.7,
        }
    }
}
impl Default for PolicySpec {
    fn default() -> Self {
        PolicySpec {
            placement: PlacementKind::Proactive,
            overload_utilization: 0.95,
            max_churn_share: 0.1,
            fill_headroom_share: 0.03,
            history_weight: 0.5,
            replica_load_share: 0.02,
            incumbent_bonus: 0.3,
            ixp_covered_weight: 0.2,
        }
    }
}
impl Default for FillSpec {
    fn default() -> Self {
        FillSpec {
            window_start_hour: 2.0,
            window_hours: 12.0,
            window_shift_hours: 0.0,
            storage_gbps: 1.2,
            storage_window_tb: 6.5,
            flash_gbps: 1.2,
            flash_window_tb: 6.5,
            escalation: EscalationSpec::default(),
        }
    }
}
impl Default for EscalationSpec {
    fn default() -> Self {
        EscalationSpec { max_hops: 4, wait_minutes: 30, origin_allowed: true }
    }
}

/// One step of a path into the TOML document, for locating validation errors.
#[derive(Clone, Debug)]
enum PathStep {
    Key(&'static str),
    Index(usize),
}
use PathStep::{Index, Key};

/// A value that failed validation: where it lives, and what was expected.
struct Invalid {
    path: Vec<PathStep>,
    expected: String,
}

fn check(ok: bool, path: &[PathStep], expected: impl Into<String>) -> Result<(), Invalid> {
    if ok { Ok(()) } else { Err(Invalid { path: path.to_vec(), expected: expected.into() }) }
}

fn positive(v: f64, path: &[PathStep]) -> Result<(), Invalid> {
    check(v.is_finite() && v > 0.0, path, format!("a positive number, found {v}"))
}

fn fraction(v: f64, path: &[PathStep]) -> Result<(), Invalid> {
    check((0.0..=1.0).contains(&v), path, format!("a fraction in [0, 1], found {v}"))
}

fn min_max(v: [f64; 2], path: &[PathStep]) -> Result<(), Invalid> {
    check(v[0] > 0.0 && v[0] <= v[1], path, format!("[min, max] with 0 < min ≤ max, found {v:?}"))
}

impl Scenario {
    /// Parses and validates scenario text. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, InputError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            InputError::at_offset(file, text, offset, e.message().trim_end().to_string())
        })?;
        scenario.validate().map_err(|invalid| {
            let offset = locate(text, &invalid.path);
            let key = invalid
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
                format!("`{}`: expected {}", key.trim_start_matches('.'), invalid.expected),
            )
        })?;
        Ok(scenario)
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, crate::TwinError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| crate::TwinError::Io { path: path.display().to_string(), source })?;
        Ok(Scenario::parse(&path.display().to_string(), &text)?)
    }

    /// The start instant; valid after `parse`.
    pub fn start_utc(&self) -> DateTime<Utc> {
        parse_start(&self.start).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), Invalid> {
        check(
            parse_start(&self.start).is_some(),
            &[Key("start")],
            "an RFC 3339 instant such as \"2026-11-23T00:00:00Z\"",
        )?;
        positive(self.horizon_hours, &[Key("horizon_hours")])?;

        let w = &self.world;
        check(w.metros >= 1, &[Key("world"), Key("metros")], "at least 1 metro")?;
        check(w.sites >= 1, &[Key("world"), Key("sites")], "at least 1 site")?;
        check(w.sites <= 100_000, &[Key("world"), Key("sites")], "at most 100,000 sites")?;
        fraction(w.ixp_share, &[Key("world"), Key("ixp_share")])?;
        check(w.isps_per_country >= 1, &[Key("world"), Key("isps_per_country")], "at least 1 ISP per country")?;
        positive(w.max_in_isp_km, &[Key("world"), Key("max_in_isp_km")])?;
        for (key, mix) in [("embedded_mix", &w.embedded_mix), ("ixp_mix", &w.ixp_mix)] {
            check(!mix.is_empty(), &[Key("world"), Key(key)], "at least one site profile")?;
            for (i, p) in mix.iter().enumerate() {
                positive(p.weight, &[Key("world"), Key(key), Index(i), Key("weight")])?;
                check(
                    p.storage + p.flash >= 1,
                    &[Key("world"), Key(key), Index(i)],
                    "at least one appliance (storage or flash)",
                )?;
            }
        }
        check(!w.origins.is_empty(), &[Key("world"), Key("origins")], "at least one origin region")?;
        for (i, o) in w.origins.iter().enumerate() {
            check(
                crate::world::origin_location(o).is_some(),
                &[Key("world"), Key("origins"), Index(i)],
                format!("a known AWS region ({}), found {o:?}", crate::world::ORIGIN_REGIONS.map(|r| r.0).join(", ")),
            )?;
        }
        for (key, a) in [("storage", &self.appliances.storage), ("flash", &self.appliances.flash)] {
            positive(a.disk_tb, &[Key("appliances"), Key(key), Key("disk_tb")])?;
            positive(a.egress_gbps, &[Key("appliances"), Key(key), Key("egress_gbps")])?;
        }

        let c = &self.catalog;
        check(c.titles >= 1, &[Key("catalog"), Key("titles")], "at least 1 title")?;
        check(c.titles <= 1_000_000, &[Key("catalog"), Key("titles")], "at most 1,000,000 titles")?;
        fraction(c.movie_share, &[Key("catalog"), Key("movie_share")])?;
        check(c.episodes_per_season >= 1, &[Key("catalog"), Key("episodes_per_season")], "at least 1 episode")?;
        min_max(c.movie_minutes, &[Key("catalog"), Key("movie_minutes")])?;
        min_max(c.episode_minutes, &[Key("catalog"), Key("episode_minutes")])?;
        check(
            c.movie_minutes[1] <= 240.0 && c.episode_minutes[1] <= 240.0,
            &[Key("catalog"), Key(if c.movie_minutes[1] > 240.0 { "movie_minutes" } else { "episode_minutes" })],
            "durations of at most 240 minutes",
        )?;
        positive(c.back_catalog_days, &[Key("catalog"), Key("back_catalog_days")])?;
        fraction(c.recent_share, &[Key("catalog"), Key("recent_share")])?;
        positive(c.recent_window_days, &[Key("catalog"), Key("recent_window_days")])?;
        check(!c.genres.is_empty(), &[Key("catalog"), Key("genres")], "at least one genre")?;
        check(!c.ladder.is_empty() && c.ladder.len() <= 64, &[Key("catalog"), Key("ladder")], "1 to 64 rungs")?;
        for (i, r) in c.ladder.iter().enumerate() {
            let rising = i == 0 || r.kbps > c.ladder[i - 1].kbps;
            check(
                r.kbps > 0 && rising,
                &[Key("catalog"), Key("ladder"), Index(i), Key("kbps")],
                "a bitrate above the rung before it",
            )?;
        }

        let d = &self.demand;
        check(d.members >= 1, &[Key("demand"), Key("members")], "at least 1 member")?;
        for (i, v) in d.members_per_capita.values().into_iter().enumerate() {
            let key = [Key("demand"), Key("members_per_capita"), Key(["NA", "SA", "EU", "AF", "AS", "OC"][i])];
            check(v.is_finite() && v >= 0.0, &key, format!("a share ≥ 0, found {v}"))?;
        }
        check(
            d.members_per_capita.values().iter().sum::<f64>() > 0.0,
            &[Key("demand"), Key("members_per_capita")],
            "some region above 0",
        )?;
        positive(d.viewing_hours_per_member_day, &[Key("demand"), Key("viewing_hours_per_member_day")])?;
        check(
            d.viewing_hours_per_member_day <= 24.0,
            &[Key("demand"), Key("viewing_hours_per_member_day")],
            "at most 24 hours a day",
        )?;
        check((0.0..=3.0).contains(&d.zipf_exponent), &[Key("demand"), Key("zipf_exponent")], "an exponent in [0, 3]")?;
        check(
            (0.0..=3.0).contains(&d.regional_taste_sigma),
            &[Key("demand"), Key("regional_taste_sigma")],
            "a spread in [0, 3]",
        )?;
        positive(d.home_region_boost, &[Key("demand"), Key("home_region_boost")])?;
        check(d.new_release_boost >= 0.0, &[Key("demand"), Key("new_release_boost")], "a boost ≥ 0")?;
        positive(d.new_release_decay_days, &[Key("demand"), Key("new_release_decay_days")])?;
        positive(d.weekend_factor, &[Key("demand"), Key("weekend_factor")])?;
        fraction(d.movie_play_share_weekday, &[Key("demand"), Key("movie_play_share_weekday")])?;
        fraction(d.movie_play_share_weekend, &[Key("demand"), Key("movie_play_share_weekend")])?;
        check(
            d.daily_curve.len() == 24,
            &[Key("demand"), Key("daily_curve")],
            format!("24 hourly weights, found {}", d.daily_curve.len()),
        )?;
        for (i, &v) in d.daily_curve.iter().enumerate() {
            check(v.is_finite() && v >= 0.0, &[Key("demand"), Key("daily_curve"), Index(i)], "a weight ≥ 0")?;
        }
        check(d.daily_curve.iter().sum::<f64>() > 0.0, &[Key("demand"), Key("daily_curve")], "some weight above 0")?;
        check(!d.devices.is_empty(), &[Key("demand"), Key("devices")], "at least one device class")?;
        for (i, dev) in d.devices.iter().enumerate() {
            let p = |k| [Key("demand"), Key("devices"), Index(i), Key(k)];
            positive(dev.share, &p("share"))?;
            check(
                dev.max_kbps >= c.ladder[0].kbps,
                &p("max_kbps"),
                format!("at least the lowest rung ({} kbps)", c.ladder[0].kbps),
            )?;
            positive(dev.median_mbps, &p("median_mbps"))?;
            check((0.0..=3.0).contains(&dev.sigma), &p("sigma"), "a spread in [0, 3]")?;
            check(dev.access_rtt_ms >= 0.0, &p("access_rtt_ms"), "a round trip ≥ 0 ms")?;
        }

        let p = &self.playback;
        for (key, v) in [
            ("control_plane_ms", p.control_plane_ms),
            ("player_init_ms", p.player_init_ms),
            ("abandon_after_s", p.abandon_after_s),
            ("abandon_per_s", p.abandon_per_s),
            ("base_rebuffer", p.base_rebuffer),
            ("base_ebvs", p.base_ebvs),
        ] {
            check(v.is_finite() && v >= 0.0, &[Key("playback"), Key(key)], format!("a number ≥ 0, found {v}"))?;
        }
        positive(p.startup_buffer_s, &[Key("playback"), Key("startup_buffer_s")])?;
        check(p.startup_max_kbps > 0, &[Key("playback"), Key("startup_max_kbps")], "a bitrate above 0")?;
        check(p.abr_safety > 0.0 && p.abr_safety <= 1.0, &[Key("playback"), Key("abr_safety")], "a share in (0, 1]")?;
        positive(p.rtt_reference_ms, &[Key("playback"), Key("rtt_reference_ms")])?;
        for (key, v) in [
            ("base_ebvs", p.base_ebvs),
            ("base_rebuffer", p.base_rebuffer),
            ("movie_completion", p.movie_completion),
            ("episode_completion", p.episode_completion),
        ] {
            fraction(v, &[Key("playback"), Key(key)])?;
        }
        check(
            self.policy.overload_utilization > 0.0 && self.policy.overload_utilization <= 1.5,
            &[Key("policy"), Key("overload_utilization")],
            "a share of capacity in (0, 1.5]",
        )?;
        let pol = &self.policy;
        for (key, v) in [
            ("max_churn_share", pol.max_churn_share),
            ("fill_headroom_share", pol.fill_headroom_share),
            ("history_weight", pol.history_weight),
            ("incumbent_bonus", pol.incumbent_bonus),
            ("ixp_covered_weight", pol.ixp_covered_weight),
        ] {
            fraction(v, &[Key("policy"), Key(key)])?;
        }
        check(
            pol.history_weight > 0.0,
            &[Key("policy"), Key("history_weight")],
            "a weight in (0, 1]: 0 would never learn",
        )?;
        check(
            pol.replica_load_share > 0.0 && pol.replica_load_share <= 1.0,
            &[Key("policy"), Key("replica_load_share")],
            "a share in (0, 1]",
        )?;
        let f = &self.fill;
        check(
            (0.0..24.0).contains(&f.window_start_hour),
            &[Key("fill"), Key("window_start_hour")],
            "an hour in [0, 24)",
        )?;
        check(
            f.window_hours > 0.0 && f.window_hours <= 24.0,
            &[Key("fill"), Key("window_hours")],
            "a length in (0, 24] hours",
        )?;
        check(
            (-2.0..=2.0).contains(&f.window_shift_hours),
            &[Key("fill"), Key("window_shift_hours")],
            "a shift of at most ±2 hours",
        )?;
        for (key, v) in [
            ("storage_gbps", f.storage_gbps),
            ("storage_window_tb", f.storage_window_tb),
            ("flash_gbps", f.flash_gbps),
            ("flash_window_tb", f.flash_window_tb),
        ] {
            positive(v, &[Key("fill"), Key(key)])?;
        }
        Ok(())
    }
}

fn parse_start(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
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

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
seed = 1
start = "2026-11-23T00:00:00Z"
horizon_hours = 2.0

[world]
metros = 10
sites = 12

[catalog]
titles = 50

[demand]
members = 100000
"#;

    #[test]
    fn minimal_scenario_takes_defaults() {
        let s = Scenario::parse("min.toml", MINIMAL).expect("valid");
        assert_eq!(s.catalog.ladder.len(), 11);
        assert_eq!(s.world.origins.len(), 3);
        assert_eq!(s.demand.daily_curve.len(), 24);
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let bad = MINIMAL.replace("sites = 12", "sites = = 12");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("bad.toml", 9), "{e}");
        assert!(e.column > 1, "{e}");
    }

    #[test]
    fn wrong_type_and_unknown_key_are_located() {
        let bad = MINIMAL.replace("titles = 50", "titles = \"many\"");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!((e.line, e.column), (12, 10), "{e}");
        let bad = MINIMAL.replace("sites = 12", "sites = 12\nsitez = 3");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!((e.line, e.column), (10, 1), "{e}");
        assert!(e.message.contains("sitez"), "{e}");
    }

    #[test]
    fn semantic_error_points_at_the_value() {
        let bad = MINIMAL.replace("members = 100000", "members = 100000\nzipf_exponent = -1.0");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!((e.line, e.column), (16, 17), "{e}");
        assert!(e.message.contains("demand.zipf_exponent") && e.message.contains("expected"), "{e}");

        let bad = MINIMAL.replace("members = 100000", "members = 100000\ndaily_curve = [1.0, 2.0]");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!(e.line, 16, "{e}");
        assert!(e.message.contains("24 hourly weights"), "{e}");

        let bad = MINIMAL.replace("sites = 12", "sites = 12\norigins = [\"us-east-1\", \"mars-1\"]");
        let e = Scenario::parse("bad.toml", &bad).unwrap_err();
        assert_eq!((e.line, e.column), (10, 25), "{e}");
    }
}
