//! KPIs: the per-minute sample the twin records (globally, per region and per site), the startup-time
//! histogram behind its percentiles, and the one time-series type shared with the connectors, so a mirrored
//! AWS metric and a simulated one draw the same way.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// Log-spaced histogram of startup times: bin i covers [MIN_MS × RATIO^i, MIN_MS × RATIO^(i+1)).
/// 2% wide bins from 10 ms to about 125 s: percentiles are good to ±1%.
pub const HIST_MIN_MS: f64 = 10.0;
pub const HIST_RATIO: f64 = 1.02;
pub const HIST_BINS: usize = 480;
/// Per-site histograms merge 16 fine bins into one (±17%): plenty to colour a map, 16× less memory.
pub const COARSE_FACTOR: usize = 16;
pub const COARSE_BINS: usize = HIST_BINS / COARSE_FACTOR;

/// The bin of a startup time: `⌊ln(ms / MIN_MS) / ln RATIO⌋`, clamped to the bins. The play path asks this of
/// every play, so it is looked up (`BinIndex`), with exactly this formula's results.
#[inline]
pub fn hist_bin(ms: f64) -> usize {
    BIN_INDEX.bin(ms)
}

/// `hist_bin` by its formula (what `BinIndex` is built from).
fn hist_bin_by_log(ms: f64) -> usize {
    if ms <= HIST_MIN_MS {
        return 0;
    }
    (((ms / HIST_MIN_MS).ln() / HIST_RATIO.ln()) as usize).min(HIST_BINS - 1)
}

static BIN_INDEX: LazyLock<BinIndex> = LazyLock::new(BinIndex::new);

/// `hist_bin_by_log` without a logarithm. A positive f64's bits order as its value does, so its top bits (the
/// exponent and 8 bits of the mantissa) name a slice of values 2^-8 wide relative to them: narrower
/// than a 2% bin, so a slice holds at most one bin's lower edge. `first[slice]` is the bin of the slice's
/// smallest value, and one comparison with the next bin's exact lower edge (found by bisection on the bits,
/// with the formula itself) finishes the job.
struct BinIndex {
    /// The slice of `HIST_MIN_MS`.
    base: u64,
    first: Vec<u16>,
    /// `lower[b]`: the smallest value whose bin is `b` (for b ≥ 1).
    lower: Vec<f64>,
}

impl BinIndex {
    /// A value's bits shifted right by this leave its sign, exponent and the top 8 bits of its mantissa.
    const SHIFT: u32 = 52 - 8;

    /// The slice a value falls in.
    #[inline]
    fn slice(x: f64) -> u64 {
        x.to_bits() >> Self::SHIFT
    }

    fn new() -> BinIndex {
        let mut lower = vec![HIST_MIN_MS; HIST_BINS];
        for (b, edge) in lower.iter_mut().enumerate().skip(1) {
            // The smallest value of bin b or above: bisect the bits between MIN_MS (bin 0) and a value past
            // the last bin.
            let (mut lo, mut hi) = (HIST_MIN_MS.to_bits(), (HIST_MIN_MS * 1e6).to_bits());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if hist_bin_by_log(f64::from_bits(mid)) >= b { hi = mid } else { lo = mid }
            }
            *edge = f64::from_bits(hi);
        }
        let base = Self::slice(HIST_MIN_MS);
        let first = (base..=Self::slice(lower[HIST_BINS - 1]))
            .map(|s| hist_bin_by_log(f64::from_bits(s << Self::SHIFT)) as u16)
            .collect();
        BinIndex { base, first, lower }
    }

    #[inline]
    fn bin(&self, ms: f64) -> usize {
        if ms.is_nan() || ms <= HIST_MIN_MS {
            return 0;
        }
        let slice = Self::slice(ms) - self.base;
        let Some(&b) = self.first.get(slice as usize) else { return HIST_BINS - 1 };
        let b = b as usize;
        b + (b + 1 < HIST_BINS && ms >= self.lower[b + 1]) as usize
    }
}

