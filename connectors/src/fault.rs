//! What went wrong with a call, sorted into the kinds an operator acts on differently: the service is
//! throttling us (wait), the service failed (5xx: wait, then look at its health), the answer could not be read
//! (malformed or cut short), our credentials were refused (fix the credentials), the endpoint is down or
//! unreachable, the call timed out, or the service refused the request itself (a bucket or group that is not
//! there). Messages name the call and never carry credentials: the SDK's errors name codes and request ids only.
//! The backoff between failed polls is here too.

use std::time::Duration;

// The smithy runtime's types, which every AWS SDK crate shares; named through one of them.
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    Throttled,
    ServerError,
    Malformed,
    Credentials,
    Unreachable,
    Timeout,
    Rejected,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Throttled,
        FaultKind::ServerError,
        FaultKind::Malformed,
        FaultKind::Credentials,
        FaultKind::Unreachable,
        FaultKind::Timeout,
        FaultKind::Rejected,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Throttled => "throttled",
            FaultKind::ServerError => "server error",
            FaultKind::Malformed => "malformed answer",
            FaultKind::Credentials => "credentials missing or refused",
            FaultKind::Unreachable => "unreachable",
            FaultKind::Timeout => "timed out",
            FaultKind::Rejected => "request refused",
        }
    }
}

/// A failed call: its kind, and what happened, naming the call.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub message: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.message)
    }
}

impl std::error::Error for Fault {}

/// Error codes AWS services answer when they throttle (the SDKs' own list).
const THROTTLING: [&str; 9] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
];

/// Error codes for credentials that are missing, wrong, expired or not allowed.
const CREDENTIALS: [&str; 9] = [
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "AccessDenied",
    "AccessDeniedException",
    "MissingAuthenticationToken",
];

/// Sorts an error code and HTTP status into a kind.
pub fn kind_of(code: Option<&str>, status: Option<u16>) -> FaultKind {
    match (code, status) {
        (Some(c), _) if THROTTLING.contains(&c) => FaultKind::Throttled,
        (_, Some(429)) => FaultKind::Throttled,
        (Some(c), _) if CREDENTIALS.contains(&c) => FaultKind::Credentials,
        (_, Some(401)) => FaultKind::Credentials,
        (_, Some(s)) if s >= 500 => FaultKind::ServerError,
        _ => FaultKind::Rejected,
    }
}

/// A failed SDK call (`call` names it, such as "ListObjectsV2 s3://origin") as a fault.
pub fn from_sdk<E>(call: &str, e: SdkError<E, HttpResponse>) -> Fault
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (kind, message) = match &e {
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = s.err().code();
            let said = s.err().message().unwrap_or("");
            // A success the SDK could not read as the answer it asked for is malformed, not a refusal.
            let kind = if (200..300).contains(&status) { FaultKind::Malformed } else { kind_of(code, Some(status)) };
            let code = code.unwrap_or(if kind == FaultKind::Malformed {
                "(not the answer asked for)"
            } else {
                "(no error code)"
            });
            (kind, format!("HTTP {status} {code} {said}"))
        }
        SdkError::TimeoutError(_) => (FaultKind::Timeout, error_chain(&e)),
        SdkError::ResponseError(_) => (FaultKind::Malformed, error_chain(&e)),
        SdkError::DispatchFailure(d) if d.is_timeout() => (FaultKind::Timeout, error_chain(&e)),
        SdkError::DispatchFailure(_) => {
            let text = error_chain(&e);
            // No credentials at all fails before anything is sent, as a dispatch failure naming the provider.
            let kind = if text.contains("credential") { FaultKind::Credentials } else { FaultKind::Unreachable };
            (kind, text)
        }
        _ => {
            let text = error_chain(&e);
            let kind = if text.contains("credential") { FaultKind::Credentials } else { FaultKind::Rejected };
            (kind, text)
        }
    };
    Fault { kind, message: format!("{call}: {}", message.trim()) }
}

/// An error and its causes, each by its message (not the debug dump of the request and answer, which can be
/// long): what failed, down to the connection refused, the DNS name, the credentials provider.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let said = s.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = s.source();
    }
    text
}

/// The wait before the next poll after `failures` failures in a row (0: the interval itself): doubling from
/// the interval up to 8 times it, each wait drawn uniformly from its upper half ("equal jitter"), so that many
/// consoles polling one account do not retry in step.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let full = interval.saturating_mul(1 << failures.min(3));
    let half = full / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_sort_into_kinds() {
        assert_eq!(kind_of(Some("Throttling"), Some(400)), FaultKind::Throttled);
        assert_eq!(kind_of(Some("SlowDown"), Some(503)), FaultKind::Throttled);
        assert_eq!(kind_of(None, Some(429)), FaultKind::Throttled);
        assert_eq!(kind_of(Some("InvalidClientTokenId"), Some(403)), FaultKind::Credentials);
        assert_eq!(kind_of(Some("InternalFailure"), Some(500)), FaultKind::ServerError);
        assert_eq!(kind_of(None, Some(502)), FaultKind::ServerError);
        assert_eq!(kind_of(Some("NoSuchBucket"), Some(404)), FaultKind::Rejected);
    }

    #[test]
    fn the_backoff_doubles_to_eight_times_the_interval_with_jitter_in_its_upper_half() {
        let i = Duration::from_secs(60);
        assert_eq!(backoff(i, 0), i);
        for (failures, full) in [(1, 120), (2, 240), (3, 480), (9, 480)] {
            for _ in 0..200 {
                let w = backoff(i, failures).as_secs_f64();
                assert!(w >= full as f64 / 2.0 && w <= full as f64, "{failures} failures: {w} s");
            }
        }
    }
}
