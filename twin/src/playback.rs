//! Playback: what one session experiences once steering has picked where it fetches from.
//!
//! Startup = control-plane call + connection round trips (TCP, TLS, first request) + the startup buffer fetched
//! at the throughput available + player start. Throughput is the access link's, slowed by long round trips and
//! shared out when the serving site's egress saturates. Rebuffering grows as throughput headroom over the
//! bitrate shrinks. Abandonment follows Krishnan & Sitaraman (2012).

use crate::demand::{COMPLETED_WATCH, PARTIAL_WATCH};
use crate::rng::Rng;
use crate::scenario::PlaybackSpec;

/// Round trips before the first media byte: TCP handshake, TLS 1.3 handshake, first request.
const CONNECT_ROUND_TRIPS: f64 = 3.0;
/// Longest a session may play; longer watch times are cut (a four-hour binge ends in a new session).
pub const MAX_WATCH_S: u32 = 4 * 3600;

#[derive(Clone, Debug)]
pub struct Playback {
    spec: PlaybackSpec,
    ladder_kbps: Vec<u32>,
}

/// Everything about a session that the network decided.
#[derive(Clone, Copy, Debug)]
pub struct Path {
    /// Throughput the client's access link gives, in kbps.
    pub access_kbps: f64,
    /// Round trip to the serving site or origin, last mile included.
    pub rtt_ms: f64,
    /// Share of its demand the serving site can deliver (1 unless its egress is saturated).
    pub site_share: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub startup_ms: f64,
    /// Exit before video start: no watch time, no bytes.
    pub abandoned: bool,
    pub watch_s: u32,
    pub rebuffer_ms: u64,
}

impl Playback {
    pub fn new(spec: PlaybackSpec, ladder_kbps: Vec<u32>) -> Playback {
        Playback { spec, ladder_kbps }
    }

    pub fn ladder_kbps(&self) -> &[u32] {
        &self.ladder_kbps
    }

    /// The rung the player settles on: the highest at or below `abr_safety` × throughput, no higher than the
    /// device allows, and never below the lowest rung.
    #[inline]
    pub fn pick_rung(&self, throughput_kbps: f64, device_max_kbps: u32) -> usize {
        let budget = (throughput_kbps * self.spec.abr_safety).min(device_max_kbps as f64);
        self.ladder_kbps.iter().rposition(|&k| k as f64 <= budget).unwrap_or(0)
    }

    /// Throughput the session actually gets on `path`.
    #[inline]
    pub fn effective_kbps(&self, path: &Path) -> f64 {
        let rtt_penalty = (self.spec.rtt_reference_ms / path.rtt_ms.max(1.0)).min(1.0);
        path.access_kbps * rtt_penalty * path.site_share.clamp(0.0, 1.0)
    }

    /// Plays one session of a title of `duration_s` at `rung` over `path`.
    #[inline]
    pub fn play(&self, rng: &mut Rng, rung: usize, path: &Path, duration_s: u32, movie: bool) -> Outcome {
        let p = &self.spec;
        let kbps = self.ladder_kbps[rung] as f64;
        let throughput = self.effective_kbps(path).max(1.0);
        let startup_kbps = kbps.min(p.startup_max_kbps as f64);
        let startup_ms = p.control_plane_ms
            + CONNECT_ROUND_TRIPS * path.rtt_ms
            + p.startup_buffer_s * startup_kbps / throughput * 1000.0
            + p.player_init_ms;

        let abandon = p.base_ebvs + p.abandon_per_s * (startup_ms / 1000.0 - p.abandon_after_s).max(0.0);
        if rng.f64() < abandon {
            return Outcome { startup_ms, abandoned: true, watch_s: 0, rebuffer_ms: 0 };
        }

        let completion = if movie { p.movie_completion } else { p.episode_completion };
        let share = if rng.f64() < completion {
            rng.range_f64(COMPLETED_WATCH[0], COMPLETED_WATCH[1])
        } else {
            rng.range_f64(PARTIAL_WATCH[0], PARTIAL_WATCH[1])
        };
        let watch_s = ((duration_s as f64 * share).round() as u32).clamp(1, MAX_WATCH_S);

        // Headroom h = throughput / bitrate. Below 1 the player must stall for the deficit; above it, stalls
        // come from throughput swings and fade with the square of the headroom.
        let headroom = throughput / kbps;
        let ratio = ((1.0 - headroom).max(0.0) + p.base_rebuffer / (headroom * headroom)).min(1.0);
        let rebuffer_ms = (watch_s as f64 * 1000.0 * ratio) as u64;
        Outcome { startup_ms, abandoned: false, watch_s, rebuffer_ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn playback() -> Playback {
        Playback::new(PlaybackSpec::default(), vec![235, 375, 560, 750, 1050, 1750, 2350, 3000, 4300, 5800, 16000])
    }

    #[test]
    fn rung_respects_throughput_and_device() {
        let p = playback();
        assert_eq!(p.pick_rung(100.0, 16000), 0, "never below the lowest rung");
        assert_eq!(p.pick_rung(7000.0, 16000), 8, "4300 ≤ 0.75 × 7000 < 5800");
        assert_eq!(p.pick_rung(100_000.0, 1750), 5, "a phone stops at 1750");
    }

    #[test]
    fn startup_grows_with_distance_and_slow_links_abandon_more() {
        let p = playback();
        let mut rng = Rng::new(1, Stream::Calibration, &[]);
        let near = Path { access_kbps: 30_000.0, rtt_ms: 15.0, site_share: 1.0 };
        let far = Path { rtt_ms: 250.0, ..near };
        let a = p.play(&mut rng, 8, &near, 3600, true);
        let b = p.play(&mut rng, 8, &far, 3600, true);
        assert!(a.startup_ms < b.startup_ms);
        assert!((300.0..2000.0).contains(&a.startup_ms), "{}", a.startup_ms);

        let slow = Path { access_kbps: 300.0, rtt_ms: 40.0, site_share: 1.0 };
        let n = 20_000;
        let abandoned =
            |path: &Path, rng: &mut Rng| (0..n).filter(|_| p.play(rng, 0, path, 3600, true).abandoned).count();
        let fast_rate = abandoned(&near, &mut rng) as f64 / n as f64;
        let slow_rate = abandoned(&slow, &mut rng) as f64 / n as f64;
        assert!((fast_rate - 0.01).abs() < 0.005, "{fast_rate}");
        assert!(slow_rate > fast_rate + 0.05, "{slow_rate}");
    }

    #[test]
    fn saturated_site_causes_rebuffering() {
        let p = playback();
        let mut rng = Rng::new(2, Stream::Calibration, &[]);
        let ok = Path { access_kbps: 20_000.0, rtt_ms: 20.0, site_share: 1.0 };
        let saturated = Path { site_share: 0.2, ..ok };
        let sum = |path: &Path, rng: &mut Rng| {
            let (mut reb, mut watch) = (0u64, 0u64);
            for _ in 0..2000 {
                let o = p.play(rng, 9, path, 3600, false);
                reb += o.rebuffer_ms;
                watch += o.watch_s as u64 * 1000;
            }
            reb as f64 / watch as f64
        };
        let healthy = sum(&ok, &mut rng);
        let hurt = sum(&saturated, &mut rng);
        assert!(healthy < 0.01, "{healthy}");
        assert!(hurt > 0.1, "{hurt}");
    }
}
