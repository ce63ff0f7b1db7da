//! Per-title ladders from measured quality: each resolution is encoded at several CRFs, every (bitrate,
//! quality) point is kept, and the upper convex hull of quality against bitrate says which resolution gives the
//! most quality at each bitrate (Netflix's per-title encoding, 2015). The ladder then takes, for each quality
//! target, the cheapest hull point that reaches it, so a title that is easy to encode reaches every target at
//! fewer bits than a hard one.

use serde::Serialize;

/// One trial encode: a resolution at a CRF, its bitrate and its quality against the source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trial {
    pub width: u32,
    pub height: u32,
    pub crf: u32,
    pub kbps: f64,
    pub ssim: f64,
    /// SSIM in dB, −10 log10(1 − SSIM): the scale targets are set on (even steps look even).
    pub ssim_db: f64,
    pub psnr: f64,
}

/// The trials on the upper convex hull of SSIM dB against bitrate, cheapest first: each one more quality than
/// the one before, at a falling quality per extra kbps.
pub fn convex_hull(trials: &[Trial]) -> Vec<Trial> {
    let mut sorted: Vec<&Trial> = trials.iter().collect();
    sorted.sort_by(|a, b| a.kbps.total_cmp(&b.kbps).then(b.ssim_db.total_cmp(&a.ssim_db)));
    let mut hull: Vec<&Trial> = Vec::new();
    for t in sorted {
        // Only points that add quality can be on the hull's rising part.
        if hull.last().is_some_and(|last| t.ssim_db <= last.ssim_db) {
            continue;
        }
        // Drop points below the chord from the one before them to `t` (a right turn kept, a left turn dropped).
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            let cross = (b.kbps - a.kbps) * (t.ssim_db - a.ssim_db) - (b.ssim_db - a.ssim_db) * (t.kbps - a.kbps);
            if cross >= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(t);
    }
    hull.into_iter().cloned().collect()
}

/// Quality targets for a ladder of `rungs`, evenly spaced in SSIM dB from `low_db` to `high_db`.
pub fn targets(rungs: usize, low_db: f64, high_db: f64) -> Vec<f64> {
    match rungs {
        0 => Vec::new(),
        1 => vec![high_db],
        n => (0..n).map(|i| low_db + (high_db - low_db) * i as f64 / (n - 1) as f64).collect(),
    }
}

/// For each target, the cheapest hull point that reaches it (the best point where none does), cheapest first;
/// a point taken for several targets is one rung of the ladder.
pub fn choose(hull: &[Trial], targets: &[f64]) -> Vec<(f64, Trial)> {
    let pick = |target: f64| hull.iter().find(|t| t.ssim_db >= target).or(hull.last());
    targets.iter().filter_map(|&target| Some((target, pick(target)?.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(height: u32, crf: u32, kbps: f64, ssim_db: f64) -> Trial {
        Trial { width: height * 16 / 9, height, crf, kbps, ssim: 1.0 - 10f64.powf(-ssim_db / 10.0), ssim_db, psnr: 0.0 }
    }

    #[test]
    fn the_hull_keeps_the_best_resolution_at_each_bitrate() {
        let trials = vec![
            t(360, 30, 300.0, 14.0),
            t(360, 24, 700.0, 16.0),
            t(360, 18, 1500.0, 16.5),
            t(720, 30, 800.0, 15.0), // below the 360p line at this bitrate: not on the hull
            t(720, 24, 1600.0, 19.0),
            t(720, 18, 3500.0, 21.0),
        ];
        let hull = convex_hull(&trials);
        let picked: Vec<(u32, u32)> = hull.iter().map(|x| (x.height, x.crf)).collect();
        assert_eq!(picked, [(360, 30), (360, 24), (720, 24), (720, 18)]);
        // Quality rises along the hull, at a falling rate per kbps.
        for w in hull.windows(3) {
            let slope = |a: &Trial, b: &Trial| (b.ssim_db - a.ssim_db) / (b.kbps - a.kbps);
            assert!(slope(&w[0], &w[1]) >= slope(&w[1], &w[2]));
        }
        // Each target takes the cheapest point reaching it; an unreachable one the best point.
        let ladder = choose(&hull, &targets(4, 15.0, 22.0));
        let kbps: Vec<f64> = ladder.iter().map(|(_, x)| x.kbps).collect();
        assert_eq!(kbps, [700.0, 1600.0, 3500.0, 3500.0]);
        assert_eq!(targets(3, 10.0, 20.0), [10.0, 15.0, 20.0]);
    }
}
