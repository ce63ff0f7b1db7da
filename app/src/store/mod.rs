//! What the console and the CLI keep on disk: the events store of a run (`events`) and the questions asked of it
//! (`analytics`), the what-if history (`whatif_history`), and a sweep's folder of cells (`sweep_dir`).

pub mod analytics;
pub mod events;
pub mod sweep_dir;
pub mod whatif_history;
