//! Ingest: studios deliver titles, functions encode them for every screen type, and the files land in the S3
//! origin. Jobs (`job`) run their stages in order on one shared function pool (`pool`), so several jobs
//! compete for its concurrency; a finished job's renditions, playlists and thumbnails are put in every origin
//! region's bucket (`origin`; S3 replication's work, not the job's).

pub mod job;
pub mod origin;
pub mod pool;

use serde::Serialize;

pub use job::{Delivery, Encoded, Job, JobState, Ladder, STAGES, Source, Stage, StageSpan};
pub use origin::{Bucket, BucketStats, Origin};
pub use pool::{FunctionPool, PoolStats};

use crate::catalog::{Rendition, TitleId};
use crate::region::ORIGIN_REGIONS;
use crate::scenario::IngestSpec;

#[derive(Clone, Debug)]
pub struct Ingest {
    spec: IngestSpec,
    pool: FunctionPool,
    jobs: Vec<Job>,
    origin: Origin,
    finished: Vec<pool::Finished>,
    /// Jobs stored in the origin since the last `take_stored`, for the catalogue to take in.
    stored: Vec<u32>,
}

/// What became of a stored job's title in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Catalogued {
    /// It took the reserved place `title`, and goes live at `release_s`.
    Joined { title: TitleId, release_s: i64 },
    /// Every place reserved for ingest (`[ingest] title_slots`) was taken.
    NoPlace,
}

/// Ingest as the console shows it.
#[derive(Clone, Debug, Serialize)]
pub struct IngestSnapshot {
    pub jobs: Vec<Job>,
    pub pool: PoolView,
    /// Each origin bucket's name and counts.
    pub buckets: Vec<(String, BucketStats)>,
    /// Bytes of the plays of each place reserved for ingest (`Catalog::slots`), served by edge sites and by
    /// the origin.
    pub title_bytes: Vec<TitleBytes>,
}

/// Bytes of a title's plays so far, by where they were served from: edge sites, or the origin (in all, and
/// per origin region, as `world.origins`). A play's bytes are booked when it starts (what it is to watch), as
/// the engine books sites' offered and served bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TitleBytes {
    pub edge: u64,
    pub origin: u64,
    pub by_origin: [u64; ORIGIN_REGIONS.len()],
}

impl TitleBytes {
    pub fn add(&mut self, other: &TitleBytes) {
        self.edge += other.edge;
        self.origin += other.origin;
        for (a, b) in self.by_origin.iter_mut().zip(&other.by_origin) {
            *a += b;
        }
    }
}

/// The pool as the console shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolView {
    pub concurrency: u32,
    pub running: u32,
    pub queued: u32,
    pub stats: PoolStats,
}

impl Ingest {
    pub fn new(spec: &IngestSpec, seed: u64, origin_regions: &[String]) -> Ingest {
        Ingest {
            spec: spec.clone(),
            pool: FunctionPool::new(spec, seed),
            jobs: Vec::new(),
            origin: Origin::new(origin_regions),
            finished: Vec::new(),
            stored: Vec::new(),
        }
    }

    /// Starts a job for `delivery` at `now_ms`, encoding the catalogue's ladders (`codecs`, `renditions`).
    pub fn deliver(
        &mut self,
        delivery: Delivery,
        ladder: Ladder,
        codecs: &[String],
        renditions: &[Rendition],
        now_ms: u64,
    ) -> u32 {
        self.advance(now_ms);
        let id = self.jobs.len() as u32;
        let mut job = Job::new(id, delivery, ladder, self.spec.chunk_s, codecs, renditions);
        job.submitted_ms = now_ms;
        for task in job.start(Stage::Inspect, now_ms, &self.spec) {
            self.pool.submit(task);
        }
        self.jobs.push(job);
        id
    }

    /// Runs the pool and the jobs to `until_ms`: each stage starts the moment the one before is through.
    pub fn advance(&mut self, until_ms: u64) {
        while !self.pool.advance(until_ms, &mut self.finished) {
            self.settle();
        }
        self.settle();
    }

