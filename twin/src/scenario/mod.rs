//! Scenario files (TOML): what world to build, what catalog and demand to simulate, with which policies.
//!
//! Every knob has a default taken from public figures, or marked "assumed" where there is none (`defaults`),
//! so a scenario file only states what it changes, and a partial table takes defaults for the keys it leaves
//! out. `Scenario::parse` validates (`validate`) and returns a `ValidScenario`, the only thing a twin can be
//! built from; errors name file:line:column and what was expected.

mod defaults;
mod validate;

pub use validate::{
    MAX_APPLIANCES_PER_SITE, MAX_CODECS, MAX_INSTANCES, MAX_ISPS_PER_COUNTRY, MAX_METROS, MAX_RUNGS, MAX_SITES,
    MAX_TARGET_RPS, MAX_USD_PER_HOUR, MAX_VCPUS,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::OnlinePolicy;
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
    #[serde(default)]
    pub fleet: FleetSpec,
    #[serde(default)]
    pub ingest: IngestSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// Members live in this many of the most populous metros (from assets/metros.csv).
    pub metros: usize,
    /// Countries where the service is not offered (ISO 3166 alpha-2).
    #[serde(default = "defaults::unavailable_countries")]
    pub unavailable_countries: Vec<String>,
    /// Number of edge sites (clusters of appliances).
    pub sites: usize,
    /// Share of the sites that sit at public exchange points (IXPs); the rest are embedded in ISPs.
    #[serde(default = "defaults::ixp_share")]
    pub ixp_share: f64,
    /// Most ISPs any one country has; the largest countries have this many, each with a market share.
    #[serde(default = "defaults::isps_per_country")]
    pub isps_per_country: usize,
    /// An ISP's members may be served by that ISP's own site in another metro up to this far away.
    #[serde(default = "defaults::max_in_isp_km")]
    pub max_in_isp_km: f64,
    /// Members are steered to IXP sites of their own region, and to IXPs of another region up to this far
    /// away (peering reach); bytes from another region count as transit.
    #[serde(default = "defaults::ixp_reach_km")]
    pub ixp_reach_km: f64,
    /// Appliance mixes for ISP-embedded sites, drawn by weight.
    #[serde(default = "defaults::embedded_mix")]
    pub embedded_mix: Vec<SiteProfile>,
    /// Appliance mixes for IXP sites, drawn by weight.
    #[serde(default = "defaults::ixp_mix")]
    pub ixp_mix: Vec<SiteProfile>,
    /// AWS regions that hold the S3 origin and run the control plane.
    #[serde(default = "defaults::origins")]
    pub origins: Vec<String>,
    /// How the ISP or exchange provisions each site's ports (its egress capacity).
    #[serde(default)]
    pub ports: PortSpec,
    /// Egress of each origin region to the backbone.
    #[serde(default = "defaults::origin_egress_gbps")]
    pub origin_egress_gbps: f64,
    /// Capacity of each backbone link.
    #[serde(default = "defaults::backbone_link_gbps")]
    pub backbone_link_gbps: f64,
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

/// A site's egress is the lesser of its appliances' and its ports'. The ISP (or exchange) sizes the ports
/// from the peak it expects the site to serve, times a headroom that varies from one operator to the next,
/// in whole port steps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortSpec {
    pub headroom_median: f64,
    /// Log-space spread of the headroom between operators.
    pub headroom_sigma: f64,
    pub step_gbps: f64,
}