/// The value at quantile `q` of a histogram whose bins are `width` fine bins wide, interpolated within the bin
/// it falls in as Prometheus's `histogram_quantile` does (here on the log scale the bins are spaced on), so a
/// shift of the values inside a bin moves the quantile instead of vanishing into the bin's middle.
pub fn hist_quantile<T: Copy + Into<u64>>(bins: &[T], width: usize, q: f64) -> Option<f64> {
    let total: u64 = bins.iter().map(|&c| c.into()).sum();
    if total == 0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let mut seen = 0u64;
    for (i, &c) in bins.iter().enumerate() {
        let c: u64 = c.into();
        if c > 0 && (seen + c) as f64 >= rank {
            let within = ((rank - seen as f64) / c as f64).clamp(0.0, 1.0);
            return Some(HIST_MIN_MS * HIST_RATIO.powf((i as f64 + within) * width as f64));
        }
        seen += c;
    }
    None
}

/// One simulated minute, for the whole world or a region (of the members).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KpiSample {
    /// End of the minute.
    pub t: SimTime,
    /// Sessions playing at the end of the minute.
    pub active_sessions: u64,
    /// Seconds of streaming in the minute (sessions playing × 60).
    pub stream_seconds: u64,
    /// Play attempts in the minute.
    pub plays: u64,
    /// Exits before video start (EBVS), among `plays`.
    pub ebvs: u64,
    /// Plays that failed before starting: a control-plane call timed out (Mux: video startup failures).
    pub start_failures: u64,
    /// Plays that failed after starting: their server went down and no entry of their list was left.
    pub playback_failures: u64,
    /// Plays given up after stalls passed the member's patience.
    pub stall_exits: u64,
    /// Bytes delivered in the minute by edge sites, and over the backbone from the origin (misses).
    pub edge_bytes: u64,
    pub origin_bytes: u64,
    /// The part of `edge_bytes` served by appliances embedded in the members' own ISP.
    pub in_isp_bytes: u64,
    /// The part of `edge_bytes` served from a site in another region (transit).
    pub transit_bytes: u64,
    /// Fill bytes received in the minute by source tier (peer, tier, origin), and the part of them that
    /// crossed the backbone.
    pub fill_bytes: [u64; 3],
    pub fill_backbone_bytes: u64,
    /// Startup time of the plays that started in the minute: percentiles, and (for the mean) the plays that
    /// started and their startup times summed.
    pub startup_p50_ms: f64,
    pub startup_p95_ms: f64,
    pub starts: u64,
    pub startup_us: u64,
    /// Rebuffer time and watch time (Mux: watch time includes stalls) in the minute.
    pub rebuffer_ms: u64,
    pub watch_ms: u64,
    /// Bitrate switches down (a stream got less than it asked) and back up, and sessions moved to another
    /// site because theirs went down.
    pub switches_down: u64,
    pub switches_up: u64,
    pub failovers: u64,
    /// Sites at or over their overload threshold at the start of the minute.
    pub saturated_sites: u64,
}