    /// Hands what the pool finished to its jobs, starting the stages that follow and storing finished jobs.
    fn settle(&mut self) {
        for f in std::mem::take(&mut self.finished) {
            let job = &mut self.jobs[f.task.job as usize];
            let was_running = job.state == JobState::Running;
            let next = job.finished(&f.task, f.failure.as_ref(), f.at_ms);
            if was_running && matches!(job.state, JobState::Failed { .. }) {
                self.pool.cancel(job.id);
            }
            match next {
                Some(stage) => {
                    for task in job.start(stage, f.at_ms, &self.spec) {
                        self.pool.submit(task);
                    }
                }
                None if was_running && matches!(job.state, JobState::Done { .. }) => {
                    store(&mut self.origin, job);
                    self.stored.push(job.id);
                }
                None => {}
            }
        }
    }

    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The jobs stored in the origin since the last take.
    pub fn take_stored(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.stored)
    }

    /// Reads `bytes` of job `id`'s media from the bucket of origin region `origin` (index as `world.origins`):
    /// as many segment GETs as segments of its mean size.
    pub fn read(&mut self, id: u32, origin: usize, bytes: u64) {
        let job = &self.jobs[id as usize];
        let segments: u64 = job.renditions.len() as u64 * job.delivery.duration_s.div_ceil(origin::SEGMENT_S) as u64;
        let media: u64 = job.renditions.iter().map(|r| r.bytes).sum();
        let segment = (media / segments.max(1)).max(1);
        if let Some(b) = self.origin.buckets.get_mut(origin) {
            b.read(bytes.div_ceil(segment), bytes);
        }
    }

    /// Ends a minute of reads: the buckets' request rates.
    pub fn end_minute(&mut self) {
        self.origin.buckets.iter_mut().for_each(Bucket::end_minute);
    }

    /// The job whose title took `title`'s place in the catalogue.
    pub fn job_of(&self, title: TitleId) -> Option<u32> {
        self.jobs.iter().find(|j| j.joined_as() == Some(title)).map(|j| j.id)
    }

    /// Records what became of job `id`'s title in the catalogue.
    pub fn catalogued(&mut self, id: u32, c: Catalogued) {
        self.jobs[id as usize].catalogued = Some(c);
    }

    /// Replaces the objects of the origin bucket `name` with a listing (play forward from a mirrored inventory).
    pub fn set_contents(&mut self, name: &str, objects: Vec<(String, u64)>) -> Result<(), String> {
        match self.origin.buckets.iter_mut().find(|b| b.name == name) {
            Some(bucket) => {
                bucket.replace_objects(objects);
                Ok(())
            }
            None => {
                let names: Vec<&str> = self.origin.buckets.iter().map(|b| b.name.as_str()).collect();
                Err(format!("no origin bucket {name:?} (the twin's are {})", names.join(", ")))
            }
        }
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn pool(&self) -> PoolView {
        PoolView {
            concurrency: self.spec.concurrency,
            running: self.pool.running() as u32,
            queued: self.pool.queued() as u32,
            stats: self.pool.stats.clone(),
        }
    }

    pub fn vcpus(&self) -> f64 {
        self.pool.vcpus()
    }

    pub fn snapshot(&self, title_bytes: Vec<TitleBytes>) -> IngestSnapshot {
        IngestSnapshot {
            jobs: self.jobs.clone(),
            pool: self.pool(),
            buckets: self.origin.buckets.iter().map(|b| (b.name.clone(), b.stats.clone())).collect(),
            title_bytes,
        }
    }
}

/// Puts a finished job's objects in every origin bucket.
fn store(origin: &mut Origin, job: &Job) {
    let prefix = job.key_prefix();
    let duration_s = job.delivery.duration_s;
    let mut objects = Vec::new();
    for r in &job.renditions {
        let height = job::dimensions(&r.resolution).map_or(0, |(_, h)| h);
        let dir = format!("{prefix}/{}/{height}p_{}k", r.codec, r.kbps);
        objects.extend(origin::rendition_objects(&dir, duration_s, r.bytes));
    }
    for codec in job.codecs() {
        let rungs = job.renditions.iter().filter(|r| r.codec == codec).count() as u64;
        objects.push((format!("{prefix}/{codec}/master.m3u8"), 200 + 120 * rungs));
    }
    for &(w, h, stills, bytes) in &job.thumbnails {
        for n in 0..stills as u64 {
            let name = format!("{prefix}/thumbnails/{w}x{h}/{:05}.jpg", n + 1);
            objects.push((name, origin::even_share(bytes, stills as u64, n)));
        }
    }
    for bucket in &mut origin.buckets {
        for (key, bytes) in &objects {
            bucket.put(key.clone(), *bytes);
        }
    }
}

#[cfg(test)]
mod tests;
