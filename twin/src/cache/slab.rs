//! An intrusive doubly-linked list over a slab, with an id → slot map: the shared engine of the list-based
//! policies. O(1) push, unlink and pop.

use super::{Capacity, IdMap};

/// Objects in one queue under a capacity, evicted from the front: LRU and FIFO differ only in what a hit does.
#[derive(Clone, Debug)]
pub struct Queue {
    capacity: Capacity,
    used: u64,
    pub list: List,
}

impl Queue {
    pub fn new(capacity: Capacity) -> Queue {
        Queue { capacity, used: 0, list: List::new() }
    }

    /// Admits a missed object at the back, evicting from the front until it fits (their ids go to `evicted`);
    /// an object larger than the whole cache is not admitted (libCacheSim's rule).
    pub fn admit(&mut self, obj_id: u64, size_bytes: u64, evicted: &mut Vec<u64>) {
        let cost = self.capacity.cost(size_bytes);
        if cost > self.capacity.limit() {
            return;
        }
        while self.used + cost > self.capacity.limit() {
            match self.list.pop_front() {
                Some(old) => {
                    self.used -= old.cost;
                    evicted.push(old.id);
                }
                None => break,
            }
        }
        self.list.push_back(obj_id, cost);
        self.used += cost;
    }
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub id: u64,
    pub cost: u64,
    prev: u32,
    next: u32,
}

#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: Option<u32>,
    tail: Option<u32>,
    pub index: IdMap<u32>,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// Appends at the tail (most recent end).
    pub fn push_back(&mut self, id: u64, cost: u64) -> u32 {
        let node = Node { id, cost, prev: self.tail.unwrap_or(NIL), next: NIL };
        let slot = match self.free.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() as u32 - 1
            }
        };
        match self.tail {
            Some(t) => self.nodes[t as usize].next = slot,
            None => self.head = Some(slot),
        }
        self.tail = Some(slot);
        self.index.insert(id, slot);
        slot
    }

    fn unlink(&mut self, slot: u32) {
        let Node { prev, next, .. } = self.nodes[slot as usize];
        if prev == NIL {
            self.head = (next != NIL).then_some(next)
        } else {
            self.nodes[prev as usize].next = next
        }
        if next == NIL { self.tail = (prev != NIL).then_some(prev) } else { self.nodes[next as usize].prev = prev }
    }

    /// Moves a node to the tail.
    pub fn move_to_back(&mut self, slot: u32) {
        if self.tail == Some(slot) {
            return;
        }
        self.unlink(slot);
        let node = &mut self.nodes[slot as usize];
        node.prev = self.tail.unwrap_or(NIL);
        node.next = NIL;
        if let Some(t) = self.tail {
            self.nodes[t as usize].next = slot;
        }
        self.tail = Some(slot);
    }

    /// Removes and returns the head (least recent end).
    pub fn pop_front(&mut self) -> Option<Node> {
        let slot = self.head?;
        Some(self.remove(slot))
    }

    pub fn remove(&mut self, slot: u32) -> Node {
        self.unlink(slot);
        self.free.push(slot);
        let node = self.nodes[slot as usize];
        self.index.remove(&node.id);
        node
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }
}
