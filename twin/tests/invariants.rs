//! Invariants of a running twin: bytes are conserved to the byte (servers' books, members' books, and every
//! session's own count agree), no server delivers more than its capacity, a site that goes down hands its
//! sessions to the next entry of their lists within the minute, steering only lists sites that admit the play
//! and hold its files, disks are never over capacity, runs are deterministic, and the demand shape lands where
//! it should.

use proptest::prelude::*;
use twin::catalog::{FileId, VideoId};
use twin::region::REGIONS;
use twin::steering::{Admission, Target, Tier};
use twin::world::SiteKind;
use twin::{Command, Scenario, SiteId, Twin, ValidScenario};

/// A small world; `world` is more of its [world] table (ports at least), `extra` more TOML at the end.
fn scenario(seed: u64, sites: usize, titles: usize, members: u64, world: &str, extra: &str) -> ValidScenario {
    let text = format!(
        r#"
name = "invariants"
seed = {seed}
start = "2026-11-27T00:00:00Z"
horizon_hours = 6.0
[world]
metros = 40
sites = {sites}
{world}
[catalog]
titles = {titles}
[demand]
members = {members}
[appliances]
storage = {{ disk_tb = 6.0, egress_gbps = 96.0 }}
flash = {{ disk_tb = 0.8, egress_gbps = 190.0 }}
[policy]
burn_in_days = 3
{extra}
"#
    );
    Scenario::parse("invariants.toml", &text).expect("valid scenario")
}

/// Ports in 1 Gbps steps: these worlds' sites serve a few Gbps.
const STEP: &str = "ports = { step_gbps = 1.0 }";

fn small_twin(seed: u64) -> Twin {
    Twin::new(scenario(seed, 60, 120, 300_000, STEP, "")).expect("builds")
}

/// Stops new plays and runs until every session has ended (stalls can stretch one past four hours).
fn drain(twin: &mut Twin) {
    twin.apply(Command::SetDemandScale { factor: 0.0, region: None }).unwrap();
    for _ in 0..12 * 60 {
        twin.advance_minutes(1);
        if twin.kpis().last().unwrap().active_sessions == 0 {
            return;
        }
    }
    panic!("sessions still playing after twelve hours without new plays");
}

/// The servers' books (edge and origin bytes) equal the bytes every session counted itself, and the world's
/// books are the sum of its regions', and the map's flows (sites' egress, misses into metros) carry them.
fn assert_books_agree(twin: &Twin) {
    let t = twin.totals();
    assert!(t.ended_session_bytes > 0);
    assert_eq!(t.edge_bytes + t.origin_bytes, t.ended_session_bytes, "servers' books = sessions' own bytes");
    for (i, world) in twin.kpis().iter().enumerate() {
        let regions: u64 =
            (0..REGIONS.len()).map(|r| twin.region_kpis(r)[i].edge_bytes + twin.region_kpis(r)[i].origin_bytes).sum();
        assert_eq!(regions, world.edge_bytes + world.origin_bytes, "minute {i}");
        assert!(world.in_isp_bytes <= world.edge_bytes && world.transit_bytes <= world.edge_bytes);
    }
}

#[test]
fn bytes_are_conserved_to_the_byte() {
    let mut twin = small_twin(1);
    twin.advance_minutes(180);
    let snap = twin.snapshot();
    let last = twin.kpis().last().unwrap();
    let site_gbps: f64 = snap.sites.iter().map(|s| s.egress_gbps as f64).sum();
    let miss_gbps: f64 = snap.metro_origin_gbps.iter().map(|&g| g as f64).sum();
    assert!((site_gbps - last.edge_gbps()).abs() < 1e-3 * (1.0 + last.edge_gbps()));
    assert!((miss_gbps - last.miss_gbps()).abs() < 1e-3 * (1.0 + last.miss_gbps()));
    drain(&mut twin);
    assert_books_agree(&twin);
}

