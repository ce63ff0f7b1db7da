//! The events store: one SQLite database per run, written by a thread of its own. The simulation hands it
//! batches through a bounded queue (so memory stays bounded; when the disk falls behind, the simulation waits
//! for it rather than losing events), and the writer inserts each batch in one transaction with a prepared
//! statement, in WAL mode. The schema is versioned (`PRAGMA user_version`) and older files are migrated on open.
//!
//! Tables: `meta` (the run: scenario, seed, start, sampling rate), `videos` and `titles` and `devices` and
//! `regions` (names and durations, so a database answers questions on its own), `kinds` (event codes and their
//! names), `events` (clustered by kind: see `MIGRATE_V2`), `daily` and `daily_error` (each region's days
//! observed and predicted: see `MIGRATE_V4`), and what nightly training reads and does (see `MIGRATE_V5`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, bail};
use rusqlite::{Connection, params};
use twin::Twin;
use twin::events::{DayRecord, Event, EventKind, PlanRecord};

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = 5;
/// Batches the queue holds before the simulation waits for the writer.
const QUEUE_BATCHES: usize = 16;

/// Version 1: the run, its names, and the events.
const SCHEMA_V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kinds (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE regions (region INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE devices (device INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE titles (title INTEGER PRIMARY KEY, name TEXT NOT NULL, movie INTEGER NOT NULL);
CREATE TABLE videos (video INTEGER PRIMARY KEY, title INTEGER NOT NULL, duration_s INTEGER NOT NULL);
CREATE TABLE events (
    t_s INTEGER NOT NULL, kind INTEGER NOT NULL, member INTEGER NOT NULL, device INTEGER NOT NULL,
    region INTEGER NOT NULL, title INTEGER NOT NULL, video INTEGER NOT NULL, file INTEGER, site INTEGER,
    metro INTEGER NOT NULL, value REAL NOT NULL
);
";

/// Version 2: events clustered by kind (a table without rowid, keyed by kind then arrival), so every
/// question about one kind reads one contiguous range, and a run's inserts append at one end per kind.
const MIGRATE_V2: &str = "
CREATE TABLE events_v2 (
    kind INTEGER NOT NULL, id INTEGER NOT NULL,
    t_s INTEGER NOT NULL, member INTEGER NOT NULL, device INTEGER NOT NULL, region INTEGER NOT NULL,
    title INTEGER NOT NULL, video INTEGER NOT NULL, file INTEGER, site INTEGER, metro INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
INSERT INTO events_v2
    SELECT kind, rowid, t_s, member, device, region, title, video, file, site, metro, value FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
";

/// Version 3: each stop carries its session's rebuffering, so the rebuffer percentage is taken over the same
/// sessions as the watch time.
const MIGRATE_V3: &str = "ALTER TABLE events ADD COLUMN stall_s REAL NOT NULL DEFAULT 0;";

/// Version 4: each region's days: plays per video observed (exact, whatever the events' sampling), predicted for
/// the day and for the next (what nightly training reads), and the day's prediction error.
const MIGRATE_V4: &str = "
CREATE TABLE daily (
    region INTEGER NOT NULL, day INTEGER NOT NULL, video INTEGER NOT NULL,
    observed_plays REAL NOT NULL, predicted_plays REAL NOT NULL, next_predicted_plays REAL NOT NULL,
    PRIMARY KEY (region, day, video)
) WITHOUT ROWID;
CREATE TABLE daily_error (
    region INTEGER NOT NULL, day INTEGER NOT NULL, wape REAL NOT NULL, observed_plays REAL NOT NULL,
    PRIMARY KEY (region, day)
);
";

/// Version 5: what nightly training reads beside the daily plays, and what it did. `days`: each region's day
/// (its weekday, and when it ended in seconds from the run's start); `daily_renditions`: its play-seconds per
/// rendition (the rung mix); `training_runs`: each night's training of a region (what it read, how long it took,
/// what it changed in placement); `placement_changes`: per file whose planned copies in the region changed with
/// a night's plans, the copies before and after.
const MIGRATE_V5: &str = "
CREATE TABLE renditions (rendition INTEGER PRIMARY KEY, label TEXT NOT NULL, stream_kbps REAL NOT NULL);
CREATE TABLE days (
    region INTEGER NOT NULL, day INTEGER NOT NULL, weekday INTEGER NOT NULL, end_s INTEGER NOT NULL,
    PRIMARY KEY (region, day)
);
CREATE TABLE daily_renditions (
    region INTEGER NOT NULL, day INTEGER NOT NULL, rendition INTEGER NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (region, day, rendition)
) WITHOUT ROWID;
CREATE TABLE training_runs (
    region INTEGER NOT NULL, day INTEGER NOT NULL, t_s INTEGER NOT NULL, days_read INTEGER NOT NULL,
    rows_read INTEGER NOT NULL, wall_ms REAL NOT NULL, files_up INTEGER NOT NULL, files_down INTEGER NOT NULL,
    copies_added INTEGER NOT NULL, copies_removed INTEGER NOT NULL,
    PRIMARY KEY (region, day)
);
CREATE TABLE placement_changes (
    region INTEGER NOT NULL, day INTEGER NOT NULL, file INTEGER NOT NULL, video INTEGER NOT NULL,
    copies_before INTEGER NOT NULL, copies_after INTEGER NOT NULL,
    PRIMARY KEY (region, day, file)
) WITHOUT ROWID;
";

/// Brings a database to `SCHEMA_VERSION`, one version at a time, each in a transaction.
pub fn migrate(conn: &mut Connection, path: &Path) -> anyhow::Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if version > SCHEMA_VERSION {
        bail!("{}: events schema {version} is newer than this build's ({SCHEMA_VERSION})", path.display());
    }
    let steps: [(i64, &str); 5] = [(1, SCHEMA_V1), (2, MIGRATE_V2), (3, MIGRATE_V3), (4, MIGRATE_V4), (5, MIGRATE_V5)];
    for (to, sql) in steps.into_iter().filter(|(to, _)| *to > version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).with_context(|| format!("{}: migrating to schema {to}", path.display()))?;
        tx.pragma_update(None, "user_version", to)?;
        tx.commit()?;
    }
    Ok(())
}

/// Where the console keeps the events it records: `runs/` in `crate::data_dir()`, one database per recording.
pub fn console_dir() -> PathBuf {
    crate::data_dir().join("runs")
}

/// A new database in `dir` for a recording of `scenario` with `seed`: `SCENARIO-seedSEED-N.db`, with the first
/// N not taken.
pub fn new_console_path(dir: &Path, scenario: &str, seed: u64) -> PathBuf {
    let name: String =
        scenario.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    (1..).map(|n| dir.join(format!("{name}-seed{seed}-{n}.db"))).find(|p| !p.exists()).expect("a free name")
}

/// Opens a store to read (migrating it if it is older).
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    if !path.is_file() {
        bail!("{}: no such events database", path.display());
    }
    let mut conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

/// What the writer did.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteStats {
    pub events: u64,
    pub batches: u64,
    /// Seconds the writer spent inserting and committing.
    pub busy_s: f64,
}

/// What the writer is handed.
enum Batch {
    Events(Vec<Event>),
    Days(Vec<DayRecord>),
    Plans(Vec<PlanRecord>),
    Training(TrainingRecord),
    /// Titles that joined the catalogue since the store was made (ingest), with their videos: their names
    /// replace the reserved places' in `titles` and `videos`.
    Titles(Vec<JoinedTitle>),
    /// Answer once everything queued before is committed.
    Sync(SyncSender<()>),
}

/// A title that joined the catalogue: its row in `titles`, and its videos' (video, running time).
struct JoinedTitle {
    title: u32,
    name: String,
    movie: bool,
    videos: Vec<(u32, u32)>,
}

/// A night's training of a region, and the next day's predictions it made from the day it read.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingRecord {
    pub run: TrainingRun,
    pub next_predicted_plays: Vec<f64>,
}

