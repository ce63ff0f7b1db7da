use super::*;
use crate::catalog::Catalog;
use crate::test_support::small_scenario;

/// The small scenario's catalogue ladders (AVC, HEVC, AV1 up to 4K).
fn ladders() -> (Vec<String>, Vec<Rendition>) {
    let c = Catalog::build(&small_scenario());
    (c.codecs, c.renditions)
}

fn delivery(title: &str, duration_s: u32, complexity: f64) -> Delivery {
    Delivery {
        title: title.into(),
        episode: None,
        genre: "drama".into(),
        duration_s,
        regions: vec!["Europe".into()],
        release_s: 0,
        // A 4K mezzanine at 200 Mbps.
        source: Source { bytes: duration_s as u64 * 25_000_000, width: 3840, height: 2160, fps: 24.0, complexity },
        encoded: Vec::new(),
    }
}

fn spec() -> IngestSpec {
    IngestSpec { failure_rate: 0.0, ..IngestSpec::default() }
}

fn ingest(spec: &IngestSpec) -> Ingest {
    Ingest::new(spec, 7, &["us-east-1".into(), "eu-west-1".into()])
}

fn run(ingest: &mut Ingest, deliveries: Vec<Delivery>, ladder: Ladder) {
    let (codecs, renditions) = ladders();
    for d in deliveries {
        ingest.deliver(d, ladder, &codecs, &renditions, 0);
    }
    ingest.advance(48 * 3600 * 1000);
}

#[test]
fn stages_run_in_order_each_after_the_one_before_and_the_origin_gets_every_object() {
    let mut ing = ingest(&spec());
    run(&mut ing, vec![delivery("The Long Night", 2 * 3600, 1.0)], Ladder::Fixed);
    let job = &ing.jobs()[0];
    assert!(matches!(job.state, JobState::Done { .. }), "{:?}", job.state);
    let stages: Vec<Stage> = job.timeline.iter().map(|s| s.stage).collect();
    assert_eq!(stages, STAGES);
    for pair in job.timeline.windows(2) {
        assert_eq!(Some(pair[1].start_ms), pair[0].end_ms, "{:?} starts when {:?} ends", pair[1].stage, pair[0].stage);
    }
    for span in &job.timeline {
        assert_eq!(span.done, span.tasks, "{:?}", span.stage);
        assert!(span.end_ms.unwrap() > span.start_ms, "{:?} takes time", span.stage);
    }
    // Every rung up to the source's 4K, of every codec: 120 chunks of each.
    let (_, renditions) = ladders();
    assert_eq!(job.renditions.len(), renditions.len());
    assert_eq!(job.chunks.len(), 120);
    assert_eq!(job.timeline[2].tasks as usize, 120 * renditions.len());
    // Both buckets hold the renditions' bytes and the thumbnails, plus init segments and playlists.
    let media = job.stored_bytes();
    for b in &ing.origin().buckets {
        assert!(b.stats.bytes > media && b.stats.bytes < media + media / 1000, "{} of {media}", b.stats.bytes);
        let segments = b.list("the-long-night/feature/avc/", "", usize::MAX).filter(|(k, _)| k.ends_with(".m4s"));
        let avc = job.renditions.iter().filter(|r| r.codec == "avc").count();
        assert_eq!(segments.count(), avc * 1800, "a 4 s segment per rendition");
    }
    let b = ing.origin().bucket("eu-west-1").unwrap();
    assert!(b.list("the-long-night/feature/thumbnails/320x180/", "", 1).next().is_some());
}

#[test]
fn jobs_share_the_pool_within_its_concurrency_limit() {
    let limited = IngestSpec { concurrency: 50, ..spec() };
    let mut ing = ingest(&limited);
    let titles = (0..3).map(|i| delivery(&format!("Title {i}"), 1800, 1.0)).collect();
    run(&mut ing, titles, Ladder::Fixed);
    let pool = ing.pool();
    assert_eq!(pool.stats.peak_running, 50, "three jobs' encodes fill the pool and no more");
    assert_eq!((pool.running, pool.queued), (0, 0));
    assert!(ing.jobs().iter().all(|j| matches!(j.state, JobState::Done { .. })));
    // With a wider pool the same work finishes sooner.
    let mut wide = ingest(&IngestSpec { concurrency: 500, ..spec() });
    run(&mut wide, (0..3).map(|i| delivery(&format!("Title {i}"), 1800, 1.0)).collect(), Ladder::Fixed);
    let end = |ing: &Ingest| {
        ing.jobs().iter().map(|j| if let JobState::Done { at_ms } = j.state { at_ms } else { 0 }).max().unwrap()
    };
    assert!(end(&wide) * 2 < end(&ing), "{} ms vs {} ms", end(&wide), end(&ing));
    assert!(pool.stats.cost_usd > 0.0 && pool.stats.cold_starts >= 50);
}

