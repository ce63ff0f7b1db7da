//! `edgetwin`: the operations console when run bare; headless subcommands otherwise.

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Args::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => {
            cli::console_placeholder();
            Ok(())
        }
    }
}
