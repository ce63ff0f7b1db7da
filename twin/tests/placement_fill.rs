//! Placement and fill on a running twin: fills stay inside their windows and caps, disks never overflow,
//! files serve only once complete, pins and excludes are honoured, policies can be switched, proactive
//! placement offloads the default scenario (whose disks hold a fraction of its catalogue), and the greedy
//! planner stays under the placement LP's bound.

use chrono::{Datelike, Offset, TimeZone};
use twin::cache::OnlinePolicy;
use twin::catalog::{FileId, TitleId};
use twin::fill::Fill;
use twin::placement::ClusterId;
use twin::time::SimTime;
use twin::{Command, PlacementKind, Scenario, Scope, SiteId, TitleRule, Twin, ValidScenario};

/// Disks far smaller than the catalogue (so plans churn and fills run) and fill caps small enough to bind.
fn tight(policy: &str) -> ValidScenario {
    let text = format!(
        r#"
name = "tight"
seed = 5
start = "2026-11-27T00:00:00Z"
horizon_hours = 48.0
[world]
metros = 30
sites = 40
[catalog]
titles = 150
recent_share = 0.1
[demand]
members = 200000
[appliances]
storage = {{ disk_tb = 2.0, egress_gbps = 96.0 }}
flash = {{ disk_tb = 0.6, egress_gbps = 190.0 }}
[policy]
placement = "{policy}"
burn_in_days = 3
[fill]
storage_gbps = 0.05
storage_window_tb = 0.12
flash_gbps = 0.05
flash_window_tb = 0.12
"#
    );
    Scenario::parse("tight.toml", &text).expect("valid scenario")
}

/// Every site's live files plus its plan's replicas fit its disk.
fn assert_disks_fit(twin: &Twin) {
    let snap = twin.snapshot();
    for (s, site) in twin.model().world.sites.iter().enumerate() {
        let id = SiteId(s as u32);
        let replicas = snap.content.site_plans[s].as_ref().map_or(0, |p| p.replica_bytes);
        let used = twin.placement().held_bytes(id) + replicas;
        assert!(used <= site.disk_bytes, "site {s} at {:?}: {used} > {}", twin.now(), site.disk_bytes);
    }
}

#[test]
fn fills_stay_in_their_windows_and_under_their_caps_and_disks_never_overflow() {
    let mut twin = Twin::new(tight("proactive")).unwrap();
    let mut saw_active = false;
    for _ in 0..48 {
        twin.advance_minutes(60);
        assert_disks_fit(&twin);
        // A file being transferred is not served until it is complete.
        let snap = twin.snapshot();
        for (s, status) in snap.content.fill.iter().enumerate() {
            if let Some(a) = status.active {
                assert!(a.done < 1.0 && !twin.placement().holds(SiteId(s as u32), a.file));
                saw_active = true;
            }
        }
    }
    assert!(saw_active, "the caps are tight enough that transfers span minutes");
    let model = twin.model().clone();
    let snap = twin.snapshot();
    let transfers: Vec<_> = snap.content.transfers.iter().copied().collect();
    assert!(transfers.len() > 100, "plans churn and fills run: {} transfers", transfers.len());

    let local = |site: SiteId, t_s: f64| {
        let metro = &model.world.metros[model.world.sites[site.0 as usize].metro.0 as usize];
        let utc = SimTime(t_s as u64).to_utc(model.start_utc);
        let offset = metro.tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc();
        twin::time::LocalClock::at(utc, offset)
    };
    let mut per_window: std::collections::BTreeMap<(u32, i32), u64> = Default::default();
    let largest_file =
        (0..model.catalog.file_count() as u32).map(|f| model.catalog.file_size_bytes(FileId(f))).max().unwrap();
    let mut last_end = vec![0f64; model.world.sites.len()];
    for t in &transfers {
        assert!(!t.forced);
        assert!(t.end_s > t.start_s);
        // Inside the window: the minute it started in and the minute it ended in.
        assert!(Fill::in_window(&model.scenario.fill, local(t.site, t.start_s)), "{t:?} starts outside the window");
        assert!(Fill::in_window(&model.scenario.fill, local(t.site, t.end_s - 0.5)), "{t:?} ends outside the window");
        // At most the ingress cap: transfers at a site run one at a time, each no faster than the cap.
        let (rate_kbps, window_cap) = Fill::caps(&model.scenario.fill, &model, t.site);
        assert!(t.start_s >= last_end[t.site.0 as usize] - 1e-6, "{t:?} overlaps the one before");
        last_end[t.site.0 as usize] = t.end_s;
        if t.end_s - t.start_s > 60.0 {
            let kbps = t.bytes as f64 * 8.0 / 1000.0 / (t.end_s - t.start_s);
            assert!(kbps <= rate_kbps * 1.0001, "{t:?} beats the cap");
        }
        // Windows open at 02:00 local: a transfer's window is the local day of its start, less two hours. A
        // transfer cut by the close finishes in the next window, so a window's transfers may pass its cap by
        // less than one file.
        let utc = SimTime(t.start_s as u64).to_utc(model.start_utc);
        let metro = &model.world.metros[model.world.sites[t.site.0 as usize].metro.0 as usize];
        let window_day = (utc.with_timezone(&metro.tz) - chrono::Duration::hours(2)).date_naive().num_days_from_ce();
        let bytes = per_window.entry((t.site.0, window_day)).or_default();
        *bytes += t.bytes;
        assert!(*bytes < window_cap + largest_file, "site {}: {bytes} bytes in one window, cap {window_cap}", t.site.0);
    }
}

