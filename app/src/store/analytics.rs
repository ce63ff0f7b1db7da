//! Questions asked of an events store (SQL over its tables): QoE by the Mux / CTA-2066 definitions, and
//! engagement (completion, drop-off, pauses and seeks, weekday/weekend, devices, browsing and searches), and
//! what nightly training did. The CLI's report and the Analytics view both ask them here.

use std::path::Path;

use anyhow::Context;
use rusqlite::Connection;
use twin::events::EventKind;

use crate::store::events::{TrainingRun, kind_table};

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

/// The questions' SQL: named, so `analytics --timings` can show how SQLite plans them. Each reads the tables of
/// the kinds it asks about (`kind_table`: one per kind, its events in arrival order) rather than the view
/// `events` over them all, which answers the same but hands each row up through a co-routine (a report took
/// 2–3× as long); grouping and sorting are done here, in memory, rather than in a temporary B-tree (which took
/// most of each question's time).
pub fn count_sql(kind: EventKind) -> String {
    format!("SELECT count(*) FROM {}", kind_table(kind))
}
pub fn values_sql(kind: EventKind) -> String {
    format!("SELECT value FROM {}", kind_table(kind))
}
pub fn stop_sums_sql() -> String {
    format!("SELECT coalesce(sum(value), 0), coalesce(sum(stall_s), 0) FROM {}", kind_table(EventKind::Stop))
}
pub fn drop_off_sql() -> String {
    format!("SELECT video, title, value FROM {}", kind_table(EventKind::Stop))
}
/// Stops and completions: (kind, title).
pub fn completion_sql() -> String {
    let (stop, done) = (EventKind::Stop, EventKind::Completion);
    format!(
        "SELECT {}, title FROM {} UNION ALL SELECT {}, title FROM {}",
        stop as u8,
        kind_table(stop),
        done as u8,
        kind_table(done)
    )
}

