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

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{Catalog, FileId, TitleId};
use crate::rng::mix64;
use crate::world::{SiteId, SiteShape};

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
    /// Starts loading the word that says whether `f` is in the set (a hint; it changes nothing).
    #[inline]
    pub fn prefetch(&self, f: FileId) {
        if let Some(w) = self.words.get(f.0 as usize / 64) {
            crate::prefetch::prefetch(w);
        }
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
    /// How many files the set has room for.
    pub fn capacity_files(&self) -> usize {
        self.words.len() * 64
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
    /// The files in the set, in id order.
    pub fn iter(&self) -> impl Iterator<Item = FileId> + '_ {
        bits(self.words.iter().copied())
    }
    /// The files in the set and not in `other`, in id order (a word at a time).
    pub fn difference<'a>(&'a self, other: &'a FileSet) -> impl Iterator<Item = FileId> + 'a {
        let other = other.words.iter().copied().chain(std::iter::repeat(0));
        bits(self.words.iter().zip(other).map(|(&a, b)| a & !b))
    }
}

/// The files whose bits are set in `words` (word `i` holds files `64 i` to `64 i + 63`), in id order.
fn bits(words: impl Iterator<Item = u64>) -> impl Iterator<Item = FileId> {
    words.enumerate().flat_map(|(i, w)| {
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

/// Where a site keeps its files on its appliances: which sit on flash (the head; the tail on storage), and how
/// many appliances hold each file that has more than one copy. A file's copies sit on the first appliances of
/// its tier in rendezvous order (`appliance_rank`), so the layout needs no per-file record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub flash: FileSet,
    /// Files with more than one copy, and their copies, sorted by file.
    pub copies: Vec<(u32, u8)>,
}

impl Layout {
    pub fn copies_of(&self, file: FileId) -> usize {
        self.copies.binary_search_by_key(&file.0, |c| c.0).map_or(1, |i| self.copies[i].1 as usize)
    }
}

/// Rendezvous rank of appliance `a` (within its site) for `file`: a file's copies go to the highest ranks.
#[inline]
pub fn appliance_rank(file: FileId, a: u32) -> u64 {
    mix64((file.0 as u64) << 8 | a as u64)
}

/// The appliances (indexes within the site, highest rank first) that hold the copies of `file` in a tier
/// `tier` of appliances, into `out`.
pub fn copy_appliances(file: FileId, tier: std::ops::Range<u32>, copies: usize, out: &mut Vec<u32>) {
    out.clear();
    if copies <= 1 {
        out.extend(tier.max_by_key(|&a| appliance_rank(file, a)));
        return;
    }
    out.extend(tier);
    out.sort_by_key(|&a| std::cmp::Reverse(appliance_rank(file, a)));
    out.truncate(copies);
}

/// The appliance (index into `World::appliances`) of a site that serves `file` to play `play`: one of the
/// file's copies, in the site's flash tier if its layout puts it there, else storage; plays spread over the
/// copies. A site without a layout (a reactive cache) keeps one copy, on storage when it has any.
#[inline]
pub fn appliance_of(site: SiteShape, layout: Option<&Layout>, file: FileId, play: u64) -> u32 {
    let (storage, flash) = (site.storage as u32, site.flash as u32);
    let on_flash = flash > 0 && (storage == 0 || layout.is_some_and(|l| l.flash.contains(file)));
    let tier = if on_flash { storage..storage + flash } else { 0..storage };
    let copies = layout.map_or(1, |l| l.copies_of(file)).min(tier.len());
    let local = if copies <= 1 {
        tier.max_by_key(|&a| appliance_rank(file, a)).unwrap_or(0)
    } else {
        // The play's copy: the k-th of the tier by rank, as `copy_appliances` orders them (no allocation: a
        // popular file's plays come here).
        let k = (mix64(play) % copies as u64) as usize;
        let mut ranked = [(0u64, 0u32); crate::scenario::MAX_APPLIANCES_PER_SITE as usize];
        let n = tier.len();
        for (slot, a) in ranked.iter_mut().zip(tier) {
            *slot = (appliance_rank(file, a), a);
        }
        ranked[..n].select_nth_unstable_by_key(k, |&(rank, _)| std::cmp::Reverse(rank));
        ranked[k].1
    };
    site.first_appliance + local
}

/// What a planner wants one cluster's sites to hold: the files, where they sit on the appliances, and what
/// they take on each appliance (a popular file has replicas on several).
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    /// Shared with the placement of every site that holds exactly this (most sites, once their fill is done):
    /// one copy in cache serves them all.
    pub files: Arc<FileSet>,
    /// Files in `files`.
    pub file_count: usize,
    pub layout: Arc<Layout>,
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

/// A set of file ids, hashed: the changes to a site's files since its last complete plan.
type FileIds = HashSet<u32, BuildHasherDefault<FileIdHasher>>;

/// File ids are small dense integers: one multiply spreads them well enough.
#[derive(Default, Clone, Copy)]
pub struct FileIdHasher(u64);

impl Hasher for FileIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (v as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What one site holds live: the plan it last held completely (shared with its cluster and with snapshots),
/// and the files added and deleted since, while a fill moves it towards its next plan. So a site mid-fill
/// costs its night's changes, not a copy of the catalogue's bitmap.
#[derive(Clone, Debug)]
struct Held {
    base: Arc<FileSet>,
    added: FileIds,
    removed: FileIds,
}

impl Held {
    #[inline]
    fn contains(&self, f: FileId) -> bool {
        if self.base.contains(f) {
            self.removed.is_empty() || !self.removed.contains(&f.0)
        } else {
            !self.added.is_empty() && self.added.contains(&f.0)
        }
    }

    /// The files of `desired` it does not hold, in no set order: those missing from its base and not added
    /// since, and those removed since that `desired` has (a word at a time, not a file at a time).
    fn missing<'a>(&'a self, desired: &'a FileSet) -> impl Iterator<Item = FileId> + 'a {
        let removed = self.removed.iter().map(|&f| FileId(f)).filter(|&f| desired.contains(f));
        desired.difference(&self.base).filter(|f| !self.added.contains(&f.0)).chain(removed)
    }

    /// The files it holds that `desired` does not have, in no set order.
    fn surplus<'a>(&'a self, desired: &'a FileSet) -> impl Iterator<Item = FileId> + 'a {
        let added = self.added.iter().map(|&f| FileId(f)).filter(|&f| !desired.contains(f));
        self.base.difference(desired).filter(|f| !self.removed.contains(&f.0)).chain(added)
    }

    fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.base.iter().filter(|f| !self.removed.contains(&f.0)).chain(self.added.iter().map(|&f| FileId(f)))
    }

    /// The held files as one set.
    fn materialize(&self) -> FileSet {
        let mut set = (*self.base).clone();
        for &f in &self.removed {
            set.remove(FileId(f));
        }
        for &f in &self.added {
            set.insert(FileId(f));
        }
        set
    }
}

/// What `holds(site, file)` and the choice of the appliance that serves `file` there read first: the plan the
/// site last held completely, and the files its layout puts on flash.
#[derive(Clone, Copy)]
pub struct SiteSets<'a> {
    held: &'a FileSet,
    flash: Option<&'a FileSet>,
}

impl SiteSets<'_> {
    /// Starts loading the words that say whether these sets have `f` (a hint; it changes nothing).
    #[inline]
    pub fn prefetch(&self, f: FileId) {
        self.held.prefetch(f);
        if let Some(flash) = self.flash {
            flash.prefetch(f);
        }
    }

    /// Whether both are the same sets as `other`'s (not only equal ones).
    pub fn same(&self, other: &SiteSets) -> bool {
        std::ptr::eq(self.held, other.held) && self.flash.map(std::ptr::from_ref) == other.flash.map(std::ptr::from_ref)
    }
}

