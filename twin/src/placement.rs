//! Placement: which files each site holds. Steering only asks `Placement::holds`; how a placement is chosen is
//! a `PlacementPolicy`, so the proactive, reactive and oracle policies can take over behind this interface.

use crate::catalog::{Catalog, FileId};
use crate::demand::Demand;
use crate::scenario::Scenario;
use crate::world::{REGIONS, SiteId, World};

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
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// The files one site is to hold, and their total size.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub files: FileSet,
    pub used_bytes: u64,
}

/// What every site holds. Sites with the same manifest share it.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    manifest_of: Vec<u32>,
    manifests: Vec<Manifest>,
}

impl Placement {
    pub fn new(manifest_of: Vec<u32>, manifests: Vec<Manifest>) -> Placement {
        Placement { manifest_of, manifests }
    }
    #[inline]
    pub fn holds(&self, site: SiteId, file: FileId) -> bool {
        self.manifest(site).files.contains(file)
    }
    pub fn manifest(&self, site: SiteId) -> &Manifest {
        &self.manifests[self.manifest_of[site.0 as usize] as usize]
    }
}

/// A way of choosing what each site holds.
pub trait PlacementPolicy {
    fn name(&self) -> &'static str;
    fn place(&self, input: &PlacementInput) -> Placement;
}

pub struct PlacementInput<'a> {
    pub scenario: &'a Scenario,
    pub world: &'a World,
    pub catalog: &'a Catalog,
    pub demand: &'a Demand,
    /// The day whose popularity to place for.
    pub day: f64,
}

impl PlacementInput<'_> {
    /// Expected popularity of every file in a region: plays of its title × share of plays at its rung. As
    /// Open Connect defines it (bytes streamed ÷ file size), up to a constant: a file's bytes and its size
    /// both scale with its bitrate and its title's duration.
    pub fn file_popularity(&self, region: usize) -> Vec<f64> {
        let rung_share = self.demand.rung_shares(self.scenario, self.catalog);
        let movie_share = (5.0 * self.demand.movie_play_share(false) + 2.0 * self.demand.movie_play_share(true)) / 7.0;
        let mut kind_total = [0.0f64; 2];
        let weights: Vec<f64> = (0..self.catalog.titles.len())
            .map(|t| {
                let w = self.demand.title_weight(self.catalog, t, region, self.day);
                kind_total[self.catalog.titles[t].is_movie() as usize] += w;
                w
            })
            .collect();
        let mut pop = Vec::with_capacity(self.catalog.file_count());
        for (t, w) in weights.iter().enumerate() {
            let movie = self.catalog.titles[t].is_movie();
            let kind_share = if movie { movie_share } else { 1.0 - movie_share };
            let plays =
                if kind_total[movie as usize] > 0.0 { kind_share * w / kind_total[movie as usize] } else { 0.0 };
            for share in &rung_share {
                pop.push(plays * share);
            }
        }
        pop
    }
}

/// The stand-in until proactive placement lands: for each site, the most popular files of its region, in
/// order, as long as they fit on its disk (files that do not fit are skipped, smaller ones may still).
pub struct StaticPopularity;

impl PlacementPolicy for StaticPopularity {
    fn name(&self) -> &'static str {
        "static-popularity"
    }

    fn place(&self, input: &PlacementInput) -> Placement {
        let catalog = input.catalog;
        let sizes: Vec<u64> = (0..catalog.file_count() as u32).map(|f| catalog.file_size_bytes(FileId(f))).collect();
        let mut ranked: Vec<Option<Vec<u32>>> = vec![None; REGIONS.len()];
        let mut keys: Vec<(u8, u64)> = Vec::new();
        let mut manifests = Vec::new();
        let mut manifest_of = Vec::with_capacity(input.world.sites.len());
        for site in &input.world.sites {
            let key = (site.region.0, site.disk_bytes);
            if let Some(i) = keys.iter().position(|k| *k == key) {
                manifest_of.push(i as u32);
                continue;
            }
            let order = ranked[site.region.0 as usize].get_or_insert_with(|| {
                let pop = input.file_popularity(site.region.0 as usize);
                let mut order: Vec<u32> = (0..pop.len() as u32).filter(|&f| pop[f as usize] > 0.0).collect();
                order.sort_by(|&a, &b| pop[b as usize].total_cmp(&pop[a as usize]).then(a.cmp(&b)));
                order
            });
            let mut m = Manifest { files: FileSet::with_capacity(sizes.len()), used_bytes: 0 };
            for &f in order.iter() {
                let size = sizes[f as usize];
                if m.used_bytes + size <= site.disk_bytes {
                    m.files.insert(FileId(f));
                    m.used_bytes += size;
                }
            }
            manifest_of.push(manifests.len() as u32);
            keys.push(key);
            manifests.push(m);
        }
        Placement::new(manifest_of, manifests)
    }
}
