//! Connectors: a live AWS deployment (CloudWatch, S3, Auto Scaling, site health) mapped onto the twin's types,
//! so the console can mirror production with the same views. So far: the mirror's configuration (`config`),
//! CloudWatch's publisher and source (`cloudwatch`), and the S3 inventory (`s3`); Auto Scaling, site health,
//! mirror mode and actions come with the rest of the mirror issue.

pub mod cloudwatch;
pub mod config;
pub mod s3;

/// The SDK configuration every client shares: `region`, credentials from the standard chain (or the named
/// `profile`), and every call sent to `endpoint` (an emulator) when one is given.
pub async fn sdk_config(region: &str, endpoint: Option<&str>, profile: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::from_env().region(aws_config::Region::new(region.to_string()));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}
