//! Viewing events: with every member sampled they agree with the KPIs to the play and the millisecond, they do
//! not depend on the number of threads, and a sample keeps about its share of members, whole.

use std::collections::{BTreeMap, BTreeSet};

use twin::events::{Event, EventKind, Sampling};
use twin::fleet::requests;
use twin::{Scenario, Twin, ValidScenario};

fn scenario() -> ValidScenario {
    Scenario::parse(
        "events.toml",
        r#"
name = "events"
seed = 9
start = "2026-11-23T00:00:00Z"
horizon_hours = 24.0
[world]
metros = 30
sites = 40
ports = { step_gbps = 1.0 }
[catalog]
titles = 80
[demand]
members = 300000
[policy]
burn_in_days = 1
"#,
    )
    .expect("valid scenario")
}

fn run(threads: usize, sampling: f64, minutes: u64) -> (Twin, Vec<Event>) {
    let mut twin = Twin::new(scenario()).unwrap();
    twin.set_threads(threads);
    twin.advance_minutes(18 * 60);
    twin.set_events(Sampling::new(sampling));
    let mut events = Vec::new();
    for _ in 0..minutes {
        twin.advance_minutes(1);
        events.extend(twin.take_events());
    }
    (twin, events)
}

fn count(events: &[Event], kind: EventKind) -> u64 {
    events.iter().filter(|e| e.kind == kind).count() as u64
}

#[test]
fn with_every_member_sampled_events_agree_with_the_kpis() {
    let (twin, events) = run(2, 1.0, 180);
    let kpis: Vec<_> = twin.kpis().iter().rev().take(180).collect();
    let sum = |f: fn(&twin::KpiSample) -> u64| kpis.iter().map(|k| f(k)).sum::<u64>();
    assert_eq!(count(&events, EventKind::PlayAttempt), sum(|k| k.plays));
    assert_eq!(count(&events, EventKind::ExitBeforeStart), sum(|k| k.ebvs));
    assert_eq!(count(&events, EventKind::StartFailure), sum(|k| k.start_failures));
    assert_eq!(count(&events, EventKind::PlaybackFailure), sum(|k| k.playback_failures));
    assert_eq!(count(&events, EventKind::VideoStart), sum(|k| k.plays) - sum(|k| k.ebvs) - sum(|k| k.start_failures));
    let stall_ms: f64 = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Rebuffer | EventKind::Failover))
        .map(|e| e.value as f64)
        .sum();
    assert_eq!(stall_ms as u64, sum(|k| k.rebuffer_ms));
    assert_eq!(count(&events, EventKind::SwitchDown), sum(|k| k.switches_down));
    assert_eq!(count(&events, EventKind::SwitchUp), sum(|k| k.switches_up));
    // Sessions that started in the window and ended in it stopped once; completions are among the stops.
    let stops = count(&events, EventKind::Stop);
    assert!(stops > 0 && count(&events, EventKind::Completion) <= stops);
    assert!(count(&events, EventKind::Pause) > 0 && count(&events, EventKind::SeekBack) > 0);
    // Every attempt but those the post-play countdown starts was browsed to, over one or two browse sessions
    // (1.5 on average, as the control plane's request model has it), and a search came before about one in five.
    let (attempts, browsed) = (count(&events, EventKind::PlayAttempt) as f64, count(&events, EventKind::Browse) as f64);
    assert!(browsed <= attempts && browsed > 0.7 * attempts, "{browsed} browsed to of {attempts} attempts");
    let pages: f64 = events.iter().filter(|e| e.kind == EventKind::Browse).map(|e| e.value as f64).sum();
    let per_browse = 1.0 + requests::ROWS_PER_BROWSE + requests::DETAILS_PER_BROWSE;
    assert!((pages / browsed / (requests::BROWSES_PER_PLAY * per_browse) - 1.0).abs() < 0.02, "{}", pages / browsed);
    let searched = count(&events, EventKind::Search) as f64 / browsed;
    assert!((searched - requests::SEARCH_SHARE).abs() < 0.01, "{searched}");
    // Times are in the window (a stop at the last minute's end at most; a browse at most 5 minutes before its
    // attempt).
    let from = 18 * 3600;
    let (lo, hi) = (events.iter().map(|e| e.t_s).min().unwrap(), events.iter().map(|e| e.t_s).max().unwrap());
    assert!(lo >= from - 300 && hi <= from + 180 * 60, "{lo}..{hi}");
}

#[test]
fn events_do_not_depend_on_the_number_of_threads() {
    assert_eq!(run(1, 0.5, 60).1, run(2, 0.5, 60).1);
}

#[test]
fn a_sample_keeps_about_its_share_of_members_whole() {
    let (_, all) = run(2, 1.0, 120);
    let (_, some) = run(2, 0.2, 120);
    let members = |e: &[Event]| e.iter().map(|e| e.member).collect::<BTreeSet<_>>();
    let share = members(&some).len() as f64 / members(&all).len() as f64;
    assert!((0.17..0.23).contains(&share), "{share}");
    // A kept member's events are all there.
    let by_member = |e: &[Event]| {
        let mut m: BTreeMap<u32, usize> = BTreeMap::new();
        for x in e {
            *m.entry(x.member).or_default() += 1;
        }
        m
    };
    let (a, s) = (by_member(&all), by_member(&some));
    assert!(s.iter().all(|(m, n)| a[m] == *n));
    // Scaled back by the rate, play attempts come within 10% of the whole.
    let scaled = count(&some, EventKind::PlayAttempt) as f64 / 0.2;
    let whole = count(&all, EventKind::PlayAttempt) as f64;
    assert!((scaled / whole - 1.0).abs() < 0.1, "{scaled} vs {whole}");
}

#[test]
fn members_go_on_to_the_next_episode_mostly_after_the_post_play_countdown() {
    let (twin, events) = run(2, 1.0, 180);
    let catalog = &twin.model().catalog;
    // Each member's stops and attempts in time order; a stop followed by the same member's attempt at the
    // series' next episode is a binge step.
    let mut seen: Vec<(u32, u32, bool, u32)> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Stop | EventKind::PlayAttempt))
        .map(|e| (e.member, e.t_s, e.kind == EventKind::PlayAttempt, e.video))
        .collect();
    seen.sort_unstable();
    let gaps: Vec<u32> = seen
        .windows(2)
        .filter(|w| {
            let (a, b) = (w[0], w[1]);
            a.0 == b.0
                && !a.2
                && b.2
                && b.3 == a.3 + 1
                && catalog.videos[a.3 as usize].title == catalog.videos[b.3 as usize].title
        })
        .map(|w| w[1].1 - w[0].1)
        .collect();
    let attempts = count(&events, EventKind::PlayAttempt) as usize;
    assert!(gaps.len() * 10 > attempts, "{} binge steps in {attempts} attempts", gaps.len());
    // The countdown's 5–20 s for most; a break of 2 minutes to 3 hours for the others (those it ends inside the
    // window).
    let quick = gaps.iter().filter(|&&g| g <= 20).count() as f64 / gaps.len() as f64;
    assert!(quick > twin::demand::AUTOPLAY_SHARE - 0.05, "{quick}");
    let odd: Vec<_> = gaps.iter().filter(|&&g| !(5..=3 * 3600).contains(&g) || (21..120).contains(&g)).collect();
    // (A fresh play's member is drawn from the metro's members, so a few fresh plays land on a member who
    // just stopped the episode before.)
    assert!(odd.len() * 1000 < gaps.len(), "{} of {}: {odd:?}", odd.len(), gaps.len());
}
