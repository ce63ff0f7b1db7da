//! `edgetwin trace export` writes the requests one site is offered in a simulated run, and `edgetwin trace
//! replay` replays a libCacheSim-format (or CSV) trace, plain or zstd-compressed, through cache policies,
//! printing miss ratios and throughput comparable with libCacheSim's `cachesim`. Replay streams: a reader thread
//! decompresses and parses fixed-size blocks while the policies consume them, so memory stays bounded (a few
//! blocks plus the caches' own state) whatever the trace's length.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use twin::SiteId;
use twin::cache::{self, Belady, Capacity, OnlinePolicy, Policy, ReplayStats};
use twin::trace::{self, Record, TraceFormat, TraceReader};

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Simulate a scenario and write the requests offered to one site (what a cache there would see).
    Export(ExportArgs),
    /// Replay a trace through caches and print each one's miss ratio, byte miss ratio and speed (requests per
    /// second of time spent in that cache), then the whole replay's speed, reading included, and peak memory.
    Replay(ReplayArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Scenario file, or `default` for the embedded default.
    pub scenario: PathBuf,
    /// Site index (as in the console's inspector and `world.sites`); default: the site offered most plays.
    #[arg(long)]
    pub site: Option<u32>,
    /// Simulated hours to record.
    #[arg(long, default_value_t = 24.0, value_parser = super::positive_span)]
    pub hours: f64,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "oracleGeneral")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    #[value(name = "oracleGeneral", alias = "oraclegeneral")]
    OracleGeneral,
    Csv,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Trace file, plain or zstd-compressed (`.zst`, recognised by its magic bytes).
    pub file: PathBuf,
    /// Trace format; default: csv for names ending in .csv (or .csv.zst), else oracleGeneral.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Policies, comma-separated: lru, lfu, fifo, sieve, s3fifo, arc, belady (needs oracleGeneral's next
    /// access), or all (belady only if the format allows). Several replay side by side over one read of the trace.
    #[arg(long, default_value = "lru")]
    pub policy: String,
    /// Cache size: a number with a unit, `objects` or bytes (`bytes`, KB, MB, GB, TB, KiB, MiB, GiB, TiB),
    /// e.g. 1000objects or 10GB.
    #[arg(long)]
    pub size: String,
    /// Replay the trace this many times back to back (for throughput benchmarks on a longer trace).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
}

pub fn run(c: TraceCommand) -> anyhow::Result<()> {
    match c {
        TraceCommand::Export(a) => export(a),
        TraceCommand::Replay(a) => replay(a),
    }
}

impl Format {
    fn twin(self) -> TraceFormat {
        match self {
            Format::OracleGeneral => TraceFormat::OracleGeneral,
            Format::Csv => TraceFormat::Csv,
        }
    }
}

fn export(a: ExportArgs) -> anyhow::Result<()> {
    let minutes = (a.hours * 60.0).ceil() as u64;
    let mut twin = super::build_twin(super::load_scenario(&a.scenario, None)?, None)?;
    let sites = twin.model().world.sites.len();
    let site = match a.site {
        Some(s) => {
            anyhow::ensure!((s as usize) < sites, "--site {s}: the world has sites 0 to {}", sites - 1);
            SiteId(s)
        }
        None => {
            // The busiest site, from a short probe run on a fork.
            let mut probe = twin.fork();
            probe.advance_minutes(minutes.min(180));
            let busiest = (0..sites)
                .max_by_key(|&s| probe.site_history(SiteId(s as u32)).iter().map(|m| m.plays as u64).sum::<u64>())
                .unwrap_or(0);
            SiteId(busiest as u32)
        }
    };
    twin.record_site_requests(Some(site));
    twin.advance_minutes(minutes);
    let requests = twin.recorded_requests();
    let file = File::create(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    trace::write(&mut std::io::BufWriter::new(file), a.format.twin(), requests)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let objects: std::collections::HashSet<u64> = requests.iter().map(|r| r.obj_id).collect();
    let capped = requests.iter().filter(|r| r.size_bytes == u32::MAX).count();
    println!(
        "site {} ({}): {} requests for {} files over {:.1} h written to {}",
        site.0,
        twin.model().world.sites[site.0 as usize].name,
        requests.len(),
        objects.len(),
        minutes as f64 / 60.0,
        a.out.display()
    );
    if capped > 0 {
        println!("{capped} requests are for files over 4 GiB; their size is capped at 4 GiB (the format's u32 field)");
    }
    Ok(())
}

/// A policy under replay: Belady apart, as it is not an online policy.
enum Replayed {
    Online(cache::OnlineCache),
    Belady(Belady),
}

/// One policy's cache, its statistics and the time spent in it.
struct Run {
    cache: Replayed,
    stats: ReplayStats,
    busy: Duration,
}

impl Run {
    fn replay(&mut self, capacity: Capacity, block: &[Record]) {
        let started = Instant::now();
        let accesses = block.iter().map(Record::access);
        match &mut self.cache {
            Replayed::Online(c) => cache::replay(c, capacity, accesses, &mut self.stats),
            Replayed::Belady(c) => cache::replay(c, capacity, accesses, &mut self.stats),
        }
        self.busy += started.elapsed();
    }

    fn name(&self) -> &'static str {
        match &self.cache {
            Replayed::Online(c) => c.name(),
            Replayed::Belady(c) => c.name(),
        }
    }
}