/// A world whose ports are bought for half its evening, whose steering fills sites to the brim, and whose
/// origin is small for what the sites turn away: sites saturate every evening, and so does the origin.
fn busy(seed: u64) -> Twin {
    let world = "ports = { headroom_median = 0.5, step_gbps = 1.0 }\norigin_egress_gbps = 5.0";
    Twin::new(scenario(seed, 40, 120, 1_000_000, world, "overload_utilization = 1.0")).unwrap()
}

#[test]
fn no_server_delivers_more_than_its_capacity_and_busy_ones_slow_every_session() {
    let world = "ports = { headroom_median = 3.0, step_gbps = 1.0 }";
    let mut ample = Twin::new(scenario(4, 40, 120, 1_000_000, world, "")).unwrap();
    let mut tight = busy(4);
    ample.advance_minutes(6 * 60);
    tight.advance_minutes(6 * 60);
    let mut saturated_minutes = 0;
    for s in 0..tight.model().world.sites.len() {
        for m in tight.site_history(SiteId(s as u32)) {
            assert!(m.utilization <= 1.0 + 1e-4, "site {s} delivered {} of its capacity", m.utilization);
            saturated_minutes += (m.utilization > 0.98) as u32;
        }
    }
    assert!(saturated_minutes > 100, "the tight world saturates: {saturated_minutes} site-minutes");
    let sum = |t: &Twin, f: fn(&twin::KpiSample) -> u64| t.kpis().iter().map(f).sum::<u64>();
    let rebuffer = |t: &Twin| sum(t, |k| k.rebuffer_ms) as f64 / sum(t, |k| k.watch_ms) as f64;
    let delivered = |t: &Twin| t.totals().edge_bytes as f64 / t.totals().stream_seconds.max(1) as f64;
    eprintln!(
        "rebuffer {:.4} vs {:.4}; switches down {} up {}; delivered {:.0} vs {:.0} B/s; stall exits {}; peak misses {:.1} Gbps",
        rebuffer(&tight),
        rebuffer(&ample),
        sum(&tight, |k| k.switches_down),
        sum(&tight, |k| k.switches_up),
        delivered(&tight),
        delivered(&ample),
        sum(&tight, |k| k.stall_exits),
        tight.kpis().iter().map(|k| k.miss_gbps()).fold(0.0, f64::max)
    );
    assert!(sum(&tight, |k| k.switches_down) > 1000, "busy sites switch streams down");
    assert!(sum(&tight, |k| k.switches_up) > 0, "and back up when there is room again");
    assert!(delivered(&tight) < 0.95 * delivered(&ample), "so the bitrate delivered falls");
    assert!(sum(&tight, |k| k.stall_exits) > 0, "and some members give up on the longest stalls");
    drain(&mut tight);
    assert_books_agree(&tight);
}

