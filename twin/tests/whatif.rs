//! What-if: a fork with no edits runs exactly as the base; an edit changes its branch only; intervals over seed
//! pairs narrow as pairs are added.

use twin::whatif::{self, Change, Edit, Edits, Pair};
use twin::{Scenario, Twin, ValidScenario};

fn scenario(seed: u64) -> ValidScenario {
    let text = format!(
        r#"
name = "whatif"
seed = {seed}
start = "2026-11-23T00:00:00Z"
horizon_hours = 24.0
[world]
metros = 30
sites = 40
ports = {{ step_gbps = 1.0 }}
[catalog]
titles = 80
[demand]
members = 300000
[policy]
burn_in_days = 2
"#
    );
    Scenario::parse("whatif.toml", &text).expect("valid scenario")
}

fn edits(changes: Vec<Change>) -> Edits {
    Edits { edits: changes.into_iter().map(|change| Edit { at_hours: 0.0, change }).collect() }
}

#[test]
fn a_fork_with_no_edits_runs_exactly_as_the_base() {
    let mut base = Twin::new(scenario(3)).unwrap();
    base.advance_minutes(20 * 60);
    let mut fork = base.fork();
    whatif::run_branch(&mut fork, &Edits::default(), 3.0).unwrap();
    base.advance_minutes(3 * 60);
    assert!(base.kpis() == fork.kpis(), "world KPIs differ");
    assert_eq!(base.totals(), fork.totals());
    assert_eq!(base.fleet().history, fork.fleet().history);
}

#[test]
fn taking_the_busiest_site_down_at_peak_lowers_offload_in_its_branch_only() {
    let mut twin = Twin::new(scenario(3)).unwrap();
    twin.advance_minutes(20 * 60);
    let snap = twin.snapshot();
    let busiest =
        (0..snap.sites.len()).max_by(|&a, &b| snap.sites[a].egress_gbps.total_cmp(&snap.sites[b].egress_gbps));
    let site = busiest.unwrap() as u32;
    let pair = whatif::compare(&twin, &edits(vec![Change::SiteDown { site }]), 3.0).unwrap();
    let mut alone = twin.fork();
    let base_alone = whatif::run_branch(&mut alone, &Edits::default(), 3.0).unwrap();
    assert_eq!(pair.base, base_alone, "the base is untouched by its branch");
    let (base, branch) = (&pair.base.outcome, &pair.branch.outcome);
    assert!(branch.offload_pct < base.offload_pct, "{base:?} vs {branch:?}");
    assert!(branch.backbone_tb > base.backbone_tb, "{base:?} vs {branch:?}");
    // Per site: the site served nothing in its branch.
    assert!(pair.base.sites[site as usize].served_tb > 0.0);
    assert_eq!(pair.branch.sites[site as usize].served_tb, 0.0);
    // Hour by hour, both branches have their series, and the region of the site lost offload.
    assert_eq!(pair.base.series.len(), 3);
    assert_eq!(pair.branch.series.len(), 3);
    let region = twin.model().world.sites[site as usize].region.0 as usize;
    assert!(pair.branch.regions[region].offload_pct < pair.base.regions[region].offload_pct);
    // The site's own sessions moved: it serves nothing in the branch.
    let mut down = twin.fork();
    whatif::run_branch(&mut down, &edits(vec![Change::SiteDown { site }]), 0.1).unwrap();
    assert_eq!(down.snapshot().sites[site as usize].active_sessions, 0);
}

#[test]
fn an_edit_naming_what_is_not_there_is_refused() {
    let twin = Twin::new(scenario(3)).unwrap();
    for change in [
        Change::SiteDown { site: 999 },
        Change::Policy { policy: twin::PlacementKind::Oracle, site: None, cluster: Some(999) },
        Change::Evacuate { region: "mars-1".into() },
        Change::Pin { title: 1, site: Some(1), cluster: Some(1) },
    ] {
        let err = whatif::compare(&twin, &edits(vec![change.clone()]), 0.1).unwrap_err().to_string();
        assert!(err.starts_with("edit 1 ("), "{change:?}: {err}");
    }
    // An edit after the horizon would never apply: refused too.
    let late = Edits { edits: vec![Edit { at_hours: 5.0, change: Change::DemandScale { factor: 2.0, region: None } }] };
    assert!(whatif::compare(&twin, &late, 1.0).is_err());
}

