//! Capacity edits on a running twin: a site removed for good, and one region's demand scaled. Each is also an
//! edit that round-trips through an edits file, and each refuses bad input with the twin unchanged.

use twin::region::REGIONS;
use twin::whatif::{Change, Edit, Edits};
use twin::{Command, Scenario, SiteId, Twin};

fn small_twin() -> Twin {
    let text = r#"
name = "capacity-edits"
seed = 5
start = "2026-11-27T00:00:00Z"
horizon_hours = 6.0
[world]
metros = 40
sites = 60
ports = { step_gbps = 1.0 }
[catalog]
titles = 120
[demand]
members = 300000
[appliances]
storage = { disk_tb = 6.0, egress_gbps = 96.0 }
flash = { disk_tb = 0.8, egress_gbps = 190.0 }
[policy]
burn_in_days = 3
"#;
    Twin::new(Scenario::parse("capacity-edits.toml", text).expect("valid scenario")).expect("builds")
}

#[test]
fn a_removed_site_hands_its_sessions_over_within_the_minute_and_never_serves_or_fills_again() {
    let mut twin = small_twin();
    twin.advance_minutes(120);
    let snap = twin.snapshot();
    let busiest = (0..snap.sites.len()).max_by_key(|&s| snap.sites[s].active_sessions).unwrap();
    let site = SiteId(busiest as u32);
    let on_it = snap.sites[busiest].active_sessions as u64;
    assert!(on_it > 100, "the busiest site plays {on_it} sessions");
    let before = *twin.kpis().last().unwrap();

    twin.apply(Command::RemoveSite { site }).unwrap();
    twin.advance_minutes(1);
    let after = *twin.kpis().last().unwrap();
    let now = twin.snapshot().sites[busiest];
    assert_eq!((now.active_sessions, now.plays, now.egress_gbps), (0, 0, 0.0), "nothing left on it");
    assert!(after.failovers + after.playback_failures >= on_it * 9 / 10, "{} moved of {on_it}", after.failovers);
    assert!(after.active_sessions + 10 >= before.active_sessions * 95 / 100, "the members keep watching");

    // Gone for good: it neither serves nor fills through a fill window, and cannot be brought back.
    let held: Vec<_> = twin.placement().held_files(site).collect();
    assert!(twin.apply(Command::FillNow { scope: twin::Scope::All }).is_ok());
    twin.advance_minutes(24 * 60);
    assert!(twin.site_history(site).iter().all(|m| m.plays == 0 && m.egress_gbps == 0.0));
    assert_eq!(twin.placement().held_files(site).collect::<Vec<_>>(), held, "nothing filled");
    let err = twin.apply(Command::SetSiteUp { site, up: true }).unwrap_err().to_string();
    assert!(err.contains("was removed"), "{err}");
    assert!(twin.apply(Command::RemoveSite { site }).unwrap_err().to_string().contains("removed already"));
    assert!(twin.snapshot().site_retired[busiest] && !twin.snapshot().site_up[busiest]);
}

#[test]
fn the_last_site_of_a_region_cannot_be_removed_and_nothing_changes() {
    let mut twin = small_twin();
    let world = &twin.model().world;
    // The region with the fewest sites.
    let region = (0..REGIONS.len())
        .filter(|&r| world.sites.iter().any(|s| s.region.0 as usize == r))
        .min_by_key(|&r| world.sites.iter().filter(|s| s.region.0 as usize == r).count())
        .unwrap();
    let sites: Vec<SiteId> = (0..world.sites.len())
        .filter(|&s| world.sites[s].region.0 as usize == region)
        .map(|s| SiteId(s as u32))
        .collect();
    let (last, others) = sites.split_last().unwrap();
    for &s in others {
        twin.apply(Command::RemoveSite { site: s }).unwrap();
    }
    let err = twin.apply(Command::RemoveSite { site: *last }).unwrap_err().to_string();
    assert!(err.contains("is the last of") && err.contains(REGIONS[region].1), "{err}");
    let snap = twin.snapshot();
    assert!(snap.site_up[last.0 as usize] && !snap.site_retired[last.0 as usize], "still serving");
    assert!(twin.apply(Command::RemoveSite { site: SiteId(10_000) }).unwrap_err().to_string().contains("no site"));
}