impl KpiSample {
    /// The raw counters of the minute that are not KPIs themselves (`KpiId` covers `active_sessions`, `plays`
    /// and `saturated_sites`), named as the KPI files name them.
    pub fn counters(&self) -> [(&'static str, u64); 20] {
        [
            ("stream_seconds", self.stream_seconds),
            ("ebvs", self.ebvs),
            ("start_failures", self.start_failures),
            ("playback_failures", self.playback_failures),
            ("stall_exits", self.stall_exits),
            ("edge_bytes", self.edge_bytes),
            ("origin_bytes", self.origin_bytes),
            ("in_isp_bytes", self.in_isp_bytes),
            ("transit_bytes", self.transit_bytes),
            ("fill_peer_bytes", self.fill_bytes[0]),
            ("fill_tier_bytes", self.fill_bytes[1]),
            ("fill_origin_bytes", self.fill_bytes[2]),
            ("fill_backbone_bytes", self.fill_backbone_bytes),
            ("starts", self.starts),
            ("startup_us", self.startup_us),
            ("rebuffer_ms", self.rebuffer_ms),
            ("watch_ms", self.watch_ms),
            ("switches_down", self.switches_down),
            ("switches_up", self.switches_up),
            ("failovers", self.failovers),
        ]
    }

    /// Share of bytes served from the edge, if any bytes moved.
    pub fn offload(&self) -> Option<f64> {
        let total = self.edge_bytes + self.origin_bytes;
        (total > 0).then(|| self.edge_bytes as f64 / total as f64)
    }
    /// Share of bytes served straight from inside the members' ISP (Open Connect: close to 95%, 2018).
    pub fn in_isp(&self) -> Option<f64> {
        let total = self.edge_bytes + self.origin_bytes;
        (total > 0).then(|| self.in_isp_bytes as f64 / total as f64)
    }
    /// Share of bytes served from a site in another region.
    pub fn transit(&self) -> Option<f64> {
        let total = self.edge_bytes + self.origin_bytes;
        (total > 0).then(|| self.transit_bytes as f64 / total as f64)
    }
    pub fn edge_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.edge_bytes)
    }
    /// Everything on the backbone: plays no edge site could take (misses), and fills from afar.
    pub fn backbone_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.origin_bytes + self.fill_backbone_bytes)
    }
    /// Plays served from the origin over the backbone.
    pub fn miss_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.origin_bytes)
    }
    /// Fills that crossed the backbone (from another metro or the origin).
    pub fn backbone_fill_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.fill_backbone_bytes)
    }
    /// Every fill, from any tier.
    pub fn fill_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.fill_bytes.iter().sum())
    }
    pub fn transit_gbps(&self) -> f64 {
        bytes_per_minute_to_gbps(self.transit_bytes)
    }
    /// Mean startup time of the plays that started.
    pub fn startup_mean_ms(&self) -> Option<f64> {
        (self.starts > 0).then(|| self.startup_us as f64 / self.starts as f64 / 1000.0)
    }
    pub fn rebuffer_pct(&self) -> Option<f64> {
        (self.watch_ms > 0).then(|| 100.0 * self.rebuffer_ms as f64 / self.watch_ms as f64)
    }
    pub fn ebvs_pct(&self) -> Option<f64> {
        (self.plays > 0).then(|| 100.0 * self.ebvs as f64 / self.plays as f64)
    }
    /// Mean bitrate delivered to the streams playing in the minute.
    pub fn delivered_kbps(&self) -> Option<f64> {
        (self.stream_seconds > 0)
            .then(|| (self.edge_bytes + self.origin_bytes) as f64 * 8.0 / 1000.0 / self.stream_seconds as f64)
    }
    pub fn value(&self, kpi: KpiId) -> Option<f64> {
        match kpi {
            KpiId::ActiveSessions => Some(self.active_sessions as f64),
            KpiId::Plays => Some(self.plays as f64),
            KpiId::OffloadPct => self.offload().map(|o| 100.0 * o),
            KpiId::InIspPct => self.in_isp().map(|o| 100.0 * o),
            KpiId::TransitPct => self.transit().map(|o| 100.0 * o),
            KpiId::BackboneGbps => Some(self.backbone_gbps()),
            KpiId::MissGbps => Some(self.miss_gbps()),
            KpiId::BackboneFillGbps => Some(self.backbone_fill_gbps()),
            KpiId::FillGbps => Some(self.fill_gbps()),
            KpiId::EdgeGbps => Some(self.edge_gbps()),
            KpiId::StartupP50Ms => (self.plays > self.ebvs).then_some(self.startup_p50_ms),
            KpiId::StartupP95Ms => (self.plays > self.ebvs).then_some(self.startup_p95_ms),
            KpiId::StartupMeanMs => self.startup_mean_ms(),
            KpiId::RebufferPct => self.rebuffer_pct(),
            KpiId::EbvsPct => self.ebvs_pct(),
            KpiId::DeliveredKbps => self.delivered_kbps(),
            KpiId::SaturatedSites => Some(self.saturated_sites as f64),
        }
    }

    /// Adds another sample's counts (not its percentiles).
    pub fn add_counts(&mut self, o: &KpiSample) {
        self.active_sessions += o.active_sessions;
        self.stream_seconds += o.stream_seconds;
        self.plays += o.plays;
        self.ebvs += o.ebvs;
        self.start_failures += o.start_failures;
        self.playback_failures += o.playback_failures;
        self.stall_exits += o.stall_exits;
        self.edge_bytes += o.edge_bytes;
        self.origin_bytes += o.origin_bytes;
        self.in_isp_bytes += o.in_isp_bytes;
        self.transit_bytes += o.transit_bytes;
        for (a, b) in self.fill_bytes.iter_mut().zip(o.fill_bytes) {
            *a += b;
        }
        self.fill_backbone_bytes += o.fill_backbone_bytes;
        self.starts += o.starts;
        self.startup_us += o.startup_us;
        self.rebuffer_ms += o.rebuffer_ms;
        self.watch_ms += o.watch_ms;
        self.switches_down += o.switches_down;
        self.switches_up += o.switches_up;
        self.failovers += o.failovers;
        self.saturated_sites += o.saturated_sites;
    }
}