/// What a night's training of a region did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingRun {
    pub region: u8,
    /// The day it read (and the predictions are for the next).
    pub day: i64,
    /// When it ran, in seconds from the run's start.
    pub t_s: i64,
    /// Days of the region read from the store since the run began, and rows read this night.
    pub days_read: u32,
    pub rows_read: u32,
    pub wall_ms: f64,
    /// Files whose planned copies in the region rose or fell, and the copies added and removed in all.
    pub files_up: u32,
    pub files_down: u32,
    pub copies_added: u64,
    pub copies_removed: u64,
}

/// A store being written.
pub struct EventStore {
    tx: Option<SyncSender<Batch>>,
    writer: Option<JoinHandle<anyhow::Result<WriteStats>>>,
    path: PathBuf,
    /// Events committed so far (the writer counts them as it commits).
    written: Arc<AtomicU64>,
    /// Places reserved for ingest that titles had joined when last written (`update_titles`).
    joined: usize,
}

impl EventStore {
    /// Creates the database of a run of `twin` at `path` (which must not exist: a run's events are not mixed
    /// with another's), records the run and its names, and starts the writer.
    pub fn create(path: &Path, twin: &Twin, sampling_rate: f64) -> anyhow::Result<EventStore> {
        if path.exists() {
            bail!("{} exists: give a new file for this run's events (or remove it)", path.display());
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut conn = Connection::open(path).with_context(|| format!("creating {}", path.display()))?;
        // The largest pages: a batch appends to each kind's range, and fewer, larger pages take it in at 1.32–1.39 M
        // events/s against 1.06–1.12 M with 4 KiB pages (`run default --hours 6 --events R.db --sample 1`).
        conn.pragma_update(None, "page_size", 65536)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -262_144)?; // 256 MiB of page cache (negative: KiB)
        migrate(&mut conn, path)?;
        describe_run(&mut conn, twin, sampling_rate).with_context(|| format!("writing {}", path.display()))?;
        let (tx, rx) = sync_channel(QUEUE_BATCHES);
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let files_per_video = twin.model().catalog.files_per_video() as u32;
        let writer = std::thread::Builder::new()
            .name("events writer".into())
            .spawn(move || write(conn, rx, &counter, files_per_video))?;
        let joined = joined_count(twin);
        Ok(EventStore { tx: Some(tx), writer: Some(writer), path: path.to_path_buf(), written, joined })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Events committed so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Queues a batch (waits while the queue is full).
    pub fn send(&self, events: Vec<Event>) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.queue(Batch::Events(events))
    }