#[test]
fn one_regions_demand_scales_and_the_others_stay_as_they_were() {
    let mut base = small_twin();
    base.advance_minutes(60);
    let mut branch = base.fork();
    let eu = REGIONS.iter().position(|r| r.0 == "EU").unwrap();
    branch.apply(Command::SetDemandScale { factor: 2.0, region: Some(eu) }).unwrap();
    base.advance_minutes(60);
    branch.advance_minutes(60);
    let plays = |t: &Twin, r: usize| t.region_kpis(r).iter().skip(60).map(|k| k.plays).sum::<u64>() as f64;
    let ratio = plays(&branch, eu) / plays(&base, eu);
    assert!((1.7..2.2).contains(&ratio), "Europe's plays × {ratio:.3}");
    for r in (0..REGIONS.len()).filter(|&r| r != eu && plays(&base, r) > 1000.0) {
        let ratio = plays(&branch, r) / plays(&base, r);
        assert!((0.97..1.03).contains(&ratio), "{}'s plays × {ratio:.3}", REGIONS[r].1);
    }
    // The world's scale multiplies the region's: at 0.5, Europe (× 2) plays as the base does, the others less.
    branch.apply(Command::SetDemandScale { factor: 0.5, region: None }).unwrap();
    base.advance_minutes(60);
    branch.advance_minutes(60);
    let plays = |t: &Twin, r: usize| t.region_kpis(r).iter().skip(120).map(|k| k.plays).sum::<u64>() as f64;
    let eu_ratio = plays(&branch, eu) / plays(&base, eu);
    let na = REGIONS.iter().position(|r| r.0 == "NA").unwrap();
    let na_ratio = plays(&branch, na) / plays(&base, na);
    assert!(
        (0.9..1.1).contains(&eu_ratio) && (0.45..0.55).contains(&na_ratio),
        "Europe × {eu_ratio:.3}, North America × {na_ratio:.3}"
    );

    for bad in [f64::NAN, f64::INFINITY, -1.0, 1e9] {
        assert!(branch.apply(Command::SetDemandScale { factor: bad, region: Some(eu) }).is_err(), "{bad}");
    }
    assert!(branch.apply(Command::SetDemandScale { factor: 1.0, region: Some(99) }).is_err());
}

#[test]
fn the_new_edits_round_trip_through_an_edits_file_and_bad_ones_are_located() {
    let edits = Edits {
        edits: vec![
            Edit { at_hours: 0.0, change: Change::RemoveSite { site: 3 } },
            Edit { at_hours: 2.5, change: Change::DemandScale { factor: 1.25, region: Some("EU".into()) } },
            Edit { at_hours: 1.0, change: Change::DemandScale { factor: 0.5, region: None } },
        ],
    };
    let text = edits.to_toml();
    assert!(text.contains("kind = \"remove_site\"") && text.contains("region = \"EU\""), "{text}");
    assert_eq!(Edits::parse("e.toml", &text).unwrap(), edits);
    let twin = small_twin();
    edits.check(&twin).unwrap();

    // Malformed: located at the edit's line and column.
    let err =
        Edits::parse("e.toml", "[[edit]]\nkind = \"remove_site\"\n\n[[edit]]\nkind = \"remove_site\"\nsite = \"x\"\n")
            .unwrap_err()
            .to_string();
    assert!(err.starts_with("e.toml:1:1") || err.contains("e.toml:"), "{err}");
    assert!(err.contains("edit 1") && err.contains("site"), "{err}");
    // Names the twin does not know are refused before a run, with the edit's number.
    for (change, words) in [
        (Change::DemandScale { factor: 2.0, region: Some("Atlantis".into()) }, "no region \"Atlantis\""),
        (Change::RemoveSite { site: 10_000 }, "no site 10000"),
    ] {
        let bad = Edits { edits: vec![Edit { at_hours: 0.0, change }] };
        let err = bad.check(&twin).unwrap_err().to_string();
        assert!(err.contains("edit 1") && err.contains(words), "{err}");
    }
}
