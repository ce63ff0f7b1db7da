//! Invariants of a running twin: bytes are conserved, steering never picks a site that is down or lacks the
//! file, disks are never over capacity, runs are deterministic, and the demand shape lands where it should.

use proptest::prelude::*;
use twin::catalog::FileId;
use twin::steering::{Target, Tier};
use twin::world::{REGIONS, SiteKind};
use twin::{Command, Scenario, SiteId, Twin};

fn scenario(seed: u64, sites: usize, titles: usize, members: u64) -> Scenario {
    let text = format!(
        r#"
name = "invariants"
seed = {seed}
start = "2026-11-27T00:00:00Z"
horizon_hours = 6.0
[world]
metros = 40
sites = {sites}
[catalog]
titles = {titles}
[demand]
members = {members}
"#
    );
    Scenario::parse("invariants.toml", &text).expect("valid scenario")
}

fn small_twin(seed: u64) -> Twin {
    Twin::new(scenario(seed, 60, 400, 300_000)).expect("builds")
}

#[test]
fn bytes_are_conserved_to_the_byte() {
    let mut twin = small_twin(1);
    twin.advance_minutes(180);
    let mid = twin.totals();
    assert!(mid.planned_bytes > mid.edge_bytes + mid.origin_bytes, "sessions are still playing");
    // Stop new plays and let every session end (none lasts more than four hours).
    twin.apply(Command::SetDemandScale { factor: 0.0 }).unwrap();
    twin.advance_minutes(4 * 60 + 2);
    let t = twin.totals();
    assert!(t.planned_bytes > 0);
    assert_eq!(t.edge_bytes + t.origin_bytes, t.planned_bytes, "edge + origin = bytes delivered");
    assert_eq!(twin.kpis().last().unwrap().active_sessions, 0);

    // Per-minute books agree: the world is the sum of its regions; sites and origins carry the same bytes.
    for (i, world) in twin.kpis().iter().enumerate() {
        let regions: u64 =
            (0..REGIONS.len()).map(|r| twin.region_kpis(r)[i].edge_bytes + twin.region_kpis(r)[i].origin_bytes).sum();
        assert_eq!(regions, world.edge_bytes + world.origin_bytes, "minute {i}");
        assert!(world.in_isp_bytes <= world.edge_bytes);
    }
    let snap = twin.snapshot();
    let last = twin.kpis().last().unwrap();
    let site_gbps: f64 = snap.sites.iter().map(|s| s.egress_gbps as f64).sum();
    assert!((site_gbps - last.edge_gbps()).abs() < 1e-3 * (1.0 + last.edge_gbps()));
}

#[test]
fn a_site_that_is_down_serves_nothing() {
    let mut probe = small_twin(2);
    probe.advance_minutes(60);
    let busiest = (0..probe.model().world.sites.len())
        .max_by_key(|&s| probe.site_history(SiteId(s as u32)).iter().map(|m| m.plays).sum::<u32>())
        .unwrap();
    assert!(probe.site_history(SiteId(busiest as u32)).iter().any(|m| m.plays > 0));

    let mut twin = small_twin(2);
    twin.apply(Command::SetSiteUp { site: SiteId(busiest as u32), up: false }).unwrap();
    for _ in 0..120 {
        twin.advance_minutes(1);
        let s = twin.snapshot().sites[busiest];
        assert_eq!((s.plays, s.active_sessions), (0, 0));
        assert_eq!(s.egress_gbps, 0.0);
    }
    // Its members went elsewhere: plays did not drop.
    let plays = |t: &Twin| t.kpis().iter().take(60).map(|k| k.plays).sum::<u64>();
    assert_eq!(plays(&twin), plays(&probe));

    // Taken down mid-run, it gets no new plays; sessions already on it drain.
    let mut live = small_twin(2);
    live.advance_minutes(60);
    live.apply(Command::SetSiteUp { site: SiteId(busiest as u32), up: false }).unwrap();
    live.advance_minutes(30);
    let history = live.site_history(SiteId(busiest as u32));
    assert!(history[60..].iter().all(|m| m.plays == 0));
    assert!(history[60].active_sessions > 0 && history[89].active_sessions < history[60].active_sessions);

    assert!(twin.apply(Command::SetSiteUp { site: SiteId(10_000), up: false }).is_err());
    assert!(twin.apply(Command::SetDemandScale { factor: f64::NAN }).is_err());
}

