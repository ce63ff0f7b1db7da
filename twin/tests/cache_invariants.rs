//! Invariants every policy keeps, on random request sequences, checked against a model built only from what the
//! cache reports: the objects admitted (every miss that fits) less those reported evicted. A request hits
//! exactly when the model holds its object, the model never exceeds the capacity, and only cached objects are
//! reported evicted, and `contains` agrees with the model. This is what lets a reactive site mirror its contents
//! from the `evicted` out-parameter.

use std::collections::HashMap;

use proptest::prelude::*;
use twin::cache::{Access, Belady, Capacity, OnlinePolicy, Policy};

fn check(cache: &mut dyn Policy, capacity: Capacity, requests: &[(u64, Option<u64>)]) -> Result<(), TestCaseError> {
    // Sizes are fixed per object and small against the capacity, so every miss is admitted by every policy
    // (S3-FIFO admits only objects smaller than its small queue, a tenth of the capacity).
    let size_of = |id: u64| 1 + id % 5;
    let mut model: HashMap<u64, u64> = HashMap::new();
    let mut evicted = Vec::new();
    for (i, &(id, next_access)) in requests.iter().enumerate() {
        evicted.clear();
        let hit = cache.request(Access { obj_id: id, size_bytes: size_of(id), next_access }, &mut evicted);
        prop_assert_eq!(hit, model.contains_key(&id), "request {} for {}: {}", i, id, cache.name());
        for gone in &evicted {
            prop_assert!(*gone != id && model.remove(gone).is_some(), "{} evicted {} at {}", cache.name(), gone, i);
        }
        if !hit {
            model.insert(id, capacity.cost(size_of(id)));
        }
        prop_assert!(model.values().sum::<u64>() <= capacity.limit(), "{} over capacity at {}", cache.name(), i);
        for probe in [id, (id + 7) % 30] {
            prop_assert_eq!(
                cache.contains(probe),
                model.contains_key(&probe),
                "{} contains {} at {}",
                cache.name(),
                probe,
                i
            );
        }
    }
    Ok(())
}

/// Request sequences over 30 objects, with each request's true next access (for Belady).
fn requests() -> impl Strategy<Value = Vec<(u64, Option<u64>)>> {
    prop::collection::vec(0u64..30, 1..400).prop_map(|ids| {
        let mut next = vec![None; ids.len()];
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate().rev() {
            next[i] = seen.insert(*id, i as u64 + 1);
        }
        ids.into_iter().zip(next).collect()
    })
}

proptest! {
    #[test]
    fn caches_report_exactly_what_they_hold(requests in requests(), objects in 20u64..40, bytes in 60u64..120) {
        for capacity in [Capacity::Objects(objects), Capacity::Bytes(bytes)] {
            for p in OnlinePolicy::ALL {
                check(&mut p.cache(capacity), capacity, &requests)?;
            }
            check(&mut Belady::new(capacity), capacity, &requests)?;
        }
    }

    #[test]
    fn belady_misses_no_more_than_any_online_policy(requests in requests(), objects in 1u64..12) {
        let capacity = Capacity::Objects(objects);
        let misses = |cache: &mut dyn Policy| {
            let mut evicted = Vec::new();
            requests
                .iter()
                .filter(|&&(obj_id, next_access)| !cache.request(Access { obj_id, size_bytes: 1, next_access }, &mut evicted))
                .count()
        };
        let best = misses(&mut Belady::new(capacity));
        for p in OnlinePolicy::ALL {
            prop_assert!(best <= misses(&mut p.cache(capacity)), "{}", p.name());
        }
    }
}