#[test]
fn intervals_narrow_as_seed_pairs_are_added() {
    let double = edits(vec![Change::DemandScale { factor: 1.5, region: None }]);
    let pairs: Vec<Pair> = (0..6)
        .map(|i| {
            let mut twin = Twin::new(scenario(10 + i)).unwrap();
            twin.advance_minutes(18 * 60);
            whatif::compare(&twin, &double, 2.0).unwrap()
        })
        .collect();
    let two = whatif::deltas(&pairs[..2]);
    let six = whatif::deltas(&pairs);
    let offload = |d: &[whatif::Delta]| d.iter().find(|d| d.figure == "offload").unwrap().clone();
    let (a, b) = (offload(&two), offload(&six));
    assert!(b.interval.unwrap() < a.interval.unwrap(), "{a:?} vs {b:?}");
    let one = whatif::deltas(&pairs[..1]);
    assert!(one.iter().all(|d| d.interval.is_none()));
    // Half again as many plays: more backbone in every pair.
    assert!(pairs.iter().all(|p| p.branch.outcome.backbone_tb > p.base.outcome.backbone_tb));
}

/// Disks far smaller than the catalogue, so what a cluster holds decides what it serves.
fn tight(seed: u64) -> ValidScenario {
    let text = format!(
        r#"
name = "tight"
seed = {seed}
start = "2026-11-23T00:00:00Z"
horizon_hours = 48.0
[world]
metros = 30
sites = 40
[catalog]
titles = 150
[demand]
members = 300000
[appliances]
storage = {{ disk_tb = 2.0, egress_gbps = 96.0 }}
flash = {{ disk_tb = 0.6, egress_gbps = 190.0 }}
[policy]
burn_in_days = 2
"#
    );
    Scenario::parse("tight.toml", &text).expect("valid scenario")
}

#[test]
fn doubling_a_tight_clusters_disk_raises_its_offload() {
    let mut twin = Twin::new(tight(4)).unwrap();
    twin.advance_minutes(6 * 60);
    // The cluster that missed the most bytes so far.
    let snap = twin.snapshot();
    let (offered, hit) = twin.site_bytes();
    let clusters = &snap.content.clusters;
    let missed =
        |c: usize| clusters.list[c].sites.iter().map(|s| offered[s.0 as usize] - hit[s.0 as usize]).sum::<u64>();
    let c = (0..clusters.list.len()).max_by_key(|&c| missed(c)).unwrap();
    let sites = clusters.list[c].sites.clone();
    // Plans take in at most a share of the disk in new files a night, so a bigger disk fills over nights:
    // the cluster's hit ratio on the fourth day.
    let fourth_day = |factor: f64| {
        let disk = edits(vec![
            Change::Disk { factor, cluster: Some(c as u32) },
            Change::FillNow { site: None, cluster: Some(c as u32) },
        ]);
        let mut branch = whatif::Branch::new(twin.fork(), &disk, 96.0).unwrap();
        while branch.progress().0 < 72 * 60 {
            branch.step().unwrap();
        }
        let three_days = branch.result();
        let four_days = branch.run().unwrap();
        let (mut offered, mut served) = (0.0, 0.0);
        for s in &sites {
            let (a, b) = (three_days.sites[s.0 as usize], four_days.sites[s.0 as usize]);
            offered += b.offered_tb - a.offered_tb;
            served += b.served_tb - a.served_tb;
        }
        (served / offered, four_days.outcome)
    };
    let (same, base) = fourth_day(1.0);
    let (double, doubled) = fourth_day(2.0);
    let (half, _) = fourth_day(0.5);
    assert!(double > same + 0.01, "cluster {c}: hit ratio on day 4 {same:.3} → {double:.3} with twice the disk");
    assert!(half < same - 0.01, "cluster {c}: hit ratio on day 4 {same:.3} → {half:.3} with half the disk");
    assert!(doubled.offload_pct > base.offload_pct, "worldwide {} → {}", base.offload_pct, doubled.offload_pct);
    assert!(doubled.disk_use_pct < base.disk_use_pct, "the same bytes or a few more, on more disk");
}

