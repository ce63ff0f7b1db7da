//! Prediction learns from what the engine observes, not from the demand model: a twin whose demand looks
//! nothing like the naive prior (no burn-in, a steep and regional taste) starts far off and converges on the
//! demand it sees.

use twin::catalog::VideoId;
use twin::placement::oracle::Oracle;
use twin::{Scenario, Twin};

#[test]
fn prediction_converges_to_the_demand_observed() {
    let scenario = Scenario::parse(
        "learn.toml",
        r#"
name = "learn"
seed = 9
start = "2026-11-23T00:00:00Z"
horizon_hours = 24.0
[world]
metros = 40
sites = 30
[catalog]
titles = 60
recent_share = 0.0
[demand]
members = 2000000
zipf_exponent = 1.3
regional_taste_sigma = 1.2
[policy]
burn_in_days = 0
"#,
    )
    .unwrap();
    let mut twin = Twin::new(scenario).unwrap();
    twin.advance_minutes(7 * 24 * 60);
    let errors = twin.snapshot().content.prediction_errors.clone();
    assert!(errors.len() >= 5, "{errors:?}");
    // The first day is the naive prior's; the weekdays after it are learned; the first Saturday's swing to
    // films is not known yet (no weekend seen), and shows as a jump.
    let wape: Vec<f64> = errors.iter().map(|e| e.wape).collect();
    assert!(wape[0] > 0.3, "the naive prior is far from this demand: {wape:?}");
    assert!(wape[1..4].iter().all(|&w| w < 0.05), "prediction converges on the demand seen: {wape:?}");

    // What the plan uses now ranks videos as the demand model does (the test may read the truth; the twin's
    // predictor never does).
    let snap = twin.snapshot();
    let model = &snap.model;
    let videos = model.catalog.videos.len();
    let region = 2; // Europe, where most members of this small world live with North America
    let predicted = &snap.content.predicted_plays[region * videos..(region + 1) * videos];
    let truth_files = Oracle::popularity(model, region, snap.time.seconds() as f64);
    let truth: Vec<f64> =
        (0..videos).map(|v| truth_files[model.catalog.audio_file(VideoId(v as u32)).0 as usize]).collect();
    let top = |x: &[f64]| {
        let mut idx: Vec<usize> = (0..x.len()).collect();
        idx.sort_by(|&a, &b| x[b].total_cmp(&x[a]));
        idx.truncate(50);
        idx
    };
    let (p, t) = (top(predicted), top(&truth));
    let shared = p.iter().filter(|v| t.contains(v)).count();
    assert!(shared >= 35, "{shared} of the 50 most popular videos agree");
}
