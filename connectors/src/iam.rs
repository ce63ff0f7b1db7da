//! IAM, for the demo Batch queue only: one CreateRole call (the service role a compute environment names),
//! signed with SigV4 as the SDKs sign, and sent as IAM's Query protocol form. The IAM SDK is a large crate for
//! one call the demo makes in an emulator.

use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::fault::{Fault, FaultKind, kind_of};

/// Creates role `name` (trusted by AWS Batch) at `endpoint`, or finds it there; returns its ARN.
pub async fn create_role(
    shared: &aws_config::SdkConfig,
    endpoint: &str,
    region: &str,
    name: &str,
) -> Result<String, Fault> {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let create =
        format!("Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument={}", form_escape(trust));
    let answer = match query(shared, endpoint, region, &format!("IAM CreateRole {name}"), &create).await {
        Err(e) if e.message.contains("EntityAlreadyExists") => {
            let get = format!("Action=GetRole&Version=2010-05-08&RoleName={name}");
            query(shared, endpoint, region, &format!("IAM GetRole {name}"), &get).await?
        }
        other => other?,
    };
    tag(&answer, "Arn").ok_or_else(|| Fault {
        kind: FaultKind::Malformed,
        message: format!("IAM role {name}: no <Arn> in the answer"),
    })
}

/// One IAM Query call (`body` is its form), signed; the answer's XML, or a fault naming `call`.
async fn query(
    shared: &aws_config::SdkConfig,
    endpoint: &str,
    region: &str,
    call: &str,
    body: &str,
) -> Result<String, Fault> {
    let fault = |kind, what: String| Fault { kind, message: format!("{call}: {what}") };
    let provider = shared
        .credentials_provider()
        .ok_or_else(|| fault(FaultKind::Credentials, "no credentials in the standard chain".into()))?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| fault(FaultKind::Credentials, crate::fault::error_chain(&e)))?;
    let identity: Identity = credentials.into();
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("iam")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| fault(FaultKind::Rejected, e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        [("content-type", content_type)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| fault(FaultKind::Rejected, e.to_string()))?;
    let (instructions, _) =
        sign(signable, &params).map_err(|e| fault(FaultKind::Rejected, e.to_string()))?.into_parts();
    let mut request = reqwest::Client::new().post(&url).header("content-type", content_type).body(body.to_string());
    for (header, value) in instructions.headers() {
        request = request.header(header, value);
    }
    let answer = request.send().await.map_err(|e| fault(FaultKind::Unreachable, crate::fault::error_chain(&e)))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(|e| fault(FaultKind::Malformed, e.to_string()))?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let code = tag(&text, "Code");
    Err(fault(kind_of(code.as_deref(), Some(status)), format!("HTTP {status} {}", code.unwrap_or_default())))
}

/// The text of the first `<t>` element of `xml`.
fn tag(xml: &str, t: &str) -> Option<String> {
    let open = format!("<{t}>");
    let start = xml.find(&open)? + open.len();
    Some(xml[start..start + xml[start..].find(&format!("</{t}>"))?].to_string())
}

/// Percent-encodes a form value (unreserved characters kept).
fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
