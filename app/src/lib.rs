//! The edgetwin application: the console (eframe views over a twin worker thread) and the headless CLI.
//! A library so UI tests and benchmarks can drive the same code the binary runs.

pub mod cli;
pub mod encoder;
pub mod screenshot;
pub mod state;
pub mod store;
pub mod sweep;
pub mod training;
pub mod ui;
pub mod worker;

/// Where the console keeps what it saves (the what-if history, recorded events): `$XDG_DATA_HOME/edgetwin`, else
/// `~/.local/share/edgetwin`, else `./edgetwin`.
pub fn data_dir() -> std::path::PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("edgetwin")
}
