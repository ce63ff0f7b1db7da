use super::*;

const MINIMAL: &str = r#"name = "t"
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

/// MINIMAL with `key = value` set in `section` ("" for the top level): the key's line is replaced if MINIMAL
/// has it, else the line goes right under the section's header, or into a new section at the end. Returns the
/// text and the 1-based line of the key.
fn with(section: &str, key: &str, value: &str) -> (String, usize) {
    let line = format!("{key} = {value}");
    let mut lines: Vec<String> = MINIMAL.lines().map(String::from).collect();
    let header = format!("[{section}]");
    let start = if section.is_empty() { Some(0) } else { lines.iter().position(|l| *l == header).map(|i| i + 1) };
    match start {
        Some(start) => {
            let end = lines[start..].iter().position(|l| l.starts_with('[')).map_or(lines.len(), |i| start + i);
            match (start..end).find(|&i| lines[i].starts_with(&format!("{key} ="))) {
                Some(i) => lines[i] = line,
                None => lines.insert(start + (section.is_empty() as usize), line),
            }
        }
        None => {
            lines.push(header);
            lines.push(line);
        }
    }
    let n = lines.iter().position(|l| l.starts_with(&format!("{key} ="))).expect("placed") + 1;
    (lines.join("\n") + "\n", n)
}

#[test]
fn minimal_scenario_takes_defaults() {
    let s = Scenario::parse("min.toml", MINIMAL).expect("valid");
    assert_eq!(s.catalog.codecs.len(), 3);
    assert_eq!(s.world.origins.len(), 3);
    assert_eq!(s.demand.daily_curve.len(), 24);
}

#[test]
fn a_partial_table_takes_defaults_for_the_rest() {
    for (section, key, value) in [
        ("playback", "base_ebvs", "0.02"),
        ("policy", "max_churn_share", "0.2"),
        ("fill", "window_hours", "10.0"),
        ("world.ports", "step_gbps", "100.0"),
        ("catalog.audio", "tracks", "4"),
        ("fill.escalation", "max_hops", "2"),
    ] {
        let (text, _) = with(section, key, value);
        let s = Scenario::parse("p.toml", &text).unwrap_or_else(|e| panic!("[{section}] {key} alone: {e}"));
        assert_eq!(s.playback.player_init_ms, PlaybackSpec::default().player_init_ms);
    }
}

