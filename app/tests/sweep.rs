//! Sweeps end to end, through the binary: the local backend, and AWS Batch against the emulator (moto, which
//! the test command starts and names in AWS_ENDPOINT_URL). moto runs no containers here (`use_docker: false`)
//! and marks children SUCCEEDED at once, so the test plays Batch's compute: it reads the array job's command
//! and size back from Batch and runs each child as its own process with AWS_BATCH_JOB_ARRAY_INDEX set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use connectors::batch::{BatchConfig, Clients, describe};
use connectors::fault_proxy::{self, FaultProxy};

fn edgetwin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgetwin"));
    c.env("RUST_BACKTRACE", "0");
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgetwin-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Two variants and one the twin refuses at its time (a disk of 1%), on 2 seed pairs: 8 cells of 2 h after a
/// fork at 1 h of the default scenario.
const PLAN: &str = r#"
scenario = "default"
at = 1
hours = 2
seeds = 2
objective = "offload"

[[variant]]
name = "lru"
[[variant.edit]]
kind = "policy"
policy = "lru"

[[variant]]
name = "tiny-disk"
[[variant.edit]]
kind = "disk"
factor = 0.01

[[range]]
name = "caps"
kind = "fill_caps"
field = "factor"
values = [0.25]
"#;

fn write_plan(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("plan.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: the sweep tests run against moto, which scripts/test-all.sh starts")
}

/// Sets the emulator's Batch to run no containers (its setting outlives resets).
fn no_docker(endpoint: &str) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let body = r#"{"batch": {"use_docker": false}}"#;
    let mut stream = std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("moto at {host}: {e}"));
    write!(
        stream,
        "POST /moto-api/config HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 20") || answer.starts_with("HTTP/1.0 20"), "configuring moto: {answer}");
}

fn batch_toml(dir: &Path, name: &str, endpoint: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "region = \"us-east-1\"\njob_queue = \"{name}\"\njob_definition = \"{name}-cell\"\n\
             bucket = \"{name}-bucket\"\nprefix = \"sweeps\"\nattempts = 2\nendpoint_url = \"{endpoint}\"\n"
        ),
    )
    .unwrap();
    path
}

/// `sweep PLAN --backend aws-batch --batch BATCH --out OUT` with `extra` flags, polling every 0.2 s.
fn on_batch(plan: &Path, batch: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = edgetwin();
    c.arg("sweep").arg(plan).args(["--backend", "aws-batch", "--batch"]).arg(batch).arg("--out").arg(out);
    c.args(["--poll", "0.2"]).args(extra);
    c
}

