//! The what-if history: every comparison and every sweep saved, as rows of a SQLite file, so a past one reopens
//! without a rerun. Two tables, `comparisons` and (from version 2) `sweeps`, versioned by `PRAGMA user_version`;
//! each report is kept whole as JSON beside the columns a list shows.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};
use twin::sweep::SweepReport;
use twin::whatif::Report;

/// The schema version this build writes; older files are migrated on open.
const SCHEMA_VERSION: i64 = 2;

/// A saved comparison, as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub saved_utc: String,
    pub scenario: String,
    pub title: String,
    pub seeds: u32,
    /// The offload delta, in points, for the list.
    pub offload_delta: f64,
}

/// A saved sweep, as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepEntry {
    pub id: i64,
    pub saved_utc: String,
    pub scenario: String,
    pub title: String,
}

pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Where the console keeps its history: `whatif.sqlite` in `crate::data_dir()`.
    pub fn default_path() -> PathBuf {
        crate::data_dir().join("whatif.sqlite")
    }

    /// Opens (or creates) the history at `path`.
    pub fn open(path: &Path) -> anyhow::Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .with_context(|| format!("{} is not a SQLite database", path.display()))?;
        if version > SCHEMA_VERSION {
            anyhow::bail!(
                "{}: what-if history schema {version} is newer than this build's ({SCHEMA_VERSION})",
                path.display()
            );
        }
        if version < 1 {
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE comparisons (
                     id INTEGER PRIMARY KEY,
                     saved_utc TEXT NOT NULL,
                     scenario TEXT NOT NULL,
                     title TEXT NOT NULL,
                     seeds INTEGER NOT NULL,
                     offload_delta REAL NOT NULL,
                     report_json TEXT NOT NULL
                 );
                 PRAGMA user_version = 1;
                 COMMIT;",
            )
            .with_context(|| format!("creating the what-if history in {}", path.display()))?;
        }
        if version < 2 {
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE sweeps (
                     id INTEGER PRIMARY KEY,
                     saved_utc TEXT NOT NULL,
                     scenario TEXT NOT NULL,
                     title TEXT NOT NULL,
                     digest TEXT NOT NULL,
                     report_json TEXT NOT NULL
                 );
                 PRAGMA user_version = 2;
                 COMMIT;",
            )
            .with_context(|| format!("adding sweeps to the what-if history in {}", path.display()))?;
        }
        Ok(History { conn, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves a comparison; returns its id.
    pub fn save(&self, scenario: &str, report: &Report) -> anyhow::Result<i64> {
        let json = serde_json::to_string(report)?;
        let offload = report.deltas.first().map_or(0.0, |d| d.delta);
        let saved = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string();
        self.conn
            .execute(
                "INSERT INTO comparisons (saved_utc, scenario, title, seeds, offload_delta, report_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![saved, scenario, report.title, report.seeds, offload, json],
            )
            .with_context(|| format!("saving to {}", self.path.display()))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every saved comparison, newest first.
    pub fn list(&self) -> anyhow::Result<Vec<Entry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, saved_utc, scenario, title, seeds, offload_delta FROM comparisons ORDER BY id DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok(Entry {
                id: r.get(0)?,
                saved_utc: r.get(1)?,
                scenario: r.get(2)?,
                title: r.get(3)?,
                seeds: r.get(4)?,
                offload_delta: r.get(5)?,
            })
        })?;
        rows.collect::<Result<_, _>>().with_context(|| format!("reading {}", self.path.display()))
    }

    /// A saved comparison's report, as it was saved.
    pub fn load(&self, id: i64) -> anyhow::Result<Report> {
        let json: Option<String> =
            self.conn.query_row("SELECT report_json FROM comparisons WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let json = json.with_context(|| format!("no comparison {id} in {}", self.path.display()))?;
        serde_json::from_str(&json).with_context(|| format!("comparison {id} in {}", self.path.display()))
    }
}

