//! Proactive placement, as Open Connect does it: each night, fill a cluster's disks greedily by predicted
//! popularity density. Popularity is bytes streamed ÷ file size, which is exactly the bytes a file would serve
//! per byte of disk, so the greedy order is the popularity order. The head lands on flash and the tail on
//! storage; a file gets replicas across the appliances of its tier in proportion to the load it carries,
//! spread by rendezvous (consistent) hashing so a file's appliances stay put from night to night. Operator
//! pins come first and excludes never; files new to the cluster may take at most the churn budget.

use std::sync::Arc;

use crate::catalog::FileId;
use crate::placement::{FileSet, Layout, Manifest, PlanInput, Planner, TitleRule, copy_appliances};
use crate::prefetch::prefetch;

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
        // New files beyond what a night's fill can move would only wait in the queue.
        let mut churn_budget = match (self.max_churn_share, input.previous) {
            (Some(share), Some(prev)) if !prev.files.is_empty() => {
                ((share * disk_total as f64) as u64).min(input.window_bytes)
            }
            _ => u64::MAX,
        };
        let files = input.popularity.len();
        let mut m = Manifest {
            files: Arc::new(FileSet::with_capacity(files)),
            file_count: 0,
            layout: Arc::default(),
            used_bytes: 0,
            replica_bytes: 0,
            appliance_bytes: vec![0; capacity.len()],
            generation: Manifest::next_generation(),
        };
        let mut layout = Layout { flash: FileSet::with_capacity(files), copies: Vec::new() };
        let total_bytes: f64 =
            input.order.iter().map(|&f| input.popularity[f as usize] * input.sizes[f as usize] as f64).sum();
        let rule = |f: u32| {
            if input.rules.is_empty() { None } else { input.rules.get(&input.catalog.title_of(FileId(f))).copied() }
        };
        let pinned = input
            .rules
            .iter()
            .filter(|(_, r)| **r == TitleRule::Pin)
            .flat_map(|(t, _)| input.catalog.files_of(*t).map(|f| f.0));
        let ranked: Vec<u32> = pinned.chain(self.ranked(input).into_iter().filter(|&f| rule(f).is_none())).collect();
        // Once no appliance has room for the smallest file, nothing more can be placed.
        let smallest = input.order.iter().map(|&f| input.sizes[f as usize]).min().unwrap_or(0);
        let mut apps = Vec::new();
        for (i, &f) in ranked.iter().enumerate() {
            // The files come in popularity order, scattered over the tables: each one's size and popularity
            // are asked for `AHEAD` files before.
            const AHEAD: usize = 16;
            if let Some(&ahead) = ranked.get(i + AHEAD) {
                prefetch(&input.sizes[ahead as usize]);
                prefetch(&input.popularity[ahead as usize]);
            }
            if i % 1024 == 0
                && (0..capacity.len()).all(|a| capacity[a] - m.appliance_bytes[a].min(capacity[a]) < smallest)
            {
                break;
            }
            let size = input.sizes[f as usize];
            let is_pin = rule(f) == Some(TitleRule::Pin);
            let new = input.previous.is_some_and(|p| !p.files.contains(FileId(f)));
            if new && !is_pin && size > churn_budget {
                continue;
            }
            let share = if total_bytes > 0.0 { input.popularity[f as usize] * size as f64 / total_bytes } else { 0.0 };
            // Head first: flash, then storage. A file's copies go to the first appliances of the tier in
            // rendezvous order, so steering finds them without a per-file record; if one of them is full, the
            // file does not fit the tier.
            let tiers = [(n_storage, n_storage + n_flash, true), (0, n_storage, false)];
            for (lo, hi, flash) in tiers {
                if lo == hi {
                    continue;
                }
                let copies = ((share / self.replica_load_share).ceil() as usize).clamp(1, hi - lo);
                copy_appliances(FileId(f), lo as u32..hi as u32, copies, &mut apps);
                if apps.iter().any(|&a| m.appliance_bytes[a as usize] + size > capacity[a as usize]) {
                    continue;
                }
                for &a in &apps {
                    m.appliance_bytes[a as usize] += size;
                }
                Arc::make_mut(&mut m.files).insert(FileId(f));
                m.file_count += 1;
                if flash {
                    layout.flash.insert(FileId(f));
                }
                if copies > 1 {
                    layout.copies.push((f, copies as u8));
                }
                m.used_bytes += size;
                m.replica_bytes += size * (copies as u64 - 1);
                if new && !is_pin {
                    churn_budget -= size;
                }
                break;
            }
        }
        layout.copies.sort_unstable();
        m.layout = Arc::new(layout);
        m
    }
}

