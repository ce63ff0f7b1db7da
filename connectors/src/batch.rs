//! AWS Batch, for sweeps: the configuration (which queue, job definition and bucket), one array job per sweep
//! (one child per cell), its status (DescribeJobs' `arrayProperties.statusSummary`), its failed children
//! (ListJobs by `arrayJobId`, with each one's `statusReason`), terminating it, and S3 for what goes in and out.
//! `create_demo_queue` makes a compute environment, a queue and a job definition in an emulator. Credentials come
//! only from the standard AWS chain (environment, profile, SSO, an instance or task role).

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_batch::types::{
    ArrayProperties, CeState, CeType, ComputeEnvironmentOrder, ContainerOverrides, ContainerProperties,
    JobDefinitionType, JobStatus, JqState, ResourceRequirement, ResourceType, RetryStrategy,
};
use aws_sdk_s3::primitives::ByteStream;
use serde::Deserialize;
use toml::Spanned;
use twin::InputError;

use crate::fault::{Fault, FaultKind, from_sdk};

/// The most children one array job has (AWS Batch's limit), and the fewest an array job has.
pub const MAX_ARRAY_SIZE: u32 = 10_000;
pub const MIN_ARRAY_SIZE: u32 = 2;

/// Where a sweep runs on AWS Batch: `BATCH.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    pub region: Spanned<String>,
    pub job_queue: Spanned<String>,
    pub job_definition: Spanned<String>,
    /// Plans, scenarios and cells go to `s3://bucket/prefix/<sweep digest>/`.
    pub bucket: Spanned<String>,
    #[serde(default = "default_prefix")]
    pub prefix: Spanned<String>,
    /// Attempts per child (Batch's `retryStrategy.attempts`, 1 to 10).
    #[serde(default = "default_attempts")]
    pub attempts: Spanned<i64>,
    #[serde(default)]
    pub profile: Option<String>,
    /// An emulator; AWS_ENDPOINT_URL in the environment does the same.
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
}

fn default_prefix() -> Spanned<String> {
    Spanned::new(0..0, "edgetwin-sweeps".into())
}

fn default_attempts() -> Spanned<i64> {
    Spanned::new(0..0, 2)
}

impl BatchConfig {
    pub fn load(path: &Path) -> Result<BatchConfig, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InputError {
            file: file.clone(),
            line: 1,
            column: 1,
            message: format!("cannot read the Batch configuration: {e}"),
        })?;
        BatchConfig::parse(&file, &text)
    }

    /// Parses and checks a configuration; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<BatchConfig, InputError> {
        let at = |offset: usize, message: String| InputError::at_offset(file, text, offset, message);
        let c: BatchConfig = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                format!(
                    "{} (expected region, job_queue, job_definition, bucket, and optionally prefix, attempts, \
                     profile, endpoint_url)",
                    e.message().trim_end()
                ),
            )
        })?;
        let wrong = |v: &Spanned<String>, expected: &str| {
            at(v.span().start, format!("expected {expected}, found {:?}", v.get_ref()))
        };
        if !crate::config::aws_region(c.region.get_ref()) {
            return Err(wrong(&c.region, "an AWS region such as us-east-1"));
        }
        for (v, what) in
            [(&c.job_queue, "a job queue's name or ARN"), (&c.job_definition, "a job definition's name or ARN")]
        {
            if v.get_ref().is_empty() || v.get_ref().len() > 1024 {
                return Err(wrong(v, what));
            }
        }
        if !crate::config::bucket_name(c.bucket.get_ref()) {
            return Err(wrong(&c.bucket, "an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')"));
        }
        let prefix = c.prefix.get_ref();
        if prefix.starts_with('/') || prefix.ends_with('/') || prefix.len() > 512 {
            return Err(wrong(&c.prefix, "a key prefix with no leading or trailing '/'"));
        }
        let attempts = *c.attempts.get_ref();
        if !(1..=10).contains(&attempts) {
            return Err(at(
                c.attempts.span().start,
                format!("expected 1 to 10 attempts (Batch's limits), found {attempts}"),
            ));
        }
        if let Some(url) = &c.endpoint_url
            && !crate::config::http_url(url.get_ref())
        {
            return Err(wrong(url, "an http:// or https:// URL"));
        }
        Ok(c)
    }

    /// The endpoint calls go to: the configuration's, else `AWS_ENDPOINT_URL`'s, else AWS's own.
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint_url.as_ref().map(|u| u.get_ref().clone()).or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
    }

    /// Where sweep `digest` keeps its plan, scenario and cells.
    pub fn sweep_prefix(&self, digest: &str) -> String {
        let prefix = self.prefix.get_ref();
        if prefix.is_empty() { digest.to_string() } else { format!("{prefix}/{digest}") }
    }
}