/// Every validation rule, each with the values it must refuse (`inf` and `nan` wherever a float is read): the
/// error names the file, the key's line and the key, and says what was expected.
#[test]
fn every_invalid_value_is_refused_at_its_line() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("", "horizon_hours", &["0.0", "-1.0", "inf", "nan", "1e9"]),
        ("", "start", &["\"yesterday\""]),
        ("world", "metros", &["0", "20001"]),
        ("world", "sites", &["0", "100001"]),
        ("world", "ixp_share", &["-0.1", "1.5", "nan"]),
        ("world", "isps_per_country", &["0", "65"]),
        ("world", "max_in_isp_km", &["0.0", "inf"]),
        ("world", "ixp_reach_km", &["-1.0", "inf"]),
        ("world", "origin_egress_gbps", &["0.0", "inf", "nan"]),
        ("world", "backbone_link_gbps", &["-5.0", "nan"]),
        ("world", "origins", &["[\"mars-1\"]", "[\"us-east-1\", \"us-east-1\"]", "[]"]),
        (
            "world",
            "embedded_mix",
            &[
                "[]",
                "[{ weight = 0.0, flash = 1 }]",
                "[{ weight = inf, flash = 1 }]",
                "[{ weight = 1.0 }]",
                "[{ weight = 1.0, storage = 65 }]",
                "[{ weight = 1.0, storage = 40, flash = 40 }]",
            ],
        ),
        ("world", "ixp_mix", &["[{ weight = nan, storage = 1 }]"]),
        ("world.ports", "headroom_median", &["0.05", "inf", "nan"]),
        ("world.ports", "headroom_sigma", &["-1.0", "nan"]),
        ("world.ports", "step_gbps", &["0.0", "inf"]),
        ("appliances", "storage", &["{ disk_tb = inf, egress_gbps = 96.0 }", "{ disk_tb = 1.0, egress_gbps = 0.0 }"]),
        ("appliances", "flash", &["{ disk_tb = nan, egress_gbps = 96.0 }"]),
        ("catalog", "titles", &["0", "200001"]),
        ("catalog", "movie_share", &["1.1", "nan"]),
        ("catalog", "seasons_per_series", &["[0, 2]", "[3, 2]", "[1, 41]"]),
        ("catalog", "episodes_per_season", &["[1, 61]", "[0, 1]"]),
        ("catalog", "movie_minutes", &["[0.5, 90.0]", "[90.0, 300.0]", "[nan, 90.0]", "[90.0, inf]"]),
        ("catalog", "episode_minutes", &["[10.0, 5.0]"]),
        ("catalog", "back_catalog_days", &["0.0", "inf"]),
        ("catalog", "recent_share", &["2.0"]),
        ("catalog", "recent_window_days", &["0.0", "2000.0"]),
        ("catalog", "release_hour_utc", &["24.0", "-1.0", "nan"]),
        ("catalog", "genres", &["[]"]),
        (
            "catalog",
            "codecs",
            &[
                "[]",
                "[{ name = \"avc\", ladder = [] }]",
                "[{ name = \"avc\", ladder = [{ kbps = 500, resolution = \"a\" }, { kbps = 400, resolution = \"b\" }] }]",
                "[{ name = \"x\", ladder = [{ kbps = 0, resolution = \"a\" }] }]",
                "[{ name = \"\", ladder = [{ kbps = 10, resolution = \"a\" }] }]",
            ],
        ),
        ("catalog.audio", "tracks", &["0"]),
        ("catalog.audio", "track_kbps", &["inf", "0.0"]),
        ("catalog.audio", "stream_kbps", &["0"]),
        ("catalog.audio", "subtitle_tracks", &["1001"]),
        ("catalog.audio", "subtitle_kbps", &["nan", "-1.0"]),
        ("demand", "members", &["0", "10000000001"]),
        (
            "demand",
            "members_per_capita",
            &[
                "{ NA = -1.0, SA = 0.0, EU = 0.0, AF = 0.0, AS = 0.0, OC = 0.0 }",
                "{ NA = 0.0, SA = 0.0, EU = 0.0, AF = 0.0, AS = 0.0, OC = 0.0 }",
                "{ NA = nan, SA = 0.0, EU = 0.0, AF = 0.0, AS = 0.0, OC = 0.0 }",
            ],
        ),
        ("demand", "viewing_hours_per_member_day", &["0.0", "25.0", "inf"]),
        ("demand", "zipf_exponent", &["-1.0", "nan"]),
        ("demand", "regional_taste_sigma", &["4.0"]),
        ("demand", "home_region_boost", &["0.0", "inf"]),
        ("demand", "new_release_boost", &["inf", "-1.0"]),
        ("demand", "new_release_decay_days", &["0.0"]),
        ("demand", "launch_spike", &["-1.0", "nan"]),
        ("demand", "launch_spike_hours", &["0.0"]),
        ("demand", "weekend_factor", &["0.0", "inf"]),
        ("demand", "movie_play_share_weekday", &["1.5"]),
        ("demand", "movie_play_share_weekend", &["nan"]),
        (
            "demand",
            "daily_curve",
            &[
                "[1.0]",
                "[nan, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
                "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
                "[inf, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
            ],
        ),
        (
            "demand",
            "devices",
            &[
                "[]",
                "[{ name = \"tv\", share = 0.0, max_kbps = 5800, codecs = [\"avc\"], median_mbps = 30.0, sigma = 0.8, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 1, codecs = [\"avc\"], median_mbps = 30.0, sigma = 0.8, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 5800, codecs = [\"h266\"], median_mbps = 30.0, sigma = 0.8, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 5800, codecs = [], median_mbps = 30.0, sigma = 0.8, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 5800, codecs = [\"avc\"], median_mbps = inf, sigma = 0.8, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 5800, codecs = [\"avc\"], median_mbps = 30.0, sigma = 4.0, access_rtt_ms = 12.0 }]",
                "[{ name = \"tv\", share = 1.0, max_kbps = 5800, codecs = [\"avc\"], median_mbps = 30.0, sigma = 0.8, access_rtt_ms = -1.0 }]",
            ],
        ),
        ("playback", "control_plane_round_trips", &["nan"]),
        ("playback", "player_init_ms", &["inf"]),
        ("playback", "startup_buffer_s", &["0.0", "nan"]),
        ("playback", "startup_max_kbps", &["0"]),
        ("playback", "buffer_s", &["-1.0", "inf"]),
        ("playback", "abr_safety", &["0.0", "1.5", "nan"]),
        ("playback", "rtt_reference_ms", &["0.0"]),
        ("playback", "abandon_after_s", &["inf"]),
        ("playback", "abandon_per_s", &["2.0"]),
        ("playback", "stall_patience_s", &["0.0", "inf"]),
        ("playback", "stall_patience_sigma", &["nan"]),
        ("playback", "base_ebvs", &["1.5"]),
        ("playback", "base_rebuffer", &["-0.1"]),
        ("playback", "movie_completion", &["nan"]),
        ("playback", "episode_completion", &["2.0"]),
        ("policy", "placement", &["\"magic\""]),
        ("policy", "overload_utilization", &["0.0", "1.5", "nan"]),
        ("policy", "max_churn_share", &["2.0"]),
        ("policy", "fill_headroom_share", &["0.95", "inf"]),
        ("policy", "history_weight", &["0.0", "nan"]),
        ("policy", "prior_plays", &["-1.0", "inf"]),
        ("policy", "burn_in_days", &["400"]),
        ("policy", "replica_load_share", &["0.0"]),
        ("policy", "incumbent_bonus", &["11.0"]),
        ("policy", "covered_weight", &["nan"]),
        ("policy", "peer_stripes", &["0", "9"]),
        ("fill", "window_start_hour", &["24.0", "nan"]),
        ("fill", "window_hours", &["0.0", "25.0"]),
        ("fill", "window_shift_hours", &["3.0"]),
        ("fill", "storage_gbps", &["0.0"]),
        ("fill", "storage_window_tb", &["inf"]),
        ("fill", "flash_gbps", &["nan"]),
        ("fill", "flash_window_tb", &["-1.0"]),
        ("fill.escalation", "max_hops", &["65"]),
        ("fill.escalation", "wait_minutes", &["100000"]),
        ("fleet", "instance_type", &["\"\""]),
        ("fleet", "instance_vcpus", &["0"]),
        ("fleet", "launch_s", &["4000"]),
        ("fleet", "max", &["0", "1000000"]),
        ("fleet", "min", &["30000"]),
        ("fleet", "metric", &["\"memory\""]),
        ("fleet", "target", &["1.5", "0.0", "nan"]),
        ("fleet", "policy", &["\"reactive\""]),
        ("fleet", "timeout_ms", &["0.0"]),
        ("fleet", "instance_failures_per_day", &["-1.0"]),
        ("fleet", "groups", &["[{ region = \"mars-1\" }]", "[{ region = \"us-east-1\", min = 5, max = 4 }]"]),
        ("ingest", "concurrency", &["0", "200000"]),
        ("ingest", "memory_mb", &["64", "20000"]),
        ("ingest", "timeout_s", &["0.0", "nan"]),
        ("ingest", "cold_start_s", &["-1.0"]),
        ("ingest", "failure_rate", &["1.0", "-0.1"]),
        ("ingest", "max_retries", &["1000"]),
        ("ingest", "chunk_s", &["0.0", "inf"]),
        ("ingest", "storage_mb_per_s", &["0.0"]),
    ];
    let mut checked = 0;
    for &(section, key, values) in cases {
        for value in values {
            let (text, line) = with(section, key, value);
            let e = match Scenario::parse("bad.toml", &text) {
                Ok(_) => panic!("[{section}] {key} = {value} was accepted"),
                Err(e) => e,
            };
            assert_eq!((e.file.as_str(), e.line), ("bad.toml", line), "[{section}] {key} = {value}: {e}");
            assert!(
                e.message.contains(key) || e.message.contains("expected") || e.message.contains("unknown variant"),
                "[{section}] {key} = {value}: {e}"
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked} cases");

    // A catalogue too large for the file budget is refused at its title count.
    let big = MINIMAL
        .replace("titles = 50", "titles = 200000\nseasons_per_series = [40, 40]\nepisodes_per_season = [60, 60]");
    let e = Scenario::parse("big.toml", &big).unwrap_err();
    assert_eq!(e.line, 11, "{e}");
    assert!(e.message.contains("files"), "{e}");
}

#[test]
fn syntax_error_names_line_and_column() {
    let bad = MINIMAL.replace("sites = 12", "sites = = 12");
    let e = Scenario::parse("bad.toml", &bad).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("bad.toml", 8), "{e}");
    assert!(e.column > 1, "{e}");
}

