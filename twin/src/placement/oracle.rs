//! The oracle: proactive placement that knows the coming day's real demand (the demand model's own
//! popularity for that day, which no predictor can beat on average) and is not held back by a churn cap. It is
//! the yardstick for the predictor and the planner: fills still take time and bytes, as for any planner.

use crate::model::Model;
use crate::placement::{Manifest, PlanInput, Planner, proactive::Proactive};
use crate::popularity::file_popularity;
use crate::time::SECONDS_PER_DAY;

#[derive(Clone, Copy, Debug)]
pub struct Oracle {
    pub planner: Proactive,
}

impl Oracle {
    pub fn new(planner: Proactive) -> Oracle {
        Oracle { planner: Proactive { max_churn_share: None, ..planner } }
    }

    /// The real popularity of every file in `region` over the day starting at `start_s` (the demand model's,
    /// which the engine draws plays from, in relative units), or over the next day where that is higher: a plan
    /// made now is filled during the day and serves until the next fill is done, so a title launching tomorrow
    /// is put in place today. Only the oracle and the placement LP's bound read this.
    pub fn popularity(model: &Model, region: usize, start_s: f64) -> Vec<f64> {
        let (catalog, demand) = (&model.catalog, &model.demand);
        let movie_share = (5.0 * demand.movie_play_share(false) + 2.0 * demand.movie_play_share(true)) / 7.0;
        let plays_at = |t_s: f64| {
            let weights: Vec<f64> =
                (0..catalog.videos.len()).map(|v| demand.video_weight(catalog, v, region, t_s)).collect();
            let mut kind_total = [0.0f64; 2];
            for (v, w) in weights.iter().enumerate() {
                kind_total[catalog.titles[catalog.videos[v].title.0 as usize].is_movie() as usize] += w;
            }
            weights
                .iter()
                .enumerate()
                .map(|(v, w)| {
                    let movie = catalog.titles[catalog.videos[v].title.0 as usize].is_movie();
                    let share = if movie { movie_share } else { 1.0 - movie_share };
                    let total = kind_total[movie as usize];
                    if total > 0.0 { share * w / total } else { 0.0 }
                })
                .collect::<Vec<f64>>()
        };
        let day = SECONDS_PER_DAY as f64;
        let plays: Vec<f64> = plays_at(start_s + day / 2.0)
            .into_iter()
            .zip(plays_at(start_s + 1.5 * day))
            .map(|(a, b)| a.max(b))
            .collect();
        file_popularity(catalog, &plays, &demand.rendition_shares(&model.scenario, catalog))
    }
}

impl Planner for Oracle {
    fn plan(&self, input: &PlanInput) -> Manifest {
        self.planner.plan(input)
    }
}
