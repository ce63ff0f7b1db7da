//! A short fixed-seed run of every fuzz target, so CI catches a parser that panics on the easy cases. The long
//! runs are `cargo run --release -p fuzz -- <target> --execs N`.

#[test]
fn every_target_survives_a_fixed_seed_smoke_run() {
    let out_dir = std::env::temp_dir().join(format!("edgetwin-fuzz-smoke-{}", std::process::id()));
    for target in fuzz::targets::ALL {
        let config = fuzz::Config { execs: 20_000, seed: 7, extra_seeds: Vec::new(), out_dir: out_dir.clone() };
        let report = fuzz::fuzz(target, &config);
        eprintln!("{report}");
        assert_eq!(report.execs, 20_000);
        assert!(report.crashes.is_empty(), "{}: {:?}", target.name, report.crashes);
        assert!(
            report.outcomes > 1,
            "{}: every input behaved alike; the mutator is not reaching the parser",
            target.name
        );
    }
    std::fs::remove_dir_all(&out_dir).ok();
}