#[test]
fn pinning_a_title_at_a_cluster_raises_its_edge_share_there() {
    let mut twin = Twin::new(tight(6)).unwrap();
    twin.advance_minutes(12 * 60);
    let snap = twin.snapshot();
    let (offered, _) = twin.site_bytes();
    let site = (0..offered.len()).max_by_key(|&s| offered[s]).unwrap();
    let cluster = snap.content.clusters.of(twin::SiteId(site as u32));
    let catalog = &twin.model().catalog;
    // The share of a title's bytes asked of the site that it holds, over requests recorded in a branch.
    let held_share = |t: &Twin, title: twin::catalog::TitleId| {
        let (mut asked, mut held) = (0u64, 0u64);
        for r in t.recorded_requests() {
            let file = twin::catalog::FileId(r.obj_id as u32);
            if catalog.title_of(file) == title {
                asked += r.size_bytes as u64;
                if t.placement().holds(twin::SiteId(site as u32), file) {
                    held += r.size_bytes as u64;
                }
            }
        }
        held as f64 / asked.max(1) as f64
    };
    // The title the site is asked for most and holds least of, over four hours.
    let mut probe = twin.fork();
    probe.record_site_requests(Some(twin::SiteId(site as u32)));
    probe.advance_minutes(4 * 60);
    let mut missed = std::collections::BTreeMap::<u32, u64>::new();
    for r in probe.recorded_requests() {
        let file = twin::catalog::FileId(r.obj_id as u32);
        if !probe.placement().holds(twin::SiteId(site as u32), file) {
            *missed.entry(catalog.title_of(file).0).or_default() += r.size_bytes as u64;
        }
    }
    let title = twin::catalog::TitleId(*missed.iter().max_by_key(|e| *e.1).expect("the site misses something").0);

    let pin = edits(vec![
        Change::Pin { title: title.0, site: None, cluster: Some(cluster.0) },
        Change::FillNow { site: None, cluster: Some(cluster.0) },
    ]);
    let mut shares = Vec::new();
    for e in [Edits::default(), pin] {
        let mut t = twin.fork();
        t.record_site_requests(Some(twin::SiteId(site as u32)));
        whatif::run_branch(&mut t, &e, 6.0).unwrap();
        shares.push(held_share(&t, title));
    }
    assert!(shares[1] > shares[0] + 0.2, "title {}: {:.2} → {:.2}", title.0, shares[0], shares[1]);
    assert!(shares[1] > 0.99, "a pinned title is held whole once filled: {:.3}", shares[1]);
}

#[test]
fn a_title_surging_in_a_region_is_played_more_there_and_nowhere_else() {
    let mut twin = Twin::new(scenario(5)).unwrap();
    twin.advance_minutes(60);
    let (offered, _) = twin.site_bytes();
    let busiest = (0..offered.len()).max_by_key(|&s| offered[s]).unwrap();
    let region = twin.model().world.sites[busiest].region.0 as usize;
    let code = twin::region::REGIONS[region].0;
    let catalog = &twin.model().catalog;
    let videos = catalog.videos.len();
    // A title from the middle of the popularity order.
    let title = catalog.slots.start / 2;
    let surge = edits(vec![Change::Surge { title, region: code.into(), factor: 30.0 }]);
    let played = |t: &Twin, r: usize| -> f64 {
        let snap = t.snapshot();
        (0..videos)
            .filter(|&v| catalog.videos[v].title.0 == title)
            .map(|v| snap.content.observed_plays[r * videos + v])
            .sum()
    };
    let mut runs = Vec::new();
    for e in [Edits::default(), surge] {
        let mut t = twin.fork();
        whatif::run_branch(&mut t, &e, 30.0).unwrap();
        runs.push(t);
    }
    let (base, branch) = (played(&runs[0], region), played(&runs[1], region));
    assert!(branch > 5.0 * base.max(1.0), "region {code}: {base} → {branch} plays of title {title}");
    for other in (0..twin::region::REGIONS.len()).filter(|&r| r != region) {
        assert_eq!(played(&runs[0], other), played(&runs[1], other), "region {other} is untouched");
    }
    let bad = edits(vec![Change::Surge { title, region: "Atlantis".into(), factor: 2.0 }]);
    assert!(whatif::compare(&twin, &bad, 1.0).unwrap_err().to_string().contains("Atlantis"));
}

