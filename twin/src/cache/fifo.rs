//! First in, first out: hits change nothing; eviction takes the oldest admitted object.

use super::slab::Queue;
use super::{Capacity, Policy};

#[derive(Clone, Debug)]
pub struct Fifo(Queue);

impl Fifo {
    pub fn new(capacity: Capacity) -> Fifo {
        Fifo(Queue::new(capacity))
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn request(&mut self, obj_id: u64, size_bytes: u64, evicted: &mut Vec<u64>) -> bool {
        if self.0.list.index.contains_key(&obj_id) {
            return true;
        }
        self.0.admit(obj_id, size_bytes, evicted);
        false
    }
}
