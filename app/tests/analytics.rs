//! The events store over a run with a regional surge: the daily table shows the surge in the region's observed
//! plays, and the next day's prediction made from it.

use edgetwin::events_store::{self, EventStore};
use twin::events::Sampling;
use twin::{Command, Scenario, Twin};

#[test]
fn a_regional_surge_shows_in_the_stores_daily_plays_and_then_in_its_predictions() {
    let scenario = Scenario::parse(
        "surge.toml",
        r#"
name = "surge"
seed = 12
start = "2026-11-23T00:00:00Z"
horizon_hours = 72.0
[world]
metros = 30
sites = 40
[catalog]
titles = 120
[demand]
members = 300000
[policy]
burn_in_days = 2
"#,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("edgetwin-surge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("surge.db");
    let mut twin = Twin::new(scenario).unwrap();
    twin.set_events(Sampling::new(0.05));
    let store = EventStore::create(&db, &twin, 0.05).unwrap();
    let step = |twin: &mut Twin, minutes: u64| {
        for _ in 0..minutes {
            twin.advance_minutes(1);
            store.send(twin.take_events()).unwrap();
            store.send_days(twin.take_days()).unwrap();
        }
    };
    // Europe, and a title from the tail of the catalogue, trending there from the start of the run's third day
    // (the first whole day observed is the second).
    step(&mut twin, 48 * 60);
    let (region, title) = (2u8, 110u32);
    twin.apply(Command::SetTitleSurge { title: twin::catalog::TitleId(title), region: region as usize, factor: 40.0 })
        .unwrap();
    step(&mut twin, 26 * 60);
    store.finish().unwrap();

    let conn = events_store::open(&db).unwrap();
    // The title's plays observed, and predicted for the next day, per day in the region.
    let mut stmt = conn
        .prepare(
            "SELECT d.day, sum(d.observed_plays), sum(d.next_predicted_plays) FROM daily d
             JOIN videos v ON v.video = d.video WHERE d.region = ?1 AND v.title = ?2 GROUP BY d.day ORDER BY d.day",
        )
        .unwrap();
    let days: Vec<(i64, f64, f64)> = stmt
        .query_map(rusqlite::params![region, title], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(days.len() >= 2, "{days:?}");
    let (before, after) = (days[0], days[days.len() - 1]);
    // The day before the surge against the first whole day of it: plays many times over, and the prediction
    // made from that day follows.
    assert!(after.1 > 5.0 * before.1.max(1.0), "observed plays {days:?}");
    assert!(after.2 > 3.0 * before.2.max(1.0), "next day's prediction {days:?}");
    let errors: i64 = conn.query_row("SELECT count(*) FROM daily_error", [], |r| r.get(0)).unwrap();
    assert!(errors >= 6, "a prediction error per region and day: {errors}");
    std::fs::remove_dir_all(&dir).ok();
}
