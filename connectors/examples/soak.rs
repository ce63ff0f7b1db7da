//! Soak benchmark (not a test): the mirror polls the emulator through the fault proxy for a long while (30
//! minutes by default), the proxy cycling through its faults, and this prints the process's memory at the start
//! and the end, the poll latency's p50 and p95, and the errors by kind. The demo deployment is made first.
//!
//!     scripts/soak-mirror.sh [MINUTES]        (starts moto, then runs this)
//!     AWS_ENDPOINT_URL=http://127.0.0.1:PORT cargo run --release -p connectors --example soak -- [MINUTES]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connectors::config::MirrorConfig;
use connectors::fault::FaultKind;
use connectors::fault_proxy::{Fault, FaultProxy};
use connectors::mirror::{Mirror, PollEvent, now_s};

/// The proxy's faults, each held for `FAULT_SPAN`: mostly clear, with every kind of fault in turn.
const SCHEDULE: [Fault; 14] = [
    Fault::None,
    Fault::Delay(Duration::from_millis(400)),
    Fault::None,
    Fault::Throttle,
    Fault::None,
    Fault::ServerError,
    Fault::None,
    Fault::Truncate,
    Fault::None,
    Fault::Malformed,
    Fault::None,
    Fault::BadCredentials,
    Fault::None,
    Fault::Refuse,
];
const FAULT_SPAN: Duration = Duration::from_secs(60);

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let minutes: u64 = std::env::args().nth(1).and_then(|m| m.parse().ok()).unwrap_or(30);
    let url = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL: the emulator to soak against");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let proxy = runtime.block_on(FaultProxy::start(&url)).expect("the fault proxy");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/mirror/local.toml")).unwrap();
    // The demo's configuration, through the proxy, polled as often as a configuration may (every 10 s), with
    // no health endpoints (they are a local web server's, not the emulator's).
    let text: String = text
        .lines()
        .map(|l| match l {
            l if l.starts_with("endpoint_url") => format!("endpoint_url = \"{}\"", proxy.url()),
            l if l.starts_with("poll_seconds") => "poll_seconds = 10".into(),
            l => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.split("[[health]]").next().unwrap().to_string();
    let config = MirrorConfig::parse("local.toml (soak)", &text).unwrap();
    let mut twin = twin::Twin::default_scenario().unwrap();
    twin.advance_minutes(18 * 60);
    runtime.block_on(connectors::demo::create(&config, &mut twin, 60, now_s())).expect("the demo deployment");
    drop(twin);

    let polls: Arc<Mutex<Vec<PollEvent>>> = Arc::default();
    let seen = polls.clone();
    let mirror = Mirror::start(&config, Some(Arc::new(move |e| seen.lock().unwrap().push(e)))).unwrap();
    std::thread::sleep(Duration::from_secs(20));
    let rss_start = rss_kib();
    let started = Instant::now();
    println!(
        "soaking {minutes} min: {} sources every 10 s, faults changing each {} s",
        mirror.state().sources.len(),
        FAULT_SPAN.as_secs()
    );
    let mut step = 0;
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        proxy.set(SCHEDULE[step % SCHEDULE.len()]);
        step += 1;
        std::thread::sleep(FAULT_SPAN.min(Duration::from_secs(minutes * 60).saturating_sub(started.elapsed())));
    }
    proxy.set(Fault::None);
    let rss_end = rss_kib();

    let polls = polls.lock().unwrap().clone();
    let mut ms: Vec<f64> = polls.iter().filter(|p| p.fault.is_none()).map(|p| p.latency_ms).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms.get(((ms.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &polls {
        if let Some(k) = p.fault {
            *errors.entry(k.label()).or_default() += 1;
        }
    }
    let growth = (rss_end as f64 / rss_start as f64 - 1.0) * 100.0;
    println!("polls: {} ({} answered, {} failed)", polls.len(), ms.len(), polls.len() - ms.len());
    println!(
        "memory (RSS): {:.1} MiB at the start, {:.1} MiB at the end: {growth:+.1}%",
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0
    );
    println!("poll latency of answered polls: p50 {:.0} ms, p95 {:.0} ms", at(0.5), at(0.95));
    for k in FaultKind::ALL {
        println!("  errors {:<20} {}", k.label(), errors.get(k.label()).copied().unwrap_or(0));
    }
    let st = mirror.state();
    for s in &st.sources {
        println!("  {:<60} {} polls, {} errors, now {}", s.name, s.polls, s.errors, s.state(now_s()).label());
    }
}
