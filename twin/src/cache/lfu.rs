//! Least frequently used, forgetting counts on eviction, as libCacheSim's LFU does. Objects sit in one list per
//! frequency, in the order they reached it; the frequencies present form a list of their own, lowest first
//! (the "O(1) LFU" of Shah, Mitra and Matani, 2010). A hit moves an object to the next frequency's list, made
//! right after its own if missing; eviction takes the front of the lowest frequency's list: the object that
//! reached the lowest frequency longest ago. Every step is O(1).

use super::slab::{Chain, Slab};
use super::{Access, Capacity, IdMap, Policy};

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    cost: u64,
    /// The slot of its frequency in `Lfu::freqs`.
    freq_slot: u32,
}

#[derive(Clone, Copy, Debug)]
struct Freq {
    count: u64,
    objects: Chain,
}

#[derive(Clone, Debug)]
pub struct Lfu {
    capacity: Capacity,
    used: u64,
    objects: Slab<Entry>,
    freqs: Slab<Freq>,
    /// The frequencies that some object has, lowest first.
    by_count: Chain,
    index: IdMap<u32>,
}

impl Lfu {
    pub fn new(capacity: Capacity) -> Lfu {
        Lfu {
            capacity,
            used: 0,
            objects: Slab::default(),
            freqs: Slab::default(),
            by_count: Chain::default(),
            index: IdMap::default(),
        }
    }

    /// Moves a cached object from its frequency's list to the back of the next one's.
    fn hit(&mut self, slot: u32) {
        let from = self.objects.get(slot).freq_slot;
        let count = self.freqs.get(from).count + 1;
        let to = match self.freqs.next(from) {
            Some(next) if self.freqs.get(next).count == count => next,
            _ => self.freqs.insert_after(&mut self.by_count, Some(from), Freq { count, objects: Chain::default() }),
        };
        let mut from_objects = self.freqs.get(from).objects;
        self.objects.transfer_to_back(&mut from_objects, &mut self.freqs.get_mut(to).objects, slot);
        self.objects.get_mut(slot).freq_slot = to;
        if from_objects.is_empty() {
            self.freqs.remove(&mut self.by_count, from);
        } else {
            self.freqs.get_mut(from).objects = from_objects;
        }
    }

    fn evict_one(&mut self, evicted: &mut Vec<u64>) -> bool {
        let Some(lowest) = self.by_count.front() else { return false };
        let mut objects = self.freqs.get(lowest).objects;
        let Some(oldest) = objects.front() else { return false };
        let old = self.objects.remove(&mut objects, oldest);
        if objects.is_empty() {
            self.freqs.remove(&mut self.by_count, lowest);
        } else {
            self.freqs.get_mut(lowest).objects = objects;
        }
        self.index.remove(&old.id);
        evicted.push(old.id);
        self.used -= old.cost;
        true
    }
}

impl Policy for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.index.contains_key(&obj_id)
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        if let Some(&slot) = self.index.get(&access.obj_id) {
            self.hit(slot);
            return true;
        }
        let cost = self.capacity.cost(access.size_bytes);
        if cost > self.capacity.limit() {
            return false;
        }
        while self.used + cost > self.capacity.limit() && self.evict_one(evicted) {}
        let ones = match self.by_count.front() {
            Some(lowest) if self.freqs.get(lowest).count == 1 => lowest,
            _ => self.freqs.insert_after(&mut self.by_count, None, Freq { count: 1, objects: Chain::default() }),
        };
        let slot = self
            .objects
            .push_back(&mut self.freqs.get_mut(ones).objects, Entry { id: access.obj_id, cost, freq_slot: ones });
        self.index.insert(access.obj_id, slot);
        self.used += cost;
        false
    }
}
