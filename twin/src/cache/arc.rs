//! ARC, the adaptive replacement cache (Megiddo and Modha, FAST 2003), as libCacheSim's `ARC.c`: T1 holds
//! objects seen once recently, T2 objects seen at least twice, each in LRU order; B1 and B2 remember the ids
//! evicted from each (ghosts). A hit in T1 or T2 moves the object to T2's recent end. A miss found in B1 grows
//! the target size `p` of T1, one found in B2 shrinks it, and the object enters T2; any other miss enters T1.
//! Sizes are in the capacity's unit (objects or bytes), as libCacheSim counts them.

use super::slab::{Chain, Slab};
use super::{Access, Capacity, IdMap, Policy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    T1,
    T2,
    B1,
    B2,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    cost: u64,
    list: List,
}

/// One of the four lists and its total cost.
#[derive(Clone, Copy, Debug, Default)]
struct Part {
    chain: Chain,
    cost: u64,
}

#[derive(Clone, Debug)]
pub struct Arc {
    capacity: Capacity,
    /// T1, T2, B1 and B2, indexed by `List`.
    parts: [Part; 4],
    slab: Slab<Entry>,
    /// Objects in any of the four lists.
    index: IdMap<u32>,
    /// T1's target size; a float, as in libCacheSim.
    p: f64,
    /// This request was found among the ghosts.
    ghost_hit: bool,
    /// The last ghost hit was in B2. As in libCacheSim this stays set until the next hit or insertion, and
    /// `replace` reads it even on a miss.
    last_in_b2: bool,
}

/// libCacheSim's MAX and MIN macros, whose NaN handling a ratio of zero ghost sizes can reach.
fn max(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}
fn min(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

impl Arc {
    pub fn new(capacity: Capacity) -> Arc {
        Arc {
            capacity,
            parts: [Part::default(); 4],
            slab: Slab::default(),
            index: IdMap::default(),
            p: 0.0,
            ghost_hit: false,
            last_in_b2: false,
        }
    }

    fn cost(&self, list: List) -> u64 {
        self.parts[list as usize].cost
    }

    /// Adds an object at the recent end of `list`.
    fn push(&mut self, list: List, id: u64, cost: u64) -> u32 {
        let part = &mut self.parts[list as usize];
        part.cost += cost;
        self.slab.push_back(&mut part.chain, Entry { id, cost, list })
    }

    /// Moves an object to the recent end of `to`, from wherever it is.
    fn move_to(&mut self, slot: u32, to: List) {
        let Entry { cost, list: from, .. } = *self.slab.get(slot);
        let (mut src, mut dst) = (self.parts[from as usize], self.parts[to as usize]);
        if from == to {
            self.slab.move_to_back(&mut src.chain, slot);
            self.parts[from as usize] = src;
            return;
        }
        self.slab.transfer_to_back(&mut src.chain, &mut dst.chain, slot);
        src.cost -= cost;
        dst.cost += cost;
        self.parts[from as usize] = src;
        self.parts[to as usize] = dst;
        self.slab.get_mut(slot).list = to;
    }

    /// Forgets an object of any list.
    fn remove(&mut self, slot: u32) -> Entry {
        let list = self.slab.get(slot).list;
        let part = &mut self.parts[list as usize];
        let entry = self.slab.remove(&mut part.chain, slot);
        part.cost -= entry.cost;
        self.index.remove(&entry.id);
        entry
    }

    /// Forgets the least recent object of `list`.
    fn drop_oldest(&mut self, list: List) -> Option<Entry> {
        let slot = self.parts[list as usize].chain.front()?;
        Some(self.remove(slot))
    }

    /// The paper's REPLACE: demote T1's least recent object to B1 if T1 is over its target, else T2's to B2.
    fn replace(&mut self, evicted: &mut Vec<u64>) -> bool {
        let t1 = self.cost(List::T1);
        let t1_over = t1 as f64 > self.p || (t1 as f64 == self.p && self.last_in_b2);
        let (from, to) =
            if (t1 > 0 && t1_over) || self.cost(List::T2) == 0 { (List::T1, List::B1) } else { (List::T2, List::B2) };
        let Some(slot) = self.parts[from as usize].chain.front() else { return false };
        evicted.push(self.slab.get(slot).id);
        self.move_to(slot, to);
        true
    }

    fn evict_one(&mut self, incoming_cost: u64, evicted: &mut Vec<u64>) -> bool {
        if self.ghost_hit {
            return self.replace(evicted);
        }
        let limit = self.capacity.limit();
        let (t1, t2, b1, b2) = (self.cost(List::T1), self.cost(List::T2), self.cost(List::B1), self.cost(List::B2));
        if t1 + b1 + incoming_cost > limit {
            if b1 > 0 {
                self.drop_oldest(List::B1);
                return self.replace(evicted);
            }
            // T1 alone fills the cache: its least recent object goes without a ghost.
            return self.drop_oldest(List::T1).map(|e| evicted.push(e.id)).is_some();
        }
        if t1 + b1 + t2 + b2 >= limit.saturating_mul(2) && b2 > 0 {
            self.drop_oldest(List::B2);
        }
        self.replace(evicted)
    }
}

impl Policy for Arc {
    fn name(&self) -> &'static str {
        "arc"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.index.get(&obj_id).is_some_and(|&slot| matches!(self.slab.get(slot).list, List::T1 | List::T2))
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        self.ghost_hit = false;
        if let Some(&slot) = self.index.get(&access.obj_id) {
            self.last_in_b2 = false;
            let (b1, b2) = (self.cost(List::B1) as f64, self.cost(List::B2) as f64);
            match self.slab.get(slot).list {
                List::T1 | List::T2 => {
                    self.move_to(slot, List::T2);
                    return true;
                }
                List::B1 => {
                    self.p = min(self.p + max(b2 / b1, 1.0), self.capacity.limit() as f64);
                }
                List::B2 => {
                    self.last_in_b2 = true;
                    self.p = max(self.p - max(b1 / b2, 1.0), 0.0);
                }
            }
            self.ghost_hit = true;
            self.remove(slot);
        }
        let cost = self.capacity.cost(access.size_bytes);
        if cost > self.capacity.limit() {
            return false;
        }
        while self.cost(List::T1) + self.cost(List::T2) + cost > self.capacity.limit() && self.evict_one(cost, evicted)
        {
        }
        let list = if self.ghost_hit {
            self.last_in_b2 = false;
            List::T2
        } else {
            List::T1
        };
        let slot = self.push(list, access.obj_id, cost);
        self.index.insert(access.obj_id, slot);
        false
    }
}
