//! Ingested titles in the running twin: joining the catalogue, and read from the origin.
//!
//! Joining. When a job is stored in the origin, its title takes one of the places the catalogue reserved for
//! ingest (`Catalog::slots`): its metadata from the delivery, its file sizes from what the job encoded, its
//! appeal the place's own (the generator's ground truth, which nothing but demand and the oracle reads). It
//! goes live at the first whole hour from its release time, or from when it is stored if that is later
//! (assumed: the catalogue publishes on the hour). Every region is predicted and planned again at once, so
//! placement puts the new title on its sites' plans the way it pre-positions any launch (the predictor sees
//! only its genre, type and release); fills then take it to the edge in their windows.
//!
//! Reading. Each minute, the bytes of an ingested title's plays that no edge site served, and its files that
//! fills (and reactive caches) copied from an origin, are read from that origin region's bucket as segment
//! GETs; the buckets' request and byte rates follow. The back catalogue, which ingest never stored, is not
//! itemised in the buckets.

use std::sync::Arc;

use crate::catalog::{Joining, TitleId};
use crate::error::TwinError;
use crate::fill::FillMinute;
use crate::ingest::{Catalogued, Delivery};
use crate::region::{REGIONS, RegionId};
use crate::time::SimTime;
use crate::{Model, Twin};

const SECONDS_PER_HOUR: i64 = 3600;

/// The regions a delivery names, by code ("EU") or name ("Europe"), or why one is unknown.
pub(crate) fn delivery_regions(d: &Delivery) -> Result<Vec<RegionId>, TwinError> {
    d.regions
        .iter()
        .map(|name| {
            REGIONS
                .iter()
                .position(|(code, full)| code.eq_ignore_ascii_case(name) || full.eq_ignore_ascii_case(name))
                .map(|r| RegionId(r as u8))
                .ok_or_else(|| {
                    let known: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
                    TwinError::Refused(format!("no region {name:?} (expected one of {})", known.join(", ")))
                })
        })
        .collect()
}

/// The catalogue's genre a delivery names, or why it is unknown.
pub(crate) fn delivery_genre(model: &Model, d: &Delivery) -> Result<u16, TwinError> {
    let genres = &model.catalog.genres;
    genres.iter().position(|g| g.eq_ignore_ascii_case(&d.genre)).map(|g| g as u16).ok_or_else(|| {
        TwinError::Refused(format!("no genre {:?} in the catalogue (expected one of {})", d.genre, genres.join(", ")))
    })
}

/// How far ahead a release may be set.
const MAX_RELEASE_AHEAD_DAYS: i64 = 3650;

/// Whether a delivery's release time is one the catalogue can hold: at most ten years from `now`.
pub(crate) fn delivery_release(d: &Delivery, now: SimTime) -> Result<(), TwinError> {
    let latest = now.seconds() as i64 + MAX_RELEASE_AHEAD_DAYS * 86_400;
    if d.release_s > latest {
        return Err(TwinError::Refused(format!(
            "a release at {} s is more than {MAX_RELEASE_AHEAD_DAYS} days ahead of the clock ({} s)",
            d.release_s,
            now.seconds()
        )));
    }
    Ok(())
}

impl Twin {
    /// Takes the titles of the jobs stored since the last minute into the catalogue.
    pub(crate) fn join_stored(&mut self) {
        for id in self.ingest.take_stored() {
            let Some(slot) = self.model.catalog.free_slot() else {
                self.ingest.catalogued(id, Catalogued::NoPlace);
                continue;
            };
            let job = &self.ingest.jobs()[id as usize];
            let d = &job.delivery;
            let from_s = d.release_s.max(self.engine.now().seconds() as i64);
            let release_s = (from_s + SECONDS_PER_HOUR - 1).div_euclid(SECONDS_PER_HOUR) * SECONDS_PER_HOUR;
            // Both were checked when the delivery was taken.
            let regions = delivery_regions(d).unwrap_or_default();
            let genre = delivery_genre(&self.model, d).unwrap_or(0);
            let joining = Joining {
                name: &d.title,
                episode: d.episode,
                genre,
                regions: &regions,
                duration_s: d.duration_s,
                release_s,
                size_scale: job.size_scale(),
            };
            // Forks and published snapshots keep the catalogue they had.
            let model = Arc::make_mut(&mut self.model);
            model.catalog.join(slot, &joining);
            model.demand.add_release(release_s);
            self.content.title_joined(&self.model, slot, &mut self.placement);
            self.ingest.catalogued(id, Catalogued::Joined { title: slot, release_s });
        }
    }

    /// The minute's reads of ingested titles from the origin: their plays' misses since the last minute
    /// (`read_bytes` keeps what was counted), and their files the minute's fills brought from an origin.
    pub(crate) fn read_origin(&mut self, fill: &FillMinute) {
        let catalog = &self.model.catalog;
        for (k, bytes) in self.engine.title_bytes.iter().enumerate() {
            let seen = &mut self.read_bytes[k];
            if bytes.by_origin == *seen {
                continue;
            }
            let title = TitleId(catalog.slots.start + k as u32);
            if let Some(job) = self.ingest.job_of(title) {
                for (o, (now, before)) in bytes.by_origin.iter().zip(seen.iter()).enumerate() {
                    if now > before {
                        self.ingest.read(job, o, now - before);
                    }
                }
            }
            *seen = bytes.by_origin;
        }
        for &(origin, file, bytes) in &fill.origin_files {
            let title = catalog.title_of(file);
            if catalog.slots.contains(&title.0)
                && let Some(job) = self.ingest.job_of(title)
            {
                self.ingest.read(job, origin as usize, bytes);
            }
        }
        self.ingest.end_minute();
    }
}
