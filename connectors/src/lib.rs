//! Connectors: a live AWS deployment (CloudWatch, S3, Auto Scaling, site health) mapped onto the twin's types,
//! so the console can mirror production with the same views. So far: the mirror's configuration (`config`),
//! CloudWatch's publisher and source (`cloudwatch`), the S3 inventory (`s3`), the Auto Scaling groups
//! (`autoscaling`), the sites' health endpoints (`health`), AWS Batch for sweeps (`batch`), and how failed calls are
//! sorted and retried (`fault`).

pub mod actions;
pub mod autoscaling;
pub mod batch;
pub mod cloudwatch;
pub mod config;
pub mod demo;
pub mod fault;
pub mod fault_proxy;
pub mod health;
mod iam;
pub mod mirror;
pub mod overlay;
pub mod s3;
pub mod seed;
pub mod source;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

/// Attempts a call makes before it fails (the SDK's standard retry mode: exponential backoff with full jitter
/// from `RETRY_BASE`, on throttling, 5xx and transient network errors), and the time limits on each attempt and
/// on the whole call. A poll that still fails backs off further (`fault::backoff`).
pub const ATTEMPTS: u32 = 3;
pub const RETRY_BASE: Duration = Duration::from_millis(200);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The SDK configuration every client shares: `region`, credentials from the standard chain (or the named
/// `profile`), every call sent to `endpoint` (an emulator) when one is given, and the retries and time limits
/// above.
pub async fn sdk_config(region: &str, endpoint: Option<&str>, profile: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::from_env()
        .region(aws_config::Region::new(region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS).with_initial_backoff(RETRY_BASE))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        );
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}
