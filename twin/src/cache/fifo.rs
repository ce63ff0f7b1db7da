//! First in, first out: hits change nothing; eviction takes the oldest admitted object.

use super::slab::Queue;
use super::{Access, Capacity, Policy};

#[derive(Clone, Debug)]
pub struct Fifo {
    capacity: Capacity,
    queue: Queue,
}

impl Fifo {
    pub fn new(capacity: Capacity) -> Fifo {
        Fifo { capacity, queue: Queue::new(capacity.limit()) }
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.queue.slot(obj_id).is_some()
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        if self.queue.slot(access.obj_id).is_some() {
            return true;
        }
        self.queue.admit(access.obj_id, self.capacity.cost(access.size_bytes), evicted);
        false
    }
}