#[test]
fn failures_are_retried_and_a_job_that_cannot_finish_says_why() {
    // Passing failures: retried, and the job still finishes.
    let mut ing = ingest(&IngestSpec { failure_rate: 0.05, max_retries: 3, ..spec() });
    run(&mut ing, vec![delivery("Flaky", 1200, 1.0)], Ladder::Fixed);
    assert!(ing.pool().stats.retries > 10, "{:?}", ing.pool().stats);
    assert!(matches!(ing.jobs()[0].state, JobState::Done { .. }), "{:?}", ing.jobs()[0].state);

    // No retries left.
    let mut ing = ingest(&IngestSpec { failure_rate: 0.5, max_retries: 1, ..spec() });
    run(&mut ing, vec![delivery("Doomed", 1200, 1.0)], Ladder::Fixed);
    let JobState::Failed { reason, .. } = &ing.jobs()[0].state else { panic!("{:?}", ing.jobs()[0].state) };
    assert!(reason.contains("failed on all 2 tries"), "{reason}");
    assert_eq!((ing.pool().running, ing.pool().queued), (0, 0), "its other tasks were dropped");

    // A chunk over the time limit: ten-minute chunks of 4K HEVC on one vCPU.
    let slow = IngestSpec { chunk_s: 600.0, memory_mb: 1769, ..spec() };
    let mut ing = ingest(&slow);
    run(&mut ing, vec![delivery("Too Long", 1200, 1.0)], Ladder::Fixed);
    let JobState::Failed { stage, reason, .. } = &ing.jobs()[0].state else { panic!("{:?}", ing.jobs()[0].state) };
    assert_eq!(*stage, Stage::Encode);
    assert!(reason.contains("over the 900 s time limit") && reason.contains("chunk "), "{reason}");
    assert!(ing.origin().buckets.iter().all(|b| b.stats.objects == 0), "nothing reached the origin");

    // A truncated source fails at inspect.
    let mut ing = ingest(&spec());
    let mut bad = delivery("Truncated", 3600, 1.0);
    bad.source.bytes = 4096;
    run(&mut ing, vec![bad], Ladder::Fixed);
    let JobState::Failed { stage, reason, .. } = &ing.jobs()[0].state else { panic!("{:?}", ing.jobs()[0].state) };
    assert_eq!(*stage, Stage::Inspect);
    assert!(reason.starts_with("bad source:") && reason.contains("truncated"), "{reason}");

    // Metadata no source can have: refused at inspect, with nothing made for it first.
    let mut ing = ingest(&spec());
    let mut endless = delivery("Endless", 1000, 1.0);
    endless.duration_s = u32::MAX;
    run(&mut ing, vec![endless], Ladder::Fixed);
    let job = &ing.jobs()[0];
    assert!(job.chunks.is_empty());
    let JobState::Failed { reason, .. } = &job.state else { panic!("{:?}", job.state) };
    assert!(reason.contains("expected 1 s to 12 h"), "{reason}");
}

#[test]
fn per_title_ladders_cost_less_for_an_easy_source_and_the_fixed_ladder_ignores_it() {
    let bytes = |complexity: f64, ladder: Ladder| {
        let mut ing = ingest(&spec());
        run(&mut ing, vec![delivery("T", 1800, complexity)], ladder);
        ing.jobs()[0].stored_bytes()
    };
    let (easy, hard) = (bytes(0.5, Ladder::PerTitle), bytes(1.4, Ladder::PerTitle));
    assert!((easy as f64) < 0.4 * hard as f64, "{easy} vs {hard}");
    assert_eq!(bytes(0.5, Ladder::Fixed), bytes(1.4, Ladder::Fixed));
}

#[test]
fn a_source_below_4k_gets_no_rung_above_its_resolution() {
    let mut ing = ingest(&spec());
    let mut hd = delivery("HD", 600, 1.0);
    (hd.source.width, hd.source.height) = (1920, 1080);
    run(&mut ing, vec![hd], Ladder::Fixed);
    let job = &ing.jobs()[0];
    assert!(!job.renditions.is_empty());
    assert!(job.renditions.iter().all(|r| !r.resolution.starts_with("3840")), "{:?}", job.renditions);
}

