//! The table `edgetwin run` ends with: worldwide and per-region totals, QoE and the local time of each peak.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use twin::region::REGIONS;
use twin::{History, KpiSample, Twin};

/// One column of the summary: a region, or the world.
struct Column {
    name: String,
    plays: u64,
    ebvs: u64,
    start_failures: u64,
    playback_failures: u64,
    stall_exits: u64,
    edge_bytes: u128,
    origin_bytes: u128,
    in_isp_bytes: u128,
    transit_bytes: u128,
    fill_bytes: [u128; 3],
    fill_backbone_bytes: u128,
    rebuffer_ms: u128,
    watch_ms: u128,
    stream_seconds: u128,
    startup_p50_ms: Option<f64>,
    startup_p95_ms: Option<f64>,
    starts: u128,
    startup_us: u128,
    /// The minute with most sessions playing, and the most of each backbone flow in any minute.
    peak: Option<KpiSample>,
    peak_backbone_gbps: f64,
    peak_miss_gbps: f64,
    peak_backbone_fill_gbps: f64,
    peak_saturated_sites: u64,
    /// The peak's wall-clock time where most of the column's members live.
    peak_local: Option<String>,
}

impl Column {
    fn from_samples(name: &str, samples: &History) -> Column {
        let sum = |f: fn(&KpiSample) -> u64| samples.iter().map(|s| f(s) as u128).sum::<u128>();
        let max = |f: fn(&KpiSample) -> f64| samples.iter().map(f).fold(0.0, f64::max);
        Column {
            name: name.to_string(),
            plays: sum(|s| s.plays) as u64,
            ebvs: sum(|s| s.ebvs) as u64,
            start_failures: sum(|s| s.start_failures) as u64,
            playback_failures: sum(|s| s.playback_failures) as u64,
            stall_exits: sum(|s| s.stall_exits) as u64,
            edge_bytes: sum(|s| s.edge_bytes),
            origin_bytes: sum(|s| s.origin_bytes),
            in_isp_bytes: sum(|s| s.in_isp_bytes),
            transit_bytes: sum(|s| s.transit_bytes),
            fill_bytes: [sum(|s| s.fill_bytes[0]), sum(|s| s.fill_bytes[1]), sum(|s| s.fill_bytes[2])],
            fill_backbone_bytes: sum(|s| s.fill_backbone_bytes),
            rebuffer_ms: sum(|s| s.rebuffer_ms),
            watch_ms: sum(|s| s.watch_ms),
            stream_seconds: sum(|s| s.stream_seconds),
            startup_p50_ms: None,
            startup_p95_ms: None,
            starts: sum(|s| s.starts),
            startup_us: sum(|s| s.startup_us),
            peak: samples.iter().max_by_key(|s| (s.active_sessions, std::cmp::Reverse(s.t))).copied(),
            peak_backbone_gbps: max(KpiSample::backbone_gbps),
            peak_miss_gbps: max(KpiSample::miss_gbps),
            peak_backbone_fill_gbps: max(KpiSample::backbone_fill_gbps),
            peak_saturated_sites: samples.iter().map(|s| s.saturated_sites).max().unwrap_or(0),
            peak_local: None,
        }
    }

    fn delivered_mbps(&self) -> String {
        if self.stream_seconds == 0 {
            return "–".into();
        }
        format!("{:.2}", (self.edge_bytes + self.origin_bytes) as f64 * 8.0 / 1e6 / self.stream_seconds as f64)
    }
}

fn pct(n: u128, d: u128) -> String {
    if d == 0 { "–".into() } else { format!("{:.2}", 100.0 * n as f64 / d as f64) }
}

fn seconds(ms: Option<f64>) -> String {
    ms.map_or("–".into(), |v| format!("{:.2}", v / 1000.0))
}

