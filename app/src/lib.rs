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

/// The text of the file at `path`; a file that is not UTF-8 is refused at the line and column where it stops
/// being text, saying what was `expected` ("a TOML edits file").
pub fn read_text(path: &std::path::Path, expected: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("reading {name}"))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        twin::InputError::at_offset(&name, &text, valid, format!("expected UTF-8 text ({expected})")).into()
    })
}

/// Where the console keeps what it saves (the what-if history, recorded events): `$XDG_DATA_HOME/edgetwin`, else
/// `~/.local/share/edgetwin`, else `./edgetwin`.
pub fn data_dir() -> std::path::PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("edgetwin")
}
