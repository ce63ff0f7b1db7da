//! `edgetwin trace export` writes the requests one site is offered in a simulated run, and `edgetwin trace
//! replay` replays a libCacheSim-format (or CSV) trace through a cache policy, printing miss ratios and
//! throughput comparable with libCacheSim's `cachesim`.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use twin::SiteId;
use twin::cache::{self, Capacity};
use twin::trace::{self, TraceFormat};

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Simulate a scenario and write the requests offered to one site (what a cache there would see).
    Export(ExportArgs),
    /// Replay a trace through a cache and print its miss ratio and byte miss ratio.
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

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyName {
    Lru,
    Lfu,
    Fifo,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Trace file.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "oracleGeneral")]
    pub format: Format,
    #[arg(long, value_enum, default_value = "lru")]
    pub policy: PolicyName,
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
    trace::write(&a.out, a.format.twin(), requests)?;
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

fn replay(a: ReplayArgs) -> anyhow::Result<()> {
    let capacity = parse_size(&a.size)?;
    anyhow::ensure!(a.repeat >= 1, "--repeat must be at least 1");
    let requests = trace::read(&a.file, a.format.twin())?;
    anyhow::ensure!(!requests.is_empty(), "{}: the trace holds no requests", a.file.display());
    let name = format!("{:?}", a.policy).to_lowercase();
    let mut policy = cache::policy(&name, capacity).ok_or_else(|| anyhow::anyhow!("unknown policy {name}"))?;
    let started = Instant::now();
    let mut total = cache::ReplayStats::default();
    for _ in 0..a.repeat {
        let s = cache::replay(policy.as_mut(), capacity, &requests);
        total.requests += s.requests;
        total.misses += s.misses;
        total.bytes += s.bytes;
        total.miss_bytes += s.miss_bytes;
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{} {} cache_size {}: {} requests, miss ratio {:.6}, byte miss ratio {:.6}, {:.2} M requests/s",
        a.file.display(),
        name,
        a.size,
        total.requests,
        total.miss_ratio(),
        total.byte_miss_ratio(),
        total.requests as f64 / wall / 1e6
    );
    Ok(())
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
