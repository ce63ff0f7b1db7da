//! The mirror's configuration (TOML): where the deployment is, and how its metrics map onto the twin's KPIs and
//! site states. Credentials are never in it: they come through the standard AWS chain (environment, a named
//! profile, SSO, an instance role); `profile` only says which profile. `endpoint_url` (or `AWS_ENDPOINT_URL` in
//! the environment) points every call at an emulator. Every value is checked, and an error names the file, the
//! line and column of the value, and what was expected.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use twin::InputError;
use twin::kpi::KpiId;
use twin::region::ORIGIN_REGIONS;

/// Statistics the mirror asks CloudWatch for (those every CloudWatch, and the emulator, computes).
pub const STATISTICS: [&str; 5] = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"];
/// What a site metric stands for in the twin's site state.
pub const SITE_STATES: [&str; 3] = ["egress_gbps", "utilization", "up"];
/// CloudWatch's limits: dimensions on a metric, and characters in a name or value.
const MAX_DIMENSIONS: usize = 30;
const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorConfig {
    /// What the console's connection panel calls the deployment.
    pub name: String,
    /// The AWS region calls go to unless a source names its own.
    pub region: Spanned<String>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
    #[serde(default = "default_poll")]
    pub poll_seconds: Spanned<u64>,
    #[serde(default)]
    pub cloudwatch: CloudWatch,
    #[serde(default)]
    pub autoscaling: Vec<Group>,
    #[serde(default)]
    pub s3: Buckets,
    #[serde(default)]
    pub health: Vec<HealthEndpoint>,
}

fn default_poll() -> Spanned<u64> {
    Spanned::new(0..0, 60)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatch {
    /// The namespace of the metrics below unless one names its own, and the period they are read at.
    #[serde(default = "default_namespace")]
    pub namespace: Spanned<String>,
    #[serde(default = "default_period")]
    pub period_seconds: Spanned<u32>,
    #[serde(default)]
    pub kpi: Vec<KpiMetric>,
    #[serde(default)]
    pub site: Vec<SiteMetric>,
}

impl Default for CloudWatch {
    fn default() -> CloudWatch {
        CloudWatch {
            namespace: default_namespace(),
            period_seconds: default_period(),
            kpi: Vec::new(),
            site: Vec::new(),
        }
    }
}

fn default_namespace() -> Spanned<String> {
    Spanned::new(0..0, "edgetwin".into())
}

fn default_period() -> Spanned<u32> {
    Spanned::new(0..0, 60)
}

/// A CloudWatch metric read as one of the twin's KPIs (`twin::kpi::KpiId` keys).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiMetric {
    pub kpi: Spanned<String>,
    pub metric: Metric,
}

/// A CloudWatch metric read as one site's state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteMetric {
    /// The site's name in the twin's world.
    pub site: String,
    /// `egress_gbps`, `utilization` (0–1) or `up` (1 in service, 0 out).
    pub state: Spanned<String>,
    pub metric: Metric,
}

/// A CloudWatch metric: `{ name = "…", stat = "Average", dimensions = { Site = "…" } }`, in the section's
/// namespace unless it names its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: Spanned<String>,
    #[serde(default)]
    pub namespace: Option<Spanned<String>>,
    #[serde(default = "default_stat")]
    pub stat: Spanned<String>,
    #[serde(default = "no_dimensions")]
    pub dimensions: Spanned<BTreeMap<String, String>>,
}

fn no_dimensions() -> Spanned<BTreeMap<String, String>> {
    Spanned::new(0..0, BTreeMap::new())
}

fn default_stat() -> Spanned<String> {
    Spanned::new(0..0, "Average".into())
}

/// An Auto Scaling group: the control plane of one origin region.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub region: Spanned<String>,
    pub name: Spanned<String>,
}

/// The deployment's buckets: the S3 origin, the thumbnails, and where ingest takes deliveries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buckets {
    pub origin: Option<Spanned<String>>,
    pub thumbnails: Option<Spanned<String>>,
    pub ingest: Option<Spanned<String>>,
}

/// A site's health endpoint: JSON with its health, load and egress.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthEndpoint {
    pub site: String,
    pub url: Spanned<String>,
}

/// Where a value is wrong, and what was expected.
struct Wrong {
    at: usize,
    expected: String,
}

fn check(ok: bool, at: &Spanned<impl Sized>, expected: impl Into<String>) -> Result<(), Wrong> {
    if ok { Ok(()) } else { Err(Wrong { at: at.span().start, expected: expected.into() }) }
}