#[test]
fn a_site_taken_down_hands_its_sessions_over_within_the_minute() {
    let mut twin = small_twin(2);
    twin.advance_minutes(120);
    let snap = twin.snapshot();
    let busiest = (0..snap.sites.len()).max_by_key(|&s| snap.sites[s].active_sessions).unwrap();
    let site = SiteId(busiest as u32);
    let on_it = snap.sites[busiest].active_sessions as u64;
    assert!(on_it > 100, "the busiest site plays {on_it} sessions");
    let held_before: Vec<FileId> = twin.placement().held_files(site).collect();
    let before = *twin.kpis().last().unwrap();

    twin.apply(Command::SetSiteUp { site, up: false }).unwrap();
    twin.advance_minutes(1);
    let after = *twin.kpis().last().unwrap();
    let now = twin.snapshot().sites[busiest];
    assert_eq!((now.active_sessions, now.plays, now.egress_gbps), (0, 0, 0.0), "nothing left on it");
    assert!(after.failovers + after.playback_failures >= on_it * 9 / 10, "{} moved of {on_it}", after.failovers);
    assert!(after.failovers > 0);
    assert!(after.rebuffer_ms > before.rebuffer_ms + after.failovers * 100, "each restart shows as a stall");
    assert!(
        after.active_sessions + 10 >= before.active_sessions * 95 / 100,
        "the members keep watching: {} then {}",
        before.active_sessions,
        after.active_sessions
    );

    // Down, it neither serves nor fills; back, it refills nothing it still holds.
    twin.advance_minutes(180);
    assert!(twin.site_history(site).iter().rev().take(180).all(|m| m.plays == 0 && m.egress_gbps == 0.0));
    assert_eq!(twin.placement().held_files(site).collect::<Vec<_>>(), held_before, "nothing filled while down");
    let log_mark = twin.snapshot().content.transfers.end_seq();
    twin.apply(Command::SetSiteUp { site, up: true }).unwrap();
    twin.apply(Command::FillNow { scope: twin::Scope::Site(site) }).unwrap();
    twin.advance_minutes(120);
    let snap = twin.snapshot();
    for t in snap.content.transfers.since(log_mark).filter(|t| t.site == site) {
        assert!(!held_before.contains(&t.file), "refilled {:?}, which it held", t.file);
    }
    assert!(snap.sites[busiest].plays > 0, "back in service");
    drain(&mut twin);
    assert_books_agree(&twin);

    assert!(twin.apply(Command::SetSiteUp { site: SiteId(10_000), up: false }).is_err());
    assert!(twin.apply(Command::SetDemandScale { factor: f64::NAN, region: None }).is_err());
    assert!(twin.apply(Command::SetDemandScale { factor: 1e9, region: None }).is_err());
}

#[test]
fn same_seed_gives_identical_kpis_whatever_the_thread_count() {
    let run = |seed: u64, threads: usize| {
        let mut t = busy(seed);
        t.set_threads(threads);
        t.advance_minutes(120);
        t
    };
    let a = run(7, 2);
    let b = run(7, 2);
    let c = run(7, 1);
    assert_eq!(a.kpis(), b.kpis());
    assert_eq!(a.kpis(), c.kpis(), "one thread or two, same results");
    for r in 0..REGIONS.len() {
        assert_eq!(a.region_kpis(r), c.region_kpis(r));
    }
    assert_eq!(a.totals(), c.totals());
    assert_ne!(a.kpis(), run(8, 2).kpis(), "another seed gives another run");

    // A fork continues exactly as the original would, and changing threads mid-run changes nothing.
    let mut original = run(7, 2);
    let mut fork = original.fork();
    fork.set_threads(1);
    original.advance_minutes(30);
    fork.advance_minutes(30);
    assert_eq!(original.kpis(), fork.kpis());
}

