//! First in, first out: hits change nothing; eviction takes the oldest admitted object.

use super::slab::List;
use super::{Capacity, Policy};

pub struct Fifo {
    capacity: Capacity,
    used: u64,
    list: List,
}

impl Fifo {
    pub fn new(capacity: Capacity) -> Fifo {
        Fifo { capacity, used: 0, list: List::new() }
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn request(&mut self, obj_id: u64, size_bytes: u32) -> bool {
        if self.list.index.contains_key(&obj_id) {
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
