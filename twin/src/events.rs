//! Viewing events, in the vocabulary of CTA-2066 and Mux: what a player reports as it plays. The engine emits
//! them as sessions start, stall, switch, fail over and end, for a sample of members (by member hash, so a
//! sampled member's whole history is kept); the caller takes them each minute (`Twin::take_events`) and hands
//! them to whatever stores them. The twin does no I/O.
//!
//! Members: a play's member is drawn from its metro's members (uniformly, from the play's hash); the twin has
//! no member identity beyond that. Pauses and seeks are not simulated minute by minute: a session's are drawn
//! when it ends, from rates per hour watched (assumed: 1.5 pauses, 0.6 seeks back and 0.4 seeks forward an
//! hour; no public per-hour figures), placed at uniform moments of its playback. The browsing and searching
//! before a play follow the control plane's request model (`before_play`).
//!
//! A fresh play's member is drawn afresh; a member who plays an episode through may go on to the next
//! (`demand::BINGE_CONTINUE`), and that play is theirs, so the time between episodes shows in the events.

use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Stream, mix64};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum EventKind {
    /// The member pressed play (CTA-2066 "play attempt").
    PlayAttempt = 0,
    /// The first frame showed; `value` is the video startup time in ms.
    VideoStart = 1,
    /// The member left before the first frame (exit before video start); `value` is how long they waited, ms.
    ExitBeforeStart = 2,
    /// The play could not start (a control-plane timeout, or no source): a fatal error before start.
    StartFailure = 3,
    /// A stall; `value` is its length in ms.
    Rebuffer = 4,
    /// The player switched rendition; `value` is the new bitrate in kbps.
    SwitchDown = 5,
    SwitchUp = 6,
    /// Its server failed and it moved to the next on its list (a non-fatal error); `site` is the new one.
    Failover = 7,
    /// Playback failed after start (no server left): a fatal error.
    PlaybackFailure = 8,
    /// A pause; `value` is how long, in s.
    Pause = 9,
    /// A seek; `value` is how far, in s.
    SeekBack = 10,
    SeekForward = 11,
    /// Playback ended; `value` is the seconds watched.
    Stop = 12,
    /// It ended having watched at least `COMPLETION_SHARE` of the video.
    Completion = 13,
    /// The member browsed before the play attempt; `value` is the pages seen (home, rows and details pages,
    /// over the browse sessions since the last play). Before the attempt, carrying its title.
    Browse = 14,
    /// The member searched before the play attempt and found its title; `value` is the queries typed.
    Search = 15,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        EventKind::PlayAttempt,
        EventKind::VideoStart,
        EventKind::ExitBeforeStart,
        EventKind::StartFailure,
        EventKind::Rebuffer,
        EventKind::SwitchDown,
        EventKind::SwitchUp,
        EventKind::Failover,
        EventKind::PlaybackFailure,
        EventKind::Pause,
        EventKind::SeekBack,
        EventKind::SeekForward,
        EventKind::Stop,
        EventKind::Completion,
        EventKind::Browse,
        EventKind::Search,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::PlayAttempt => "play_attempt",
            EventKind::VideoStart => "video_start",
            EventKind::ExitBeforeStart => "exit_before_start",
            EventKind::StartFailure => "start_failure",
            EventKind::Rebuffer => "rebuffer",
            EventKind::SwitchDown => "switch_down",
            EventKind::SwitchUp => "switch_up",
            EventKind::Failover => "failover",
            EventKind::PlaybackFailure => "playback_failure",
            EventKind::Pause => "pause",
            EventKind::SeekBack => "seek_back",
            EventKind::SeekForward => "seek_forward",
            EventKind::Stop => "stop",
            EventKind::Completion => "completion",
            EventKind::Browse => "browse",
            EventKind::Search => "search",
        }
    }

    pub fn from_code(code: u8) -> Option<EventKind> {
        EventKind::ALL.get(code as usize).copied()
    }
}

