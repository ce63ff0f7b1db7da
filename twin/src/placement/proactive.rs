//! Proactive placement, as Open Connect does it: each night, fill a cluster's disks greedily by predicted
//! popularity density. Popularity is bytes streamed ÷ file size, which is exactly the bytes a file would serve
//! per byte of disk, so the greedy order is the popularity order. The head lands on flash and the tail on
//! storage; a file gets replicas across the appliances of its tier in proportion to the load it carries,
//! spread by rendezvous (consistent) hashing so a file's appliances stay put from night to night. Operator
//! pins come first and excludes never; files new to the cluster may take at most the churn budget.

use std::sync::Arc;

use crate::catalog::FileId;
use crate::placement::{FileSet, Manifest, PlanInput, Planner, TitleRule};
use crate::rng::mix64;

#[derive(Clone, Copy, Debug)]
pub struct Proactive {
    /// Bytes new to the cluster per night, as a share of its disk (None: no cap).
    pub max_churn_share: Option<f64>,
    pub headroom_share: f64,
    pub replica_load_share: f64,
    /// A file already in the cluster's plan ranks as if this much more popular: small wobbles in the prediction
    /// do not swap files at the edge of the disk back and forth (each swap is a fill).
    pub incumbent_bonus: f64,
}

impl Planner for Proactive {
    fn plan(&self, input: &PlanInput) -> Manifest {
        let n_storage = input.storage_appliances as usize;
        let n_flash = input.flash_appliances as usize;
        let keep = 1.0 - self.headroom_share;
        let capacity: Vec<u64> = (0..n_storage)
            .map(|_| (input.storage_disk_bytes as f64 * keep) as u64)
            .chain((0..n_flash).map(|_| (input.flash_disk_bytes as f64 * keep) as u64))
            .collect();
        let disk_total: u64 = n_storage as u64 * input.storage_disk_bytes + n_flash as u64 * input.flash_disk_bytes;
        let mut churn_budget = match (self.max_churn_share, input.previous) {
            (Some(share), Some(prev)) if !prev.files.is_empty() => (share * disk_total as f64) as u64,
            _ => u64::MAX,
        };
        let files = input.popularity.len();
        let mut m = Manifest {
            files: Arc::new(FileSet::with_capacity(files)),
            file_count: 0,
            flash: FileSet::with_capacity(files),
            used_bytes: 0,
            replica_bytes: 0,
            appliance_bytes: vec![0; capacity.len()],
            generation: Manifest::next_generation(),
        };
        let total_bytes: f64 =
            input.order.iter().map(|&f| input.popularity[f as usize] * input.sizes[f as usize] as f64).sum();
        let rule = |f: u32| input.rules.get(&input.catalog.title_of(FileId(f))).copied();
        let pinned = input.rules.iter().filter(|(_, r)| **r == TitleRule::Pin).flat_map(|(t, _)| {
            let rungs = input.catalog.ladder.len() as u32;
            (t.0 * rungs..(t.0 + 1) * rungs).filter(|&f| (f as usize) < files)
        });
        let mut ranked: Vec<u32> = input.order.iter().copied().filter(|&f| rule(f).is_none()).collect();
        if let Some(prev) = input.previous.filter(|_| self.incumbent_bonus > 0.0) {
            let score = |f: u32| {
                let p = input.popularity[f as usize];
                if prev.files.contains(FileId(f)) { p * (1.0 + self.incumbent_bonus) } else { p }
            };
            ranked.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
        }
        let rest = ranked.into_iter();
        for f in pinned.chain(rest) {
            let size = input.sizes[f as usize];
            let is_pin = rule(f) == Some(TitleRule::Pin);
            let new = input.previous.is_some_and(|p| !p.files.contains(FileId(f)));
            if new && !is_pin && size > churn_budget {
                continue;
            }
            let share = if total_bytes > 0.0 { input.popularity[f as usize] * size as f64 / total_bytes } else { 0.0 };
            // Head first: flash, then storage.
            let tiers = [(n_storage, n_storage + n_flash, true), (0, n_storage, false)];
            for (lo, hi, flash) in tiers {
                if lo == hi {
                    continue;
                }
                let want = ((share / self.replica_load_share).ceil() as usize).clamp(1, hi - lo);
                let mut apps: Vec<usize> = (lo..hi).filter(|&a| m.appliance_bytes[a] + size <= capacity[a]).collect();
                if apps.is_empty() {
                    continue;
                }
                apps.sort_by_key(|&a| std::cmp::Reverse(mix64((f as u64) << 8 | a as u64)));
                let copies = want.min(apps.len());
                for &a in &apps[..copies] {
                    m.appliance_bytes[a] += size;
                }
                Arc::make_mut(&mut m.files).insert(FileId(f));
                m.file_count += 1;
                if flash {
                    m.flash.insert(FileId(f));
                }
                m.used_bytes += size;
                m.replica_bytes += size * (copies as u64 - 1);
                if new && !is_pin {
                    churn_budget -= size;
                }
                break;
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalog::{Catalog, TitleId};
    use crate::test_support::small_scenario;

    fn input<'a>(
        catalog: &'a Catalog,
        sizes: &'a [u64],
        pop: &'a [f64],
        order: &'a [u32],
        rules: &'a BTreeMap<TitleId, TitleRule>,
        disk: u64,
        previous: Option<&'a Manifest>,
    ) -> PlanInput<'a> {
        PlanInput {
            catalog,
            sizes,
            popularity: pop,
            order,
            storage_appliances: 1,
            flash_appliances: 2,
            storage_disk_bytes: disk,
            flash_disk_bytes: disk / 4,
            previous,
            rules,
        }
    }

    #[test]
    fn head_on_flash_pins_first_excludes_never_and_churn_is_capped() {
        let catalog = Catalog::build(&small_scenario());
        let n = catalog.file_count();
        let sizes: Vec<u64> = (0..n as u32).map(|f| catalog.file_size_bytes(FileId(f))).collect();
        let pop: Vec<f64> = (0..n).map(|f| 1.0 / (f + 1) as f64).collect();
        let order: Vec<u32> = (0..n as u32).collect();
        let catalog_bytes: u64 = sizes.iter().sum();
        let disk = catalog_bytes / 6;
        let planner =
            Proactive { max_churn_share: None, headroom_share: 0.05, replica_load_share: 0.01, incumbent_bonus: 0.0 };
        let mut rules = BTreeMap::new();
        let last = catalog.titles.len() as u32 - 1;
        rules.insert(TitleId(last), TitleRule::Pin);
        rules.insert(TitleId(0), TitleRule::Exclude);
        let m = planner.plan(&input(&catalog, &sizes, &pop, &order, &rules, disk, None));
        let rungs = catalog.ladder.len() as u32;
        assert!((0..rungs).all(|r| !m.files.contains(FileId(r))), "excluded title placed");
        assert!((0..rungs).all(|r| m.files.contains(FileId(last * rungs + r))), "pinned title missing");
        // Flash holds the most popular files placed; every appliance within its disk less headroom.
        let first_placed = m.files.iter().find(|f| f.0 >= rungs).unwrap();
        assert!(m.flash.contains(first_placed));
        let caps = [disk, disk / 4, disk / 4];
        for (used, cap) in m.appliance_bytes.iter().zip(caps) {
            assert!(*used as f64 <= cap as f64 * 0.95, "{used} > {cap}");
        }
        assert_eq!(m.appliance_bytes.iter().sum::<u64>(), m.disk_bytes());
        assert!(m.replica_bytes > 0, "the hottest files get replicas");
        assert_eq!(m.file_count, m.files.len());

        // Tomorrow popularity reverses: only the churn budget's worth of new files may come in.
        let rev: Vec<f64> = pop.iter().rev().copied().collect();
        let rev_order: Vec<u32> = (0..n as u32).rev().collect();
        let capped = Proactive { max_churn_share: Some(0.02), ..planner };
        let next = capped.plan(&input(&catalog, &sizes, &rev, &rev_order, &rules, disk, Some(&m)));
        let added: u64 = next.files.iter().filter(|f| !m.files.contains(*f)).map(|f| sizes[f.0 as usize]).sum();
        let budget = (0.02 * (disk + disk / 2) as f64) as u64;
        assert!(added > 0 && added <= budget, "added {added}, budget {budget}");
    }
}
