//! Seeded random streams. Each subsystem draws from its own stream, derived from the scenario seed and a
//! stream id, so adding a subsystem (or a draw in one) never shifts the numbers another one sees.
//! Hand-written rather than from `rand` so results stay bit-identical across dependency upgrades.

/// The subsystems that draw random numbers. The discriminant is part of the stream seed: never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    World = 1,
    Catalog = 2,
    Demand = 3,
    Sessions = 4,
    Calibration = 5,
    BurnIn = 6,
    Fleet = 7,
    Ingest = 8,
}

/// SplitMix64 finaliser: a strong 64-bit mixer, used to derive stream seeds.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Two uniform draws in [0, 1) from the halves of a hash.
#[inline]
pub fn unit_pair(h: u64) -> (f64, f64) {
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    ((h >> 32) as f64 * SCALE, (h & 0xFFFF_FFFF) as f64 * SCALE)
}

/// Xoshiro256++: fast, small state, good statistical quality.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    /// The second normal of the last pair drawn, not yet used.
    spare: Option<f64>,
}

impl Rng {
    /// A stream for `stream`, further keyed by `keys` (e.g. metro index and minute), so that a stream can be
    /// split into independent sub-streams that do not depend on the order in which they are used.
    pub fn new(seed: u64, stream: Stream, keys: &[u64]) -> Rng {
        let mut h = mix64(seed ^ mix64(stream as u64));
        for &k in keys {
            h = mix64(h ^ k.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        }
        let mut s = [0u64; 4];
        for (i, v) in s.iter_mut().enumerate() {
            h = mix64(h.wrapping_add(i as u64));
            *v = h;
        }
        Rng { s, spare: None }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in [0, n). `n` must be > 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        // Lemire's multiply-shift; the tiny bias is irrelevant at our n.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal: Marsaglia's polar method, a pair per accepted point (no trigonometry; the second of
    /// the pair is kept for the next call).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let (x, y) = (2.0 * self.f64() - 1.0, 2.0 * self.f64() - 1.0);
            let s = x * x + y * y;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(y * f);
                return x * f;
            }
        }
    }

    /// Log-normal with the given median and log-space sigma.
    #[inline]
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson-distributed count with mean `lambda`. Exact (inversion) for small means, normal
    /// approximation with continuity correction above 40, where the two are indistinguishable for our use.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 40.0 {
            let l = (-lambda).exp();
            let mut k = 0u64;
            let mut p = self.f64();
            while p > l {
                k += 1;
                p *= self.f64();
            }
            k
        } else {
            (lambda + lambda.sqrt() * self.normal() + 0.5).max(0.0) as u64
        }
    }
}

/// A log-normal distribution drawn from a table of its quantiles, linearly interpolated: no logarithm or
/// exponential per draw, for the play path. 1,024 quantiles at the middles of equal-probability slices (the
/// tails are cut at about ±3.3 sigma).
#[derive(Clone, Debug)]
pub struct LogNormalTable {
    quantiles: Vec<f64>,
}

impl LogNormalTable {
    const SIZE: usize = 1024;

    pub fn new(median: f64, sigma: f64) -> LogNormalTable {
        let quantiles = (0..Self::SIZE)
            .map(|i| median * (sigma * inverse_normal_cdf((i as f64 + 0.5) / Self::SIZE as f64)).exp())
            .collect();
        LogNormalTable { quantiles }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        let r = rng.next_u64();
        let i = (r >> 54) as usize; // the top 10 bits pick a slice
        let frac = ((r >> 22) & 0xFFFF_FFFF) as f64 / (1u64 << 32) as f64;
        let (lo, hi) = (self.quantiles[i], self.quantiles[(i + 1).min(Self::SIZE - 1)]);
        lo + (hi - lo) * frac
    }
}

/// The standard normal quantile (Acklam's rational approximation; relative error below 1.2e-9).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Walker/Vose alias table: O(1) sampling from a fixed discrete distribution. A draw yields the payload of the
/// index it lands on (the index itself by default). Each column keeps its coin threshold (a probability in units
/// of 2^-32) beside its own payload and its alias's, so a draw touches one cache line.
#[derive(Clone, Debug)]
pub struct AliasTable<T = u32> {
    columns: Vec<(u32, T, T)>,
}

impl<T> Default for AliasTable<T> {
    fn default() -> Self {
        AliasTable { columns: Vec::new() }
    }
}

impl AliasTable<u32> {
    /// Builds from non-negative weights; draws yield indexes. All-zero (or empty) weights give an empty table.
    pub fn new(weights: &[f64]) -> AliasTable<u32> {
        AliasTable::with_payloads(weights, &(0..weights.len() as u32).collect::<Vec<_>>())
    }
}

