//! A small HTTP proxy that puts faults between the connectors and a service, for the fault tests and the soak
//! benchmark: it passes requests through, or delays them, throttles them, answers 5xx, refuses the
//! credentials, answers something unreadable, cuts the answer short, or closes the connection unanswered. The fault can
//! be changed while it runs (`set`), and clears with `Fault::None`. One request a connection: each answer says
//! `Connection: close`, so a change of fault applies to the very next request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Pass every request through.
    None,
    /// Pass through after this long.
    Delay(Duration),
    /// Answer as a throttling service does: `Throttling` (query APIs) or 429/`SlowDown` (S3, plain HTTP).
    Throttle,
    /// Answer 500 `InternalFailure`.
    ServerError,
    /// Answer 403 `InvalidClientTokenId`: the credentials are refused.
    BadCredentials,
    /// Answer 200 with a body that is not what was asked (an HTML error page).
    Malformed,
    /// Pass the request through, but send only half the answer's body, then close.
    Truncate,
    /// Close each connection as it comes, unread and unanswered.
    Refuse,
}

pub struct FaultProxy {
    addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://host:port`), on the current runtime.
    pub async fn start(upstream: &str) -> std::io::Result<FaultProxy> {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fault = Arc::new(Mutex::new(Fault::None));
        let shared = fault.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let now = *shared.lock().unwrap_or_else(|e| e.into_inner());
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &upstream, now).await;
                });
            }
        });
        Ok(FaultProxy { addr, fault, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut client: TcpStream, upstream: &str, fault: Fault) -> std::io::Result<()> {
    if fault == Fault::Refuse {
        // Closed unread and unanswered, as a service that is down behind its load balancer.
        drop(client);
        return Ok(());
    }
    let request = read_request(&mut client).await?;
    let head = String::from_utf8_lossy(&request[..head_end(&request).unwrap_or(request.len())]).to_lowercase();
    // The AWS query APIs (CloudWatch, Auto Scaling) post forms; S3 and plain HTTP do not.
    let query_api = head.contains("application/x-www-form-urlencoded");
    let error = |status: &str, code: &str, message: &str| {
        let body = if query_api {
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>fault-proxy</RequestId></ErrorResponse>"
            )
        } else {
            format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>")
        };
        answer(status, "text/xml", &body)
    };
    let reply = match fault {
        Fault::Throttle if query_api => error("400 Bad Request", "Throttling", "Rate exceeded"),
        Fault::Throttle => error("429 Too Many Requests", "SlowDown", "Please reduce your request rate."),
        Fault::ServerError => error("500 Internal Server Error", "InternalFailure", "The fault proxy failed it."),
        Fault::BadCredentials => {
            error("403 Forbidden", "InvalidClientTokenId", "The security token included in the request is invalid.")
        }
        Fault::Malformed => answer("200 OK", "text/html", "<html><body>Service Unavailable</body></html>\n"),
        Fault::None | Fault::Delay(_) | Fault::Truncate | Fault::Refuse => {
            if let Fault::Delay(d) = fault {
                tokio::time::sleep(d).await;
            }
            let mut reply = forward(&request, upstream).await?;
            if fault == Fault::Truncate {
                let body_start = head_end(&reply).map_or(reply.len(), |h| h + 4);
                reply.truncate(body_start + (reply.len() - body_start) / 2);
            }
            reply
        }
    };
    client.write_all(&reply).await?;
    client.shutdown().await
}

fn answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The request sent on with `Connection: close`, and the whole answer, with `Connection: close` too.
async fn forward(request: &[u8], upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&with_close(request)).await?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply).await?;
    Ok(with_close(&reply))
}

/// A message with its `Connection` header (if any) replaced by `Connection: close`.
fn with_close(message: &[u8]) -> Vec<u8> {
    let Some(end) = head_end(message) else { return message.to_vec() };
    let head = String::from_utf8_lossy(&message[..end]);
    let mut lines: Vec<&str> = head.split("\r\n").filter(|l| !l.to_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&message[end..]);
    out
}

fn head_end(message: &[u8]) -> Option<usize> {
    message.windows(4).position(|w| w == b"\r\n\r\n")
}

/// One HTTP/1.1 request: its head, and its body by `Content-Length` or chunked to the last chunk.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let complete = |buf: &[u8]| -> bool {
        let Some(end) = head_end(buf) else { return false };
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        let body = &buf[end + 4..];
        if head.contains("transfer-encoding: chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
        let length = head
            .split("\r\n")
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        body.len() >= length
    };
    while !complete(&buf) {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the request ended early"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}
