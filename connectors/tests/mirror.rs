//! Against the emulator (moto): the demo deployment made from a twin run is mirrored source by source (groups,
//! buckets, CloudWatch, site health) with values that match what was written; actions land in the deployment;
//! and faults put between the mirror and the emulator by the fault proxy show as each source's state and clear
//! when the fault does.

mod support;

use std::time::{Duration, Instant};

use connectors::actions::{Action, IngestMetadata, ingest_keys};
use connectors::autoscaling;
use connectors::demo;
use connectors::fault::FaultKind;
use connectors::fault_proxy::{self, FaultProxy};
use connectors::mirror::{Mirror, MirrorState, SourceState};
use connectors::source::SourceKind;
use support::{SITE, config, emulator, health_endpoint, now_s};

/// Waits (polling now and then) until `done` holds of the mirror's state; fails with the state if it never does.
async fn until(mirror: &Mirror, what: &str, done: impl Fn(&MirrorState) -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if done(&mirror.state()) {
            return;
        }
        mirror.poll_now();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let st = mirror.state();
    let states: Vec<String> =
        st.sources.iter().map(|s| format!("{} {} {}", s.name, s.state(now_s()).label(), s.reason(now_s()))).collect();
    panic!("never {what}: {states:#?}");
}

fn states(st: &MirrorState, kind: SourceKind) -> Vec<SourceState> {
    st.sources.iter().filter(|s| s.kind == kind).map(|s| s.state(now_s())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_deployment_is_mirrored_with_the_values_written() {
    let (url, _moto) = emulator().await;
    let health = health_endpoint(r#"{"health": "degraded", "load": 0.97, "egress_gbps": 412.5}"#).await;
    let config = config(&url, &health.url);
    let mut twin = twin::Twin::default_scenario().unwrap();
    twin.advance_minutes(18 * 60);
    let report = demo::create(&config, &mut twin, 90, now_s()).await.unwrap();
    assert_eq!((report.buckets, report.groups, report.objects), (3, 2, 8 * 3 * 6));
    assert_eq!(report.points, 3 * 90, "two KPIs and a site's egress, a point a minute for 90 minutes");

    let mirror = tokio::task::spawn_blocking(move || Mirror::start(&config, None).unwrap()).await.unwrap();
    until(&mirror, "all ok", |st| st.sources.iter().all(|s| s.state(now_s()) == SourceState::Ok)).await;
    let st = mirror.state().clone();
    let kinds: Vec<SourceKind> = st.sources.iter().map(|s| s.kind).collect();
    use SourceKind::*;
    assert_eq!(kinds, [CloudWatch, AutoScaling, AutoScaling, S3, S3, S3, Health]);

    // CloudWatch: each KPI's 90 minutes, equal to the twin's.
    let history = twin.kpis();
    let last: Vec<_> = history.iter().skip(history.len() - 90).collect();
    for (kpi, points) in &st.observed.kpis {
        assert_eq!(points.len(), 90, "{kpi:?}");
        for (p, sample) in points.iter().zip(&last) {
            let want = sample.value(*kpi).unwrap();
            assert!((p.1 - want).abs() <= 1e-9 * want.abs().max(1.0), "{kpi:?}: {} read, {want} published", p.1);
        }
    }
    let site = &st.observed.sites[SITE];
    let (t, egress) = site.egress_gbps.unwrap();
    assert_eq!(t % 60, 0, "aligned to the minute");
    let i = twin.snapshot().model.world.sites.iter().position(|s| s.name == SITE).unwrap();
    assert!((egress - twin.snapshot().sites[i].egress_gbps as f64).abs() < 1e-6, "the site's egress as it ended");
    // Health: what the endpoint said.
    let (_, h) = site.health.as_ref().unwrap();
    assert_eq!((h.health, h.load, h.egress_gbps), (connectors::health::Health::Degraded, 0.97, 412.5));
    // Groups: sized as the twin's control plane ended, in both regions.
    let fleet = &twin.snapshot().fleet;
    for g in &st.observed.groups {
        let r = fleet.names.iter().position(|n| *n == g.region).unwrap();
        assert_eq!(g.desired, fleet.history[r].last().unwrap().desired.max(1), "{}", g.name);
        assert_eq!(g.in_service, g.desired, "the emulator starts every instance at once");
    }
    // Buckets: the origin's 144 objects; the others empty.
    let origin = st.observed.buckets.iter().find(|b| b.name == "edgetwin-origin-us-east-1").unwrap();
    assert_eq!(origin.stats.objects, 144);

    // Drawn through the twin's snapshot: the site as its health endpoint says, the origin bucket as listed, the
    // groups' limits; the rest as the twin simulated it.
    let base = twin.snapshot();
    let now = now_s();
    let overlaid = connectors::overlay::overlay(&base, &st, now);
    let s = &overlaid.snapshot;
    assert_eq!((s.sites[i].egress_gbps, s.sites[i].utilization), (412.5, 0.97));
    assert!(s.site_up[i], "degraded is in service");
    let j = (i + 1) % s.sites.len();
    assert_eq!(s.sites[j], base.sites[j], "a site not mirrored stays the twin's");
    let bucket = s.ingest.buckets.iter().find(|(n, _)| n == "edgetwin-origin-us-east-1").unwrap();
    assert_eq!((bucket.1.objects, bucket.1.bytes), (144, origin.stats.bytes));
    let r = s.fleet.names.iter().position(|n| n == "eu-west-1").unwrap();
    let g = st.observed.groups.iter().find(|g| g.region == "eu-west-1").unwrap();
    assert_eq!((s.fleet.policies[r].min, s.fleet.policies[r].max), (g.min, g.max));
    // The KPIs and the groups' polls as series on the twin's time axis: a reading d seconds old, d seconds
    // before the twin's present.
    let series = &overlaid.series;
    assert!(series.kpis_current && series.groups_current);
    let (kpi, points) = &st.observed.kpis[0];
    let drawn = series.kpi(*kpi).unwrap();
    assert_eq!(drawn.len(), points.len());
    for ((t, v), (drawn_t, drawn_v)) in points.iter().zip(drawn) {
        assert_eq!((drawn_t.0 as i64, drawn_v), (base.time.0 as i64 - (now - t), v));
    }
    let polls = series.group(r).unwrap();
    assert_eq!(polls.last().unwrap().1.desired, g.desired);
    assert!(series.kpi(twin::KpiId::RebufferPct).is_none(), "a KPI not mapped is not drawn");
    assert_eq!(overlaid.carried.len(), 5, "{:?}", overlaid.carried);

    // Play forward: the twin seeded with the site, the groups and the origin's contents.
    let seed = connectors::seed::seed(&st, &base);
    let mut forward = twin.clone();
    for c in seed.commands {
        forward.apply(c).unwrap();
    }
    forward.advance_minutes(1);
    let after = forward.snapshot();
    let bucket = after.ingest.buckets.iter().find(|(n, _)| n == "edgetwin-origin-us-east-1").unwrap();
    assert_eq!((bucket.1.objects, bucket.1.bytes), (144, origin.stats.bytes), "{:?}", seed.notes);
    assert!(after.site_up[i]);
    for g in &st.observed.groups {
        let r = after.fleet.names.iter().position(|n| *n == g.region).unwrap();
        assert_eq!((after.fleet.policies[r].min, after.fleet.policies[r].max), (g.min, g.max));
        assert_eq!(after.fleet.history[r].last().unwrap().desired, g.desired.clamp(g.min, g.max), "{}", g.name);
    }
    assert!(seed.notes.iter().any(|n| n.contains("s3://test-ingest") && n.contains("left out")), "{:?}", seed.notes);

    // Set desired capacity, as an action: the group's state matches after.
    let east = st.observed.groups.iter().find(|g| g.region == "us-east-1").unwrap();
    let (group, wanted) = (east.name.clone(), east.desired + 3);
    mirror.act(Action::SetDesired { group: group.clone(), desired: wanted });
    until(&mirror, "the new desired capacity seen", |st| {
        st.observed.groups.iter().any(|g| g.name == group && g.desired == wanted && g.in_service == wanted)
    })
    .await;
    // And what AWS itself says, straight.
    let client = autoscaling::client("us-east-1", Some(&url), None).await;
    let direct = autoscaling::describe(&client, "us-east-1", std::slice::from_ref(&group), 10).await.unwrap();
    assert_eq!(direct[0].desired, wanted);
    // A group the configuration does not name: refused, logged, and nothing sent.
    mirror.act(Action::SetDesired { group: "someone-elses-group".into(), desired: 1 });
    until(&mirror, "the refusal logged", |st| st.actions.len() == 2).await;
    let st = mirror.state().clone();
    assert!(st.actions[0].outcome.is_ok(), "{:?}", st.actions[0]);
    let refused = st.actions[1].outcome.as_ref().unwrap_err();
    assert!(refused.contains("request refused") && refused.contains("someone-elses-group"), "{refused}");
    // A group that is not there fails its source, naming it.
    let err = autoscaling::describe(&client, "us-east-1", &["no-such-group".into()], 1).await.unwrap_err();
    assert!(err.kind == FaultKind::Rejected && err.message.contains("no-such-group"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_action_uploads_the_source_with_its_metadata_and_a_fill_request_is_written() {
    let (url, _moto) = emulator().await;
    let health = health_endpoint(r#"{"health": "ok", "load": 0.4, "egress_gbps": 10}"#).await;
    let config = config(&url, &health.url);
    let mut twin = twin::Twin::default_scenario().unwrap();
    demo::create(&config, &mut twin, 5, now_s()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("edgetwin-action-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("harbor.mp4");
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&source, &bytes).unwrap();
    let metadata = IngestMetadata {
        title: "Harbor Lights".into(),
        genre: "drama".into(),
        regions: vec!["EU".into(), "US".into()],
        release_in_hours: 6.0,
    };
    let mirror = tokio::task::spawn_blocking(move || Mirror::start(&config, None).unwrap()).await.unwrap();
    mirror.act(Action::UploadIngest { source: source.clone(), metadata: metadata.clone() });
    mirror.act(Action::RequestFill { scope: "London IXP #1".into() });
    until(&mirror, "both actions through", |st| st.actions.len() == 2 && st.acting == 0).await;
    let log = mirror.state().actions.clone();
    assert!(log.iter().all(|a| a.outcome.is_ok()), "{log:?}");
    for a in &log {
        let text = format!("{a:?}");
        assert!(!text.contains("testing"), "no credentials in the log: {text}");
    }

    let s3 = connectors::s3::client("us-east-1", Some(&url), None).await;
    let (source_key, metadata_key) = ingest_keys("Harbor Lights", "harbor.mp4");
    let got = s3.get_object().bucket("test-ingest").key(&source_key).send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), bytes.as_slice(), "the source, byte for byte");
    let got = s3.get_object().bucket("test-ingest").key(&metadata_key).send().await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&got.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(json["srcVideo"], source_key.as_str());
    assert_eq!(json["title"], "Harbor Lights");
    assert_eq!(json["genre"], "drama");
    assert_eq!(json["regions"], serde_json::json!(["EU", "US"]));
    assert_eq!(json["releaseInHours"], 6.0);
    // The mirror's inventory of the ingest bucket sees the source, the metadata and the fill request.
    until(&mirror, "the ingest bucket relisted", |st| {
        st.observed.buckets.iter().any(|b| b.name == "test-ingest" && b.stats.objects == 3)
    })
    .await;
    let st = mirror.state().clone();
    let ingest = st.observed.buckets.iter().find(|b| b.name == "test-ingest").unwrap();
    let fill: Vec<_> = ingest.list("fill-requests/", "", 10).map(|(k, _)| k.to_string()).collect();
    assert_eq!(fill.len(), 1);
    assert!(fill[0].ends_with("-london-ixp--1.json"), "{fill:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_show_as_each_sources_state_and_clear_when_the_fault_does() {
    let (url, _moto) = emulator().await;
    let health = health_endpoint(r#"{"health": "ok", "load": 0.4, "egress_gbps": 10}"#).await;
    let mut twin = twin::Twin::default_scenario().unwrap();
    demo::create(&config(&url, &health.url), &mut twin, 30, now_s()).await.unwrap();
    // Every source through the proxy: AWS's endpoint, and the health endpoint.
    let aws = FaultProxy::start(&url).await.unwrap();
    let site = FaultProxy::start(health.url.trim_end_matches("/health")).await.unwrap();
    let config = config(&aws.url(), &format!("{}/health", site.url()));
    let mirror = tokio::task::spawn_blocking(move || Mirror::start(&config, None).unwrap()).await.unwrap();
    until(&mirror, "all ok", |st| st.sources.iter().all(|s| s.state(now_s()) == SourceState::Ok)).await;

    let cases = [
        (fault_proxy::Fault::Throttle, SourceState::Throttled, FaultKind::Throttled),
        (fault_proxy::Fault::ServerError, SourceState::Failing, FaultKind::ServerError),
        (fault_proxy::Fault::BadCredentials, SourceState::Failing, FaultKind::Credentials),
        (fault_proxy::Fault::Malformed, SourceState::Failing, FaultKind::Malformed),
        (fault_proxy::Fault::Truncate, SourceState::Failing, FaultKind::Malformed),
        (fault_proxy::Fault::Refuse, SourceState::Failing, FaultKind::Unreachable),
    ];
    for (fault, state, kind) in cases {
        aws.set(fault);
        site.set(fault);
        let what = format!("every source {} under {fault:?}", state.label());
        until(&mirror, &what, |st| {
            st.sources.iter().all(|s| s.state(now_s()) == state && s.fault.as_ref().is_some_and(|f| f.kind == kind))
        })
        .await;
        let st = mirror.state().clone();
        for s in &st.sources {
            let reason = s.reason(now_s());
            assert!(reason.starts_with(kind.label()), "{}: {reason}", s.name);
            assert!(!reason.contains("testing"), "no credentials in a reason: {reason}");
            assert!(s.last_good_s.is_some(), "the last good data is kept: {}", s.name);
        }
        assert!(!st.observed.groups.is_empty() && !st.observed.kpis.is_empty(), "what was mirrored stays");
        aws.set(fault_proxy::Fault::None);
        site.set(fault_proxy::Fault::None);
        until(&mirror, &format!("recovered from {fault:?}"), |st| {
            st.sources.iter().all(|s| s.state(now_s()) == SourceState::Ok)
        })
        .await;
    }
    // A slow answer is still an answer; its latency shows.
    aws.set(fault_proxy::Fault::Delay(Duration::from_millis(700)));
    let before = mirror.state().sources[0].polls;
    until(&mirror, "a slow poll", |st| st.sources[0].polls > before + 1).await;
    let st = mirror.state().clone();
    assert_eq!(st.sources[0].state(now_s()), SourceState::Ok);
    assert!(st.sources[0].latency_ms.unwrap() >= 700.0, "{:?}", st.sources[0].latency_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_that_stopped_coming_show_the_source_as_stale() {
    let (url, _moto) = emulator().await;
    let health = health_endpoint(r#"{"health": "ok", "load": 0.4, "egress_gbps": 10}"#).await;
    let config = config(&url, &health.url);
    let mut twin = twin::Twin::default_scenario().unwrap();
    // The twin's metrics, ending 40 minutes ago: three periods and CloudWatch's lag are 8 minutes.
    demo::create(&config, &mut twin, 60, now_s() - 40 * 60).await.unwrap();
    let mirror = tokio::task::spawn_blocking(move || Mirror::start(&config, None).unwrap()).await.unwrap();
    until(&mirror, "every source polled", |st| st.sources.iter().all(|s| s.polls > 0)).await;
    let st = mirror.state().clone();
    assert_eq!(states(&st, SourceKind::CloudWatch), [SourceState::Stale]);
    let reason = st.sources[0].reason(now_s());
    assert!(reason.starts_with("newest data is 4"), "{reason}");
    assert_eq!(states(&st, SourceKind::S3), [SourceState::Ok; 3]);
    assert_eq!(st.observed.kpis[0].1.len(), 60, "stale data is still shown, marked");
}
