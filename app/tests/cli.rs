//! The headless commands as a user runs them: the real binary, real files.

use std::path::{Path, PathBuf};
use std::process::Command;

use edgetwin::ui::views::REGISTERED;

fn edgetwin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgetwin"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgetwin-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn run_prints_a_summary_and_writes_kpis() {
    let dir = temp_dir("run");
    let csv = dir.join("kpis.csv");
    let out = edgetwin()
        .args(["run", "assets/scenarios/default.toml", "--hours", "8", "--seed", "5", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for needle in ["default (seed 5)", "offload %", "startup p50 (s)", "peak at (local)", "World", "EU"] {
        assert!(stdout.contains(needle), "summary lacks {needle:?}:\n{stdout}");
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..3], ["minute", "utc", "scope"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let world: Vec<&Vec<&str>> = rows.iter().filter(|r| r[2] == "world").collect();
    assert_eq!(world.len(), 480, "one world row a minute");
    // Every KPI and every raw counter of the sample has its column, under the KPI's own key.
    let counters = twin::KpiSample::default().counters();
    for key in twin::KpiId::ALL.iter().map(|k| k.key()).chain(counters.iter().map(|c| c.0)) {
        assert_eq!(header.iter().filter(|h| **h == key).count(), 1, "one {key} column in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let sum = |name: &str| world.iter().map(|r| r[col(name)].parse::<u64>().unwrap() as f64).sum::<f64>();
    let max = |name: &str| world.iter().map(|r| r[col(name)].parse::<f64>().unwrap()).fold(0.0, f64::max);
    for r in &world {
        let v: f64 = r[col("offload_pct")].parse().unwrap();
        assert!((0.0..=100.0).contains(&v));
        // Backbone means misses plus backbone fills, in the file as everywhere.
        let part = |name: &str| r[col(name)].parse::<f64>().unwrap();
        assert!((part("backbone_gbps") - part("miss_gbps") - part("backbone_fill_gbps")).abs() < 2e-4);
    }
    // The summary's World column agrees with the file: same names, same figures.
    let summary = |label: &str| -> f64 {
        let line = stdout.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} row"));
        line[label.len()..].split_whitespace().next().unwrap().replace(',', "").parse().unwrap()
    };
    let offload = 100.0 * sum("edge_bytes") / (sum("edge_bytes") + sum("origin_bytes"));
    assert!((summary("offload %") - offload).abs() < 0.006, "offload {offload}");
    assert!((summary("peak backbone Gbps") - max("backbone_gbps")).abs() < 0.051);
    assert!((summary("  peak misses Gbps") - max("miss_gbps")).abs() < 0.051);
    assert!(max("backbone_fill_gbps") > 1.0, "the night's fills crossed the backbone");
    assert!((summary("  peak backbone fills Gbps") - max("backbone_fill_gbps")).abs() < 0.051);
    assert!((summary("backbone TB") - (sum("origin_bytes") + sum("fill_backbone_bytes")) / 1e12).abs() < 0.051);
    assert_eq!(summary("plays"), sum("plays"), "plays");

    let json = dir.join("kpis.json");
    let fleet = dir.join("fleet.csv");
    let mut run = edgetwin();
    let out = run.args(["run", "default", "--hours", "1", "--out"]).arg(&json).arg("--fleet-out").arg(&fleet).output();
    let out = out.unwrap();
    assert!(out.status.success());
    let parsed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(parsed.as_array().unwrap().iter().filter(|r| r["scope"] == "world").count(), 60);
    // The control plane: a row a minute per region, its instances and cost as the summary's table has them.
    let text = std::fs::read_to_string(&fleet).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 60, "{header:?}");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let east: Vec<_> = rows.iter().filter(|r| r[col("scope")] == "us-east-1").collect();
    assert_eq!(east.len(), 60);
    assert!(east.iter().all(|r| r[col("in_service")].parse::<u32>().unwrap() >= 2), "at least min");
    let hours: f64 = east.last().unwrap()[col("instance_hours")].parse().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("us-east-1")).expect("the control-plane table");
    assert_eq!(line.split_whitespace().nth(3).unwrap(), format!("{hours:.0}"), "{line}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_scenario_is_reported_with_file_line_and_column() {
    let dir = temp_dir("bad");
    let path = dir.join("bad.toml");
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/scenarios/default.toml")).unwrap();
    std::fs::write(&path, good.replace("zipf_exponent = 0.9", "zipf_exponent = \"steep\"")).unwrap();
    let line = good.lines().position(|l| l.starts_with("zipf_exponent")).unwrap() + 1;
    let out = edgetwin().arg("run").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:{line}:17:", path.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = edgetwin().args(["run", "default", "--out", "kpis.txt"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".csv or .json"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_names_the_console_and_the_subcommands() {
    let out = edgetwin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["open the console", "run", "bench", "--screenshot", "--view", "--after-sim-hours"] {
        assert!(stdout.contains(needle), "help lacks {needle:?}:\n{stdout}");
    }
}

/// `[possible values: map, qoe, …]`, from the registry.
fn registered_views() -> String {
    let keys: Vec<&str> = REGISTERED.iter().map(|v| v.id.key()).collect();
    format!("[possible values: {}]", keys.join(", "))
}

#[test]
fn help_lists_every_registered_view() {
    let out = edgetwin().arg("--help").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&registered_views()), "help lacks {}:\n{stdout}", registered_views());
}

