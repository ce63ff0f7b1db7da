//! The console, driven as an operator would: real views, real twin worker, rendered on the CPU (Mesa llvmpipe)
//! through egui_kittest. Snapshot images live in tests/snapshots/ (refresh with UPDATE_SNAPSHOTS=1).

use std::path::Path;
use std::time::Duration;

use edgetwin::state::AutoRecord;
use edgetwin::ui::scenario_source::ScenarioSource;
use edgetwin::ui::shell::ConsoleApp;
use edgetwin::ui::view::ViewId;
use edgetwin::ui::views::ingest::IngestView;
use edgetwin::ui::views::map::MapView;
use edgetwin::ui::views::mirror::MirrorView;
use edgetwin::ui::views::whatif::WhatifView;
use edgetwin::ui::views::{REGISTERED, analytics, fill, fleet, ingest, map, mirror, placement, qoe, whatif};
use edgetwin::worker::Request;
use egui_kittest::kittest::Queryable;
use twin::fleet::Activity;
use twin::scenario::ScalingKind;
use twin::{SiteId, Twin};

mod console;

use console::{console_after, harness, sim_minutes, snapshot_options, step_until};

#[test]
fn the_clock_runs_and_every_view_opens() {
    let mut h = harness(console_after(0));
    h.run_steps(2);
    h.get_by_label("Play").click();
    step_until(&mut h, "the clock to move", |app| sim_minutes(app) >= 5);
    h.get_by_label("Pause").click();
    step_until(&mut h, "the worker to pause", |app| app.state.twin.as_ref().is_some_and(|t| !t.latest().playing));
    let paused_at = sim_minutes(h.state());
    std::thread::sleep(Duration::from_millis(200));
    h.run_steps(2);
    assert_eq!(sim_minutes(h.state()), paused_at, "paused means paused");

    h.get_by_label("Step").click();
    step_until(&mut h, "one step", |app| sim_minutes(app) == paused_at + 1);

    // Reset with another seed starts the scenario over under that seed.
    h.state_mut().state.seed_edit = 7;
    h.get_by_label("Reset").click();
    step_until(&mut h, "the reset", |app| app.state.twin.as_ref().is_some_and(|t| t.latest().seed == 7));
    assert_eq!(sim_minutes(h.state()), 0);

    // Something each view shows once open.
    let shows: [(ViewId, &str); 9] = [
        (map::VIEW.id, "Fit world"),
        (qoe::VIEW.id, "QoE & latency · World"),
        (placement::VIEW.id, "files ranked by predicted popularity"),
        (fill::VIEW.id, "Fill now: every site"),
        (fleet::VIEW.id, "Fleet · us-east-1"),
        (whatif::VIEW.id, "No comparison yet"),
        (analytics::VIEW.id, "No events yet"),
        (ingest::VIEW.id, "No deliveries yet"),
        (mirror::VIEW.id, "Mirror a live deployment"),
    ];
    for view in REGISTERED {
        h.get_by_label(view.label).click();
        h.run_steps(2);
        assert_eq!(h.state().state.view, view.id);
        let (_, text) = shows.iter().find(|(id, _)| *id == view.id).expect("a probe for every registered view");
        h.get_by_label_contains(text);
    }
}

#[test]
fn clicking_a_site_opens_its_inspector() {
    let mut h = harness(console_after(2));
    h.run_steps(2);
    // The busiest site, zoomed in far enough that it is drawn alone.
    let (site, name, lat, lon) = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        let world = &p.snapshot.model.world;
        let s = (0..world.sites.len()).max_by_key(|&s| p.snapshot.sites[s].active_sessions).unwrap();
        let (lat, lon) = world.site_location(SiteId(s as u32));
        (SiteId(s as u32), world.sites[s].name.clone(), lat, lon)
    };
    let map = h.state_mut().state.find_view_mut::<MapView>().unwrap();
    (map.center, map.zoom) = ([lon as f32, lat as f32], 60.0);
    h.run_steps(2);
    let pos = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        h.state().state.find_view::<MapView>().unwrap().site_screen_pos(&p.snapshot.model.world, site)
    };
    h.hover_at(pos);
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    assert_eq!(h.state().state.selection.site, Some(site), "the click selected the site under the pointer");
    step_until(&mut h, "the site's history", |app| {
        app.state.twin.as_ref().unwrap().latest().inspected.as_ref().is_some_and(|(s, _)| *s == site)
    });
    assert!(!h.query_all_by_label(&name).collect::<Vec<_>>().is_empty(), "inspector names {name}");
    h.get_by_label_contains("files live");
    h.get_by_label_contains("of offered bytes");
    h.get_by_label("placement policy");
    h.get_by_label("Fill now");
    h.snapshot_options("site_inspector", &snapshot_options());

    h.get_by_label("Take out of service").click();
    step_until(&mut h, "the site to go down", |app| {
        !app.state.twin.as_ref().unwrap().latest().snapshot.site_up[site.0 as usize]
    });
    h.get_by_label("Bring back");
    // Retiring is a what-if: the edit goes to the What-if form, and the twin itself keeps the site.
    h.get_by_label("Retire this site…").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view, whatif::VIEW.id);
    let edits = &h.state().state.find_view::<WhatifView>().unwrap().edits;
    assert_eq!(
        edits.as_slice(),
        [twin::whatif::Edit { at_hours: 0.0, change: twin::whatif::Change::RemoveSite { site: site.0 } }]
    );
    h.get_by_label_contains(&format!("retire {name}"));
    assert!(!h.state().state.twin.as_ref().unwrap().latest().snapshot.site_retired[site.0 as usize]);
    h.get_by_label("Close").click();
    h.run_steps(1);
    assert_eq!(h.state().state.selection.site, None);
}

