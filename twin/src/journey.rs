//! A new title's journey from the studio to the edge, read from a snapshot: encoding, in the origin, on the
//! sites' plans, filling, pre-positioned, live. "Live" means it is released and every site whose plan lists it
//! (as many as its predicted demand earned it) holds the files its plan lists: its plays are served at the
//! edge. Held so before its release, it is pre-positioned.

use serde::Serialize;

use crate::catalog::TitleId;
use crate::ingest::{Catalogued, Job, JobState, TitleBytes};
use crate::snapshot::Snapshot;
use crate::world::SiteId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Leg {
    Encoding,
    Failed,
    /// Stored, but every place the catalogue reserved for ingest was taken.
    NoPlace,
    /// In the catalogue and the origin; no site's plan lists it (yet).
    InOrigin,
    /// Some sites' plans list it; none holds any of it yet.
    Planned,
    Filling,
    /// Every planned site holds it, before its release.
    Positioned,
    Live,
}

impl Leg {
    pub fn name(self) -> &'static str {
        match self {
            Leg::Encoding => "encoding",
            Leg::Failed => "failed",
            Leg::NoPlace => "no place in the catalogue",
            Leg::InOrigin => "in origin",
            Leg::Planned => "planned",
            Leg::Filling => "filling",
            Leg::Positioned => "pre-positioned",
            Leg::Live => "live",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Journey {
    pub leg: Leg,
    pub title: Option<TitleId>,
    /// When it goes (or went) live, seconds from the start.
    pub release_s: Option<i64>,
    /// Sites whose plan lists some of its files, and of those the sites holding every file their plan lists.
    pub planned_sites: u32,
    pub live_sites: u32,
    /// Sites holding any of its files (reactive caches included).
    pub holding_sites: u32,
    /// Bytes of its plays so far, served at the edge and by the origin.
    pub bytes: TitleBytes,
}

impl Snapshot {
    /// Where `job`'s title is on its way to the edge.
    pub fn journey(&self, job: &Job) -> Journey {
        let mut j = Journey {
            leg: Leg::Encoding,
            title: None,
            release_s: None,
            planned_sites: 0,
            live_sites: 0,
            holding_sites: 0,
            bytes: TitleBytes::default(),
        };
        match (&job.state, job.catalogued) {
            (JobState::Running, _) | (JobState::Done { .. }, None) => return j,
            (JobState::Failed { .. }, _) => return Journey { leg: Leg::Failed, ..j },
            (JobState::Done { .. }, Some(Catalogued::NoPlace)) => return Journey { leg: Leg::NoPlace, ..j },
            (JobState::Done { .. }, Some(Catalogued::Joined { title, release_s })) => {
                (j.title, j.release_s) = (Some(title), Some(release_s));
                let catalog = &self.model.catalog;
                j.bytes = (self.ingest.title_bytes.get((title.0 - catalog.slots.start) as usize).copied())
                    .unwrap_or_default();
                let files: Vec<_> = catalog.files_of(title).collect();
                let mut any_held = false;
                for s in 0..self.placement.sites() {
                    let site = SiteId(s as u32);
                    let held = |f| self.placement.holds(site, f);
                    let holding = files.iter().filter(|&&f| held(f)).count();
                    j.holding_sites += (holding > 0) as u32;
                    let Some(plan) = self.content.site_plans.get(s).and_then(|p| p.as_deref()) else { continue };
                    let planned: Vec<_> = files.iter().filter(|&&f| plan.files.contains(f)).collect();
                    if planned.is_empty() {
                        continue;
                    }
                    j.planned_sites += 1;
                    j.live_sites += planned.iter().all(|&&f| held(f)) as u32;
                    any_held |= planned.iter().any(|&&f| held(f));
                }
                let released = release_s <= self.time.seconds() as i64;
                j.leg = match (j.planned_sites, j.live_sites) {
                    (0, _) => Leg::InOrigin,
                    (p, l) if l == p && released => Leg::Live,
                    (p, l) if l == p => Leg::Positioned,
                    _ if any_held => Leg::Filling,
                    _ => Leg::Planned,
                };
            }
        }
        j
    }
}
