//! `edgetwin trace replay` as a user runs it: every policy at once, zstd-compressed traces (one or more frames),
//! CSV detected by name, and Belady's refusal of a trace without next accesses.

use std::path::PathBuf;
use std::process::{Command, Output};

use ruzstd::encoding::{CompressionLevel, compress_to_vec};

const REFERENCE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/traces/zipf-a0.8-n20k-r200k.oracleGeneral.bin");

fn replay(args: &[&str]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_edgetwin")).args(["trace", "replay"]).args(args).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into());
    (out, stdout, stderr)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgetwin-trace-replay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn all_policies_replay_side_by_side_with_libcachesim_miss_ratios() {
    let (out, stdout, stderr) = replay(&[REFERENCE, "--policy", "all", "--size", "1000objects"]);
    assert!(out.status.success(), "{stdout}{stderr}");
    // libCacheSim 0.3.5's figures (twin/tests/data/libcachesim_reference.txt).
    for (policy, miss) in [
        ("lru", "0.658055"),
        ("lfu", "0.569140"),
        ("fifo", "0.694565"),
        ("sieve", "0.565515"),
        ("s3fifo", "0.555425"),
        ("arc", "0.565680"),
        ("belady", "0.426160"),
    ] {
        let line = stdout.lines().find(|l| l.contains(&format!(" {policy} cache_size"))).unwrap_or_default();
        assert!(line.contains(&format!("miss ratio {miss}")) && line.contains("M requests/s"), "{policy}:\n{stdout}");
    }
    assert!(stdout.contains("200000 requests read and replayed"), "{stdout}");
}

#[test]
fn zstd_traces_replay_like_plain_ones_even_in_several_frames() {
    let dir = temp_dir("zst");
    let plain = std::fs::read(REFERENCE).unwrap();
    let (half, rest) = plain.split_at(plain.len() / 2 / 24 * 24);
    let mut two_frames = compress_to_vec(half, CompressionLevel::Fastest);
    two_frames.extend(compress_to_vec(rest, CompressionLevel::Fastest));
    // No .zst in the name: the magic bytes tell.
    let path = dir.join("reference.oracleGeneral");
    std::fs::write(&path, &two_frames).unwrap();
    let (out, stdout, stderr) = replay(&[path.to_str().unwrap(), "--policy", "fifo", "--size", "5000objects"]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("200000 requests, miss ratio 0.425915"), "{stdout}");

    std::fs::write(&path, &two_frames[..two_frames.len() / 2]).unwrap();
    let (out, _, stderr) = replay(&[path.to_str().unwrap(), "--size", "5000objects"]);
    assert!(!out.status.success() && stderr.contains("reference.oracleGeneral"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn csv_is_recognised_by_name_and_belady_refuses_it() {
    let dir = temp_dir("csv");
    let csv = dir.join("t.csv");
    std::fs::write(&csv, "time_s,obj_id,size_bytes\n0,1,10\n1,2,10\n2,1,10\n").unwrap();
    let (out, stdout, stderr) = replay(&[csv.to_str().unwrap(), "--policy", "lru,sieve", "--size", "2objects"]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.matches("3 requests, miss ratio 0.666667").count(), 2, "{stdout}");

    let (out, _, stderr) = replay(&[csv.to_str().unwrap(), "--policy", "belady", "--size", "2objects"]);
    assert!(!out.status.success() && stderr.contains("belady needs each request's next access"), "{stderr}");
    let (out, stdout, stderr) = replay(&[csv.to_str().unwrap(), "--policy", "all", "--size", "2objects"]);
    let policies = stdout.matches(": 3 requests, miss ratio").count();
    assert!(out.status.success() && policies == 6 && !stdout.contains("belady"), "all but belady:\n{stdout}{stderr}");

    std::fs::write(&csv, "0,1,10\n1,x,10\n").unwrap();
    let (out, _, stderr) = replay(&[csv.to_str().unwrap(), "--size", "2objects"]);
    assert!(!out.status.success() && stderr.contains("t.csv:2:3: expected an object id"), "{stderr}");

    let (out, _, stderr) = replay(&[csv.to_str().unwrap(), "--policy", "clock", "--size", "2objects"]);
    assert!(!out.status.success() && stderr.contains("expected lru, lfu, fifo, sieve, s3fifo, arc, belady or all"));
    std::fs::remove_dir_all(&dir).ok();
}