pub fn bytes_per_minute_to_gbps(bytes: u64) -> f64 {
    bytes as f64 * 8.0 / 60.0 / 1e9
}

/// Samples per frozen chunk of a `History`: an hour of minutes.
const HISTORY_CHUNK: usize = 60;

/// An append-only run of samples (the twin's KPIs by default; the fleet's minutes too). Clones share every
/// full hour, so a snapshot carrying a week of history costs a few dozen pointer copies, not a megabyte.
#[derive(Clone, Debug)]
pub struct History<T = KpiSample> {
    chunks: Vec<Arc<[T]>>,
    tail: Vec<T>,
}

impl<T> Default for History<T> {
    fn default() -> Self {
        History { chunks: Vec::new(), tail: Vec::new() }
    }
}

impl<T> History<T> {
    pub fn push(&mut self, sample: T) {
        self.tail.push(sample);
        if self.tail.len() == HISTORY_CHUNK {
            self.chunks.push(Arc::from(std::mem::take(&mut self.tail)));
        }
    }
    pub fn len(&self) -> usize {
        self.chunks.len() * HISTORY_CHUNK + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> Option<&T> {
        match self.chunks.get(i / HISTORY_CHUNK) {
            Some(chunk) => chunk.get(i % HISTORY_CHUNK),
            None => self.tail.get(i - self.chunks.len() * HISTORY_CHUNK),
        }
    }
    pub fn last(&self) -> Option<&T> {
        self.tail.last().or_else(|| self.chunks.last().and_then(|c| c.last()))
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).chain(self.tail.iter())
    }
}

impl<T> std::ops::Index<usize> for History<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).unwrap_or_else(|| panic!("history index {i} out of range (len {})", self.len()))
    }
}

impl<'a, T> IntoIterator for &'a History<T> {
    type Item = &'a T;
    type IntoIter = Box<dyn DoubleEndedIterator<Item = &'a T> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<T: PartialEq> PartialEq for History<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The KPIs every view and connector speaks of. "Backbone" always means everything that crosses it: misses
/// (plays served from the origin) and fills from another metro or the origin; the parts have their own names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KpiId {
    ActiveSessions,
    Plays,
    OffloadPct,
    InIspPct,
    TransitPct,
    BackboneGbps,
    MissGbps,
    BackboneFillGbps,
    FillGbps,
    EdgeGbps,
    StartupP50Ms,
    StartupP95Ms,
    StartupMeanMs,
    RebufferPct,
    EbvsPct,
    DeliveredKbps,
    SaturatedSites,
}

