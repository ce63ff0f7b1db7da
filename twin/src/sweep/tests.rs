use super::*;
use crate::test_support::small_scenario;
use crate::whatif::{Change, Progress, run_pairs};

const EXAMPLE: &str = r#"
scenario = "default"        # or a path
at = 20                     # hours before the fork
hours = 24                  # horizon after it
seeds = 10                  # seed pairs
objective = "backbone"      # the KPI to rank by (its direction is known)

[[variant]]
name = "fill-later"
[[variant.edit]]            # the edits file's own [[edit]] fields
kind = "fill_window"
start_hour = 4
hours = 10

[[range]]                   # expands into one variant per value
name = "disk"
kind = "disk"
cluster = 3
field = "factor"
values = [0.5, 0.75, 1.0, 1.5, 2.0]
"#;

fn no_files(path: &str) -> Result<(String, String), String> {
    Err(format!("no file {path} here"))
}

fn parse(text: &str) -> Result<SweepPlan, InputError> {
    SweepPlan::parse("plan.toml", text, &mut no_files)
}

#[test]
fn the_issues_example_expands_its_range_and_round_trips() {
    let plan = parse(EXAMPLE).expect("valid");
    assert_eq!((plan.scenario.as_str(), plan.at_hours, plan.hours, plan.seeds), ("default", 20.0, 24.0, 10));
    assert_eq!(plan.objective, Objective::Backbone);
    let names: Vec<&str> = plan.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["fill-later", "disk=0.5", "disk=0.75", "disk=1", "disk=1.5", "disk=2"]);
    assert_eq!(
        plan.variants[1].edits.edits,
        vec![Edit { at_hours: 0.0, change: Change::Disk { factor: 0.5, cluster: Some(3) } }]
    );
    assert_eq!(plan.variants[0].edits.edits[0].change, Change::FillWindow { start_hour: Some(4.0), hours: Some(10.0) });
    assert_eq!(plan.cells(), 10 * 7);
    let again = parse(&plan.to_toml("default")).expect("its own text reads back");
    assert_eq!(again, plan);
    // The digest names the plan and the scenario's text, not where the scenario lives.
    let d = plan.digest("scenario text");
    assert_eq!(d.len(), 16);
    assert_eq!(SweepPlan { scenario: "elsewhere.toml".into(), ..plan.clone() }.digest("scenario text"), d);
    assert_ne!(plan.digest("another scenario"), d);
    assert_ne!(SweepPlan { seeds: 9, ..plan.clone() }.digest("scenario text"), d);
}

#[test]
fn each_objective_is_its_own_figure() {
    let figures: Vec<usize> = Objective::ALL.iter().map(|o| o.figure()).collect();
    let mut distinct = figures.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), Objective::ALL.len(), "{figures:?}");
    assert_eq!(FIGURES[Objective::Backbone.figure()].0, "backbone");
    assert_eq!(FIGURES[Objective::Cost.figure()].0, "fleet cost");
    assert!(Objective::Offload.higher_is_better() && !Objective::StartupP95.higher_is_better());
}

#[test]
fn cells_are_each_seeds_base_then_its_variants() {
    let plan = parse(EXAMPLE).unwrap();
    assert_eq!(plan.cell(0).unwrap(), Cell { index: 0, seed: 0, variant: None });
    assert_eq!(plan.cell(6).unwrap(), Cell { index: 6, seed: 0, variant: Some(5) });
    assert_eq!(plan.cell(7).unwrap(), Cell { index: 7, seed: 1, variant: None });
    assert_eq!(plan.cell_name(plan.cell(8).unwrap()), "fill-later");
    let e = plan.cell(70).unwrap_err().to_string();
    assert!(e.contains("no cell 70") && e.contains("70"), "{e}");
}

