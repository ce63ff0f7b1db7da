//! The What-if view's Sweep tab, driven as an operator would: variants from the edit form and from a range, a
//! small local sweep run in the background, its grid of cells, the ranking and forest plot, a variant opened as
//! a comparison, and the sweep reopened from the history. Rendered on the CPU (Mesa llvmpipe) through
//! egui_kittest; snapshot images live in tests/snapshots/ (refresh with UPDATE_SNAPSHOTS=1).

use std::sync::Arc;
use std::time::Duration;

use edgetwin::sweep::{CellState, SweepStatus};
use edgetwin::ui::shell::ConsoleApp;
use edgetwin::ui::views::whatif::{Tab, WhatifView};
use egui_kittest::kittest::Queryable;
use twin::whatif::{Change, Edit};

mod console;

use console::{console_after, harness, snapshot_options, step_until_within};

fn view(app: &ConsoleApp) -> &WhatifView {
    app.state.find_view::<WhatifView>().unwrap()
}

fn view_mut(app: &mut ConsoleApp) -> &mut WhatifView {
    app.state.find_view_mut::<WhatifView>().unwrap()
}

/// What the twin says of a disk scale below its least.
const REFUSED: &str = "a disk scale must be from 0.1 to 100, not 0.01";

#[test]
fn a_sweep_runs_in_the_background_ranks_its_variants_and_reopens_from_the_history() {
    // The default scenario an hour in, paused: the sweep forks at hour 1.
    let mut h = harness(console_after(1));
    h.run_steps(2);
    h.get_by_label("What-if").click();
    h.run_steps(2);
    h.get_by_label("Sweep").click();
    h.run_steps(2);
    assert_eq!(view(h.state()).tab, Tab::Sweep);

    // Two variants: the edit form's (a disk scale the twin refuses at its time, so its cells fail with the
    // twin's reason), and a range of one value (named as a plan file's [[range]] names it).
    {
        let v = view_mut(h.state_mut());
        v.edits = vec![Edit { at_hours: 0.0, change: Change::Disk { factor: 0.01, cluster: Some(0) } }];
        v.sweep.variant_name = "tiny disk".into();
        (v.sweep.hours, v.sweep.seeds, v.sweep.jobs) = (1.0, 2, 2);
    }
    h.run_steps(1);
    h.get_by_label("Add the edits above as a variant").click();
    h.run_steps(1);
    {
        let range = &mut view_mut(h.state_mut()).sweep.range;
        (range.kind, range.name, range.values) = (3, "demand".into(), "1.5".into());
    }
    h.run_steps(1);
    h.get_by_label("Add range").click();
    h.run_steps(2);
    let names: Vec<String> = view(h.state()).sweep.variants.iter().map(|v| v.name.clone()).collect();
    assert_eq!(names, ["tiny disk", "demand=1.5"]);
    h.get_by_label_contains("fork at 1 h (the console's hour), 6 cell(s)");

    // The grid mid-run, made deterministic: the plan as it would run, with chosen cell states (rows are seed
    // pairs; columns the base, "tiny disk", "demand=1.5").
    let plan = {
        let app = h.state();
        let snap = &app.state.twin.as_ref().unwrap().latest().snapshot;
        view(app).sweep.build_plan(snap).expect("the plan builds")
    };
    assert_eq!((plan.plan.at_hours, plan.plan.hours, plan.plan.seeds, plan.plan.cells()), (1.0, 1.0, 2, 6));
    let status = Arc::new(SweepStatus::new(6));
    status.set(0, CellState::Done);
    status.set(1, CellState::Failed(format!("edit 1 (disk, at 0 h): {REFUSED}")));
    status.set(2, CellState::Done);
    status.set(3, CellState::Running);
    status.set(4, CellState::Running);
    status.say("6 cell(s) to run here on 2 worker(s), 0 already done");
    view_mut(h.state_mut()).sweep.watch(plan.plan.clone(), status);
    h.run_steps(2);
    h.get_by_label("Cancel");
    h.get_by_label_contains("2 done, 1 failed of 6 cell(s)");
    h.get_by_label_contains(&format!("cell 1 (tiny disk, seed pair 0) failed: edit 1 (disk, at 0 h): {REFUSED}"));
    h.snapshot_options("whatif_sweep_running", &snapshot_options());
    // Cancel ends a watched sweep: nothing was running.
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!view(h.state()).sweep.under_way());

    // The sweep itself, in the background.
    h.get_by_label("Run sweep").click();
    h.run_steps(2);
    assert!(view(h.state()).sweep.under_way() || view(h.state()).sweep.report.is_some());
    step_until_within(&mut h, "a cell to finish", Duration::from_secs(180), |app| {
        let s = &view(app).sweep;
        s.report.is_some() || s.status.as_ref().is_some_and(|st| st.counts().0 + st.counts().1 > 0)
    });
    step_until_within(&mut h, "the sweep to finish", Duration::from_secs(180), |app| view(app).sweep.report.is_some());
    let report = view(h.state()).sweep.report.clone().unwrap();
    assert_eq!((report.cells, report.done, report.failed.len(), report.missing.len()), (6, 4, 2, 0), "{report:#?}");
    assert!(
        report.failed.iter().all(|c| c.variant == "tiny disk" && c.reason.contains(REFUSED)),
        "{:?}",
        report.failed
    );
    let demand = report.variants.iter().position(|v| v.name == "demand=1.5").unwrap();
    assert_eq!((report.ranking.as_slice(), report.variants[demand].pairs), ([demand].as_slice(), 2));

    // The ranking, the forest plot, and the failed cells with the twin's reason.
    h.get_by_label("significant");
    h.get_by_label("demand=1.5");
    h.get_by_label("tiny disk");
    h.get_by_label("no pair done");
    h.get_by_label_contains("Forest plot: Δ offload (%)");
    assert_eq!(h.get_all_by_label_contains(REFUSED).count(), 2, "both of tiny disk's cells are listed with why");
    h.get_by_label_contains("saved as sweep #1");
    h.snapshot_options("whatif_sweep", &snapshot_options());

    // A variant opens as an ordinary comparison, in the Compare tab.
    h.get_by_label("Open as comparison").click();
    h.run_steps(2);
    let v = view(h.state());
    assert_eq!(v.tab, Tab::Compare);
    let opened = v.report.as_ref().expect("the variant is on show");
    assert!(opened.title.contains("demand=1.5"), "{}", opened.title);
    assert_eq!((opened.seeds, &opened.deltas), (2, &report.variants[demand].deltas));

    // Saved: it reopens from the history as it was, without a rerun.
    h.get_by_label("Sweep").click();
    h.run_steps(2);
    {
        let sweep = &mut view_mut(h.state_mut()).sweep;
        (sweep.plan, sweep.status, sweep.report) = (None, None, None);
    }
    h.run_steps(2);
    h.get_by_label_contains("No sweep yet");
    h.get_by_label("Open sweep #1").click();
    h.run_steps(2);
    assert_eq!(view(h.state()).sweep.report.as_ref(), Some(&report));
    h.get_by_label("significant");
    drop(h);
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        std::fs::remove_dir_all(data).ok();
    }
}
