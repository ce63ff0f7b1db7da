//! Placement: which files each site holds. Steering only asks `Placement::holds` about the files a site holds
//! *live* (complete on disk); how a site decides what it should hold is its policy:
//!
//! - planners (`proactive`, `oracle`) pick a manifest per cluster each night from popularity, and fills
//!   (`crate::fill`) bring sites to it in their off-peak window;
//! - reactive caches (`reactive`: LRU, LFU) admit a file when a play misses it, evicting to make room.
//!
//! `lp_bound` solves the placement LP of a small instance, to say how far the greedy planner is from optimal.

pub mod cluster;
pub mod lp_bound;
pub mod oracle;
pub mod proactive;
pub mod reactive;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{Catalog, FileId, TitleId};
use crate::demand::Demand;
use crate::scenario::Scenario;
use crate::world::SiteId;

pub use cluster::{ClusterId, Clusters};

/// A set of files, one bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSet {
    words: Vec<u64>,
}

impl FileSet {
    pub fn with_capacity(files: usize) -> FileSet {
        FileSet { words: vec![0; files.div_ceil(64)] }
    }
    #[inline]
    pub fn contains(&self, f: FileId) -> bool {
        let i = f.0 as usize;
        self.words.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
    pub fn insert(&mut self, f: FileId) {
        let i = f.0 as usize;
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    pub fn remove(&mut self, f: FileId) {
        let i = f.0 as usize;
        if let Some(w) = self.words.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
    /// The files in the set, in id order.
    pub fn iter(&self) -> impl Iterator<Item = FileId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros();
                    w &= w - 1;
                    FileId(i as u32 * 64 + b)
                })
            })
        })
    }
}

/// What a planner wants one cluster's sites to hold: the files, which of them sit on flash (the head), and
/// what they take on each appliance (a popular file has replicas on several).
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    /// Shared with the placement of every site that holds exactly this (most sites, once their fill is done):
    /// one copy in cache serves them all.
    pub files: Arc<FileSet>,
    /// Files in `files`.
    pub file_count: usize,
    pub flash: FileSet,
    /// One copy of each file.
    pub used_bytes: u64,
    /// Extra copies (replicas beyond the first), made inside the site from its first copy.
    pub replica_bytes: u64,
    /// Bytes on each appliance, storage appliances first, then flash.
    pub appliance_bytes: Vec<u64>,
    /// Unique to this plan among the plans made in this process (0: never planned): what views key caches by.
    pub generation: u64,
}

impl Manifest {
    pub fn disk_bytes(&self) -> u64 {
        self.used_bytes + self.replica_bytes
    }
}

/// The files each site holds live (complete, servable), and their size. Sets are shared between sites and
/// with snapshots until one changes (copy on write).
#[derive(Clone, Debug, Default)]
pub struct Placement {
    held: Vec<Arc<FileSet>>,
    held_bytes: Vec<u64>,
}

impl Placement {
    pub fn new(held: Vec<Arc<FileSet>>, held_bytes: Vec<u64>) -> Placement {
        Placement { held, held_bytes }
    }
    #[inline]
    pub fn holds(&self, site: SiteId, file: FileId) -> bool {
        self.held[site.0 as usize].contains(file)
    }
    pub fn held(&self, site: SiteId) -> &FileSet {
        &self.held[site.0 as usize]
    }
    /// Bytes of one copy of every file the site holds.
    pub fn held_bytes(&self, site: SiteId) -> u64 {
        self.held_bytes[site.0 as usize]
    }
    pub fn sites(&self) -> usize {
        self.held.len()
    }
    pub fn insert(&mut self, site: SiteId, file: FileId, size_bytes: u64) {
        let s = site.0 as usize;
        if !self.held[s].contains(file) {
            Arc::make_mut(&mut self.held[s]).insert(file);
            self.held_bytes[s] += size_bytes;
        }
    }
    /// Makes a site share `files` (which must equal what it holds) rather than keep its own copy.
    pub fn share(&mut self, site: SiteId, files: &Arc<FileSet>) {
        let s = site.0 as usize;
        debug_assert!(*self.held[s] == **files);
        self.held[s] = files.clone();
    }
    pub fn remove(&mut self, site: SiteId, file: FileId, size_bytes: u64) {
        let s = site.0 as usize;
        if self.held[s].contains(file) {
            Arc::make_mut(&mut self.held[s]).remove(file);
            self.held_bytes[s] -= size_bytes;
        }
    }
}

/// An operator's rule for a title somewhere: keep it there whatever its popularity, or never put it there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum TitleRule {
    Pin,
    Exclude,
}

/// Where a rule or a command applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub enum Scope {
    Site(SiteId),
    Cluster(ClusterId),
    All,
}

/// Operator pins and excludes. A site-level rule overrides its cluster's, which overrides a global one.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Rules {
    rules: BTreeMap<(Scope, TitleId), TitleRule>,
}

