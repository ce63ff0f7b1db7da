//! Against the emulator (moto), which the test command starts and names in AWS_ENDPOINT_URL: the twin's KPIs
//! published with PutMetricData are read back with GetMetricData, the same values, in batches and pages.

mod support;

use connectors::cloudwatch::{self, Point, Query};
use support::emulator;
use twin::kpi::KpiId;

#[tokio::test]
async fn kpis_published_by_a_twin_run_are_read_back_with_the_same_values() {
    let (url, _moto) = emulator().await;
    let client = cloudwatch::client("us-east-1", Some(&url), None).await;
    // Two hours of a twin's KPIs, one point a minute each, timestamped from a recent whole hour.
    let mut twin = twin::Twin::default_scenario().unwrap();
    twin.advance_minutes(120);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let start = (now - 4 * 3600).div_euclid(3600) * 3600;
    let kpis = [KpiId::OffloadPct, KpiId::EdgeGbps, KpiId::StartupP95Ms, KpiId::ActiveSessions, KpiId::RebufferPct];
    let dims = vec![("Scope".to_string(), "world".to_string())];
    let mut points = Vec::new();
    for k in kpis {
        for (m, sample) in twin.kpis().iter().enumerate() {
            let value = sample.value(k).unwrap_or(0.0);
            points.push(Point { metric: k.key().into(), dimensions: dims.clone(), t_s: start + 60 * m as i64, value });
        }
    }
    assert_eq!(points.len(), 5 * 120);
    let calls = cloudwatch::publish(&client, "edgetwin-test", &points).await.unwrap();
    assert_eq!(calls, 1, "600 points fit one call");
    let queries: Vec<Query> = kpis
        .iter()
        .map(|k| Query {
            namespace: "edgetwin-test".into(),
            metric: k.key().into(),
            dimensions: dims.clone(),
            stat: "Average".into(),
        })
        .collect();
    let read = cloudwatch::read(&client, &queries, start, start + 120 * 60, 60).await.unwrap();
    for (k, series) in kpis.iter().zip(&read) {
        let expected: Vec<(i64, f64)> =
            points.iter().filter(|p| p.metric == k.key()).map(|p| (p.t_s, p.value)).collect();
        assert_eq!(series.len(), expected.len(), "{}", k.key());
        for (got, want) in series.iter().zip(&expected) {
            assert_eq!(got.0, want.0, "{}", k.key());
            assert!((got.1 - want.1).abs() <= 1e-9 * want.1.abs().max(1.0), "{}: {got:?} vs {want:?}", k.key());
        }
    }
}
