//! Playback: what one session experiences.
//!
//! At the start, the player picks the highest rung its path can carry: the access link's throughput slowed by
//! the round trip to the serving site (one long-haul TCP connection slows as the round trip grows), and no more
//! than the site's fair share when it is busy. Startup = control-plane time + connection round trips (TCP, TLS,
//! first request) + the startup buffer fetched at that throughput + player start; abandonment before the first
//! frame follows Krishnan & Sitaraman (2012). Small stalls from throughput swings grow as the headroom of
//! throughput over bitrate shrinks.
//!
//! While playing, a minute in which the session gets less than its bitrate drains its buffer first, then
//! stalls; the player then switches down to what it got. It refills its buffer in the minutes it gets all it
//! asks, and climbs back a rung at a time once the buffer is full and its server has room.
//! A member whose stalls pass their patience gives up.

use crate::demand::{COMPLETED_WATCH, PARTIAL_WATCH};
use crate::rng::{LogNormalTable, Rng, unit_pair};
use crate::scenario::PlaybackSpec;

/// Round trips before the first media byte: TCP handshake, TLS 1.3 handshake, first request.
const CONNECT_ROUND_TRIPS: f64 = 3.0;
/// Longest a session may play; longer watch times are cut (a four-hour binge ends in a new session).
pub const MAX_WATCH_S: u32 = 4 * 3600;
/// Seconds of video a player adds to its buffer in a minute it gets all it asks (assumed: it fetches ahead a
/// third faster than it plays), and so how soon after a shortfall it dares a higher rung: a buffer-based
/// player climbs back only once its buffer is full again.
const REFILL_S_PER_MINUTE: f64 = 20.0;

#[derive(Clone, Debug)]
pub struct Playback {
    spec: PlaybackSpec,
    patience_s: LogNormalTable,
}

/// How a play starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Start {
    pub startup_ms: f64,
    /// Exit before video start: no watch time, no bytes.
    pub abandoned: bool,
    /// Planned watch time (whole minutes of playback, at least one), and whether it plays the video through
    /// (`demand::COMPLETED_WATCH` of it).
    pub watch_minutes: u32,
    pub completes: bool,
    /// Stalls from throughput swings over the planned watch time.
    pub rebuffer_ms: u64,
    /// Stall time the member sits through before giving up.
    pub patience_s: u16,
}

/// One minute of a session that gets less than its bitrate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortMinute {
    pub stall_s: f64,
    pub buffer_s: f64,
}

impl Playback {
    pub fn new(spec: PlaybackSpec) -> Playback {
        let patience_s = LogNormalTable::new(spec.stall_patience_s, spec.stall_patience_sigma);
        Playback { spec, patience_s }
    }

    pub fn spec(&self) -> &PlaybackSpec {
        &self.spec
    }

    /// Throughput of one connection from a client with `access_kbps` over `rtt_ms` (last mile included).
    #[inline]
    pub fn path_kbps(&self, access_kbps: f64, rtt_ms: f64) -> f64 {
        access_kbps * (self.spec.rtt_reference_ms / rtt_ms.max(1.0)).min(1.0)
    }

    /// The most bitrate the player asks for at a measured throughput.
    #[inline]
    pub fn budget_kbps(&self, throughput_kbps: f64, device_max_kbps: u32) -> f64 {
        (throughput_kbps * self.spec.abr_safety).min(device_max_kbps as f64)
    }

    /// Time to first frame: control plane, connection set-up, the startup buffer, player start.
    #[inline]
    pub fn startup_ms(&self, control_plane_ms: f64, rtt_ms: f64, stream_kbps: f64, throughput_kbps: f64) -> f64 {
        let p = &self.spec;
        let startup_kbps = stream_kbps.min(p.startup_max_kbps as f64);
        control_plane_ms
            + CONNECT_ROUND_TRIPS * rtt_ms
            + p.startup_buffer_s * startup_kbps / throughput_kbps.max(1.0) * 1000.0
            + p.player_init_ms
    }

    /// What a session restarting elsewhere (its site went down) stalls for: connection set-up and the buffer.
    pub fn restart_s(&self, rtt_ms: f64, stream_kbps: f64, throughput_kbps: f64) -> f64 {
        self.startup_ms(0.0, rtt_ms, stream_kbps, throughput_kbps) / 1000.0
    }