#[test]
fn a_moved_fill_window_moves_the_fills_and_smaller_caps_move_fewer_bytes() {
    use chrono::{Offset, TimeZone, Timelike};
    let mut twin = Twin::new(tight(7)).unwrap();
    twin.advance_minutes(60);
    let fork_s = twin.now().seconds() as f64;
    let moved = edits(vec![Change::FillWindow { start_hour: Some(13.0), hours: Some(3.0) }]);
    let mut t = twin.fork();
    whatif::run_branch(&mut t, &moved, 48.0).unwrap();
    let snap = t.snapshot();
    assert_eq!((snap.content.fill_spec.window_start_hour, snap.content.fill_spec.window_hours), (13.0, 3.0));
    let model = t.model().clone();
    let local_hour = |site: twin::SiteId, t_s: f64| {
        let metro = &model.world.metros[model.world.sites[site.0 as usize].metro.0 as usize];
        let utc = twin::SimTime(t_s as u64).to_utc(model.start_utc);
        let offset = metro.tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc();
        (utc + chrono::Duration::seconds(offset as i64)).hour()
    };
    let after: Vec<_> = snap.content.transfers.iter().filter(|x| x.start_s > fork_s + 60.0).copied().collect();
    assert!(after.len() > 10, "fills ran in the new window: {}", after.len());
    for x in &after {
        assert!((13..16).contains(&local_hour(x.site, x.start_s)), "{x:?} starts outside 13:00–16:00 local");
    }
    // Caps a thousandth of the scenario's (a megabit or so a second): fills cannot keep up with two nights' plans.
    let pair = whatif::compare(&twin, &edits(vec![Change::FillCaps { factor: 0.001 }]), 54.0).unwrap();
    let fill = |r: &whatif::Run| r.outcome.fill_tb.iter().sum::<f64>();
    assert!(fill(&pair.branch) < 0.5 * fill(&pair.base), "{} → {} TB", fill(&pair.base), fill(&pair.branch));
    assert!(
        pair.branch.outcome.offload_pct < pair.base.outcome.offload_pct,
        "{} → {}",
        pair.base.outcome.offload_pct,
        pair.branch.outcome.offload_pct
    );
    let bad = edits(vec![Change::FillWindow { start_hour: Some(25.0), hours: None }]);
    assert!(whatif::compare(&twin, &bad, 1.0).is_err());
}

#[test]
fn every_console_command_records_as_edits_that_give_it_back() {
    use twin::catalog::TitleId;
    use twin::placement::ClusterId;
    use twin::{Command, Scope, SiteId, TitleRule};
    let twin = Twin::new(scenario(3)).unwrap();
    let regions = twin.fleet().names.clone();
    let mut policy = twin.fleet().groups[0].policy.clone();
    (policy.min, policy.kind) = (2, twin::scenario::ScalingKind::Predictive);
    policy.instance = twin::fleet::asg::InstanceType { name: "c5.4xlarge".into(), vcpus: 16, usd_per_hour: 0.68 };
    let commands = [
        Command::SetSiteUp { site: SiteId(3), up: false },
        Command::SetSiteUp { site: SiteId(3), up: true },
        Command::SetDemandScale { factor: 1.5, region: None },
        Command::SetTitleSurge { title: TitleId(4), region: 2, factor: 8.0 },
        Command::FillNow { scope: Scope::Cluster(ClusterId(1)) },
        Command::SetTitleRule { scope: Scope::Site(SiteId(2)), title: TitleId(5), rule: Some(TitleRule::Pin) },
        Command::SetTitleRule { scope: Scope::All, title: TitleId(5), rule: Some(TitleRule::Exclude) },
        Command::SetTitleRule { scope: Scope::Cluster(ClusterId(0)), title: TitleId(5), rule: None },
        Command::SetSitePolicy { site: SiteId(1), policy: twin::PlacementKind::parse("sieve").unwrap() },
        Command::SetDiskScale { scope: Scope::Cluster(ClusterId(2)), factor: 1.5 },
        Command::SetFillSchedule { window_start_hour: 13.5, window_hours: 4.0, caps_factor: 2.0 },
        Command::SetScalingPolicy { region: 0, policy },
        Command::KillInstances { region: 1, count: 2 },
        Command::EvacuateRegion { region: 1, evacuated: true },
        Command::EvacuateRegion { region: 1, evacuated: false },
        Command::SetOriginUp { origin: 1, up: false },
        Command::SetOriginUp { origin: 1, up: true },
    ];
    for command in commands {
        let changes = Change::of_command(&command, &regions);
        let mut t = twin.fork();
        let mut last = None;
        for change in &changes {
            for c in change.commands(&t).unwrap() {
                t.apply(c.clone()).unwrap();
                last = Some(c);
            }
        }
        assert_eq!(last.as_ref(), Some(&command), "{changes:?}");
        let recorded = Edits { edits: changes.into_iter().map(|change| Edit { at_hours: 1.5, change }).collect() };
        assert_eq!(Edits::parse("recorded.toml", &recorded.to_toml()).unwrap(), recorded);
    }
}