impl Rules {
    pub fn set(&mut self, scope: Scope, title: TitleId, rule: Option<TitleRule>) {
        match rule {
            Some(r) => self.rules.insert((scope, title), r),
            None => self.rules.remove(&(scope, title)),
        };
    }
    pub fn iter(&self) -> impl Iterator<Item = (Scope, TitleId, TitleRule)> + '_ {
        self.rules.iter().map(|(&(s, t), &r)| (s, t, r))
    }
    /// The rules that decide a site's content: (title, rule), most specific scope winning.
    pub fn for_site(&self, site: SiteId, cluster: ClusterId) -> BTreeMap<TitleId, TitleRule> {
        let mut out = BTreeMap::new();
        for scope in [Scope::All, Scope::Cluster(cluster), Scope::Site(site)] {
            for (&(s, t), &r) in self.rules.range((scope, TitleId(0))..=(scope, TitleId(u32::MAX))) {
                debug_assert_eq!(s, scope);
                out.insert(t, r);
            }
        }
        out
    }
    /// Whether any rule names this site specifically.
    pub fn has_site_rules(&self, site: SiteId) -> bool {
        let scope = Scope::Site(site);
        self.rules.range((scope, TitleId(0))..=(scope, TitleId(u32::MAX))).next().is_some()
    }
}

/// Chooses the manifest of a cluster's sites for the coming day.
pub trait Planner {
    /// `popularity[f]`: the popularity to plan with (bytes streamed ÷ file size per day, in the cluster's
    /// region); `previous`: what the cluster was planned to hold until now (for the churn cap).
    fn plan(&self, input: &PlanInput) -> Manifest;
}

/// One cluster's planning problem.
pub struct PlanInput<'a> {
    pub catalog: &'a Catalog,
    pub sizes: &'a [u64],
    pub popularity: &'a [f64],
    /// Files with popularity above 0, most popular first.
    pub order: &'a [u32],
    /// Appliances in each site of the cluster, and their disks.
    pub storage_appliances: u32,
    pub flash_appliances: u32,
    pub storage_disk_bytes: u64,
    pub flash_disk_bytes: u64,
    pub previous: Option<&'a Manifest>,
    pub rules: &'a BTreeMap<TitleId, TitleRule>,
}

/// Expected popularity of every file in a region on `day` under the demand model: a play share of its title ×
/// the share of plays at its rung, in relative units. As Open Connect defines popularity (bytes streamed ÷ file
/// size) up to a constant: a file's bytes and its size both scale with its bitrate and its title's duration.
pub fn expected_popularity(
    scenario: &Scenario,
    catalog: &Catalog,
    demand: &Demand,
    region: usize,
    day: f64,
) -> Vec<f64> {
    let rung_share = demand.rung_shares(scenario, catalog);
    let movie_share = (5.0 * demand.movie_play_share(false) + 2.0 * demand.movie_play_share(true)) / 7.0;
    let mut kind_total = [0.0f64; 2];
    let weights: Vec<f64> = (0..catalog.titles.len())
        .map(|t| {
            let w = demand.title_weight(catalog, t, region, day);
            kind_total[catalog.titles[t].is_movie() as usize] += w;
            w
        })
        .collect();
    let mut pop = Vec::with_capacity(catalog.file_count());
    for (t, w) in weights.iter().enumerate() {
        let movie = catalog.titles[t].is_movie();
        let kind_share = if movie { movie_share } else { 1.0 - movie_share };
        let plays = if kind_total[movie as usize] > 0.0 { kind_share * w / kind_total[movie as usize] } else { 0.0 };
        for share in &rung_share {
            pop.push(plays * share);
        }
    }
    pop
}

// Plan generations (branch console-views): a process-wide counter, so a number never comes back, not even in
// another twin after a reset. It numbers plans and feeds nothing in the simulation.
static LAST_PLAN_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Manifest {
    /// A generation number no plan has had yet.
    pub(crate) fn next_generation() -> u64 {
        LAST_PLAN_GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_set_iterates_what_it_holds() {
        let mut s = FileSet::with_capacity(200);
        for f in [0, 63, 64, 130, 199] {
            s.insert(FileId(f));
        }
        s.remove(FileId(64));
        assert_eq!(s.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 63, 130, 199]);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let mut r = Rules::default();
        let (site, cluster) = (SiteId(3), ClusterId(1));
        r.set(Scope::All, TitleId(7), Some(TitleRule::Exclude));
        r.set(Scope::Cluster(cluster), TitleId(7), Some(TitleRule::Pin));
        r.set(Scope::Site(SiteId(4)), TitleId(8), Some(TitleRule::Pin));
        let rules = r.for_site(site, cluster);
        assert_eq!(rules.get(&TitleId(7)), Some(&TitleRule::Pin));
        assert_eq!(rules.get(&TitleId(8)), None);
        assert!(!r.has_site_rules(site) && r.has_site_rules(SiteId(4)));
        r.set(Scope::Cluster(cluster), TitleId(7), None);
        assert_eq!(r.for_site(site, cluster).get(&TitleId(7)), Some(&TitleRule::Exclude));
    }
}
