//! `cargo run --release -p fuzz -- <target> --execs N --seed S`: fuzzes one parser and prints the run's figures;
//! exits 1 if any input panicked (those inputs are written to `--out`/<target>/).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Seeded mutation fuzzer for edgetwin's input parsers")]
struct Args {
    /// Target to fuzz (see --list).
    #[arg(required_unless_present = "list")]
    target: Option<String>,
    /// Inputs to run.
    #[arg(long, default_value_t = 1_000_000)]
    execs: u64,
    /// Seed of the mutator: the same seed replays the same inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A folder of extra seed inputs.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Where panicking, hanging or over-allocating inputs are written.
    #[arg(long, default_value = "fuzz/out")]
    out: PathBuf,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for t in fuzz::targets::ALL {
            println!("{:<16} {}", t.name, t.about);
        }
        return ExitCode::SUCCESS;
    }
    let name = args.target.unwrap_or_default();
    let Some(target) = fuzz::targets::find(&name) else {
        let names: Vec<&str> = fuzz::targets::ALL.iter().map(|t| t.name).collect();
        eprintln!("unknown target {name:?}; expected one of {}", names.join(", "));
        return ExitCode::from(2);
    };
    let extra_seeds = match &args.corpus {
        Some(dir) => match std::fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(|e| std::fs::read(e.ok()?.path()).ok()).collect(),
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::from(2);
            }
        },
        None => Vec::new(),
    };
    let config = fuzz::Config { execs: args.execs, seed: args.seed, extra_seeds, out_dir: args.out };
    let report = fuzz::fuzz(target, &config);
    println!("{report}");
    for crash in &report.crashes {
        let saved = crash.saved.as_ref().map_or_else(|| "not saved".to_string(), |p| p.display().to_string());
        println!("panic: {} (input: {saved})", crash.message);
    }
    if report.crashes.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
