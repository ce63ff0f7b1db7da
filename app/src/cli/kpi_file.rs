//! Per-minute KPI files (`run --out`): CSV or JSON by extension, one row per minute and scope (world or region).
//! The columns are the minute, its UTC time and scope, then every KPI under its `KpiId` key (the names the
//! summary, the console and `validate` use), then the sample's raw counters: a new KPI or counter appears here
//! without an edit. `run --fleet-out` writes the control plane the same way: one row per minute and
//! control-plane region.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use twin::fleet::FleetMinute;
use twin::fleet::requests::API_TYPES;
use twin::region::REGIONS;
use twin::{KpiId, KpiSample, SimTime, Twin};

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

/// One cell: text for the first columns, a KPI (empty where the minute has none) or a counter.
enum Cell {
    Text(String),
    Kpi(Option<f64>),
    Count(u64),
}

impl Cell {
    fn kpi(kpi: KpiId, s: &KpiSample) -> Cell {
        match s.value(kpi) {
            Some(v) if kpi.unit() == "count" => Cell::Count(v as u64),
            v => Cell::Kpi(v),
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Kpi(v) => v.map_or(String::new(), |v| format!("{v:.4}")),
            Cell::Count(n) => n.to_string(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(t) => t.clone().into(),
            Cell::Kpi(v) => v.map_or(serde_json::Value::Null, Into::into),
            Cell::Count(n) => (*n).into(),
        }
    }
}

type Row = Vec<(String, Cell)>;

/// A minute's first three cells: the minute, its UTC time and the scope.
fn head(twin: &Twin, t: SimTime, scope: &str) -> Row {
    let utc = t.to_utc(twin.model().start_utc).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    vec![
        ("minute".into(), Cell::Count(t.minutes())),
        ("utc".into(), Cell::Text(utc)),
        ("scope".into(), Cell::Text(scope.to_string())),
    ]
}

/// The named cells of one minute of one scope, in column order.
fn row(twin: &Twin, scope: &str, s: &KpiSample) -> Row {
    let mut cells = head(twin, s.t, scope);
    cells.extend(KpiId::ALL.iter().map(|&k| (k.key().to_string(), Cell::kpi(k, s))));
    cells.extend(s.counters().iter().map(|&(name, n)| (name.to_string(), Cell::Count(n))));
    cells
}

/// One control-plane region's minute, in column order.
fn fleet_row(twin: &Twin, region: &str, m: &FleetMinute) -> Row {
    let mut cells = head(twin, m.t, region);
    let kpi = |v: f64| Cell::Kpi(Some(v));
    for (name, n) in [("desired", m.desired), ("in_service", m.in_service), ("pending", m.pending)] {
        cells.push((name.into(), Cell::Count(n as u64)));
    }
    cells.extend(API_TYPES.iter().zip(m.rps).map(|(t, r)| (format!("rps_{}", t.name()), kpi(r as f64))));
    cells.extend([
        ("rps_total".into(), kpi(m.total_rps() as f64)),
        ("thumbnail_rps".into(), kpi(m.thumbnail_rps as f64)),
        ("cpu_pct".into(), kpi(100.0 * m.cpu as f64)),
        ("p50_ms".into(), kpi(m.p50_ms as f64)),
        ("p95_ms".into(), kpi(m.p95_ms as f64)),
        ("p99_ms".into(), kpi(m.p99_ms as f64)),
        ("failed_requests".into(), Cell::Count(m.failed_requests)),
        ("instance_hours".into(), kpi(m.instance_hours)),
        ("cost_usd".into(), kpi(m.cost_usd)),
        ("members".into(), kpi(m.members)),
        ("evacuated".into(), Cell::Count(m.evacuated as u64)),
    ]);
    cells
}

pub fn write(twin: &Twin, path: &Path) -> anyhow::Result<()> {
    let mut rows: Vec<Row> = twin.kpis().iter().map(|s| row(twin, "world", s)).collect();
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        rows.extend(twin.region_kpis(r).iter().map(|s| row(twin, code, s)));
    }
    write_rows(path, row(twin, "world", &KpiSample::default()), &rows)
}

pub fn write_fleet(twin: &Twin, path: &Path) -> anyhow::Result<()> {
    let fleet = twin.fleet();
    let mut rows = Vec::new();
    for (r, name) in fleet.names.iter().enumerate() {
        rows.extend(fleet.history[r].iter().map(|m| fleet_row(twin, name, m)));
    }
    write_rows(path, fleet_row(twin, "", &FleetMinute::default()), &rows)
}

/// Writes `rows` (whose columns are `header`'s) as CSV or JSON, by the file's extension.
fn write_rows(path: &Path, header: Row, rows: &[Row]) -> anyhow::Result<()> {
    let format = format_of(path)?;
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    match format {
        Format::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> =
                rows.iter().map(|r| r.iter().map(|(k, c)| (k.clone(), c.json())).collect()).collect();
            serde_json::to_writer_pretty(&mut w, &objects)?;
        }
        Format::Csv => {
            writeln!(w, "{}", header.into_iter().map(|(k, _)| k).collect::<Vec<_>>().join(","))?;
            for r in rows {
                writeln!(w, "{}", r.iter().map(|(_, c)| c.csv()).collect::<Vec<_>>().join(","))?;
            }
        }
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
