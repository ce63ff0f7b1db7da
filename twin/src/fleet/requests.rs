//! What members ask the control plane for: requests per play attempt (the browsing before it, and the calls
//! that start it) and per minute of playing, by type, with the CPU time each takes on an API instance.
//!
//! Sources and assumptions (per type below):
//! - Netflix's API gateway, Zuul, handled "more than 1 million requests per second" (Netflix Tech Blog, "Open
//!   Sourcing Zuul 2", May 2018) with about 125 M members: about 0.008 requests a second per member (the post
//!   does not say whether at peak or on average). `edgetwin validate` holds the mix below against it.
//! - A playing client reports a heartbeat every 10 s (Mux Data's interval, the CTA-2066 vocabulary's source).
//! - About 80% of what members watch comes from recommendations, the rest from search (Gomez-Uribe & Hunt,
//!   "The Netflix Recommender System", ACM TMIS 2015): search sessions precede about one play in five.
//! - Everything else (pages per browse, thumbnails per page, CPU milliseconds per call, browses that end
//!   without a play, the heartbeat interval) is assumed, at the order of magnitude public API benchmarks give.

use serde::Serialize;

/// A kind of control-plane request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RequestType {
    /// The home page: the rows a member sees first.
    Home,
    /// More rows and pages while browsing.
    Rows,
    /// A title's details page.
    Details,
    /// A search query (as typed: several per search).
    Search,
    /// The play, licence (DRM) and steering calls that start a stream.
    Play,
    /// A playing client's periodic report.
    Heartbeat,
}

/// Every API request type, in the order KPIs list them.
pub const API_TYPES: [RequestType; 6] = [
    RequestType::Home,
    RequestType::Rows,
    RequestType::Details,
    RequestType::Search,
    RequestType::Play,
    RequestType::Heartbeat,
];

impl RequestType {
    pub fn name(self) -> &'static str {
        match self {
            RequestType::Home => "home",
            RequestType::Rows => "rows",
            RequestType::Details => "details",
            RequestType::Search => "search",
            RequestType::Play => "play",
            RequestType::Heartbeat => "heartbeat",
        }
    }

    /// Requests of this type per play attempt (the browse before it), per playing session-minute: a home page,
    /// row pages and details pages per browse session, queries per search, 3 play-path calls (play, licence,
    /// steering) a play, and a heartbeat every 10 s while playing.
    fn per_play_and_per_playing_minute(self) -> (f64, f64) {
        match self {
            RequestType::Home => (BROWSES_PER_PLAY, 0.0),
            RequestType::Rows => (BROWSES_PER_PLAY * ROWS_PER_BROWSE, 0.0),
            RequestType::Details => (BROWSES_PER_PLAY * DETAILS_PER_BROWSE, 0.0),
            RequestType::Search => (SEARCH_SHARE * QUERIES_PER_SEARCH, 0.0),
            RequestType::Play => (PLAY_CALLS as f64, 0.0),
            RequestType::Heartbeat => (0.0, 6.0),
        }
    }

    /// CPU milliseconds one request takes on an API instance (assumed: personalised pages cost the most, a
    /// heartbeat is a log write).
    pub const fn cpu_ms(self) -> f64 {
        match self {
            RequestType::Home => 60.0,
            RequestType::Rows => 25.0,
            RequestType::Details => 15.0,
            RequestType::Search => 30.0,
            RequestType::Play => 20.0,
            RequestType::Heartbeat => 2.0,
        }
    }
}

/// Browse sessions per play attempt (assumed: one in three ends without a play), and the row pages beyond the
/// home page and the details pages each session sees (assumed).
pub const BROWSES_PER_PLAY: f64 = 1.5;
pub const ROWS_PER_BROWSE: f64 = 3.0;
pub const DETAILS_PER_BROWSE: f64 = 4.0 / 3.0;
/// The share of plays a search precedes (Gomez-Uribe & Hunt), and the queries typed per search (assumed: a
/// query per few letters, as typed).
pub const SEARCH_SHARE: f64 = 0.2;
pub const QUERIES_PER_SEARCH: f64 = 4.0;

/// Thumbnails (box art) fetched per play attempt, from the S3 thumbnail bucket, not the API fleet (assumed:
/// about 40 per page, 7 pages per play attempt).
pub const THUMBNAILS_PER_PLAY: f64 = 280.0;

/// Play-path calls a play makes one after another before it can contact a site.
pub const PLAY_CALLS: usize = 3;

/// A minute's requests per second, by type (`API_TYPES` order).
pub fn requests_per_s(plays_per_minute: f64, playing_sessions: f64) -> [f64; API_TYPES.len()] {
    API_TYPES.map(|t| {
        let (per_play, per_playing_minute) = t.per_play_and_per_playing_minute();
        (per_play * plays_per_minute + per_playing_minute * playing_sessions) / 60.0
    })
}

/// The mean CPU milliseconds of a request, for a minute's mix.
pub fn mean_cpu_ms(rps: &[f64; API_TYPES.len()]) -> f64 {
    let total: f64 = rps.iter().sum();
    if total <= 0.0 {
        // An idle fleet: the mix of a browsing member.
        return requests_per_s(1.0, 0.0).iter().zip(API_TYPES).map(|(r, t)| r * t.cpu_ms()).sum::<f64>()
            / requests_per_s(1.0, 0.0).iter().sum::<f64>();
    }
    rps.iter().zip(API_TYPES).map(|(r, t)| r * t.cpu_ms()).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_scales_with_plays_and_playing_sessions() {
        let a = requests_per_s(60.0, 0.0);
        assert_eq!(a[4], 3.0, "3 play-path calls a play");
        assert_eq!(a[5], 0.0);
        let b = requests_per_s(0.0, 600.0);
        assert_eq!(b[5], 60.0, "a heartbeat every 10 s each");
        assert!(b[..5].iter().all(|&r| r == 0.0));
        let mean = mean_cpu_ms(&a);
        assert!(mean > 15.0 && mean < 60.0, "{mean}");
        assert!((mean_cpu_ms(&[0.0; 6]) - mean).abs() < 1e-9);
    }
}
