//! Least recently used: a hit moves the object to the recent end; eviction takes the least recent.

use super::slab::Queue;
use super::{Capacity, Policy};

#[derive(Clone, Debug)]
pub struct Lru(Queue);

impl Lru {
    pub fn new(capacity: Capacity) -> Lru {
        Lru(Queue::new(capacity))
    }
}

impl Policy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn request(&mut self, obj_id: u64, size_bytes: u64, evicted: &mut Vec<u64>) -> bool {
        if let Some(&slot) = self.0.list.index.get(&obj_id) {
            self.0.list.move_to_back(slot);
            return true;
        }
        self.0.admit(obj_id, size_bytes, evicted);
        false
    }
}