#[test]
fn same_seed_gives_identical_kpis_whatever_the_thread_count() {
    let run = |seed: u64, threads: usize| {
        let mut t = small_twin(seed);
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
fn a_day_has_an_evening_peak_and_sane_qoe() {
    let mut twin = Twin::new(scenario(3, 80, 600, 1_000_000)).unwrap();
    twin.advance_minutes(24 * 60);
    let start = twin.model().scenario.start_utc();
    for (r, (code, _)) in REGIONS.iter().enumerate() {
        let samples = twin.region_kpis(r);
        let members: f64 =
            twin.model().world.metros.iter().filter(|m| m.region.0 as usize == r).map(|m| m.members).sum();
        if members < 50_000.0 {
            continue;
        }
        let peak = samples.iter().max_by_key(|s| s.active_sessions).unwrap();
        let utc = peak.t.to_utc(start);
        // Local hour at the region's member-weighted UTC offset.
        let offset_h: f64 = twin
            .model()
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
        assert!((19.0..24.0).contains(&local_h), "{code}: peak at local {local_h:.2} h");
    }
    for k in twin.kpis() {
        if let Some(o) = k.offload() {
            assert!((0.0..=1.0).contains(&o));
        }
    }
    let p50 = twin.run_startup_ms(None, 0.5).unwrap();
    let p95 = twin.run_startup_ms(None, 0.95).unwrap();
    assert!((200.0..5000.0).contains(&p50), "startup p50 {p50} ms");
    assert!(p95 > p50 && p95 < 20_000.0, "startup p95 {p95} ms");
}

#[test]
fn a_malformed_scenario_file_names_line_and_column() {
    let dir = std::env::temp_dir().join(format!("edgetwin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(&path, "name = \"x\"\nseed = 1\nstart = \"2026-11-23T00:00:00Z\"\nhorizon_hours = [\n").unwrap();
    let err = Twin::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:5:1:", path.display())) || err.starts_with(&format!("{}:4:", path.display())),
        "{err}"
    );
    let missing = Twin::load(&dir.join("nope.toml")).unwrap_err().to_string();
    assert!(missing.contains("nope.toml"), "{missing}");
    std::fs::remove_dir_all(&dir).ok();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Disks are never over capacity (live files plus the plan's replicas), and each site's held bytes are the
    /// sum of its files.
    #[test]
    fn placement_fits_every_disk(seed in 0u64..1000, sites in 5usize..80, titles in 20usize..3000) {
        let twin = Twin::new(scenario(seed, sites, titles, 100_000)).unwrap();
        let m = twin.model();
        let snap = twin.snapshot();
        for (i, site) in m.world.sites.iter().enumerate() {
            let id = SiteId(i as u32);
            let plan = snap.content.site_plans[i].as_deref().expect("proactive sites have a plan");
            prop_assert!(twin.placement().held_bytes(id) + plan.replica_bytes <= site.disk_bytes);
            prop_assert_eq!(plan.disk_bytes(), plan.appliance_bytes.iter().sum::<u64>());
            let sum: u64 = twin.placement().held(id).iter().map(|f| m.catalog.file_size_bytes(f)).sum();
            prop_assert_eq!(sum, twin.placement().held_bytes(id));
        }
    }

    /// Every entry steering returns admits the play and holds the file (a site that is down admits none); in-ISP entries belong to the member's ISP;
    /// tiers come in order; the list is never empty and ends at the origin when sites run out.
    #[test]
    fn steering_lists_only_admitting_sites_holding_the_file(
        seed in 0u64..50,
        admits in proptest::collection::vec(prop_oneof![Just(0.0f32), Just(1.0f32), 0.0f32..1.0], 60),
        picks in proptest::collection::vec((any::<u32>(), any::<u32>(), 0.0f32..1.0), 50),
    ) {
        let twin = Twin::new(scenario(seed, 60, 300, 100_000)).unwrap();
        let m = twin.model();
        let admit: Vec<f32> = (0..m.world.sites.len()).map(|i| admits[i % admits.len()]).collect();
        for (g, f, draw) in picks {
            let group = g as usize % m.world.client_groups.len();
            let file = FileId(f % m.catalog.file_count() as u32);
            let list = m.steering.steer(group, file, &admit, draw, twin.placement());
            let entries = list.entries();
            prop_assert!(!entries.is_empty() && entries.len() <= 3);
            prop_assert!(entries.windows(2).all(|w| w[0].tier <= w[1].tier));
            for e in entries {
                if let Target::Site(s) = e.target {
                    prop_assert!(admit[s.0 as usize] > 0.0, "site {} is down or full", s.0);
                    prop_assert!(draw < admit[s.0 as usize], "site {} did not admit this play", s.0);
                    prop_assert!(twin.placement().holds(s, file), "site {} lacks the file", s.0);
                    let site = &m.world.sites[s.0 as usize];
                    if e.tier == Tier::InIsp {
                        prop_assert_eq!(site.kind, SiteKind::Embedded(m.world.client_groups[group].isp));
                    }
                }
            }
            if entries.len() < 3 {
                prop_assert_eq!(entries.last().unwrap().tier, Tier::Origin);
            }
        }
    }
}

/// Sites too small for their load: steering sheds plays past the overload threshold (to other sites and the
/// origin); when the threshold is set above capacity, saturated sites share out throughput and sessions rebuffer.
#[test]
fn saturated_sites_shed_load_or_throttle_it() {
    let run = |overload: f64, egress_gbps: f64| {
        let mut s = scenario(4, 40, 300, 2_000_000);
        s.appliances.storage.egress_gbps = egress_gbps;
        s.appliances.flash.egress_gbps = egress_gbps;
        s.policy.overload_utilization = overload;
        let mut twin = Twin::new(s).unwrap();
        twin.advance_minutes(240);
        twin
    };
    let ample = run(0.95, 1000.0);
    let shedding = run(0.95, 2.0);
    let throttled = run(1.5, 2.0);
    let origin_share =
        |t: &Twin| t.totals().origin_bytes as f64 / (t.totals().edge_bytes + t.totals().origin_bytes) as f64;
    let rebuffer = |t: &Twin| t.totals().rebuffer_ms as f64 / t.totals().watch_ms as f64;
    assert!(origin_share(&ample) < 0.01, "{}", origin_share(&ample));
    // The backbone flows the map draws (origin → metro) add up to the backbone KPI.
    let snap = shedding.snapshot();
    let flows: f64 = snap.metro_origin_gbps.iter().map(|&g| g as f64).sum();
    let backbone = snap.latest().unwrap().miss_gbps();
    assert!(backbone > 0.0 && (flows - backbone).abs() < 1e-3 * backbone, "{flows} vs {backbone}");
    assert!(origin_share(&shedding) > 0.2, "overloaded sites send plays on: {}", origin_share(&shedding));
    assert!(rebuffer(&throttled) > 3.0 * rebuffer(&ample), "{} vs {}", rebuffer(&throttled), rebuffer(&ample));
    // Site-minute utilisations, sorted. Admission works on last minute's load, as steering does on periodic
    // load reports, so a surge can overshoot for a minute; most minutes sit at the threshold.
    let utilisation = |t: &Twin| {
        let mut u: Vec<f32> = (0..t.model().world.sites.len())
            .flat_map(|s| t.site_history(SiteId(s as u32)))
            .map(|m| m.utilization)
            .collect();
        u.sort_by(|a, b| a.total_cmp(b));
        u
    };
    let (shed, throttle) = (utilisation(&shedding), utilisation(&throttled));
    let q = |u: &[f32], q: f64| u[((u.len() - 1) as f64 * q) as usize];
    assert!(
        q(&shed, 0.5) > 0.9 && q(&shed, 0.9) < 1.0,
        "shedding keeps sites at the 0.95 threshold: {}",
        q(&shed, 0.9)
    );
    assert!(q(&throttle, 0.5) > 1.2, "sites saturate when allowed to: {}", q(&throttle, 0.5));
    assert!(q(&shed, 0.99) < q(&throttle, 0.5));
}
