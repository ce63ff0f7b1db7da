//! A small demo deployment for the emulator, made from a twin run, so mirror mode can be seen with no AWS
//! account: the configuration's buckets (the origin holding a few titles' objects as ingest lays them out),
//! its Auto Scaling groups sized as the twin's control plane ended, the twin's KPIs and site states published
//! to CloudWatch as the last hours (ending now), and each health endpoint's answer as the twin's site ended.
//! `edgetwin mirror --config FILE --create-demo` and the connector tests make it.

use aws_sdk_s3::primitives::ByteStream;
use twin::Twin;
use twin::ingest::origin::title_key;

use crate::autoscaling;
use crate::cloudwatch::{self, Point};
use crate::config::{Metric, MirrorConfig};
use crate::fault::{Fault, FaultKind, from_sdk};
use crate::s3;

/// An AMI the emulator knows (moto's default images); real accounts never get a demo.
const DEMO_IMAGE: &str = "ami-12c6146b";
/// Titles whose objects the demo origin holds, and the rungs and segments of each.
const DEMO_TITLES: usize = 8;
const DEMO_RUNGS: [&str; 3] = ["480p_1050k", "720p_3000k", "1080p_5800k"];
const DEMO_SEGMENTS: u32 = 4;

/// What the demo made.
#[derive(Debug, Default, PartialEq)]
pub struct DemoReport {
    pub buckets: usize,
    pub objects: usize,
    pub groups: usize,
    pub points: usize,
    pub minutes: u64,
}

/// Runs `twin` `minutes` more and publishes those minutes of every mapped KPI and site state to the
/// configuration's CloudWatch (real or emulated), the newest at the last whole minute before `now_s`: a local run
/// feeding a CloudWatch dashboard. Returns the points written.
pub async fn publish_run(config: &MirrorConfig, twin: &mut Twin, minutes: u64, now_s: i64) -> Result<usize, Fault> {
    let endpoint = config.endpoint();
    let profile = config.profile.as_deref();
    let mut written = 0;

    // The twin's minutes, with the configured sites' states each minute.
    let site_index = |name: &str| twin.snapshot().model.world.sites.iter().position(|s| s.name == name);
    let sites: Vec<Option<usize>> = config.cloudwatch.site.iter().map(|s| site_index(&s.site)).collect();
    if let Some((s, _)) = config.cloudwatch.site.iter().zip(&sites).find(|(_, i)| i.is_none()) {
        return Err(rejected(format!("the twin has no site {:?} ([[cloudwatch.site]])", s.site)));
    }
    let mut site_series: Vec<Vec<f64>> = vec![Vec::new(); sites.len()];
    for _ in 0..minutes {
        twin.advance_minutes(1);
        let snap = twin.snapshot();
        for (series, (s, i)) in site_series.iter_mut().zip(config.cloudwatch.site.iter().zip(&sites)) {
            let i = i.unwrap_or(0);
            let m = &snap.sites[i];
            series.push(match s.state.get_ref().as_str() {
                "egress_gbps" => m.egress_gbps as f64,
                "utilization" => m.utilization as f64,
                _ => f64::from(u8::from(snap.site_up[i])),
            });
        }
    }

    // CloudWatch: the last `minutes` of each mapped KPI and site state, the newest at the last whole minute.
    let end = now_s.div_euclid(60) * 60;
    let at = |m: usize, n: usize| end - 60 * (n - 1 - m) as i64;
    let cw = &config.cloudwatch;
    let dims = |m: &Metric| m.dimensions.get_ref().iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let namespace = |m: &Metric| m.namespace.as_ref().unwrap_or(&cw.namespace).get_ref().clone();
    let mut by_namespace: Vec<(String, Vec<Point>)> = Vec::new();
    let mut add = |ns: String, p: Point| match by_namespace.iter_mut().find(|(n, _)| *n == ns) {
        Some((_, points)) => points.push(p),
        None => by_namespace.push((ns, vec![p])),
    };
    let history = twin.kpis();
    let kpis: Vec<_> = history.iter().skip(history.len().saturating_sub(minutes as usize)).collect();
    for k in &cw.kpi {
        let Some(id) = twin::kpi::KpiId::ALL.iter().find(|id| id.key() == k.kpi.get_ref()) else { continue };
        for (m, sample) in kpis.iter().enumerate() {
            let Some(value) = sample.value(*id).filter(|v| v.is_finite()) else { continue };
            let metric = k.metric.name.get_ref().clone();
            add(namespace(&k.metric), Point { metric, dimensions: dims(&k.metric), t_s: at(m, kpis.len()), value });
        }
    }
    for (s, series) in cw.site.iter().zip(&site_series) {
        for (m, &value) in series.iter().enumerate() {
            let metric = s.metric.name.get_ref().clone();
            add(namespace(&s.metric), Point { metric, dimensions: dims(&s.metric), t_s: at(m, series.len()), value });
        }
    }
    let client = cloudwatch::client(config.region.get_ref(), endpoint.as_deref(), profile).await;
    for (ns, points) in &by_namespace {
        cloudwatch::publish(&client, ns, points).await?;
        written += points.len();
    }
    Ok(written)
}

