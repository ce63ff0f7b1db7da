//! The events store: one SQLite database per run, written by a thread of its own. The simulation hands it
//! batches through a bounded queue (so memory stays bounded; when the disk falls behind, the simulation waits
//! for it rather than losing events), and the writer inserts each batch in one transaction, in WAL mode, with
//! statements prepared once that take `ROWS_PER_INSERT` events each; a second thread checkpoints the WAL beside
//! it (`Checkpointer`). The schema is versioned (`PRAGMA user_version`) and older files are migrated on open.
//!
//! Tables: `meta` (the run: scenario, seed, start, sampling rate), `videos` and `titles` and `devices` and
//! `regions` (names and durations, so a database answers questions on its own), `kinds` (event codes and their
//! names), the events in one table per kind and the view `events` over them all (see `migrate_v6_sql`), `daily`
//! and `daily_error` (each region's days observed and predicted: see `MIGRATE_V4`), and what nightly training
//! reads and does (see `MIGRATE_V5`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, bail};
use rusqlite::{Connection, Statement, params};
use twin::Twin;
use twin::events::{DayRecord, Event, EventKind, PlanRecord};

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = 6;
/// Batches the queue holds before the simulation waits for the writer.
const QUEUE_BATCHES: usize = 16;
/// Events one INSERT statement takes (the writer binds them all, then steps once): a statement's own work
/// (step, reset, the cursor it opens) is shared by that many rows.
const ROWS_PER_INSERT: usize = 64;
/// WAL frames (pages) past which the writer waits for the checkpointer to catch up, so the WAL starts again from
/// its beginning (SQLite's own automatic checkpoint comes at 1,000).
const WAL_FRAMES_LIMIT: i64 = 1000;

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

/// Version 6's event tables, by kind code (as `EventKind::name`, frozen here: a kind added later gets its table
/// in a later version).
const V6_KINDS: [&str; 16] = [
    "play_attempt",
    "video_start",
    "exit_before_start",
    "start_failure",
    "rebuffer",
    "switch_down",
    "switch_up",
    "failover",
    "playback_failure",
    "pause",
    "seek_back",
    "seek_forward",
    "stop",
    "completion",
    "browse",
    "search",
];

/// An event table's columns (the view `events` puts `kind` before them).
const EVENT_COLUMNS: &str = "id, t_s, member, device, region, title, video, file, site, metro, value, stall_s";

/// Version 6: one table per kind of event (`events_play_attempt`, `events_video_start`, …), each a rowid table
/// that a run's events of that kind append to in arrival order. A kind's events are still one contiguous range,
/// as in version 2's table clustered by (kind, id), but an insert appends at its table's end instead of seeking
/// its place in that B-tree, and a question about a kind reads its table alone. `id` is still the event's number
/// in the run's arrival order (a column now; each table's rowid follows it). `events` becomes a view over the
/// tables, the kind a constant in each arm: SQLite pushes `kind = ?` into the arms and skips the others, and
/// inserting into the view puts each row in its kind's table. The columns carry no NOT NULL: the writer binds
/// them from Rust values that cannot be NULL (only `file` and `site` may be), and the ten checks a row cost it
/// about 6% of its speed; the view's trigger still refuses a NULL where the old table did.
fn migrate_v6_sql() -> String {
    let columns = EVENT_COLUMNS;
    let mut sql = String::new();
    for name in V6_KINDS {
        sql += &format!(
            "CREATE TABLE events_{name} (
    id INTEGER, t_s INTEGER, member INTEGER, device INTEGER, region INTEGER, title INTEGER, video INTEGER,
    file INTEGER, site INTEGER, metro INTEGER, value REAL, stall_s REAL
);
"
        );
    }
    for (code, name) in V6_KINDS.iter().enumerate() {
        sql += &format!(
            "INSERT INTO events_{name} ({columns}) SELECT {columns} FROM events WHERE kind = {code} ORDER BY id;\n"
        );
    }
    sql += "DROP TABLE events;\n";
    let arms: Vec<String> = V6_KINDS
        .iter()
        .enumerate()
        .map(|(code, name)| format!("SELECT {code}, {columns} FROM events_{name}"))
        .collect();
    sql += &format!("CREATE VIEW events (kind, {columns}) AS\n{};\n", arms.join("\nUNION ALL "));
    let new_columns: Vec<String> = columns.split(", ").map(|c| format!("NEW.{c}")).collect();
    let not_null: Vec<&String> = new_columns.iter().filter(|c| *c != "NEW.file" && *c != "NEW.site").collect();
    let not_null: Vec<String> = not_null.iter().map(|c| format!("{c} IS NULL")).collect();
    sql += &format!(
        "CREATE TRIGGER events_insert INSTEAD OF INSERT ON events BEGIN
    SELECT RAISE(ABORT, 'no events table for this kind') WHERE NEW.kind IS NULL OR NEW.kind NOT BETWEEN 0 AND {};
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: an event''s columns but file and site')
        WHERE {};\n",
        V6_KINDS.len() - 1,
        not_null.join(" OR ")
    );
    let new_columns = new_columns.join(", ");
    for (code, name) in V6_KINDS.iter().enumerate() {
        sql += &format!("    INSERT INTO events_{name} ({columns}) SELECT {new_columns} WHERE NEW.kind = {code};\n");
    }
    sql += "END;\n";
    sql
}

