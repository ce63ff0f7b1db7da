//! The value every scenario knob takes when a file leaves it out, with its source, or "assumed" where no
//! public figure exists.

use super::*;

pub fn unavailable_countries() -> Vec<String> {
    // Netflix is not offered in China, Russia (since 2022), North Korea and Syria.
    ["CN", "RU", "KP", "SY"].map(String::from).to_vec()
}
pub fn ixp_share() -> f64 {
    0.12
}
pub fn isps_per_country() -> usize {
    6
}
pub fn max_in_isp_km() -> f64 {
    1500.0
}
pub fn ixp_reach_km() -> f64 {
    // Assumed: members reach an exchange of a neighbouring region across about one sea or border (North
    // Africa to Marseille, the Gulf to Europe).
    2500.0
}
pub fn embedded_mix() -> Vec<SiteProfile> {
    vec![
        SiteProfile { storage: 0, flash: 1, weight: 0.45 },
        SiteProfile { storage: 1, flash: 0, weight: 0.30 },
        SiteProfile { storage: 1, flash: 1, weight: 0.20 },
        SiteProfile { storage: 2, flash: 2, weight: 0.05 },
    ]
}
pub fn ixp_mix() -> Vec<SiteProfile> {
    vec![SiteProfile { storage: 2, flash: 2, weight: 0.6 }, SiteProfile { storage: 4, flash: 4, weight: 0.4 }]
}
pub fn origins() -> Vec<String> {
    ["us-east-1", "us-west-2", "eu-west-1"].map(String::from).to_vec()
}
pub fn origin_egress_gbps() -> f64 {
    // Assumed: what an origin region streams to the backbone when edge sites miss (S3 itself scales further).
    4000.0
}
pub fn backbone_link_gbps() -> f64 {
    // Assumed: a backbone link of 8 × 100G waves.
    800.0
}
impl Default for PortSpec {
    fn default() -> Self {
        // Assumed: operators buy ports for the peak they forecast plus 40% (from 10% to over 100% between
        // operators), in 10G steps (Open Connect appliances connect at 10G or 100G).
        PortSpec { headroom_median: 1.4, headroom_sigma: 0.25, step_gbps: 10.0 }
    }
}
impl Default for ApplianceSpecs {
    fn default() -> Self {
        ApplianceSpecs {
            storage: ApplianceSpec { disk_tb: 360.0, egress_gbps: 96.0 },
            flash: ApplianceSpec { disk_tb: 24.0, egress_gbps: 190.0 },
        }
    }
}
pub fn movie_title_share() -> f64 {
    // Netflix's H1 2023 engagement report lists 18,214 titles, a season of a series counting as one; about
    // half of what it streams by title count are films.
    0.5
}
pub fn seasons_per_series() -> [u32; 2] {
    // Assumed: most series run one to four seasons.
    [1, 4]
}
pub fn episodes_per_season() -> [u32; 2] {
    // Assumed: streaming seasons run 6 to 13 episodes.
    [6, 13]
}
pub fn movie_minutes() -> [f64; 2] {
    [85.0, 150.0]
}
pub fn episode_minutes() -> [f64; 2] {
    [22.0, 60.0]
}
pub fn back_catalog_days() -> f64 {
    1500.0
}
pub fn recent_share() -> f64 {
    0.04
}
pub fn recent_window_days() -> f64 {
    14.0
}
pub fn release_hour_utc() -> f64 {
    // Netflix originals go live at 00:00 Pacific time: 08:00 UTC.
    8.0
}
pub fn genres() -> Vec<String> {
    ["drama", "comedy", "action", "thriller", "documentary", "kids", "anime", "romance", "horror", "reality"]
        .map(String::from)
        .to_vec()
}
pub fn codecs() -> Vec<CodecSpec> {
    let ladder = |rungs: &[(u32, &str)]| {
        rungs.iter().map(|&(kbps, r)| Rung { kbps, resolution: r.to_string() }).collect::<Vec<_>>()
    };
    vec![
        // H.264/AVC: Netflix's old fixed ladder (Per-Title Encode Optimization, 2015).
        CodecSpec {
            name: "avc".into(),
            ladder: ladder(&[
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
            ]),
        },
        // HEVC, for 4K and HDR sets: 4K at about 16 Mbps (Netflix help centre); the lower rungs assumed.
        CodecSpec {
            name: "hevc".into(),
            ladder: ladder(&[
                (560, "640x360"),
                (1050, "768x432"),
                (1750, "960x540"),
                (3000, "1280x720"),
                (5800, "1920x1080"),
                (8000, "2560x1440"),
                (16000, "3840x2160"),
            ]),
        },
        // AV1: assumed about 30% below HEVC at equal quality (Netflix tech blog, 2021: AV1 streams need
        // markedly fewer bits than the codecs before it).
        CodecSpec {
            name: "av1".into(),
            ladder: ladder(&[
                (375, "640x360"),
                (750, "768x432"),
                (1250, "960x540"),
                (2000, "1280x720"),
                (3500, "1920x1080"),
                (5000, "2560x1440"),
                (11000, "3840x2160"),
            ]),
        },
    ]
}
impl Default for AudioSpec {
    fn default() -> Self {
        // Assumed: eight audio tracks (original language and dubs, in stereo AAC at 96–192 kbps and Dolby
        // Digital Plus 5.1 at 448–640 kbps), a play streaming one at 256 kbps; thirty subtitle tracks.
        AudioSpec { tracks: 8, track_kbps: 320.0, stream_kbps: 256, subtitle_tracks: 30, subtitle_kbps: 0.5 }
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
pub fn viewing_hours() -> f64 {
    // About 550 M hours a day across about 230 M members (Netflix H1 2023 engagement report: 100 B hours).
    550.0 / 230.0
}
pub fn zipf() -> f64 {
    0.9
}
pub fn taste_sigma() -> f64 {
    0.7
}
pub fn home_boost() -> f64 {
    3.0
}
pub fn new_release_boost() -> f64 {
    12.0
}
pub fn new_release_decay() -> f64 {
    7.0
}
pub fn launch_spike() -> f64 {
    // Assumed: fans watch a launch at once, tripling its appeal in its first hours.
    3.0
}
pub fn launch_spike_hours() -> f64 {
    6.0
}
pub fn weekend_factor() -> f64 {
    1.15
}
pub fn movie_play_weekday() -> f64 {
    0.3
}
pub fn movie_play_weekend() -> f64 {
    0.45
}
pub fn daily_curve() -> Vec<f64> {
    // Local hours 00..23. Evening peak 21–23 h, trough 05–06 h; peak/trough ≈ 7.
    vec![
        0.75, 0.5, 0.32, 0.22, 0.16, 0.14, 0.15, 0.22, 0.3, 0.36, 0.42, 0.48, //
        0.55, 0.58, 0.6, 0.64, 0.7, 0.78, 0.88, 0.97, 1.0, 1.05, 1.02, 0.92,
    ]
}
pub fn devices() -> Vec<DeviceSpec> {
    let d = |name: &str, share, max_kbps, codecs: &[&str], median_mbps, sigma, access_rtt_ms| DeviceSpec {
        name: name.to_string(),
        share,
        max_kbps,
        codecs: codecs.iter().map(|c| c.to_string()).collect(),
        median_mbps,
        sigma,
        access_rtt_ms,
    };
    // Assumed: TVs are about 70% of viewing, most of it on sets that decode HEVC; recent sets, browsers and
    // phones take AV1 (Netflix tech blog: AV1 on TVs since 2021, on Android since 2020).
    vec![
        d("tv-4k", 0.2, 16000, &["av1", "hevc", "avc"], 40.0, 0.8, 12.0),
        d("tv-hd", 0.35, 5800, &["hevc", "avc"], 30.0, 0.8, 12.0),
        d("desktop", 0.15, 5800, &["av1", "avc"], 25.0, 0.8, 12.0),
        d("tablet", 0.1, 4300, &["hevc", "avc"], 15.0, 0.9, 18.0),
        d("phone", 0.2, 1750, &["av1", "avc"], 8.0, 1.0, 35.0),
    ]
}
impl Default for PlaybackSpec {
    fn default() -> Self {
        PlaybackSpec {
            // Assumed: two round trips (TLS resumption, the play call).
            control_plane_round_trips: 2.0,
            player_init_ms: 150.0,
            startup_buffer_s: 4.0,
            startup_max_kbps: 1750,
            // Assumed: a minute of video buffered ahead while playing.
            buffer_s: 60.0,
            abr_safety: 0.75,
            rtt_reference_ms: 60.0,
            abandon_after_s: 2.0,
            abandon_per_s: 0.058,
            // Assumed: half the members give up after a minute of stalls, a few sit through several.
            stall_patience_s: 60.0,
            stall_patience_sigma: 1.0,
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
            prior_plays: 20.0,
            burn_in_days: 14,
            replica_load_share: 0.02,
            incumbent_bonus: 0.3,
            covered_weight: 0.2,
            // Off by default: at Netflix scale a second stripe per cluster doubles the plans' share of the
            // cache on the play path and costs about 10% of simulation speed (lp-small turns it on).
            peer_stripes: 1,
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

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            // m5.2xlarge: 8 vCPUs, $0.384 an hour on demand in us-east-1 (AWS EC2 on-demand pricing, Linux).
            instance_type: "m5.2xlarge".into(),
            instance_vcpus: 8,
            instance_usd_per_hour: 0.384,
            // Assumed: 4 minutes from launch to in service for a JVM service behind a load balancer; AWS's
            // default instance warm-up is 300 s.
            launch_s: 240,
            warmup_s: 300,
            min: 2,
            max: 20_000,
            protected: 0,
            // Assumed: CPU held at 50%, headroom for a failed zone (Netflix runs its services at about that).
            metric: ScalingMetric::Cpu,
            target: 0.5,
            // AWS's default scale-in cooldown for simple policies; target tracking scales in as cautiously.
            scale_in_cooldown_s: 300,
            policy: ScalingKind::TargetTracking,
            // AWS predictive scaling's default scheduling buffer is 300 s.
            predictive_buffer_s: 300,
            // Assumed: a 1 s client timeout per API call, and a 250 ms p95 objective.
            timeout_ms: 1000.0,
            latency_slo_ms: 250.0,
            // Assumed: about one instance in 500 fails a day.
            instance_failures_per_day: 0.002,
            groups: Vec::new(),
        }
    }
}

impl Default for IngestSpec {
    fn default() -> Self {
        IngestSpec {
            // AWS Lambda: 1,000 concurrent executions per account and region by default, up to 10,240 MB of
            // memory (6 vCPUs) and a 15-minute timeout; two retries for asynchronous invocations; $0.0000166667
            // per GB-second on x86 (us-east-1).
            concurrency: 1000,
            memory_mb: 10_240,
            timeout_s: 900.0,
            // Assumed: a container image carrying ffmpeg starts in about 2 s, and an idle instance is kept
            // about 10 minutes.
            cold_start_s: 2.0,
            keep_warm_s: 600.0,
            // Assumed: one invocation in 500 fails for a passing reason; the first retry after 1 s.
            failure_rate: 0.002,
            max_retries: 2,
            backoff_s: 1.0,
            usd_per_gb_s: 0.000_016_666_7,
            // Assumed: one-minute chunks (Netflix's chunked encoding splits titles into chunks of a few minutes;
            // shorter ones finish inside a function's time limit at the costliest rungs).
            chunk_s: 60.0,
            // Assumed: about 90 MB/s between one function and S3.
            storage_mb_per_s: 90.0,
            title_slots: 64,
        }
    }
}
