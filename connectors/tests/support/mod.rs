//! What the connector tests share: the emulator (moto, which the test command starts and names in
//! AWS_ENDPOINT_URL), emptied before each test and held by one test at a time, and a site health endpoint.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::MutexGuard;

static EMULATOR: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The emulator, emptied (`POST /moto-api/reset`) and held until the guard goes.
pub async fn emulator() -> (String, MutexGuard<'static, ()>) {
    let guard = EMULATOR.lock().await;
    let url = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: the connector tests run against moto, which scripts/test-all.sh starts");
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap_or_else(|e| panic!("moto at {host}: {e}"));
    let request =
        format!("POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"), "resetting moto: {answer}");
    (url, guard)
}

/// A site health endpoint on a free loopback port, answering `body` (changeable) to every GET.
pub struct HealthEndpoint {
    pub url: String,
    pub body: Arc<Mutex<String>>,
}

pub async fn health_endpoint(body: &str) -> HealthEndpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    let body = Arc::new(Mutex::new(body.to_string()));
    let shared = body.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let text = shared.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    HealthEndpoint { url, body }
}

/// A mirror configuration for `endpoint`, with the demo's sources: two KPIs and a site's egress, one group in
/// each of two regions, the three buckets, and `health` for the site.
pub fn config(endpoint: &str, health: &str) -> connectors::config::MirrorConfig {
    let text = format!(
        r#"
name = "test deployment"
region = "us-east-1"
endpoint_url = "{endpoint}"
poll_seconds = 10

[cloudwatch]
namespace = "edgetwin-test"

[[cloudwatch.kpi]]
kpi = "offload_pct"
metric = {{ name = "OffloadPct", dimensions = {{ Scope = "world" }} }}

[[cloudwatch.kpi]]
kpi = "edge_gbps"
metric = {{ name = "EdgeGbps", dimensions = {{ Scope = "world" }} }}

[[cloudwatch.site]]
site = "{site}"
state = "egress_gbps"
metric = {{ name = "EgressGbps", dimensions = {{ Site = "{site}" }} }}

[[autoscaling]]
region = "us-east-1"
name = "control-us-east-1"

[[autoscaling]]
region = "eu-west-1"
name = "control-eu-west-1"

[s3]
origin = "edgetwin-origin-us-east-1"
thumbnails = "test-thumbnails"
ingest = "test-ingest"

[[health]]
site = "{site}"
url = "{health}"
"#,
        site = SITE
    );
    connectors::config::MirrorConfig::parse("test.toml", &text).unwrap()
}

/// A site of the default scenario.
pub const SITE: &str = "London IXP #1";

pub fn now_s() -> i64 {
    connectors::mirror::now_s()
}