fn tb(bytes: u128) -> String {
    format!("{:.1}", bytes as f64 / 1e12)
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Local time of `utc` in the zone where most of a region's members live, named.
fn local_time(twin: &Twin, region: usize, utc: DateTime<Utc>) -> Option<String> {
    let zone = twin.model().world.busiest_zone(region)?;
    Some(format!("{} ({})", utc.with_timezone(&zone).format("%a %H:%M %Z"), zone.name()))
}

pub fn render(twin: &Twin, hours: f64, build_s: f64, run_s: f64) -> String {
    let model = twin.model();
    let s = &model.scenario;
    let start = model.start_utc;
    let mut columns = vec![Column::from_samples("World", twin.kpis())];
    columns[0].startup_p50_ms = twin.run_startup_ms(None, 0.5);
    columns[0].startup_p95_ms = twin.run_startup_ms(None, 0.95);
    columns[0].peak_local = columns[0].peak.map(|p| p.t.to_utc(start).format("%a %H:%M UTC").to_string());
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        let mut c = Column::from_samples(code, twin.region_kpis(r));
        if c.plays == 0 {
            continue;
        }
        c.startup_p50_ms = twin.run_startup_ms(Some(r), 0.5);
        c.startup_p95_ms = twin.run_startup_ms(Some(r), 0.95);
        c.peak_local = c.peak.and_then(|p| local_time(twin, r, p.t.to_utc(start)));
        columns.push(c);
    }

    let totals = twin.totals();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nedgetwin run · {} (seed {}) · {:.1} simulated hours from {}",
        s.name,
        s.seed,
        hours,
        start.format("%a %Y-%m-%d %H:%M UTC")
    );
    let free = model.catalog.free_slots();
    let _ = writeln!(
        out,
        "world: {} metros, {} sites ({} ISPs), {} titles ({} seasons, {} videos, {} files, {:.0} TB; {} places free \
         for ingest), {} members",
        model.world.metros.len(),
        model.world.sites.len(),
        model.world.isps.len(),
        group_thousands((model.catalog.titles.len() - free) as u64),
        group_thousands(model.catalog.seasons() as u64),
        group_thousands((model.catalog.videos.len() - free) as u64),
        group_thousands(((model.catalog.videos.len() - free) * model.catalog.files_per_video()) as u64),
        model.catalog.total_bytes() as f64 / 1e12,
        free,
        group_thousands(s.demand.members)
    );
    let _ = writeln!(
        out,
        "wall time: {:.2} s to build, {:.2} s to simulate ({} plays/s)\n",
        build_s,
        run_s,
        group_thousands((totals.plays as f64 / run_s.max(1e-9)) as u64)
    );

    type Row = (&'static str, fn(&Column) -> String);
    let rows: [Row; 28] = [
        ("plays", |c| group_thousands(c.plays)),
        ("EBVS %", |c| pct(c.ebvs as u128, c.plays as u128)),
        ("start failures %", |c| pct(c.start_failures as u128, c.plays as u128)),
        ("playback failures %", |c| pct(c.playback_failures as u128, c.plays as u128)),
        ("stall exits %", |c| pct(c.stall_exits as u128, c.plays as u128)),
        ("startup p50 (s)", |c| seconds(c.startup_p50_ms)),
        ("startup p95 (s)", |c| seconds(c.startup_p95_ms)),
        ("startup mean (s)", |c| seconds((c.starts > 0).then(|| c.startup_us as f64 / c.starts as f64 / 1000.0))),
        ("rebuffer %", |c| pct(c.rebuffer_ms, c.watch_ms)),
        ("delivered bitrate (Mbps)", Column::delivered_mbps),
        ("offload %", |c| pct(c.edge_bytes, c.edge_bytes + c.origin_bytes)),
        ("in-ISP %", |c| pct(c.in_isp_bytes, c.edge_bytes + c.origin_bytes)),
        ("transit %", |c| pct(c.transit_bytes, c.edge_bytes + c.origin_bytes)),
        ("edge TB", |c| tb(c.edge_bytes)),
        ("fill TB peer/tier/origin", |c| {
            format!("{}/{}/{}", tb(c.fill_bytes[0]), tb(c.fill_bytes[1]), tb(c.fill_bytes[2]))
        }),
        ("backbone TB", |c| tb(c.origin_bytes + c.fill_backbone_bytes)),
        ("  misses TB", |c| tb(c.origin_bytes)),
        ("  backbone fills TB", |c| tb(c.fill_backbone_bytes)),
        ("peak sessions", |c| c.peak.map_or("–".into(), |p| group_thousands(p.active_sessions))),
        ("peak edge Gbps", |c| c.peak.map_or("–".into(), |p| format!("{:.0}", p.edge_gbps()))),
        ("peak backbone Gbps", |c| format!("{:.1}", c.peak_backbone_gbps)),
        ("  peak misses Gbps", |c| format!("{:.1}", c.peak_miss_gbps)),
        ("  peak backbone fills Gbps", |c| format!("{:.1}", c.peak_backbone_fill_gbps)),
        ("peak transit Gbps", |c| c.peak.map_or("–".into(), |p| format!("{:.1}", p.transit_gbps()))),
        ("sites at threshold (most)", |c| c.peak_saturated_sites.to_string()),
        ("peak delivered (Mbps)", |c| {
            c.peak.and_then(|p| p.delivered_kbps()).map_or("–".into(), |k| format!("{:.2}", k / 1000.0))
        }),
        ("peak startup p95 (s)", |c| c.peak.map_or("–".into(), |p| format!("{:.2}", p.startup_p95_ms / 1000.0))),
        ("peak at (local)", |c| c.peak_local.clone().unwrap_or_else(|| "–".into())),
    ];
    let cells: Vec<Vec<String>> = rows.iter().map(|(_, f)| columns.iter().map(f).collect()).collect();
    let label_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| cells.iter().map(|row| row[i].chars().count()).chain([columns[i].name.len()]).max().unwrap_or(0))
        .collect();
    let _ = write!(out, "{:label_w$}", "");
    for (c, w) in columns.iter().zip(&widths) {
        let _ = write!(out, "  {:>w$}", c.name);
    }
    out.push('\n');
    for ((label, _), row) in rows.iter().zip(&cells) {
        let _ = write!(out, "{label:label_w$}");
        for (cell, w) in row.iter().zip(&widths) {
            let _ = write!(out, "  {cell:>w$}");
        }
        out.push('\n');
    }
    let _ =
        writeln!(out, "\n(backbone = misses, plays served from the origin, + fills from another metro or the origin)");
    let snap = twin.snapshot();
    let c = &snap.content;
    let kinds: Vec<String> = c.policy_counts().iter().map(|(k, n)| format!("{} on {n} sites", k.name())).collect();
    let _ = writeln!(out, "placement: {} ({} manifest clusters)", kinds.join(", "), c.clusters.len());
    let (live, planned) = (0..model.world.sites.len())
        .map(|s| twin.content().plan_progress(twin::SiteId(s as u32), twin.placement()))
        .fold((0, 0), |(l, p), (sl, sp)| (l + sl, p + sp));
    let _ = writeln!(
        out,
        "files live {} of {} planned; {} transfers in the log",
        group_thousands(live as u64),
        group_thousands(planned as u64),
        group_thousands(c.transfers.len() as u64)
    );
    out.push_str(&super::fleet_table::render(&snap));
    if !c.prediction_errors.is_empty() {
        let days: Vec<String> = c
            .prediction_errors
            .iter()
            .map(|e| format!("day {} {:.1}% (head {:.1}%)", e.day, 100.0 * e.wape, 100.0 * e.head_wape))
            .collect();
        let _ = writeln!(out, "popularity prediction WAPE: {}", days.join(", "));
    }
    out
}
