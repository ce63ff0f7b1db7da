//! A title ingested into a running twin joins the catalogue, is planned and filled, goes live, and is then
//! streamed from the edge, not only from the origin.

use twin::Command;
use twin::ingest::{Catalogued, Delivery, JobState, Ladder, Source};
use twin::journey::Leg;
use twin::{Scenario, Twin, ValidScenario};

fn scenario(slots: u32) -> ValidScenario {
    let text = format!(
        r#"
name = "journey"
seed = 5
start = "2026-11-23T00:00:00Z"
horizon_hours = 72.0
[world]
metros = 30
sites = 40
[catalog]
titles = 300
[demand]
members = 300000
[policy]
burn_in_days = 2
[ingest]
title_slots = {slots}
"#
    );
    Scenario::parse("journey.toml", &text).expect("valid scenario")
}

fn delivery(twin: &Twin, title: &str) -> Delivery {
    Delivery {
        title: title.into(),
        episode: None,
        genre: twin.model().catalog.genres[0].clone(),
        duration_s: 100 * 60,
        regions: vec!["EU".into(), "North America".into()],
        release_s: 0,
        source: Source { bytes: 150_000_000_000, width: 3840, height: 2160, fps: 24.0, complexity: 0.6 },
        encoded: Vec::new(),
    }
}

#[test]
fn an_ingested_title_is_planned_filled_and_then_streamed_from_the_edge() {
    let mut twin = Twin::new(scenario(4)).unwrap();
    twin.advance_minutes(60);
    let free_before = twin.model().catalog.free_slot().expect("places reserved");
    twin.apply(Command::Ingest { delivery: delivery(&twin, "The Studio Cut"), ladder: Ladder::PerTitle }).unwrap();
    let mut legs = Vec::new();
    let mut live_at = None;
    // Minute by minute while it encodes and the first fills run, then hour by hour.
    for minute in (0..120).chain((3..48).map(|h| h * 60)) {
        twin.advance_to(twin::SimTime::from_minutes(60 + minute));
        let hour = minute / 60;
        let snap = twin.snapshot();
        let job = &snap.ingest.jobs[0];
        let j = snap.journey(job);
        if legs.last() != Some(&j.leg) {
            legs.push(j.leg);
        }
        if j.leg == Leg::Live && live_at.is_none() {
            live_at = Some((hour, j.live_sites, j.planned_sites));
        }
    }
    let snap = twin.snapshot();
    let job = &snap.ingest.jobs[0];
    assert!(matches!(job.state, JobState::Done { .. }), "{:?}", job.state);
    let Some(Catalogued::Joined { title, release_s }) = job.catalogued else { panic!("{:?}", job.catalogued) };
    assert_eq!(title, free_before, "the first free place is taken");
    assert_eq!(release_s % 3600, 0, "it goes live on the hour");
    let catalog = &snap.model.catalog;
    let t = &catalog.titles[title.0 as usize];
    assert_eq!((t.name.as_str(), t.genre), ("The Studio Cut", 0));
    assert_eq!(catalog.videos[t.videos.start as usize].duration_s, 6000);
    assert!(!catalog.is_free_slot(title));
    // Per-title encoding of an easy source: its files are smaller than the ladder's.
    let scale = job.size_scale();
    assert!(scale < 0.7, "size scale {scale}");
    let f = catalog.files_of(title).next().unwrap();
    let ladder_bytes = catalog.renditions[0].kbps as u64 * 125 * 6000;
    assert_eq!(catalog.file_size_bytes(f), (catalog.renditions[0].kbps as f64 * scale).round() as u64 * 125 * 6000);
    assert!(catalog.file_size_bytes(f) < ladder_bytes);
    // Its journey went forward, one leg after another, until it was live (later plans may add sites, which
    // fill in their turn).
    assert_eq!(legs.first(), Some(&Leg::Encoding), "legs {legs:?}");
    let first_live = legs.iter().position(|&l| l == Leg::Live).unwrap_or_else(|| panic!("never live: {legs:?}"));
    assert!(legs[..=first_live].windows(2).all(|w| w[0] < w[1]), "legs {legs:?}");
    let (hour, live, planned) = live_at.unwrap();
    assert!(live > 0 && live == planned, "live at {live} of {planned} planned sites (hour {hour})");
    // And its plays are served at the edge, most of them.
    let j = snap.journey(job);
    assert!(j.bytes.edge > 0, "{:?}", j.bytes);
    assert!(j.bytes.edge > j.bytes.origin, "{:?}", j.bytes);
    // Each origin region's bucket served that region's misses, plus the fills that first brought it to the
    // edge, as GETs of its segments (about one per segment's bytes).
    assert_eq!(j.bytes.by_origin.iter().sum::<u64>(), j.bytes.origin);
    let segment = job.renditions.iter().map(|r| r.bytes).sum::<u64>() / (job.renditions.len() as u64 * 6000 / 4);
    let mut fill_bytes = 0;
    for (o, (name, b)) in snap.ingest.buckets.iter().enumerate() {
        assert!(b.bytes_out >= j.bytes.by_origin[o], "{name}: {} out, {} misses", b.bytes_out, j.bytes.by_origin[o]);
        fill_bytes += b.bytes_out - j.bytes.by_origin[o];
        let per_get = b.bytes_out as f64 / b.gets.max(1) as f64;
        assert!(b.gets == 0 || (0.9..=1.0).contains(&(per_get / segment as f64)), "{name}: {per_get} bytes a GET");
    }
    assert!(fill_bytes > 0, "the first copies came from the origin");
    eprintln!("legs {legs:?}; live after {hour} h at {live} sites; {:?}; journey now {j:?}", j.bytes);
}