impl KpiId {
    pub const ALL: [KpiId; 17] = [
        KpiId::ActiveSessions,
        KpiId::Plays,
        KpiId::OffloadPct,
        KpiId::InIspPct,
        KpiId::TransitPct,
        KpiId::BackboneGbps,
        KpiId::MissGbps,
        KpiId::BackboneFillGbps,
        KpiId::FillGbps,
        KpiId::EdgeGbps,
        KpiId::StartupP50Ms,
        KpiId::StartupP95Ms,
        KpiId::StartupMeanMs,
        KpiId::RebufferPct,
        KpiId::EbvsPct,
        KpiId::DeliveredKbps,
        KpiId::SaturatedSites,
    ];

    /// Machine name, as in CSV headers.
    pub fn key(self) -> &'static str {
        match self {
            KpiId::ActiveSessions => "active_sessions",
            KpiId::Plays => "plays",
            KpiId::OffloadPct => "offload_pct",
            KpiId::InIspPct => "in_isp_pct",
            KpiId::TransitPct => "transit_pct",
            KpiId::BackboneGbps => "backbone_gbps",
            KpiId::MissGbps => "miss_gbps",
            KpiId::BackboneFillGbps => "backbone_fill_gbps",
            KpiId::FillGbps => "fill_gbps",
            KpiId::EdgeGbps => "edge_gbps",
            KpiId::StartupP50Ms => "startup_p50_ms",
            KpiId::StartupP95Ms => "startup_p95_ms",
            KpiId::StartupMeanMs => "startup_mean_ms",
            KpiId::RebufferPct => "rebuffer_pct",
            KpiId::EbvsPct => "ebvs_pct",
            KpiId::DeliveredKbps => "delivered_kbps",
            KpiId::SaturatedSites => "saturated_sites",
        }
    }
    /// Human label, the same in every view and table.
    pub fn label(self) -> &'static str {
        match self {
            KpiId::ActiveSessions => "active sessions",
            KpiId::Plays => "plays",
            KpiId::OffloadPct => "offload %",
            KpiId::InIspPct => "in-ISP %",
            KpiId::TransitPct => "transit %",
            KpiId::BackboneGbps => "backbone Gbps (misses + backbone fills)",
            KpiId::MissGbps => "misses Gbps (plays from the origin)",
            KpiId::BackboneFillGbps => "backbone fills Gbps",
            KpiId::FillGbps => "fills Gbps (all tiers)",
            KpiId::EdgeGbps => "edge Gbps",
            KpiId::StartupP50Ms => "startup p50 ms",
            KpiId::StartupP95Ms => "startup p95 ms",
            KpiId::StartupMeanMs => "startup mean ms",
            KpiId::RebufferPct => "rebuffer %",
            KpiId::EbvsPct => "EBVS %",
            KpiId::DeliveredKbps => "delivered bitrate kbps",
            KpiId::SaturatedSites => "sites at threshold",
        }
    }
    pub fn unit(self) -> &'static str {
        match self {
            KpiId::ActiveSessions | KpiId::Plays | KpiId::SaturatedSites => "count",
            KpiId::OffloadPct | KpiId::InIspPct | KpiId::TransitPct | KpiId::RebufferPct | KpiId::EbvsPct => "%",
            KpiId::BackboneGbps | KpiId::MissGbps | KpiId::BackboneFillGbps | KpiId::FillGbps | KpiId::EdgeGbps => {
                "Gbps"
            }
            KpiId::StartupP50Ms | KpiId::StartupP95Ms | KpiId::StartupMeanMs => "ms",
            KpiId::DeliveredKbps => "kbps",
        }
    }
}

/// A named time series. The twin produces them from its samples; connectors produce them from metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub unit: String,
    pub points: Vec<(SimTime, f64)>,
}