#[test]
fn a_bad_scenario_shows_the_error_panel() {
    // A fixed path: it appears in the snapshot.
    let dir = std::env::temp_dir().join("edgetwin-ui-bad-scenario");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "name = \"bad\"\nseed = 1\nstart = \"2026-11-23T00:00:00Z\"\nhorizon_hours = \"long\"\n")
        .unwrap();
    let mut h = harness(ConsoleApp::open(ScenarioSource::File(path.clone()), None, AutoRecord::off()));
    step_until(&mut h, "the load to fail", |app| app.state.load_error.is_some());
    h.get_by_label("The scenario could not be loaded");
    h.get_by_label_contains(&format!("{}:4:17:", path.display()));
    h.get_by_label("Load the default scenario");
    h.snapshot_options("error_panel", &snapshot_options());

    h.get_by_label("Load the default scenario").click();
    h.run_steps(1);
    assert!(h.state().state.loading.is_some(), "the default loads in the background");
    step_until(&mut h, "the default scenario", |app| app.state.twin.is_some());
    assert!(h.state().state.load_error.is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn snapshots_of_each_view() {
    let mut h = harness(console_after(20));
    for view in REGISTERED {
        h.state_mut().state.view = view.id;
        h.run_steps(3);
        h.snapshot_options(view.id.key(), &snapshot_options());
    }
    // A region picked in the QoE table lights up on the map.
    h.state_mut().state.view = qoe::VIEW.id;
    h.run_steps(2);
    h.get_by_label("Europe").click();
    h.run_steps(2);
    assert_eq!(h.state().state.selection.region, Some(2));
    h.get_by_label("Map").click();
    h.run_steps(3);
    h.snapshot_options("map_region_selected", &snapshot_options());
}

/// The most and the least popular titles in North America, by the published prediction.
fn hot_and_cold(app: &ConsoleApp) -> (twin::catalog::TitleId, twin::catalog::TitleId) {
    let p = app.state.twin.as_ref().unwrap().latest();
    let order = &p.snapshot.content.predicted[0].order;
    let catalog = &p.snapshot.model.catalog;
    let title = |f: u32| catalog.title_of(twin::catalog::FileId(f));
    (title(order[0]), title(*order.last().unwrap()))
}

/// On the first simulated day the title list shows the prediction the plan was made with, and "–" where no
/// whole day was seen yet (not zeros).
#[test]
fn the_first_day_title_list_shows_the_prediction_the_plan_used() {
    let mut h = harness(console_after(1));
    h.get_by_label("Placement").click();
    h.run_steps(3);
    let (hot, _) = hot_and_cold(h.state());
    let (predicted, seen) = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        p.snapshot.content.title_plays(&p.snapshot.model.catalog, 0, hot)
    };
    assert_eq!(seen, None, "no whole day was seen after one hour");
    assert!(predicted > 1.0, "the plan used a prediction of {predicted} plays for the top title");
    h.get_by_label(&format!("{predicted:.1}"));
    assert!(h.query_all_by_label("–").count() >= 20, "every listed title shows – for not seen yet");
    h.snapshot_options("placement_first_day", &snapshot_options());
}

#[test]
fn picking_a_title_in_the_placement_view_pins_it_and_lights_it_up_on_the_map() {
    let mut h = harness(console_after(20));
    h.get_by_label("Placement").click();
    h.run_steps(2);
    let (hot, _) = hot_and_cold(h.state());
    let name = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        p.snapshot.model.catalog.titles[hot.0 as usize].name.clone()
    };
    h.get_by_label(&name).click();
    h.run_steps(2);
    assert_eq!(h.state().state.selection.title, Some(hot));
    h.get_by_label_contains(" of 200 sites");
    h.get_by_label("Pin").click();
    step_until(&mut h, "the pin", |app| {
        let p = app.state.twin.as_ref().unwrap().latest();
        p.snapshot.content.rules.contains(&(twin::Scope::All, hot, twin::TitleRule::Pin))
    });
    h.get_by_label("Unpin / clear").click();
    step_until(&mut h, "the unpin", |app| app.state.twin.as_ref().unwrap().latest().snapshot.content.rules.is_empty());
    // The map's flows move with the frame clock: a fresh console, stepped a fixed number of frames, draws
    // the same picture every run.
    drop(h);
    let mut h = harness(console_after(20));
    h.get_by_label("Placement").click();
    h.run_steps(2);
    h.get_by_label(&name).click();
    h.run_steps(2);
    h.get_by_label("Show on map").click();
    h.run_steps(3);
    assert_eq!(h.state().state.view, ViewId::MAP);
    h.get_by_label_contains(&format!("{name}: live at"));
    h.snapshot_options("map_title_selected", &snapshot_options());
}