impl<T: Copy> AliasTable<T> {
    /// Builds from non-negative weights, one payload each.
    pub fn with_payloads(weights: &[f64], payloads: &[T]) -> AliasTable<T> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return AliasTable { columns: Vec::new() };
        }
        let mut prob: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<usize> = (0..n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1.0 up to rounding.
        for i in small.into_iter().chain(large) {
            prob[i] = 1.0;
            alias[i] = i;
        }
        let scale = (1u64 << 32) as f64;
        let columns =
            (0..n).map(|i| ((prob[i] * scale).min(u32::MAX as f64) as u32, payloads[i], payloads[alias[i]])).collect();
        AliasTable { columns }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Draws a payload. The table must not be empty.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> T {
        self.sample_bits(rng.next_u64())
    }

    /// The payload 64 random bits draw: the high half picks the column, the low half the coin (disjoint bits,
    /// so the two are independent). Split from `sample` so a caller can `prefetch` the column first.
    #[inline]
    pub fn sample_bits(&self, r: u64) -> T {
        let (threshold, own, alias) = self.columns[self.column(r)];
        if (r as u32) < threshold { own } else { alias }
    }

    /// Asks the memory system for the column `r` draws (a hint; it changes nothing).
    #[inline]
    pub fn prefetch(&self, r: u64) {
        crate::prefetch::prefetch(&self.columns[self.column(r)]);
    }

    #[inline]
    fn column(&self, r: u64) -> usize {
        (((r >> 32) * self.columns.len() as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::new(7, Stream::Demand, &[3]), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::new(7, Stream::Demand, &[3]), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::new(7, Stream::Demand, &[4]), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(Rng::new(7, Stream::World, &[]).next_u64(), Rng::new(7, Stream::Catalog, &[]).next_u64());
    }

    #[test]
    fn log_normal_table_matches_the_distribution() {
        assert!((inverse_normal_cdf(0.975) - 1.959_964).abs() < 1e-6);
        assert!((inverse_normal_cdf(0.001) + 3.090_232).abs() < 1e-6);
        let t = LogNormalTable::new(30_000.0, 0.8);
        let mut rng = Rng::new(3, Stream::Calibration, &[]);
        let mut draws: Vec<f64> = (0..200_000).map(|_| t.sample(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        let q = |p: f64| draws[(p * draws.len() as f64) as usize];
        assert!((q(0.5) / 30_000.0 - 1.0).abs() < 0.01, "median {}", q(0.5));
        let p90 = 30_000.0 * (0.8f64 * 1.281_552).exp();
        assert!((q(0.9) / p90 - 1.0).abs() < 0.02, "p90 {} vs {p90}", q(0.9));
    }

    #[test]
    fn alias_table_is_unbiased_over_many_entries() {
        // Zipf over 10,000 entries: draw shares must follow the weights at the head and in the tail.
        let w: Vec<f64> = (1..=10_000).map(|k| 1.0 / k as f64).collect();
        let total: f64 = w.iter().sum();
        let t = AliasTable::new(&w);
        let mut rng = Rng::new(9, Stream::Calibration, &[]);
        let n = 2_000_000;
        let mut counts = vec![0u32; w.len()];
        for _ in 0..n {
            counts[t.sample(&mut rng) as usize] += 1;
        }
        let head: f64 = counts[..10].iter().map(|&c| c as f64).sum::<f64>() / n as f64;
        let expected: f64 = w[..10].iter().sum::<f64>() / total;
        assert!((head - expected).abs() < 0.002, "{head} vs {expected}");
        let tail: f64 = counts[5000..].iter().map(|&c| c as f64).sum::<f64>() / n as f64;
        let expected: f64 = w[5000..].iter().sum::<f64>() / total;
        assert!((tail - expected).abs() < 0.002, "{tail} vs {expected}");
    }

    #[test]
    fn alias_table_matches_weights() {
        let w = [1.0, 0.0, 3.0, 6.0];
        let t = AliasTable::new(&w);
        let mut rng = Rng::new(1, Stream::Calibration, &[]);
        let mut counts = [0u32; 4];
        let n = 200_000;
        for _ in 0..n {
            counts[t.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[1], 0, "zero weight must never be drawn");
        for (i, &wi) in w.iter().enumerate() {
            let p = counts[i] as f64 / n as f64;
            assert!((p - wi / 10.0).abs() < 0.005, "index {i}: {p} vs {}", wi / 10.0);
        }
        assert!(AliasTable::new(&[0.0, 0.0]).is_empty());
    }

    #[test]
    fn poisson_mean_and_variance() {
        let mut rng = Rng::new(3, Stream::Calibration, &[]);
        for lambda in [0.5, 12.0, 300.0] {
            let n = 50_000;
            let xs: Vec<f64> = (0..n).map(|_| rng.poisson(lambda) as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!((mean - lambda).abs() < 0.03 * lambda + 0.02, "mean {mean} for {lambda}");
            assert!((var - lambda).abs() < 0.08 * lambda + 0.05, "var {var} for {lambda}");
        }
    }
}
