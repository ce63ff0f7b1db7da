//! Site health: each edge site's endpoint answers JSON with its health, load and egress,
//! `{"health": "ok" | "degraded" | "down", "load": 0.42, "egress_gbps": 61.5}`. A GET has a time limit and is
//! retried with exponential backoff and jitter on throttling, 5xx and network errors, as the SDK's calls are.

use serde::Deserialize;

use crate::fault::{Fault, FaultKind, error_chain, kind_of};
use crate::{ATTEMPT_TIMEOUT, ATTEMPTS, CONNECT_TIMEOUT, RETRY_BASE};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Degraded,
    Down,
}

/// What a site's endpoint says about it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteHealth {
    pub health: Health,
    /// Its egress over its capacity (0 to about 1; above 1 when it is over its threshold).
    pub load: f64,
    pub egress_gbps: f64,
}

/// An HTTP client with the connectors' time limits.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .build()
        .expect("an HTTP client with time limits only")
}

/// Reads one site's health from `url`.
pub async fn read(client: &reqwest::Client, url: &str) -> Result<SiteHealth, Fault> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match read_once(client, url).await {
            Ok(h) => return Ok(h),
            Err(f) if attempt < ATTEMPTS && retryable(f.kind) => {
                // Full jitter over a doubling base, as the SDK's standard retry mode.
                let cap = RETRY_BASE * (1 << (attempt - 1));
                tokio::time::sleep(cap.mul_f64(fastrand::f64())).await;
            }
            Err(f) => return Err(f),
        }
    }
}

fn retryable(kind: FaultKind) -> bool {
    matches!(kind, FaultKind::Throttled | FaultKind::ServerError | FaultKind::Unreachable | FaultKind::Timeout)
}

async fn read_once(client: &reqwest::Client, url: &str) -> Result<SiteHealth, Fault> {
    let fault = |kind, what: String| Fault { kind, message: format!("GET {url}: {what}") };
    let network = |e: reqwest::Error| {
        let kind = if e.is_timeout() { FaultKind::Timeout } else { FaultKind::Unreachable };
        fault(kind, error_chain(&e))
    };
    let answer = client.get(url).send().await.map_err(network)?;
    let status = answer.status();
    let body = answer.text().await.map_err(|e| fault(FaultKind::Malformed, error_chain(&e)))?;
    if !status.is_success() {
        let kind = match kind_of(None, Some(status.as_u16())) {
            FaultKind::Rejected if status.as_u16() == 403 => FaultKind::Credentials,
            k => k,
        };
        return Err(fault(kind, format!("HTTP {status} {}", body.chars().take(120).collect::<String>().trim())));
    }
    serde_json::from_str(&body).map_err(|e| {
        let expected = "a JSON object {\"health\": \"ok\"|\"degraded\"|\"down\", \"load\": n, \"egress_gbps\": n}";
        fault(FaultKind::Malformed, format!("line {} column {}: {e}; expected {expected}", e.line(), e.column()))
    })
}
