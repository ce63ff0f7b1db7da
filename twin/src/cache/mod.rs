//! Cache replacement policies for replaying request traces and for reactive sites, with libCacheSim's semantics
//! so results compare: every first access is a miss, and an object costing more than the whole cache is not
//! admitted. Each policy is one file behind `Policy`; a new policy is a new file.
//!
//! The online policies (all but Belady, which needs to know the future) are listed by [`OnlinePolicy`]:
//! `OnlinePolicy::ALL`, `name()` and `parse()` for menus and flags, and `cache(capacity)` for an
//! [`OnlineCache`], one enum over them all (Clone, Send, Sync, Debug; no boxing in the hot path). A reactive
//! site builds one with `Capacity::Bytes(disk_bytes)` and feeds it `Access::new(file, size_bytes)`; the ids a
//! request evicts are appended to the `evicted` out-parameter, so the site can mirror its contents. Note that
//! S3-FIFO, as libCacheSim's, caches only objects smaller than a tenth of its capacity.
//!
//! ```
//! use twin::cache::{Access, Capacity, OnlinePolicy, Policy};
//! let mut cache = OnlinePolicy::parse("s3fifo").unwrap().cache(Capacity::Bytes(10_000));
//! let mut evicted = Vec::new();
//! assert!(!cache.request(Access::new(7, 400), &mut evicted));
//! assert!(cache.request(Access::new(7, 400), &mut evicted));
//! ```

mod arc;
mod belady;
mod fifo;
mod lfu;
mod lru;
mod s3fifo;
mod sieve;
mod slab;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use arc::Arc;
pub use belady::Belady;
pub use fifo::Fifo;
pub use lfu::Lfu;
pub use lru::Lru;
pub use s3fifo::S3Fifo;
pub use sieve::Sieve;

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

/// One request as a cache sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub obj_id: u64,
    pub size_bytes: u64,
    /// The 1-based index (in the trace) of the next request for the same object; None if there is none or it is
    /// not known. Only Belady reads it.
    pub next_access: Option<u64>,
}

impl Access {
    /// A request with no knowledge of the future, as an online cache gets it.
    pub fn new(obj_id: u64, size_bytes: u64) -> Access {
        Access { obj_id, size_bytes, next_access: None }
    }
}

pub trait Policy {
    fn name(&self) -> &'static str;
    /// Serves one request: true on a hit. On a miss the object is admitted if it fits, evicting as needed; the
    /// evicted ids are appended to `evicted` (the twin mirrors a site's cache contents from them).
    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool;
    /// Whether the object is cached now (a ghost, remembered only to guide admission, is not).
    fn contains(&self, obj_id: u64) -> bool;
}

/// The policies that decide from the past alone, so a site can run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OnlinePolicy {
    Lru,
    Lfu,
    Fifo,
    Sieve,
    S3Fifo,
    Arc,
}

impl OnlinePolicy {
    pub const ALL: [OnlinePolicy; 6] = [
        OnlinePolicy::Lru,
        OnlinePolicy::Lfu,
        OnlinePolicy::Fifo,
        OnlinePolicy::Sieve,
        OnlinePolicy::S3Fifo,
        OnlinePolicy::Arc,
    ];

    /// The lowercase name, as libCacheSim spells it (without capitals).
    pub fn name(self) -> &'static str {
        match self {
            OnlinePolicy::Lru => "lru",
            OnlinePolicy::Lfu => "lfu",
            OnlinePolicy::Fifo => "fifo",
            OnlinePolicy::Sieve => "sieve",
            OnlinePolicy::S3Fifo => "s3fifo",
            OnlinePolicy::Arc => "arc",
        }
    }

    /// A policy by name, in any case; `s3-fifo` is accepted for `s3fifo`.
    pub fn parse(name: &str) -> Option<OnlinePolicy> {
        let name = name.trim().to_ascii_lowercase().replace('-', "");
        OnlinePolicy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// An empty cache of this policy.
    pub fn cache(self, capacity: Capacity) -> OnlineCache {
        match self {
            OnlinePolicy::Lru => OnlineCache::Lru(Lru::new(capacity)),
            OnlinePolicy::Lfu => OnlineCache::Lfu(Lfu::new(capacity)),
            OnlinePolicy::Fifo => OnlineCache::Fifo(Fifo::new(capacity)),
            OnlinePolicy::Sieve => OnlineCache::Sieve(Sieve::new(capacity)),
            OnlinePolicy::S3Fifo => OnlineCache::S3Fifo(S3Fifo::new(capacity)),
            OnlinePolicy::Arc => OnlineCache::Arc(Arc::new(capacity)),
        }
    }
}