#[test]
fn screenshot_rejects_an_unknown_view() {
    let out = edgetwin().args(["--screenshot", "x.png", "--view", "nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid value 'nowhere' for '--view <VIEW>'"), "{stderr}");
    assert!(stderr.contains(&registered_views()), "{stderr}");
}

#[test]
fn an_input_error_prints_no_backtrace() {
    let dir = temp_dir("backtrace");
    let path = dir.join("broken.toml");
    std::fs::write(&path, "name = \"broken\"\nseed = \"seven\"\n").unwrap();
    let out = edgetwin().env("RUST_BACKTRACE", "1").arg("run").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:2:8:", path.display())), "{stderr}");
    assert!(!stderr.to_lowercase().contains("stack backtrace"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hours_days_and_frames_must_be_finite_and_positive() {
    let cases: [(&[&str], &str, &[&str]); 8] = [
        (&["run", "default"], "--hours", &["inf", "nan", "-1", "0"]),
        (&["bench", "default"], "--hours", &["inf", "nan", "-1", "0"]),
        (&["bench", "default"], "--warmup-hours", &["inf", "nan", "-1"]),
        (&["compare", "default"], "--days", &["inf", "nan", "-1", "0"]),
        (&["trace", "export", "default", "--out", "x.bin"], "--hours", &["inf", "nan", "-1", "0"]),
        (&["bench-ui", "default"], "--after-sim-hours", &["inf", "nan", "-1"]),
        (&["--screenshot", "x.png"], "--after-sim-hours", &["inf", "nan", "-1"]),
        (&["bench-ui", "default"], "--frames", &["0", "-1"]),
    ];
    for (command, flag, values) in cases {
        for value in values {
            let out = edgetwin().args(command).arg(format!("{flag}={value}")).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let case = format!("{} {flag}={value}", command.join(" "));
            assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
            assert!(stderr.contains(&format!("invalid value '{value}' for '{flag}")), "{case}: {stderr}");
        }
    }
}

#[test]
fn trace_replay_reports_libcachesim_miss_ratios() {
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/traces/zipf-a0.8-n20k-r200k.oracleGeneral.bin");
    let out = edgetwin()
        .args(["trace", "replay", trace, "--format", "oracleGeneral", "--policy", "fifo", "--size", "5000objects"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("miss ratio 0.425915"), "{stdout}");

    let out = edgetwin().args(["trace", "replay", trace, "--size", "lots"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a whole number then a unit"));
}

#[test]
fn trace_export_writes_a_trace_that_replays() {
    let dir = temp_dir("export");
    for (format, file) in [("oracleGeneral", "site.bin"), ("csv", "site.csv")] {
        let path = dir.join(file);
        let out = edgetwin()
            .args(["trace", "export", "default", "--site", "3", "--hours", "2", "--format", format, "--out"])
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("site 3"), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        let out = edgetwin()
            .args(["trace", "replay"])
            .arg(&path)
            .args(["--format", format, "--policy", "lru", "--size", "100objects"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("miss ratio"));
    }
    let out = edgetwin().args(["trace", "export", "default", "--site", "99999", "--out", "x.bin"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("the world has sites 0 to"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn validate_holds_the_default_scenario_against_public_figures() {
    let out = edgetwin().args(["validate", "default", "--days", "1"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let row = |figure: &str| -> &str {
        stdout.lines().find(|l| l.starts_with(figure)).unwrap_or_else(|| panic!("no {figure:?} row:\n{stdout}"))
    };
    // The rows the default is calibrated to are ok, and each names its public source or says "assumed".
    for figure in ["bytes straight into the member's ISP", "viewing hours per member per day", "startup time p50"] {
        assert!(row(figure).contains("  ok  "), "{figure} is off:\n{stdout}");
    }
    assert!(row("bytes straight into the member's ISP").contains("Netflix Open Connect, 2018"));
    assert!(row("rebuffer ratio").trim_end().ends_with("assumed"));
    // A day measured cannot score a prediction (a day is scored once every region saw it whole): no value, not ok.
    assert!(row("prediction WAPE, every video").contains("  –  "), "{stdout}");
    let summary = stdout.lines().last().unwrap();
    let ok: usize = summary.split(" ok").next().unwrap().trim().parse().unwrap();
    let off: usize = summary.split(", ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(ok > 3 * off, "most rows are ok: {summary}");
}

#[test]
fn whatif_prints_the_deltas_and_locates_a_bad_edit() {
    let dir = temp_dir("whatif");
    let good = dir.join("edits.toml");
    std::fs::write(&good, "[[edit]]\nkind = \"demand_scale\"\nfactor = 2.0\n").unwrap();
    let report = dir.join("report.md");
    let out = edgetwin()
        .args(["whatif", "default", "--at", "1", "--hours", "1", "--seeds", "2", "--edits"])
        .arg(&good)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let row = stdout.lines().find(|l| l.starts_with("backbone (TB)")).expect("a backbone row");
    let delta: f64 = row.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!(delta > 0.0, "twice the plays, more backbone: {row}");
    assert!(row.contains('±'), "two seed pairs give an interval: {row}");
    assert!(std::fs::read_to_string(&report).unwrap().contains("| offload (%) |"));

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[edit]]\nkind = \"demand_scale\"\nfactor = 2.0\n\n[[edit]]\nkind = \"warp\"\n").unwrap();
    let out = edgetwin().args(["whatif", "default", "--edits"]).arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml:5:1") && stderr.contains("warp"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_events_writes_a_store_that_analytics_reads_and_a_second_run_does_not_overwrite_it() {
    let dir = std::env::temp_dir().join(format!("edgetwin-cli-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("run.db");
    let _ = std::fs::remove_file(&db);
    let out =
        edgetwin().args(["run", "default", "--hours", "1", "--sample", "0.5", "--events"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("events (members sampled: 50.0%) written to"), "{stdout}");
    let out = edgetwin().arg("analytics").arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8_lossy(&out.stdout);
    for line in ["members sampled 50.0% (counts scaled back ×2.0)", "video startup time p50 / p95", "device mix"] {
        assert!(report.contains(line), "{line}: {report}");
    }
    // The store is not overwritten by a second run, and the error says why.
    let out = edgetwin().args(["run", "default", "--hours", "1", "--events"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    // A file that is not a store is named in the error.
    let bogus = dir.join("bogus.db");
    std::fs::write(&bogus, "not a database, only some text that is long enough to be read").unwrap();
    let out = edgetwin().arg("analytics").arg(&bogus).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus.db"));
    for bad in ["0", "1.5", "nan", "x"] {
        let out = edgetwin()
            .args(["run", "default", "--hours", "1", "--sample", bad, "--events"])
            .arg(dir.join("x.db"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "--sample {bad}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_run_killed_while_writing_events_leaves_a_sound_store_missing_at_most_its_tail() {
    let dir = std::env::temp_dir().join(format!("edgetwin-cli-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut passed, mut mid_write) = (0, 0);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..20 {
        let db = dir.join(format!("killed-{i}.db"));
        for f in [db.clone(), db.with_extension("db-wal"), db.with_extension("db-shm")] {
            let _ = std::fs::remove_file(f);
        }
        let mut child = edgetwin()
            .args(["run", "default", "--hours", "24", "--threads", "1", "--events"])
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // A moment from 0.2 s to 3 s in: while the world is built, or while minutes are written.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(std::time::Duration::from_millis(200 + x % 2800));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if !db.exists() {
            passed += 1; // killed before the store was made: nothing to check
            continue;
        }
        let conn = edgetwin::store::events::open(&db).expect("the store opens after the kill");
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        // Every minute from the first to the last written is there: what was lost is at most the tail.
        let mut stmt = conn.prepare("SELECT DISTINCT t_s / 60 FROM events WHERE kind = 0 ORDER BY 1").unwrap();
        let minutes: Vec<i64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        let whole = minutes.windows(2).all(|w| w[1] == w[0] + 1);
        mid_write += !minutes.is_empty() as usize;
        if check == "ok" && whole {
            passed += 1;
        } else {
            eprintln!("kill {i}: integrity {check}, minutes {:?}…", &minutes[..minutes.len().min(5)]);
        }
    }
    eprintln!("{passed} of 20 killed runs left a sound store ({mid_write} killed after events were written)");
    assert_eq!(passed, 20);
    std::fs::remove_dir_all(&dir).ok();
}

/// The tests' venv's Python (scripts/test-all.sh makes it, with pyarrow): an independent reader of exports.
fn test_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test-all.sh once (it makes the test venv with pyarrow)",
        python.display()
    );
    python
}

#[test]
fn exported_parquet_and_csv_are_read_back_by_pyarrow_with_the_stores_counts() {
    let dir = std::env::temp_dir().join(format!("edgetwin-cli-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("run.db");
    // 25 hours from midnight UTC: two days, two partitions.
    let out =
        edgetwin().args(["run", "default", "--hours", "25", "--sample", "0.05", "--events"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = edgetwin::store::events::open(&db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT k.name, count(*) FROM events e JOIN kinds k ON k.code = e.kind GROUP BY k.name ORDER BY k.name",
        )
        .unwrap();
    let expected: Vec<(String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let nulls: i64 = conn.query_row("SELECT count(*) FROM events WHERE site IS NULL", [], |r| r.get(0)).unwrap();
    let expected = format!("{expected:?} {nulls}").replace('"', "'");
    for format in ["parquet", "csv"] {
        let out_dir = dir.join(format);
        let out = edgetwin()
            .args(["export", "events"])
            .arg(&db)
            .args(["--format", format, "--out"])
            .arg(&out_dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out_dir.join("dt=2026-11-23").is_dir() && out_dir.join("dt=2026-11-24").is_dir(), "two days");
        // CSV carries no types: the nullable columns are named, as a reader of these files would.
        let reader = match format {
            "csv" => {
                "ds.CsvFileFormat(convert_options=csv.ConvertOptions(column_types={'file': pa.int32(), 'site': pa.int32()}))"
            }
            _ => "'parquet'",
        };
        let script = format!(
            "import pyarrow as pa, pyarrow.csv as csv, pyarrow.dataset as ds\n\
             t = ds.dataset('{}', format={reader}, partitioning='hive').to_table()\n\
             counts = sorted((r['kind'], r['kind_count']) for r in t.group_by('kind').aggregate([('kind', 'count')]).to_pylist())\n\
             print(counts, t.column('site').null_count)",
            out_dir.display()
        );
        let py = std::process::Command::new(test_python()).args(["-c", &script]).output().unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
        assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), expected, "{format}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ingest_prints_each_stage_the_ladder_the_pool_and_the_origin_and_says_why_a_job_fails() {
    let out =
        edgetwin().args(["ingest", "--synthetic", "600", "--titles", "2", "--concurrency", "100"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for stage in ["inspect", "split", "encode", "quality", "thumbnails", "package", "store"] {
        assert_eq!(stdout.lines().filter(|l| l.trim_start().starts_with(stage)).count(), 2, "{stage}:\n{stdout}");
    }
    assert_eq!(stdout.matches("  done in ").count(), 2, "{stdout}");
    assert!(stdout.contains("at most 100 of 100 running"), "{stdout}");
    assert!(stdout.contains("origin s3://edgetwin-origin-eu-west-1: "), "{stdout}");
    // Per-title on an easy source stores fewer bytes than the fixed ladder.
    let gb = |args: &[&str]| -> f64 {
        let out = edgetwin().args(["ingest", "--synthetic", "600"]).args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let line = stdout.lines().find(|l| l.contains(" GB with thumbnails")).unwrap_or_else(|| panic!("{stdout}"));
        line.split(", ").last().unwrap().split(' ').next().unwrap().parse().unwrap()
    };
    assert!(gb(&["--ladder", "per-title", "--complexity", "0.5"]) < 0.6 * gb(&[]));
    // Ten-minute chunks of 4K HEVC on one vCPU cannot finish inside the time limit: the job fails and says so.
    let out = edgetwin()
        .args(["ingest", "--synthetic", "1200", "--chunk-seconds", "600", "--memory-mb", "1769"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("FAILED") && stdout.contains("over the 900 s time limit"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 1 jobs failed"));
    // Out-of-range pool settings are refused before anything runs.
    let out = edgetwin().args(["ingest", "--synthetic", "60", "--memory-mb", "64"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--memory-mb:") && stderr.contains("128 to 10240"), "{stderr}");
}

/// Against the emulator (moto; the test command starts it and names it in AWS_ENDPOINT_URL): the demo deployment
/// made, every source probed ok with a local web server answering for the site; the site's server stopped, the
/// probe fails naming it; a bad configuration is reported at its line and column; the demo never goes to AWS.
#[test]
fn mirror_probe_prints_each_source_and_fails_when_one_does() {
    assert!(std::env::var_os("AWS_ENDPOINT_URL").is_some(), "the mirror tests run against moto (scripts/test-all.sh)");
    let dir = temp_dir("mirror");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pid = std::process::id();
    let config = dir.join("mirror.toml");
    let text = format!(
        r#"name = "cli test"
region = "us-east-1"
[[cloudwatch.kpi]]
kpi = "offload_pct"
metric = {{ name = "OffloadPct", namespace = "edgetwin-cli-{pid}" }}
[[autoscaling]]
region = "us-east-1"
name = "cli-group-{pid}"
[s3]
origin = "cli-origin-{pid}"
[[health]]
site = "London IXP #1"
url = "http://127.0.0.1:{port}/sites/london-ixp-1/health"
"#
    );
    std::fs::write(&config, &text).unwrap();
    let health = dir.join("health");
    let out = edgetwin()
        .args(["mirror", "--create-demo", "--demo-hours", "0.5", "--config"])
        .arg(&config)
        .arg("--health-dir")
        .arg(&health)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("144 objects in the origin, 1 Auto Scaling group(s), 30 CloudWatch points"), "{stdout}");
    let answer = std::fs::read_to_string(health.join("sites/london-ixp-1/health")).unwrap();
    assert!(answer.contains("\"health\":\"ok\"") && answer.contains("egress_gbps"), "{answer}");

    let mut server = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
        .arg(&health)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 (the test command installs it)");
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the health server did not start");
    let probe = || edgetwin().args(["mirror", "--probe", "--config"]).arg(&config).output().unwrap();
    let out = probe();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains(" ok ") && l.ends_with(" ms")).collect();
    assert_eq!(rows.len(), 4, "every source ok, with its latency:\n{stdout}");
    assert!(stdout.contains("4 sources answered"), "{stdout}");
    // A local run's KPIs published to the configuration's CloudWatch: 15 minutes of the one mapped KPI.
    let out = edgetwin().args(["mirror", "--publish-hours", "0.25", "--config"]).arg(&config).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("15 points published to CloudWatch"), "{stdout}");
    server.kill().unwrap();
    server.wait().unwrap();
    let out = probe();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    let failed: Vec<&str> = stdout.lines().filter(|l| l.contains(" FAILED ")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(failed[0].starts_with("Health London IXP #1") && failed[0].contains("unreachable: GET"), "{stdout}");
    assert!(stderr.contains("1 of 4 sources failed"), "{stderr}");

    // A mistake in the configuration: named at its line and column.
    std::fs::write(&config, text.replace("region = \"us-east-1\"\n[[cloud", "region = \"moon\"\n[[cloud")).unwrap();
    let out = probe();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("mirror.toml:2:10") && stderr.contains("an AWS region"), "{stderr}");
    // --create-demo only writes to an emulator.
    std::fs::write(&config, &text).unwrap();
    let out = edgetwin()
        .args(["mirror", "--create-demo", "--config"])
        .arg(&config)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("writes only to an emulator"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
