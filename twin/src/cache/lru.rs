//! Least recently used: a hit moves the object to the recent end; eviction takes the least recent.

use super::slab::List;
use super::{Capacity, Policy};

pub struct Lru {
    capacity: Capacity,
    used: u64,
    list: List,
}

impl Lru {
    pub fn new(capacity: Capacity) -> Lru {
        Lru { capacity, used: 0, list: List::new() }
    }
}

impl Policy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn request(&mut self, obj_id: u64, size_bytes: u32) -> bool {
        if let Some(&slot) = self.list.index.get(&obj_id) {
            self.list.move_to_back(slot);
            return true;
        }
        let cost = self.capacity.cost(size_bytes);
        if cost > self.capacity.limit() {
            return false;
        }
        while self.used + cost > self.capacity.limit() {
            match self.list.pop_front() {
                Some(old) => self.used -= old.cost,
                None => break,
            }
        }
        self.list.push_back(obj_id, cost);
        self.used += cost;
        false
    }
}