    /// Queues the regions' observed days.
    pub fn send_days(&self, days: Vec<DayRecord>) -> anyhow::Result<()> {
        if days.is_empty() {
            return Ok(());
        }
        self.queue(Batch::Days(days))
    }

    /// Queues the plans made since the last take.
    pub fn send_plans(&self, plans: Vec<PlanRecord>) -> anyhow::Result<()> {
        if plans.is_empty() {
            return Ok(());
        }
        self.queue(Batch::Plans(plans))
    }

    /// Queues the titles that joined `twin`'s catalogue since the last call (places fill in order), so events
    /// of a title ingested while recording carry its name.
    pub fn update_titles(&mut self, twin: &Twin) -> anyhow::Result<()> {
        let joined = joined_count(twin);
        if joined == self.joined {
            return Ok(());
        }
        let c = &twin.model().catalog;
        let rows = (c.slots.start + self.joined as u32..c.slots.start + joined as u32)
            .map(|t| {
                let x = &c.titles[t as usize];
                let videos = x.videos.clone().map(|v| (v, c.videos[v as usize].duration_s)).collect();
                JoinedTitle { title: t, name: x.name.clone(), movie: x.is_movie(), videos }
            })
            .collect();
        self.joined = joined;
        self.queue(Batch::Titles(rows))
    }

    /// Queues a night's training.
    pub fn send_training(&self, record: TrainingRecord) -> anyhow::Result<()> {
        self.queue(Batch::Training(record))
    }

    /// Waits until everything queued so far is committed (so a reader sees it).
    pub fn sync(&self) -> anyhow::Result<()> {
        let (tx, rx) = sync_channel(1);
        self.queue(Batch::Sync(tx))?;
        rx.recv().map_err(|_| anyhow::anyhow!("the events writer of {} stopped", self.path.display()))
    }

    fn queue(&self, batch: Batch) -> anyhow::Result<()> {
        let tx = self.tx.as_ref().context("the events store is closed")?;
        tx.send(batch).map_err(|_| anyhow::anyhow!("the events writer of {} stopped", self.path.display()))
    }

    /// Writes what is queued, closes the database, and says what was written.
    pub fn finish(mut self) -> anyhow::Result<WriteStats> {
        self.tx = None;
        let writer = self.writer.take().context("the events writer is gone")?;
        writer.join().map_err(|_| anyhow::anyhow!("the events writer of {} panicked", self.path.display()))?
    }
}

