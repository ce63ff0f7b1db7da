//! S3: an inventory of a bucket (ListObjectsV2, page by page) taken into the twin's origin model, so the
//! Ingest and origin views show a live deployment's objects and bytes through the same types.

use aws_sdk_s3::Client;
use twin::ingest::Bucket;

use crate::fault::{Fault, from_sdk};

/// A client for the configured endpoint and region, with credentials from the standard chain. Path-style
/// addressing, which emulators and custom endpoints need (and AWS accepts).
pub async fn client(region: &str, endpoint: Option<&str>, profile: Option<&str>) -> Client {
    let shared = crate::sdk_config(region, endpoint, profile).await;
    let config = aws_sdk_s3::config::Builder::from(&shared).force_path_style(endpoint.is_some()).build();
    Client::from_conf(config)
}

/// Every object of `bucket` (in `region`), listed `page_size` keys a call (S3 gives at most 1,000), as the
/// origin model's bucket. Returns it with the calls made.
pub async fn inventory(client: &Client, bucket: &str, region: &str, page_size: i32) -> Result<(Bucket, usize), Fault> {
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    let mut calls = 0;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(page_size.clamp(1, 1000))
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(&format!("ListObjectsV2 s3://{bucket}"), e))?;
        calls += 1;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            objects.push((key.to_string(), o.size().unwrap_or(0).max(0) as u64));
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok((Bucket::from_listing(bucket, region, objects), calls))
}