fn count(conn: &Connection, kind: EventKind) -> rusqlite::Result<u64> {
    conn.query_row(&count_sql(kind), [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
}

/// The values at quantiles `qs` of a kind's values, to the nearest whole unit below (nearest rank): from a
/// histogram of whole units made in one pass over the kind's range, rather than a sort of every value.
fn quantiles<const N: usize>(conn: &Connection, kind: EventKind, qs: [f64; N]) -> rusqlite::Result<[f64; N]> {
    let mut hist: std::collections::HashMap<i64, u64> = std::collections::HashMap::new();
    let mut stmt = conn.prepare(&values_sql(kind))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        *hist.entry(r.get::<_, f64>(0)? as i64).or_default() += 1;
    }
    let mut hist: Vec<(i64, u64)> = hist.into_iter().collect();
    hist.sort_unstable();
    let n: u64 = hist.iter().map(|h| h.1).sum();
    Ok(qs.map(|q| {
        let rank = ((q * n as f64).ceil() as u64).max(1);
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
    let (watched_s, rebuffer_s): (f64, f64) = conn.query_row(&stop_sums_sql(), [], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
    Ok(match title {
        None => drop_offs(conn, &[])?.0,
        Some(t) => drop_offs(conn, &[t])?.1[0],
    })
}

/// The drop-off curve of every title and of each of `titles`, in one pass over the stops.
pub fn drop_offs(conn: &Connection, titles: &[u32]) -> rusqlite::Result<([f64; 11], Vec<[f64; 11]>)> {
    let mut durations = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT duration_s FROM videos ORDER BY video")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        durations.push(r.get::<_, f64>(0)?);
    }
    let mut all = [0u64; 11];
    let mut each = vec![[0u64; 11]; titles.len()];
    let mut stmt = conn.prepare_cached(&drop_off_sql())?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (video, title, watched): (i64, u32, f64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let duration = durations.get(video as usize).copied().unwrap_or(f64::INFINITY);
        let tenth = ((watched / duration * 10.0) as i64).clamp(0, 10) as usize;
        all[tenth] += 1;
        if let Some(i) = titles.iter().position(|&t| t == title) {
            each[i][tenth] += 1;
        }
    }
    Ok((curve(&all), each.iter().map(curve).collect()))
}

/// Per tenth of a video, the share still watching there, from how many stopped in each tenth.
fn curve(per_tenth: &[u64; 11]) -> [f64; 11] {
    let total: u64 = per_tenth.iter().sum();
    let mut curve = [0.0; 11];
    let mut still = total;
    for (i, c) in curve.iter_mut().enumerate() {
        *c = if total > 0 { still as f64 / total as f64 } else { 0.0 };
        still -= per_tenth[i];
    }
    curve
}

/// Titles by ended sessions, with the share of those that completed: (title, name, stops, completion rate).
pub fn completion(conn: &Connection, top: usize) -> rusqlite::Result<Vec<(u32, String, u64, f64)>> {
    let stop = EventKind::Stop as u8;
    let mut per_title: std::collections::HashMap<u32, (u64, u64)> = std::collections::HashMap::new();
    let mut stmt = conn.prepare(&completion_sql())?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (kind, title): (u8, u32) = (r.get(0)?, r.get(1)?);
        let n = per_title.entry(title).or_default();
        if kind == stop {
            n.0 += 1;
        } else {
            n.1 += 1;
        }
    }
    let mut ranked: Vec<(u32, (u64, u64))> = per_title.into_iter().filter(|(_, n)| n.0 > 0).collect();
    ranked.sort_unstable_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let mut name = conn.prepare_cached("SELECT name FROM titles WHERE title = ?1")?;
    ranked
        .into_iter()
        .take(top)
        .map(|(t, (stops, done))| Ok((t, name.query_row([t], |r| r.get(0))?, stops, done as f64 / stops as f64)))
        .collect()
}

/// Bounds of the time-between-episodes bins, s: under a minute, 1–10 minutes, 10–60 minutes, 1–6 hours, 6–24
/// hours, a day or more.
pub const GAP_BINS_S: [u32; 5] = [60, 600, 3600, 6 * 3600, 24 * 3600];
pub const GAP_BIN_NAMES: [&str; 6] = ["< 1 min", "1–10 min", "10–60 min", "1–6 h", "6–24 h", "≥ 1 day"];
/// Stops and play attempts: (member, t_s, kind, video).
pub fn binge_sql() -> String {
    let (stop, attempt) = (EventKind::Stop, EventKind::PlayAttempt);
    format!(
        "SELECT member, t_s, {}, video FROM {} UNION ALL SELECT member, t_s, {}, video FROM {}",
        stop as u8,
        kind_table(stop),
        attempt as u8,
        kind_table(attempt)
    )
}

/// The time between episodes: from each stop of an episode to the same member's next play attempt, when that
/// attempt is of the series' next episode. Counted per `GAP_BINS_S` bin, with the median.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpisodeGaps {
    pub bins: [u64; 6],
    pub median_s: f64,
}

pub fn episode_gaps(conn: &Connection) -> rusqlite::Result<EpisodeGaps> {
    let mut titles = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT title FROM videos ORDER BY video")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        titles.push(r.get::<_, u32>(0)?);
    }
    let attempt = EventKind::PlayAttempt as u8;
    let mut seen: Vec<(u32, u32, bool, u32)> = Vec::new();
    let mut stmt = conn.prepare(&binge_sql())?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        seen.push((r.get(0)?, r.get(1)?, r.get::<_, u8>(2)? == attempt, r.get(3)?));
    }
    // By member, then time (a stop before an attempt at the same second).
    seen.sort_unstable();
    let next_of =
        |a: u32, b: u32| b == a + 1 && titles.get(a as usize).is_some_and(|t| titles.get(b as usize) == Some(t));
    let mut gaps: Vec<u32> = Vec::new();
    for pair in seen.windows(2) {
        let ((m0, t0, is_attempt0, v0), (m1, t1, is_attempt1, v1)) = (pair[0], pair[1]);
        if m0 == m1 && !is_attempt0 && is_attempt1 && next_of(v0, v1) {
            gaps.push(t1 - t0);
        }
    }
    let mut out = EpisodeGaps::default();
    for &g in &gaps {
        out.bins[GAP_BINS_S.partition_point(|&b| b <= g)] += 1;
    }
    gaps.sort_unstable();
    out.median_s = gaps.get(gaps.len() / 2).map_or(0.0, |&g| g as f64);
    Ok(out)
}

