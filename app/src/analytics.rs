//! Questions asked of an events store (SQL over its tables): QoE by the Mux / CTA-2066 definitions, and
//! engagement (completion, drop-off, pauses and seeks, weekday/weekend, devices). The CLI's report and the
//! Analytics view both ask them here.

use std::path::Path;

use anyhow::Context;
use rusqlite::{Connection, params};
use twin::events::EventKind;

/// QoE over a store, by the Mux / CTA-2066 definitions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Qoe {
    pub attempts: u64,
    pub starts: u64,
    /// Video startup time (play attempt to first frame) over video starts, ms.
    pub startup_p50_ms: f64,
    pub startup_p95_ms: f64,
    /// Rebuffering ÷ (watched time + rebuffering), over the sessions that ended, %.
    pub rebuffer_pct: f64,
    /// Start failures ÷ play attempts, %.
    pub video_start_failure_pct: f64,
    /// Exits before video start ÷ play attempts, %.
    pub exits_before_start_pct: f64,
    /// Fatal errors after start ÷ video starts, %.
    pub playback_failure_pct: f64,
    pub watched_hours: f64,
}

fn count(conn: &Connection, kind: EventKind) -> rusqlite::Result<u64> {
    conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind as u8], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
}

/// The values at quantiles `qs` of a kind's values, to the nearest whole unit (nearest rank): from a histogram
/// of whole units in one pass over the kind's range, rather than a sort of every value.
fn quantiles<const N: usize>(conn: &Connection, kind: EventKind, qs: [f64; N]) -> rusqlite::Result<[f64; N]> {
    let mut stmt = conn.prepare(
        "SELECT CAST(value AS INTEGER) AS unit, count(*) FROM events WHERE kind = ?1 GROUP BY unit ORDER BY unit",
    )?;
    let hist: Vec<(i64, i64)> =
        stmt.query_map([kind as u8], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let n: i64 = hist.iter().map(|h| h.1).sum();
    Ok(qs.map(|q| {
        let rank = ((q * n as f64).ceil() as i64).max(1);
        let mut seen = 0;
        hist.iter()
            .find(|h| {
                seen += h.1;
                seen >= rank
            })
            .map_or(0.0, |h| h.0 as f64)
    }))
}

pub fn qoe(conn: &Connection) -> rusqlite::Result<Qoe> {
    let pct = |a: u64, b: u64| if b > 0 { 100.0 * a as f64 / b as f64 } else { 0.0 };
    let attempts = count(conn, EventKind::PlayAttempt)?;
    let starts = count(conn, EventKind::VideoStart)?;
    let (watched_s, rebuffer_s): (f64, f64) = conn.query_row(
        "SELECT coalesce(sum(value), 0), coalesce(sum(stall_s), 0) FROM events WHERE kind = ?1",
        [EventKind::Stop as u8],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let [startup_p50_ms, startup_p95_ms] = quantiles(conn, EventKind::VideoStart, [0.5, 0.95])?;
    Ok(Qoe {
        attempts,
        starts,
        startup_p50_ms,
        startup_p95_ms,
        rebuffer_pct: if watched_s + rebuffer_s > 0.0 { 100.0 * rebuffer_s / (watched_s + rebuffer_s) } else { 0.0 },
        video_start_failure_pct: pct(count(conn, EventKind::StartFailure)?, attempts),
        exits_before_start_pct: pct(count(conn, EventKind::ExitBeforeStart)?, attempts),
        playback_failure_pct: pct(count(conn, EventKind::PlaybackFailure)?, starts),
        watched_hours: watched_s / 3600.0,
    })
}

/// The share of ended sessions still watching at each tenth of their video (0%, 10%, …, 100%).
pub fn drop_off(conn: &Connection, title: Option<u32>) -> rusqlite::Result<[f64; 11]> {
    let mut stmt = conn.prepare(
        "SELECT min(CAST(e.value / v.duration_s * 10 AS INTEGER), 10) AS tenth, count(*)
         FROM events e JOIN videos v ON v.video = e.video
         WHERE e.kind = ?1 AND (?2 IS NULL OR e.title = ?2)
         GROUP BY tenth",
    )?;
    let mut per_tenth = [0u64; 11];
    let rows =
        stmt.query_map(params![EventKind::Stop as u8, title], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (tenth, n) = row?;
        per_tenth[tenth.clamp(0, 10) as usize] += n as u64;
    }
    let total: u64 = per_tenth.iter().sum();
    let mut curve = [0.0; 11];
    let mut still = total;
    for (i, c) in curve.iter_mut().enumerate() {
        *c = if total > 0 { still as f64 / total as f64 } else { 0.0 };
        still -= per_tenth[i];
    }
    Ok(curve)
}

/// Titles by ended sessions, with the share of those that completed: (title, name, stops, completion rate).
pub fn completion(conn: &Connection, top: usize) -> rusqlite::Result<Vec<(u32, String, u64, f64)>> {
    let mut stmt = conn.prepare(
        "SELECT e.title, t.name, sum(e.kind = ?1) AS stops, sum(e.kind = ?2) AS done
         FROM events e JOIN titles t ON t.title = e.title
         WHERE e.kind IN (?1, ?2)
         GROUP BY e.title ORDER BY stops DESC, e.title LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![EventKind::Stop as u8, EventKind::Completion as u8, top as i64], |r| {
        let (stops, done): (i64, i64) = (r.get(2)?, r.get(3)?);
        Ok((r.get(0)?, r.get(1)?, stops as u64, if stops > 0 { done as f64 / stops as f64 } else { 0.0 }))
    })?;
    rows.collect()
}

fn meta(conn: &Connection, key: &str) -> rusqlite::Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
}

/// Everything the report and the view show, read in one go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: String,
    pub sampling_rate: f64,
    pub qoe: Qoe,
    pub completion_pct: f64,
    /// Pauses, seeks back and seeks forward per hour watched.
    pub interactions_per_hour: [f64; 3],
    pub drop_off: [f64; 11],
    /// The titles with the most ended sessions: (title, name, sessions, completion rate, drop-off curve).
    pub titles: Vec<(u32, String, u64, f64, [f64; 11])>,
    /// Video starts on weekdays and weekends (the UTC day): [shows, movies].
    pub week: [[u64; 2]; 2],
    /// Video starts per device: (name, starts).
    pub devices: Vec<(String, u64)>,
    /// Each region's observed days: (region code, day, prediction WAPE, plays observed).
    pub daily_error: Vec<(String, i64, f64, f64)>,
}