#[test]
fn a_variant_takes_its_edits_from_a_file_and_a_bad_one_is_located_in_that_file() {
    let text = "scenario = \"default\"\nhours = 2\nseeds = 1\nobjective = \"offload\"\n\
                [[variant]]\nname = \"lru\"\nedits = \"lru.toml\"\n";
    let mut read = |path: &str| Ok((format!("dir/{path}"), "[[edit]]\nkind = \"policy\"\npolicy = \"lru\"\n".into()));
    let plan = SweepPlan::parse("plan.toml", text, &mut read).unwrap();
    assert_eq!(plan.variants[0].edits.edits.len(), 1);
    let mut bad =
        |path: &str| Ok((format!("dir/{path}"), "[[edit]]\nkind = \"policy\"\n\n[[edit]]\nkind = \"nope\"\n".into()));
    let e = SweepPlan::parse("plan.toml", text, &mut bad).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("dir/lru.toml", 1), "{e}");
    let e = SweepPlan::parse("plan.toml", text, &mut no_files).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("plan.toml", 5), "{e}");
    assert!(e.message.contains("lru.toml"), "{e}");
}

#[test]
fn hostile_plans_get_located_errors() {
    let head = "scenario = \"default\"\nat = 1\nhours = 2\nseeds = 2\nobjective = \"offload\"\n";
    let variant = "[[variant]]\nname = \"v\"\n[[variant.edit]]\nkind = \"site_down\"\nsite = 1\n";
    let cases: Vec<(String, usize, &str)> = vec![
        (head.replace("seeds = 2", "seeds = 0") + variant, 4, "seeds"),
        (head.replace("seeds = 2", "seeds = 5000") + variant + &variant.replace("\"v\"", "\"w\""), 4, "10000"),
        (head.to_string() + &variant.replace("site_down", "site_sideways"), 6, "site_sideways"),
        (head.to_string() + "[[range]]\nname = \"d\"\nkind = \"disk\"\nfield = \"factor\"\nvalues = []\n", 6, "empty"),
        (
            head.to_string() + "[[range]]\nname = \"d\"\nkind = \"disk\"\nfield = \"factor\"\nvalues = [1.0, nan]\n",
            6,
            "finite",
        ),
        (head.to_string(), 1, "empty plan"),
        (String::new(), 1, "scenario"),
        ("this is not toml at all {".into(), 1, "expected"),
        (head.replace("objective = \"offload\"", "objective = \"happiness\""), 5, "backbone"),
        (head.replace("hours = 2", "hours = nan") + variant, 3, "finite"),
        (head.replace("hours = 2", "hours = 1e9") + variant, 3, "at most 8760"),
        (head.to_string() + &variant.replace("site = 1", "site = 1\nat_hours = 2"), 6, "before the horizon"),
        (head.to_string() + variant + variant, 11, "two variants"),
        (head.to_string() + &variant.replace("\"v\"", "\"base\""), 6, "base"),
    ];
    for (text, line, said) in cases {
        let e = parse(&text).expect_err(&text);
        assert_eq!((e.file.as_str(), e.line), ("plan.toml", line), "{text}\n→ {e}");
        assert!(e.message.contains(said), "{text}\n→ {e} (expected it to say {said:?})");
    }
}

/// A plan of `variants` on the small scenario: 2 h to the fork, 3 h after it.
fn small_plan(seeds: u32, variants: &str) -> SweepPlan {
    parse(&format!("scenario = \"small\"\nat = 2\nhours = 3\nseeds = {seeds}\nobjective = \"offload\"\n{variants}"))
        .unwrap()
}

fn run_all(plan: &SweepPlan) -> (String, Vec<Option<CellResult>>) {
    let scenario = small_scenario();
    let digest = plan.digest("small");
    let cells =
        (0..plan.cells()).map(|i| run_cell(plan, &scenario, &digest, i, 1, &Default::default()).unwrap()).collect();
    (digest, cells)
}