/// The files each site holds live (complete, servable), their size, and where they sit on its appliances.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    held: Vec<Held>,
    held_bytes: Vec<u64>,
    layouts: Vec<Option<Arc<Layout>>>,
}

impl Placement {
    pub fn new(held: Vec<Arc<FileSet>>, held_bytes: Vec<u64>) -> Placement {
        let layouts = vec![None; held.len()];
        let held = held.into_iter().map(|base| Held { base, added: FileIds::default(), removed: FileIds::default() });
        Placement { held: held.collect(), held_bytes, layouts }
    }
    /// Where a site's files sit on its appliances (None: one copy each, on storage when it has any).
    #[inline]
    pub fn layout(&self, site: SiteId) -> Option<&Layout> {
        self.layouts[site.0 as usize].as_deref()
    }
    pub fn set_layout(&mut self, site: SiteId, layout: Option<Arc<Layout>>) {
        self.layouts[site.0 as usize] = layout;
    }
    #[inline]
    pub fn holds(&self, site: SiteId, file: FileId) -> bool {
        self.held[site.0 as usize].contains(file)
    }
    /// The sets a play's steering reads first at a site (sites that hold one plan share them).
    #[inline]
    pub fn sets(&self, site: SiteId) -> SiteSets<'_> {
        SiteSets { held: &self.held[site.0 as usize].base, flash: self.layout(site).map(|l| &l.flash) }
    }
    /// The files a site holds live, in no set order.
    pub fn held_files(&self, site: SiteId) -> impl Iterator<Item = FileId> + '_ {
        self.held[site.0 as usize].files()
    }
    /// The files of `desired` a site does not hold, in no set order.
    pub fn missing(&self, site: SiteId, desired: &FileSet) -> Vec<FileId> {
        self.held[site.0 as usize].missing(desired).collect()
    }
    /// The files a site holds that `desired` does not have, in no set order.
    pub fn surplus(&self, site: SiteId, desired: &FileSet) -> Vec<FileId> {
        self.held[site.0 as usize].surplus(desired).collect()
    }
    /// How many files a site holds live.
    pub fn held_count(&self, site: SiteId) -> usize {
        let h = &self.held[site.0 as usize];
        h.base.len() + h.added.len() - h.removed.len()
    }
    /// Whether a site's files are `files` itself (shared, nothing changed since).
    pub fn shares(&self, site: SiteId, files: &Arc<FileSet>) -> bool {
        let h = &self.held[site.0 as usize];
        Arc::ptr_eq(&h.base, files) && h.added.is_empty() && h.removed.is_empty()
    }
    /// Whether a site holds exactly `files`.
    pub fn holds_exactly(&self, site: SiteId, files: &Arc<FileSet>) -> bool {
        self.shares(site, files) || self.held[site.0 as usize].materialize() == **files
    }
    /// Heap bytes of the sites' own file sets (a set shared by several sites counts once) and of their changes.
    pub fn heap_bytes(&self) -> (usize, usize) {
        let mut bases: Vec<*const FileSet> = self.held.iter().map(|h| Arc::as_ptr(&h.base)).collect();
        bases.sort_unstable();
        bases.dedup();
        let words = self.held.first().map_or(0, |h| h.base.words.len() * 8);
        let changes = self.held.iter().map(|h| (h.added.capacity() + h.removed.capacity()) * 5).sum();
        (bases.len() * words, changes)
    }
    /// Bytes of one copy of every file the site holds.
    pub fn held_bytes(&self, site: SiteId) -> u64 {
        self.held_bytes[site.0 as usize]
    }
    pub fn sites(&self) -> usize {
        self.held.len()
    }
    pub fn insert(&mut self, site: SiteId, file: FileId, size_bytes: u64) {
        let h = &mut self.held[site.0 as usize];
        if h.contains(file) {
            return;
        }
        if h.base.contains(file) {
            h.removed.remove(&file.0)
        } else {
            h.added.insert(file.0)
        };
        self.held_bytes[site.0 as usize] += size_bytes;
        self.compact(site);
    }
    pub fn remove(&mut self, site: SiteId, file: FileId, size_bytes: u64) {
        let h = &mut self.held[site.0 as usize];
        if !h.contains(file) {
            return;
        }
        if h.base.contains(file) {
            h.removed.insert(file.0)
        } else {
            h.added.remove(&file.0)
        };
        self.held_bytes[site.0 as usize] -= size_bytes;
        self.compact(site);
    }
    /// Makes a site share `files` (which must equal what it holds) as its base, with no changes on top.
    pub fn share(&mut self, site: SiteId, files: &Arc<FileSet>) {
        debug_assert!(self.holds_exactly(site, files));
        self.held[site.0 as usize] =
            Held { base: files.clone(), added: FileIds::default(), removed: FileIds::default() };
    }
    /// Folds a site's changes into a base of its own once they take more memory than one (a cache turning
    /// over, a fill far from its plan): a change costs about as much as 64 files of a bitmap.
    fn compact(&mut self, site: SiteId) {
        let h = &mut self.held[site.0 as usize];
        let changes = h.added.len() + h.removed.len();
        if changes > 1024 && changes > h.base.capacity_files() / 64 {
            *h = Held { base: Arc::new(h.materialize()), added: FileIds::default(), removed: FileIds::default() };
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
    /// Most bytes new to the cluster a night can bring: what one fill window moves.
    pub window_bytes: u64,
    pub rules: &'a BTreeMap<TitleId, TitleRule>,
}

// Plan generations: a process-wide counter, so a number never comes back, not even in
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
