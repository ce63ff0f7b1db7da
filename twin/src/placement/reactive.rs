//! Reactive placement: a site as a cache. A play offered to the site that finds its file missing is served from
//! elsewhere (another site or the origin), and the file is fetched and admitted straight away, evicting by the
//! cache's policy. The caches are `crate::cache`'s, the same ones `trace replay` checks against libCacheSim;
//! this mirrors their contents into the site's live set.

use crate::cache::{self, Capacity, Lfu, Lru, Policy};
use crate::catalog::FileId;
use crate::scenario::PlacementKind;

#[derive(Clone, Debug)]
enum CachePolicy {
    Lru(Lru),
    Lfu(Lfu),
}

#[derive(Clone, Debug)]
pub struct SiteCache {
    policy: CachePolicy,
    capacity_bytes: u64,
}

/// What one request did to a site's cache.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub hit: bool,
    /// A miss whose file was admitted (it fits the cache at all).
    pub admitted: bool,
}

impl SiteCache {
    /// An empty cache of `capacity_bytes`, or None for a policy that is not reactive.
    pub fn new(kind: PlacementKind, capacity_bytes: u64) -> Option<SiteCache> {
        let capacity = Capacity::Bytes(capacity_bytes);
        let policy = match kind {
            PlacementKind::Lru => CachePolicy::Lru(Lru::new(capacity)),
            PlacementKind::Lfu => CachePolicy::Lfu(Lfu::new(capacity)),
            PlacementKind::Proactive | PlacementKind::Oracle => return None,
        };
        Some(SiteCache { policy, capacity_bytes })
    }

    /// One request for `file`; files evicted to make room are appended to `evicted`.
    pub fn access(&mut self, file: FileId, size_bytes: u64, evicted: &mut Vec<u64>) -> Access {
        let policy: &mut dyn Policy = match &mut self.policy {
            CachePolicy::Lru(c) => c,
            CachePolicy::Lfu(c) => c,
        };
        let hit = policy.request(cache::Access::new(file.0 as u64, size_bytes), evicted);
        Access { hit, admitted: !hit && size_bytes <= self.capacity_bytes }
    }
}