/// A cache of any online policy, dispatched by `match` (no boxing).
#[derive(Clone, Debug)]
pub enum OnlineCache {
    Lru(Lru),
    Lfu(Lfu),
    Fifo(Fifo),
    Sieve(Sieve),
    S3Fifo(S3Fifo),
    Arc(Arc),
}

impl Policy for OnlineCache {
    fn name(&self) -> &'static str {
        match self {
            OnlineCache::Lru(c) => c.name(),
            OnlineCache::Lfu(c) => c.name(),
            OnlineCache::Fifo(c) => c.name(),
            OnlineCache::Sieve(c) => c.name(),
            OnlineCache::S3Fifo(c) => c.name(),
            OnlineCache::Arc(c) => c.name(),
        }
    }

    #[inline]
    fn request(&mut self, access: Access, evicted: &mut Vec<u64>) -> bool {
        match self {
            OnlineCache::Lru(c) => c.request(access, evicted),
            OnlineCache::Lfu(c) => c.request(access, evicted),
            OnlineCache::Fifo(c) => c.request(access, evicted),
            OnlineCache::Sieve(c) => c.request(access, evicted),
            OnlineCache::S3Fifo(c) => c.request(access, evicted),
            OnlineCache::Arc(c) => c.request(access, evicted),
        }
    }

    fn contains(&self, obj_id: u64) -> bool {
        match self {
            OnlineCache::Lru(c) => c.contains(obj_id),
            OnlineCache::Lfu(c) => c.contains(obj_id),
            OnlineCache::Fifo(c) => c.contains(obj_id),
            OnlineCache::Sieve(c) => c.contains(obj_id),
            OnlineCache::S3Fifo(c) => c.contains(obj_id),
            OnlineCache::Arc(c) => c.contains(obj_id),
        }
    }
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