/// A session that watched at least this share of its video completed it (Netflix counts a title "completed"
/// past about 90% of its running time).
pub const COMPLETION_SHARE: f64 = 0.9;
/// Pauses, seeks back and seeks forward per hour watched (assumed).
pub const PAUSES_PER_HOUR: f64 = 1.5;
pub const SEEKS_BACK_PER_HOUR: f64 = 0.6;
pub const SEEKS_FORWARD_PER_HOUR: f64 = 0.4;
/// Site of an event served by the origin, or before any server.
pub const NO_SITE: u32 = u32::MAX;
/// File of an event before a rendition was chosen.
pub const NO_FILE: u32 = u32::MAX;

/// One event. Times are simulated seconds from the start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t_s: u32,
    pub kind: EventKind,
    pub member: u32,
    pub device: u8,
    /// Index into `region::REGIONS`.
    pub region: u8,
    pub title: u32,
    pub video: u32,
    /// The file played (video × rendition), or the one it asked for.
    pub file: u32,
    /// The serving site, `NO_SITE` for the origin or none.
    pub site: u32,
    pub metro: u32,
    pub value: f32,
    /// For a `Stop`: the session's rebuffering in all, in s (its start's, its stalls and its failover restarts),
    /// so rebuffering and watch time can be set against each other over the same sessions. 0 otherwise.
    pub stall_s: f32,
}

/// A region's day, as observed at its midnight: plays per video and play-seconds per rendition (exact, whatever
/// the event sampling; from the bytes streamed, as the predictor sees them), beside what was predicted for it and,
/// made from it, for the next. What nightly training reads.
#[derive(Clone, Debug, PartialEq)]
pub struct DayRecord {
    /// Index into `region::REGIONS`.
    pub region: u8,
    /// The region's day number (days since the Unix epoch at its reference offset).
    pub day: i64,
    /// Its weekday (0 = Monday), and when it ended, in seconds from the twin's start.
    pub weekday: u8,
    pub end_s: i64,
    pub observed_plays: Vec<f64>,
    pub rendition_seconds: Vec<f64>,
    pub predicted_plays: Vec<f64>,
    /// Empty while predictions are given (`Twin::set_given_predictions`): training outside makes them.
    pub next_predicted_plays: Vec<f64>,
}

/// A region's new plans, made when its predictions for a day came: per file whose copies changed, the copies
/// its sites were planned to hold before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRecord {
    pub region: u8,
    /// The region's day in progress, which the plans are for.
    pub day: i64,
    /// (file, copies before, copies after), by file.
    pub changes: Vec<(u32, u32, u32)>,
}

/// Which members' events are kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// Kept share of members, in (0, 1].
    pub rate: f64,
    threshold: u64,
}

impl Sampling {
    pub fn new(rate: f64) -> Option<Sampling> {
        (rate.is_finite() && rate > 0.0 && rate <= 1.0)
            .then_some(Sampling { rate, threshold: (rate * (u64::MAX as f64)) as u64 })
    }

    /// Whether `member`'s events are kept (the same answer every time).
    #[inline]
    pub fn keeps(&self, member: u32) -> bool {
        self.rate >= 1.0 || mix64(member as u64 ^ 0x6576_656e_7473) <= self.threshold
    }
}

/// What the engine keeps of a sampled session, beside the session, for its events.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionMeta {
    pub member: u32,
    /// Second it started playing.
    pub start_s: u32,
    pub duration_s: u32,
    /// The rebuffering booked at its start, ms.
    pub start_rebuffer_ms: u32,
}

/// Where members come from, and which are sampled: what the engine needs to tag a play.
#[derive(Clone, Debug)]
pub struct Members {
    pub sampling: Sampling,
    /// Per metro: the first member's id, and how many members it has.
    first: Vec<u32>,
    count: Vec<u32>,
}

impl Members {
    pub fn new(world: &crate::world::World, sampling: Sampling) -> Members {
        let count: Vec<u32> = world.metros.iter().map(|m| (m.members.round() as u32).max(1)).collect();
        let first = count
            .iter()
            .scan(0u32, |next, &n| {
                let f = *next;
                *next = next.saturating_add(n);
                Some(f)
            })
            .collect();
        Members { sampling, first, count }
    }

