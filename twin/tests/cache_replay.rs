//! Trace replay against libCacheSim: every policy on the shared reference trace, against the miss ratios
//! libCacheSim reports on it (shared/traces/reference.txt, and tests/data/libcachesim_reference.txt for all the
//! policies, made by scripts/libcachesim_reference.py); and LRU against the Che approximation on an IRM Zipf trace.

use std::path::{Path, PathBuf};

use twin::cache::{self, Access, Belady, Capacity, OnlinePolicy, Policy, ReplayStats, che_lru_miss_ratio};
use twin::rng::{AliasTable, Rng, Stream};
use twin::trace::{self, Record, Request, TraceFormat};

fn shared_traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces")
}

fn reference_trace() -> Vec<Record> {
    let path = shared_traces().join("zipf-a0.8-n20k-r200k.oracleGeneral.bin");
    let file = std::fs::File::open(&path).expect("the shared reference trace");
    trace::read_all("reference", TraceFormat::OracleGeneral, std::io::BufReader::new(file)).expect("it parses")
}

/// (mode, policy, size, miss ratio, byte miss ratio) rows of a reference file.
fn reference(path: &Path) -> Vec<(String, String, u64, f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect()
}

fn replay(policy: &str, capacity: Capacity, records: &[Record]) -> ReplayStats {
    let mut stats = ReplayStats::default();
    let accesses = records.iter().map(Record::access);
    match policy {
        "belady" => cache::replay(&mut Belady::new(capacity), capacity, accesses, &mut stats),
        name => {
            let mut cache =
                OnlinePolicy::parse(name).unwrap_or_else(|| panic!("unknown policy {name}")).cache(capacity);
            cache::replay(&mut cache, capacity, accesses, &mut stats)
        }
    }
    stats
}

fn check_against(path: &Path, rows_expected: usize) {
    let records = reference_trace();
    assert_eq!(records.len(), 200_000);
    let rows = reference(path);
    assert_eq!(rows.len(), rows_expected);
    let mut failures = Vec::new();
    for (mode, policy, size, miss, byte_miss) in rows {
        let capacity = if mode == "objects" { Capacity::Objects(size) } else { Capacity::Bytes(size) };
        let s = replay(&policy, capacity, &records);
        let line = format!(
            "{mode} {policy} {size}: ours {:.6} / {:.6}, libCacheSim {miss:.6} / {byte_miss:.6}",
            s.miss_ratio(),
            s.byte_miss_ratio()
        );
        eprintln!("{line}");
        if (s.miss_ratio() - miss).abs() >= 1e-4 || (s.byte_miss_ratio() - byte_miss).abs() >= 1e-4 {
            failures.push(line);
        }
    }
    assert!(failures.is_empty(), "differ from libCacheSim by 1e-4 or more:\n{}", failures.join("\n"));
}

#[test]
fn lru_lfu_fifo_match_the_shared_reference() {
    check_against(&shared_traces().join("reference.txt"), 11);
}

#[test]
fn every_policy_matches_libcachesim_in_object_and_byte_mode() {
    // 7 policies × (3 object sizes + 2 byte sizes).
    check_against(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/libcachesim_reference.txt"), 35);
}

#[test]
fn belady_is_never_beaten_by_an_online_policy() {
    let records = reference_trace();
    for capacity in [Capacity::Objects(100), Capacity::Objects(5000), Capacity::Bytes(1_000_000_000)] {
        let best = replay("belady", capacity, &records).misses;
        for p in OnlinePolicy::ALL {
            let s = replay(p.name(), capacity, &records);
            assert!(best <= s.misses, "{capacity:?}: belady {best} misses > {} {}", p.name(), s.misses);
        }
    }
}

#[test]
fn oracle_general_and_csv_round_trip_the_reference_trace() {
    let original = std::fs::read(shared_traces().join("zipf-a0.8-n20k-r200k.oracleGeneral.bin")).unwrap();
    let records = trace::read_all("ref", TraceFormat::OracleGeneral, &original[..]).unwrap();
    let requests: Vec<Request> = records.iter().map(|r| r.request).collect();
    assert_eq!(trace::to_oracle_general(&requests), original, "our next-access indexes equal libCacheSim's");
    let mut csv = Vec::new();
    trace::write(&mut csv, TraceFormat::Csv, &requests).unwrap();
    let back = trace::read_all("ref.csv", TraceFormat::Csv, &csv[..]).unwrap();
    assert!(back.iter().map(|r| r.request).eq(requests.iter().copied()));
    assert!(back.iter().all(|r| r.next_access.is_none()), "CSV carries no next access");
}

#[test]
fn lru_agrees_with_the_che_approximation_on_an_irm_zipf_trace() {
    let objects = 10_000usize;
    let weights: Vec<f64> = (1..=objects).map(|k| 1.0 / (k as f64).powf(0.9)).collect();
    let table = AliasTable::new(&weights);
    let mut rng = Rng::new(5, Stream::Calibration, &[]);
    let accesses: Vec<Access> = (0..2_000_000).map(|_| Access::new(table.sample(&mut rng) as u64, 1)).collect();
    for c in [100u64, 1000, 3000] {
        let capacity = Capacity::Objects(c);
        let mut lru = cache::Lru::new(capacity);
        // Skip the cold start, as the approximation describes the steady state.
        let warm = 200_000;
        cache::replay(&mut lru, capacity, accesses[..warm].iter().copied(), &mut ReplayStats::default());
        let mut s = ReplayStats::default();
        cache::replay(&mut lru, capacity, accesses[warm..].iter().copied(), &mut s);
        let che = che_lru_miss_ratio(&weights, c as f64);
        assert!((s.miss_ratio() - che).abs() < 0.005, "C={c}: replay {:.4}, Che {che:.4}", s.miss_ratio());
        assert_eq!(lru.name(), "lru");
    }
}
