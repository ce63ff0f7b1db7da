//! The edgetwin application: the console (eframe views over a twin worker thread) and the headless CLI.
//! A library so UI tests and benchmarks can drive the same code the binary runs.

pub mod analytics;
pub mod cli;
pub mod events_store;
pub mod screenshot;
pub mod state;
pub mod ui;
pub mod whatif_history;
pub mod worker;
