//! The function pool ingest's tasks run on: serverless functions with the limits a real pool has
//! (`IngestSpec`; AWS Lambda's by default). At most `concurrency` run at once, in the order they were
//! submitted, whatever their job. A function with no warm instance to run on pays a cold start. Memory decides
//! CPU. An invocation that would run past the time limit is stopped there and fails for good. One that fails
//! for a passing reason is retried after a backoff that doubles, up to `max_retries` times. Billed time (the
//! cold start included, to the millisecond) × memory is the cost.
//!
//! Times are milliseconds on the twin's clock; the pool moves only when `advance` is called.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::Serialize;

use crate::rng::{Rng, Stream};
use crate::scenario::IngestSpec;

/// Memory a function needs for one vCPU (AWS Lambda allocates CPU in proportion to memory: 1,769 MB is one
/// vCPU; at its most, 10,240 MB, that is 5.8, which AWS rounds to 6).
pub const MB_PER_VCPU: f64 = 1769.0;

/// One invocation's work: CPU seconds at one vCPU (shortened by more vCPUs) and seconds of reading and
/// writing (not).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Task {
    pub job: u32,
    /// The stage it belongs to (`super::job::Stage as u8`) and its index among the stage's tasks.
    pub stage: u8,
    pub index: u32,
    pub cpu_s: f64,
    pub io_s: f64,
    /// 0 for the first try.
    pub attempt: u32,
}

/// Why a task failed for good.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TaskFailure {
    /// It needs longer than an invocation may run.
    OverTimeLimit { needed_s: f64, limit_s: f64 },
    /// It failed on every try.
    RetriesSpent { tries: u32 },
}

/// A task that finished, for good or not, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub task: Task,
    pub at_ms: u64,
    pub failure: Option<TaskFailure>,
}

/// What the pool has done so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PoolStats {
    pub invocations: u64,
    pub cold_starts: u64,
    pub retries: u64,
    /// Invocations stopped at the time limit.
    pub timeouts: u64,
    pub peak_running: u32,
    pub billed_gb_s: f64,
    pub cost_usd: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Running {
    end_ms: u64,
    seq: u64,
    /// Index into `FunctionPool::tasks`.
    slot: usize,
}

#[derive(Clone, Debug)]
pub struct FunctionPool {
    spec: IngestSpec,
    seed: u64,
    now_ms: u64,
    seq: u64,
    /// Tasks submitted and not started, in order.
    queue: VecDeque<Task>,
    /// Retries waiting for their backoff: (ready at, seq, task).
    waiting: BinaryHeap<Reverse<(u64, u64, usize)>>,
    running: BinaryHeap<Reverse<Running>>,
    /// Running and waiting tasks, by slot, with how each invocation ends (a failure drawn at its start);
    /// freed slots are reused.
    tasks: Vec<(Task, Option<TaskFailure>)>,
    free: Vec<usize>,
    /// When each idle warm instance went idle, oldest first.
    warm: VecDeque<u64>,
    pub stats: PoolStats,
}

impl FunctionPool {
    pub fn new(spec: &IngestSpec, seed: u64) -> FunctionPool {
        FunctionPool {
            spec: spec.clone(),
            seed,
            now_ms: 0,
            seq: 0,
            queue: VecDeque::new(),
            waiting: BinaryHeap::new(),
            running: BinaryHeap::new(),
            tasks: Vec::new(),
            free: Vec::new(),
            warm: VecDeque::new(),
            stats: PoolStats::default(),
        }
    }

    /// vCPUs of one function.
    pub fn vcpus(&self) -> f64 {
        self.spec.memory_mb as f64 / MB_PER_VCPU
    }

