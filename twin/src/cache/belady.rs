//! Belady's MIN, the offline optimum for equal sizes (and libCacheSim's `Belady` in byte mode too): evict the
//! cached object whose next request is furthest away, or that is never requested again. It needs each request's
//! next access, which oracleGeneral traces carry; objects never requested again go first, in any order (which
//! one changes no later hit or miss).

use std::collections::BTreeMap;

use super::{Access, Capacity, IdMap, Policy};

#[derive(Clone, Debug)]
pub struct Belady {
    capacity: Capacity,
    used: u64,
    /// (next access, id) → cost of every cached object; never again is u64::MAX. The last entry is the victim.
    by_next_access: BTreeMap<(u64, u64), u64>,
    next_access: IdMap<u64>,
}

impl Belady {
    pub fn new(capacity: Capacity) -> Belady {
        Belady { capacity, used: 0, by_next_access: BTreeMap::new(), next_access: IdMap::default() }
    }
}

impl Policy for Belady {
    fn name(&self) -> &'static str {
        "belady"
    }

    fn contains(&self, obj_id: u64) -> bool {
        self.next_access.contains_key(&obj_id)
    }

    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        let next = access.next_access.unwrap_or(u64::MAX);
        if let Some(old) = self.next_access.insert(access.obj_id, next) {
            let cost = self.by_next_access.remove(&(old, access.obj_id)).unwrap_or_default();
            self.by_next_access.insert((next, access.obj_id), cost);
            return true;
        }
        let cost = self.capacity.cost(access.size_bytes);
        if cost > self.capacity.limit() {
            self.next_access.remove(&access.obj_id);
            return false;
        }
        while self.used + cost > self.capacity.limit() {
            let Some(((_, id), old_cost)) = self.by_next_access.pop_last() else { break };
            self.next_access.remove(&id);
            self.used -= old_cost;
            evicted.push(id);
        }
        self.by_next_access.insert((next, access.obj_id), cost);
        self.used += cost;
        false
    }
}