fn replay(a: ReplayArgs) -> anyhow::Result<()> {
    let capacity = parse_size(&a.size)?;
    anyhow::ensure!(a.repeat >= 1, "--repeat must be at least 1");
    let format = a.format.map_or_else(|| format_from_name(&a.file), Format::twin);
    let mut runs = parse_policies(&a.policy, capacity, format)?;
    if runs.iter().any(|r| matches!(r.cache, Replayed::Belady(_))) {
        anyhow::ensure!(
            format.has_next_access(),
            "{}: belady needs each request's next access, which CSV traces do not carry; replay an \
             oracleGeneral trace (libCacheSim's format, which `trace export` also writes)",
            a.file.display()
        );
    }
    let started = Instant::now();
    let mut requests = 0u64;
    for _ in 0..a.repeat {
        requests += stream(&a.file, format, |block| runs.iter_mut().for_each(|r| r.replay(capacity, block)))?;
    }
    let wall = started.elapsed().as_secs_f64();
    anyhow::ensure!(requests > 0, "{}: the trace holds no requests", a.file.display());
    for r in &runs {
        println!(
            "{} {} cache_size {}: {} requests, miss ratio {:.6}, byte miss ratio {:.6}, {:.2} M requests/s",
            a.file.display(),
            r.name(),
            a.size,
            r.stats.requests,
            r.stats.miss_ratio(),
            r.stats.byte_miss_ratio(),
            r.stats.requests as f64 / r.busy.as_secs_f64().max(1e-9) / 1e6
        );
    }
    let peak = super::bench::peak_rss_mib().map_or_else(|| "not available".to_string(), |m| format!("{m:.0} MiB"));
    println!(
        "{requests} requests read and replayed in {wall:.2} s ({:.2} M requests/s end to end); peak memory {peak}",
        requests as f64 / wall / 1e6
    );
    Ok(())
}

/// The policies named in `list`; `all` is every policy the trace's format allows (Belady needs next accesses).
fn parse_policies(list: &str, capacity: Capacity, format: TraceFormat) -> anyhow::Result<Vec<Run>> {
    let names: Vec<&str> = if list.trim() == "all" {
        OnlinePolicy::ALL.iter().map(|p| p.name()).chain(format.has_next_access().then_some("belady")).collect()
    } else {
        list.split(',').map(str::trim).collect()
    };
    names
        .into_iter()
        .map(|name| {
            let cache = match OnlinePolicy::parse(name) {
                Some(p) => Replayed::Online(p.cache(capacity)),
                None if name.eq_ignore_ascii_case("belady") => Replayed::Belady(Belady::new(capacity)),
                None => anyhow::bail!(
                    "--policy {name}: unknown policy; expected {}, belady or all",
                    OnlinePolicy::ALL.map(|p| p.name()).join(", ")
                ),
            };
            Ok(Run { cache, stats: ReplayStats::default(), busy: Duration::ZERO })
        })
        .collect()
}

/// csv for names ending in .csv (before any .zst), else oracleGeneral.
fn format_from_name(path: &Path) -> TraceFormat {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".zst").unwrap_or(&name);
    if name.ends_with(".csv") { TraceFormat::Csv } else { TraceFormat::OracleGeneral }
}

