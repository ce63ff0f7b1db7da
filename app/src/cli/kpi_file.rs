//! Per-minute KPI files (`run --out`): CSV or JSON by extension, one row per minute and scope (world or region).
//! The columns are the minute, its UTC time and scope, then every KPI under its `KpiId` key (the names the
//! summary, the console and `validate` use), then the sample's raw counters: a new KPI or counter appears here
//! without an edit.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use twin::region::REGIONS;
use twin::{KpiId, KpiSample, Twin};

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

/// The named cells of one minute of one scope, in column order.
fn row(twin: &Twin, scope: &str, s: &KpiSample) -> Vec<(&'static str, Cell)> {
    let utc = s.t.to_utc(twin.model().start_utc).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut cells = vec![
        ("minute", Cell::Count(s.t.minutes())),
        ("utc", Cell::Text(utc)),
        ("scope", Cell::Text(scope.to_string())),
    ];
    cells.extend(KpiId::ALL.iter().map(|&k| (k.key(), Cell::kpi(k, s))));
    cells.extend(s.counters().iter().map(|&(name, n)| (name, Cell::Count(n))));
    cells
}

fn rows(twin: &Twin) -> Vec<Vec<(&'static str, Cell)>> {
    let mut out: Vec<_> = twin.kpis().iter().map(|s| row(twin, "world", s)).collect();
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        out.extend(twin.region_kpis(r).iter().map(|s| row(twin, code, s)));
    }
    out
}

pub fn write(twin: &Twin, path: &Path) -> anyhow::Result<()> {
    let format = format_of(path)?;
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let rows = rows(twin);
    match format {
        Format::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> =
                rows.iter().map(|r| r.iter().map(|(k, c)| (k.to_string(), c.json())).collect()).collect();
            serde_json::to_writer_pretty(&mut w, &objects)?;
        }
        Format::Csv => {
            let header = row(twin, "world", &KpiSample::default()).into_iter().map(|(k, _)| k);
            writeln!(w, "{}", header.collect::<Vec<_>>().join(","))?;
            for r in &rows {
                writeln!(w, "{}", r.iter().map(|(_, c)| c.csv()).collect::<Vec<_>>().join(","))?;
            }
        }
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