#[test]
fn fill_now_runs_fills_out_of_window_and_they_show_on_the_gantt() {
    let mut h = harness(console_after(20));
    let (_, cold) = hot_and_cold(h.state());
    // Pinning the least popular title everywhere gives every site something to fill.
    h.state().state.twin.as_ref().unwrap().send(Request::Twin(twin::Command::SetTitleRule {
        scope: twin::Scope::All,
        title: cold,
        rule: Some(twin::TitleRule::Pin),
    }));
    h.get_by_label("Fill").click();
    h.run_steps(2);
    h.get_by_label("Fill now: every site").click();
    step_until(&mut h, "forced fills", |app| {
        app.state.twin.as_ref().unwrap().latest().snapshot.content.fill.iter().any(|f| f.forced)
    });
    h.get_by_label("Play").click();
    step_until(&mut h, "a forced transfer of the pinned title", |app| {
        let p = app.state.twin.as_ref().unwrap().latest();
        let catalog = &p.snapshot.model.catalog;
        p.snapshot.content.transfers.iter().any(|t| t.forced && catalog.title_of(t.file) == cold)
    });
    h.get_by_label("Pause").click();
    h.run_steps(2);
}

#[test]
fn the_fleet_view_kills_instances_evacuates_a_region_and_edits_its_policy() {
    let mut h = harness(console_after(20));
    h.get_by_label("Fleet").click();
    h.run_steps(2);
    let fleet = |app: &ConsoleApp| app.state.twin.as_ref().unwrap().latest().snapshot.fleet.clone();
    h.get_by_label("Kill instances").click();
    step_until(&mut h, "the kill", |app| fleet(app).events.iter().any(|e| e.event.activity == Activity::Kill));
    h.get_by_label("Evacuate region").click();
    step_until(&mut h, "the evacuation", |app| fleet(app).evacuated[0]);
    h.get_by_label("Play").click();
    step_until(&mut h, "the evacuated region's members to move", |app| {
        fleet(app).history[0].last().is_some_and(|m| m.evacuated && m.members == 0.0)
    });
    h.get_by_label("Pause").click();
    step_until(&mut h, "the worker to pause", |app| app.state.twin.as_ref().is_some_and(|t| !t.latest().playing));
    h.get_by_label_contains("us-east-1 (evacuated)");
    h.get_by_label("Restore region").click();
    step_until(&mut h, "the restore", |app| !fleet(app).evacuated[0]);
    // A policy edit is sent only when applied.
    h.get_by_label("predictive").click();
    h.run_steps(2);
    assert_eq!(fleet(h.state()).policies[0].kind, ScalingKind::TargetTracking);
    h.get_by_label("Apply policy").click();
    step_until(&mut h, "the policy", |app| fleet(app).policies[0].kind == ScalingKind::Predictive);
}

#[test]
fn the_map_shows_each_region_s_fleet() {
    // The map's flows move with the frame clock: a fresh console, stepped a fixed number of frames, draws the
    // same picture every run; so the evacuation is made on the twin before the console opens.
    let mut twin = Twin::default_scenario().expect("default scenario builds");
    twin.advance_minutes(20 * 60);
    twin.apply(twin::Command::EvacuateRegion { region: 1, evacuated: true }).unwrap();
    twin.advance_minutes(1);
    let mut h = harness(ConsoleApp::with_twin(twin, "default".into(), None));
    h.run_steps(3);
    assert!(h.state().state.twin.as_ref().unwrap().latest().snapshot.fleet.evacuated[1]);
    h.snapshot_options("map_fleet_evacuated", &snapshot_options());
}

#[test]
fn a_panic_in_the_twin_shows_the_error_panel_and_the_console_recovers() {
    let mut h = harness(console_after(1));
    h.run_steps(2);
    let failed = |app: &ConsoleApp| app.state.twin.as_ref().is_some_and(|t| t.latest().failure.is_some());
    h.state().state.twin.as_ref().unwrap().send(Request::InjectPanic);
    step_until(&mut h, "the failure to be published", failed);
    h.get_by_label("The twin stopped");
    h.get_by_label_contains("the simulation panicked: injected by a test");
    h.snapshot_options("twin_stopped", &snapshot_options());

    // Start over: the same worker builds the scenario afresh.
    h.state_mut().state.seed_edit = 9;
    h.get_by_label("Start over").click();
    step_until(&mut h, "the reset", |app| {
        app.state.twin.as_ref().is_some_and(|t| t.latest().failure.is_none() && t.latest().seed == 9)
    });
    h.get_by_label("Step").click();
    step_until(&mut h, "a step after the reset", |app| sim_minutes(app) == 1);

    // Fails again; the default scenario loads in its place.
    h.state().state.twin.as_ref().unwrap().send(Request::InjectPanic);
    step_until(&mut h, "the second failure", failed);
    h.get_by_label("Load the default scenario").click();
    h.run_steps(1);
    assert!(h.state().state.loading.is_some(), "the default loads in the background");
    step_until(&mut h, "the default scenario", |app| app.state.twin.is_some());
    step_until(&mut h, "the clock to run", |app| sim_minutes(app) > 0);
    assert!(!failed(h.state()));
}