#[test]
fn a_title_released_a_day_after_delivery_is_pre_positioned_before_any_play() {
    let mut twin = Twin::new(scenario(4)).unwrap();
    twin.advance_minutes(60);
    let mut d = delivery(&twin, "Next Friday");
    d.release_s = 60 * 60 + 30 * 3600;
    twin.apply(Command::Ingest { delivery: d, ladder: Ladder::Fixed }).unwrap();
    let mut legs = Vec::new();
    for hour in 1..=34 {
        twin.advance_minutes(60);
        let snap = twin.snapshot();
        let j = snap.journey(&snap.ingest.jobs[0]);
        // (The release is at hour 31 of the clock: after the 30th hour here.)
        if hour < 30 {
            assert_eq!((j.bytes.edge, j.bytes.origin), (0, 0), "played before its release, hour {hour}");
            assert_ne!(j.leg, Leg::Live, "live before its release, hour {hour}");
        }
        if legs.last() != Some(&j.leg) {
            legs.push(j.leg);
        }
    }
    // Its fills came in the off-peak window before the release, and most of its first plays came from the edge
    // (78% in its first three hours; the rest are renditions no plan lists, and the launch spike's overflow).
    assert!(legs.contains(&Leg::Positioned) && legs.last() == Some(&Leg::Live), "{legs:?}");
    let snap = twin.snapshot();
    let j = snap.journey(&snap.ingest.jobs[0]);
    assert!(j.bytes.edge as f64 > 0.7 * (j.bytes.edge + j.bytes.origin) as f64, "{:?}", j.bytes);
}

#[test]
fn a_title_with_no_free_place_is_stored_but_not_catalogued_and_bad_metadata_is_refused() {
    let mut twin = Twin::new(scenario(1)).unwrap();
    let first = delivery(&twin, "First");
    let second = delivery(&twin, "Second");
    twin.apply(Command::Ingest { delivery: first, ladder: Ladder::Fixed }).unwrap();
    twin.apply(Command::Ingest { delivery: second, ladder: Ladder::Fixed }).unwrap();
    twin.advance_minutes(120);
    let snap = twin.snapshot();
    let outcomes: Vec<_> = snap.ingest.jobs.iter().map(|j| j.catalogued).collect();
    assert!(matches!(outcomes[0], Some(Catalogued::Joined { .. })), "{outcomes:?}");
    assert_eq!(outcomes[1], Some(Catalogued::NoPlace));
    assert_eq!(snap.journey(&snap.ingest.jobs[1]).leg, Leg::NoPlace);
    assert!(snap.ingest.jobs.iter().all(|j| matches!(j.state, JobState::Done { .. })), "both stored");

    let mut bad = delivery(&twin, "Bad genre");
    bad.genre = "polka".into();
    let err = twin.apply(Command::Ingest { delivery: bad, ladder: Ladder::Fixed }).unwrap_err().to_string();
    assert!(err.contains("no genre \"polka\"") && err.contains(&twin.model().catalog.genres[0]), "{err}");
    let mut bad = delivery(&twin, "Bad region");
    bad.regions = vec!["Atlantis".into()];
    let err = twin.apply(Command::Ingest { delivery: bad, ladder: Ladder::Fixed }).unwrap_err().to_string();
    assert!(err.contains("no region \"Atlantis\"") && err.contains("EU"), "{err}");
    let mut bad = delivery(&twin, "Far future");
    bad.release_s = i64::MAX;
    let err = twin.apply(Command::Ingest { delivery: bad, ladder: Ladder::Fixed }).unwrap_err().to_string();
    assert!(err.contains("more than 3650 days ahead"), "{err}");
    // Commands on a place no title has joined are refused.
    let mut fresh = Twin::new(scenario(1)).unwrap();
    let empty = fresh.model().catalog.free_slot().unwrap();
    let surge = Command::SetTitleSurge { title: empty, region: 0, factor: 2.0 };
    let err = fresh.apply(surge).unwrap_err().to_string();
    assert!(err.contains("reserved for ingest"), "{err}");
    assert_eq!(twin.snapshot().ingest.jobs.len(), 2, "a refused delivery starts no job");
}
