//! The load forecast predictive scaling plans with, from observed minutes only: the same minute of the past
//! days. With two weeks seen, the same weekday of the last two weeks (the weekly curve); before that, the
//! median of the last three days (the daily curve; a median, so one odd day does not move it). The caller
//! scales it by how today's load compares with the forecast so far (`level`). Netflix's Scryer forecast the
//! same way at heart, from the strong daily and weekly periodicity of its traffic (Netflix Tech Blog, "Scryer:
//! Netflix's Predictive Auto Scaling Engine", 2013); AWS predictive scaling likewise learns daily and weekly
//! patterns.

use crate::kpi::History;
use crate::time::MINUTES_PER_DAY;

use super::FleetMinute;

/// Forecast requests a second at `minute`, from `history` (entry i: minute i); None before a day was seen.
pub fn forecast_rps(history: &History<FleetMinute>, minute: u64) -> Option<f64> {
    let past = |days: u64| {
        let back = days * MINUTES_PER_DAY;
        (minute >= back).then(|| history.get((minute - back) as usize)).flatten().map(|m| m.total_rps() as f64)
    };
    // The median of what was seen on those days (the mean of the middle two when even).
    let median = |days: &[u64]| {
        let mut seen: Vec<f64> = days.iter().filter_map(|&d| past(d)).collect();
        seen.sort_by(f64::total_cmp);
        let n = seen.len();
        (n > 0).then(|| (seen[(n - 1) / 2] + seen[n / 2]) / 2.0)
    };
    if history.len() as u64 >= 14 * MINUTES_PER_DAY { median(&[7, 14]) } else { median(&[1, 2, 3]) }
}

/// How today runs against the forecast: observed ÷ forecast at `minute` (1 with no forecast), within
/// [0.5, 2].
pub fn level(history: &History<FleetMinute>, minute: u64, observed_rps: f64) -> f64 {
    forecast_rps(history, minute).filter(|&f| f > 0.0).map_or(1.0, |f| (observed_rps / f).clamp(0.5, 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(rps: f32) -> FleetMinute {
        FleetMinute { rps: [rps, 0.0, 0.0, 0.0, 0.0, 0.0], ..Default::default() }
    }

    #[test]
    fn forecasts_from_past_days_then_past_weeks() {
        let mut h = History::default();
        assert_eq!(forecast_rps(&h, 10), None);
        // Day d's minute m carries 100 d + m.
        for i in 0..20 * MINUTES_PER_DAY {
            h.push(minute((100 * (i / MINUTES_PER_DAY) + i % MINUTES_PER_DAY) as f32));
        }
        // Minute 5 of day 20: weekly, days 13 and 6.
        let m = 20 * MINUTES_PER_DAY + 5;
        assert_eq!(forecast_rps(&h, m), Some(((1300 + 5) + (600 + 5)) as f64 / 2.0));
        let mut short = History::default();
        for i in 0..2 * MINUTES_PER_DAY + 3 {
            short.push(minute((100 * (i / MINUTES_PER_DAY)) as f32));
        }
        // Minute 5 of day 2: days 1 and 0 seen, day −1 not.
        assert_eq!(forecast_rps(&short, 2 * MINUTES_PER_DAY + 5), Some(50.0));
        // Minute 5 of day 3: the median of days 2, 1, 0 (300, 100, 0: one odd day does not move it).
        for _ in 0..MINUTES_PER_DAY {
            short.push(minute(300.0));
        }
        assert_eq!(forecast_rps(&short, 3 * MINUTES_PER_DAY + 5), Some(100.0));
        assert_eq!(level(&short, 3 * MINUTES_PER_DAY + 5, 150.0), 1.5);
        assert_eq!(level(&short, 3 * MINUTES_PER_DAY + 5, 1000.0), 2.0);
    }
}
