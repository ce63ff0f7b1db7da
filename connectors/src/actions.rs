//! Actions on the real system: off unless the operator turns them on for the session, each confirmed in the
//! console and logged (by `Mirror::act`) with what it wrote or set, never with credentials.
//! - Trigger ingest: the source goes to the ingest bucket with a metadata JSON beside it that names it
//!   (`srcVideo`), the pattern of AWS's "Video on Demand on AWS" solution, whose workflow starts on the JSON.
//! - Trigger a fill: a fill-request object under `fill-requests/` in the ingest bucket.
//! - Set a group's desired capacity.

use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use twin::ingest::origin::title_key;

use crate::fault::{Fault, FaultKind, from_sdk};

/// What a delivery says about its title, written beside the source.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestMetadata {
    pub title: String,
    pub genre: String,
    pub regions: Vec<String>,
    pub release_in_hours: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    UploadIngest { source: PathBuf, metadata: IngestMetadata },
    RequestFill { scope: String },
    SetDesired { group: String, desired: u32 },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::UploadIngest { source, metadata } => {
                write!(f, "ingest {:?} from {}", metadata.title, source.display())
            }
            Action::RequestFill { scope } => write!(f, "request a fill of {scope}"),
            Action::SetDesired { group, desired } => write!(f, "set {group}'s desired capacity to {desired}"),
        }
    }
}

/// The keys an ingest of `title` from `file_name` writes: the source, and its metadata.
pub fn ingest_keys(title: &str, file_name: &str) -> (String, String) {
    let dir = format!("incoming/{}", title_key(title, None));
    (format!("{dir}/{file_name}"), format!("{dir}/metadata.json"))
}

/// Carries out `action` at `now_s`; says what it wrote or set.
pub async fn run(
    action: &Action,
    s3: Option<&aws_sdk_s3::Client>,
    ingest_bucket: Option<&str>,
    group: Option<&aws_sdk_autoscaling::Client>,
    now_s: i64,
) -> Result<String, Fault> {
    let refused = |what: &str| Fault { kind: FaultKind::Rejected, message: format!("{action}: {what}") };
    match action {
        Action::UploadIngest { source, metadata } => {
            let (Some(s3), Some(bucket)) = (s3, ingest_bucket) else {
                return Err(refused("the configuration names no ingest bucket ([s3] ingest)"));
            };
            let file_name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if file_name.is_empty() || metadata.title.trim().is_empty() {
                return Err(refused("a source file and a title are needed"));
            }
            let (source_key, metadata_key) = ingest_keys(&metadata.title, &file_name);
            let body = ByteStream::from_path(source)
                .await
                .map_err(|e| refused(&format!("cannot read {}: {e}", source.display())))?;
            s3.put_object()
                .bucket(bucket)
                .key(&source_key)
                .body(body)
                .send()
                .await
                .map_err(|e| from_sdk(&format!("PutObject s3://{bucket}/{source_key}"), e))?;
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Written<'a> {
                src_video: &'a str,
                #[serde(flatten)]
                metadata: &'a IngestMetadata,
                requested_at: i64,
            }
            let json = serde_json::to_vec_pretty(&Written { src_video: &source_key, metadata, requested_at: now_s })
                .map_err(|e| refused(&e.to_string()))?;
            s3.put_object()
                .bucket(bucket)
                .key(&metadata_key)
                .content_type("application/json")
                .body(ByteStream::from(json))
                .send()
                .await
                .map_err(|e| from_sdk(&format!("PutObject s3://{bucket}/{metadata_key}"), e))?;
            Ok(format!("wrote s3://{bucket}/{source_key} and s3://{bucket}/{metadata_key}"))
        }
        Action::RequestFill { scope } => {
            let (Some(s3), Some(bucket)) = (s3, ingest_bucket) else {
                return Err(refused("the configuration names no ingest bucket ([s3] ingest)"));
            };
            let slug: String =
                scope.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
            let key = format!("fill-requests/{now_s}-{slug}.json");
            let json = serde_json::json!({ "scope": scope, "requestedAt": now_s }).to_string();
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .content_type("application/json")
                .body(ByteStream::from(json.into_bytes()))
                .send()
                .await
                .map_err(|e| from_sdk(&format!("PutObject s3://{bucket}/{key}"), e))?;
            Ok(format!("wrote s3://{bucket}/{key}"))
        }
        Action::SetDesired { group: name, desired } => {
            let Some(client) = group else {
                return Err(refused("the configuration names no such group ([[autoscaling]])"));
            };
            crate::autoscaling::set_desired(client, name, *desired).await?;
            Ok(format!("{name}: desired capacity {desired}"))
        }
    }
}