    /// The member a play of `metro` is, if sampled.
    #[inline]
    pub fn sampled(&self, metro: usize, play: u64) -> Option<u32> {
        let member = self.first[metro] + (mix64(play ^ 0x6d65_6d62_6572) % self.count[metro] as u64) as u32;
        self.sampling.keeps(member).then_some(member)
    }
}

/// A session's pauses and seeks, drawn when it ends from its watched seconds: each at a uniform moment of its
/// playback, a pause lasting an exponential time of mean `MEAN_PAUSE_S`, a seek jumping 10–60 s (assumed).
pub fn interactions(meta: &SessionMeta, watched_s: u32, mut push: impl FnMut(u32, EventKind, f32)) {
    let hours = watched_s as f64 / 3600.0;
    let mut rng = Rng::new(meta.member as u64, Stream::Sessions, &[meta.start_s as u64, 0x696e_7465]);
    for (kind, per_hour) in [
        (EventKind::Pause, PAUSES_PER_HOUR),
        (EventKind::SeekBack, SEEKS_BACK_PER_HOUR),
        (EventKind::SeekForward, SEEKS_FORWARD_PER_HOUR),
    ] {
        for _ in 0..rng.poisson(per_hour * hours) {
            let t = meta.start_s + (rng.f64() * watched_s as f64) as u32;
            let value = match kind {
                EventKind::Pause => -MEAN_PAUSE_S * (1.0 - rng.f64()).ln(),
                _ => 10.0 + 50.0 * rng.f64(),
            };
            push(t, kind, value as f32);
        }
    }
}

/// What a member did before a play attempt at `attempt_s`, as the control plane's request model has it
/// (`fleet::requests`, sources there): 1.5 browse sessions a play on average (so a play follows one or two),
/// each a home page, row pages and details pages; and a search before one play in five. The browse starts 2–5
/// minutes before the attempt, the search 20–60 s before it (assumed).
pub fn before_play(member: u32, attempt_s: u32, mut push: impl FnMut(u32, EventKind, f32)) {
    use crate::fleet::requests::{
        BROWSES_PER_PLAY, DETAILS_PER_BROWSE, QUERIES_PER_SEARCH, ROWS_PER_BROWSE, SEARCH_SHARE,
    };
    let mut rng = Rng::new(member as u64, Stream::Sessions, &[attempt_s as u64, 0x6272_6f77]);
    let sessions = if rng.f64() < BROWSES_PER_PLAY - 1.0 { 2.0 } else { 1.0 };
    let pages = (sessions * (1.0 + ROWS_PER_BROWSE + DETAILS_PER_BROWSE)).round();
    push(attempt_s.saturating_sub(120 + (rng.f64() * 180.0) as u32), EventKind::Browse, pages as f32);
    if rng.f64() < SEARCH_SHARE {
        push(attempt_s.saturating_sub(20 + (rng.f64() * 40.0) as u32), EventKind::Search, QUERIES_PER_SEARCH as f32);
    }
}

/// Mean pause length, s (assumed).
pub const MEAN_PAUSE_S: f64 = 90.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_keeps_about_its_share_and_always_the_same_members() {
        let s = Sampling::new(0.1).unwrap();
        let kept = (0..100_000u32).filter(|&m| s.keeps(m)).count();
        assert!((9_500..10_500).contains(&kept), "{kept}");
        assert!((0..1000u32).all(|m| s.keeps(m) == s.keeps(m)));
        assert!(Sampling::new(0.0).is_none() && Sampling::new(1.5).is_none() && Sampling::new(f64::NAN).is_none());
        assert!((0..1000u32).all(|m| Sampling::new(1.0).unwrap().keeps(m)));
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_code(k as u8), Some(k));
        }
        assert_eq!(EventKind::from_code(EventKind::ALL.len() as u8), None);
    }
}
