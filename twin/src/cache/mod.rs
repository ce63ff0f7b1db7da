//! Cache replacement policies for replaying request traces, with libCacheSim's semantics so results compare:
//! every first access is a miss; in byte mode an object larger than the cache is not admitted. Each policy is
//! one file behind `Policy`; a new policy is a new file.

mod fifo;
mod lfu;
mod lru;
mod slab;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use fifo::Fifo;
pub use lfu::Lfu;
pub use lru::Lru;

use crate::trace::Request;

/// A cache's capacity: a number of objects (each counts 1, whatever its size) or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Objects(u64),
    Bytes(u64),
}

impl Capacity {
    /// What an object of `size_bytes` costs against this capacity.
    #[inline]
    pub fn cost(self, size_bytes: u64) -> u64 {
        match self {
            Capacity::Objects(_) => 1,
            Capacity::Bytes(_) => size_bytes,
        }
    }
    pub fn limit(self) -> u64 {
        match self {
            Capacity::Objects(n) | Capacity::Bytes(n) => n,
        }
    }
}

pub trait Policy {
    fn name(&self) -> &'static str;
    /// Serves one request: true on a hit. On a miss the object is admitted if it fits, evicting as needed; the
    /// evicted ids are appended to `evicted` (the twin mirrors a site's cache contents from them).
    fn request(&mut self, obj_id: u64, size_bytes: u64, evicted: &mut Vec<u64>) -> bool;
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    pub requests: u64,
    pub misses: u64,
    pub bytes: u64,
    pub miss_bytes: u64,
}

impl ReplayStats {
    pub fn miss_ratio(&self) -> f64 {
        self.misses as f64 / self.requests.max(1) as f64
    }
    pub fn byte_miss_ratio(&self) -> f64 {
        self.miss_bytes as f64 / self.bytes.max(1) as f64
    }
}

/// Replays requests through a policy. In object mode bytes count 1 per request, as libCacheSim reports them.
pub fn replay(policy: &mut dyn Policy, capacity: Capacity, requests: &[Request]) -> ReplayStats {
    let mut s = ReplayStats::default();
    let mut evicted = Vec::new();
    for r in requests {
        let cost = capacity.cost(r.size_bytes as u64);
        s.requests += 1;
        s.bytes += cost;
        evicted.clear();
        if !policy.request(r.obj_id, r.size_bytes as u64, &mut evicted) {
            s.misses += 1;
            s.miss_bytes += cost;
        }
    }
    s
}

/// Builds a policy by name.
pub fn policy(name: &str, capacity: Capacity) -> Option<Box<dyn Policy>> {
    Some(match name {
        "lru" => Box::new(Lru::new(capacity)),
        "lfu" => Box::new(Lfu::new(capacity)),
        "fifo" => Box::new(Fifo::new(capacity)),
        _ => return None,
    })
}

/// Object ids are already well spread or small integers: one multiply-mix is hash enough, and far cheaper
/// than SipHash in a loop that runs millions of times a second.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = crate::rng::mix64(v);
    }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// Che's approximation of LRU's hit ratio under the independent reference model: solve
/// Σ (1 − e^(−λᵢ T)) = C for the characteristic time T, then hᵢ = 1 − e^(−λᵢ T). Returns the request-weighted
/// miss ratio for rates `lambda` (any scale) and a cache of `objects` objects.
pub fn che_lru_miss_ratio(lambda: &[f64], objects: f64) -> f64 {
    let occupancy = |t: f64| lambda.iter().map(|l| 1.0 - (-l * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while occupancy(hi) < objects {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if occupancy(mid) < objects { lo = mid } else { hi = mid }
    }
    let t = 0.5 * (lo + hi);
    let total: f64 = lambda.iter().sum();
    lambda.iter().map(|l| l * (-l * t).exp()).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(policy: &str, capacity: Capacity, ids: &[u64]) -> Vec<bool> {
        let mut p = super::policy(policy, capacity).unwrap();
        ids.iter().map(|&id| p.request(id, 10, &mut Vec::new())).collect()
    }

    #[test]
    fn hand_checked_lru_fifo_lfu() {
        // Capacity 2: a b a c b a
        let ids = [1, 2, 1, 3, 2, 1];
        // LRU: a m, b m, a h, c m (evict b), b m (evict a), a m.
        assert_eq!(run("lru", Capacity::Objects(2), &ids), [false, false, true, false, false, false]);
        // FIFO: a m, b m, a h, c m (evict a), b h, a m (evict b).
        assert_eq!(run("fifo", Capacity::Objects(2), &ids), [false, false, true, false, true, false]);
        // LFU: a m, b m, a h (a:2), c m (evict b, freq 1), b m (evict c), a h.
        assert_eq!(run("lfu", Capacity::Objects(2), &ids), [false, false, true, false, false, true]);
    }

    #[test]
    fn byte_mode_evicts_by_size_and_skips_objects_larger_than_the_cache() {
        let mut lru = Lru::new(Capacity::Bytes(100));
        let mut ev = Vec::new();
        assert!(!lru.request(1, 60, &mut ev));
        assert!(!lru.request(2, 30, &mut ev));
        assert!(lru.request(1, 60, &mut ev));
        assert!(!lru.request(3, 50, &mut ev)); // evicts 2 (LRU), then still needs room: evicts 1
        assert_eq!(ev, [2, 1]);
        assert!(!lru.request(1, 60, &mut ev));
        assert!(!lru.request(4, 500, &mut ev)); // too big: not admitted, nothing evicted
        assert!(lru.request(1, 60, &mut ev));
    }

    #[test]
    fn che_approximation_matches_a_known_case() {
        // Uniform popularity: the cache holds C of N objects, so the miss ratio is 1 − C/N.
        let m = che_lru_miss_ratio(&vec![1.0; 1000], 250.0);
        assert!((m - 0.75).abs() < 1e-6, "{m}");
    }
}
