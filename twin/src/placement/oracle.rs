//! The oracle: proactive placement that knows the coming day's real demand (the demand model's own
//! popularity for that day, which no predictor can beat on average) and is not held back by a churn cap. It is
//! the yardstick for the predictor and the planner: fills still take time and bytes, as for any planner.

use crate::model::Model;
use crate::placement::{Manifest, PlanInput, Planner, expected_popularity, proactive::Proactive};

#[derive(Clone, Copy, Debug)]
pub struct Oracle {
    pub planner: Proactive,
}

impl Oracle {
    pub fn new(planner: Proactive) -> Oracle {
        Oracle { planner: Proactive { max_churn_share: None, ..planner } }
    }

    /// The real popularity of every file in `region` on `day` (the demand model's, which the engine draws
    /// plays from), or on the next day where that is higher: a plan made now is filled during today and
    /// serves until tomorrow's fill is done, so a title launching tomorrow is put in place today.
    pub fn popularity(model: &Model, region: usize, day: i64) -> Vec<f64> {
        let at = |d: i64| expected_popularity(&model.scenario, &model.catalog, &model.demand, region, d as f64 + 0.5);
        at(day).into_iter().zip(at(day + 1)).map(|(a, b)| a.max(b)).collect()
    }
}

impl Planner for Oracle {
    fn plan(&self, input: &PlanInput) -> Manifest {
        self.planner.plan(input)
    }
}