/// Reads the summary of the store at `path` (open as `conn`), with `top` titles; an error names the file.
pub fn summary(conn: &Connection, path: &Path, top: usize) -> anyhow::Result<Summary> {
    read_summary(conn, top)
        .with_context(|| format!("reading {} (an events database of `run --events`)", path.display()))
}

fn read_summary(conn: &Connection, top: usize) -> anyhow::Result<Summary> {
    let start: chrono::DateTime<chrono::Utc> =
        meta(conn, "start_utc")?.parse().context("meta start_utc is not a UTC time")?;
    let qoe = qoe(conn)?;
    let stops = count(conn, EventKind::Stop)?;
    let hours = qoe.watched_hours.max(1e-9);
    let per_hour = |k| count(conn, k).map(|n| n as f64 / hours);
    let titles = completion(conn, top)?
        .into_iter()
        .map(|(t, name, n, done)| Ok((t, name, n, done, drop_off(conn, Some(t))?)))
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT ((e.t_s + ?2) / 86400 + 3) % 7 >= 5 AS weekend, t.movie, count(*)
         FROM events e JOIN titles t ON t.title = e.title WHERE e.kind = ?1 GROUP BY weekend, t.movie",
    )?;
    let mut week = [[0u64; 2]; 2];
    for row in stmt.query_map(params![EventKind::VideoStart as u8, start.timestamp()], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })? {
        let (weekend, movie, n) = row?;
        week[weekend.clamp(0, 1) as usize][movie.clamp(0, 1) as usize] += n as u64;
    }
    let mut stmt = conn.prepare(
        "SELECT d.name, count(*) FROM events e JOIN devices d ON d.device = e.device
         WHERE e.kind = ?1 GROUP BY e.device ORDER BY count(*) DESC",
    )?;
    let devices = stmt
        .query_map([EventKind::VideoStart as u8], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT r.code, e.day, e.wape, e.observed_plays FROM daily_error e JOIN regions r ON r.region = e.region
         ORDER BY e.day, e.region",
    )?;
    let daily_error =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
    Ok(Summary {
        daily_error,
        scenario: meta(conn, "scenario")?,
        seed: meta(conn, "seed")?,
        sampling_rate: meta(conn, "sampling_rate")?.parse().unwrap_or(1.0),
        completion_pct: 100.0 * count(conn, EventKind::Completion)? as f64 / stops.max(1) as f64,
        interactions_per_hour: [
            per_hour(EventKind::Pause)?,
            per_hour(EventKind::SeekBack)?,
            per_hour(EventKind::SeekForward)?,
        ],
        drop_off: drop_off(conn, None)?,
        titles,
        week,
        devices,
        qoe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two titles (a movie of 100 s, a show's episode of 200 s), and a handful of sessions.
    fn fixture() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::events_store::migrate(&mut conn, Path::new(":memory:")).unwrap();
        conn.execute_batch(
            "INSERT INTO titles VALUES (0, 'Film', 1), (1, 'Show', 0);
             INSERT INTO videos VALUES (0, 0, 100), (1, 1, 200);
             INSERT INTO devices VALUES (0, 'tv'), (1, 'phone');",
        )
        .unwrap();
        let mut id = 0;
        let mut add = |kind: EventKind, title: u32, device: u8, value: f64, stall_s: f64| {
            conn.execute(
                "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value,
                                     stall_s)
                 VALUES (?1, ?2, 0, 1, ?3, 0, ?4, ?4, 0, 0, 0, ?5, ?6)",
                params![kind as u8, id, device, title, value, stall_s],
            )
            .unwrap();
            id += 1;
        };
        // Ten attempts: seven start (startup 100, 200, …, 700 ms), one exits before start, two fail to start.
        for i in 0..10 {
            add(EventKind::PlayAttempt, i % 2, 0, 0.0, 0.0);
        }
        for i in 1..=7 {
            add(EventKind::VideoStart, 0, (i % 2) as u8, 100.0 * i as f64, 0.0);
        }
        add(EventKind::ExitBeforeStart, 0, 0, 3000.0, 0.0);
        add(EventKind::StartFailure, 1, 0, 0.0, 0.0);
        add(EventKind::StartFailure, 1, 0, 0.0, 0.0);
        // One playback failure; rebuffering: 3 s stalled and 1 s restarting after a failover in sessions that
        // end here, 10 s in one still playing (not set against watch time: its watch time is not known yet).
        add(EventKind::PlaybackFailure, 0, 0, 0.0, 0.0);
        add(EventKind::Rebuffer, 0, 0, 3000.0, 0.0);
        add(EventKind::Failover, 0, 0, 1000.0, 0.0);
        add(EventKind::Rebuffer, 1, 0, 10000.0, 0.0);
        // Stops: the film watched 95 s (3 s stalled), 50 s (1 s) and 5 s; the episode 200 s. Two completions.
        for (title, watched, stall) in [(0, 95.0, 3.0), (0, 50.0, 1.0), (0, 5.0, 0.0), (1, 200.0, 0.0)] {
            add(EventKind::Stop, title, 0, watched, stall);
        }
        add(EventKind::Completion, 0, 0, 95.0, 0.0);
        add(EventKind::Completion, 1, 0, 200.0, 0.0);
        conn
    }

    #[test]
    fn aggregates_agree_with_the_hand_computed_values() {
        let conn = fixture();
        let q = qoe(&conn).unwrap();
        assert_eq!((q.attempts, q.starts), (10, 7));
        // Nearest rank: p50 of 7 is the 4th (400 ms), p95 the 7th (700 ms).
        assert_eq!((q.startup_p50_ms, q.startup_p95_ms), (400.0, 700.0));
        assert_eq!(q.video_start_failure_pct, 20.0);
        assert_eq!(q.exits_before_start_pct, 10.0);
        assert!((q.playback_failure_pct - 100.0 / 7.0).abs() < 1e-9);
        // 4 s rebuffering in the ended sessions against their 350 s watched.
        assert!((q.rebuffer_pct - 100.0 * 4.0 / 354.0).abs() < 1e-9, "{}", q.rebuffer_pct);
        assert!((q.watched_hours - 350.0 / 3600.0).abs() < 1e-12);
        // The film's drop-off: 3 sessions at 95%, 50%, 5% of 100 s.
        let film = drop_off(&conn, Some(0)).unwrap();
        let expected = [
            1.0,
            2.0 / 3.0,
            2.0 / 3.0,
            2.0 / 3.0,
            2.0 / 3.0,
            2.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            0.0,
        ];
        for (got, want) in film.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{film:?}");
        }
        // Everyone past 100% of the episode is still "watching" at 100% only if they watched all of it.
        assert_eq!(drop_off(&conn, Some(1)).unwrap()[10], 1.0);
        let c = completion(&conn, 5).unwrap();
        assert_eq!(c[0], (0, "Film".to_string(), 3, 1.0 / 3.0));
        assert_eq!(c[1], (1, "Show".to_string(), 1, 1.0));
    }
}