impl Drop for EventStore {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Places reserved for ingest that titles have joined in `twin`'s catalogue.
fn joined_count(twin: &Twin) -> usize {
    let c = &twin.model().catalog;
    c.slots.len() - c.free_slots()
}

/// The run and the names its events refer to.
fn describe_run(conn: &mut Connection, twin: &Twin, sampling_rate: f64) -> rusqlite::Result<()> {
    let model = twin.model();
    let tx = conn.transaction()?;
    for (key, value) in [
        ("scenario", model.scenario.name.clone()),
        ("seed", model.scenario.seed.to_string()),
        ("start_utc", model.start_utc.to_rfc3339()),
        ("sampling_rate", sampling_rate.to_string()),
        ("events_from_s", twin.now().seconds().to_string()),
    ] {
        tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
    }
    for k in EventKind::ALL {
        tx.execute("INSERT INTO kinds (code, name) VALUES (?1, ?2)", params![k as u8, k.name()])?;
    }
    for (r, (code, name)) in twin::region::REGIONS.iter().enumerate() {
        tx.execute("INSERT INTO regions VALUES (?1, ?2, ?3)", params![r, code, name])?;
    }
    for (d, device) in model.demand.devices.iter().enumerate() {
        tx.execute("INSERT INTO devices VALUES (?1, ?2)", params![d, device.name])?;
    }
    let catalog = &model.catalog;
    {
        let mut title = tx.prepare("INSERT INTO titles VALUES (?1, ?2, ?3)")?;
        for (t, x) in catalog.titles.iter().enumerate() {
            title.execute(params![t, x.name, x.is_movie()])?;
        }
        let mut video = tx.prepare("INSERT INTO videos VALUES (?1, ?2, ?3)")?;
        for (v, x) in catalog.videos.iter().enumerate() {
            video.execute(params![v, x.title.0, x.duration_s])?;
        }
        let mut rendition = tx.prepare("INSERT INTO renditions VALUES (?1, ?2, ?3)")?;
        for (r, kbps) in model.stream_kbps.iter().enumerate() {
            let label = catalog.file_label(catalog.file(twin::catalog::VideoId(0), r));
            rendition.execute(params![r, label, kbps])?;
        }
    }
    tx.commit()
}

/// The writer: a transaction per batch, until the queue closes.
fn write(
    mut conn: Connection,
    rx: Receiver<Batch>,
    written: &AtomicU64,
    files_per_video: u32,
) -> anyhow::Result<WriteStats> {
    let mut stats = WriteStats::default();
    for batch in rx {
        let started = Instant::now();
        let tx = conn.transaction()?;
        match &batch {
            Batch::Events(events) => {
                insert_events(&tx, stats.events, events)?;
                stats.events += events.len() as u64;
            }
            Batch::Days(days) => insert_days(&tx, days)?,
            Batch::Plans(plans) => insert_plans(&tx, plans, files_per_video)?,
            Batch::Training(record) => insert_training(&tx, record)?,
            Batch::Titles(titles) => {
                for t in titles {
                    tx.execute("INSERT OR REPLACE INTO titles VALUES (?1, ?2, ?3)", params![t.title, t.name, t.movie])?;
                    for (v, duration_s) in &t.videos {
                        tx.execute(
                            "INSERT OR REPLACE INTO videos VALUES (?1, ?2, ?3)",
                            params![v, t.title, duration_s],
                        )?;
                    }
                }
            }
            Batch::Sync(done) => {
                let _ = done.send(());
                continue;
            }
        }
        tx.commit()?;
        written.store(stats.events, Ordering::Relaxed);
        stats.batches += 1;
        stats.busy_s += started.elapsed().as_secs_f64();
    }
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    Ok(stats)
}

/// Inserts events, numbering them on from `first_id`.
fn insert_events(tx: &rusqlite::Transaction, first_id: u64, events: &[Event]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (id, t_s, kind, member, device, region, title, video, file, site, metro, value, stall_s)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    let opt = |x: u32| (x != u32::MAX).then_some(x);
    for (i, e) in events.iter().enumerate() {
        insert.execute(params![
            (first_id + i as u64) as i64,
            e.t_s,
            e.kind as u8,
            e.member,
            e.device,
            e.region,
            e.title,
            e.video,
            opt(e.file),
            opt(e.site),
            e.metro,
            e.value as f64,
            e.stall_s as f64
        ])?;
    }
    Ok(())
}

/// Inserts days: the videos with any plays observed or predicted, the play-seconds per rendition, and each
/// day's prediction error (WAPE, Σ|predicted − observed| ÷ Σ observed).
fn insert_days(tx: &rusqlite::Transaction, days: &[DayRecord]) -> rusqlite::Result<()> {
    let mut row = tx.prepare_cached("INSERT INTO daily VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    let mut error = tx.prepare_cached("INSERT INTO daily_error VALUES (?1, ?2, ?3, ?4)")?;
    let mut day = tx.prepare_cached("INSERT INTO days VALUES (?1, ?2, ?3, ?4)")?;
    let mut rendition = tx.prepare_cached("INSERT INTO daily_renditions VALUES (?1, ?2, ?3, ?4)")?;
    for d in days {
        day.execute(params![d.region, d.day, d.weekday, d.end_s])?;
        let (mut miss, mut total) = (0.0, 0.0);
        for (v, (&o, &p)) in d.observed_plays.iter().zip(&d.predicted_plays).enumerate() {
            (miss, total) = (miss + (p - o).abs(), total + o);
            let n = d.next_predicted_plays.get(v).copied().unwrap_or(0.0);
            if o > 0.0 || p > 0.0 || n > 0.0 {
                row.execute(params![d.region, d.day, v, o, p, n])?;
            }
        }
        for (r, &seconds) in d.rendition_seconds.iter().enumerate() {
            rendition.execute(params![d.region, d.day, r, seconds])?;
        }
        let wape = if total > 0.0 { miss / total } else { 0.0 };
        error.execute(params![d.region, d.day, wape, total])?;
    }
    Ok(())
}

/// Inserts each night's changed copies, with each file's video (files are laid out video-major).
fn insert_plans(tx: &rusqlite::Transaction, plans: &[PlanRecord], files_per_video: u32) -> rusqlite::Result<()> {
    let mut row = tx.prepare_cached("INSERT OR REPLACE INTO placement_changes VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for p in plans {
        for &(file, before, after) in &p.changes {
            row.execute(params![p.region, p.day, file, file / files_per_video, before, after])?;
        }
    }
    Ok(())
}

/// Inserts a night's training, and the next day's predictions it made into the day's rows.
fn insert_training(tx: &rusqlite::Transaction, record: &TrainingRecord) -> rusqlite::Result<()> {
    let r = &record.run;
    tx.prepare_cached("INSERT OR REPLACE INTO training_runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?
        .execute(params![
            r.region,
            r.day,
            r.t_s,
            r.days_read,
            r.rows_read,
            r.wall_ms,
            r.files_up,
            r.files_down,
            r.copies_added as i64,
            r.copies_removed as i64
        ])?;
    let mut row = tx.prepare_cached(
        "INSERT INTO daily VALUES (?1, ?2, ?3, 0, 0, ?4)
         ON CONFLICT (region, day, video) DO UPDATE SET next_predicted_plays = excluded.next_predicted_plays",
    )?;
    for (v, &n) in record.next_predicted_plays.iter().enumerate() {
        if n > 0.0 {
            row.execute(params![r.region, r.day, v, n])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_ingested_while_recording_is_written_under_its_own_name() {
        let dir = std::env::temp_dir().join(format!("edgetwin-events-joined-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.db");
        let _ = std::fs::remove_file(&path);
        let mut twin = Twin::default_scenario().unwrap();
        let mut store = EventStore::create(&path, &twin, 0.01).unwrap();
        let delivery = twin::ingest::Delivery {
            title: "Harbor Lights".into(),
            episode: None,
            genre: twin.model().catalog.genres[0].clone(),
            duration_s: 600,
            regions: Vec::new(),
            release_s: 0,
            source: twin::ingest::Source {
                bytes: 15_000_000_000,
                width: 1920,
                height: 1080,
                fps: 24.0,
                complexity: 1.0,
            },
            encoded: Vec::new(),
        };
        twin.apply(twin::Command::Ingest { delivery, ladder: twin::ingest::Ladder::Fixed }).unwrap();
        store.update_titles(&twin).unwrap();
        twin.advance_minutes(30);
        let slot = twin.model().catalog.slots.start;
        assert!(!twin.model().catalog.is_free_slot(twin::catalog::TitleId(slot)), "joined");
        store.update_titles(&twin).unwrap();
        store.sync().unwrap();
        let conn = Connection::open(&path).unwrap();
        let row = |sql: &str| conn.query_row(sql, params![slot], |r| r.get::<_, String>(0)).unwrap();
        assert_eq!(row("SELECT name FROM titles WHERE title = ?1"), "Harbor Lights");
        assert_eq!(row("SELECT CAST(duration_s AS TEXT) FROM videos WHERE title = ?1"), "600");
        drop(conn);
        store.finish().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_version_1_database_migrates() {
        let dir = std::env::temp_dir().join(format!("edgetwin-events-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.db");
        let _ = std::fs::remove_file(&path);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute("INSERT INTO events VALUES (60, 1, 7, 0, 2, 3, 4, 5, 6, 8, 812.5)", []).unwrap();
        }
        let conn = open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let (kind, id, value): (i64, i64, f64) = conn
            .query_row("SELECT kind, id, value FROM events", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!((kind, id, value), (1, 1, 812.5), "the events it held are still there, keyed by kind");
        let clustered: String =
            conn.query_row("SELECT sql FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
        assert!(clustered.contains("WITHOUT ROWID"), "{clustered}");
        // A newer file than this build is refused, by name.
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        let e = open(&path).err().unwrap();
        assert!(format!("{e:#}").contains("v1.db") && format!("{e:#}").contains("newer"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
