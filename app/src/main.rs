//! `edgetwin`: the operations console when run bare (or with a scenario); headless subcommands otherwise.

use clap::Parser;
use edgetwin::{cli, screenshot};

fn main() -> anyhow::Result<()> {
    let launched = std::time::Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Args::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => match &args.screenshot {
            Some(path) => screenshot::save(&args, path),
            None => cli::console::open(&args, launched),
        },
    }
}