/// The most searched titles: (title, name, searches).
pub fn searches(conn: &Connection, top: usize) -> rusqlite::Result<Vec<(u32, String, u64)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT e.title, t.name, count(*) AS n FROM {} e JOIN titles t ON t.title = e.title
         GROUP BY e.title ORDER BY n DESC, e.title LIMIT ?1",
        kind_table(EventKind::Search)
    ))?;
    let rows = stmt.query_map([top as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?;
    rows.collect()
}

/// Nightly training's last run in each region, by region: (region code, run).
pub fn training(conn: &Connection) -> rusqlite::Result<Vec<(String, TrainingRun)>> {
    let mut stmt = conn.prepare(
        "SELECT r.code, t.region, t.day, t.t_s, t.days_read, t.rows_read, t.wall_ms, t.files_up, t.files_down,
                t.copies_added, t.copies_removed
         FROM training_runs t JOIN regions r ON r.region = t.region
         WHERE t.day = (SELECT max(day) FROM training_runs l WHERE l.region = t.region) ORDER BY t.region",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            TrainingRun {
                region: r.get(1)?,
                day: r.get(2)?,
                t_s: r.get(3)?,
                days_read: r.get(4)?,
                rows_read: r.get(5)?,
                wall_ms: r.get(6)?,
                files_up: r.get(7)?,
                files_down: r.get(8)?,
                copies_added: r.get::<_, i64>(9)? as u64,
                copies_removed: r.get::<_, i64>(10)? as u64,
            },
        ))
    })?;
    rows.collect()
}

/// A title whose planned copies in a region rose with a night's plans.
#[derive(Clone, Debug, PartialEq)]
pub struct Move {
    pub title: u32,
    pub name: String,
    pub region: String,
    /// Copies added over its files (planned copies after less before).
    pub copies_added: i64,
}

/// The titles whose planned copies rose most with each region's last night of plans, the biggest rise first.
pub fn placement_moves(conn: &Connection, top: usize) -> rusqlite::Result<Vec<Move>> {
    let mut stmt = conn.prepare(
        "SELECT v.title, t.name, r.code, sum(c.copies_after) - sum(c.copies_before)
         FROM placement_changes c JOIN videos v ON v.video = c.video JOIN titles t ON t.title = v.title
              JOIN regions r ON r.region = c.region
         WHERE c.day = (SELECT max(day) FROM placement_changes l WHERE l.region = c.region)
         GROUP BY c.region, v.title HAVING sum(c.copies_after) > sum(c.copies_before)
         ORDER BY sum(c.copies_after) - sum(c.copies_before) DESC, v.title LIMIT ?1",
    )?;
    let rows = stmt.query_map([top as i64], |r| {
        Ok(Move { title: r.get(0)?, name: r.get(1)?, region: r.get(2)?, copies_added: r.get(3)? })
    })?;
    rows.collect()
}

/// How long each question takes on a store, and SQLite's plan for its SQL: (question, seconds, plan lines).
pub fn timings(conn: &Connection) -> rusqlite::Result<Vec<(&'static str, f64, Vec<String>)>> {
    let timed = |f: &dyn Fn() -> rusqlite::Result<()>| -> rusqlite::Result<f64> {
        let started = std::time::Instant::now();
        f()?;
        Ok(started.elapsed().as_secs_f64())
    };
    let plan = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        stmt.query_map(p, |r| r.get::<_, String>(3))?.collect()
    };
    let start = EventKind::VideoStart;
    Ok(vec![
        ("QoE (counts by kind, startup quantiles, stop sums)", timed(&|| qoe(conn).map(drop))?, {
            let mut lines = plan(&count_sql(start), &[])?;
            lines.extend(plan(&values_sql(start), &[])?);
            lines.extend(plan(&stop_sums_sql(), &[])?);
            lines
        }),
        ("completion by title", timed(&|| completion(conn, 10).map(drop))?, plan(&completion_sql(), &[])?),
        ("drop-off, all titles", timed(&|| drop_off(conn, None).map(drop))?, plan(&drop_off_sql(), &[])?),
        ("drop-off, one title", timed(&|| drop_off(conn, Some(0)).map(drop))?, plan(&drop_off_sql(), &[])?),
        ("time between episodes", timed(&|| episode_gaps(conn).map(drop))?, plan(&binge_sql(), &[])?),
    ])
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
    /// Pages browsed per play attempt, the share of attempts a search preceded (%), and the most searched
    /// titles (title, name, searches).
    pub pages_per_attempt: f64,
    pub search_pct: f64,
    pub searches: Vec<(u32, String, u64)>,
    /// The time between a series' episodes for the same member.
    pub episode_gaps: EpisodeGaps,
    /// Nightly training's last run per region, and the titles its plans moved most.
    pub training: Vec<(String, TrainingRun)>,
    /// The run's start, which times in seconds count from.
    pub start_utc: chrono::DateTime<chrono::Utc>,
    pub moves: Vec<Move>,
}

