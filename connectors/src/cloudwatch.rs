//! CloudWatch: the publisher writes the twin's KPIs with PutMetricData, so a local run can feed a real
//! CloudWatch dashboard; the source reads metrics back with GetMetricData. Both keep within the API's limits:
//! at most 1,000 data points a PutMetricData call, at most 500 queries a GetMetricData call, its pages followed
//! to the end, and times aligned to the period.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy, StandardUnit};

use crate::fault::{Fault, FaultKind, from_sdk};

/// Data points a PutMetricData call may carry, and queries a GetMetricData call may make.
pub const PUT_BATCH: usize = 1000;
pub const QUERY_BATCH: usize = 500;

/// One value of one metric at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    /// Seconds since the Unix epoch.
    pub t_s: i64,
    pub value: f64,
}

/// What to read: a metric with its dimensions and statistic.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
}

/// A client for the configured endpoint and region, with credentials from the standard chain.
pub async fn client(region: &str, endpoint: Option<&str>, profile: Option<&str>) -> Client {
    Client::new(&crate::sdk_config(region, endpoint, profile).await)
}

fn dimensions(d: &[(String, String)]) -> Vec<Dimension> {
    d.iter().map(|(k, v)| Dimension::builder().name(k).value(v).build()).collect()
}

/// Writes `points` into `namespace`, in calls of at most `PUT_BATCH`. Returns the calls made.
pub async fn publish(client: &Client, namespace: &str, points: &[Point]) -> Result<usize, Fault> {
    let mut calls = 0;
    for batch in points.chunks(PUT_BATCH) {
        let data: Vec<MetricDatum> = batch
            .iter()
            .map(|p| {
                MetricDatum::builder()
                    .metric_name(&p.metric)
                    .set_dimensions(Some(dimensions(&p.dimensions)))
                    .timestamp(DateTime::from_secs(p.t_s))
                    .value(p.value)
                    .unit(StandardUnit::None)
                    .build()
            })
            .collect();
        client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .map_err(|e| from_sdk("PutMetricData", e))?;
        calls += 1;
    }
    Ok(calls)
}

/// Reads each query's values over [from, to) at `period_s` (both ends aligned down to the period), in calls of
/// at most `QUERY_BATCH` queries, following every page. Returns, per query, its (time, value) pairs, oldest first.
pub async fn read(
    client: &Client,
    queries: &[Query],
    from_s: i64,
    to_s: i64,
    period_s: i64,
) -> Result<Vec<Vec<(i64, f64)>>, Fault> {
    let align = |t: i64| t.div_euclid(period_s) * period_s;
    let mut out = vec![Vec::new(); queries.len()];
    for (b, batch) in queries.chunks(QUERY_BATCH).enumerate() {
        let built: Vec<MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.metric)
                    .set_dimensions(Some(dimensions(&q.dimensions)))
                    .build();
                let stat = MetricStat::builder().metric(metric).period(period_s as i32).stat(&q.stat).build();
                MetricDataQuery::builder().id(format!("q{i}")).metric_stat(stat).return_data(true).build()
            })
            .collect();
        let mut token: Option<String> = None;
        loop {
            let page = client
                .get_metric_data()
                .set_metric_data_queries(Some(built.clone()))
                .start_time(DateTime::from_secs(align(from_s)))
                .end_time(DateTime::from_secs(align(to_s)))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| from_sdk("GetMetricData", e))?;
            for r in page.metric_data_results() {
                let Some(i) = r.id().and_then(|id| id.strip_prefix('q')).and_then(|n| n.parse::<usize>().ok()) else {
                    return Err(malformed(format!("an answer for an id it was not asked: {:?}", r.id())));
                };
                let Some(series) = out.get_mut(b * QUERY_BATCH + i) else {
                    return Err(malformed(format!("an answer for query {i}, of {} asked", batch.len())));
                };
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    series.push((t.secs(), *v));
                }
            }
            token = page.next_token().map(String::from);
            if token.is_none() {
                break;
            }
        }
    }
    for series in &mut out {
        series.sort_by_key(|p| p.0);
    }
    Ok(out)
}

fn malformed(what: String) -> Fault {
    Fault { kind: FaultKind::Malformed, message: format!("GetMetricData: {what}") }
}
