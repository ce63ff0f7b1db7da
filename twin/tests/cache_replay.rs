//! Trace replay against libCacheSim: the reference trace in shared/traces and the miss ratios libCacheSim 0.3.5
//! reports on it; and LRU against the Che approximation on an IRM Zipf trace.

use std::path::PathBuf;

use twin::cache::{self, Capacity, che_lru_miss_ratio};
use twin::rng::{AliasTable, Rng, Stream};
use twin::trace::{self, Request, TraceFormat};

fn shared_traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces")
}

/// (mode, policy, size, miss ratio, byte miss ratio) rows of reference.txt.
fn reference() -> Vec<(String, String, u64, f64, f64)> {
    let text = std::fs::read_to_string(shared_traces().join("reference.txt")).expect("shared/traces/reference.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect()
}

#[test]
fn replay_matches_libcachesim_on_the_reference_trace() {
    let requests =
        trace::read(&shared_traces().join("zipf-a0.8-n20k-r200k.oracleGeneral.bin"), TraceFormat::OracleGeneral)
            .expect("reference trace reads");
    assert_eq!(requests.len(), 200_000);
    let rows = reference();
    assert_eq!(rows.len(), 11);
    for (mode, policy, size, miss, byte_miss) in rows {
        let capacity = if mode == "objects" { Capacity::Objects(size) } else { Capacity::Bytes(size) };
        let mut p = cache::policy(&policy, capacity).unwrap();
        let s = cache::replay(p.as_mut(), capacity, &requests);
        let line = format!(
            "{mode} {policy} {size}: ours {:.6} / {:.6}, libCacheSim {miss:.6} / {byte_miss:.6}",
            s.miss_ratio(),
            s.byte_miss_ratio()
        );
        eprintln!("{line}");
        assert!((s.miss_ratio() - miss).abs() < 5e-5, "{line}");
        assert!((s.byte_miss_ratio() - byte_miss).abs() < 5e-5, "{line}");
    }
}

#[test]
fn oracle_general_and_csv_round_trip_the_reference_trace() {
    let path = shared_traces().join("zipf-a0.8-n20k-r200k.oracleGeneral.bin");
    let original = std::fs::read(&path).unwrap();
    let requests = trace::parse_oracle_general("ref", &original).unwrap();
    assert_eq!(trace::to_oracle_general(&requests), original, "our next-access indexes equal libCacheSim's");
    let dir = std::env::temp_dir().join(format!("edgetwin-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("t.csv");
    trace::write(&csv, TraceFormat::Csv, &requests).unwrap();
    assert_eq!(trace::read(&csv, TraceFormat::Csv).unwrap(), requests);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn lru_agrees_with_the_che_approximation_on_an_irm_zipf_trace() {
    let objects = 10_000usize;
    let weights: Vec<f64> = (1..=objects).map(|k| 1.0 / (k as f64).powf(0.9)).collect();
    let table = AliasTable::new(&weights);
    let mut rng = Rng::new(5, Stream::Calibration, &[]);
    let requests: Vec<Request> = (0..2_000_000)
        .map(|i| Request { time_s: i / 1000, obj_id: table.sample(&mut rng) as u64, size_bytes: 1 })
        .collect();
    for c in [100u64, 1000, 3000] {
        let mut lru = cache::Lru::new(Capacity::Objects(c));
        // Skip the cold start, as the approximation describes the steady state.
        let warm = 200_000;
        cache::replay(&mut lru, Capacity::Objects(c), &requests[..warm]);
        let s = cache::replay(&mut lru, Capacity::Objects(c), &requests[warm..]);
        let che = che_lru_miss_ratio(&weights, c as f64);
        assert!((s.miss_ratio() - che).abs() < 0.005, "C={c}: replay {:.4}, Che {che:.4}", s.miss_ratio());
    }
}