#[test]
fn pins_and_excludes_are_honoured_after_a_fill_now() {
    let mut twin = Twin::new(tight("proactive")).unwrap();
    twin.advance_minutes(30);
    let model = twin.model().clone();
    let files_of = |t: TitleId| model.catalog.files_of(t);
    // The most popular title in North America is excluded everywhere; the least popular one is pinned on one
    // cluster.
    let snap = twin.snapshot();
    let order = &snap.content.predicted[0].order;
    let hot = model.catalog.title_of(FileId(order[0]));
    let cold = model.catalog.title_of(FileId(*order.last().unwrap()));
    // A cluster whose sites lack it.
    let lacks = |s: &SiteId| files_of(cold).any(|f| !twin.placement().holds(*s, f));
    let cluster = (0..snap.content.clusters.len() as u32)
        .map(ClusterId)
        .find(|&c| snap.content.clusters.get(c).sites.iter().all(lacks))
        .expect("some cluster lacks the least popular title");
    let members = snap.content.clusters.get(cluster).sites.clone();
    twin.apply(Command::SetTitleRule { scope: Scope::All, title: hot, rule: Some(TitleRule::Exclude) }).unwrap();
    twin.apply(Command::SetTitleRule { scope: Scope::Cluster(cluster), title: cold, rule: Some(TitleRule::Pin) })
        .unwrap();
    twin.apply(Command::FillNow { scope: Scope::All }).unwrap();
    // Forced fills run at the ingress cap until done.
    for _ in 0..24 * 60 {
        twin.advance_minutes(1);
        if twin.snapshot().content.fill.iter().all(|f| !f.forced) {
            break;
        }
    }
    // (Plans made since, at a region's midnight, may have queued more for the sites' own windows.)
    let snap = twin.snapshot();
    assert!(snap.content.fill.iter().all(|f| !f.forced), "every fill now finished");
    for &s in &members {
        assert!(files_of(cold).all(|f| twin.placement().holds(s, f)), "pinned title at site {}", s.0);
    }
    for s in 0..model.world.sites.len() {
        let site = SiteId(s as u32);
        assert!(files_of(hot).all(|f| !twin.placement().holds(site, f)), "excluded title at site {s}");
    }
    assert!(snap.content.transfers.iter().any(|t| t.forced), "fill now ran out of window");
    assert_disks_fit(&twin);
    // Unpinning takes the pin out of the next plan.
    twin.apply(Command::SetTitleRule { scope: Scope::Cluster(cluster), title: cold, rule: None }).unwrap();
    let rules = twin.snapshot().content.rules.clone();
    assert_eq!(*rules, [(Scope::All, hot, TitleRule::Exclude)]);
    // Bad targets are refused with a reason.
    let err = twin.apply(Command::FillNow { scope: Scope::Site(SiteId(10_000)) }).unwrap_err().to_string();
    assert!(err.contains("no site 10000"), "{err}");
    let err = twin
        .apply(Command::SetTitleRule { scope: Scope::All, title: TitleId(99_999), rule: Some(TitleRule::Pin) })
        .unwrap_err()
        .to_string();
    assert!(err.contains("no title 99999"), "{err}");
}

