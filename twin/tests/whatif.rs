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
    assert!(pair.branch.offload_pct < pair.base.offload_pct, "{pair:?}");
    assert!(pair.branch.backbone_tb > pair.base.backbone_tb, "{pair:?}");
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
    assert!(pairs.iter().all(|p| p.branch.backbone_tb > p.base.backbone_tb));
}
