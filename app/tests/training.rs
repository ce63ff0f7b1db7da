//! Nightly training over the events store: placement follows what the store holds. Trained from the store,
//! the twin plans exactly as its own predictor would; a surge shows in the store's daily plays, then in the
//! prediction made from them, then in the placement changes and the copies the region's sites hold; and a
//! trend written into the store alone (the engine never saw it) moves placement all the same.

use std::path::{Path, PathBuf};

use edgetwin::store::events::{self as events_store, EventStore};
use edgetwin::training::Training;
use rusqlite::{Connection, params};
use twin::catalog::TitleId;
use twin::events::Sampling;
use twin::{Command, Scenario, SiteId, Twin};

/// Europe, and a title from the tail of the catalogue.
const REGION: u8 = 2;
const TITLE: u32 = 110;

fn small_twin() -> Twin {
    let scenario = Scenario::parse(
        "surge.toml",
        r#"
name = "surge"
seed = 12
start = "2026-11-23T00:00:00Z"
horizon_hours = 96.0
[world]
metros = 30
sites = 40
[appliances]
storage = { disk_tb = 2.0, egress_gbps = 24.0 }
flash = { disk_tb = 0.4, egress_gbps = 47.5 }
[catalog]
titles = 120
[demand]
members = 300000
[policy]
burn_in_days = 2
"#,
    )
    .unwrap();
    Twin::new(scenario).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgetwin-training-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A twin recording its events into a store and trained from it each night.
struct Recorded {
    twin: Twin,
    store: EventStore,
    training: Training,
}

impl Recorded {
    fn new(db: &Path) -> Recorded {
        let mut twin = small_twin();
        twin.set_events(Sampling::new(0.05));
        let store = EventStore::create(db, &twin, 0.05).unwrap();
        let training = Training::start(&mut twin, &store).unwrap();
        Recorded { twin, store, training }
    }

    fn step(&mut self, minutes: u64) {
        for _ in 0..minutes {
            self.twin.advance_minutes(1);
            self.store.send(self.twin.take_events()).unwrap();
            self.training.after_minute(&mut self.twin, &self.store).unwrap();
        }
    }
}

/// Copies of the title's files held by the region's sites.
fn held_copies(twin: &Twin) -> usize {
    let model = twin.model();
    let files: Vec<_> = model.catalog.files_of(TitleId(TITLE)).collect();
    (0..model.world.sites.len())
        .filter(|&s| model.world.sites[s].region.0 == REGION)
        .map(|s| files.iter().filter(|&&f| twin.placement().holds(SiteId(s as u32), f)).count())
        .sum()
}

/// Per night of the region: copies of the title's files added and removed by its plans.
fn planned_changes(conn: &Connection) -> Vec<(i64, i64, i64)> {
    let mut stmt = conn
        .prepare(
            "SELECT c.day, sum(max(c.copies_after - c.copies_before, 0)), sum(max(c.copies_before - c.copies_after, 0))
             FROM placement_changes c JOIN videos v ON v.video = c.video
             WHERE c.region = ?1 AND v.title = ?2 GROUP BY c.day ORDER BY c.day",
        )
        .unwrap();
    stmt.query_map(params![REGION, TITLE], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn trained_from_the_store_the_twin_plans_as_its_own_predictor_would() {
    let dir = scratch("same");
    let mut own = small_twin();
    own.set_events(Sampling::new(0.05));
    let mut trained = Recorded::new(&dir.join("run.db"));
    for _ in 0..3 * 24 * 60 {
        own.advance_minutes(1);
        own.take_events();
        own.take_days();
        own.take_plans();
        trained.step(1);
    }
    // Every play, byte and placement alike: the store carries all the predictor learns from, exactly.
    assert_eq!(own.totals(), trained.twin.totals());
    for s in 0..own.model().world.sites.len() {
        let site = SiteId(s as u32);
        assert!(own.placement().held_files(site).eq(trained.twin.placement().held_files(site)), "site {s}");
    }
    let Recorded { store, .. } = trained;
    store.finish().unwrap();
    let conn = events_store::open(&dir.join("run.db")).unwrap();
    let (runs, most_read): (i64, i64) = conn
        .query_row("SELECT count(*), max(days_read) FROM training_runs", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(runs >= 12 && most_read >= 2, "a run per region and observed day: {runs} runs, {most_read} days read");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_regional_surge_shows_in_the_store_then_in_its_predictions_then_in_placement() {
    let dir = scratch("surge");
    let db = dir.join("surge.db");
    let mut run = Recorded::new(&db);
    // The title trends in Europe from the start of the run's third day (the first whole day observed is the
    // second).
    run.step(48 * 60);
    let held_before = held_copies(&run.twin);
    run.twin.apply(Command::SetTitleSurge { title: TitleId(TITLE), region: REGION as usize, factor: 40.0 }).unwrap();
    run.step(36 * 60);
    let held_after = held_copies(&run.twin);
    let Recorded { store, .. } = run;
    store.finish().unwrap();

    let conn = events_store::open(&db).unwrap();
    // The title's plays observed, and predicted from them for the next day, per day in the region.
    let mut stmt = conn
        .prepare(
            "SELECT d.day, sum(d.observed_plays), sum(d.next_predicted_plays) FROM daily d
             JOIN videos v ON v.video = d.video WHERE d.region = ?1 AND v.title = ?2 GROUP BY d.day ORDER BY d.day",
        )
        .unwrap();
    let days: Vec<(i64, f64, f64)> = stmt
        .query_map(params![REGION, TITLE], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(days.len() >= 2, "{days:?}");
    let (before, surged) = (days[days.len() - 2], days[days.len() - 1]);
    assert!(surged.1 > 5.0 * before.1.max(1.0), "observed plays {days:?}");
    assert!(surged.2 > 3.0 * before.2.max(1.0), "next day's prediction {days:?}");
    // The night after the first surged day, training's plans give the title's files more copies in the region,
    // and by the end of that night's fill its sites hold them.
    let changes = planned_changes(&conn);
    let night = changes.iter().find(|c| c.0 == surged.0 + 1).copied().unwrap_or_default();
    assert!(night.1 > night.2 && night.1 > 0, "copies planned the night after the surge: {changes:?}");
    assert!(held_after > held_before, "copies held in the region: {held_before} before, {held_after} after");
    let errors: i64 = conn.query_row("SELECT count(*) FROM daily_error", [], |r| r.get(0)).unwrap();
    assert!(errors >= 6, "a prediction error per region and day: {errors}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn placement_follows_a_trend_the_store_holds_though_the_engine_never_saw_it() {
    let dir = scratch("store");
    let copies_planned = |tamper: bool| -> (Vec<(i64, i64, i64)>, i64) {
        let db = dir.join(format!("run-{tamper}.db"));
        let mut run = Recorded::new(&db);
        run.step(48 * 60);
        // Step until Europe's day ends, then, before training reads it, write into the store that the title
        // drew 3,000 plays that day in the region.
        let day = loop {
            run.twin.advance_minutes(1);
            run.store.send(run.twin.take_events()).unwrap();
            if let Some(due) = run.twin.predictions_due().into_iter().find(|d| d.region == REGION as usize) {
                break due.day - 1;
            }
            run.training.after_minute(&mut run.twin, &run.store).unwrap();
        };
        run.store.send_days(run.twin.take_days()).unwrap();
        run.store.sync().unwrap();
        if tamper {
            let conn = Connection::open(&db).unwrap();
            conn.execute(
                "INSERT OR REPLACE INTO daily (region, day, video, observed_plays, predicted_plays, next_predicted_plays)
                 SELECT ?1, ?2, v.video, 3000.0 / (SELECT count(*) FROM videos WHERE title = ?3),
                        coalesce(d.predicted_plays, 0), 0
                 FROM videos v LEFT JOIN daily d ON d.region = ?1 AND d.day = ?2 AND d.video = v.video
                 WHERE v.title = ?3",
                params![REGION, day, TITLE],
            )
            .unwrap();
        }
        run.training.after_minute(&mut run.twin, &run.store).unwrap();
        let Recorded { store, .. } = run;
        store.finish().unwrap();
        let conn = events_store::open(&db).unwrap();
        (planned_changes(&conn), day)
    };
    let (control, day) = copies_planned(false);
    let (tampered, tampered_day) = copies_planned(true);
    assert_eq!(day, tampered_day);
    let night = |c: &[(i64, i64, i64)]| c.iter().find(|x| x.0 == day + 1).map_or(0, |x| x.1 - x.2);
    assert!(
        night(&tampered) > night(&control) && night(&tampered) > 0,
        "net copies of the title planned the night after: {} with the store's trend, {} without \
         ({tampered:?} against {control:?})",
        night(&tampered),
        night(&control)
    );
    std::fs::remove_dir_all(&dir).ok();
}
