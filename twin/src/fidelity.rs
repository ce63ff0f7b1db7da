//! Fidelity: the twin's figures held against public ones. Each check names the figure, the twin's value over a
//! span of simulated time, the public figure and its source (or "assumed" where there is none), the tolerance,
//! and whether the value is inside it. Ratios (catalogue bytes to disk, peak demand to capacity) come first:
//! they are what makes the other figures mean something. Nothing here is tuned per scenario; a check that is
//! off is reported as off.

use chrono::{Offset, TimeZone};

use crate::Twin;
use crate::kpi::{History, KpiSample};
use crate::region::REGIONS;
use crate::time::SimTime;

/// Where a reference figure comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Public(&'static str),
    /// No public figure: the band is the twin's own assumption, said as such.
    Assumed,
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub figure: &'static str,
    /// The twin's value, as printed (several regions' values for per-region figures).
    pub value: String,
    /// The reference figure, and the band the value must fall in.
    pub reference: &'static str,
    pub source: Source,
    pub tolerance: String,
    /// None when the span gave no value (no plays, no whole day).
    pub ok: Option<bool>,
}

/// An inclusive band, printed in the figure's unit.
#[derive(Clone, Copy)]
struct Band {
    lo: f64,
    hi: f64,
}

impl Band {
    fn holds(self, v: f64) -> bool {
        (self.lo..=self.hi).contains(&v)
    }

    fn text(self, unit: &str, digits: usize) -> String {
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) => format!("{:.*}–{:.*}{unit}", digits, self.lo, digits, self.hi),
            (true, false) => format!("≥ {:.*}{unit}", digits, self.lo),
            (false, true) => format!("≤ {:.*}{unit}", digits, self.hi),
            (false, false) => "any".into(),
        }
    }
}

fn scalar(
    figure: &'static str,
    value: Option<f64>,
    unit: &str,
    digits: usize,
    reference: &'static str,
    source: Source,
    band: Band,
) -> Check {
    Check {
        figure,
        value: value.map_or("–".into(), |v| format!("{v:.digits$}{unit}")),
        reference,
        source,
        tolerance: band.text(unit, digits),
        ok: value.map(|v| band.holds(v)),
    }
}

/// A figure per region with members: every region's value must be in the band.
fn per_region(
    figure: &'static str,
    values: &[(usize, f64)],
    digits: usize,
    reference: &'static str,
    source: Source,
    band: Band,
) -> Check {
    let text: Vec<String> = values.iter().map(|&(r, v)| format!("{} {v:.digits$}", REGIONS[r].0)).collect();
    Check {
        figure,
        value: if text.is_empty() { "–".into() } else { text.join(" · ") },
        reference,
        source,
        tolerance: band.text("", digits),
        ok: (!values.is_empty()).then(|| values.iter().all(|&(_, v)| band.holds(v))),
    }
}

const LO: f64 = f64::NEG_INFINITY;
const HI: f64 = f64::INFINITY;

/// The samples of a history from `from` on (minutes ending after it).
fn span(history: &History, from: SimTime) -> impl Iterator<Item = &KpiSample> {
    history.iter().filter(move |s| s.t > from)
}

/// Mean sessions playing in each local hour of the day (None for hours the span did not cover).
fn local_hour_profile(twin: &Twin, region: usize, from: SimTime) -> [Option<f64>; 24] {
    let start = twin.model().start_utc;
    let mut sum = [0.0; 24];
    let mut n = [0u32; 24];
    // Hours are read on the clock of the region's busiest zone, as `run` reports its peak. The offset changes
    // only with daylight saving, on a quarter hour in every zone: look it up once a quarter hour.
    let Some(zone) = twin.model().world.busiest_zone(region) else { return [None; 24] };
    let mut offset: Option<(i64, i32)> = None;
    for s in span(twin.region_kpis(region), from) {
        let utc = s.t.to_utc(start) - chrono::Duration::seconds(30);
        let quarter = utc.timestamp().div_euclid(900);
        if offset.is_none_or(|(q, _)| q != quarter) {
            offset = Some((quarter, zone.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc()));
        }
        let Some((_, offset_s)) = offset else { continue };
        let local_s = utc.timestamp() + offset_s as i64;
        let hour = local_s.rem_euclid(86_400) as usize / 3600;
        sum[hour] += s.active_sessions as f64;
        n[hour] += 1;
    }
    std::array::from_fn(|h| (n[h] > 0).then(|| sum[h] / n[h] as f64))
}