/// The clients a sweep uses, for one configuration.
pub struct Clients {
    pub batch: aws_sdk_batch::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Clients {
    pub async fn new(config: &BatchConfig) -> Clients {
        let endpoint = config.endpoint();
        let region = config.region.get_ref();
        let shared = crate::sdk_config(region, endpoint.as_deref(), config.profile.as_deref()).await;
        Clients {
            batch: aws_sdk_batch::Client::new(&shared),
            s3: crate::s3::client(region, endpoint.as_deref(), config.profile.as_deref()).await,
        }
    }
}

/// Puts `body` at `s3://bucket/key`.
pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), Fault> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| from_sdk(&format!("PutObject s3://{bucket}/{key}"), e))?;
    Ok(())
}

/// The object at `s3://bucket/key`.
pub async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, Fault> {
    let call = format!("GetObject s3://{bucket}/{key}");
    let object = s3.get_object().bucket(bucket).key(key).send().await.map_err(|e| from_sdk(&call, e))?;
    let body = object
        .body
        .collect()
        .await
        .map_err(|e| Fault { kind: FaultKind::Malformed, message: format!("{call}: {e}") })?;
    Ok(body.into_bytes().to_vec())
}

/// Every key under `prefix` in `bucket`.
pub async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<String>, Fault> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(&format!("ListObjectsV2 s3://{bucket}/{prefix}"), e))?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok(keys),
        }
    }
}

/// Submits `command` as an array job of `size` children (or, for one, a plain job), with the configuration's
/// queue, definition and attempts; returns its job id.
pub async fn submit(
    batch: &aws_sdk_batch::Client,
    config: &BatchConfig,
    name: &str,
    size: u32,
    command: Vec<String>,
) -> Result<String, Fault> {
    if size > MAX_ARRAY_SIZE {
        return Err(Fault {
            kind: FaultKind::Rejected,
            message: format!("{size} children: an AWS Batch array job has at most {MAX_ARRAY_SIZE}"),
        });
    }
    let queue = config.job_queue.get_ref();
    let mut request = batch
        .submit_job()
        .job_name(name)
        .job_queue(queue)
        .job_definition(config.job_definition.get_ref())
        .retry_strategy(RetryStrategy::builder().attempts(*config.attempts.get_ref() as i32).build())
        .container_overrides(ContainerOverrides::builder().set_command(Some(command)).build());
    if size >= MIN_ARRAY_SIZE {
        request = request.array_properties(ArrayProperties::builder().size(size as i32).build());
    }
    let out = request.send().await.map_err(|e| from_sdk(&format!("SubmitJob to queue {queue}"), e))?;
    out.job_id().map(str::to_string).ok_or_else(|| Fault {
        kind: FaultKind::Malformed,
        message: format!("SubmitJob to queue {queue}: no job id in the answer"),
    })
}

/// A job as DescribeJobs gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobView {
    pub status: String,
    pub reason: Option<String>,
    /// Children by status (an array job's `statusSummary`), and how many it has (0: not an array).
    pub children: BTreeMap<String, i32>,
    pub size: u32,
    pub command: Vec<String>,
}

impl JobView {
    /// Whether the job has stopped for good.
    pub fn finished(&self) -> bool {
        self.status == "SUCCEEDED" || self.status == "FAILED"
    }
}

pub async fn describe(batch: &aws_sdk_batch::Client, job_id: &str) -> Result<JobView, Fault> {
    let call = format!("DescribeJobs {job_id}");
    let out = batch.describe_jobs().jobs(job_id).send().await.map_err(|e| from_sdk(&call, e))?;
    let job = out
        .jobs()
        .first()
        .ok_or_else(|| Fault { kind: FaultKind::Rejected, message: format!("{call}: no such job") })?;
    let array = job.array_properties();
    Ok(JobView {
        status: job.status().map_or("UNKNOWN".into(), |s| s.as_str().to_string()),
        reason: job.status_reason().map(str::to_string),
        children: array
            .and_then(|a| a.status_summary())
            .map(|s| s.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default(),
        size: array.and_then(|a| a.size()).unwrap_or(0).max(0) as u32,
        command: job.container().map(|c| c.command().to_vec()).unwrap_or_default(),
    })
}

/// The children of array job `job_id` that failed, by index, each with Batch's reason.
pub async fn failed_children(batch: &aws_sdk_batch::Client, job_id: &str) -> Result<Vec<(u32, String)>, Fault> {
    let mut failed = Vec::new();
    let mut token = None;
    loop {
        let page = batch
            .list_jobs()
            .array_job_id(job_id)
            .job_status(JobStatus::Failed)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(&format!("ListJobs arrayJobId={job_id} FAILED"), e))?;
        for child in page.job_summary_list() {
            // A child's id is `<array job id>:<index>`.
            let index = child
                .array_properties()
                .and_then(|a| a.index())
                .map(|i| i as u32)
                .or_else(|| child.job_id()?.rsplit_once(':')?.1.parse().ok());
            if let Some(index) = index {
                let reason = child.status_reason().filter(|r| !r.is_empty()).unwrap_or("Batch gave no reason");
                failed.push((index, format!("Batch: FAILED ({reason})")));
            }
        }
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(failed),
        }
    }
}