#[test]
fn an_origin_outage_fails_the_plays_only_it_could_serve_and_stalls_its_fills() {
    let mut twin = Twin::new(tight(8)).unwrap();
    twin.advance_minutes(20 * 60);
    let world = &twin.model().world;
    // The origin that serves the most metros.
    let metro = |m: usize| twin::world::MetroId(m as u32);
    let served = |o: usize| (0..world.metros.len()).filter(|&m| world.nearest_origin(metro(m)) == o).count();
    let o = (0..world.origins.len()).max_by_key(|&o| served(o)).unwrap();
    let name = world.origins[o].name.clone();
    let down = |at_hours: f64| Edit { at_hours, change: Change::OriginDown { region: name.clone() } };
    let pair = whatif::compare(&twin, &Edits { edits: vec![down(0.0)] }, 2.0).unwrap();
    let (base, branch) = (&pair.base.outcome, &pair.branch.outcome);
    assert!(branch.start_failure_pct > base.start_failure_pct + 1.0, "{name}: {base:?} → {branch:?}");
    assert!(branch.backbone_tb < base.backbone_tb, "its misses no longer cross the backbone");

    // Every site fetching a title it lacks now: with the origin down, its fills stall.
    let title = twin.model().catalog.slots.start - 1;
    let at_once = |change| Edit { at_hours: 0.0, change };
    let fetch = vec![
        at_once(Change::Pin { title, site: None, cluster: None }),
        at_once(Change::FillNow { site: None, cluster: None }),
    ];
    let runs: Vec<whatif::Run> = whatif::run_all(
        &twin,
        &[Edits { edits: fetch.clone() }, Edits { edits: [fetch, vec![down(0.0)]].concat() }],
        2.0,
    )
    .unwrap()
    .iter()
    .map(whatif::Branch::result)
    .collect();
    let from_origin = |r: &whatif::Run| r.outcome.fill_tb[2];
    // (The other origins still serve the sites nearest them.)
    assert!(
        from_origin(&runs[0]) > 0.0 && from_origin(&runs[1]) < 0.8 * from_origin(&runs[0]),
        "{:?} → {:?}",
        runs[0].outcome.fill_tb,
        runs[1].outcome.fill_tb
    );

    // Back after an hour: plays start again.
    let up = Edit { at_hours: 1.0, change: Change::OriginUp { region: name.clone() } };
    let mut outage = whatif::Branch::new(twin.fork(), &Edits { edits: vec![down(0.0), up] }, 2.0).unwrap();
    outage.run().unwrap();
    assert!(outage.twin().snapshot().origin_up[o]);
    let last: Vec<_> = outage.twin().kpis().iter().rev().take(30).collect();
    let failed = last.iter().map(|k| k.start_failures).sum::<u64>() as f64;
    let plays = last.iter().map(|k| k.plays).sum::<u64>() as f64;
    assert!(failed / plays < base.start_failure_pct / 100.0 + 0.005, "{failed} of {plays} plays failed");
}
