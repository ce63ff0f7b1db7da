//! A seeded mutation fuzzer for edgetwin's input parsers, on stable Rust (cargo-fuzz needs nightly, which this
//! project does not use). Each [`Target`] wraps one parser behind `fn(&[u8]) -> u64`; the engine mutates a
//! corpus seeded from the shipped files, runs each input under `catch_unwind`, keeps inputs that produce a new
//! outcome (a crude feedback, in place of coverage), and enforces two limits: a watchdog thread stops the run if
//! one input takes over a second, and the counting allocator (`alloc`) stops it on any allocation over 1 GiB.
//! A panicking, hanging or over-allocating input is written to `fuzz/out/<target>/` to become a regression test.
//!
//! Run: `cargo run --release -p fuzz -- <target> --execs N --seed S` (`--list` names the targets). A new
//! parser (edits files, mirror configs) is one more entry in `targets::ALL`. One fuzz run per process at a
//! time: the watchdog and the allocator report through process-wide state.

pub mod alloc;
mod mutate;
pub mod targets;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use targets::Target;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Longest one input may run.
pub const INPUT_TIME_LIMIT: Duration = Duration::from_secs(1);
/// Inputs the corpus keeps at most.
const MAX_CORPUS: usize = 4096;

/// The input being run and where to write it if it goes wrong, for the watchdog and the allocator.
static CURRENT_INPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static OUT_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
/// When the running input started, in ns since `epoch()`; 0 between inputs.
static STARTED_NS: AtomicU64 = AtomicU64::new(0);
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

#[derive(Clone, Debug)]
pub struct Config {
    pub execs: u64,
    pub seed: u64,
    /// Extra seed inputs, besides the target's own.
    pub extra_seeds: Vec<Vec<u8>>,
    /// Where failing inputs are written (`<out>/<target>/`).
    pub out_dir: PathBuf,
}

#[derive(Debug)]
pub struct Crash {
    pub message: String,
    pub saved: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Report {
    pub target: &'static str,
    pub execs: u64,
    pub elapsed: Duration,
    pub crashes: Vec<Crash>,
    pub slowest_input: Duration,
    pub largest_alloc_bytes: usize,
    pub corpus: usize,
    pub outcomes: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} execs in {:.1} s ({:.0}/s), {} panics, 0 hangs (slowest input {:.3} ms, limit {} ms), \
             largest allocation {} KiB (limit {} MiB), corpus {} inputs, {} distinct outcomes",
            self.target,
            self.execs,
            self.elapsed.as_secs_f64(),
            self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9),
            self.crashes.len(),
            self.slowest_input.as_secs_f64() * 1e3,
            INPUT_TIME_LIMIT.as_millis(),
            self.largest_alloc_bytes.div_ceil(1 << 10),
            alloc::LIMIT_BYTES >> 20,
            self.corpus,
            self.outcomes,
        )
    }
}

/// Writes the current input as `<out>/<kind>-<hash>.bin`; best effort (None if it cannot).
fn save_current(kind: &str) -> Option<PathBuf> {
    let input = CURRENT_INPUT.try_lock().ok()?.clone();
    let dir = OUT_DIR.try_lock().ok()?.clone()?;
    save(&dir, kind, &input)
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let path = dir.join(format!("{kind}-{hash:016x}.bin"));
    std::fs::write(&path, input).ok()?;
    Some(path)
}

/// Reports a limit broken by the running input, saves the input, and ends the process.
fn fatal(what: &str) -> ! {
    let saved = save_current("limit").map_or_else(|| "not saved".to_string(), |p| p.display().to_string());
    eprintln!("fuzz: an input broke a limit: {what}; input: {saved}");
    std::process::exit(3)
}

/// Watches the running input's start time; past the limit, the input hangs and the run ends.
fn watchdog(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let started = STARTED_NS.load(Ordering::Relaxed);
        let running = Duration::from_nanos((epoch().elapsed().as_nanos() as u64).saturating_sub(started));
        if started != 0 && running > INPUT_TIME_LIMIT {
            fatal(&format!("an input ran for over {} ms (hang)", INPUT_TIME_LIMIT.as_millis()));
        }
    }
}

/// Fuzzes one target for `config.execs` executions.
pub fn fuzz(target: &Target, config: &Config) -> Report {
    let out_dir = config.out_dir.join(target.name);
    *OUT_DIR.lock().unwrap_or_else(|e| e.into_inner()) = Some(out_dir.clone());
    let mut corpus: Vec<Vec<u8>> = (target.seeds)();
    corpus.extend(config.extra_seeds.iter().cloned());
    corpus.push(Vec::new());
    let mut outcomes = std::collections::HashSet::new();
    let mut rng = mutate::Rng::new(config.seed);
    let mut report = Report {
        target: target.name,
        execs: 0,
        elapsed: Duration::ZERO,
        crashes: Vec::new(),
        slowest_input: Duration::ZERO,
        largest_alloc_bytes: 0,
        corpus: 0,
        outcomes: 0,
    };
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = info.to_string();
    }));
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| watchdog(&stop));
        let mut input = Vec::new();
        let seeds = corpus.len() as u64;
        for exec in 0..config.execs {
            // The seeds run as they are first, then mutants of the corpus.
            input.clear();
            if exec < seeds {
                input.extend_from_slice(&corpus[exec as usize]);
            } else {
                input.extend_from_slice(&corpus[rng.below(corpus.len())]);
                mutate::mutate(&mut rng, &mut input, &corpus, target.tokens, target.max_len);
            }
            CURRENT_INPUT.lock().unwrap_or_else(|e| e.into_inner()).clone_from(&input);
            let t0 = Instant::now();
            STARTED_NS.store((epoch().elapsed().as_nanos() as u64).max(1), Ordering::Relaxed);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
            STARTED_NS.store(0, Ordering::Relaxed);
            report.slowest_input = report.slowest_input.max(t0.elapsed());
            report.execs += 1;
            match outcome {
                Ok(outcome) => {
                    if outcomes.insert(outcome) {
                        if corpus.len() < MAX_CORPUS {
                            corpus.push(input.clone());
                        } else {
                            let replace = rng.below(corpus.len());
                            corpus[replace].clone_from(&input);
                        }
                    }
                }
                Err(_) => {
                    let message = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    report.crashes.push(Crash { message, saved: save(&out_dir, "crash", &input) });
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    panic::set_hook(default_hook);
    report.elapsed = started.elapsed();
    report.largest_alloc_bytes = alloc::largest_bytes();
    report.corpus = corpus.len();
    report.outcomes = outcomes.len();
    report
}
