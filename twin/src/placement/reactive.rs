//! Reactive placement: a site as a cache. A play offered to the site that finds its file missing is served from
//! elsewhere (another site or the origin), and the file is fetched and admitted straight away when the cache's
//! policy takes it, evicting by the policy. The caches are `crate::cache`'s online policies, the same ones
//! `trace replay` checks against libCacheSim; the site's live files mirror the cache's contents.

use crate::cache::{Access, Capacity, OnlineCache, OnlinePolicy, Policy};
use crate::catalog::FileId;

/// What one request did to a site's cache.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub hit: bool,
    /// A miss whose file the cache took in.
    pub admitted: bool,
}

/// An empty cache of `policy` over a site's disk.
pub fn site_cache(policy: OnlinePolicy, disk_bytes: u64) -> OnlineCache {
    policy.cache(Capacity::Bytes(disk_bytes))
}

/// One request for `file`; files evicted to make room are appended to `evicted`.
pub fn request(cache: &mut OnlineCache, file: FileId, size_bytes: u64, evicted: &mut Vec<u64>) -> Outcome {
    let hit = cache.request(Access::new(file.0 as u64, size_bytes), evicted);
    Outcome { hit, admitted: !hit && cache.contains(file.0 as u64) }
}
