//! Intrusive doubly-linked lists over one slab of nodes: the shared engine of the list-based policies. A `Chain`
//! is one list's two ends; a policy keeps as many as it needs (LRU, FIFO and SIEVE one, S3-FIFO two, ARC four,
//! LFU one per frequency plus the list of frequencies) and moves nodes between them without reallocating. Every
//! operation is O(1). The front of a chain is its oldest end, the back its newest.

use super::IdMap;

const NIL: u32 = u32::MAX;

/// A cached object as most policies keep it: its id and what it costs against the capacity.
#[derive(Clone, Copy, Debug)]
pub struct Obj {
    pub id: u64,
    pub cost: u64,
}

#[derive(Clone, Copy, Debug)]
struct Node<T> {
    prev: u32,
    next: u32,
    value: T,
}

/// One list's ends. Copy: a chain stored inside a slab value (LFU's frequencies) is read, changed, written back.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    head: u32,
    tail: u32,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain { head: NIL, tail: NIL }
    }
}

impl Chain {
    /// The oldest node.
    pub fn front(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

#[derive(Clone, Debug)]
pub struct Slab<T> {
    nodes: Vec<Node<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab { nodes: Vec::new(), free: Vec::new() }
    }
}

impl<T: Copy> Slab<T> {
    pub fn get(&self, slot: u32) -> &T {
        &self.nodes[slot as usize].value
    }

    pub fn get_mut(&mut self, slot: u32) -> &mut T {
        &mut self.nodes[slot as usize].value
    }

    /// The node after `slot` (towards the back), if any.
    pub fn next(&self, slot: u32) -> Option<u32> {
        let next = self.nodes[slot as usize].next;
        (next != NIL).then_some(next)
    }

    /// Adds `value` at the back of `chain`.
    pub fn push_back(&mut self, chain: &mut Chain, value: T) -> u32 {
        let slot = self.alloc(value);
        self.link_after(chain, chain.tail, slot);
        slot
    }

    /// Adds `value` right after `after` in `chain`, or at its front for None.
    pub fn insert_after(&mut self, chain: &mut Chain, after: Option<u32>, value: T) -> u32 {
        let slot = self.alloc(value);
        self.link_after(chain, after.unwrap_or(NIL), slot);
        slot
    }

    /// Moves a node of `chain` to its back.
    pub fn move_to_back(&mut self, chain: &mut Chain, slot: u32) {
        if chain.tail != slot {
            self.unlink(chain, slot);
            self.link_after(chain, chain.tail, slot);
        }
    }

    /// Moves a node from the chain `from` to the back of another chain `to`.
    pub fn transfer_to_back(&mut self, from: &mut Chain, to: &mut Chain, slot: u32) {
        self.unlink(from, slot);
        self.link_after(to, to.tail, slot);
    }

    /// Takes a node out of `chain` and frees its slot.
    pub fn remove(&mut self, chain: &mut Chain, slot: u32) -> T {
        self.unlink(chain, slot);
        self.free.push(slot);
        self.nodes[slot as usize].value
    }

    fn alloc(&mut self, value: T) -> u32 {
        let node = Node { prev: NIL, next: NIL, value };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() as u32 - 1
            }
        }
    }

    /// Links a detached node after `after` (NIL: at the front).
    fn link_after(&mut self, chain: &mut Chain, after: u32, slot: u32) {
        let next = if after == NIL { chain.head } else { self.nodes[after as usize].next };
        let node = &mut self.nodes[slot as usize];
        node.prev = after;
        node.next = next;
        if after == NIL {
            chain.head = slot
        } else {
            self.nodes[after as usize].next = slot
        }
        if next == NIL { chain.tail = slot } else { self.nodes[next as usize].prev = slot }
    }

    fn unlink(&mut self, chain: &mut Chain, slot: u32) {
        let Node { prev, next, .. } = self.nodes[slot as usize];
        if prev == NIL {
            chain.head = next
        } else {
            self.nodes[prev as usize].next = next
        }
        if next == NIL { chain.tail = prev } else { self.nodes[next as usize].prev = prev }
    }
}

/// Objects in one queue under a limit, evicted from the front: LRU and FIFO differ only in what a hit does, and
/// S3-FIFO keeps its ghosts in one. Costs are in the capacity's unit (objects or bytes).
#[derive(Clone, Debug)]
pub struct Queue {
    limit: u64,
    used: u64,
    chain: Chain,
    slab: Slab<Obj>,
    index: IdMap<u32>,
}

impl Queue {
    pub fn new(limit: u64) -> Queue {
        Queue { limit, used: 0, chain: Chain::default(), slab: Slab::default(), index: IdMap::default() }
    }

    pub fn slot(&self, id: u64) -> Option<u32> {
        self.index.get(&id).copied()
    }

    /// Moves a queued object to the back (LRU's hit).
    pub fn move_to_back(&mut self, slot: u32) {
        self.slab.move_to_back(&mut self.chain, slot);
    }

    /// Drops an object if queued; true if it was.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.index.remove(&id) else { return false };
        self.used -= self.slab.remove(&mut self.chain, slot).cost;
        true
    }

    /// Admits an object at the back, evicting from the front until it fits (their ids go to `evicted`); an
    /// object costing more than the whole limit is not admitted (libCacheSim's rule).
    pub fn admit(&mut self, id: u64, cost: u64, evicted: &mut Vec<u64>) {
        if cost > self.limit {
            return;
        }
        while self.used + cost > self.limit {
            let Some(front) = self.chain.front() else { break };
            let old = self.slab.remove(&mut self.chain, front);
            self.index.remove(&old.id);
            self.used -= old.cost;
            evicted.push(old.id);
        }
        let slot = self.slab.push_back(&mut self.chain, Obj { id, cost });
        self.index.insert(id, slot);
        self.used += cost;
    }
}
