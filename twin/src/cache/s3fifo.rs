//! S3-FIFO (Yang et al., SOSP 2023), as libCacheSim's `S3FIFO.c` (the December 2024 version, which the PyPI
//! package 0.3.5 ships) with its defaults: a small FIFO queue (10% of the capacity) that new objects enter, a
//! main FIFO queue (the rest), and a ghost FIFO (ids only, 90% of the capacity) of objects recently dropped from
//! the small queue. Until the first eviction, new objects that find the small queue full go to the main queue. A hit bumps an object's count. Eviction takes
//! from the main queue when it is over its share (or the small queue is empty), else from the small one. The
//! small queue's oldest object moves to the main queue if it was hit at least twice, else it is evicted and
//! remembered as a ghost; a missed object found among the ghosts goes straight to the main queue. The main
//! queue's oldest object is evicted if its count is 0, else reinserted with its count (at most 3) less one.
//! As in libCacheSim, an object must be smaller than the small queue (a tenth of the capacity) to be cached.

use super::slab::{Chain, Queue, Slab};
use super::{Access, Capacity, IdMap, Policy};

/// libCacheSim's defaults: small-size-ratio, ghost-size-ratio and move-to-main-threshold.
const SMALL_SHARE: f64 = 0.1;
const GHOST_SHARE: f64 = 0.9;
const MOVE_TO_MAIN_HITS: u8 = 2;
const MAX_MAIN_COUNT: u8 = 3;

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    cost: u64,
    hits: u8,
}

#[derive(Clone, Debug)]
pub struct S3Fifo {
    capacity: Capacity,
    /// Limits of the small and main queues, in the capacity's unit.
    small_limit: u64,
    main_limit: u64,
    small: Chain,
    main: Chain,
    small_used: u64,
    main_used: u64,
    slab: Slab<Entry>,
    /// Objects in either queue.
    index: IdMap<u32>,
    ghosts: Queue,
    /// Where the ghost queue's own evictions go (they are not the cache's).
    ghosts_evicted: Vec<u64>,
    /// Whether the cache has ever had to evict; until then, new objects that find the small queue full go to
    /// the main queue (libCacheSim's S3FIFO.c since December 2024, unlike the paper's S3FIFOv0.c).
    has_evicted: bool,
}

impl S3Fifo {
    pub fn new(capacity: Capacity) -> S3Fifo {
        let limit = capacity.limit();
        // Truncated as libCacheSim's int64 conversions do.
        let small_limit = (limit as f64 * SMALL_SHARE) as u64;
        S3Fifo {
            capacity,
            small_limit,
            main_limit: limit - small_limit,
            small: Chain::default(),
            main: Chain::default(),
            small_used: 0,
            main_used: 0,
            slab: Slab::default(),
            index: IdMap::default(),
            ghosts: Queue::new((limit as f64 * GHOST_SHARE) as u64),
            ghosts_evicted: Vec::new(),
            has_evicted: false,
        }
    }

    fn evict_one(&mut self, evicted: &mut Vec<u64>) -> bool {
        self.has_evicted = true;
        if self.main_used > self.main_limit || self.small.is_empty() {
            self.evict_main(evicted)
        } else {
            self.evict_small(evicted)
        }
    }

    /// Moves the small queue's oldest objects to the main queue until one is evicted (or the queue is empty).
    /// Called only with a non-empty small queue.
    fn evict_small(&mut self, evicted: &mut Vec<u64>) -> bool {
        while let Some(oldest) = self.small.front() {
            let entry = *self.slab.get(oldest);
            self.small_used -= entry.cost;
            if entry.hits >= MOVE_TO_MAIN_HITS {
                self.slab.transfer_to_back(&mut self.small, &mut self.main, oldest);
                self.slab.get_mut(oldest).hits = 0;
                self.main_used += entry.cost;
            } else {
                self.slab.remove(&mut self.small, oldest);
                self.index.remove(&entry.id);
                self.ghosts_evicted.clear();
                self.ghosts.admit(entry.id, entry.cost, &mut self.ghosts_evicted);
                evicted.push(entry.id);
                return true;
            }
        }
        // The small queue emptied into the main one: the next round evicts from there.
        true
    }

    /// Reinserts the main queue's oldest objects that were hit, until one that was not is evicted.
    fn evict_main(&mut self, evicted: &mut Vec<u64>) -> bool {
        while let Some(oldest) = self.main.front() {
            let entry = self.slab.get_mut(oldest);
            if entry.hits >= 1 {
                entry.hits = entry.hits.min(MAX_MAIN_COUNT) - 1;
                self.slab.move_to_back(&mut self.main, oldest);
            } else {
                let entry = self.slab.remove(&mut self.main, oldest);
                self.main_used -= entry.cost;
                self.index.remove(&entry.id);
                evicted.push(entry.id);
                return true;
            }
        }
        false
    }
}

impl Policy for S3Fifo {
    fn name(&self) -> &'static str {
        "s3fifo"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.index.contains_key(&obj_id)
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        if let Some(&slot) = self.index.get(&access.obj_id) {
            let entry = self.slab.get_mut(slot);
            entry.hits = entry.hits.saturating_add(1);
            return true;
        }
        let was_ghost = self.ghosts.remove(access.obj_id);
        let cost = self.capacity.cost(access.size_bytes);
        // libCacheSim admits an object no larger than the small queue, yet places one only if strictly smaller.
        if cost > self.small_limit {
            return false;
        }
        while self.small_used + self.main_used + cost > self.capacity.limit() && self.evict_one(evicted) {}
        let to_main = if was_ghost {
            true
        } else if cost >= self.small_limit {
            return false;
        } else {
            !self.has_evicted && self.small_used >= self.small_limit
        };
        let entry = Entry { id: access.obj_id, cost, hits: 0 };
        let slot = if to_main {
            self.main_used += cost;
            self.slab.push_back(&mut self.main, entry)
        } else {
            self.small_used += cost;
            self.slab.push_back(&mut self.small, entry)
        };
        self.index.insert(access.obj_id, slot);
        false
    }
}
