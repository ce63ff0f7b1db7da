//! `edgetwin analytics RUN.db`: the QoE and engagement report of a run's events, by SQL over the store. QoE by
//! the Mux / CTA-2066 definitions; counts are scaled back by the run's sampling rate (ratios need no scaling).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use rusqlite::{Connection, params};
use twin::events::EventKind;

use crate::events_store;

#[derive(Args, Debug)]
pub struct AnalyticsArgs {
    /// The events database a `run --events` wrote.
    pub db: PathBuf,
}

pub fn analytics(a: AnalyticsArgs) -> anyhow::Result<()> {
    let conn = events_store::open(&a.db)?;
    print!("{}", report(&conn, &a.db)?);
    Ok(())
}

/// QoE over a store, by the Mux / CTA-2066 definitions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Qoe {
    pub attempts: u64,
    pub starts: u64,
    /// Video startup time (play attempt to first frame) over video starts, ms.
    pub startup_p50_ms: f64,
    pub startup_p95_ms: f64,
    /// Rebuffering time ÷ (watched time + rebuffering time), %.
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

fn sum(conn: &Connection, kinds: &[EventKind]) -> rusqlite::Result<f64> {
    let codes: Vec<String> = kinds.iter().map(|k| (*k as u8).to_string()).collect();
    let sql = format!("SELECT coalesce(sum(value), 0) FROM events WHERE kind IN ({})", codes.join(","));
    conn.query_row(&sql, [], |r| r.get(0))
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
    let rebuffer_s = sum(conn, &[EventKind::Rebuffer, EventKind::Failover])? / 1000.0;
    let watched_s = sum(conn, &[EventKind::Stop])?;
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

/// The whole report, as text.
pub fn report(conn: &Connection, path: &Path) -> anyhow::Result<String> {
    let read = || format!("reading {}", path.display());
    let rate: f64 = meta(conn, "sampling_rate").with_context(read)?.parse().unwrap_or(1.0);
    let start: chrono::DateTime<chrono::Utc> =
        meta(conn, "start_utc").with_context(read)?.parse().context("meta start_utc is not a UTC time")?;
    let q = qoe(conn).with_context(read)?;
    let scaled = |n: u64| n as f64 / rate;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · scenario {} · seed {} · members sampled {:.1}% (counts scaled back ×{:.1})\n",
        path.display(),
        meta(conn, "scenario").with_context(read)?,
        meta(conn, "seed").with_context(read)?,
        100.0 * rate,
        1.0 / rate
    );
    let _ = writeln!(out, "QoE (Mux / CTA-2066 definitions)");
    let rows = [
        ("play attempts", format!("{:.0}", scaled(q.attempts))),
        ("video starts", format!("{:.0}", scaled(q.starts))),
        ("video startup time p50 / p95", format!("{:.0} / {:.0} ms", q.startup_p50_ms, q.startup_p95_ms)),
        ("rebuffer percentage (rebuffering ÷ watch time)", format!("{:.3}%", q.rebuffer_pct)),
        ("video start failures (÷ attempts)", format!("{:.3}%", q.video_start_failure_pct)),
        ("exits before video start (÷ attempts)", format!("{:.3}%", q.exits_before_start_pct)),
        ("playback failures (÷ video starts)", format!("{:.3}%", q.playback_failure_pct)),
        ("hours watched (ended sessions)", format!("{:.0}", q.watched_hours / rate)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<48} {v}");
    }

    let _ = writeln!(out, "\nEngagement");
    let stops = count(conn, EventKind::Stop)?;
    let hours = q.watched_hours.max(1e-9);
    let per_hour = |k| count(conn, k).map(|n| n as f64 / hours);
    let _ = writeln!(
        out,
        "  completion rate (ended sessions past {:.0}% of the video)  {:.1}%",
        100.0 * twin::events::COMPLETION_SHARE,
        100.0 * count(conn, EventKind::Completion)? as f64 / stops.max(1) as f64
    );
    let _ = writeln!(
        out,
        "  pauses / seeks back / seeks forward per hour watched  {:.2} / {:.2} / {:.2}",
        per_hour(EventKind::Pause)?,
        per_hour(EventKind::SeekBack)?,
        per_hour(EventKind::SeekForward)?
    );
    let curve = drop_off(conn, None)?;
    let cells: Vec<String> = curve.iter().map(|c| format!("{:.0}", 100.0 * c)).collect();
    let _ = writeln!(out, "  still watching at 0%, 10%, …, 100% of the video (%)  {}", cells.join(" "));
    let _ = writeln!(out, "  titles with the most ended sessions:");
    for (t, name, n, rate_done) in completion(conn, 8)? {
        let _ =
            writeln!(out, "    #{t:<5} {name:<40} {:>10.0} sessions, {:>5.1}% completed", scaled(n), 100.0 * rate_done);
    }
    // Weekday and weekend (the UTC day of each start), movies against shows.
    let epoch = start.timestamp();
    let mut stmt = conn.prepare(
        "SELECT ((e.t_s + ?2) / 86400 + 3) % 7 >= 5 AS weekend, t.movie, count(*)
         FROM events e JOIN titles t ON t.title = e.title WHERE e.kind = ?1 GROUP BY weekend, t.movie",
    )?;
    let mut split = [[0u64; 2]; 2];
    for row in stmt.query_map(params![EventKind::VideoStart as u8, epoch], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })? {
        let (weekend, movie, n) = row?;
        split[weekend.clamp(0, 1) as usize][movie.clamp(0, 1) as usize] += n as u64;
    }
    for (label, [shows, movies]) in ["weekday", "weekend"].iter().zip(split) {
        if shows + movies > 0 {
            let _ = writeln!(
                out,
                "  {label} starts (UTC day): {:.0}, movies {:.1}%, shows {:.1}%",
                scaled(shows + movies),
                100.0 * movies as f64 / (shows + movies) as f64,
                100.0 * shows as f64 / (shows + movies) as f64
            );
        }
    }
    let mut stmt = conn.prepare(
        "SELECT d.name, count(*) FROM events e JOIN devices d ON d.device = e.device
         WHERE e.kind = ?1 GROUP BY e.device ORDER BY count(*) DESC",
    )?;
    let devices: Vec<(String, i64)> =
        stmt.query_map([EventKind::VideoStart as u8], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let cells: Vec<String> =
        devices.iter().map(|(name, n)| format!("{name} {:.1}%", 100.0 * *n as f64 / q.starts.max(1) as f64)).collect();
    let _ = writeln!(out, "  device mix (video starts)  {}", cells.join(", "));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two titles (a movie of 100 s, a show's episode of 200 s), and a handful of sessions.
    fn fixture() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        events_store::migrate(&mut conn, Path::new(":memory:")).unwrap();
        conn.execute_batch(
            "INSERT INTO titles VALUES (0, 'Film', 1), (1, 'Show', 0);
             INSERT INTO videos VALUES (0, 0, 100), (1, 1, 200);
             INSERT INTO devices VALUES (0, 'tv'), (1, 'phone');",
        )
        .unwrap();
        let mut id = 0;
        let mut add = |kind: EventKind, title: u32, device: u8, value: f64| {
            conn.execute(
                "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value)
                 VALUES (?1, ?2, 0, 1, ?3, 0, ?4, ?4, 0, 0, 0, ?5)",
                params![kind as u8, id, device, title, value],
            )
            .unwrap();
            id += 1;
        };
        // Ten attempts: seven start (startup 100, 200, …, 700 ms), one exits before start, two fail to start.
        for i in 0..10 {
            add(EventKind::PlayAttempt, i % 2, 0, 0.0);
        }
        for i in 1..=7 {
            add(EventKind::VideoStart, 0, (i % 2) as u8, 100.0 * i as f64);
        }
        add(EventKind::ExitBeforeStart, 0, 0, 3000.0);
        add(EventKind::StartFailure, 1, 0, 0.0);
        add(EventKind::StartFailure, 1, 0, 0.0);
        // One playback failure; 4 s of rebuffering (3 s stalled, 1 s restarting after a failover).
        add(EventKind::PlaybackFailure, 0, 0, 0.0);
        add(EventKind::Rebuffer, 0, 0, 3000.0);
        add(EventKind::Failover, 0, 0, 1000.0);
        // Stops: the film watched 95, 50 and 5 s (one completion); the episode 200 s (a completion).
        for (title, watched) in [(0, 95.0), (0, 50.0), (0, 5.0), (1, 200.0)] {
            add(EventKind::Stop, title, 0, watched);
        }
        add(EventKind::Completion, 0, 0, 95.0);
        add(EventKind::Completion, 1, 0, 200.0);
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
        // 4 s rebuffering against 350 s watched.
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