/// zstd frames start with these bytes (RFC 8878).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Opens a trace file, decompressing it if it is zstd.
fn open(path: &Path) -> anyhow::Result<Box<dyn Read + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let head = input.fill_buf().with_context(|| format!("cannot read {}", path.display()))?;
    if head.starts_with(&ZSTD_MAGIC) {
        Ok(Box::new(Zstd::new(input).with_context(|| format!("{}: not a valid zstd stream", path.display()))?))
    } else {
        Ok(Box::new(input))
    }
}

/// Streams a trace's records to `each_block`, a block at a time, parsing on a reader thread meanwhile. Returns
/// the number of records.
fn stream(path: &Path, format: TraceFormat, mut each_block: impl FnMut(&[Record])) -> anyhow::Result<u64> {
    let mut reader = TraceReader::new(path.display().to_string(), format, open(path)?);
    // Two blocks in flight and one being filled: memory stays a few blocks whatever the trace's length.
    let (full_tx, full_rx) = mpsc::sync_channel::<Result<Vec<Record>, trace::TraceError>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Record>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let mut block = empty_rx.try_recv().unwrap_or_default();
                let read = reader.read_block(&mut block);
                let done = read.is_err() || block.is_empty();
                if full_tx.send(read.map(|()| block)).is_err() || done {
                    return;
                }
            }
        });
        let mut records = 0;
        for block in full_rx {
            let block = block?;
            if block.is_empty() {
                break;
            }
            records += block.len() as u64;
            each_block(&block);
            // The reader may have finished already; then the block is simply dropped.
            let _ = empty_tx.send(block);
        }
        Ok(records)
    })
}

type Frame<R> = ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>;

/// A zstd stream of one or more frames, decoded as it is read.
struct Zstd<R: BufRead> {
    /// None only after a following frame failed to start.
    frame: Option<Frame<R>>,
}

impl<R: BufRead> Zstd<R> {
    fn new(input: R) -> anyhow::Result<Zstd<R>> {
        Ok(Zstd { frame: Some(Frame::new(input)?) })
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let frame = self.frame.as_mut().ok_or_else(|| std::io::Error::other("a zstd frame did not start"))?;
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() || frame.get_mut().fill_buf()?.is_empty() {
                return Ok(n);
            }
            // This frame is done and another follows.
            if let Some(done) = self.frame.take() {
                let (input, decoder) = done.into_parts();
                self.frame = Some(Frame::new_with_decoder(input, decoder).map_err(std::io::Error::other)?);
            }
        }
    }
}

fn parse_size(s: &str) -> anyhow::Result<Capacity> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| anyhow::anyhow!("--size {s}: expected a whole number then a unit, such as 1000objects or 10GB"))?;
    let bytes = |k: u64| n.checked_mul(k).map(Capacity::Bytes).ok_or_else(|| anyhow::anyhow!("--size {s}: too large"));
    let capacity = match unit.trim().to_ascii_lowercase().as_str() {
        "objects" | "object" | "obj" => Capacity::Objects(n),
        "" | "b" | "bytes" => Capacity::Bytes(n),
        "kb" => bytes(1_000)?,
        "mb" => bytes(1_000_000)?,
        "gb" => bytes(1_000_000_000)?,
        "tb" => bytes(1_000_000_000_000)?,
        "kib" => bytes(1 << 10)?,
        "mib" => bytes(1 << 20)?,
        "gib" => bytes(1 << 30)?,
        "tib" => bytes(1 << 40)?,
        other => anyhow::bail!(
            "--size {s}: unknown unit {other:?}; expected objects, bytes, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
        ),
    };
    anyhow::ensure!(capacity.limit() > 0, "--size {s}: the cache must hold something");
    Ok(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1000objects").unwrap(), Capacity::Objects(1000));
        assert_eq!(parse_size("10GB").unwrap(), Capacity::Bytes(10_000_000_000));
        assert_eq!(parse_size("1000000000bytes").unwrap(), Capacity::Bytes(1_000_000_000));
        assert_eq!(parse_size("2MiB").unwrap(), Capacity::Bytes(2 << 20));
        assert!(parse_size("many").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("0objects").is_err());
    }
}