#[test]
fn reactive_sites_admit_misses_evict_to_fit_and_can_be_switched() {
    let mut twin = Twin::new(tight("lru")).unwrap();
    for _ in 0..12 {
        twin.advance_minutes(60);
        assert_disks_fit(&twin);
    }
    let k = twin.kpis().iter().fold([0u64; 3], |mut acc, s| {
        for (a, b) in acc.iter_mut().zip(s.fill_bytes) {
            *a += b;
        }
        acc
    });
    assert!(k.iter().sum::<u64>() > 0, "misses are fetched and admitted");
    let snap = twin.snapshot();
    assert!(snap.content.site_plans.iter().all(|p| p.is_none()), "reactive sites have no plan");
    assert!(snap.content.transfers.is_empty(), "admissions are not windowed transfers");

    // Switch one site to proactive: it gets a plan, and fills it in its window.
    let site = SiteId(0);
    twin.apply(Command::SetSitePolicy { site, policy: PlacementKind::Proactive }).unwrap();
    let snap = twin.snapshot();
    assert_eq!(snap.content.site_policy[0], PlacementKind::Proactive);
    assert!(snap.content.site_plans[0].is_some());
    twin.apply(Command::SetSitePolicy { site, policy: PlacementKind::Reactive(OnlinePolicy::Sieve) }).unwrap();
    twin.advance_minutes(60);
    assert_disks_fit(&twin);
}

#[test]
fn proactive_placement_offloads_the_default_scenario_whose_disks_hold_a_fraction_of_it() {
    let mut twin = Twin::default_scenario().unwrap();
    let model = twin.model().clone();
    let catalogue = model.catalog.total_bytes();
    let largest = model.world.sites.iter().map(|s| s.disk_bytes).max().unwrap();
    assert!(largest < catalogue / 2, "a site holds {largest} bytes of a {catalogue}-byte catalogue");
    twin.advance_minutes(24 * 60);
    let t = twin.totals();
    let offload = t.edge_bytes as f64 / (t.edge_bytes + t.origin_bytes) as f64;
    assert!((0.9..0.995).contains(&offload), "offload {offload}");
}

#[test]
fn the_lp_bound_bounds_the_greedy_planner() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/scenarios/lp-small.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Tight disks (about a sixth of the catalogue per site), where placement matters.
    let scenario = Scenario::parse("lp-small.toml", &text)
        .unwrap()
        .edit("test", |s| {
            s.appliances.storage.disk_tb *= 0.5;
            s.appliances.flash.disk_tb *= 0.5;
            s.policy.placement = PlacementKind::Oracle;
        })
        .unwrap();
    let twin = Twin::new(scenario).unwrap();
    let instance = twin::placement::lp_bound::Instance::from_model(twin.model(), 0.0);
    let bound = instance.lp_upper_bound().unwrap();
    let snap = twin.snapshot();
    let greedy = instance.served_by(|s, f| snap.content.site_plans[s.0 as usize].as_ref().unwrap().files.contains(f));
    let total = instance.total_demand();
    assert!(greedy <= bound * (1.0 + 1e-6) && bound <= total * (1.0 + 1e-6), "{greedy} ≤ {bound} ≤ {total}");
    assert!(greedy > 0.5 * bound, "greedy serves {greedy}, the bound {bound}");
}
