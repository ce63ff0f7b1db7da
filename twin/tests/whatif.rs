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
        assert!(whatif::compare(&twin, &edits(vec![change.clone()]), 0.1).is_err(), "{change:?}");
    }
    // An edit after the horizon would never apply: refused too.
    let late = Edits { edits: vec![Edit { at_hours: 5.0, change: Change::DemandScale { factor: 2.0 } }] };
    assert!(whatif::compare(&twin, &late, 1.0).is_err());
}

#[test]
fn intervals_narrow_as_seed_pairs_are_added() {
    let double = edits(vec![Change::DemandScale { factor: 1.5 }]);
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
