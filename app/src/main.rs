//! `edgetwin`: the operations console when run bare (or with a scenario); headless subcommands otherwise.

use std::process::ExitCode;

use clap::Parser;
use edgetwin::{cli, screenshot};

fn main() -> ExitCode {
    let launched = std::time::Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    // Bad flags end here, with clap's message and exit code 2.
    let args = cli::Args::parse();
    let result = match args.command {
        Some(command) => cli::run(command),
        None => match &args.screenshot {
            Some(path) => screenshot::save(&args, path),
            None => cli::console::open(&args, launched),
        },
    };
    // An error returned is one the program expects (a bad scenario file, a file it cannot write): it prints as
    // its message and causes, with no backtrace even under RUST_BACKTRACE. Bugs panic, and keep theirs.
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
