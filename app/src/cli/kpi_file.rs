//! Per-minute KPI files (`run --out`): CSV or JSON by extension, one row per minute and scope (world or region).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use twin::region::REGIONS;
use twin::{KpiId, KpiSample, Twin};

#[derive(Serialize)]
struct Row<'a> {
    minute: u64,
    utc: String,
    scope: &'a str,
    active_sessions: u64,
    plays: u64,
    ebvs: u64,
    edge_bytes: u64,
    origin_bytes: u64,
    offload_pct: Option<f64>,
    in_isp_pct: Option<f64>,
    edge_gbps: f64,
    backbone_gbps: f64,
    startup_p50_ms: Option<f64>,
    startup_p95_ms: Option<f64>,
    rebuffer_pct: Option<f64>,
    ebvs_pct: Option<f64>,
}

const HEADER: &str = "minute,utc,scope,active_sessions,plays,ebvs,edge_bytes,origin_bytes,offload_pct,in_isp_pct,edge_gbps,\
backbone_gbps,startup_p50_ms,startup_p95_ms,rebuffer_pct,ebvs_pct";

enum Format {
    Csv,
    Json,
}

fn format_of(path: &Path) -> anyhow::Result<Format> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("json") => Ok(Format::Json),
        _ => anyhow::bail!("--out {}: expected a file ending in .csv or .json", path.display()),
    }
}

pub fn check_extension(path: &Path) -> anyhow::Result<()> {
    format_of(path).map(|_| ())
}

fn rows(twin: &Twin) -> Vec<Row<'static>> {
    let start = twin.model().start_utc;
    let row = |scope: &'static str, s: &KpiSample| Row {
        minute: s.t.minutes(),
        utc: s.t.to_utc(start).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        scope,
        active_sessions: s.active_sessions,
        plays: s.plays,
        ebvs: s.ebvs,
        edge_bytes: s.edge_bytes,
        origin_bytes: s.origin_bytes,
        offload_pct: s.value(KpiId::OffloadPct),
        in_isp_pct: s.value(KpiId::InIspPct),
        edge_gbps: s.edge_gbps(),
        backbone_gbps: s.backbone_gbps(),
        startup_p50_ms: s.value(KpiId::StartupP50Ms),
        startup_p95_ms: s.value(KpiId::StartupP95Ms),
        rebuffer_pct: s.value(KpiId::RebufferPct),
        ebvs_pct: s.value(KpiId::EbvsPct),
    };
    let mut out: Vec<Row> = twin.kpis().iter().map(|s| row("world", s)).collect();
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        out.extend(twin.region_kpis(r).iter().map(|s| row(code, s)));
    }
    out
}

pub fn write(twin: &Twin, path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let rows = rows(twin);
    match format_of(path)? {
        Format::Json => serde_json::to_writer_pretty(&mut w, &rows)?,
        Format::Csv => {
            writeln!(w, "{HEADER}")?;
            let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
            for r in &rows {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{:.4},{:.4},{},{},{},{}",
                    r.minute,
                    r.utc,
                    r.scope,
                    r.active_sessions,
                    r.plays,
                    r.ebvs,
                    r.edge_bytes,
                    r.origin_bytes,
                    opt(r.offload_pct),
                    opt(r.in_isp_pct),
                    r.edge_gbps,
                    r.backbone_gbps,
                    opt(r.startup_p50_ms),
                    opt(r.startup_p95_ms),
                    opt(r.rebuffer_pct),
                    opt(r.ebvs_pct)
                )?;
            }
        }
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
