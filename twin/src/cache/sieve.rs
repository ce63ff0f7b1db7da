//! SIEVE (Zhang et al., NSDI 2024), as libCacheSim's `Sieve.c`: one FIFO queue of objects, each with a visited
//! bit that a hit sets. A hand walks from the oldest object towards the newest (wrapping to the oldest),
//! clearing visited bits, and evicts the first unvisited object it meets; it then rests on that object's newer
//! neighbour. New objects join at the newest end, unvisited, and a hit never moves an object.

use super::slab::{Chain, Slab};
use super::{Access, Capacity, IdMap, Policy};

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    cost: u64,
    visited: bool,
}

#[derive(Clone, Debug)]
pub struct Sieve {
    capacity: Capacity,
    used: u64,
    queue: Chain,
    slab: Slab<Entry>,
    index: IdMap<u32>,
    /// Where the next eviction starts looking; None: at the oldest object.
    hand: Option<u32>,
}

impl Sieve {
    pub fn new(capacity: Capacity) -> Sieve {
        Sieve { capacity, used: 0, queue: Chain::default(), slab: Slab::default(), index: IdMap::default(), hand: None }
    }

    fn evict_one(&mut self, evicted: &mut Vec<u64>) -> bool {
        let Some(mut slot) = self.hand.or(self.queue.front()) else { return false };
        while self.slab.get(slot).visited {
            self.slab.get_mut(slot).visited = false;
            match self.slab.next(slot).or(self.queue.front()) {
                Some(next) => slot = next,
                None => return false,
            }
        }
        self.hand = self.slab.next(slot);
        let old = self.slab.remove(&mut self.queue, slot);
        self.index.remove(&old.id);
        evicted.push(old.id);
        self.used -= old.cost;
        true
    }
}

impl Policy for Sieve {
    fn name(&self) -> &'static str {
        "sieve"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.index.contains_key(&obj_id)
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        if let Some(&slot) = self.index.get(&access.obj_id) {
            self.slab.get_mut(slot).visited = true;
            return true;
        }
        let cost = self.capacity.cost(access.size_bytes);
        if cost > self.capacity.limit() {
            return false;
        }
        while self.used + cost > self.capacity.limit() && self.evict_one(evicted) {}
        let slot = self.slab.push_back(&mut self.queue, Entry { id: access.obj_id, cost, visited: false });
        self.index.insert(access.obj_id, slot);
        self.used += cost;
        false
    }
}
