//! An upper bound on what any placement can offload, from the placement linear program (after Applegate et
//! al. 2010), for small instances: choose a fraction x[s,f] of each file on each site, within each disk, and
//! a share y[g,f,s] of each client group's demand for each file served by each site it can be steered to,
//! y ≤ x and Σ_s y ≤ 1, maximising the bytes served from the edge. Real placements are whole files, so the
//! LP's optimum bounds every placement, the greedy planner's included; the gap says how far greedy is from
//! the best possible.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, microlp, variable};

use crate::catalog::FileId;
use crate::model::Model;
use crate::steering::Target;
use crate::world::SiteId;

/// A placement problem: sites with disks, files with sizes, and client groups, each with the sites it can
/// reach and its demand (bytes per day) for every file.
#[derive(Clone, Debug)]
pub struct Instance {
    pub disk_bytes: Vec<f64>,
    pub size_bytes: Vec<f64>,
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub reach: Vec<usize>,
    pub demand_bytes: Vec<f64>,
}

impl Instance {
    /// The instance of a (small) model over the day starting at `start_s`: each client group reaches the sites
    /// steering may send it to; its demand for a file is its members × the file's real popularity in its
    /// region × the file's size.
    pub fn from_model(model: &Model, start_s: f64) -> Instance {
        let world = &model.world;
        let files = model.catalog.file_count();
        let size_bytes: Vec<f64> = (0..files as u32).map(|f| model.catalog.file_size_bytes(FileId(f)) as f64).collect();
        let popularity: Vec<Vec<f64>> =
            (0..crate::region::REGIONS.len()).map(|r| super::oracle::Oracle::popularity(model, r, start_s)).collect();
        let groups = world
            .client_groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let region = world.metros[group.metro.0 as usize].region.0 as usize;
                let reach = model
                    .steering
                    .candidates(g)
                    .iter()
                    .filter_map(|c| match c.target {
                        Target::Site(s) => Some(s.0 as usize),
                        Target::Origin(_) => None,
                    })
                    .collect();
                let demand_bytes = (0..files).map(|f| group.members * popularity[region][f] * size_bytes[f]).collect();
                Group { reach, demand_bytes }
            })
            .collect();
        Instance { disk_bytes: world.sites.iter().map(|s| s.disk_bytes as f64).collect(), size_bytes, groups }
    }

    pub fn total_demand(&self) -> f64 {
        self.groups.iter().flat_map(|g| &g.demand_bytes).sum()
    }

    /// Bytes a placement serves from the edge: a group's demand for a file is served if a site it reaches
    /// holds the file.
    pub fn served_by(&self, holds: impl Fn(SiteId, FileId) -> bool) -> f64 {
        let mut served = 0.0;
        for g in &self.groups {
            for (f, &d) in g.demand_bytes.iter().enumerate() {
                if d > 0.0 && g.reach.iter().any(|&s| holds(SiteId(s as u32), FileId(f as u32))) {
                    served += d;
                }
            }
        }
        served
    }

    /// The LP optimum: the most bytes any placement could serve from the edge.
    pub fn lp_upper_bound(&self) -> Result<f64, String> {
        let (sites, files) = (self.disk_bytes.len(), self.size_bytes.len());
        let mut vars = ProblemVariables::new();
        let x: Vec<Vec<_>> = (0..sites).map(|_| vars.add_vector(variable().min(0).max(1), files)).collect();
        // Demand in TB keeps the simplex's numbers near 1.
        let scale = 1e-12;
        let mut y = Vec::new();
        let mut objective = Expression::from(0.0);
        for (gi, g) in self.groups.iter().enumerate() {
            for (f, &d) in g.demand_bytes.iter().enumerate() {
                if d <= 0.0 || g.reach.is_empty() {
                    continue;
                }
                for &s in &g.reach {
                    let v = vars.add(variable().min(0).max(1));
                    objective.add_mul(d * scale, v);
                    y.push((gi, f, s, v));
                }
            }
        }
        let mut problem = vars.maximise(objective).using(microlp);
        for (s, xs) in x.iter().enumerate() {
            let mut used = Expression::from(0.0);
            for (f, &v) in xs.iter().enumerate() {
                used.add_mul(self.size_bytes[f] * scale, v);
            }
            problem = problem.with(used.leq(self.disk_bytes[s] * scale));
        }
        let mut i = 0;
        while i < y.len() {
            let (g, f) = (y[i].0, y[i].1);
            let mut served = Expression::from(0.0);
            while i < y.len() && (y[i].0, y[i].1) == (g, f) {
                let (_, _, s, v) = y[i];
                problem = problem.with(Expression::from(v).leq(x[s][f]));
                served.add_mul(1.0, v);
                i += 1;
            }
            problem = problem.with(served.leq(1.0));
        }
        let solution = problem.solve().map_err(|e| format!("placement LP: {e}"))?;
        Ok(y.iter().map(|&(g, f, _, v)| self.groups[g].demand_bytes[f] * solution.value(v)).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sites of 10 bytes; files of 10 bytes. Group A reaches both sites, group B only the second.
    /// Whole files: site 2 holds B's favourite, site 1 A's. The LP can do no better.
    #[test]
    fn the_bound_is_the_optimum_of_a_hand_solved_case() {
        let inst = Instance {
            disk_bytes: vec![10.0, 10.0],
            size_bytes: vec![10.0, 10.0, 10.0],
            groups: vec![
                Group { reach: vec![0, 1], demand_bytes: vec![5.0, 3.0, 1.0] },
                Group { reach: vec![1], demand_bytes: vec![0.0, 4.0, 2.0] },
            ],
        };
        let bound = inst.lp_upper_bound().unwrap();
        // Best whole placement: site 0 holds file 0 (A: 5), site 1 holds file 1 (A: 3, B: 4) = 12.
        assert!((bound - 12.0).abs() < 1e-6, "{bound}");
        let greedy = inst.served_by(|s, f| (s.0, f.0) == (0, 0) || (s.0, f.0) == (1, 1));
        assert_eq!(greedy, 12.0);
        // Putting A's favourite everywhere serves less.
        assert_eq!(inst.served_by(|_, f| f.0 == 0), 5.0);
        assert!(inst.total_demand() == 15.0);
    }
}