    /// Decides how a play of a video of `duration_s` starts after `startup_ms`, at `stream_kbps` over a path
    /// giving `throughput_kbps`. How much of the video the member means to watch comes from `intent`, random bits
    /// of the play itself rather than of the minute's stream, so it is the same in every branch of a what-if that
    /// serves the play differently.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &self,
        rng: &mut Rng,
        intent: u64,
        startup_ms: f64,
        stream_kbps: f64,
        throughput_kbps: f64,
        duration_s: u32,
        movie: bool,
    ) -> Start {
        let p = &self.spec;
        let abandon = p.base_ebvs + p.abandon_per_s * (startup_ms / 1000.0 - p.abandon_after_s).max(0.0);
        let patience_s = self.patience_s.sample(rng).clamp(1.0, u16::MAX as f64) as u16;
        if rng.f64() < abandon {
            return Start {
                startup_ms,
                abandoned: true,
                watch_minutes: 0,
                completes: false,
                rebuffer_ms: 0,
                patience_s,
            };
        }
        let completion = if movie { p.movie_completion } else { p.episode_completion };
        let (u, v) = unit_pair(intent);
        let completes = u < completion;
        let [lo, hi] = if completes { COMPLETED_WATCH } else { PARTIAL_WATCH };
        let share = lo + (hi - lo) * v;
        let watch_s = (duration_s as f64 * share).clamp(1.0, MAX_WATCH_S as f64);
        let watch_minutes = ((watch_s / 60.0 + 0.5) as u32).max(1);

        // Headroom h = throughput / bitrate ≥ 1 (the rung was chosen to fit): stalls from throughput swings
        // fade with its square.
        let headroom = (throughput_kbps / stream_kbps).max(1.0);
        let ratio = (p.base_rebuffer / (headroom * headroom)).min(1.0);
        let rebuffer_ms = (watch_minutes as f64 * 60_000.0 * ratio) as u64;
        Start { startup_ms, abandoned: false, watch_minutes, completes, rebuffer_ms, patience_s }
    }

    /// A minute in which a session asking `kbps` gets `delivered_kbps` (less): the shortfall drains the
    /// buffer, then stalls playback.
    #[inline]
    pub fn short_minute(&self, buffer_s: f64, kbps: f64, delivered_kbps: f64) -> ShortMinute {
        let shortfall_s = 60.0 * (1.0 - delivered_kbps / kbps.max(1.0)).max(0.0);
        let stall_s = (shortfall_s - buffer_s).max(0.0);
        ShortMinute { stall_s, buffer_s: (buffer_s - shortfall_s).max(0.0) }
    }

    /// The buffer a session starts with, and holds once refilled.
    pub fn full_buffer_s(&self) -> f64 {
        self.spec.buffer_s
    }

    /// The buffer after `minutes` in which the session got all it asked: it refills at `REFILL_S_PER_MINUTE`.
    pub fn refilled_buffer_s(&self, buffer_s: f64, minutes: u32) -> f64 {
        (buffer_s + REFILL_S_PER_MINUTE * minutes as f64).min(self.spec.buffer_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn playback() -> Playback {
        Playback::new(PlaybackSpec::default())
    }

    #[test]
    fn startup_grows_with_distance_and_slow_links_abandon_more() {
        let p = playback();
        let near = p.startup_ms(100.0, 15.0, 4556.0, p.path_kbps(30_000.0, 15.0));
        let far = p.startup_ms(100.0, 250.0, 4556.0, p.path_kbps(30_000.0, 250.0));
        assert!(near < far);
        assert!((300.0..2000.0).contains(&near), "{near}");

        let mut rng = Rng::new(1, Stream::Calibration, &[]);
        let n = 20_000;
        let mut abandoned = |startup_ms: f64| {
            (0..n)
                .filter(|_| {
                    let intent = rng.next_u64();
                    p.start(&mut rng, intent, startup_ms, 4556.0, 30_000.0, 3600, true).abandoned
                })
                .count() as f64
                / n as f64
        };
        let fast_rate = abandoned(near);
        let slow_rate = abandoned(6000.0);
        assert!((fast_rate - 0.01).abs() < 0.005, "{fast_rate}");
        assert!((slow_rate - (0.01 + 0.058 * 4.0)).abs() < 0.02, "{slow_rate}");
    }

    #[test]
    fn a_short_minute_drains_the_buffer_before_it_stalls() {
        let p = playback();
        // Half the bitrate for a minute is 30 s short: a 60 s buffer absorbs it, a 10 s one stalls 20 s.
        assert_eq!(p.short_minute(60.0, 4000.0, 2000.0), ShortMinute { stall_s: 0.0, buffer_s: 30.0 });
        assert_eq!(p.short_minute(10.0, 4000.0, 2000.0), ShortMinute { stall_s: 20.0, buffer_s: 0.0 });
        assert_eq!(p.short_minute(0.0, 4000.0, 0.0).stall_s, 60.0);
        // Watch time is whole minutes; swings stall less with more headroom.
        let mut rng = Rng::new(2, Stream::Calibration, &[]);
        let a = p.start(&mut rng, 7, 500.0, 4000.0, 4100.0, 3600, false);
        let b = p.start(&mut rng, 7, 500.0, 4000.0, 40_000.0, 3600, false);
        assert!(a.watch_minutes >= 1 && b.watch_minutes >= 1);
        assert!(a.rebuffer_ms as f64 / a.watch_minutes as f64 > b.rebuffer_ms as f64 / b.watch_minutes as f64);
    }
}
