//! The mirror's sources, one per thing it reads: CloudWatch (every mapped metric in one batched read),
//! each region's Auto Scaling groups, each bucket's inventory, each site's health endpoint. A source is polled
//! on its own; what it brings back is an `Observation`. The mirror polls them on an interval, and `probe` once.

use std::time::Instant;

use twin::ingest::Bucket;
use twin::kpi::KpiId;

use crate::autoscaling::{self, GroupState};
use crate::cloudwatch::{self, Query};
use crate::config::{Metric, MirrorConfig};
use crate::fault::Fault;
use crate::health::{self, SiteHealth};
use crate::s3;

/// How far back CloudWatch is read each poll.
pub const WINDOW_S: i64 = 3 * 3600;
/// Scaling activities read per group.
pub const ACTIVITIES: i32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    CloudWatch,
    AutoScaling,
    S3,
    Health,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::CloudWatch => "CloudWatch",
            SourceKind::AutoScaling => "Auto Scaling",
            SourceKind::S3 => "S3",
            SourceKind::Health => "Site health",
        }
    }
}

/// What one source is, with its client.
pub enum Source {
    CloudWatch { client: aws_sdk_cloudwatch::Client, queries: Vec<(Target, Query)>, period_s: i64 },
    AutoScaling { client: aws_sdk_autoscaling::Client, region: String, groups: Vec<String> },
    S3 { client: aws_sdk_s3::Client, bucket: String, region: String },
    Health { client: reqwest::Client, site: String, url: String },
}

/// What a CloudWatch series stands for in the twin.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Kpi(KpiId),
    /// A site's state: `config::SITE_STATES`.
    Site {
        site: String,
        state: String,
    },
}

/// What a poll brought back.
#[derive(Clone, Debug)]
pub enum Observation {
    /// Each query's (time, value) points, oldest first, in the source's query order.
    Metrics(Vec<(Target, Vec<(i64, f64)>)>),
    Groups(Vec<GroupState>),
    Bucket(Bucket),
    Health {
        site: String,
        health: SiteHealth,
    },
}

impl Source {
    /// Every source the configuration names, with clients for its endpoint and regions.
    pub async fn all(config: &MirrorConfig) -> Vec<Source> {
        let endpoint = config.endpoint();
        let endpoint = endpoint.as_deref();
        let profile = config.profile.as_deref();
        let region = config.region.get_ref().as_str();
        let mut sources = Vec::new();
        let cw = &config.cloudwatch;
        let query = |m: &Metric| Query {
            namespace: m.namespace.as_ref().unwrap_or(&cw.namespace).get_ref().clone(),
            metric: m.name.get_ref().clone(),
            dimensions: m.dimensions.get_ref().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            stat: m.stat.get_ref().clone(),
        };
        let mut queries: Vec<(Target, Query)> = Vec::new();
        for k in &cw.kpi {
            if let Some(id) = KpiId::ALL.iter().find(|id| id.key() == k.kpi.get_ref()) {
                queries.push((Target::Kpi(*id), query(&k.metric)));
            }
        }
        for s in &cw.site {
            queries.push((Target::Site { site: s.site.clone(), state: s.state.get_ref().clone() }, query(&s.metric)));
        }
        if !queries.is_empty() {
            let client = cloudwatch::client(region, endpoint, profile).await;
            sources.push(Source::CloudWatch { client, queries, period_s: *cw.period_seconds.get_ref() as i64 });
        }
        let mut regions: Vec<&str> = config.autoscaling.iter().map(|g| g.region.get_ref().as_str()).collect();
        regions.dedup();
        for r in regions {
            let groups =
                config.autoscaling.iter().filter(|g| g.region.get_ref() == r).map(|g| g.name.get_ref().clone());
            let client = autoscaling::client(r, endpoint, profile).await;
            sources.push(Source::AutoScaling { client, region: r.to_string(), groups: groups.collect() });
        }
        let buckets = [&config.s3.origin, &config.s3.thumbnails, &config.s3.ingest];
        if buckets.iter().any(|b| b.is_some()) {
            let client = s3::client(region, endpoint, profile).await;
            for b in buckets.into_iter().flatten() {
                sources.push(Source::S3 { client: client.clone(), bucket: b.get_ref().clone(), region: region.into() });
            }
        }
        let http = health::client();
        for h in &config.health {
            sources.push(Source::Health { client: http.clone(), site: h.site.clone(), url: h.url.get_ref().clone() });
        }
        sources
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            Source::CloudWatch { .. } => SourceKind::CloudWatch,
            Source::AutoScaling { .. } => SourceKind::AutoScaling,
            Source::S3 { .. } => SourceKind::S3,
            Source::Health { .. } => SourceKind::Health,
        }
    }

    /// What the connection panel and the probe call it.
    pub fn name(&self) -> String {
        match self {
            Source::CloudWatch { queries, .. } => format!("CloudWatch: {} metric(s)", queries.len()),
            Source::AutoScaling { region, groups, .. } => format!("Auto Scaling {region}: {}", groups.join(", ")),
            Source::S3 { bucket, .. } => format!("S3 s3://{bucket}"),
            Source::Health { site, .. } => format!("Health {site}"),
        }
    }

    /// Polls once at `now_s` (seconds since the Unix epoch); returns what it read and how long it took.
    pub async fn poll(&self, now_s: i64) -> (Result<Observation, Fault>, f64) {
        let started = Instant::now();
        let result = match self {
            Source::CloudWatch { client, queries, period_s } => {
                let asked: Vec<Query> = queries.iter().map(|q| q.1.clone()).collect();
                cloudwatch::read(client, &asked, now_s - WINDOW_S, now_s + period_s, *period_s)
                    .await
                    .map(|series| Observation::Metrics(queries.iter().map(|q| q.0.clone()).zip(series).collect()))
            }
            Source::AutoScaling { client, region, groups } => {
                autoscaling::describe(client, region, groups, ACTIVITIES).await.map(Observation::Groups)
            }
            Source::S3 { client, bucket, region } => {
                s3::inventory(client, bucket, region, 1000).await.map(|(b, _)| Observation::Bucket(b))
            }
            Source::Health { client, site, url } => {
                health::read(client, url).await.map(|health| Observation::Health { site: site.clone(), health })
            }
        };
        (result, started.elapsed().as_secs_f64() * 1000.0)
    }
}