#[test]
fn a_what_if_comparison_runs_in_the_background_shows_its_deltas_and_reopens_from_the_history() {
    let mut h = harness(console_after(20));
    let busiest = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        let sites = &p.snapshot.sites;
        (0..sites.len()).max_by(|&a, &b| sites[a].egress_gbps.total_cmp(&sites[b].egress_gbps)).unwrap()
    };
    let history = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("whatif-view-{}", std::process::id()));
    std::fs::remove_dir_all(&history).ok();
    {
        let v = h.state_mut().state.find_view_mut::<WhatifView>().unwrap();
        v.history_path = Some(history.join("history.sqlite"));
        v.hours = 3.0;
    }
    h.state_mut().state.selection.site = Some(SiteId(busiest as u32));
    h.get_by_label("What-if").click();
    h.run_steps(2);
    // The edit comes from the picked site, as an operator would make it.
    h.get_by_label("Take it down").click();
    h.run_steps(1);
    fn view(app: &ConsoleApp) -> &WhatifView {
        app.state.find_view::<WhatifView>().unwrap()
    }
    assert_eq!(view(h.state()).edits.len(), 1);
    h.get_by_label("Close").click();
    h.get_by_label("Run comparison").click();
    step_until(&mut h, "the comparison", |app| view(app).report.is_some());
    let report = view(h.state()).report.clone().unwrap();
    let offload = &report.deltas[0];
    assert_eq!(offload.figure, "offload");
    assert!(offload.delta < 0.0, "taking the busiest site down lowers offload: {offload:?}");
    assert!(report.sites[busiest].served.branch == 0.0 && report.sites[busiest].served.base > 0.0);
    assert_eq!(report.base_series.len(), 3);
    // The console's own twin was not touched by the branch.
    assert!(h.state().state.twin.as_ref().unwrap().latest().snapshot.site_up[busiest]);
    h.snapshot_options("whatif_comparison", &snapshot_options());
    // Saved: it reopens from the history as it was, without a rerun.
    h.state_mut().state.find_view_mut::<WhatifView>().unwrap().report = None;
    h.get_by_label("Open #1").click();
    h.run_steps(2);
    assert_eq!(view(h.state()).report.as_ref(), Some(&report));
    std::fs::remove_dir_all(&history).ok();
}

#[test]
fn what_is_done_by_hand_in_the_console_can_be_replayed_as_edits() {
    let mut h = harness(console_after(20));
    h.get_by_label("Fleet").click();
    h.run_steps(2);
    h.get_by_label("Kill instances").click();
    step_until(&mut h, "the kill to be recorded", |app| {
        app.state.twin.as_ref().is_some_and(|t| t.latest().actions.len() == 1)
    });
    h.get_by_label("What-if").click();
    h.run_steps(2);
    h.get_by_label_contains("1 action(s) made in the console");
    h.get_by_label("Add them as edits").click();
    h.run_steps(1);
    let edits = &h.state().state.find_view::<WhatifView>().unwrap().edits;
    assert_eq!(edits.len(), 1);
    assert!(
        matches!(&edits[0].change, twin::whatif::Change::KillInstances { region, count: 1 } if region == "us-east-1")
    );
}

