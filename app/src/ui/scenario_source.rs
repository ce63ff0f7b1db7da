//! Where the console's scenario comes from: the embedded default or a file (bare start, `edgetwin SCENARIO`,
//! File → Open).

use std::path::PathBuf;

use twin::{Building, Scenario, Twin};

#[derive(Clone, Debug)]
pub enum ScenarioSource {
    Default,
    File(PathBuf),
}

impl ScenarioSource {
    pub fn label(&self) -> String {
        match self {
            ScenarioSource::Default => "default (embedded)".to_string(),
            ScenarioSource::File(p) => p.display().to_string(),
        }
    }

    /// Builds the twin, or says why not: located to file:line:column when the file is at fault. `progress`
    /// hears how far the build is (`Twin::build`).
    pub fn load(&self, progress: impl FnMut(Building<'_>)) -> Result<Twin, String> {
        let scenario = match self {
            ScenarioSource::Default => Scenario::parse("assets/scenarios/default.toml", twin::DEFAULT_SCENARIO),
            ScenarioSource::File(p) => crate::cli::read_scenario(p),
        }
        .map_err(|e| e.to_string())?;
        Twin::build(scenario, progress).map_err(|e| e.to_string())
    }
}