impl History {
    /// Saves a sweep's report; returns its id.
    pub fn save_sweep(&self, scenario: &str, report: &SweepReport) -> anyhow::Result<i64> {
        let json = serde_json::to_string(report)?;
        let saved = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string();
        self.conn
            .execute(
                "INSERT INTO sweeps (saved_utc, scenario, title, digest, report_json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![saved, scenario, report.title, report.sweep, json],
            )
            .with_context(|| format!("saving to {}", self.path.display()))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every saved sweep, newest first.
    pub fn list_sweeps(&self) -> anyhow::Result<Vec<SweepEntry>> {
        let mut stmt = self.conn.prepare("SELECT id, saved_utc, scenario, title FROM sweeps ORDER BY id DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok(SweepEntry { id: r.get(0)?, saved_utc: r.get(1)?, scenario: r.get(2)?, title: r.get(3)? })
        })?;
        rows.collect::<Result<_, _>>().with_context(|| format!("reading {}", self.path.display()))
    }

    /// A saved sweep's report, as it was saved.
    pub fn load_sweep(&self, id: i64) -> anyhow::Result<SweepReport> {
        let json: Option<String> =
            self.conn.query_row("SELECT report_json FROM sweeps WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let json = json.with_context(|| format!("no sweep {id} in {}", self.path.display()))?;
        serde_json::from_str(&json).with_context(|| format!("sweep {id} in {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_comparison_lists_and_reopens_as_saved() {
        let dir = std::env::temp_dir().join(format!("edgetwin-history-{}", std::process::id()));
        let path = dir.join("h.sqlite");
        let _ = std::fs::remove_file(&path);
        let report = Report {
            title: "what-if · one".into(),
            edits: "[[edit]]\nkind = \"site_down\"\nsite = 1\nat_hours = 0.0\n".into(),
            at_hours: 18.0,
            hours: 6.0,
            seeds: 2,
            wall_s: 1.5,
            deltas: vec![twin::whatif::Delta {
                figure: "offload".into(),
                unit: "%".into(),
                base: 90.0,
                branch: 85.0,
                delta: -5.0,
                interval: Some(0.4),
            }],
            regions: Vec::new(),
            sites: Vec::new(),
            base_series: Vec::new(),
            branch_series: Vec::new(),
        };
        let id = {
            let h = History::open(&path).unwrap();
            h.save("default", &report).unwrap()
        };
        // A second open of the same file (as a later session would) sees it.
        let h = History::open(&path).unwrap();
        let list = h.list().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].id, list[0].scenario.as_str(), list[0].seeds, list[0].offload_delta),
            (id, "default", 2, -5.0)
        );
        assert_eq!(h.load(id).unwrap(), report);
        assert!(h.load(id + 1).is_err());
        // A sweep saves and reopens beside the comparisons.
        let sweep = SweepReport {
            title: "sweep · one".into(),
            sweep: "0123456789abcdef".into(),
            scenario: "default".into(),
            at_hours: 1.0,
            hours: 2.0,
            seeds: 2,
            objective: twin::sweep::Objective::Backbone,
            cells: 6,
            done: 6,
            variants: Vec::new(),
            ranking: Vec::new(),
            failed: Vec::new(),
            missing: Vec::new(),
        };
        let sid = h.save_sweep("default", &sweep).unwrap();
        assert_eq!(h.list_sweeps().unwrap().iter().map(|e| e.id).collect::<Vec<_>>(), [sid]);
        assert_eq!(h.load_sweep(sid).unwrap(), sweep);
        // A file that is not SQLite is refused with its name.
        let bogus = dir.join("bogus.sqlite");
        std::fs::write(&bogus, b"not a database at all, just text that is long enough to be read").unwrap();
        let e = History::open(&bogus).err().unwrap();
        assert!(format!("{e:#}").contains("bogus.sqlite"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