impl MirrorConfig {
    /// Reads and checks the configuration at `path`.
    pub fn load(path: &Path) -> Result<MirrorConfig, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read the mirror configuration: {e}"),
        })?;
        MirrorConfig::parse(&path.display().to_string(), &text)
    }

    /// Parses and checks a configuration; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<MirrorConfig, InputError> {
        let config: MirrorConfig = toml::from_str(text).map_err(|e| {
            InputError::at_offset(file, text, e.span().map_or(0, |s| s.start), e.message().trim_end().to_string())
        })?;
        config.validate().map_err(|w| InputError::at_offset(file, text, w.at, format!("expected {}", w.expected)))?;
        Ok(config)
    }

    /// The endpoint calls go to: the configuration's, else `AWS_ENDPOINT_URL`'s, else AWS's own.
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint_url.as_ref().map(|u| u.get_ref().clone()).or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
    }

    fn validate(&self) -> Result<(), Wrong> {
        check(
            aws_region(self.region.get_ref()),
            &self.region,
            format!("an AWS region such as us-east-1, found {:?}", self.region.get_ref()),
        )?;
        if let Some(url) = &self.endpoint_url {
            check(http_url(url.get_ref()), url, format!("an http:// or https:// URL, found {:?}", url.get_ref()))?;
        }
        let poll = *self.poll_seconds.get_ref();
        check(
            (10..=3600).contains(&poll),
            &self.poll_seconds,
            format!("10 to 3600 seconds between polls, found {poll}"),
        )?;
        let cw = &self.cloudwatch;
        check(name(&cw.namespace), &cw.namespace, "a namespace of 1 to 255 characters")?;
        let period = *cw.period_seconds.get_ref();
        check(
            period >= 60 && period.is_multiple_of(60) && period <= 86_400,
            &cw.period_seconds,
            format!("a whole number of minutes from 60 to 86400 seconds (CloudWatch's periods), found {period}"),
        )?;
        let mut mapped: Vec<&str> = Vec::new();
        for k in &cw.kpi {
            let key = k.kpi.get_ref().as_str();
            let keys: Vec<&str> = KpiId::ALL.iter().map(|k| k.key()).collect();
            check(keys.contains(&key), &k.kpi, format!("one of the twin's KPIs ({}), found {key:?}", keys.join(", ")))?;
            check(!mapped.contains(&key), &k.kpi, format!("one metric per KPI; {key} is mapped already"))?;
            mapped.push(key);
            k.metric.validate()?;
        }
        for s in &cw.site {
            let state = s.state.get_ref().as_str();
            check(
                SITE_STATES.contains(&state),
                &s.state,
                format!("one of {}, found {state:?}", SITE_STATES.join(", ")),
            )?;
            s.metric.validate()?;
        }
        for g in &self.autoscaling {
            let region = g.region.get_ref().as_str();
            let origins: Vec<&str> = ORIGIN_REGIONS.iter().map(|o| o.0).collect();
            check(
                origins.contains(&region),
                &g.region,
                format!("an origin region ({}), found {region:?}", origins.join(", ")),
            )?;
            check(name(&g.name), &g.name, "a group name of 1 to 255 characters")?;
        }
        for b in [&self.s3.origin, &self.s3.thumbnails, &self.s3.ingest].into_iter().flatten() {
            check(
                bucket_name(b.get_ref()),
                b,
                format!("an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-'), found {:?}", b.get_ref()),
            )?;
        }
        for h in &self.health {
            check(
                http_url(h.url.get_ref()),
                &h.url,
                format!("an http:// or https:// URL, found {:?}", h.url.get_ref()),
            )?;
        }
        Ok(())
    }
}

impl Metric {
    fn validate(&self) -> Result<(), Wrong> {
        check(name(&self.name), &self.name, "a metric name of 1 to 255 characters")?;
        if let Some(ns) = &self.namespace {
            check(name(ns), ns, "a namespace of 1 to 255 characters")?;
        }
        let stat = self.stat.get_ref().as_str();
        check(STATISTICS.contains(&stat), &self.stat, format!("one of {}, found {stat:?}", STATISTICS.join(", ")))?;
        let dims = self.dimensions.get_ref();
        check(dims.len() <= MAX_DIMENSIONS, &self.dimensions, format!("at most {MAX_DIMENSIONS} dimensions"))?;
        let fits = |s: &String| !s.is_empty() && s.chars().count() <= MAX_NAME_CHARS;
        check(
            dims.iter().all(|(k, v)| fits(k) && fits(v)),
            &self.dimensions,
            "dimension names and values of 1 to 255 characters",
        )
    }
}

fn name(s: &Spanned<String>) -> bool {
    let n = s.get_ref().chars().count();
    (1..=MAX_NAME_CHARS).contains(&n)
}

/// "us-east-1", "ap-southeast-2", "us-gov-west-1": lower-case words, the last a number.
pub(crate) fn aws_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.last().is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

pub(crate) fn http_url(u: &str) -> bool {
    let rest = u.strip_prefix("http://").or_else(|| u.strip_prefix("https://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// S3's rules for a bucket name (the common ones): 3 to 63 characters of a-z, 0-9, '.' and '-', starting and
/// ending with a letter or digit.
pub(crate) fn bucket_name(b: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&b.len()) && b.chars().all(ok_char) && edge(b.chars().next()) && edge(b.chars().last())
}

#[cfg(test)]
mod tests;