/// Open Connect appliances (openconnect.netflix.com hardware page): storage ≈ 360 TB / 96 Gbps,
/// flash ≈ 24 TB / 190 Gbps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApplianceSpecs {
    pub storage: ApplianceSpec,
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
    /// Movies and series. A series has seasons of episodes; each movie and episode is a video.
    pub titles: usize,
    /// Share of titles that are movies; the rest are series.
    #[serde(default = "defaults::movie_title_share")]
    pub movie_share: f64,
    /// Seasons of a series and episodes of a season, each drawn uniformly from [min, max].
    #[serde(default = "defaults::seasons_per_series")]
    pub seasons_per_series: [u32; 2],
    #[serde(default = "defaults::episodes_per_season")]
    pub episodes_per_season: [u32; 2],
    #[serde(default = "defaults::movie_minutes")]
    pub movie_minutes: [f64; 2],
    #[serde(default = "defaults::episode_minutes")]
    pub episode_minutes: [f64; 2],
    /// Back-catalogue titles were released uniformly this many days before the start.
    #[serde(default = "defaults::back_catalog_days")]
    pub back_catalog_days: f64,
    /// Share of titles that are recent or upcoming releases, released within ± `recent_window_days`.
    #[serde(default = "defaults::recent_share")]
    pub recent_share: f64,
    #[serde(default = "defaults::recent_window_days")]
    pub recent_window_days: f64,
    /// Hour of the day (UTC) titles go live on their release day.
    #[serde(default = "defaults::release_hour_utc")]
    pub release_hour_utc: f64,
    #[serde(default = "defaults::genres")]
    pub genres: Vec<String>,
    /// Codec families, each with its bitrate ladder: every video is encoded in each (one file per rung).
    #[serde(default = "defaults::codecs")]
    pub codecs: Vec<CodecSpec>,
    /// Audio and text tracks, stored as one more file per video.
    #[serde(default)]
    pub audio: AudioSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CodecSpec {
    pub name: String,
    pub ladder: Vec<Rung>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    pub kbps: u32,
    pub resolution: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AudioSpec {
    /// Audio tracks per video (languages × formats), and their mean bitrate.
    pub tracks: u32,
    pub track_kbps: f64,
    /// The one audio track a play streams beside the video.
    pub stream_kbps: u32,
    /// Subtitle and caption tracks per video, and their mean bitrate.
    pub subtitle_tracks: u32,
    pub subtitle_kbps: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    pub members: u64,
    /// Relative share of each region's people who are members; members are spread over metros by
    /// population × this.
    #[serde(default)]
    pub members_per_capita: RegionWeights,
    #[serde(default = "defaults::viewing_hours")]
    pub viewing_hours_per_member_day: f64,
    /// Title popularity ∝ 1 / rank^exponent.
    #[serde(default = "defaults::zipf")]
    pub zipf_exponent: f64,
    /// Log-space spread of a title's appeal from one region to the next.
    #[serde(default = "defaults::taste_sigma")]
    pub regional_taste_sigma: f64,
    /// Extra appeal of a title in its home region.
    #[serde(default = "defaults::home_boost")]
    pub home_region_boost: f64,
    /// Appeal multiplier on release day, decaying exponentially with `new_release_decay_days`.
    #[serde(default = "defaults::new_release_boost")]
    pub new_release_boost: f64,
    #[serde(default = "defaults::new_release_decay")]
    pub new_release_decay_days: f64,
    /// Further appeal multiplier in a launch's first hours (fans watching at once), decaying with
    /// `launch_spike_hours`.
    #[serde(default = "defaults::launch_spike")]
    pub launch_spike: f64,
    #[serde(default = "defaults::launch_spike_hours")]
    pub launch_spike_hours: f64,
    /// Weekend days carry this much more viewing than weekdays.
    #[serde(default = "defaults::weekend_factor")]
    pub weekend_factor: f64,
    /// Share of plays that are movies on weekdays and at weekends (movies lean to weekends).
    #[serde(default = "defaults::movie_play_weekday")]
    pub movie_play_share_weekday: f64,
    #[serde(default = "defaults::movie_play_weekend")]
    pub movie_play_share_weekend: f64,
    /// Relative viewing in each local hour 00..23: peak 21–23 h, trough 05–06 h.
    #[serde(default = "defaults::daily_curve")]
    pub daily_curve: Vec<f64>,
    #[serde(default = "defaults::devices")]
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
    /// In `region::REGIONS` order.
    pub fn values(&self) -> [f64; 6] {
        [self.na, self.sa, self.eu, self.af, self.r#as, self.oc]
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    pub name: String,
    pub share: f64,
    /// Highest bitrate this device class may play.
    pub max_kbps: u32,
    /// Codec families it decodes, preferred first; a play uses the first the catalogue has.
    pub codecs: Vec<String>,
    /// Median access throughput, and its log-space spread.
    pub median_mbps: f64,
    pub sigma: f64,
    /// Last-mile round trip.
    pub access_rtt_ms: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlaybackSpec {
    /// Round trips to the control-plane region before the client contacts a site (the API fleet's latency for
    /// the play calls comes on top: `crate::fleet`).
    pub control_plane_round_trips: f64,
    pub player_init_ms: f64,
    /// Seconds of video buffered before the first frame, fetched at no more than `startup_max_kbps`.
    pub startup_buffer_s: f64,
    pub startup_max_kbps: u32,
    /// Seconds of video the player keeps buffered while playing; a throughput shortfall drains it first.
    pub buffer_s: f64,
    /// The player picks the highest rung at or below this share of measured throughput.
    pub abr_safety: f64,
    /// One long-haul TCP connection slows as round trip grows past this.
    pub rtt_reference_ms: f64,
    /// Krishnan & Sitaraman 2012: abandonment starts past 2 s of startup, then +5.8% per extra second.
    pub abandon_after_s: f64,
    pub abandon_per_s: f64,
    /// Median stall a member sits through before giving up on a play, and its log-space spread.
    pub stall_patience_s: f64,
    pub stall_patience_sigma: f64,
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
    /// How many plays of evidence the prior counts for: a video seen less than this leans on its prior.
    pub prior_plays: f64,
    /// Days of demand observed before the start (without delivery), so predictions start warm.
    pub burn_in_days: u32,
    /// A file gets one more replica across a cluster's appliances for each this share of the cluster's
    /// predicted bytes it carries (replicas ∝ popularity).
    pub replica_load_share: f64,
    /// A file already planned for a cluster ranks as if this share more popular, so prediction noise does not
    /// churn the edge of the disk.
    pub incumbent_bonus: f64,
    /// A file the members' other sites already plan to hold counts this share of its popularity: at an IXP
    /// (behind the members' in-ISP sites) and at a site striped after its peers. A second copy is worth only
    /// the load it takes and the outages it covers, so the disk goes to what the members lack.
    pub covered_weight: f64,
    /// Embedded sites of one ISP in one metro reach the same members: their cluster's plan comes in this many
    /// stripes, each planned after the ones before with what they hold discounted to `covered_weight`, and the
    /// peers take stripes in turn, so together they cover more of the tail (1, the default: every peer holds
    /// the same).
    pub peer_stripes: u32,
}

/// How a site chooses its content. Named in files and flags as "proactive", "oracle", or a cache policy's name
/// ("lru", "lfu", "fifo", "sieve", "s3fifo", "arc").
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(try_from = "String", into = "String")]
pub enum PlacementKind {
    /// Nightly manifests from predicted popularity, filled in off-peak windows (Open Connect's way).
    Proactive,
    /// Proactive placement that knows the coming day's real demand: the yardstick.
    Oracle,
    /// A reactive cache: a miss is fetched at once and admitted, evicting by the policy.
    Reactive(OnlinePolicy),
}

impl PlacementKind {
    pub const ALL: [PlacementKind; 8] = [
        PlacementKind::Proactive,
        PlacementKind::Oracle,
        PlacementKind::Reactive(OnlinePolicy::Lru),
        PlacementKind::Reactive(OnlinePolicy::Lfu),
        PlacementKind::Reactive(OnlinePolicy::Fifo),
        PlacementKind::Reactive(OnlinePolicy::Sieve),
        PlacementKind::Reactive(OnlinePolicy::S3Fifo),
        PlacementKind::Reactive(OnlinePolicy::Arc),
    ];
    pub fn name(self) -> &'static str {
        match self {
            PlacementKind::Proactive => "proactive",
            PlacementKind::Oracle => "oracle",
            PlacementKind::Reactive(p) => p.name(),
        }
    }
    pub fn parse(name: &str) -> Option<PlacementKind> {
        PlacementKind::ALL.into_iter().find(|k| k.name() == name)
    }
    pub fn is_reactive(self) -> bool {
        matches!(self, PlacementKind::Reactive(_))
    }
    /// Every name, for messages.
    pub fn names() -> String {
        PlacementKind::ALL.map(|k| k.name()).join(", ")
    }
}

impl TryFrom<String> for PlacementKind {
    type Error = String;
    fn try_from(name: String) -> Result<PlacementKind, String> {
        PlacementKind::parse(&name)
            .ok_or_else(|| format!("unknown placement {name:?}: expected one of {}", PlacementKind::names()))
    }
}

impl From<PlacementKind> for String {
    fn from(k: PlacementKind) -> String {
        k.name().to_string()
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

/// A scenario that passed validation: the only thing a twin can be built from. It derefs to the scenario;
/// changing it goes through `edit`, which validates again.
#[derive(Clone, Debug)]
pub struct ValidScenario(Scenario);

impl std::ops::Deref for ValidScenario {
    type Target = Scenario;
    fn deref(&self) -> &Scenario {
        &self.0
    }
}

impl ValidScenario {
    /// The same scenario with another seed (every seed is valid).
    pub fn with_seed(mut self, seed: u64) -> ValidScenario {
        self.0.seed = seed;
        self
    }

    /// Changes the scenario in code and validates the result; errors name `source` and the key at fault.
    pub fn edit(self, source: &str, change: impl FnOnce(&mut Scenario)) -> Result<ValidScenario, InputError> {
        let mut s = self.0;
        change(&mut s);
        s.validated(source)
    }

    /// The start instant.
    pub fn start_utc(&self) -> DateTime<Utc> {
        validate::parse_start(&self.0.start).unwrap_or_default()
    }

    pub fn into_inner(self) -> Scenario {
        self.0
    }
}

impl Scenario {
    /// Parses and validates scenario text. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<ValidScenario, InputError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            InputError::at_offset(file, text, offset, e.message().trim_end().to_string())
        })?;
        scenario.validate().map_err(|invalid| invalid.locate(file, text))?;
        Ok(ValidScenario(scenario))
    }

    /// Validates a scenario built or changed in code; errors name `source` and the key at fault.
    pub fn validated(self, source: &str) -> Result<ValidScenario, InputError> {
        let text = toml::to_string(&self).unwrap_or_default();
        self.validate().map_err(|invalid| invalid.locate(source, &text))?;
        Ok(ValidScenario(self))
    }
}

#[cfg(test)]
mod tests;

/// The control plane: one EC2 Auto Scaling group of API instances per origin region, serving the members that
/// region serves (`crate::fleet`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetSpec {
    /// The instance type: its name, vCPUs and on-demand price.
    pub instance_type: String,
    pub instance_vcpus: u32,
    pub instance_usd_per_hour: f64,
    /// Pending to in service: boot, application start and load-balancer registration.
    pub launch_s: u32,
    /// A new instance's metrics count towards scaling only after this long in service.
    pub warmup_s: u32,
    /// Group size limits, and instances protected from scale-in.
    pub min: u32,
    pub max: u32,
    pub protected: u32,
    /// Target tracking: the metric held at `target` (CPU as a share, or requests a second per instance).
    pub metric: ScalingMetric,
    pub target: f64,
    /// No scale-in for this long after any scaling activity.
    pub scale_in_cooldown_s: u32,
    /// Every group's policy, unless `groups` names another for its region.
    pub policy: ScalingKind,
    /// Predictive scaling has instances in service this long before the forecast load arrives.
    pub predictive_buffer_s: u32,
    /// Clients give up on an API call after this long (the call fails).
    pub timeout_ms: f64,
    /// The p95 API latency the fleet is run to: a minute above it is a violation.
    pub latency_slo_ms: f64,
    /// Instances that fail (and are replaced) per instance-day.
    pub instance_failures_per_day: f64,
    /// Per-region overrides.
    pub groups: Vec<GroupSpec>,
}