impl Series {
    pub fn from_samples<'a>(kpi: KpiId, samples: impl IntoIterator<Item = &'a KpiSample>) -> Series {
        Series {
            name: kpi.key().to_string(),
            unit: kpi.unit().to_string(),
            points: samples.into_iter().filter_map(|s| s.value(kpi).map(|v| (s.t, v))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_a_bin() {
        let mut bins = vec![0u32; HIST_BINS];
        for ms in 1..=1000 {
            bins[hist_bin(ms as f64 * 10.0)] += 1; // uniform 10 ms .. 10 s
        }
        let p50 = hist_quantile(&bins, 1, 0.5).unwrap();
        let p95 = hist_quantile(&bins, 1, 0.95).unwrap();
        assert!((p50 / 5000.0 - 1.0).abs() < 0.02, "{p50}");
        assert!((p95 / 9500.0 - 1.0).abs() < 0.02, "{p95}");
        assert_eq!(hist_quantile(&[0u32; 4], 1, 0.5), None);
        let coarse: Vec<u32> = bins.chunks(COARSE_FACTOR).map(|c| c.iter().sum()).collect();
        let p50c = hist_quantile(&coarse, COARSE_FACTOR, 0.5).unwrap();
        assert!((p50c / 5000.0 - 1.0).abs() < 0.2, "{p50c}");
    }

    #[test]
    fn a_half_percent_shift_in_startup_times_moves_the_percentiles_by_about_as_much() {
        // Startup times spread over 200 ms to 8 s (log-uniform, as many bins each), then the same 0.5% slower:
        // each value stays in its 2% bin or moves one up, and the percentiles must move with them.
        let times: Vec<f64> = (0..20_000).map(|i| 200.0 * 40f64.powf(i as f64 / 20_000.0)).collect();
        let hist = |scale: f64| {
            let mut bins = vec![0u64; HIST_BINS];
            for t in &times {
                bins[hist_bin(t * scale)] += 1;
            }
            bins
        };
        let (base, slower) = (hist(1.0), hist(1.005));
        for q in [0.5, 0.95] {
            let (a, b) = (hist_quantile(&base, 1, q).unwrap(), hist_quantile(&slower, 1, q).unwrap());
            let shift = b / a - 1.0;
            assert!((0.003..0.007).contains(&shift), "p{}: {a} → {b} ({:+.3}%)", q * 100.0, 100.0 * shift);
        }
    }

    #[test]
    fn bins_are_looked_up_as_the_formula_gives_them() {
        let index = &*BIN_INDEX;
        let mut values = vec![f64::NAN, f64::INFINITY, -1.0, 0.0, HIST_MIN_MS, 1e9];
        for &edge in &index.lower {
            let bits = edge.to_bits();
            values.extend([bits - 1, bits, bits + 1].map(f64::from_bits));
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x = crate::rng::mix64(x);
            values.push(HIST_MIN_MS * 2f64.powf((x >> 11) as f64 / (1u64 << 53) as f64 * 18.0));
        }
        for ms in values {
            assert_eq!(hist_bin(ms), hist_bin_by_log(ms), "{ms}");
        }
        assert!(index.lower.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn history_chunks_share_and_index() {
        let mut h = History::default();
        for i in 0..150u64 {
            h.push(KpiSample { plays: i, ..Default::default() });
        }
        let copy = h.clone();
        assert!(Arc::ptr_eq(&h.chunks[1], &copy.chunks[1]), "full hours are shared");
        assert_eq!(h.len(), 150);
        assert_eq!((h[0].plays, h[59].plays, h[60].plays, h[149].plays), (0, 59, 60, 149));
        assert_eq!(h.last().unwrap().plays, 149);
        assert_eq!(h.iter().map(|s| s.plays).sum::<u64>(), (0..150).sum());
        assert_eq!(h.get(150), None);
        assert_eq!(h, copy);
        let series = Series::from_samples(KpiId::Plays, h.iter());
        assert_eq!(series.points.len(), 150);
    }

    #[test]
    fn derived_values() {
        let s = KpiSample {
            edge_bytes: 750_000_000_000,
            origin_bytes: 250_000_000_000,
            plays: 10,
            ebvs: 1,
            ..Default::default()
        };
        assert_eq!(s.offload(), Some(0.75));
        assert!((s.edge_gbps() - 100.0).abs() < 1e-9);
        assert_eq!(s.ebvs_pct(), Some(10.0));
        assert_eq!(KpiSample::default().offload(), None);
    }
}