/// Replays requests through a policy, adding to `stats`. In object mode bytes count 1 per request, as
/// libCacheSim reports them. Call it once per block of a long trace.
pub fn replay<P: Policy + ?Sized>(
    policy: &mut P,
    capacity: Capacity,
    accesses: impl IntoIterator<Item = Access>,
    stats: &mut ReplayStats,
) {
    let mut evicted = Vec::new();
    for access in accesses {
        let cost = capacity.cost(access.size_bytes);
        stats.requests += 1;
        stats.bytes += cost;
        evicted.clear();
        if !policy.request(access, &mut evicted) {
            stats.misses += 1;
            stats.miss_bytes += cost;
        }
    }
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
        let mut p = OnlinePolicy::parse(policy).unwrap().cache(capacity);
        ids.iter().map(|&id| p.request(Access::new(id, 10), &mut Vec::new())).collect()
    }

    /// Hits (true) and the ids evicted, request by request.
    fn trace(cache: &mut dyn Policy, accesses: &[Access]) -> (Vec<bool>, Vec<u64>) {
        let mut evicted = Vec::new();
        let hits = accesses.iter().map(|&a| cache.request(a, &mut evicted)).collect();
        (hits, evicted)
    }

    fn ids(ids: &[u64]) -> Vec<Access> {
        ids.iter().map(|&id| Access::new(id, 10)).collect()
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
    fn lfu_evicts_the_object_that_reached_the_lowest_frequency_first() {
        // a b c, then b and a reach 2 (b first), c too; d must evict among the 2s the one there longest: b.
        let (_, evicted) = trace(&mut Lfu::new(Capacity::Objects(3)), &ids(&[1, 2, 3, 2, 1, 3, 4]));
        assert_eq!(evicted, [2]);
    }

    #[test]
    fn sieve_hand_skips_visited_objects_and_rests_after_its_victim() {
        // a b c, a hit; d: the hand clears a, evicts b, rests on c; e evicts c; f evicts d (new, unvisited).
        let (hits, evicted) = trace(&mut Sieve::new(Capacity::Objects(3)), &ids(&[1, 2, 3, 1, 4, 5, 6]));
        assert_eq!(hits, [false, false, false, true, false, false, false]);
        assert_eq!(evicted, [2, 3, 4]);
    }

    #[test]
    fn s3fifo_promotes_twice_hit_objects_and_readmits_ghosts_to_main() {
        // 20 objects: the small queue holds 2, the main 18. Until the first eviction, objects that find the small
        // queue full go to the main one: 1 and 2 to small, 3..=20 to main.
        let mut s3 = S3Fifo::new(Capacity::Objects(20));
        let mut accesses = ids(&(1..=20).collect::<Vec<_>>());
        accesses.extend(ids(&[1, 1]));
        // 21: the small queue's oldest, 1 (hit twice), moves to main; 2 (never hit) is evicted to the ghosts.
        accesses.extend(ids(&[21]));
        // 2 is a ghost: a miss that goes to main, which is over its share, so main's oldest unhit object (3) goes.
        accesses.extend(ids(&[2, 1, 2]));
        let (hits, evicted) = trace(&mut s3, &accesses);
        assert_eq!(evicted, [2, 3]);
        assert_eq!(hits[20..], [true, true, false, false, true, true]);
    }

    #[test]
    fn arc_ghost_hits_adapt_and_enter_t2() {
        // Capacity 2: a b, a hit (to T2); c evicts b to B1; b (in B1) raises p and evicts a from T2 to B2;
        // a (in B2) lowers p and evicts c from T1.
        let (hits, evicted) = trace(&mut Arc::new(Capacity::Objects(2)), &ids(&[1, 2, 1, 3, 2, 1]));
        assert_eq!(hits, [false, false, true, false, false, false]);
        assert_eq!(evicted, [2, 1, 3]);
    }

    #[test]
    fn belady_evicts_the_object_needed_furthest_ahead() {
        // a(→4) b(→5) c(never) a b: c evicts b (needed later than a); at b, a and c are never needed: one goes.
        let next = [Some(4), Some(5), None, None, None];
        let accesses: Vec<Access> = [1, 2, 3, 1, 2]
            .iter()
            .zip(next)
            .map(|(&obj_id, next_access)| Access { obj_id, size_bytes: 10, next_access })
            .collect();
        let (hits, evicted) = trace(&mut Belady::new(Capacity::Objects(2)), &accesses);
        assert_eq!(hits, [false, false, false, true, false]);
        assert_eq!(evicted[0], 2);
    }

    #[test]
    fn online_policies_are_named_parsed_and_shareable() {
        fn shareable<T: Clone + Send + Sync + std::fmt::Debug>() {}
        shareable::<OnlineCache>();
        shareable::<Belady>();
        for p in OnlinePolicy::ALL {
            assert_eq!(OnlinePolicy::parse(p.name()), Some(p));
            assert_eq!(p.cache(Capacity::Bytes(1 << 30)).name(), p.name());
        }
        assert_eq!(OnlinePolicy::parse(" S3-FIFO"), Some(OnlinePolicy::S3Fifo));
        assert_eq!(OnlinePolicy::parse("belady"), None, "Belady needs the future: not an online policy");
    }

    #[test]
    fn byte_mode_evicts_by_size_and_skips_objects_larger_than_the_cache() {
        let mut lru = Lru::new(Capacity::Bytes(100));
        let mut ev = Vec::new();
        assert!(!lru.request(Access::new(1, 60), &mut ev));
        assert!(!lru.request(Access::new(2, 30), &mut ev));
        assert!(lru.request(Access::new(1, 60), &mut ev));
        assert!(!lru.request(Access::new(3, 50), &mut ev)); // evicts 2 (LRU), then still needs room: evicts 1
        assert_eq!(ev, [2, 1]);
        assert!(!lru.request(Access::new(1, 60), &mut ev));
        assert!(!lru.request(Access::new(4, 500), &mut ev)); // too big: not admitted, nothing evicted
        assert!(lru.request(Access::new(1, 60), &mut ev));
    }

    #[test]
    fn che_approximation_matches_a_known_case() {
        // Uniform popularity: the cache holds C of N objects, so the miss ratio is 1 − C/N.
        let m = che_lru_miss_ratio(&vec![1.0; 1000], 250.0);
        assert!((m - 0.75).abs() < 1e-6, "{m}");
    }
}