/// The coordinator, started (`on_batch`).
fn coordinator(plan: &Path, batch: &Path, out: &Path, extra: &[&str]) -> Child {
    on_batch(plan, batch, out, extra).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// The id of the `nth` job (from 1) submitted to `config`'s queue, once it is there.
fn wait_for_job(config: &BatchConfig, nth: usize) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clients = runtime.block_on(Clients::new(config));
    let started = Instant::now();
    loop {
        // The queue may not be made yet: until it is, listing it is refused.
        let listed = runtime.block_on(clients.batch.list_jobs().job_queue(config.job_queue.get_ref()).send());
        let mut parents: Vec<(i64, String)> = listed
            .iter()
            .flat_map(|l| l.job_summary_list())
            .filter_map(|j| Some((j.created_at()?, j.job_id()?.to_string())))
            .filter(|(_, id)| !id.contains(':'))
            .collect();
        parents.sort();
        if let Some((_, id)) = parents.get(nth - 1) {
            return id.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no job {nth} on the queue");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Plays Batch's compute for the `nth` job (from 1) submitted to `config`'s queue: waits for it, then runs each
/// child as Batch would, two at a time, except those in `kill`, which are killed as they start. Returns the
/// job's command.
fn play_compute(config: &BatchConfig, nth: usize, kill: &[u32]) -> Vec<String> {
    let job = wait_for_job(config, nth);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clients = runtime.block_on(Clients::new(config));
    let view = runtime.block_on(describe(&clients.batch, &job)).unwrap();
    let children = view.size.max(1);
    let mut running: Vec<Child> = Vec::new();
    for index in 0..children {
        let mut child = edgetwin()
            .args(&view.command)
            .env("AWS_BATCH_JOB_ARRAY_INDEX", index.to_string())
            .env("AWS_BATCH_JOB_ID", format!("{job}:{index}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kill.contains(&index) {
            child.kill().unwrap();
        }
        running.push(child);
        if running.len() == 2 {
            running.remove(0).wait().unwrap();
        }
    }
    for mut c in running {
        c.wait().unwrap();
    }
    view.command
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    out
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn local_and_batch_give_the_same_report_and_a_killed_child_resumes_alone() {
    let endpoint = endpoint();
    no_docker(&endpoint);
    let dir = temp_dir("agree");
    let plan = write_plan(&dir, PLAN);

    // Here, on two workers.
    let local = dir.join("local");
    let out = edgetwin().arg("sweep").arg(&plan).args(["--jobs", "2", "--out"]).arg(&local).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("ranked by offload") && said.contains("lru"), "{said}");
    let r = report(&local);
    assert_eq!((r["cells"].as_u64(), r["done"].as_u64()), (Some(8), Some(6)), "{said}");
    let failed: Vec<&str> = r["failed"].as_array().unwrap().iter().map(|f| f["variant"].as_str().unwrap()).collect();
    assert_eq!(failed, ["tiny-disk", "tiny-disk"]);
    assert!(r["failed"][0]["reason"].as_str().unwrap().contains("disk scale"), "{r}");
    let local_json = std::fs::read(local.join("report.json")).unwrap();
    // Run again, it resumes: every cell is there, none runs, and the report is the same.
    let out = edgetwin().arg("sweep").arg(&plan).args(["--jobs", "2", "--out"]).arg(&local).output().unwrap();
    assert!(text(&out).contains("(0 run now)"), "{}", text(&out));
    assert_eq!(std::fs::read(local.join("report.json")).unwrap(), local_json);

    // On AWS Batch (the emulator), with a demo queue made first.
    let batch = batch_toml(&dir, &format!("agree-{}", std::process::id()), &endpoint);
    let config = BatchConfig::load(&batch).unwrap();
    let remote = dir.join("batch");
    let c = coordinator(&plan, &batch, &remote, &["--create-demo-queue", "--wait-results", "600"]);
    let command = play_compute(&config, 1, &[]);
    assert_eq!(&command[..2], ["sweep", "cell"], "{command:?}");
    assert!(command[2].starts_with("s3://") && command[2].ends_with("/plan.toml"), "{command:?}");
    let out = finish(c);
    assert!(text(&out).contains("submitted array job"), "{}", text(&out));
    assert_eq!(
        String::from_utf8(std::fs::read(remote.join("report.json")).unwrap()).unwrap(),
        String::from_utf8(local_json.clone()).unwrap(),
        "local and Batch reports differ"
    );

    // A child killed before it writes: its cell shows as failed with the reason, and a resume runs it alone.
    let batch = batch_toml(&dir, &format!("kill-{}", std::process::id()), &endpoint);
    let config = BatchConfig::load(&batch).unwrap();
    let killed = dir.join("killed");
    let c = coordinator(&plan, &batch, &killed, &["--create-demo-queue", "--wait-results", "5"]);
    play_compute(&config, 1, &[5]);
    finish(c);
    let r = report(&killed);
    let lacking: Vec<(u64, &str)> = r["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["index"].as_u64().unwrap(), f["reason"].as_str().unwrap()))
        .collect();
    assert!(lacking.iter().any(|(i, why)| *i == 5 && why.contains("no result in S3")), "{lacking:?}");
    let c = coordinator(&plan, &batch, &killed, &["--wait-results", "600"]);
    let command = play_compute(&config, 2, &[]);
    assert_eq!(command[3..], ["--index", "5"], "only the missing cell runs: {command:?}");
    finish(c);
    assert_eq!(std::fs::read(killed.join("report.json")).unwrap(), local_json, "the resumed report is whole");

    // A child given an index outside the plan says so and writes nothing.
    let out = edgetwin().args(&command[..3]).args(["--index", "99"]).output().unwrap();
    assert!(!out.status.success() && text(&out).contains("no cell 99"), "{}", text(&out));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clients = runtime.block_on(Clients::new(&config));
    let keys = runtime.block_on(connectors::batch::keys(&clients.s3, config.bucket.get_ref(), "")).unwrap();
    assert!(keys.iter().all(|k| !k.ends_with("cell-000099.json")), "{keys:?}");
    assert_eq!(keys.iter().filter(|k| k.contains("/cells/")).count(), 8, "{keys:?}");
}

#[test]
fn hostile_plans_and_faults_are_refused_with_clear_errors_and_nothing_written() {
    let endpoint = endpoint();
    no_docker(&endpoint);
    let dir = temp_dir("hostile");
    let name = format!("hostile-{}", std::process::id());
    let batch = batch_toml(&dir, &name, &endpoint);
    let config = BatchConfig::load(&batch).unwrap();
    // The demo queue and bucket, made by a sweep that has nothing to run but is valid.
    let plan = write_plan(&dir, PLAN);
    let out =
        on_batch(&plan, &batch, &dir.join("first"), &["--create-demo-queue", "--wait-results", "0"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Ctrl-C terminates the job, and the report of what is done is still written.
    let c = coordinator(&plan, &batch, &dir.join("interrupted"), &["--wait-results", "600"]);
    let job = wait_for_job(&config, 2);
    let kill = Command::new("kill").args(["-INT", &c.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = finish(c);
    assert!(text(&out).contains(&format!("terminated array job {job}")), "{}", text(&out));
    assert!(dir.join("interrupted/report.json").exists());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clients = runtime.block_on(Clients::new(&config));
    let view = runtime.block_on(describe(&clients.batch, &job)).unwrap();
    assert_eq!(view.reason.as_deref(), Some("cancelled by the operator"), "{view:?}");

    let keys = || runtime.block_on(connectors::batch::keys(&clients.s3, config.bucket.get_ref(), "")).unwrap();
    let before = keys();

    let head = "scenario = \"default\"\nat = 1\nhours = 2\nseeds = 2\nobjective = \"offload\"\n";
    let variant = "[[variant]]\nname = \"v\"\n[[variant.edit]]\nkind = \"site_down\"\nsite = 1\n";
    let many: String = (0..3).map(|i| variant.replace("\"v\"", &format!("\"v{i}\""))).collect();
    for (text_of_plan, line, expected) in [
        (head.replace("seeds = 2", "seeds = 0") + variant, 4, "seeds"),
        (head.replace("seeds = 2", "seeds = 5000") + &many, 4, "at most 10000"),
        (head.to_string() + &variant.replace("site_down", "site_sideways"), 6, "site_sideways"),
        (head.to_string() + "[[range]]\nname = \"d\"\nkind = \"disk\"\nfield = \"factor\"\nvalues = []\n", 6, "empty"),
        (
            head.to_string() + "[[range]]\nname = \"d\"\nkind = \"disk\"\nfield = \"factor\"\nvalues = [nan]\n",
            6,
            "finite",
        ),
        (head.to_string(), 1, "empty plan"),
        ("<html>not a plan</html>".to_string(), 1, "expected"),
    ] {
        let plan = write_plan(&dir, &text_of_plan);
        let out = on_batch(&plan, &batch, &dir.join("hostile"), &[]).output().unwrap();
        let said = text(&out);
        assert!(!out.status.success(), "{text_of_plan}\n→ {said}");
        assert!(said.contains(&format!("plan.toml:{line}:")) && said.contains(expected), "{text_of_plan}\n→ {said}");
        assert!(!said.contains("panicked"), "{said}");
    }
    assert_eq!(keys(), before, "nothing was written to S3");

    // A queue that is not there, and a bucket that is not there, are named.
    let missing = dir.join("missing.toml");
    std::fs::write(
        &missing,
        std::fs::read_to_string(&batch)
            .unwrap()
            .replace(&format!("job_queue = \"{name}\""), "job_queue = \"no-such-queue\""),
    )
    .unwrap();
    let plan = write_plan(&dir, &PLAN.replace("seeds = 2", "seeds = 1"));
    let out = on_batch(&plan, &missing, &dir.join("q"), &[]).output().unwrap();
    assert!(
        !out.status.success() && text(&out).contains("request refused") && text(&out).contains("no-such-queue"),
        "{}",
        text(&out)
    );
    std::fs::write(
        &missing,
        std::fs::read_to_string(&batch)
            .unwrap()
            .replace(&format!("bucket = \"{name}-bucket\""), "bucket = \"no-such-bucket-here\""),
    )
    .unwrap();
    let out = on_batch(&plan, &missing, &dir.join("b"), &[]).output().unwrap();
    assert!(!out.status.success() && text(&out).contains("NoSuchBucket"), "{}", text(&out));

    // Refused credentials and throttling, through a proxy that answers so.
    let proxy_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let proxy = proxy_runtime.block_on(FaultProxy::start(&endpoint)).unwrap();
    let through = dir.join("proxy.toml");
    std::fs::write(&through, std::fs::read_to_string(&batch).unwrap().replace(&endpoint, &proxy.url())).unwrap();
    for (fault, said) in
        [(fault_proxy::Fault::BadCredentials, "credentials"), (fault_proxy::Fault::Throttle, "throttled")]
    {
        proxy.set(fault);
        let out = on_batch(&plan, &through, &dir.join("p"), &[]).output().unwrap();
        assert!(!out.status.success() && text(&out).contains(said), "{fault:?}: {}", text(&out));
    }
}

#[test]
fn children_batch_fails_are_named_in_the_report() {
    // A second emulator whose Batch fails every job (moto's MOTO_SIMPLE_BATCH_FAIL_AFTER=0).
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut moto = Command::new(&venv)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/test-all.sh makes the venv)", venv.display()));
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    no_docker(&endpoint);
    let dir = temp_dir("fail");
    let plan = write_plan(&dir, &PLAN.replace("seeds = 2", "seeds = 1"));
    let batch = batch_toml(&dir, "fails", &endpoint);
    let out =
        on_batch(&plan, &batch, &dir.join("out"), &["--create-demo-queue", "--wait-results", "30"]).output().unwrap();
    let _ = moto.kill();
    let _ = moto.wait();
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.join("out"));
    let failed = r["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 4, "{r}");
    assert!(failed.iter().all(|f| f["reason"].as_str().unwrap().starts_with("Batch: FAILED")), "{r}");
    assert!(text(&out).contains("4 failed cell(s)"), "{}", text(&out));
}
