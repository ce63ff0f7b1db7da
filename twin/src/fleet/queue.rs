//! Latency of one instance as a multi-server queue: an M/M/k queue whose k servers are the instance's vCPUs,
//! each serving requests at the mix's mean CPU time (exponential service: the mix of request types makes the
//! real distribution wider, so this is an optimistic tail). The load balancer spreads requests evenly over the
//! instances in service, so every instance sees the same queue.
//!
//! Under load (utilisation ≥ 1) no steady state exists: the queue is then a fluid backlog that grows by the
//! excess each second, and every request waits behind it; the client times out the requests that would wait
//! longer than its timeout, which keeps the backlog bounded (load shedding).

/// A queue's state for a minute: its response-time distribution, and the share of requests that fail.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueueMinute {
    /// Offered load ÷ capacity (may exceed 1).
    pub utilization: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Share of requests whose response would take longer than the timeout (they fail), and of play calls.
    pub failed_share: f64,
    pub play_failed_share: f64,
    /// Requests waiting at the end of the minute, per instance (0 in steady state).
    pub backlog: f64,
    /// A play call's response time (ms) at the middle of each of `LATENCY_POINTS` equal slices of its
    /// distribution below the timeout: what a play's calls that do not fail draw from.
    pub table: [f32; LATENCY_POINTS],
}

/// Slices of the response-time distribution a minute keeps.
pub const LATENCY_POINTS: usize = 64;

impl QueueMinute {
    /// No instance in service: every request waits out its timeout and fails.
    pub fn down(arrivals_per_s: f64, timeout_s: f64) -> QueueMinute {
        let ms = timeout_s * 1000.0;
        QueueMinute {
            utilization: if arrivals_per_s > 0.0 { f64::INFINITY } else { 0.0 },
            p50_ms: ms,
            p95_ms: ms,
            p99_ms: ms,
            failed_share: if arrivals_per_s > 0.0 { 1.0 } else { 0.0 },
            play_failed_share: 1.0,
            backlog: 0.0,
            table: [ms as f32; LATENCY_POINTS],
        }
    }
}

/// The share of the distribution below slice `k`'s middle.
fn slice_middle(k: usize) -> f64 {
    (k as f64 + 0.5) / LATENCY_POINTS as f64
}

/// One instance: `servers` vCPUs, each serving at `rate_per_s` requests a second on average.
#[derive(Clone, Copy, Debug)]
pub struct Queue {
    pub servers: u32,
    pub rate_per_s: f64,
}

impl Queue {
    /// The probability that an arriving request waits (Erlang C), for `arrivals_per_s` < capacity.
    pub fn wait_probability(&self, arrivals_per_s: f64) -> f64 {
        let a = arrivals_per_s / self.rate_per_s; // offered load in servers
        let c = self.servers as f64;
        let rho = a / c;
        if rho >= 1.0 {
            return 1.0;
        }
        // Erlang B by its stable recursion, then C from B.
        let mut b = 1.0;
        for k in 1..=self.servers {
            b = a * b / (k as f64 + a * b);
        }
        b / (1.0 - rho * (1.0 - b))
    }