/// Regions whose members are at least this share of all: smaller ones have too few sessions for a clear curve.
const MIN_REGION_SHARE: f64 = 0.01;

fn region_share(world: &crate::world::World, region: usize) -> f64 {
    let all: f64 = world.metros.iter().map(|m| m.members).sum();
    let region: f64 = world.metros.iter().filter(|m| m.region.0 as usize == region).map(|m| m.members).sum();
    if all > 0.0 { region / all } else { 0.0 }
}

/// The report over the minutes after `from` (the run before it is warm-up). Per-day figures need whole days.
pub fn report(twin: &Twin, from: SimTime) -> Vec<Check> {
    let model = twin.model();
    let world = &model.world;
    let scenario = &model.scenario;
    let now = twin.now();
    let days = (now.seconds().saturating_sub(from.seconds())) as f64 / 86_400.0;
    let samples: Vec<&KpiSample> = span(twin.kpis(), from).collect();
    let mut total = KpiSample::default();
    for s in &samples {
        total.add_counts(s);
    }
    let bytes = (total.edge_bytes + total.origin_bytes) as f64;
    let share = |part: u64| (bytes > 0.0).then(|| 100.0 * part as f64 / bytes);
    let mut checks = Vec::new();

    // -- Ratios the rest depends on (DESIGN: calibrate so that these hold).
    let catalogue = model.catalog.total_bytes() as f64;
    let flash_only = world.sites.iter().filter(|s| s.storage_appliances == 0 && s.flash_appliances > 0);
    let flash_share = flash_only.map(|s| 100.0 * s.disk_bytes as f64 / catalogue).reduce(f64::max);
    checks.push(scalar(
        "flash-only site's disk, % of catalogue",
        flash_share,
        "%",
        1,
        "holds only the head of the catalogue",
        Source::Public("DESIGN catalogue footprint; Open Connect flash appliance ≈ 24 TB"),
        Band { lo: LO, hi: 5.0 },
    ));
    checks.push(scalar(
        "storage appliance's disk, % of catalogue",
        (catalogue > 0.0).then(|| 100.0 * scenario.appliances.storage.disk_tb * 1e12 / catalogue),
        "%",
        0,
        "well under the whole catalogue",
        Source::Public("Open Connect storage appliance ≈ 360 TB; catalogue is several codecs × ladder + audio"),
        Band { lo: LO, hi: 75.0 },
    ));
    // Each region is provisioned for its own evening: the regions' peaks, summed, against all edge egress
    // (the world's peak minute would understate the load, since regions peak hours apart).
    let capacity_gbps: f64 = world.sites.iter().map(|s| s.egress_gbps).sum();
    let peaks_gbps: f64 = (0..REGIONS.len())
        .map(|r| span(twin.region_kpis(r), from).map(|s| s.edge_gbps() + s.miss_gbps()).fold(0.0, f64::max))
        .sum();
    checks.push(scalar(
        "regions' peak demand, % of edge egress",
        (capacity_gbps > 0.0 && peaks_gbps > 0.0).then(|| 100.0 * peaks_gbps / capacity_gbps),
        "%",
        0,
        "50–85% of aggregate egress at the evening peak",
        Source::Public("DESIGN calibration (capacity ≈ 1.2–2× peak demand)"),
        Band { lo: 50.0, hi: 85.0 },
    ));
    let saturated = samples.iter().map(|s| s.saturated_sites).max();
    checks.push(scalar(
        "sites at their threshold (most in a minute)",
        saturated.map(|n| n as f64),
        "",
        0,
        "the busiest sites reach their threshold on a normal evening",
        Source::Public("DESIGN calibration; Open Connect steers away from overloaded appliances"),
        Band { lo: 1.0, hi: (world.sites.len() as f64 * 0.25).max(1.0) },
    ));

    // -- Where bytes come from.
    checks.push(scalar(
        "edge share of bytes (offload)",
        share(total.edge_bytes),
        "%",
        2,
        "Open Connect delivers practically all video; misses are titles not yet filled",
        Source::Assumed,
        Band { lo: 95.0, hi: 99.5 },
    ));
    checks.push(scalar(
        "bytes straight into the member's ISP",
        share(total.edge_bytes - total.transit_bytes),
        "%",
        1,
        "close to 95% of traffic served straight into the ISP",
        Source::Public("Netflix Open Connect, 2018"),
        Band { lo: 90.0, hi: 100.0 },
    ));
    checks.push(scalar(
        "bytes from appliances embedded in the ISP",
        share(total.in_isp_bytes),
        "%",
        1,
        "most traffic from embedded appliances, the rest over peering at IXPs",
        Source::Assumed,
        Band { lo: 40.0, hi: 85.0 },
    ));

    // -- The daily cycle, in each region's local time.
    let members: f64 = world.metros.iter().map(|m| m.members).sum();
    let mut peaks = Vec::new();
    let mut troughs = Vec::new();
    let mut ratios = Vec::new();
    for r in 0..REGIONS.len() {
        if region_share(world, r) < MIN_REGION_SHARE {
            continue;
        }
        let profile = local_hour_profile(twin, r, from);
        if profile.iter().any(Option::is_none) {
            continue; // the span does not cover a whole local day
        }
        let hours: Vec<(usize, f64)> = profile.iter().enumerate().map(|(h, v)| (h, v.unwrap_or(0.0))).collect();
        let (peak_h, peak) = hours.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
        let (trough_h, trough) = hours.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
        peaks.push((r, peak_h as f64));
        troughs.push((r, trough_h as f64));
        if trough > 0.0 {
            ratios.push((r, peak / trough));
        }
    }
    let cycle = Source::Public("DESIGN viewing figures: peak ≈ 21:00–23:00, trough ≈ 05:00–06:00 local");
    checks.push(per_region(
        "peak hour, local (hour starting)",
        &peaks,
        0,
        "21:00–23:00, ±1 h",
        cycle.clone(),
        Band { lo: 20.0, hi: 23.0 },
    ));
    checks.push(per_region(
        "trough hour, local (hour starting)",
        &troughs,
        0,
        "05:00–06:00, ±1 h",
        cycle.clone(),
        Band { lo: 4.0, hi: 6.0 },
    ));
    checks.push(per_region("peak ÷ trough sessions", &ratios, 1, "at least 2:1", cycle, Band { lo: 2.0, hi: HI }));
    checks.push(scalar(
        "viewing hours per member per day",
        (days >= 1.0 && members > 0.0).then(|| total.stream_seconds as f64 / 3600.0 / members / days),
        " h",
        2,
        "≈ 2.39 (550 M hours a day ÷ 230 M members), ±15%",
        Source::Public("Netflix engagement report H1 2023; shareholder letter Q2 2023"),
        Band { lo: 2.39 * 0.85, hi: 2.39 * 1.15 },
    ));

    // -- QoE.
    // Startup percentiles come from the whole run's histogram (warm-up included).
    let startup = |q: f64| twin.run_startup_ms(None, q).map(|ms| ms / 1000.0);
    checks.push(scalar(
        "startup time p50",
        startup(0.5),
        " s",
        2,
        "abandonment climbs once startup passes 2 s",
        Source::Public("Krishnan & Sitaraman 2012"),
        Band { lo: LO, hi: 2.0 },
    ));
    checks.push(scalar(
        "startup time p95",
        startup(0.95),
        " s",
        2,
        "the slow tail stays within a few seconds",
        Source::Assumed,
        Band { lo: LO, hi: 5.0 },
    ));
    checks.push(scalar(
        "rebuffer ratio (rebuffer ÷ watch time)",
        total.rebuffer_pct(),
        "%",
        2,
        "well under 1% on a healthy CDN",
        Source::Assumed,
        Band { lo: LO, hi: 1.0 },
    ));
    checks.push(scalar(
        "exits before video start (EBVS)",
        total.ebvs_pct(),
        "%",
        2,
        "a few % of play attempts",
        Source::Assumed,
        Band { lo: 0.5, hi: 5.0 },
    ));
    checks.push(scalar(
        "mean delivered bitrate",
        total.delivered_kbps().map(|k| k / 1000.0),
        " Mbps",
        2,
        "prime-time averages of the best ISPs ≈ 3.5–5 Mbps",
        Source::Public("Netflix ISP Speed Index, 2019–2021"),
        Band { lo: 3.0, hi: 5.0 },
    ));

    // -- Fill and prediction.
    let disk: f64 = world.sites.iter().map(|s| s.disk_bytes as f64).sum();
    let fill_bytes: u64 = total.fill_bytes.iter().sum();
    checks.push(scalar(
        "nightly fill, % of edge disk",
        (days >= 1.0 && disk > 0.0).then(|| 100.0 * fill_bytes as f64 / days / disk),
        "%",
        2,
        "a storage appliance fills up to 6.5 TB of its 360 TB (1.8%) a window",
        Source::Public("Open Connect fill guidance"),
        Band { lo: 0.01, hi: 100.0 * 6.5 / 360.0 },
    ));
    // Days the run predicted and then saw (burn-in days come before day 0).
    let errors: Vec<_> = twin.content().prediction_errors().into_iter().filter(|e| e.day >= 0).collect();
    let mean = |f: fn(&crate::popularity::DayError) -> f64| {
        (!errors.is_empty()).then(|| 100.0 * errors.iter().map(f).sum::<f64>() / errors.len() as f64)
    };
    checks.push(scalar(
        "prediction WAPE, top tenth of videos",
        mean(|e| e.head_wape),
        "%",
        1,
        "the head, which placement relies on, is predicted within a third",
        Source::Assumed,
        Band { lo: LO, hi: 35.0 },
    ));
    checks.push(scalar(
        "prediction WAPE, every video",
        mean(|e| e.wape),
        "%",
        1,
        "the long tail is noisy: a play or two a day per video",
        Source::Assumed,
        Band { lo: LO, hi: 80.0 },
    ));

    // -- Control plane.
    let fleet = twin.fleet();
    let minutes = |r: usize| fleet.history[r].iter().filter(move |m| m.t > from);
    let span_minutes = minutes(0).count();
    let members = twin.model().scenario.demand.members as f64;
    let mean_rps = (span_minutes > 0).then(|| {
        (0..fleet.history.len()).flat_map(minutes).map(|m| m.total_rps() as f64).sum::<f64>() / span_minutes as f64
    });
    checks.push(scalar(
        "API requests per member per second (mean)",
        mean_rps.map(|r| r / members),
        "",
        4,
        "Zuul: over 1 M requests/s for about 125 M members ≈ 0.008",
        Source::Public("Netflix Tech Blog, \"Open Sourcing Zuul 2\", 2018"),
        Band { lo: 0.004, hi: 0.016 },
    ));
    let worst_p95 = (0..fleet.history.len())
        .flat_map(minutes)
        .map(|m| m.p95_ms as f64)
        .fold(None, |a, v| Some(a.map_or(v, |a: f64| a.max(v))));
    let objective = twin.model().scenario.fleet.latency_slo_ms;
    checks.push(scalar(
        "worst minute's API p95 latency",
        worst_p95,
        " ms",
        0,
        "an auto-scaled fleet meets its p95 objective",
        Source::Assumed,
        Band { lo: LO, hi: objective },
    ));
    checks.push(scalar(
        "plays failed at the control plane",
        (total.plays > 0).then(|| 100.0 * total.start_failures as f64 / total.plays as f64),
        "%",
        3,
        "a healthy fleet fails almost no play call",
        Source::Assumed,
        Band { lo: LO, hi: 0.1 },
    ));
    checks
}