/// The table holding `kind`'s events (schema 6 on; the view `events` holds them all).
pub fn kind_table(kind: EventKind) -> String {
    format!("events_{}", kind.name())
}

/// Brings a database to `SCHEMA_VERSION`, one version at a time, each in a transaction.
pub fn migrate(conn: &mut Connection, path: &Path) -> anyhow::Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if version > SCHEMA_VERSION {
        bail!("{}: events schema {version} is newer than this build's ({SCHEMA_VERSION})", path.display());
    }
    let v6 = migrate_v6_sql();
    let steps: [(i64, &str); 6] =
        [(1, SCHEMA_V1), (2, MIGRATE_V2), (3, MIGRATE_V3), (4, MIGRATE_V4), (5, MIGRATE_V5), (6, &v6)];
    for (to, sql) in steps.into_iter().filter(|(to, _)| *to > version) {
        let tx = conn.transaction()?;
        if to == 6 {
            let stray: i64 = tx.query_row(
                "SELECT count(*) FROM events WHERE kind NOT BETWEEN 0 AND ?1",
                [V6_KINDS.len() as i64 - 1],
                |r| r.get(0),
            )?;
            if stray > 0 {
                bail!("{}: {stray} events of a kind this build does not know; not migrating", path.display());
            }
        }
        tx.execute_batch(sql).with_context(|| format!("{}: migrating to schema {to}", path.display()))?;
        tx.pragma_update(None, "user_version", to)?;
        tx.commit()?;
    }
    if (1..6).contains(&version) {
        // Version 6 moved the events out of their old table, whose pages are left free: give them back (an
        // 11.6 M-event store would stay twice its size; this takes about 2 s). The store is sound without it.
        if let Err(e) = conn.execute_batch("VACUUM") {
            tracing::warn!("{}: migrated, but not compacted: {e}", path.display());
        }
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
    conn: Connection,
    rx: Receiver<Batch>,
    written: &AtomicU64,
    files_per_video: u32,
) -> anyhow::Result<WriteStats> {
    let mut checkpointer = Checkpointer::start(&conn, WAL_FRAMES_LIMIT)?;
    let mut stats = WriteStats::default();
    {
        let mut inserts = EventInserts::prepare(&conn)?;
        for batch in rx {
            let started = Instant::now();
            if let Batch::Sync(done) = &batch {
                let _ = done.send(());
                continue;
            }
            // Unchecked: the prepared inserts borrow the connection for the writer's life; transactions do not
            // nest here.
            let tx = conn.unchecked_transaction()?;
            match &batch {
                Batch::Events(events) => {
                    inserts.insert(stats.events, events)?;
                    stats.events += events.len() as u64;
                }
                Batch::Days(days) => insert_days(&tx, days)?,
                Batch::Plans(plans) => insert_plans(&tx, plans, files_per_video)?,
                Batch::Training(record) => insert_training(&tx, record)?,
                Batch::Titles(titles) => {
                    for t in titles {
                        tx.execute(
                            "INSERT OR REPLACE INTO titles VALUES (?1, ?2, ?3)",
                            params![t.title, t.name, t.movie],
                        )?;
                        for (v, duration_s) in &t.videos {
                            tx.execute(
                                "INSERT OR REPLACE INTO videos VALUES (?1, ?2, ?3)",
                                params![v, t.title, duration_s],
                            )?;
                        }
                    }
                }
                Batch::Sync(_) => unreachable!("answered above"),
            }
            tx.commit()?;
            checkpointer.after_commit()?;
            written.store(stats.events, Ordering::Relaxed);
            stats.batches += 1;
            stats.busy_s += started.elapsed().as_secs_f64();
        }
    }
    checkpointer.finish();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    Ok(stats)
}