#[test]
fn a_sweeps_paired_deltas_are_the_comparisons_and_its_cells_are_deterministic() {
    let plan = small_plan(2, "[[variant]]\nname = \"down\"\n[[variant.edit]]\nkind = \"site_down\"\nsite = 0\n");
    let (digest, cells) = run_all(&plan);
    let report = SweepReport::new(&plan, "small", &digest, &cells, &[]);
    assert_eq!((report.done, report.cells), (4, 4));
    assert!(report.failed.is_empty() && report.missing.is_empty());

    // The same comparison through what-if, from a fork of the same scenario at the same hour.
    let mut fork = Twin::new(small_scenario()).unwrap();
    fork.set_threads(1);
    fork.advance_minutes(120);
    let pairs = run_pairs(&fork, &plan.variants[0].edits, 3.0, 2, &Progress::default()).unwrap().unwrap();
    assert_eq!(report.variants[0].deltas, whatif::deltas(&pairs));
    assert_eq!(report.variants[0].pairs, 2);

    // A cell run again, alone and with more threads, gives the same result.
    let again = run_cell(&plan, &small_scenario(), &digest, 3, 2, &Default::default()).unwrap();
    assert_eq!(again, cells[3]);
}

#[test]
fn the_report_ranks_by_the_objective_and_names_failed_and_missing_cells() {
    let plan = small_plan(
        2,
        "[[variant]]\nname = \"down\"\n[[variant.edit]]\nkind = \"site_down\"\nsite = 0\n\
         [[variant]]\nname = \"tiny-disk\"\n[[variant.edit]]\nkind = \"disk\"\nfactor = 0.01\n\
         [[range]]\nname = \"fill-caps\"\nkind = \"fill_caps\"\nfield = \"factor\"\nvalues = [0.5, 2]\n",
    );
    let (digest, mut cells) = run_all(&plan);
    // The twin refuses a disk of 1% at its time: a failed cell with the twin's reason, not an error.
    let tiny = plan.variants.iter().position(|v| v.name == "tiny-disk").unwrap();
    let CellOutcome::Failed(why) = &cells[tiny + 1].as_ref().unwrap().outcome else { panic!("the cell ran") };
    assert!(why.contains("disk scale"), "{why}");
    // One cell never came back; another's reason was heard from elsewhere.
    cells[3 + 5] = None;
    cells[4 + 5] = None;
    let report = SweepReport::new(&plan, "small", &digest, &cells, &[(9, "killed".into())]);
    let failed: Vec<(u32, &str)> = report.failed.iter().map(|f| (f.index, f.variant.as_str())).collect();
    assert_eq!(failed, [(2, "tiny-disk"), (7, "tiny-disk"), (9, "fill-caps=2")]);
    assert_eq!(report.failed[2].reason, "killed");
    let missing: Vec<(u32, u32)> = report.missing.iter().map(|m| (m.index, m.seed_pair)).collect();
    assert_eq!(missing, [(8, 1)]);
    assert_eq!(report.done, 10 - 4);
    // Ranked by offload, best first, over the variants with a pair.
    let offload = |v: usize| report.variants[v].deltas[Objective::Offload.figure()].delta;
    assert_eq!(report.ranking.len(), 3, "tiny-disk has no pair");
    assert!(report.ranking.windows(2).all(|w| offload(w[0]) >= offload(w[1])));
    assert_eq!(report.variants[tiny].rank, None);
    assert_eq!(report.variants[report.ranking[0]].rank, Some(1));
    let down = &report.variants[0];
    assert!(down.deltas[0].interval.is_some() && down.unpaired_interval.is_some(), "two pairs give intervals");
    let half = &report.variants[2];
    assert_eq!(half.pairs, 1, "{} lost its second seed's cell", half.name);
    assert!(half.deltas[0].interval.is_none() && half.unpaired_interval.is_none(), "one pair gives no interval");
    // A cell of another sweep is no cell of this one.
    let other = SweepReport::new(&plan, "small", "0000000000000000", &cells, &[]);
    assert_eq!(other.done, 0);
}