#[test]
fn wrong_type_and_unknown_key_are_located() {
    let bad = MINIMAL.replace("titles = 50", "titles = \"many\"");
    let e = Scenario::parse("bad.toml", &bad).unwrap_err();
    assert_eq!((e.line, e.column), (11, 10), "{e}");
    let bad = MINIMAL.replace("sites = 12", "sites = 12\nsitez = 3");
    let e = Scenario::parse("bad.toml", &bad).unwrap_err();
    assert_eq!((e.line, e.column), (9, 1), "{e}");
    assert!(e.message.contains("sitez"), "{e}");
}

#[test]
fn semantic_error_points_at_the_value() {
    let bad = MINIMAL.replace("members = 100000", "members = 100000\nzipf_exponent = -1.0");
    let e = Scenario::parse("bad.toml", &bad).unwrap_err();
    assert_eq!((e.line, e.column), (15, 17), "{e}");
    assert!(e.message.contains("demand.zipf_exponent") && e.message.contains("expected"), "{e}");
    let bad = MINIMAL.replace("sites = 12", "sites = 12\norigins = [\"us-east-1\", \"mars-1\"]");
    let e = Scenario::parse("bad.toml", &bad).unwrap_err();
    assert_eq!((e.line, e.column), (9, 25), "{e}");
}

#[test]
fn edits_are_validated_again() {
    let s = Scenario::parse("min.toml", MINIMAL).unwrap();
    let ok = s.clone().edit("edit", |s| s.policy.max_churn_share = 0.2).unwrap();
    assert_eq!(ok.policy.max_churn_share, 0.2);
    let e = s.edit("edit", |s| s.appliances.storage.disk_tb = f64::INFINITY).unwrap_err();
    assert_eq!(e.file, "edit");
    assert!(e.message.contains("appliances.storage.disk_tb"), "{e}");
}