#[test]
fn a_job_delivered_later_starts_then_and_the_one_before_keeps_its_pace() {
    let (codecs, renditions) = ladders();
    let alone = {
        let mut ing = ingest(&spec());
        ing.deliver(delivery("First", 1800, 1.0), Ladder::Fixed, &codecs, &renditions, 0);
        ing.advance(u64::MAX / 4);
        ing.jobs()[0].timeline.clone()
    };
    let mut ing = ingest(&IngestSpec { concurrency: 5000, ..spec() });
    ing.deliver(delivery("First", 1800, 1.0), Ladder::Fixed, &codecs, &renditions, 0);
    ing.advance(100_000);
    ing.deliver(delivery("Second", 1800, 1.0), Ladder::Fixed, &codecs, &renditions, 100_000);
    ing.advance(u64::MAX / 4);
    let (first, second) = (&ing.jobs()[0], &ing.jobs()[1]);
    assert_eq!(second.timeline[0].start_ms, 100_000);
    assert!(matches!(second.state, JobState::Done { .. }));
    // A pool wide enough for both: the first job's stages begin and end as they did alone.
    let starts = |t: &[StageSpan]| t.iter().map(|s| (s.start_ms, s.end_ms)).collect::<Vec<_>>();
    assert_eq!(starts(&first.timeline), starts(&alone));
}

#[test]
fn a_running_twin_takes_a_delivery_as_a_command_and_its_clock_runs_the_job() {
    let mut twin = crate::Twin::new(small_scenario()).unwrap();
    twin.advance_minutes(10);
    let delivery = delivery("Live Premiere", 1200, 0.8);
    twin.apply(crate::Command::Ingest { delivery, ladder: Ladder::PerTitle }).unwrap();
    let snap = twin.snapshot();
    let job = &snap.ingest.jobs[0];
    assert_eq!((job.submitted_ms, job.stage()), (600_000, Some(Stage::Inspect)));
    twin.advance_minutes(60);
    let snap = twin.snapshot();
    let job = &snap.ingest.jobs[0];
    let JobState::Done { at_ms } = job.state else { panic!("{:?}", job.state) };
    assert!(at_ms > 600_000 && at_ms <= 70 * 60_000);
    assert!(snap.ingest.buckets.iter().all(|(_, b)| b.bytes > job.stored_bytes()));
    // A fork carries the job and the origin with it.
    assert_eq!(twin.fork().snapshot().ingest.jobs.len(), 1);
}

#[test]
fn renditions_encoded_for_real_take_the_place_of_their_codec_familys_model() {
    let (codecs, renditions) = ladders();
    let mut d = delivery("Real", 600, 1.0);
    // Two AVC rungs, at half the ladder's bytes, as a real per-title encode of an easy source might give.
    d.encoded = vec![
        Encoded {
            codec: "avc".into(),
            resolution: "854x480".into(),
            rung_kbps: 525,
            kbps: 525,
            bytes: 525 * 125 * 600,
        },
        Encoded {
            codec: "avc".into(),
            resolution: "1280x720".into(),
            rung_kbps: 1500,
            kbps: 1500,
            bytes: 1500 * 125 * 600,
        },
    ];
    let job = Job::new(0, d.clone(), Ladder::PerTitle, 60.0, &codecs, &renditions);
    let avc: Vec<&Encoded> = job.renditions.iter().filter(|r| r.codec == "avc").collect();
    assert_eq!(avc, d.encoded.iter().collect::<Vec<_>>(), "the real renditions, in place of the modelled ones");
    assert!(job.renditions.iter().any(|r| r.codec == "hevc") && job.renditions.iter().any(|r| r.codec == "av1"));
    assert_eq!(job.codecs(), ["avc", "hevc", "av1"], "in ladder order");
    // Its size against the catalogue's rungs: below 1, by the real AVC's saving.
    let modelled = Job::new(0, delivery("Real", 600, 1.0), Ladder::PerTitle, 60.0, &codecs, &renditions);
    assert!((modelled.size_scale() - 1.0).abs() < 1e-9);
    assert!(job.size_scale() < modelled.size_scale(), "{}", job.size_scale());
}