/// Runs `twin` `minutes` more, then writes the demo deployment at `now_s` through the configuration's endpoint.
pub async fn create(config: &MirrorConfig, twin: &mut Twin, minutes: u64, now_s: i64) -> Result<DemoReport, Fault> {
    let endpoint = config.endpoint();
    let endpoint = endpoint.as_deref();
    let region = config.region.get_ref().as_str();
    let profile = config.profile.as_deref();
    let points = publish_run(config, twin, minutes, now_s).await?;
    let mut report = DemoReport { minutes, points, ..DemoReport::default() };

    // S3: the buckets, and a few titles' objects in the origin.
    let s3c = s3::client(region, endpoint, profile).await;
    for b in [&config.s3.origin, &config.s3.thumbnails, &config.s3.ingest].into_iter().flatten() {
        let name = b.get_ref();
        match s3c.create_bucket().bucket(name).send().await {
            Ok(_) => report.buckets += 1,
            Err(e) => {
                let f = from_sdk(&format!("CreateBucket {name}"), e);
                if !f.message.contains("BucketAlreadyOwnedByYou") {
                    return Err(f);
                }
            }
        }
    }
    if let Some(origin) = &config.s3.origin {
        let bucket = origin.get_ref();
        let catalog = &twin.snapshot().model.catalog;
        for t in catalog.titles.iter().take(DEMO_TITLES) {
            let prefix = title_key(&t.name, None);
            for rung in DEMO_RUNGS {
                let kbps: u64 =
                    rung.split('_').nth(1).and_then(|k| k.trim_end_matches('k').parse().ok()).unwrap_or(1000);
                let mut objects = vec![
                    (format!("{prefix}/avc/{rung}/playlist.m3u8"), 240),
                    (format!("{prefix}/avc/{rung}/init.mp4"), 846),
                ];
                // A segment's size scaled down a thousandfold (the emulator keeps objects in memory).
                objects.extend(
                    (1..=DEMO_SEGMENTS)
                        .map(|n| (format!("{prefix}/avc/{rung}/seg_{n:05}.m4s"), (kbps * 500 / 1000) as usize)),
                );
                for (key, size) in objects {
                    s3c.put_object()
                        .bucket(bucket)
                        .key(&key)
                        .body(ByteStream::from(vec![0u8; size]))
                        .send()
                        .await
                        .map_err(|e| from_sdk(&format!("PutObject s3://{bucket}/{key}"), e))?;
                    report.objects += 1;
                }
            }
        }
    }

    // Auto Scaling: each group sized as the twin's control plane of its region ended.
    let snap = twin.snapshot();
    for g in &config.autoscaling {
        let (r, name) = (g.region.get_ref(), g.name.get_ref());
        let fleet = &snap.fleet;
        let i = fleet.names.iter().position(|n| n == r);
        let desired = i.and_then(|i| fleet.history[i].last()).map_or(2, |m| m.desired.max(1)) as i32;
        let (min, max) = i.map_or((1, 20), |i| (fleet.policies[i].min as i32, fleet.policies[i].max as i32));
        let client = autoscaling::client(r, endpoint, profile).await;
        let launch = format!("{name}-launch");
        client
            .create_launch_configuration()
            .launch_configuration_name(&launch)
            .image_id(DEMO_IMAGE)
            .instance_type(i.map_or("c5.large".to_string(), |i| fleet.policies[i].instance.name.clone()))
            .send()
            .await
            .map_err(|e| from_sdk(&format!("CreateLaunchConfiguration {launch}"), e))?;
        client
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_configuration_name(&launch)
            .min_size(min.min(desired))
            .max_size(max.max(desired))
            .desired_capacity(desired)
            .availability_zones(format!("{r}a"))
            .send()
            .await
            .map_err(|e| from_sdk(&format!("CreateAutoScalingGroup {name}"), e))?;
        report.groups += 1;
    }
    Ok(report)
}

/// What each configured health endpoint answers for the twin's site as it is now: (URL, JSON).
pub fn health_answers(config: &MirrorConfig, twin: &Twin) -> Result<Vec<(String, String)>, Fault> {
    let snap = twin.snapshot();
    let sites = &snap.model.world.sites;
    config
        .health
        .iter()
        .map(|h| {
            let Some(i) = sites.iter().position(|s| s.name == h.site) else {
                return Err(rejected(format!("the twin has no site {:?} ([[health]])", h.site)));
            };
            let m = &snap.sites[i];
            let health = match (snap.site_up[i], m.utilization) {
                (false, _) => "down",
                (true, u) if u >= 0.95 => "degraded",
                _ => "ok",
            };
            let json = serde_json::json!({ "health": health, "load": m.utilization, "egress_gbps": m.egress_gbps });
            Ok((h.url.get_ref().clone(), json.to_string()))
        })
        .collect()
}

fn rejected(message: String) -> Fault {
    Fault { kind: FaultKind::Rejected, message }
}
