//! A sweep's folder: the plan as run (`plan.toml`, every range expanded, beside its `scenario.toml`), one file
//! per cell (`cells/cell-000042.json`), and the report (`report.json`, `report.md`). A cell is written whole, to
//! a temporary name and then renamed, so a folder read after a kill holds whole cells only, and a resumed sweep
//! runs only the cells it lacks.

use std::path::{Path, PathBuf};

use anyhow::Context;
use twin::sweep::{CellResult, SweepReport};

use crate::sweep::{LoadedPlan, cell_bytes, cell_file, markdown, report_json};

pub struct SweepDir {
    root: PathBuf,
}

impl SweepDir {
    /// The folder at `root` (made if missing), holding `plan`: its plan and scenario are written there.
    pub fn create(root: &Path, plan: &LoadedPlan) -> anyhow::Result<SweepDir> {
        let dir = SweepDir { root: root.to_path_buf() };
        std::fs::create_dir_all(dir.root.join("cells")).with_context(|| format!("creating {}", root.display()))?;
        dir.write("plan.toml", plan.plan.to_toml("scenario.toml").as_bytes())?;
        dir.write("scenario.toml", plan.scenario_text.as_bytes())?;
        Ok(dir)
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The cells of `plan` in the folder, by index (None where there is none, or where the file is another
    /// sweep's or cannot be read: it is run again). Returns them with what was set aside, and why.
    pub fn cells(&self, plan: &LoadedPlan) -> (Vec<Option<CellResult>>, Vec<String>) {
        let mut notes = Vec::new();
        let cells = (0..plan.plan.cells())
            .map(|i| {
                let path = self.root.join("cells").join(cell_file(i));
                let bytes = std::fs::read(&path).ok()?;
                match serde_json::from_slice::<CellResult>(&bytes) {
                    Ok(c) if c.sweep == plan.digest && c.index == i => Some(c),
                    Ok(c) => {
                        notes.push(format!("{} is cell {} of sweep {}: run again", path.display(), c.index, c.sweep));
                        None
                    }
                    Err(e) => {
                        notes.push(format!("{}: {e}: run again", path.display()));
                        None
                    }
                }
            })
            .collect();
        (cells, notes)
    }

    /// Writes a cell whole.
    pub fn write_cell(&self, cell: &CellResult) -> anyhow::Result<()> {
        self.write(&format!("cells/{}", cell_file(cell.index)), &cell_bytes(cell))
    }

    /// Writes cell bytes that came from elsewhere (a Batch child's), once they read as a cell of `plan`.
    pub fn write_cell_bytes(&self, plan: &LoadedPlan, index: u32, bytes: &[u8]) -> anyhow::Result<CellResult> {
        let cell: CellResult = serde_json::from_slice(bytes).with_context(|| format!("cell {index}'s file"))?;
        if cell.sweep != plan.digest || cell.index != index {
            anyhow::bail!("the file for cell {index} is cell {} of sweep {}", cell.index, cell.sweep);
        }
        self.write(&format!("cells/{}", cell_file(index)), bytes)?;
        Ok(cell)
    }

    /// Writes `report.json` and `report.md`.
    pub fn write_report(&self, report: &SweepReport) -> anyhow::Result<()> {
        self.write("report.json", report_json(report).as_bytes())?;
        self.write("report.md", markdown(report).as_bytes())
    }

    fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.root.join(name);
        let tmp = self.root.join(format!("{name}.part"));
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
    }
}
