//! Recording the requests offered to one site: it changes nothing, it is deterministic, and the result is a
//! trace the cache policies replay.

use twin::cache::{self, Access, Capacity, ReplayStats};
use twin::{Scenario, SiteId, Twin};

fn twin(threads: usize) -> Twin {
    let s = Scenario::parse(
        "t.toml",
        "name = \"t\"\nseed = 3\nstart = \"2026-11-23T00:00:00Z\"\nhorizon_hours = 3.0\n[world]\nmetros = 30\nsites = 40\n\
         [catalog]\ntitles = 100\n[demand]\nmembers = 500000\n[policy]\nburn_in_days = 2\n",
    )
    .unwrap();
    let mut t = Twin::new(s).unwrap();
    t.set_threads(threads);
    t
}

#[test]
fn recording_changes_nothing_and_is_deterministic() {
    let mut plain = twin(2);
    plain.advance_minutes(120);
    let busiest = (0..plain.model().world.sites.len())
        .max_by_key(|&s| plain.site_history(SiteId(s as u32)).iter().map(|m| m.plays).sum::<u32>())
        .unwrap();

    let record = |threads| {
        let mut t = twin(threads);
        t.record_site_requests(Some(SiteId(busiest as u32)));
        t.advance_minutes(120);
        t
    };
    let (a, b) = (record(2), record(1));
    assert_eq!(a.kpis(), plain.kpis(), "recording does not disturb the simulation");
    assert_eq!(a.recorded_requests(), b.recorded_requests(), "same trace on one thread or two");
    let trace = a.recorded_requests();
    let plays: u32 = plain.site_history(SiteId(busiest as u32)).iter().map(|m| m.plays).sum();
    assert!(trace.len() as u32 >= plays, "the site is offered at least what it served: {} < {plays}", trace.len());
    assert!(trace.windows(2).all(|w| w[0].time_s <= w[1].time_s));

    // LRU caches smaller than the catalogue: a larger one misses less, and neither holds everything.
    let catalogue = a.model().catalog.total_bytes();
    let miss = |bytes: u64| {
        let mut lru = cache::Lru::new(Capacity::Bytes(bytes));
        let mut s = ReplayStats::default();
        let accesses = trace.iter().map(|r| Access::new(r.obj_id, r.size_bytes as u64));
        cache::replay(&mut lru, Capacity::Bytes(bytes), accesses, &mut s);
        s.byte_miss_ratio()
    };
    let (small, large) = (miss(catalogue / 50), miss(catalogue / 5));
    assert!(large < small && small < 1.0 && large > 0.0, "a fiftieth misses {small:.3}, a fifth {large:.3}");
}
