//! Least recently used: a hit moves the object to the recent end; eviction takes the least recent.

use super::slab::Queue;
use super::{Access, Capacity, Policy};

#[derive(Clone, Debug)]
pub struct Lru {
    capacity: Capacity,
    queue: Queue,
}

impl Lru {
    pub fn new(capacity: Capacity) -> Lru {
        Lru { capacity, queue: Queue::new(capacity.limit()) }
    }
}

impl Policy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.queue.slot(obj_id).is_some()
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        if let Some(slot) = self.queue.slot(access.obj_id) {
            self.queue.move_to_back(slot);
            return true;
        }
        self.queue.admit(access.obj_id, self.capacity.cost(access.size_bytes), evicted);
        false
    }
}