    /// Seconds a task runs once started (its cold start aside).
    pub fn run_s(&self, task: &Task) -> f64 {
        task.io_s + task.cpu_s / self.vcpus()
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Tasks submitted and not yet started (retries waiting for their backoff included).
    pub fn queued(&self) -> usize {
        self.queue.len() + self.waiting.len()
    }

    pub fn submit(&mut self, task: Task) {
        self.queue.push_back(task);
    }

    /// Drops a job's tasks that have not started, retries waiting included (those running finish, and are
    /// reported as usual).
    pub fn cancel(&mut self, job: u32) {
        self.queue.retain(|t| t.job != job);
        let (dropped, kept): (Vec<_>, Vec<_>) =
            self.waiting.drain().partition(|Reverse((_, _, slot))| self.tasks[*slot].0.job == job);
        self.free.extend(dropped.into_iter().map(|Reverse((_, _, slot))| slot));
        self.waiting = kept.into();
    }

    /// Runs the pool towards `until_ms`, stopping early at the first moment a task finishes (appended to
    /// `out`), so that what follows from it can be submitted at that moment. Returns whether it reached
    /// `until_ms`.
    pub fn advance(&mut self, until_ms: u64, out: &mut Vec<Finished>) -> bool {
        let before = out.len();
        loop {
            self.start_queued();
            let next_end = self.running.peek().map(|Reverse(r)| r.end_ms);
            let next_ready = self.waiting.peek().map(|Reverse((at, _, _))| *at);
            let Some(next) = next_end.into_iter().chain(next_ready).min().filter(|&t| t <= until_ms) else {
                break;
            };
            self.now_ms = next;
            while self.running.peek().is_some_and(|Reverse(r)| r.end_ms == next) {
                let Reverse(r) = self.running.pop().expect("peeked");
                self.warm.push_back(next);
                self.end(r.slot, out);
            }
            while self.waiting.peek().is_some_and(|Reverse((at, _, _))| *at == next) {
                let Reverse((_, _, slot)) = self.waiting.pop().expect("peeked");
                self.queue.push_back(self.tasks[slot].0);
                self.free.push(slot);
            }
            if out.len() > before {
                return false;
            }
        }
        self.now_ms = self.now_ms.max(until_ms);
        true
    }

    /// Runs the pool to `until_ms` with nothing more submitted on the way.
    #[cfg(test)]
    fn run_to(&mut self, until_ms: u64, out: &mut Vec<Finished>) {
        while !self.advance(until_ms, out) {}
    }

    /// Starts queued tasks while the concurrency limit allows.
    fn start_queued(&mut self) {
        let keep_warm_ms = (self.spec.keep_warm_s * 1000.0) as u64;
        while self.running.len() < self.spec.concurrency as usize {
            let Some(task) = self.queue.pop_front() else { break };
            while self.warm.front().is_some_and(|&idle| self.now_ms - idle > keep_warm_ms) {
                self.warm.pop_front();
            }
            let cold = self.warm.pop_back().is_none();
            let cold_ms = if cold { (self.spec.cold_start_s * 1000.0).round() as u64 } else { 0 };
            let needed_s = self.run_s(&task);
            let (run_ms, failure) = if needed_s > self.spec.timeout_s {
                self.stats.timeouts += 1;
                let limit_s = self.spec.timeout_s;
                ((limit_s * 1000.0).round() as u64, Some(TaskFailure::OverTimeLimit { needed_s, limit_s }))
            } else {
                let keys = [task.job as u64, task.stage as u64, task.index as u64, task.attempt as u64];
                let fails = Rng::new(self.seed, Stream::Ingest, &keys).f64() < self.spec.failure_rate;
                let failure = fails.then_some(TaskFailure::RetriesSpent { tries: task.attempt + 1 });
                ((needed_s * 1000.0).ceil().max(1.0) as u64, failure)
            };
            let billed_ms = cold_ms + run_ms;
            self.stats.invocations += 1;
            self.stats.cold_starts += cold as u64;
            self.stats.billed_gb_s += billed_ms as f64 / 1000.0 * self.spec.memory_mb as f64 / 1024.0;
            self.stats.cost_usd = self.stats.billed_gb_s * self.spec.usd_per_gb_s;
            let slot = self.slot(task, failure);
            self.seq += 1;
            self.running.push(Reverse(Running { end_ms: self.now_ms + billed_ms, seq: self.seq, slot }));
            self.stats.peak_running = self.stats.peak_running.max(self.running.len() as u32);
        }
    }

    fn slot(&mut self, task: Task, failure: Option<TaskFailure>) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.tasks[slot] = (task, failure);
                slot
            }
            None => {
                self.tasks.push((task, failure));
                self.tasks.len() - 1
            }
        }
    }

    /// An invocation ended: done, retried after its backoff, or failed for good.
    fn end(&mut self, slot: usize, out: &mut Vec<Finished>) {
        let (task, failure) = self.tasks[slot].clone();
        let retry = matches!(failure, Some(TaskFailure::RetriesSpent { .. })) && task.attempt < self.spec.max_retries;
        if retry {
            self.stats.retries += 1;
            let backoff_ms = (self.spec.backoff_s * 1000.0 * 2f64.powi(task.attempt as i32)).round() as u64;
            self.tasks[slot].0.attempt += 1;
            self.seq += 1;
            self.waiting.push(Reverse((self.now_ms + backoff_ms, self.seq, slot)));
            return;
        }
        self.free.push(slot);
        out.push(Finished { task, at_ms: self.now_ms, failure });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(job: u32, index: u32, cpu_s: f64) -> Task {
        Task { job, stage: 2, index, cpu_s, io_s: 0.0, attempt: 0 }
    }

    fn spec() -> IngestSpec {
        IngestSpec { failure_rate: 0.0, memory_mb: 1769, cold_start_s: 2.0, ..IngestSpec::default() }
    }

    #[test]
    fn no_more_than_the_limit_run_at_once_and_warm_instances_skip_the_cold_start() {
        let mut pool = FunctionPool::new(&IngestSpec { concurrency: 3, ..spec() }, 1);
        for i in 0..7 {
            pool.submit(task(0, i, 10.0));
        }
        let mut out = Vec::new();
        pool.run_to(1_000_000, &mut out);
        let ends: Vec<u64> = out.iter().map(|f| f.at_ms).collect();
        // 3 cold (12 s), 3 warm after them (22 s), the last warm (32 s).
        assert_eq!(ends, [12_000, 12_000, 12_000, 22_000, 22_000, 22_000, 32_000]);
        assert_eq!((pool.stats.peak_running, pool.stats.cold_starts, pool.stats.invocations), (3, 3, 7));
        // Billed: 3 × 12 s + 4 × 10 s at 1769 MB.
        let gb_s = 76.0 * 1769.0 / 1024.0;
        assert!((pool.stats.billed_gb_s - gb_s).abs() < 1e-9, "{}", pool.stats.billed_gb_s);
    }

    #[test]
    fn an_instance_idle_past_keep_warm_starts_cold_again() {
        let mut pool = FunctionPool::new(&IngestSpec { keep_warm_s: 60.0, ..spec() }, 1);
        let mut out = Vec::new();
        pool.submit(task(0, 0, 1.0));
        pool.run_to(10_000, &mut out);
        pool.submit(task(0, 1, 1.0));
        pool.run_to(20_000, &mut out);
        assert_eq!(pool.stats.cold_starts, 1, "warm within a minute");
        pool.run_to(200_000, &mut out);
        pool.submit(task(0, 2, 1.0));
        pool.run_to(300_000, &mut out);
        assert_eq!(pool.stats.cold_starts, 2, "cold after three idle minutes");
    }

    #[test]
    fn failures_are_retried_with_doubling_backoff_then_reported() {
        let mut pool = FunctionPool::new(&IngestSpec { failure_rate: 0.999_999, max_retries: 2, ..spec() }, 1);
        pool.submit(task(0, 0, 1.0));
        let mut out = Vec::new();
        pool.run_to(1_000_000, &mut out);
        // Tries at 0 (cold, ends 3 s), 4 s (after 1 s; warm, ends 5 s), 7 s (after 2 s, ends 8 s).
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].failure, Some(TaskFailure::RetriesSpent { tries: 3 }));
        assert_eq!(out[0].at_ms, 8_000);
        assert_eq!((pool.stats.invocations, pool.stats.retries), (3, 2));
    }

    #[test]
    fn a_task_longer_than_the_time_limit_is_stopped_there_and_not_retried() {
        let mut pool = FunctionPool::new(&IngestSpec { timeout_s: 60.0, ..spec() }, 1);
        pool.submit(task(0, 0, 100.0));
        let mut out = Vec::new();
        pool.run_to(1_000_000, &mut out);
        assert_eq!(out[0].failure, Some(TaskFailure::OverTimeLimit { needed_s: 100.0, limit_s: 60.0 }));
        assert_eq!((out[0].at_ms, pool.stats.timeouts, pool.stats.retries), (62_000, 1, 0));
    }

    #[test]
    fn memory_buys_cpu() {
        let at = |memory_mb| FunctionPool::new(&IngestSpec { memory_mb, ..spec() }, 1).run_s(&task(0, 0, 60.0));
        assert_eq!(at(1769), 60.0);
        assert!((at(3538) - 30.0).abs() < 1e-9);
        assert!((at(10_240) - 60.0 * 1769.0 / 10_240.0).abs() < 1e-9);
    }

    #[test]
    fn a_cancelled_jobs_queued_tasks_never_start() {
        let mut pool = FunctionPool::new(&IngestSpec { concurrency: 1, ..spec() }, 1);
        pool.submit(task(0, 0, 5.0));
        pool.submit(task(1, 0, 5.0));
        pool.submit(task(0, 1, 5.0));
        let mut out = Vec::new();
        pool.run_to(1000, &mut out);
        pool.cancel(0);
        pool.run_to(1_000_000, &mut out);
        let done: Vec<(u32, u32)> = out.iter().map(|f| (f.task.job, f.task.index)).collect();
        assert_eq!(done, [(0, 0), (1, 0)]);
    }
}