    /// P(response time > t seconds) in steady state of a request served at rate `mu` (its type's): with
    /// probability C it waits, exponentially at rate cμ − λ (μ: the mix's rate), then is served; the sum of
    /// the two exponentials is hypoexponential.
    fn tail(&self, arrivals_per_s: f64, wait_probability: f64, mu: f64, t: f64) -> f64 {
        let theta = self.servers as f64 * self.rate_per_s - arrivals_per_s;
        let served = (-mu * t).exp();
        let waited_then_served = if (theta - mu).abs() < 1e-9 * mu {
            (1.0 + mu * t) * served
        } else {
            (theta * served - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - wait_probability) * served + wait_probability * waited_then_served
    }

    /// The response time (seconds) exceeded with probability `p`, in steady state, at service rate `mu`.
    fn quantile_s(&self, arrivals_per_s: f64, wait_probability: f64, mu: f64, p: f64) -> f64 {
        let tail = |t| self.tail(arrivals_per_s, wait_probability, mu, t);
        let (mut lo, mut hi) = (0.0, 1.0 / mu);
        while tail(hi) > p {
            hi *= 2.0;
        }
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if tail(mid) > p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }

    /// A minute of `arrivals_per_s`, starting with `backlog` requests waiting; requests over `timeout_s` fail.
    /// Percentiles are of every request; the table and `play_failed_share` are of a play call, whose own
    /// service takes `play_service_s` on average.
    pub fn minute(&self, arrivals_per_s: f64, backlog: f64, timeout_s: f64, play_service_s: f64) -> QueueMinute {
        let capacity = self.servers as f64 * self.rate_per_s;
        let utilization = arrivals_per_s / capacity;
        let (mu, play_mu) = (self.rate_per_s, 1.0 / play_service_s);
        if utilization < 1.0 && backlog < capacity / mu {
            // Steady state (a backlog under one service time's work drains within the minute).
            let c = self.wait_probability(arrivals_per_s);
            // A request the client gave up on took the timeout: no response time is longer.
            let q = |mu: f64, p: f64| self.quantile_s(arrivals_per_s, c, mu, p).min(timeout_s) * 1000.0;
            let play_failed = self.tail(arrivals_per_s, c, play_mu, timeout_s);
            return QueueMinute {
                utilization,
                p50_ms: q(mu, 0.5),
                p95_ms: q(mu, 0.05),
                p99_ms: q(mu, 0.01),
                failed_share: self.tail(arrivals_per_s, c, mu, timeout_s),
                play_failed_share: play_failed,
                backlog: 0.0,
                // A play call that did not time out: slices of the distribution below the timeout.
                table: std::array::from_fn(|k| q(play_mu, 1.0 - slice_middle(k) * (1.0 - play_failed)) as f32),
            };
        }
        // Fluid: the backlog moves by the excess over the minute; a request waits the backlog's work ahead of
        // it, and the client gives up on those that would wait past the timeout.
        let max_backlog = capacity * timeout_s;
        let end = (backlog + (arrivals_per_s - capacity) * 60.0).clamp(0.0, max_backlog);
        let offered = arrivals_per_s * 60.0;
        let shed = (backlog + offered - capacity * 60.0 - end).max(0.0);
        let wait_s = |b: f64| b / capacity;
        let (start_wait, end_wait) = (wait_s(backlog.min(max_backlog)), wait_s(end));
        let at =
            |p: f64, service_s: f64| (start_wait + (end_wait - start_wait) * p + service_s).min(timeout_s) * 1000.0;
        let failed_share = if offered > 0.0 { (shed / offered).min(1.0) } else { 0.0 };
        QueueMinute {
            utilization,
            p50_ms: at(0.5, 1.0 / mu),
            p95_ms: at(0.95, 1.0 / mu),
            p99_ms: at(0.99, 1.0 / mu),
            failed_share,
            play_failed_share: failed_share,
            backlog: end,
            table: std::array::from_fn(|k| at(slice_middle(k), play_service_s) as f32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_known_values() {
        // M/M/1: P(wait) = ρ.
        let one = Queue { servers: 1, rate_per_s: 10.0 };
        assert!((one.wait_probability(7.0) - 0.7).abs() < 1e-12);
        // M/M/2 at a = 1 (ρ = 0.5): C = 1/3 (textbook value).
        let two = Queue { servers: 2, rate_per_s: 1.0 };
        assert!((two.wait_probability(1.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn mm1_response_time_is_exponential_at_mu_minus_lambda() {
        // M/M/1 response time ~ Exp(μ − λ): the median is ln 2 / (μ − λ).
        let q = Queue { servers: 1, rate_per_s: 10.0 };
        let m = q.minute(6.0, 0.0, 10.0, 0.1);
        assert!((m.p50_ms - 1000.0 * 2f64.ln() / 4.0).abs() < 0.01, "{m:?}");
        assert!((m.p99_ms - 1000.0 * 100f64.ln() / 4.0).abs() < 0.01, "{m:?}");
        assert!((m.failed_share - (-40.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn latency_grows_with_load_and_an_overload_sheds_past_the_timeout() {
        let q = Queue { servers: 8, rate_per_s: 40.0 };
        let light = q.minute(100.0, 0.0, 1.0, 0.025);
        let busy = q.minute(300.0, 0.0, 1.0, 0.025);
        assert!(light.p95_ms < busy.p95_ms && busy.p95_ms < busy.p99_ms);
        // A play call's own service is the mix's mean here: its slices bracket the median.
        assert!(busy.table[0] < busy.p50_ms as f32 && busy.table[63] > busy.p95_ms as f32);
        assert!(light.failed_share < 1e-9);
        // 50% over capacity for a minute: the backlog reaches the timeout's worth and the rest is shed.
        let over = q.minute(480.0, 0.0, 1.0, 0.025);
        assert!((over.backlog - 320.0).abs() < 1e-9, "{over:?}");
        let shed = 480.0 * 60.0 - 320.0 * 60.0 - 320.0;
        assert!((over.failed_share - shed / (480.0 * 60.0)).abs() < 1e-12);
        assert!(over.p99_ms > 900.0);
        // Back under capacity, the backlog drains.
        let after = q.minute(200.0, over.backlog, 1.0, 0.025);
        assert_eq!(after.backlog, 0.0);
        assert_eq!(after.failed_share, 0.0);
    }
}