impl Proactive {
    /// Files with popularity in the order the plan considers them: by popularity, a file already planned for
    /// the cluster ranking as if `incumbent_bonus` more popular. A merge of the incumbents and the newcomers,
    /// each already in popularity order (ties: lower file first).
    fn ranked(&self, input: &PlanInput) -> Vec<u32> {
        let order = input.order;
        let Some(previous) = input.previous.filter(|_| self.incumbent_bonus > 0.0) else { return order.to_vec() };
        // Popularity by place in `order`, gathered in one pass: the merge, reading it file by file, would wait
        // on memory at every step.
        let pop: Vec<f64> = order.iter().map(|&f| input.popularity[f as usize]).collect();
        let (old, new): (Vec<u32>, Vec<u32>) =
            (0..order.len() as u32).partition(|&i| previous.files.contains(FileId(order[i as usize])));
        let bonus = 1.0 + self.incumbent_bonus;
        let mut ranked = Vec::with_capacity(order.len());
        let (mut a, mut b) = (0, 0);
        while let (Some(&i), Some(&j)) = (old.get(a), new.get(b)) {
            let (i, j) = (i as usize, j as usize);
            let (so, sn) = (pop[i] * bonus, pop[j]);
            if so > sn || (so == sn && order[i] < order[j]) {
                ranked.push(order[i]);
                a += 1;
            } else {
                ranked.push(order[j]);
                b += 1;
            }
        }
        ranked.extend(old[a..].iter().chain(&new[b..]).map(|&i| order[i as usize]));
        ranked
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
            window_bytes: u64::MAX,
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
        let last = catalog.slots.start - 1;
        rules.insert(TitleId(last), TitleRule::Pin);
        rules.insert(TitleId(0), TitleRule::Exclude);
        let m = planner.plan(&input(&catalog, &sizes, &pop, &order, &rules, disk, None));
        assert!(catalog.files_of(TitleId(0)).all(|f| !m.files.contains(f)), "excluded title placed");
        assert!(catalog.files_of(TitleId(last)).all(|f| m.files.contains(f)), "pinned title missing");
        // Flash holds the most popular files placed; every appliance within its disk less headroom.
        let excluded_end = catalog.files_of(TitleId(0)).last().unwrap().0;
        let first_placed = m.files.iter().find(|f| f.0 > excluded_end).unwrap();
        assert!(m.layout.flash.contains(first_placed));
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

    #[test]
    fn incumbents_rank_as_if_more_popular_ties_lower_file_first() {
        let catalog = Catalog::build(&small_scenario());
        let n = catalog.file_count();
        let sizes: Vec<u64> = (0..n as u32).map(|f| catalog.file_size_bytes(FileId(f))).collect();
        // Popularity with many ties, some files with none (not in the order).
        let pop: Vec<f64> = (0..n).map(|f| ((f * 37) % 23) as f64).collect();
        let mut order: Vec<u32> = (0..n as u32).filter(|&f| pop[f as usize] > 0.0).collect();
        order.sort_by(|&a, &b| pop[b as usize].total_cmp(&pop[a as usize]).then(a.cmp(&b)));
        let rules = BTreeMap::new();
        let mut previous = Manifest::default();
        let mut files = FileSet::with_capacity(n);
        for f in (0..n as u32).filter(|f| f.is_multiple_of(3)) {
            files.insert(FileId(f));
        }
        previous.files = Arc::new(files);
        let planner =
            Proactive { max_churn_share: None, headroom_share: 0.05, replica_load_share: 0.01, incumbent_bonus: 0.25 };
        let ranked = planner.ranked(&input(&catalog, &sizes, &pop, &order, &rules, 0, Some(&previous)));
        let key = |f: u32| pop[f as usize] * if f.is_multiple_of(3) { 1.25 } else { 1.0 };
        let mut expected = order.clone();
        expected.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
        assert_eq!(ranked, expected);
        assert_ne!(ranked, order, "the bonus reorders some files");
        // With no bonus, or no plan before, the order is popularity's.
        let plain = Proactive { incumbent_bonus: 0.0, ..planner };
        assert_eq!(plain.ranked(&input(&catalog, &sizes, &pop, &order, &rules, 0, Some(&previous))), order);
        assert_eq!(planner.ranked(&input(&catalog, &sizes, &pop, &order, &rules, 0, None)), order);
    }
}