#[test]
fn a_day_peaks_in_the_local_evening_and_members_watch_their_hours() {
    let mut twin = Twin::new(scenario(3, 80, 200, 1_000_000, STEP, "")).unwrap();
    twin.advance_minutes(24 * 60);
    let model = twin.model().clone();
    let start = model.start_utc;
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        let members: f64 = model.world.metros.iter().filter(|m| m.region.0 as usize == r).map(|m| m.members).sum();
        if members < 50_000.0 {
            continue;
        }
        let peak = twin.region_kpis(r).iter().max_by_key(|s| s.active_sessions).unwrap();
        let utc = peak.t.to_utc(start);
        // Local hour at the region's member-weighted UTC offset.
        let offset_h: f64 = model
            .world
            .metros
            .iter()
            .filter(|m| m.region.0 as usize == r)
            .map(|m| {
                use chrono::{Offset, TimeZone};
                m.tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc() as f64 / 3600.0 * m.members
            })
            .sum::<f64>()
            / members;
        let local_h = (utc.timestamp() as f64 / 3600.0 + offset_h).rem_euclid(24.0);
        assert!((19.0..24.5).contains(&local_h), "{code}: peak at local {local_h:.2} h");
    }
    // Viewing hours, not only plays: the watch time of a day over the members. The day's first hours miss the
    // sessions that started before the start; by the end those are balanced by sessions still playing.
    let watch_h = twin.kpis().iter().map(|k| k.watch_ms).sum::<u64>() as f64 / 3.6e6;
    let per_member = watch_h / model.scenario.demand.members as f64;
    let target = model.scenario.demand.viewing_hours_per_member_day;
    assert!((per_member / target - 1.0).abs() < 0.15, "{per_member:.2} h a member, scenario says {target:.2}");
    let p50 = twin.run_startup_ms(None, 0.5).unwrap();
    let p95 = twin.run_startup_ms(None, 0.95).unwrap();
    assert!((200.0..5000.0).contains(&p50), "startup p50 {p50} ms");
    assert!(p95 > p50 && p95 < 20_000.0, "startup p95 {p95} ms");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Disks are never over capacity, site by site and appliance by appliance (live files plus the plan's
    /// replicas), and each site's held bytes are the sum of its files.
    #[test]
    fn placement_fits_every_disk(seed in 0u64..1000, sites in 5usize..60, titles in 5usize..300) {
        let twin = Twin::new(scenario(seed, sites, titles, 100_000, STEP, "")).unwrap();
        let m = twin.model();
        let snap = twin.snapshot();
        for (i, site) in m.world.sites.iter().enumerate() {
            let id = SiteId(i as u32);
            let plan = snap.content.site_plans[i].as_deref().expect("proactive sites have a plan");
            prop_assert!(twin.placement().held_bytes(id) + plan.replica_bytes <= site.disk_bytes);
            prop_assert_eq!(plan.disk_bytes(), plan.appliance_bytes.iter().sum::<u64>());
            let apps = &m.world.appliances[site.appliances.start as usize..site.appliances.end as usize];
            for (used, a) in plan.appliance_bytes.iter().zip(apps) {
                prop_assert!(*used <= a.disk_bytes, "appliance of site {} over its disk", i);
            }
            let sum: u64 = twin.placement().held_files(id).map(|f| m.catalog.file_size_bytes(f)).sum();
            prop_assert_eq!(sum, twin.placement().held_bytes(id));
        }
    }

    /// The entry steering gives a play admits it (at the site and at the appliance serving it, which belongs
    /// to the site) and holds the file and its audio; in-ISP entries belong to the member's ISP; a site that is
    /// down admits none; the origin ends every list.
    #[test]
    fn steering_lists_only_admitting_sites_holding_the_files(
        seed in 0u64..50,
        admits in proptest::collection::vec(prop_oneof![Just(0.0f32), Just(1.0f32), 0.0f32..1.0], 60),
        picks in proptest::collection::vec((any::<u32>(), any::<u32>(), any::<u64>()), 50),
    ) {
        let twin = Twin::new(scenario(seed, 60, 60, 100_000, STEP, "")).unwrap();
        let m = twin.model();
        let site_admit: Vec<f32> = (0..m.world.sites.len()).map(|i| admits[i % admits.len()]).collect();
        let appliance_admit = vec![1.0f32; m.world.appliances.len()];
        let admission = Admission { site: &site_admit, appliance: &appliance_admit };
        for (g, v, play) in picks {
            let group = g as usize % m.world.client_groups.len();
            let video = VideoId(v % m.catalog.videos.len() as u32);
            let (file, audio) = (m.catalog.file(video, 0), m.catalog.audio_file(video));
            let entry = m.steering.steer(group, file, audio, play, &admission, twin.placement(), &m.world.shapes);
            prop_assert_eq!(m.steering.candidates(group)[entry.index as usize], entry.candidate);
            match entry.candidate.target {
                Target::Site(s) => {
                    prop_assert!(twin::steering::admission_draw(play, s.0) < site_admit[s.0 as usize]);
                    prop_assert!(twin.placement().holds(s, file) && twin.placement().holds(s, audio));
                    let a = entry.appliance.expect("a site entry names its appliance") as usize;
                    prop_assert_eq!(m.world.appliances[a].site, s);
                    if entry.candidate.tier == Tier::InIsp {
                        prop_assert_eq!(m.world.sites[s.0 as usize].kind, SiteKind::Embedded(m.world.client_groups[group].isp));
                    }
                }
                Target::Origin(_) => prop_assert!(entry.appliance.is_none()),
            }
        }
    }
}