/// Checkpoints the WAL on a thread (and connection) of its own, so the writer spends its time inserting: copying
/// committed pages into the database took a sixth of the writer's time when SQLite did it at commit. A PASSIVE
/// checkpoint runs after a commit while the writer goes on with the next batch. The WAL is written again from
/// its start only by a transaction that begins with all of it checkpointed, which a writer that never waited
/// would seldom see (the WAL grew to the whole run's size): once the WAL holds `limit` frames, the writer waits
/// for a checkpoint of all of it, so the WAL stays about as large as SQLite's own checkpoints kept it.
struct Checkpointer {
    requests: Option<SyncSender<()>>,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    /// A checkpoint asked for and not yet done.
    pending: bool,
    limit: i64,
}

thread_local! {
    /// Frames in the WAL after the last commit on this thread (the writer's), from SQLite's WAL hook.
    static WAL_FRAMES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

fn note_wal_frames(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames as i64);
    Ok(())
}

impl Checkpointer {
    /// Takes over checkpointing `writer`'s database (its automatic checkpoints stop); `writer` must commit on
    /// this thread.
    fn start(writer: &Connection, limit: i64) -> anyhow::Result<Checkpointer> {
        let path = writer.path().filter(|p| !p.is_empty()).context("the events store has no file")?.to_owned();
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.wal_hook(Some(note_wal_frames));
        WAL_FRAMES.set(0);
        let conn = Connection::open(&path).with_context(|| format!("opening {path} to checkpoint it"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let (requests, asked) = sync_channel::<()>(1);
        let (report, done) = sync_channel(1);
        let thread = std::thread::Builder::new().name("events checkpointer".into()).spawn(move || {
            for () in asked {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!("checkpointing {path}: {e}");
                }
                if report.send(()).is_err() {
                    return;
                }
            }
        })?;
        Ok(Checkpointer { requests: Some(requests), done, thread: Some(thread), pending: false, limit })
    }

    fn after_commit(&mut self) -> anyhow::Result<()> {
        if self.pending && self.done.try_recv().is_ok() {
            self.pending = false;
        }
        if WAL_FRAMES.get() >= self.limit {
            // The checkpoint in flight may have begun before this commit: wait for it, then for one of all.
            if self.pending {
                self.done.recv().context("the events checkpointer stopped")?;
            }
            self.ask()?;
            self.done.recv().context("the events checkpointer stopped")?;
            self.pending = false;
        } else if !self.pending {
            self.ask()?;
            self.pending = true;
        }
        Ok(())
    }

    fn ask(&self) -> anyhow::Result<()> {
        let requests = self.requests.as_ref().context("the events checkpointer is closed")?;
        requests.send(()).map_err(|_| anyhow::anyhow!("the events checkpointer stopped"))
    }

    /// Waits for the checkpoint in flight and ends the thread.
    fn finish(mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The statements that insert each kind's events: one taking `ROWS_PER_INSERT` rows and one taking a row (for
/// the rest of a batch), prepared once for the writer's life.
struct EventInserts<'c> {
    kinds: Vec<(Statement<'c>, Statement<'c>)>,
    /// Each kind's events in the batch at hand (their places in it), kept to be reused.
    by_kind: Vec<Vec<u32>>,
}

impl<'c> EventInserts<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<EventInserts<'c>> {
        let kinds = EventKind::ALL
            .iter()
            .map(|&k| Ok((conn.prepare(&insert_sql(k, ROWS_PER_INSERT))?, conn.prepare(&insert_sql(k, 1))?)))
            .collect::<rusqlite::Result<_>>()?;
        Ok(EventInserts { kinds, by_kind: vec![Vec::new(); EventKind::ALL.len()] })
    }

    /// Inserts events, numbering them on from `first_id` in the order given, each into its kind's table.
    fn insert(&mut self, first_id: u64, events: &[Event]) -> rusqlite::Result<()> {
        for places in &mut self.by_kind {
            places.clear();
        }
        for (i, e) in events.iter().enumerate() {
            self.by_kind[e.kind as usize].push(i as u32);
        }
        for ((many, one), places) in self.kinds.iter_mut().zip(&self.by_kind) {
            let mut chunks = places.chunks_exact(ROWS_PER_INSERT);
            for chunk in &mut chunks {
                for (row, &i) in chunk.iter().enumerate() {
                    bind_event(many, row * BOUND_PER_EVENT, first_id + i as u64, &events[i as usize])?;
                }
                many.raw_execute()?;
            }
            for &i in chunks.remainder() {
                bind_event(one, 0, first_id + i as u64, &events[i as usize])?;
                one.raw_execute()?;
            }
        }
        Ok(())
    }
}

/// Values bound per event (`EVENT_COLUMNS`).
const BOUND_PER_EVENT: usize = 12;

/// An INSERT of `rows` events into `kind`'s table. OR ROLLBACK: a statement that fails undoes its batch (the
/// writer then stops with the error), so SQLite keeps no statement journal to undo a multi-row statement alone.
fn insert_sql(kind: EventKind, rows: usize) -> String {
    let row = format!("({})", ["?"; BOUND_PER_EVENT].join(","));
    format!("INSERT OR ROLLBACK INTO {} ({EVENT_COLUMNS}) VALUES {}", kind_table(kind), vec![row; rows].join(","))
}

/// Binds an event's values from parameter `at + 1` on, in `EVENT_COLUMNS` order.
#[inline]
fn bind_event(s: &mut Statement, at: usize, id: u64, e: &Event) -> rusqlite::Result<()> {
    let opt = |x: u32| (x != u32::MAX).then_some(x);
    s.raw_bind_parameter(at + 1, id as i64)?;
    s.raw_bind_parameter(at + 2, e.t_s)?;
    s.raw_bind_parameter(at + 3, e.member)?;
    s.raw_bind_parameter(at + 4, e.device)?;
    s.raw_bind_parameter(at + 5, e.region)?;
    s.raw_bind_parameter(at + 6, e.title)?;
    s.raw_bind_parameter(at + 7, e.video)?;
    s.raw_bind_parameter(at + 8, opt(e.file))?;
    s.raw_bind_parameter(at + 9, opt(e.site))?;
    s.raw_bind_parameter(at + 10, e.metro)?;
    s.raw_bind_parameter(at + 11, e.value as f64)?;
    s.raw_bind_parameter(at + 12, e.stall_s as f64)
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
        assert_eq!((kind, id, value), (1, 1, 812.5), "the events it held are still there, with their kind");
        let in_its_table: f64 = conn.query_row("SELECT value FROM events_video_start", [], |r| r.get(0)).unwrap();
        assert_eq!(in_its_table, 812.5, "in its kind's table");
        let view: String =
            conn.query_row("SELECT type FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
        assert_eq!(view, "view");
        // A newer file than this build is refused, by name.
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        let e = open(&path).err().unwrap();
        assert!(format!("{e:#}").contains("v1.db") && format!("{e:#}").contains("newer"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A scratch directory for one test, emptied.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgetwin-events-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Every event the view holds, by kind then id: (kind, id, t_s, member, file, site, value, stall_s).
    type Row = (u8, i64, u32, u32, Option<u32>, Option<u32>, f64, f64);
    fn all_events(conn: &Connection) -> Vec<Row> {
        let mut stmt = conn
            .prepare("SELECT kind, id, t_s, member, file, site, value, stall_s FROM events ORDER BY kind, id")
            .unwrap();
        stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    #[test]
    fn each_kind_has_its_table() {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, V6_KINDS, "a kind added or renamed needs its table in a new schema version");
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        for k in EventKind::ALL {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {}", kind_table(k)), [], |r| r.get(0)).unwrap();
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn a_version_5_store_moves_its_events_to_a_table_per_kind_in_id_order() {
        let dir = scratch("v5");
        let path = dir.join("v5.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            for sql in [SCHEMA_V1, MIGRATE_V2, MIGRATE_V3, MIGRATE_V4, MIGRATE_V5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            let tx = conn.transaction().unwrap();
            // Stops and attempts, written out of id order; one with no file or site.
            for (kind, id, file) in
                [(12, 9, Some(3)), (0, 2, None), (12, 4, Some(5)), (0, 7, Some(1)), (12, 1, Some(2))]
            {
                tx.execute(
                    "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value,
                                         stall_s)
                     VALUES (?1, ?2, ?2 * 60, 100 + ?2, 0, 1, 2, 3, ?3, ?3, 4, ?2 * 1.5, 0.25)",
                    params![kind, id, file],
                )
                .unwrap();
            }
            // And enough pauses to fill pages of their own, which the old table leaves free when dropped.
            tx.execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 3099)
                 INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value,
                                     stall_s)
                 SELECT 9, i, i, i, 0, 0, 0, 0, i, i, 0, 1.5, 0 FROM n",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let conn = open(&path).unwrap();
        let pauses: i64 = conn.query_row("SELECT count(*) FROM events_pause", [], |r| r.get(0)).unwrap();
        assert_eq!(pauses, 3000);
        let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
        assert_eq!(free, 0, "the old table's pages are given back");
        conn.execute_batch("DELETE FROM events_pause").unwrap();
        let row = |kind: u8, id: i64, file: Option<u32>| {
            (kind, id, id as u32 * 60, 100 + id as u32, file, file, id as f64 * 1.5, 0.25)
        };
        let expected =
            vec![row(0, 2, None), row(0, 7, Some(1)), row(12, 1, Some(2)), row(12, 4, Some(5)), row(12, 9, Some(3))];
        assert_eq!(all_events(&conn), expected);
        // Each kind's table holds its events in id order (the order its rows are stored in).
        let mut stmt = conn.prepare("SELECT id FROM events_stop ORDER BY rowid").unwrap();
        let ids: Vec<i64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(ids, [1, 4, 9]);
        drop(stmt);
        // The view takes inserts into each kind's table, and refuses a kind with no table.
        conn.execute(
            "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value, stall_s)
             VALUES (13, 10, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 1.0, 0)",
            [],
        )
        .unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM events_completion WHERE id = 10", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        let e = conn
            .execute(
                "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value,
                                     stall_s)
                 VALUES (16, 11, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 1.0, 0)",
                [],
            )
            .unwrap_err();
        assert!(e.to_string().contains("no events table"), "{e}");
        let e = conn
            .execute(
                "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value,
                                     stall_s)
                 VALUES (13, 12, 0, NULL, 0, 0, 0, 0, NULL, NULL, 0, 1.0, 0)",
                [],
            )
            .unwrap_err();
        assert!(e.to_string().contains("NOT NULL"), "{e}");
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_version_5_store_with_an_unknown_kind_is_not_migrated() {
        let dir = scratch("v5-unknown");
        let path = dir.join("odd.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in [SCHEMA_V1, MIGRATE_V2, MIGRATE_V3, MIGRATE_V4, MIGRATE_V5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            conn.execute("INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value, stall_s) VALUES (40, 1, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0)", []).unwrap();
        }
        let e = open(&path).err().unwrap();
        assert!(format!("{e:#}").contains("odd.db") && format!("{e:#}").contains("1 events of a kind"), "{e:#}");
        let version: i64 = Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 5, "left as it was");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn event(kind: EventKind, i: u32) -> Event {
        Event {
            t_s: 60 * i,
            kind,
            member: 1000 + i,
            device: (i % 3) as u8,
            region: (i % 2) as u8,
            title: i % 7,
            video: i % 11,
            file: if i.is_multiple_of(5) { twin::events::NO_FILE } else { i },
            site: if i.is_multiple_of(4) { twin::events::NO_SITE } else { i + 1 },
            metro: i % 13,
            value: i as f32 * 0.5,
            stall_s: if kind == EventKind::Stop { 0.25 * i as f32 } else { 0.0 },
        }
    }

    #[test]
    fn batches_land_in_their_kinds_tables_numbered_in_arrival_order() {
        let dir = scratch("inserts");
        let mut conn = Connection::open(dir.join("run.db")).unwrap();
        migrate(&mut conn, Path::new("run.db")).unwrap();
        // Three batches: stops more than one statement takes (and some left over), a few of other kinds, and a
        // batch of one.
        let kinds = [EventKind::Stop, EventKind::PlayAttempt, EventKind::Stop, EventKind::Search, EventKind::Stop];
        let batches: Vec<Vec<Event>> = vec![
            (0..3 * ROWS_PER_INSERT as u32 + 5).map(|i| event(kinds[i as usize % kinds.len()], i)).collect(),
            (0..ROWS_PER_INSERT as u32).map(|i| event(EventKind::Stop, 1000 + i)).collect(),
            vec![event(EventKind::Completion, 5000)],
        ];
        let mut expected = Vec::new();
        let mut id = 0u64;
        {
            let mut inserts = EventInserts::prepare(&conn).unwrap();
            for batch in &batches {
                let tx = conn.unchecked_transaction().unwrap();
                inserts.insert(id, batch).unwrap();
                tx.commit().unwrap();
                for e in batch {
                    let opt = |x: u32| (x != u32::MAX).then_some(x);
                    expected.push((
                        e.kind as u8,
                        id as i64,
                        e.t_s,
                        e.member,
                        opt(e.file),
                        opt(e.site),
                        e.value as f64,
                        e.stall_s as f64,
                    ));
                    id += 1;
                }
            }
        }
        expected.sort_by_key(|r| (r.0, r.1));
        assert_eq!(all_events(&conn), expected);
        let mut stmt = conn.prepare("SELECT id FROM events_stop ORDER BY rowid").unwrap();
        let ids: Vec<i64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "stored in arrival order");
        drop(stmt);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_wal_starts_again_while_a_thread_beside_the_writer_checkpoints_it() {
        let dir = scratch("checkpoint");
        let path = dir.join("wal.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "page_size", 4096).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x BLOB NOT NULL)").unwrap();
        let limit = 32;
        let mut checkpointer = Checkpointer::start(&conn, limit).unwrap();
        // 200 transactions of about 10 pages each: 2,000 frames if the WAL never started again.
        for i in 0..200 {
            let tx = conn.unchecked_transaction().unwrap();
            for _ in 0..10 {
                tx.execute("INSERT INTO t VALUES (zeroblob(3500) || ?1)", [i]).unwrap();
            }
            tx.commit().unwrap();
            checkpointer.after_commit().unwrap();
        }
        checkpointer.finish();
        let frames = std::fs::metadata(dir.join("wal.db-wal")).unwrap().len() / (4096 + 24);
        assert!(frames < 3 * limit as u64, "the WAL grew to {frames} frames");
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2000);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
