//! Least frequently used, forgetting counts on eviction (as libCacheSim's LFU does). Objects sit in one list
//! per frequency; eviction takes the object that reached the lowest frequency longest ago.

use std::collections::BTreeMap;

use super::slab::List;
use super::{Capacity, IdMap, Policy};

#[derive(Clone, Debug)]
pub struct Lfu {
    capacity: Capacity,
    used: u64,
    /// Frequency → the objects with it, oldest first.
    buckets: BTreeMap<u64, List>,
    freq: IdMap<u64>,
}

impl Lfu {
    pub fn new(capacity: Capacity) -> Lfu {
        Lfu { capacity, used: 0, buckets: BTreeMap::new(), freq: IdMap::default() }
    }

    fn evict_one(&mut self, evicted: &mut Vec<u64>) -> bool {
        let Some(mut entry) = self.buckets.first_entry() else { return false };
        let Some(old) = entry.get_mut().pop_front() else { return false };
        if entry.get().is_empty() {
            entry.remove();
        }
        self.freq.remove(&old.id);
        evicted.push(old.id);
        self.used -= old.cost;
        true
    }
}

impl Policy for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }

    fn request(&mut self, obj_id: u64, size_bytes: u64, evicted: &mut Vec<u64>) -> bool {
        if let Some(f) = self.freq.get_mut(&obj_id) {
            let old = *f;
            *f += 1;
            let bucket = self.buckets.get_mut(&old).expect("a cached object's frequency has a bucket");
            let slot = bucket.index[&obj_id];
            let node = bucket.remove(slot);
            if bucket.is_empty() {
                self.buckets.remove(&old);
            }
            self.buckets.entry(old + 1).or_default().push_back(obj_id, node.cost);
            return true;
        }
        let cost = self.capacity.cost(size_bytes);
        if cost > self.capacity.limit() {
            return false;
        }
        while self.used + cost > self.capacity.limit() && self.evict_one(evicted) {}
        self.buckets.entry(1).or_default().push_back(obj_id, cost);
        self.freq.insert(obj_id, 1);
        self.used += cost;
        false
    }
}