#[test]
fn the_analytics_view_records_events_and_shows_qoe_drop_off_and_the_titles() {
    use edgetwin::ui::views::analytics::AnalyticsView;
    let mut h = harness(console_after(20));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("analytics-view-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    h.state_mut().state.record.dir = dir.clone();
    h.state_mut().state.find_view_mut::<AnalyticsView>().unwrap().sample = 0.01;
    h.get_by_label("Analytics").click();
    h.run_steps(2);
    h.get_by_label("Record events").click();
    let recording = |app: &ConsoleApp| app.state.twin.as_ref().unwrap().latest().recording.clone();
    step_until(&mut h, "the recording to start", |app| recording(app).is_some());
    let db = recording(h.state()).unwrap().path;
    assert_eq!(db, dir.join("default-seed42-1.db"), "named for the scenario and seed, in the console's folder");
    // Thirty hours, a minute a step (the console is paused), so North and South America have a whole day in
    // the store and are trained on it: the same events every run.
    let start = sim_minutes(h.state());
    for _ in 0..30 * 60 {
        h.state().state.twin.as_ref().unwrap().send(Request::Step);
    }
    step_until(&mut h, "thirty hours", |app| sim_minutes(app) == start + 30 * 60);
    step_until(&mut h, "the writer to commit them all", |app| {
        recording(app).is_some_and(|r| r.taken > 0 && r.written == r.taken)
    });
    let direct = {
        let conn = edgetwin::store::events::open(&db).unwrap();
        edgetwin::store::analytics::summary(&conn, &db, 6).unwrap()
    };
    assert!(direct.qoe.attempts > 1000 && direct.qoe.starts <= direct.qoe.attempts, "{:?}", direct.qoe);
    assert!(!direct.titles.is_empty() && direct.drop_off[0] == 1.0);
    assert!(!direct.searches.is_empty() && direct.search_pct > 10.0, "{:?}", direct.searches);
    assert!(
        direct.training.iter().any(|(region, run)| region == "NA" && run.days_read == 1) && !direct.moves.is_empty(),
        "nightly training ran from the store: {:?}",
        direct.training
    );
    let view = |app: &ConsoleApp| app.state.find_view::<AnalyticsView>().unwrap().summary.clone();
    for _ in 0..20 {
        if view(h.state()).as_ref() == Some(&direct) {
            break;
        }
        h.get_by_label("Refresh").click();
        h.run_steps(3);
        std::thread::sleep(Duration::from_millis(100));
        h.run_steps(3);
    }
    assert_eq!(view(h.state()).as_ref(), Some(&direct), "the view shows what the store holds");
    h.snapshot_options("analytics_recording", &snapshot_options());
    // A title opens its placement.
    let (title, name) = (direct.titles[0].0, direct.titles[0].1.clone());
    // (The first of its links: the most watched title is the most searched too.)
    h.get_all_by_role_and_label(egui::accesskit::Role::Link, &name).next().unwrap().click();
    h.run_steps(2);
    assert_eq!(h.state().state.selection.title, Some(twin::catalog::TitleId(title)));
    assert_eq!(h.state().state.view, placement::VIEW.id);
    // Stopping closes the store; it opens on its own and holds every event taken.
    h.get_by_label("Analytics").click();
    h.run_steps(2);
    h.get_by_label("Stop recording").click();
    step_until(&mut h, "the recording to stop", |app| recording(app).is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_fresh_console_records_a_sample_from_the_start_and_analytics_fills_within_an_hour() {
    use edgetwin::ui::views::analytics::AnalyticsView;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fresh-console-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    // As `cargo run` opens it, with the clock held so that the hour is the same every run.
    let record = AutoRecord { dir: dir.clone(), ..AutoRecord::on() };
    let mut h = harness(ConsoleApp::open_paused(ScenarioSource::Default, None, record));
    let recording = |app: &ConsoleApp| app.state.twin.as_ref().and_then(|t| t.latest().recording.clone());
    step_until(&mut h, "the recording to start with the twin", |app| recording(app).is_some());
    let r = recording(h.state()).unwrap();
    assert_eq!((r.path, r.sample), (dir.join("default-seed42-1.db"), 0.1));
    assert_eq!(sim_minutes(h.state()), 0, "recorded from the twin's first minute");
    for _ in 0..60 {
        h.state().state.twin.as_ref().unwrap().send(Request::Step);
    }
    step_until(&mut h, "an hour", |app| sim_minutes(app) == 60);
    step_until(&mut h, "the writer to commit the hour", |app| {
        recording(app).is_some_and(|r| r.taken > 0 && r.written == r.taken)
    });
    h.get_by_label("Analytics").click();
    let db = dir.join("default-seed42-1.db");
    let direct = {
        let conn = edgetwin::store::events::open(&db).unwrap();
        edgetwin::store::analytics::summary(&conn, &db, 6).unwrap()
    };
    assert!(direct.qoe.attempts > 100 && !direct.titles.is_empty(), "{:?}", direct.qoe);
    let view = |app: &ConsoleApp| app.state.find_view::<AnalyticsView>().unwrap().summary.clone();
    // The view reads the store again every few seconds while events come in: no click needed.
    for _ in 0..200 {
        if view(h.state()).as_ref() == Some(&direct) {
            break;
        }
        h.run_steps(3);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(view(h.state()).as_ref(), Some(&direct), "the view fills from the recording on its own");
    h.get_by_label_contains("Recording 10% of members into default-seed42-1.db");
    h.snapshot_options("analytics_fresh_console", &snapshot_options());
    // The switch: stopping records no more, not even after a reset.
    h.get_by_label("Stop recording").click();
    step_until(&mut h, "the recording to stop", |app| recording(app).is_none());
    assert_eq!(h.state().state.record.sample, None);
    h.get_by_label("Reset").click();
    h.run_steps(2);
    step_until(&mut h, "the reset", |app| sim_minutes(app) == 0);
    h.run_steps(5);
    assert!(recording(h.state()).is_none() && !dir.join("default-seed42-2.db").exists());
    // Recording again starts a new database, and a reset then starts another for the new twin.
    h.get_by_label("Record events").click();
    step_until(&mut h, "a new recording", |app| recording(app).is_some());
    assert_eq!(recording(h.state()).unwrap().path, dir.join("default-seed42-2.db"));
    h.get_by_label("Reset").click();
    step_until(&mut h, "a recording of the reset twin", |app| {
        recording(app).is_some_and(|r| r.path == dir.join("default-seed42-3.db"))
    });
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_title_delivered_in_the_ingest_view_runs_its_stages_and_a_bad_source_fails_with_its_reason() {
    let mut h = harness(console_after(0));
    h.get_by_label("Ingest").click();
    h.run_steps(2);
    let jobs = |app: &ConsoleApp| app.state.twin.as_ref().unwrap().latest().snapshot.ingest.jobs.clone();
    h.state_mut().state.find_view_mut::<IngestView>().unwrap().form.title = "The Long Night".into();
    h.get_by_label("Deliver").click();
    step_until(&mut h, "the delivery", |app| jobs(app).len() == 1);
    // Five simulated minutes: inspect and split are through, the chunks are encoding.
    for minute in 1..=5 {
        h.get_by_label("Step").click();
        step_until(&mut h, "a minute", |app| sim_minutes(app) == minute);
    }
    let job = &jobs(h.state())[0];
    assert_eq!(job.stage(), Some(twin::ingest::Stage::Encode), "{:?}", job.timeline);
    assert!(job.timeline[2].done > 0 && job.timeline[2].done < job.timeline[2].tasks);
    h.get_by_label("Timeline of #1 The Long Night");
    h.snapshot_options("ingest_in_progress", &snapshot_options());

    // A source of half a megabit a second is no studio master: it fails at inspect, and the view says why.
    {
        let form = &mut h.state_mut().state.find_view_mut::<IngestView>().unwrap().form;
        (form.title, form.source_mbps) = ("Truncated".into(), 0.5);
    }
    h.get_by_label("Deliver").click();
    step_until(&mut h, "the second delivery", |app| jobs(app).len() == 2);
    h.get_by_label("Step").click();
    step_until(&mut h, "a minute", |app| sim_minutes(app) == 6);
    assert!(matches!(jobs(h.state())[1].state, twin::ingest::JobState::Failed { .. }));
    h.get_by_label_contains("failed in inspect: bad source: 375.0 MB for 6000 s of video is 500 kbps");
    h.snapshot_options("ingest_failed", &snapshot_options());
}

#[test]
fn an_ingested_titles_journey_shows_it_live_at_the_edge_and_on_the_map() {
    use twin::journey::Leg;
    let mut twin = Twin::default_scenario().expect("default scenario builds");
    twin.advance_minutes(60);
    let genre = twin.model().catalog.genres[1].clone();
    let delivery = twin::ingest::Delivery {
        title: "Harbor Lights".into(),
        episode: None,
        genre,
        duration_s: 110 * 60,
        regions: vec!["EU".into()],
        release_s: 0,
        source: twin::ingest::Source { bytes: 160_000_000_000, width: 3840, height: 2160, fps: 24.0, complexity: 0.8 },
        encoded: Vec::new(),
    };
    twin.apply(twin::Command::Ingest { delivery, ladder: twin::ingest::Ladder::PerTitle }).unwrap();
    // Hour by hour until every site planned for it holds it, and its plays have been served for a while.
    let journey = |twin: &Twin| {
        let snap = twin.snapshot();
        snap.journey(&snap.ingest.jobs[0])
    };
    let mut hours = 0;
    while journey(&twin).leg != Leg::Live {
        assert!(hours < 48, "not live after {hours} h: {:?}", journey(&twin));
        twin.advance_minutes(60);
        hours += 1;
    }
    let j = journey(&twin);
    assert!(j.bytes.edge > 0 && j.live_sites > 0, "{j:?}");
    let title = j.title.unwrap();

    let mut h = harness(ConsoleApp::with_twin(twin, "default".into(), None));
    h.get_by_label("Ingest").click();
    h.run_steps(2);
    h.get_by_label("Journey of Harbor Lights");
    // In the job list and on the journey.
    assert_eq!(h.get_all_by_label(&format!("live at {} sites", j.live_sites)).count(), 2);
    h.snapshot_options("ingest_journey", &snapshot_options());
    h.get_by_label("Show on map").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view, map::VIEW.id);
    assert_eq!(h.state().state.selection.title, Some(title));
    // Its placement detail opens from the journey too.
    h.get_by_label("Ingest").click();
    h.run_steps(2);
    h.get_by_label("Open in placement").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view, placement::VIEW.id);
    assert!(h.get_all_by_label("Harbor Lights").next().is_some(), "its detail shows");
}

#[test]
fn a_title_encoded_for_real_in_the_ingest_view_is_delivered_with_its_real_sizes_and_thumbnails() {
    use edgetwin::encoder::Engine;
    let origin = std::env::temp_dir().join(format!("edgetwin-ui-origin-{}", std::process::id()));
    std::fs::remove_dir_all(&origin).ok();
    let mut h = harness(console_after(0));
    h.state_mut().state.encodes.origin = origin.clone();
    h.get_by_label("Ingest").click();
    h.run_steps(2);
    {
        let form = &mut h.state_mut().state.find_view_mut::<IngestView>().unwrap().form;
        (form.title, form.engine, form.resolution, form.pattern_seconds) = ("Test Card".into(), Engine::Ffmpeg, 3, 6.0);
        form.ladder = twin::ingest::Ladder::Fixed;
    }
    h.run_steps(2);
    h.get_by_label("source file");
    h.get_by_label("Deliver").click();
    let jobs = |app: &ConsoleApp| app.state.twin.as_ref().unwrap().latest().snapshot.ingest.jobs.clone();
    step_until(&mut h, "the real encode and its delivery", |app| jobs(app).len() == 1);
    let job = &jobs(h.state())[0];
    // The job carries what ffmpeg made: 6 s of 720p, and every AVC rung up to 720p at its real size.
    assert_eq!((job.delivery.duration_s, job.delivery.source.height), (6, 720));
    let avc: Vec<_> = job.renditions.iter().filter(|r| r.codec == "avc").collect();
    assert_eq!(avc.len(), 8, "{avc:?}");
    assert!(avc.iter().all(|r| r.bytes > 0 && (r.kbps as f64 / r.rung_kbps as f64 - 1.0).abs() < 0.2), "{avc:?}");
    // Its stills are in the origin folder under the job's keys.
    let stills = origin.join(job.key_prefix()).join("thumbnails/320x180");
    assert!(stills.join("00001.jpg").is_file(), "{}", stills.display());
    for minute in 1..=2 {
        h.get_by_label("Step").click();
        step_until(&mut h, "a minute", |app| sim_minutes(app) == minute);
    }
    let job = &jobs(h.state())[0];
    let title = job.joined_as().expect("in the catalogue");
    // The catalogue sizes its files by what the job really came to (AVC measured, the rest modelled alike).
    let snap = h.state().state.twin.as_ref().unwrap().latest().snapshot.clone();
    let c = &snap.model.catalog;
    let file = c.files_of(title).next().unwrap();
    let scale = job.size_scale();
    assert!((0.9..1.3).contains(&scale), "{scale}");
    assert_eq!(c.file_size_bytes(file), (c.renditions[0].kbps as f64 * scale).round() as u64 * 125 * 6);
    h.get_by_label_contains("encoded in");
    h.get_by_label("Journey of Test Card");
    // (No snapshot: the encode's wall time is in the view. docs/ingest_real.png is one taken here.)
    std::fs::remove_dir_all(&origin).ok();
}

/// Against the emulator (moto; the test command starts it and names it in AWS_ENDPOINT_URL): a demo deployment
/// whose metrics stopped coming 40 minutes ago, and a site whose health endpoint is down. The connection panel
/// shows CloudWatch stale with why, the health source failing with why, the rest ok; the top bar shows the worst;
/// an action (set desired capacity) is refused until actions are on, then confirmed, logged and seen in the
/// group; play forward seeds the twin with the mirrored groups.
#[test]
fn the_mirror_view_shows_each_source_and_a_stale_one_marked_against_the_emulator() {
    use connectors::config::MirrorConfig;
    use connectors::mirror::now_s;
    let url = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: the mirror test runs against moto, which scripts/test-all.sh starts");
    let dir = std::env::temp_dir().join(format!("edgetwin-ui-mirror-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mirror.toml");
    let toml = format!(
        r#"
name = "ui test"
region = "us-east-1"
endpoint_url = "{url}"
poll_seconds = 10
[cloudwatch]
namespace = "edgetwin-ui-{pid}"
[[cloudwatch.kpi]]
kpi = "active_sessions"
metric = {{ name = "ActiveSessions" }}
[[cloudwatch.kpi]]
kpi = "offload_pct"
metric = {{ name = "OffloadPct" }}
[[autoscaling]]
region = "us-east-1"
name = "ui-control-{pid}"
[s3]
origin = "ui-origin-{pid}"
[[health]]
site = "London IXP #1"
url = "http://127.0.0.1:9/health"
"#,
        pid = std::process::id()
    );
    std::fs::write(&path, &toml).unwrap();
    let config = MirrorConfig::load(&path).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut demo = Twin::default_scenario().unwrap();
    demo.advance_minutes(18 * 60);
    runtime.block_on(connectors::demo::create(&config, &mut demo, 60, now_s() - 40 * 60)).unwrap();

    let mut h = harness(console_after(1));
    h.get_by_label("AWS mirror").click();
    h.run_steps(2);
    // A mistake in the configuration shows where it is, and nothing is mirrored.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, toml.replace("poll_seconds = 10", "poll_seconds = 0")).unwrap();
    h.state_mut().state.find_view_mut::<MirrorView>().unwrap().config_path = bad.display().to_string();
    h.get_by_label("Connect").click();
    h.run_steps(2);
    h.get_by_label_contains(&format!("{}:5:16: expected 10 to 3600 seconds between polls", bad.display()));
    assert!(h.state().state.mirror.session.is_none());
    h.state_mut().state.find_view_mut::<MirrorView>().unwrap().config_path = path.display().to_string();
    h.get_by_label("Connect").click();
    step_until(&mut h, "every source polled", |app| {
        app.state.mirror.session.as_ref().is_some_and(|s| s.mirror.state().sources.iter().all(|s| s.polls > 0))
    });
    h.get_by_label_contains("newest data is 4");
    h.get_by_label_contains("unreachable: GET http://127.0.0.1:9/health");
    assert_eq!(h.get_all_by_label("stale").count(), 1, "CloudWatch");
    assert_eq!(h.get_all_by_label("failing").count(), 1, "the health endpoint");
    assert_eq!(h.get_all_by_label("ok").count(), 2, "Auto Scaling and S3");
    h.get_by_label("AWS mirror · ui test · failing");
    h.get_by_label_contains("stale: not the present");
    // The other views draw the deployment where it is mirrored, under a banner saying what and how fresh.
    h.get_by_label("Ingest").click();
    h.run_steps(2);
    h.get_by_label_contains(
        "Mirroring ui test: 1 group(s): limits, 2 world KPI(s), 1 group(s)' instances from the deployment",
    );
    h.get_by_label_contains("Not current: CloudWatch: 2 metric(s) stale");
    h.get_by_label("QoE & latency").click();
    h.run_steps(2);
    h.get_by_label_contains(
        "World KPIs as the deployment reported them; those it does not map are not drawn. Not current",
    );
    if std::env::var_os("UPDATE_DOCS").is_some() {
        h.render().unwrap().save(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/mirror_qoe.png")).unwrap();
    }
    let east =
        h.state().state.twin.as_ref().unwrap().latest().snapshot.fleet.names.iter().position(|n| n == "us-east-1");
    h.state_mut().state.find_view_mut::<edgetwin::ui::views::fleet::FleetView>().unwrap().region = east.unwrap();
    h.get_by_label("Fleet").click();
    h.run_steps(2);
    h.get_by_label_contains("The deployment's group, as mirrored: its instances at each poll.");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        h.render().unwrap().save(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/mirror_fleet.png")).unwrap();
    }
    h.get_by_label("AWS mirror").click();
    h.run_steps(2);

    // Actions are off: the form is there, greyed. On, an action asks to be confirmed, then is done and logged.
    let group = format!("ui-control-{}", std::process::id());
    let desired = |app: &ConsoleApp| {
        let st = app.state.mirror.session.as_ref().unwrap().mirror.state();
        st.observed.groups.iter().find(|g| g.name == group).map(|g| (g.desired, g.min, g.max))
    };
    let (before, min, max) = desired(h.state()).unwrap();
    assert!(before < max, "{before} of {min}..{max}");
    h.get_by_label("Enable actions for this session").click();
    h.run_steps(2);
    h.state_mut().state.find_view_mut::<MirrorView>().unwrap().desired = vec![(group.clone(), before + 1)];
    h.run_steps(1);
    h.get_by_label("Set desired…").click();
    h.run_steps(2);
    h.get_by_label_contains("Confirm: set ui-control");
    h.get_by_label("Confirm").click();
    step_until(&mut h, "the action done and the group polled again", |app| {
        desired(app).is_some_and(|d| d.0 == before + 1)
    });
    h.get_by_label_contains(&format!("{group}: desired capacity {}", before + 1));
    // (No snapshot: ages and latencies change from run to run. docs/mirror.png is one taken here.)
    if std::env::var_os("UPDATE_DOCS").is_some() {
        h.render().unwrap().save(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/mirror.png")).unwrap();
    }

    // Play forward: the twin takes the mirrored group's limits and desired capacity.
    h.get_by_label("Play forward").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view, map::VIEW.id);
    // (The worker may publish the seeded state before it takes the play that follows.)
    step_until(&mut h, "the seeded twin to run", |app| {
        let latest = app.state.twin.as_ref().unwrap().latest();
        latest.playing && latest.snapshot.fleet.events.iter().any(|e| e.event.activity == Activity::SetDesired)
    });
    let fleet = h.state().state.twin.as_ref().unwrap().latest().snapshot.fleet.clone();
    let r = fleet.names.iter().position(|n| n == "us-east-1").unwrap();
    assert_eq!((fleet.policies[r].min, fleet.policies[r].max), (min, max));
    let set = fleet.events.iter().find(|e| e.event.activity == Activity::SetDesired).unwrap();
    assert_eq!((set.region, set.event.to), (r, (before + 1).clamp(min, max)));
    h.get_by_label("Pause").click();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn map_labels_cover_no_other_label_and_no_origin() {
    let mut h = harness(console_after(21));
    h.state_mut().state.view = map::VIEW.id;
    h.run_steps(3);
    let map = h.state().state.find_view::<MapView>().unwrap();
    let labels = map.label_rects();
    let origins = map.origin_marker_rects();
    assert!(labels.len() >= 3, "every origin is labelled: {labels:?}");
    assert!(!origins.is_empty());
    for (i, (a, ra)) in labels.iter().enumerate() {
        for (b, rb) in &labels[i + 1..] {
            assert!(!ra.intersects(*rb), "{a:?} at {ra:?} overlaps {b:?} at {rb:?}");
        }
        for o in origins {
            assert!(!ra.intersects(*o), "{a:?} at {ra:?} covers the origin marker at {o:?}");
        }
    }
}

#[test]
fn a_ready_question_fills_the_what_if_edits_with_the_twin_s_own_ids() {
    let mut h = harness(console_after(20));
    let (busiest, name) = {
        let p = h.state().state.twin.as_ref().unwrap().latest();
        let sites = &p.snapshot.sites;
        let s = (0..sites.len()).max_by(|&a, &b| sites[a].egress_gbps.total_cmp(&sites[b].egress_gbps)).unwrap();
        (s as u32, p.snapshot.model.world.sites[s].name.clone())
    };
    h.get_by_label("What-if").click();
    h.run_steps(2);
    h.get_by_label("Busiest site down at peak").click();
    h.run_steps(2);
    let v = h.state().state.find_view::<WhatifView>().unwrap();
    assert_eq!(v.edits.len(), 1);
    let edit = &v.edits[0];
    assert!(matches!(edit.change, twin::whatif::Change::SiteDown { site } if site == busiest), "{edit:?}");
    assert!((0.0..24.0).contains(&edit.at_hours), "at the next peak, within a day: {edit:?}");
    assert!(v.hours > edit.at_hours, "the horizon reaches the peak: {} h", v.hours);
    assert!(v.message.as_ref().is_some_and(|m| m.contains(&name)), "{:?}", v.message);
    h.snapshot_options("whatif_ready_question", &snapshot_options());
}

#[test]
fn a_loading_scenario_shows_its_world_before_the_twin_is_ready() {
    use edgetwin::ui::loading::Loading;
    // The build tells its world first, then each stage in order, then hands over the twin.
    let mut loading = Loading::start(ScenarioSource::Default, None);
    let twin = loop {
        if let Some(result) = loading.poll() {
            break result.expect("the default builds");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(loading.stage, Some(twin::BuildStage::Engine), "the last stage heard");
    let world = loading.world.expect("the world came before the twin");
    assert_eq!(
        (world.sites.len(), world.metros.len()),
        (twin.model().world.sites.len(), twin.model().world.metros.len())
    );

    // What the console draws meanwhile: the progress line over the world's sites and origins.
    console::private_runtime_dir();
    let mut h =
        egui_kittest::Harness::builder().with_size(console::SIZE).allow_missing_glyphs().wgpu().build_ui(move |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.label("Building default (embedded): planning placement (3 of 5) · 0.3 s; it plays once ready");
                edgetwin::ui::views::map::preview(ui, &world);
            });
        });
    h.run_steps(2);
    h.get_by_label_contains("planning placement (3 of 5)");
    h.snapshot_options("loading_world", &snapshot_options());
}