impl Summary {
    /// A training run's moment in UTC, and the day it read (it runs just after the region's midnight, so the
    /// day read is the date 12 hours before, in the region's time as in UTC for offsets under 12 hours).
    pub fn training_times(&self, run: &TrainingRun) -> (String, String) {
        let at = self.start_utc + chrono::Duration::seconds(run.t_s);
        let day = at - chrono::Duration::hours(12);
        (at.format("%a %H:%M UTC").to_string(), day.format("%a %d %b").to_string())
    }
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
    let ranked = completion(conn, top)?;
    let (drop_off, curves) = drop_offs(conn, &ranked.iter().map(|r| r.0).collect::<Vec<_>>())?;
    let titles = ranked.into_iter().zip(curves).map(|((t, name, n, done), c)| (t, name, n, done, c)).collect();
    let starts = kind_table(EventKind::VideoStart);
    let mut stmt = conn.prepare(&format!(
        "SELECT ((e.t_s + ?1) / 86400 + 3) % 7 >= 5 AS weekend, t.movie, count(*)
         FROM {starts} e JOIN titles t ON t.title = e.title GROUP BY weekend, t.movie"
    ))?;
    let mut week = [[0u64; 2]; 2];
    for row in
        stmt.query_map([start.timestamp()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
    {
        let (weekend, movie, n) = row?;
        week[weekend.clamp(0, 1) as usize][movie.clamp(0, 1) as usize] += n as u64;
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT d.name, count(*) FROM {starts} e JOIN devices d ON d.device = e.device
         GROUP BY e.device ORDER BY count(*) DESC"
    ))?;
    let devices = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?.collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT r.code, e.day, e.wape, e.observed_plays FROM daily_error e JOIN regions r ON r.region = e.region
         ORDER BY e.day, e.region",
    )?;
    let daily_error =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
    let pages: f64 =
        conn.query_row(&format!("SELECT coalesce(sum(value), 0) FROM {}", kind_table(EventKind::Browse)), [], |r| {
            r.get(0)
        })?;
    let attempts = qoe.attempts.max(1) as f64;
    Ok(Summary {
        start_utc: start,
        daily_error,
        pages_per_attempt: pages / attempts,
        search_pct: 100.0 * count(conn, EventKind::Search)? as f64 / attempts,
        searches: searches(conn, top)?,
        episode_gaps: episode_gaps(conn)?,
        training: training(conn)?,
        moves: placement_moves(conn, top)?,
        scenario: meta(conn, "scenario")?,
        seed: meta(conn, "seed")?,
        sampling_rate: meta(conn, "sampling_rate")?.parse().unwrap_or(1.0),
        completion_pct: 100.0 * count(conn, EventKind::Completion)? as f64 / stops.max(1) as f64,
        interactions_per_hour: [
            per_hour(EventKind::Pause)?,
            per_hour(EventKind::SeekBack)?,
            per_hour(EventKind::SeekForward)?,
        ],
        drop_off,
        titles,
        week,
        devices,
        qoe,
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;

    /// Two titles (a movie of 100 s, a show's episode of 200 s), and a handful of sessions.
    fn fixture() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::events::migrate(&mut conn, Path::new(":memory:")).unwrap();
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
    fn the_time_between_episodes_pairs_a_stop_with_the_same_members_next_episode() {
        let conn = fixture();
        // Videos 2 and 3: episodes 2 and 3 of the show (video 1 is its first); video 4, another show's.
        conn.execute_batch("INSERT INTO titles VALUES (2, 'Other', 0); INSERT INTO videos VALUES (2, 1, 200), (3, 1, 200), (4, 2, 200);")
            .unwrap();
        let mut id = 1000;
        let mut add = |kind: EventKind, member: u32, t_s: u32, video: u32| {
            let sql = "INSERT INTO events (kind, id, t_s, member, device, region, title, video, file, site, metro, value, stall_s)
                       VALUES (?1, ?2, ?3, ?4, 0, 0, 1, ?5, 0, 0, 0, 0, 0)";
            conn.execute(sql, params![kind as u8, id, t_s, member, video]).unwrap();
            id += 1;
        };
        // Member 7: episode 1 then 2 after 12 s, then 3 after two hours. Member 8: episode 1, then another
        // show's video (not a next episode), then episode 2 of the first (not right after its stop: not paired).
        add(EventKind::Stop, 7, 1000, 1);
        add(EventKind::PlayAttempt, 7, 1012, 2);
        add(EventKind::Stop, 7, 2000, 2);
        add(EventKind::PlayAttempt, 7, 2000 + 7200, 3);
        add(EventKind::Stop, 8, 1000, 1);
        add(EventKind::PlayAttempt, 8, 1100, 4);
        add(EventKind::PlayAttempt, 8, 1200, 2);
        let g = episode_gaps(&conn).unwrap();
        assert_eq!(g.bins, [1, 0, 0, 1, 0, 0], "{g:?}");
        assert_eq!(g.median_s, 7200.0);
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