pub async fn terminate(batch: &aws_sdk_batch::Client, job_id: &str, reason: &str) -> Result<(), Fault> {
    batch
        .terminate_job()
        .job_id(job_id)
        .reason(reason)
        .send()
        .await
        .map_err(|e| from_sdk(&format!("TerminateJob {job_id}"), e))?;
    Ok(())
}

/// What `create_demo_queue` made.
#[derive(Debug, PartialEq)]
pub struct DemoQueue {
    pub compute_environment: String,
    pub job_queue: String,
    pub job_definition: String,
}

/// Makes, in an emulator, what `config` names: a service role, an unmanaged compute environment, the job
/// queue and a job definition for `image`, and the bucket. Refused without an endpoint, so a real account never
/// gets a demo.
pub async fn create_demo_queue(config: &BatchConfig, image: &str) -> Result<DemoQueue, Fault> {
    let Some(endpoint) = config.endpoint() else {
        return Err(Fault {
            kind: FaultKind::Rejected,
            message: "a demo queue is made in an emulator only: give endpoint_url (or AWS_ENDPOINT_URL)".into(),
        });
    };
    let region = config.region.get_ref();
    let shared = crate::sdk_config(region, Some(&endpoint), config.profile.as_deref()).await;
    let role = crate::iam::create_role(&shared, &endpoint, region, "edgetwin-sweep-batch-service").await?;
    let clients = Clients::new(config).await;
    let batch = &clients.batch;
    let ce = format!("{}-compute", config.job_queue.get_ref());
    batch
        .create_compute_environment()
        .compute_environment_name(&ce)
        .r#type(CeType::Unmanaged)
        .state(CeState::Enabled)
        .service_role(role)
        .send()
        .await
        .map_err(|e| from_sdk(&format!("CreateComputeEnvironment {ce}"), e))?;
    let queue = config.job_queue.get_ref();
    batch
        .create_job_queue()
        .job_queue_name(queue)
        .state(JqState::Enabled)
        .priority(1)
        .compute_environment_order(ComputeEnvironmentOrder::builder().order(1).compute_environment(&ce).build())
        .send()
        .await
        .map_err(|e| from_sdk(&format!("CreateJobQueue {queue}"), e))?;
    let definition = config.job_definition.get_ref();
    let requirement = |kind, value: &str| ResourceRequirement::builder().r#type(kind).value(value).build();
    batch
        .register_job_definition()
        .job_definition_name(definition)
        .r#type(JobDefinitionType::Container)
        .container_properties(
            ContainerProperties::builder()
                .image(image)
                .resource_requirements(requirement(ResourceType::Vcpu, "2"))
                .resource_requirements(requirement(ResourceType::Memory, "8192"))
                .command("edgetwin")
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk(&format!("RegisterJobDefinition {definition}"), e))?;
    let bucket = config.bucket.get_ref();
    clients
        .s3
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| from_sdk(&format!("CreateBucket {bucket}"), e))?;
    Ok(DemoQueue { compute_environment: ce, job_queue: queue.clone(), job_definition: definition.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_reads_and_each_bad_value_is_located() {
        let good = "region = \"us-east-1\"\njob_queue = \"sweeps\"\njob_definition = \"edgetwin-cell\"\n\
                    bucket = \"edgetwin-sweeps\"\nattempts = 3\n";
        let c = BatchConfig::parse("b.toml", good).unwrap();
        assert_eq!((c.prefix.get_ref().as_str(), *c.attempts.get_ref()), ("edgetwin-sweeps", 3));
        assert_eq!(c.sweep_prefix("abc"), "edgetwin-sweeps/abc");
        for (from, to, line, said) in [
            ("us-east-1", "mars", 1, "AWS region"),
            ("attempts = 3", "attempts = 11", 5, "1 to 10"),
            ("edgetwin-sweeps", "Not_A_Bucket", 4, "bucket"),
            ("job_queue = \"sweeps\"", "job_queue = 7", 2, "string"),
            ("attempts = 3", "attempts = 3\nsecret_key = \"x\"", 6, "unknown field"),
        ] {
            let e = BatchConfig::parse("b.toml", &good.replace(from, to)).unwrap_err();
            assert_eq!((e.file.as_str(), e.line), ("b.toml", line), "{e}");
            assert!(e.message.contains(said), "{e}");
        }
    }
}