/// Ingest's function pool: serverless functions with the limits a real pool has (`crate::ingest`). The
/// defaults are AWS Lambda's, where a figure is public.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSpec {
    /// Functions that may run at once (across every job).
    pub concurrency: u32,
    /// Each function's memory, which decides its CPU (`vcpus`).
    pub memory_mb: u32,
    /// Most an invocation may run; a task that needs longer fails.
    pub timeout_s: f64,
    /// Start-up of a function with no warm instance to run on, and how long an idle instance stays warm.
    pub cold_start_s: f64,
    pub keep_warm_s: f64,
    /// Share of invocations that fail for a passing reason, retries of a failed task, and the wait before the
    /// first retry (doubling after each).
    pub failure_rate: f64,
    pub max_retries: u32,
    pub backoff_s: f64,
    /// Price per GB-second of billed duration.
    pub usd_per_gb_s: f64,
    /// Seconds of source each encode task takes.
    pub chunk_s: f64,
    /// A function's throughput to and from the object store, MB/s.
    pub storage_mb_per_s: f64,
    /// Titles ingest can add to a running twin: the catalogue reserves this many places for them at build
    /// (every per-file table is sized then), each filled when a job is stored in the origin.
    pub title_slots: u32,
}

/// One region's group, where it differs from `[fleet]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// An origin region of `[world] origins`.
    pub region: String,
    pub policy: Option<ScalingKind>,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

/// What target tracking holds at its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalingMetric {
    /// Average CPU utilisation of the instances in service (AWS `ASGAverageCPUUtilization`).
    Cpu,
    /// Requests a second per instance in service (AWS `ALBRequestCountPerTarget`, per second).
    Requests,
}

/// How a group decides its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalingKind {
    /// Target tracking alone: react to the metric.
    TargetTracking,
    /// Predictive scaling from the past days' curve, with target tracking beside it (the larger wins).
    Predictive,
}

impl ScalingKind {
    pub fn name(self) -> &'static str {
        match self {
            ScalingKind::TargetTracking => "target-tracking",
            ScalingKind::Predictive => "predictive",
        }
    }
}
