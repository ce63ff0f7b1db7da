use super::*;

const EXAMPLE: &str = include_str!("../../../assets/mirror/local.toml");

#[test]
fn the_example_configuration_reads() {
    let c = MirrorConfig::parse("local.toml", EXAMPLE).unwrap();
    assert_eq!((c.name.as_str(), c.region.get_ref().as_str()), ("local demo", "us-east-1"));
    assert_eq!(c.endpoint().as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!((*c.poll_seconds.get_ref(), *c.cloudwatch.period_seconds.get_ref()), (60, 60));
    let kpis: Vec<&str> = c.cloudwatch.kpi.iter().map(|k| k.kpi.get_ref().as_str()).collect();
    assert_eq!(kpis, ["offload_pct", "edge_gbps", "active_sessions", "startup_p95_ms"]);
    let site = &c.cloudwatch.site[0];
    let expected = ("London IXP #1", "Average");
    assert_eq!((site.site.as_str(), site.metric.stat.get_ref().as_str()), expected, "the default stat");
    assert_eq!(site.metric.dimensions.get_ref().get("Site").map(String::as_str), Some("London IXP #1"));
    assert_eq!(c.autoscaling.len(), 2);
    assert_eq!(c.s3.ingest.as_ref().map(|b| b.get_ref().as_str()), Some("edgetwin-ingest"));
    assert_eq!(c.health[0].url.get_ref(), "http://127.0.0.1:8081/sites/london-ixp-1/health");
}

/// The example with `from` replaced by `to` (once): the error's line, column and message.
fn error_of(from: &str, to: &str) -> (usize, usize, String) {
    assert!(EXAMPLE.contains(from), "{from:?} is not in the example");
    let text = EXAMPLE.replacen(from, to, 1);
    let e = MirrorConfig::parse("local.toml", &text).err().unwrap_or_else(|| panic!("{to:?} was taken"));
    assert_eq!(e.file, "local.toml");
    (e.line, e.column, e.message)
}

/// Line and column (1-based) of the first `needle` after replacing.
fn position(from: &str, to: &str, needle: &str) -> (usize, usize) {
    let text = EXAMPLE.replacen(from, to, 1);
    let at = text.find(needle).unwrap();
    let e = InputError::at_offset("", &text, at, "");
    (e.line, e.column)
}

#[test]
fn every_bad_value_is_refused_at_its_line_and_column_with_what_was_expected() {
    let cases: [(&str, &str, &str, &str); 12] = [
        ("region = \"us-east-1\"", "region = \"Mars\"", "\"Mars\"", "an AWS region"),
        ("\"http://127.0.0.1:5000\"", "\"ftp://x\"", "\"ftp://x\"", "http:// or https://"),
        ("poll_seconds = 60", "poll_seconds = 1", "1\n", "10 to 3600 seconds"),
        ("period_seconds = 60", "period_seconds = 90", "90", "whole number of minutes"),
        ("kpi = \"edge_gbps\"", "kpi = \"happiness\"", "\"happiness\"", "one of the twin's KPIs"),
        (
            "kpi = \"edge_gbps\"",
            "kpi = \"offload_pct\"",
            "\"offload_pct\"\nmetric = { name = \"EdgeGbps\"",
            "one metric per KPI",
        ),
        ("stat = \"Maximum\"", "stat = \"p99\"", "\"p99\"", "one of Sum, Average, Minimum, Maximum, SampleCount"),
        ("state = \"egress_gbps\"", "state = \"mood\"", "\"mood\"", "one of egress_gbps, utilization, up"),
        ("region = \"eu-west-1\"", "region = \"eu-north-9\"", "\"eu-north-9\"", "an origin region"),
        ("origin = \"edgetwin-origin-us-east-1\"", "origin = \"Bad_Bucket\"", "\"Bad_Bucket\"", "an S3 bucket name"),
        (
            "\"http://127.0.0.1:8081/sites/london-ixp-1/health\"",
            "\"localhost:8081\"",
            "\"localhost:8081\"",
            "http:// or https://",
        ),
        ("name = \"OffloadPct\"", "name = \"\"", "\"\", stat", "a metric name"),
    ];
    for (from, to, needle, expected) in cases {
        let (line, column, message) = error_of(from, to);
        assert!(message.contains(expected), "{to}: {message}");
        // The duplicate KPI is reported at its second mapping.
        let at = if expected == "one metric per KPI" {
            let text = EXAMPLE.replacen(from, to, 1);
            let second = text.match_indices("\"offload_pct\"").nth(1).unwrap().0;
            let e = InputError::at_offset("", &text, second, "");
            (e.line, e.column)
        } else {
            position(from, to, needle)
        };
        assert_eq!((line, column), at, "{to}: {message}");
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_located_and_a_missing_file_is_named() {
    let (line, _, message) = error_of("poll_seconds = 60", "poll_seconds = 60\nsecret_key = \"x\"");
    assert_eq!(line, 8);
    assert!(message.contains("secret_key"), "{message}");
    let (line, _, message) = error_of("poll_seconds = 60", "poll_seconds = \"often\"");
    assert_eq!(line, 7);
    assert!(message.contains("\"often\", expected u64"), "{message}");
    let e = MirrorConfig::load(Path::new("/nonexistent/mirror.toml")).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/mirror.toml:1:1: cannot read"), "{e}");
}
