//! What-if: edits as data, and branches that fork a twin, apply them, and run beside the base over the same
//! horizon with the same random streams, so every difference between them is the edits'.
//!
//! An edits file is TOML: a list of `[[edit]]` tables, each a `kind` with its fields and an optional `at_hours`
//! (hours after the fork; 0 by default). Each edit becomes the `Command`s an operator would send by hand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::Twin;
use crate::command::Command;
use crate::error::{InputError, TwinError};
use crate::fleet::asg::{INSTANCE_TYPES, InstanceType};
use crate::kpi::{self, HIST_BINS};
use crate::placement::{ClusterId, Scope, TitleRule};
use crate::region::REGIONS;
use crate::scenario::{PlacementKind, ScalingKind, ScalingMetric};
use crate::world::SiteId;

/// One change, as a file states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// Take a site out of service, or bring it back.
    SiteDown {
        site: u32,
    },
    SiteUp {
        site: u32,
    },
    /// Retire a site for good: it leaves steering and fill routes, and cannot come back.
    RemoveSite {
        site: u32,
    },
    /// Pin, exclude or clear a title's rule at a site, a cluster, or (neither given) every site.
    Pin {
        title: u32,
        site: Option<u32>,
        cluster: Option<u32>,
    },
    Exclude {
        title: u32,
        site: Option<u32>,
        cluster: Option<u32>,
    },
    Unpin {
        title: u32,
        site: Option<u32>,
        cluster: Option<u32>,
    },
    /// Switch the placement policy of a site, a cluster, or every site.
    Policy {
        policy: PlacementKind,
        site: Option<u32>,
        cluster: Option<u32>,
    },
    /// Give a cluster (or every cluster) `factor` times its appliances' disk.
    Disk {
        factor: f64,
        cluster: Option<u32>,
    },
    /// Move every site's fill window (local start hour, length in hours): only the fields given.
    FillWindow {
        start_hour: Option<f64>,
        hours: Option<f64>,
    },
    /// Scale every site's fill caps (ingress rate and bytes per window) from the scenario's.
    FillCaps {
        factor: f64,
    },
    /// Fill now, out of window, at a site, a cluster or every site.
    FillNow {
        site: Option<u32>,
        cluster: Option<u32>,
    },
    /// Multiply play arrivals everywhere, or in one region (`NA`, `SA`, `EU`, `AF`, `AS`, `OC`, or the region's
    /// name) on top of the world's scale.
    DemandScale {
        factor: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// A title trends in a region (`NA`, `SA`, `EU`, `AF`, `AS`, `OC`, or the region's name): its appeal there
    /// times `factor`; 1 ends it.
    Surge {
        title: u32,
        region: String,
        factor: f64,
    },
    /// Take an S3 origin region out of service (by name, as `us-east-1`), or bring it back.
    OriginDown {
        region: String,
    },
    OriginUp {
        region: String,
    },
    /// Take a control-plane region out, or bring it back.
    Evacuate {
        region: String,
    },
    Restore {
        region: String,
    },
    /// Terminate instances of a region's group.
    KillInstances {
        region: String,
        count: u32,
    },
    /// Set a region's desired capacity (within its group's limits).
    DesiredCapacity {
        region: String,
        desired: u32,
    },
    /// Change a region's scaling policy: only the fields given (`instance` names one of
    /// `fleet::asg::INSTANCE_TYPES`).
    Scaling {
        region: String,
        policy: Option<ScalingKind>,
        min: Option<u32>,
        max: Option<u32>,
        target: Option<f64>,
        metric: Option<ScalingMetric>,
        protected: Option<u32>,
        instance: Option<String>,
    },
}

/// A change and when it applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    /// Hours after the fork (0: at once).
    pub at_hours: f64,
    pub change: Change,
}

impl Edit {
    /// `err`, said of this edit (the `index`th of its file, from 0).
    fn refused(&self, index: usize, err: TwinError) -> TwinError {
        let table = toml::Table::try_from(&self.change).unwrap_or_default();
        let kind = table.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
        TwinError::Refused(format!("edit {} ({kind}, at {} h): {err}", index + 1, self.at_hours))
    }

    /// An `[[edit]]` table: a `kind` with its fields, and `at_hours` (0 when left out). Says what is wrong.
    pub fn from_table(mut table: toml::Table) -> Result<Edit, String> {
        let at_hours = match table.remove("at_hours") {
            None => 0.0,
            Some(v) => v
                .as_float()
                .or_else(|| v.as_integer().map(|n| n as f64))
                .ok_or("`at_hours` must be a number of hours")?,
        };
        if !(at_hours.is_finite() && at_hours >= 0.0) {
            return Err(format!("`at_hours` must be 0 or more, found {at_hours}"));
        }
        let change = Change::deserialize(table).map_err(|e| e.to_string())?;
        Ok(Edit { at_hours, change })
    }

    /// The edit as an `[[edit]]` table (what `from_table` reads back).
    pub fn to_table(&self) -> toml::Table {
        let mut table = toml::Table::try_from(&self.change).unwrap_or_default();
        table.insert("at_hours".into(), toml::Value::Float(self.at_hours));
        table
    }
}

/// An edits file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edits {
    pub edits: Vec<Edit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditsFile {
    #[serde(default)]
    edit: Vec<toml::Spanned<toml::Table>>,
}

impl Edits {
    /// Reads an edits file; a mistake is reported at its line and column (for a bad edit, its table's).
    pub fn parse(file: &str, text: &str) -> Result<Edits, InputError> {
        let at = |offset: usize, message: String| InputError::at_offset(file, text, offset, message);
        let parsed: EditsFile = toml::from_str(text).map_err(|e| {
            at(e.span().map_or(0, |s| s.start), format!("{} (expected [[edit]] tables)", e.message().trim_end()))
        })?;
        let mut edits = Vec::new();
        for (i, spanned) in parsed.edit.into_iter().enumerate() {
            let start = spanned.span().start;
            let edit = Edit::from_table(spanned.into_inner()).map_err(|e| at(start, format!("edit {}: {e}", i + 1)))?;
            edits.push(edit);
        }
        Ok(Edits { edits })
    }

    /// Checks what each edit names (sites, clusters, regions, instance types) against `twin`, so a mistake is
    /// reported before a run rather than hours into it (what else a command checks, it checks at its time).
    pub fn check(&self, twin: &Twin) -> Result<(), TwinError> {
        for (i, e) in self.edits.iter().enumerate() {
            e.change.commands(twin).map_err(|err| e.refused(i, err))?;
        }
        Ok(())
    }

    /// The file text of these edits (what `parse` reads back).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for e in &self.edits {
            out.push_str("[[edit]]\n");
            out.push_str(&toml::to_string(&e.to_table()).unwrap_or_default());
            out.push('\n');
        }
        out
    }
}

fn scope(site: Option<u32>, cluster: Option<u32>) -> Result<Scope, TwinError> {
    match (site, cluster) {
        (Some(s), None) => Ok(Scope::Site(SiteId(s))),
        (None, Some(c)) => Ok(Scope::Cluster(ClusterId(c))),
        (None, None) => Ok(Scope::All),
        (Some(_), Some(_)) => Err(TwinError::Refused("give a site or a cluster, not both".into())),
    }
}

fn region(twin: &Twin, name: &str) -> Result<usize, TwinError> {
    let names = &twin.fleet().names;
    names.iter().position(|n| n == name).ok_or_else(|| {
        TwinError::Refused(format!("no control-plane region {name:?} (the world has {})", names.join(", ")))
    })
}

/// A members' region (`region::REGIONS`) by its code or name.
fn member_region(name: &str) -> Result<usize, TwinError> {
    REGIONS.iter().position(|(code, full)| *code == name || *full == name).ok_or_else(|| {
        let codes: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
        TwinError::Refused(format!("no region {name:?} (expected one of {})", codes.join(", ")))
    })
}

/// A members' region's code (its index, if there is no such region).
fn region_code(r: usize) -> String {
    REGIONS.get(r).map_or_else(|| r.to_string(), |r| r.0.to_string())
}

fn origin(twin: &Twin, name: &str) -> Result<usize, TwinError> {
    let origins = &twin.model().world.origins;
    origins.iter().position(|o| o.name == name).ok_or_else(|| {
        let names: Vec<&str> = origins.iter().map(|o| o.name.as_str()).collect();
        TwinError::Refused(format!("no origin region {name:?} (the world has {})", names.join(", ")))
    })
}

impl Change {
    /// The commands that carry the change out on `twin`.
    pub fn commands(&self, twin: &Twin) -> Result<Vec<Command>, TwinError> {
        let rule = |title: u32, site, cluster, rule| -> Result<Vec<Command>, TwinError> {
            Ok(vec![Command::SetTitleRule {
                scope: scope(site, cluster)?,
                title: crate::catalog::TitleId(title),
                rule,
            }])
        };
        match self {
            Change::SiteDown { site } => Ok(vec![Command::SetSiteUp { site: SiteId(*site), up: false }]),
            Change::SiteUp { site } => Ok(vec![Command::SetSiteUp { site: SiteId(*site), up: true }]),
            Change::RemoveSite { site } => {
                twin.site(SiteId(*site))?;
                Ok(vec![Command::RemoveSite { site: SiteId(*site) }])
            }
            Change::Pin { title, site, cluster } => rule(*title, *site, *cluster, Some(TitleRule::Pin)),
            Change::Exclude { title, site, cluster } => rule(*title, *site, *cluster, Some(TitleRule::Exclude)),
            Change::Unpin { title, site, cluster } => rule(*title, *site, *cluster, None),
            Change::Policy { policy, site, cluster } => {
                let scope = scope(*site, *cluster)?;
                let sites = twin.content().sites_in_scope(scope)?;
                Ok(sites.into_iter().map(|site| Command::SetSitePolicy { site, policy: *policy }).collect())
            }
            Change::Disk { factor, cluster } => {
                Ok(vec![Command::SetDiskScale { scope: scope(None, *cluster)?, factor: *factor }])
            }
            Change::FillWindow { start_hour, hours } => {
                let (start, length, caps) = twin.content().fill.schedule();
                Ok(vec![Command::SetFillSchedule {
                    window_start_hour: start_hour.unwrap_or(start),
                    window_hours: hours.unwrap_or(length),
                    caps_factor: caps,
                }])
            }
            Change::FillCaps { factor } => {
                let (start, length, _) = twin.content().fill.schedule();
                Ok(vec![Command::SetFillSchedule {
                    window_start_hour: start,
                    window_hours: length,
                    caps_factor: *factor,
                }])
            }
            Change::FillNow { site, cluster } => Ok(vec![Command::FillNow { scope: scope(*site, *cluster)? }]),
            Change::DemandScale { factor, region } => {
                let region = region.as_deref().map(member_region).transpose()?;
                Ok(vec![Command::SetDemandScale { factor: *factor, region }])
            }
            Change::Surge { title, region, factor } => Ok(vec![Command::SetTitleSurge {
                title: crate::catalog::TitleId(*title),
                region: member_region(region)?,
                factor: *factor,
            }]),
            Change::OriginDown { region: r } => Ok(vec![Command::SetOriginUp { origin: origin(twin, r)?, up: false }]),
            Change::OriginUp { region: r } => Ok(vec![Command::SetOriginUp { origin: origin(twin, r)?, up: true }]),
            Change::Evacuate { region: r } => {
                Ok(vec![Command::EvacuateRegion { region: region(twin, r)?, evacuated: true }])
            }
            Change::Restore { region: r } => {
                Ok(vec![Command::EvacuateRegion { region: region(twin, r)?, evacuated: false }])
            }
            Change::KillInstances { region: r, count } => {
                Ok(vec![Command::KillInstances { region: region(twin, r)?, count: *count }])
            }
            Change::DesiredCapacity { region: r, desired } => {
                Ok(vec![Command::SetDesiredCapacity { region: region(twin, r)?, desired: *desired }])
            }
            Change::Scaling { region: r, policy, min, max, target, metric, protected, instance } => {
                let region = region(twin, r)?;
                let mut p = twin.fleet().groups[region].policy.clone();
                p.kind = policy.unwrap_or(p.kind);
                p.min = min.unwrap_or(p.min);
                p.max = max.unwrap_or(p.max);
                p.target = target.unwrap_or(p.target);
                p.metric = metric.unwrap_or(p.metric);
                p.protected = protected.unwrap_or(p.protected);
                if let Some(name) = instance.as_ref().filter(|&n| *n != p.instance.name) {
                    let &(name, vcpus, usd_per_hour) =
                        INSTANCE_TYPES.iter().find(|t| t.0 == name).ok_or_else(|| {
                            let names: Vec<&str> = INSTANCE_TYPES.iter().map(|t| t.0).collect();
                            TwinError::Refused(format!(
                                "no instance type {name:?} (expected one of {})",
                                names.join(", ")
                            ))
                        })?;
                    p.instance = InstanceType { name: name.into(), vcpus, usd_per_hour };
                }
                Ok(vec![Command::SetScalingPolicy { region, policy: p }])
            }
        }
    }

    /// The changes an operator's command makes, as edits state them (so what is done by hand in the console
    /// can be recorded and replayed in a branch). `regions` names the AWS regions: each has an S3 origin and a
    /// control-plane group (`world.origins`, `fleet.names`).
    pub fn of_command(command: &Command, regions: &[String]) -> Vec<Change> {
        let scoped = |scope: Scope| match scope {
            Scope::Site(s) => (Some(s.0), None),
            Scope::Cluster(c) => (None, Some(c.0)),
            Scope::All => (None, None),
        };
        let name = |r: usize| regions.get(r).cloned().unwrap_or_else(|| format!("region {r}"));
        match command {
            Command::SetSiteUp { site: s, up: false } => vec![Change::SiteDown { site: s.0 }],
            Command::SetSiteUp { site: s, up: true } => vec![Change::SiteUp { site: s.0 }],
            Command::RemoveSite { site: s } => vec![Change::RemoveSite { site: s.0 }],
            Command::SetOriginUp { origin, up } => {
                let region = name(*origin);
                vec![if *up { Change::OriginUp { region } } else { Change::OriginDown { region } }]
            }
            Command::SetDemandScale { factor, region } => {
                vec![Change::DemandScale { factor: *factor, region: region.map(region_code) }]
            }
            Command::SetTitleSurge { title, region, factor } => {
                vec![Change::Surge { title: title.0, region: region_code(*region), factor: *factor }]
            }
            Command::FillNow { scope } => {
                let (site, cluster) = scoped(*scope);
                vec![Change::FillNow { site, cluster }]
            }
            Command::SetTitleRule { scope, title, rule } => {
                let (site, cluster) = scoped(*scope);
                let title = title.0;
                vec![match rule {
                    Some(TitleRule::Pin) => Change::Pin { title, site, cluster },
                    Some(TitleRule::Exclude) => Change::Exclude { title, site, cluster },
                    None => Change::Unpin { title, site, cluster },
                }]
            }
            Command::SetSitePolicy { site: s, policy } => {
                vec![Change::Policy { policy: *policy, site: Some(s.0), cluster: None }]
            }
            Command::SetDiskScale { scope, factor } => {
                vec![Change::Disk { factor: *factor, cluster: scoped(*scope).1 }]
            }
            Command::SetFillSchedule { window_start_hour, window_hours, caps_factor } => vec![
                Change::FillWindow { start_hour: Some(*window_start_hour), hours: Some(*window_hours) },
                Change::FillCaps { factor: *caps_factor },
            ],
            Command::SetScalingPolicy { region, policy: p } => vec![Change::Scaling {
                region: name(*region),
                policy: Some(p.kind),
                min: Some(p.min),
                max: Some(p.max),
                target: Some(p.target),
                metric: Some(p.metric),
                protected: Some(p.protected),
                instance: Some(p.instance.name.clone()),
            }],
            Command::KillInstances { region, count } => {
                vec![Change::KillInstances { region: name(*region), count: *count }]
            }
            Command::SetDesiredCapacity { region, desired } => {
                vec![Change::DesiredCapacity { region: name(*region), desired: *desired }]
            }
            Command::EvacuateRegion { region, evacuated: true } => vec![Change::Evacuate { region: name(*region) }],
            Command::EvacuateRegion { region, evacuated: false } => vec![Change::Restore { region: name(*region) }],
            // Nightly training's, not an operator's: a branch predicts on its own.
            Command::SetPredictions { .. } => Vec::new(),
            // A delivery changes no placement, pool or fleet setting a branch could compare, and neither does
            // an origin's contents taken from a mirrored inventory.
            Command::Ingest { .. } | Command::SetOriginContents { .. } => Vec::new(),
        }
    }
}

/// What a branch did over the horizon: the figures a comparison puts side by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub offload_pct: f64,
    pub in_isp_pct: f64,
    pub transit_pct: f64,
    pub backbone_tb: f64,
    pub fill_tb: [f64; 3],
    pub startup_p50_ms: f64,
    pub startup_p95_ms: f64,
    /// Mean startup time of the plays that started (cells written before it was added read 0).
    #[serde(default)]
    pub startup_mean_ms: f64,
    pub rebuffer_pct: f64,
    pub ebvs_pct: f64,
    pub start_failure_pct: f64,
    pub delivered_mbps: f64,
    pub instance_hours: f64,
    pub fleet_cost_usd: f64,
    /// Bytes held on the edge's disks at the end, as a share of their capacity.
    pub disk_use_pct: f64,
}

/// The names and units of `Outcome`'s figures, in `Outcome::values` order.
pub const FIGURES: [(&str, &str); 17] = [
    ("offload", "%"),
    ("in-ISP", "%"),
    ("transit", "%"),
    ("backbone", "TB"),
    ("fill from peers", "TB"),
    ("fill from tier sites", "TB"),
    ("fill from the origin", "TB"),
    ("startup p50", "ms"),
    ("startup p95", "ms"),
    ("startup mean", "ms"),
    ("rebuffer", "%"),
    ("EBVS", "%"),
    ("start failures", "%"),
    ("delivered bitrate", "Mbps"),
    ("fleet instance-hours", "h"),
    ("fleet cost", "$"),
    ("edge disk use", "%"),
];

impl Outcome {
    pub fn values(&self) -> [f64; FIGURES.len()] {
        [
            self.offload_pct,
            self.in_isp_pct,
            self.transit_pct,
            self.backbone_tb,
            self.fill_tb[0],
            self.fill_tb[1],
            self.fill_tb[2],
            self.startup_p50_ms,
            self.startup_p95_ms,
            self.startup_mean_ms,
            self.rebuffer_pct,
            self.ebvs_pct,
            self.start_failure_pct,
            self.delivered_mbps,
            self.instance_hours,
            self.fleet_cost_usd,
            self.disk_use_pct,
        ]
    }
}

/// The figures a comparison gives per region (of `region::REGIONS`), in `RegionOutcome::values` order.
pub const REGION_FIGURES: [(&str, &str); 5] =
    [("offload", "%"), ("backbone", "TB"), ("startup p95", "ms"), ("rebuffer", "%"), ("EBVS", "%")];

/// One region's part of a branch's horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionOutcome {
    pub offload_pct: f64,
    pub backbone_tb: f64,
    pub startup_p95_ms: f64,
    pub rebuffer_pct: f64,
    pub ebvs_pct: f64,
}

impl RegionOutcome {
    pub fn values(&self) -> [f64; REGION_FIGURES.len()] {
        [self.offload_pct, self.backbone_tb, self.startup_p95_ms, self.rebuffer_pct, self.ebvs_pct]
    }
}

/// One site's part of a branch's horizon: the bytes steering sent it first, and those it served of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteOutcome {
    pub offered_tb: f64,
    pub served_tb: f64,
}

impl SiteOutcome {
    /// The share of what it was offered that it served.
    pub fn hit_pct(&self) -> Option<f64> {
        (self.offered_tb > 0.0).then(|| 100.0 * self.served_tb / self.offered_tb)
    }
}

/// One hour of a branch, for its time series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Hours after the fork, at the hour's end.
    pub hour: f64,
    pub offload_pct: f64,
    /// The mean of the hour's minutes' startup p95.
    pub startup_p95_ms: f64,
    pub rebuffer_pct: f64,
    pub backbone_gbps: f64,
    /// Control-plane instances in service at the hour's end, every region.
    pub instances: f64,
}

/// What a branch did: worldwide, per region, per site, and hour by hour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub outcome: Outcome,
    pub regions: Vec<RegionOutcome>,
    pub sites: Vec<SiteOutcome>,
    pub series: Vec<Point>,
}

/// Where a branch stood at the fork, to measure the horizon from.
#[derive(Clone, Debug)]
struct Mark {
    minutes: usize,
    region_hist: Vec<Vec<u64>>,
    fleet: (f64, f64),
    site_offered: Vec<u64>,
    site_hit: Vec<u64>,
}

impl Mark {
    fn of(twin: &Twin) -> Mark {
        let (site_offered, site_hit) = twin.site_bytes();
        Mark {
            minutes: twin.kpis().len(),
            region_hist: (0..REGIONS.len()).map(|r| twin.startup_hist(Some(r))).collect(),
            fleet: fleet_totals(twin),
            site_offered: site_offered.to_vec(),
            site_hit: site_hit.to_vec(),
        }
    }
}

fn fleet_totals(twin: &Twin) -> (f64, f64) {
    twin.fleet()
        .history
        .iter()
        .filter_map(|h| h.last())
        .fold((0.0, 0.0), |a, m| (a.0 + m.instance_hours, a.1 + m.cost_usd))
}

fn pct(a: u64, b: u64) -> f64 {
    if b > 0 { 100.0 * a as f64 / b as f64 } else { 0.0 }
}

fn sum(minutes: impl Iterator<Item = impl std::borrow::Borrow<kpi::KpiSample>>) -> kpi::KpiSample {
    let mut total = kpi::KpiSample::default();
    for k in minutes {
        total.add_counts(k.borrow());
    }
    total
}

fn backbone_bytes(k: &kpi::KpiSample) -> u64 {
    k.origin_bytes + k.fill_backbone_bytes
}

fn run_result(twin: &Twin, from: &Mark) -> Run {
    let minutes: Vec<&kpi::KpiSample> = twin.kpis().iter().skip(from.minutes).collect();
    let total = sum(minutes.iter().copied());
    let hist_since = |r: Option<usize>| -> Vec<u64> {
        let regions = r.map_or(0..REGIONS.len(), |r| r..r + 1);
        let mut hist = vec![0u64; HIST_BINS];
        for r in regions {
            for ((h, now), then) in hist.iter_mut().zip(twin.startup_hist(Some(r))).zip(&from.region_hist[r]) {
                *h += now - then;
            }
        }
        hist
    };
    let hist = hist_since(None);
    let served = total.edge_bytes + total.origin_bytes;
    let (hours, cost) = fleet_totals(twin);
    let sites = twin.model().world.sites.len();
    let disk: f64 = (0..sites).map(|s| twin.content().disk_bytes(twin.model(), SiteId(s as u32)) as f64).sum();
    let held: f64 = (0..sites).map(|s| twin.placement().held_bytes(SiteId(s as u32)) as f64).sum();
    let outcome = Outcome {
        offload_pct: pct(total.edge_bytes, served),
        in_isp_pct: pct(total.in_isp_bytes, served),
        transit_pct: pct(total.transit_bytes, served),
        backbone_tb: backbone_bytes(&total) as f64 / 1e12,
        fill_tb: total.fill_bytes.map(|b| b as f64 / 1e12),
        startup_p50_ms: kpi::hist_quantile(&hist, 1, 0.5).unwrap_or(0.0),
        startup_p95_ms: kpi::hist_quantile(&hist, 1, 0.95).unwrap_or(0.0),
        startup_mean_ms: total.startup_mean_ms().unwrap_or(0.0),
        rebuffer_pct: total.rebuffer_pct().unwrap_or(0.0),
        ebvs_pct: total.ebvs_pct().unwrap_or(0.0),
        start_failure_pct: pct(total.start_failures, total.plays),
        delivered_mbps: total.delivered_kbps().unwrap_or(0.0) / 1000.0,
        instance_hours: hours - from.fleet.0,
        fleet_cost_usd: cost - from.fleet.1,
        disk_use_pct: if disk > 0.0 { 100.0 * held / disk } else { 0.0 },
    };
    let regions = (0..REGIONS.len())
        .map(|r| {
            let t = sum(twin.region_kpis(r).iter().skip(from.minutes));
            RegionOutcome {
                offload_pct: pct(t.edge_bytes, t.edge_bytes + t.origin_bytes),
                backbone_tb: backbone_bytes(&t) as f64 / 1e12,
                startup_p95_ms: kpi::hist_quantile(&hist_since(Some(r)), 1, 0.95).unwrap_or(0.0),
                rebuffer_pct: t.rebuffer_pct().unwrap_or(0.0),
                ebvs_pct: t.ebvs_pct().unwrap_or(0.0),
            }
        })
        .collect();
    let (offered, hit) = twin.site_bytes();
    let sites = (0..sites)
        .map(|s| SiteOutcome {
            offered_tb: (offered[s] - from.site_offered[s]) as f64 / 1e12,
            served_tb: (hit[s] - from.site_hit[s]) as f64 / 1e12,
        })
        .collect();
    let fleet = &twin.fleet().history;
    let series = minutes
        .chunks(60)
        .enumerate()
        .map(|(h, hour)| {
            let t = sum(hour.iter().copied());
            let last = from.minutes + h * 60 + hour.len() - 1;
            Point {
                hour: (h * 60 + hour.len()) as f64 / 60.0,
                offload_pct: pct(t.edge_bytes, t.edge_bytes + t.origin_bytes),
                startup_p95_ms: hour.iter().map(|k| k.startup_p95_ms).sum::<f64>() / hour.len() as f64,
                rebuffer_pct: t.rebuffer_pct().unwrap_or(0.0),
                backbone_gbps: backbone_bytes(&t) as f64 * 8.0 / (hour.len() as f64 * 60.0) / 1e9,
                instances: fleet.iter().filter(|h| last < h.len()).map(|h| h[last].in_service as f64).sum(),
            }
        })
        .collect();
    Run { outcome, regions, sites, series }
}

/// A fork running with its edits: step it a minute at a time (to show progress, or stop), or run it out.
#[derive(Clone, Debug)]
pub struct Branch {
    twin: Twin,
    /// The edits by time (each with its place in the file), and how many are applied.
    edits: Vec<(usize, Edit)>,
    applied: usize,
    start: u64,
    end: u64,
    from: Mark,
}

impl Branch {
    /// `twin` (a fork) to run `hours` from now with `edits`, each at its time after now.
    pub fn new(mut twin: Twin, edits: &Edits, hours: f64) -> Result<Branch, TwinError> {
        // A fork of a twin recording events would keep its own, untaken, for the whole horizon; and nothing
        // outside trains for a branch, so it predicts on its own.
        twin.set_events(None);
        twin.set_given_predictions(false);
        if let Some(late) = edits.edits.iter().find(|e| e.at_hours >= hours) {
            return Err(TwinError::Refused(format!(
                "an edit at {} h after the fork does not come before the branch ends, {hours} h after it",
                late.at_hours
            )));
        }
        edits.check(&twin)?;
        let mut sorted: Vec<(usize, Edit)> = edits.edits.iter().cloned().enumerate().collect();
        sorted.sort_by(|a, b| a.1.at_hours.total_cmp(&b.1.at_hours));
        let start = twin.now().minutes();
        let end = start + (hours * 60.0).round() as u64;
        Ok(Branch { from: Mark::of(&twin), twin, edits: sorted, applied: 0, start, end })
    }

    /// Minutes run, of the horizon's.
    pub fn progress(&self) -> (u64, u64) {
        (self.twin.now().minutes() - self.start, self.end - self.start)
    }

    pub fn done(&self) -> bool {
        self.twin.now().minutes() >= self.end
    }

    /// Applies the edits due now, then simulates a minute (nothing once done).
    pub fn step(&mut self) -> Result<(), TwinError> {
        let now = self.twin.now().minutes();
        while let Some((i, e)) = self.edits.get(self.applied)
            && self.start + (e.at_hours * 60.0).round() as u64 <= now
        {
            for command in e.change.commands(&self.twin).map_err(|err| e.refused(*i, err))? {
                self.twin.apply(command).map_err(|err| e.refused(*i, err))?;
            }
            self.applied += 1;
        }
        if !self.done() {
            self.twin.advance_minutes(1);
        }
        Ok(())
    }

    /// Runs to the end of the horizon; returns what it gave.
    pub fn run(&mut self) -> Result<Run, TwinError> {
        while !self.done() {
            self.step()?;
        }
        Ok(self.result())
    }

    /// What the horizon gave so far.
    pub fn result(&self) -> Run {
        run_result(&self.twin, &self.from)
    }

    pub fn twin(&self) -> &Twin {
        &self.twin
    }
}

/// Runs `twin` for `hours`, applying each edit at its time after now; returns what the horizon gave.
pub fn run_branch(twin: &mut Twin, edits: &Edits, hours: f64) -> Result<Run, TwinError> {
    let mut branch = Branch::new(twin.fork(), edits, hours)?;
    let run = branch.run()?;
    *twin = branch.twin;
    Ok(run)
}

/// A base and a branch (base + edits), from the same fork.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub base: Run,
    pub branch: Run,
}

/// Forks `twin` once per entry of `branches` and runs each with its edits over `hours`, side by side (two
/// at a time, on their own threads). Returns the branches run out, to read their results and twins.
pub fn run_all(twin: &Twin, branches: &[Edits], hours: f64) -> Result<Vec<Branch>, TwinError> {
    let mut made: Vec<Branch> =
        branches.iter().map(|e| Branch::new(twin.fork(), e, hours)).collect::<Result<_, _>>()?;
    run_together(&mut made, &Progress::default())?;
    Ok(made)
}

/// Forks `twin` and runs the base and the branch over `hours`.
pub fn compare(twin: &Twin, edits: &Edits, hours: f64) -> Result<Pair, TwinError> {
    let runs = run_all(twin, &[Edits::default(), edits.clone()], hours)?;
    Ok(Pair { base: runs[0].result(), branch: runs[1].result() })
}

/// How far a comparison has gone, and the switch that stops it; shared with whoever watches.
#[derive(Debug, Default)]
pub struct Progress {
    pub minutes_done: AtomicU64,
    pub minutes_total: AtomicU64,
    pub cancel: AtomicBool,
}

impl Progress {
    pub fn fraction(&self) -> f64 {
        let total = self.minutes_total.load(Ordering::Relaxed);
        if total == 0 { 0.0 } else { self.minutes_done.load(Ordering::Relaxed) as f64 / total as f64 }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Steps `branches` to their ends two at a time, each pair on two threads. Stops early (Ok) if cancelled.
fn run_together(branches: &mut [Branch], progress: &Progress) -> Result<(), TwinError> {
    for chunk in branches.chunks_mut(2) {
        let results: Vec<Result<(), TwinError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter_mut()
                .map(|b| {
                    scope.spawn(move || {
                        while !b.done() && !progress.cancelled() {
                            b.step()?;
                            progress.minutes_done.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
        results.into_iter().collect::<Result<(), _>>()?;
        if progress.cancelled() {
            break;
        }
    }
    Ok(())
}

/// The twin seed pair `i` starts from: the fork itself for pair 0, else the same scenario with the next
/// seeds, built and run to the fork's moment.
pub fn seed_twin(fork: &Twin, i: u32) -> Result<Twin, TwinError> {
    if i == 0 {
        return Ok(fork.fork());
    }
    let scenario = fork.model().scenario.clone();
    let seed = scenario.seed + i as u64;
    let mut twin = Twin::new(scenario.with_seed(seed))?;
    twin.set_threads(fork.threads());
    twin.advance_to(fork.now());
    Ok(twin)
}

/// `seeds` seed pairs of a base and a branch with `edits`, each `hours` from the fork's moment (pair 0 from
/// `fork` itself). Reports progress in minutes simulated (building a pair's twin counts its minutes to the
/// fork); None if cancelled.
pub fn run_pairs(
    fork: &Twin,
    edits: &Edits,
    hours: f64,
    seeds: u32,
    progress: &Progress,
) -> Result<Option<Vec<Pair>>, TwinError> {
    let horizon = (hours * 60.0).round() as u64;
    let catch_up = fork.now().minutes();
    let total = seeds as u64 * 2 * horizon + (seeds as u64).saturating_sub(1) * catch_up;
    progress.minutes_total.store(total, Ordering::Relaxed);
    let mut pairs = Vec::new();
    for i in 0..seeds {
        if progress.cancelled() {
            return Ok(None);
        }
        let twin = seed_twin(fork, i)?;
        if i > 0 {
            progress.minutes_done.fetch_add(catch_up, Ordering::Relaxed);
        }
        let mut both = [Branch::new(twin.fork(), &Edits::default(), hours)?, Branch::new(twin, edits, hours)?];
        run_together(&mut both, progress)?;
        if progress.cancelled() {
            return Ok(None);
        }
        pairs.push(Pair { base: both[0].result(), branch: both[1].result() });
    }
    Ok(Some(pairs))
}

/// A figure's base and branch means over seed pairs, the mean delta, and its 95% interval (half-width; None
/// with one pair).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub figure: String,
    pub unit: String,
    pub base: f64,
    pub branch: f64,
    pub delta: f64,
    pub interval: Option<f64>,
}

impl Delta {
    /// From each pair's (base, branch) values of one figure.
    pub(crate) fn of(figure: &str, unit: &str, values: &[(f64, f64)]) -> Delta {
        let n = values.len() as f64;
        let mean = |f: &dyn Fn(&(f64, f64)) -> f64| values.iter().map(f).sum::<f64>() / n;
        let delta = mean(&|v| v.1 - v.0);
        let interval = (values.len() > 1).then(|| {
            let var = values.iter().map(|v| (v.1 - v.0 - delta).powi(2)).sum::<f64>() / (n - 1.0);
            t_975(values.len() - 1) * (var / n).sqrt()
        });
        Delta {
            figure: figure.into(),
            unit: unit.into(),
            base: mean(&|v| v.0),
            branch: mean(&|v| v.1),
            delta,
            interval,
        }
    }

    /// The delta as a share of the base, in %, where the base is not zero.
    pub fn pct(&self) -> Option<f64> {
        (self.base.abs() > 1e-12).then(|| 100.0 * self.delta / self.base)
    }
}

/// The deltas of `pairs` (one per seed), figure by figure.
pub fn deltas(pairs: &[Pair]) -> Vec<Delta> {
    FIGURES
        .iter()
        .enumerate()
        .map(|(i, &(figure, unit))| {
            let v: Vec<(f64, f64)> =
                pairs.iter().map(|p| (p.base.outcome.values()[i], p.branch.outcome.values()[i])).collect();
            Delta::of(figure, unit, &v)
        })
        .collect()
}

/// Each region's deltas of `pairs` (one per seed), figure by figure.
pub fn region_deltas(pairs: &[Pair]) -> Vec<RegionDeltas> {
    REGIONS
        .iter()
        .enumerate()
        .map(|(r, (name, _))| RegionDeltas {
            region: name.to_string(),
            deltas: REGION_FIGURES
                .iter()
                .enumerate()
                .map(|(i, &(figure, unit))| {
                    let v: Vec<(f64, f64)> = pairs
                        .iter()
                        .map(|p| (p.base.regions[r].values()[i], p.branch.regions[r].values()[i]))
                        .collect();
                    Delta::of(figure, unit, &v)
                })
                .collect(),
        })
        .collect()
}

/// One region's deltas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionDeltas {
    pub region: String,
    pub deltas: Vec<Delta>,
}

/// One site's bytes served and hit ratio in both branches (means over pairs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteDelta {
    pub site: u32,
    pub served: Delta,
    pub hit_pct: Delta,
}

/// A comparison, whole: what was compared, the deltas worldwide, per region and per site, and both branches'
/// mean series. What a report file holds, and what the history keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub edits: String,
    pub at_hours: f64,
    pub hours: f64,
    pub seeds: u32,
    pub wall_s: f64,
    pub deltas: Vec<Delta>,
    pub regions: Vec<RegionDeltas>,
    pub sites: Vec<SiteDelta>,
    pub base_series: Vec<Point>,
    pub branch_series: Vec<Point>,
}

impl Report {
    /// The report of `pairs`; `title` names the comparison.
    pub fn new(title: String, edits: &Edits, at_hours: f64, hours: f64, pairs: &[Pair], wall_s: f64) -> Report {
        let regions = region_deltas(pairs);
        let site_count = pairs.first().map_or(0, |p| p.base.sites.len());
        let sites = (0..site_count)
            .map(|s| {
                let of = |f: &dyn Fn(&SiteOutcome) -> f64| -> Vec<(f64, f64)> {
                    pairs.iter().map(|p| (f(&p.base.sites[s]), f(&p.branch.sites[s]))).collect()
                };
                SiteDelta {
                    site: s as u32,
                    served: Delta::of("served", "TB", &of(&|o| o.served_tb)),
                    hit_pct: Delta::of("hit ratio", "%", &of(&|o| o.hit_pct().unwrap_or(0.0))),
                }
            })
            .collect();
        let mean_series = |pick: &dyn Fn(&Pair) -> &Vec<Point>| -> Vec<Point> {
            let n = pairs.len() as f64;
            let len = pairs.iter().map(|p| pick(p).len()).min().unwrap_or(0);
            (0..len)
                .map(|i| {
                    let mean = |f: &dyn Fn(&Point) -> f64| pairs.iter().map(|p| f(&pick(p)[i])).sum::<f64>() / n;
                    Point {
                        hour: mean(&|p| p.hour),
                        offload_pct: mean(&|p| p.offload_pct),
                        startup_p95_ms: mean(&|p| p.startup_p95_ms),
                        rebuffer_pct: mean(&|p| p.rebuffer_pct),
                        backbone_gbps: mean(&|p| p.backbone_gbps),
                        instances: mean(&|p| p.instances),
                    }
                })
                .collect()
        };
        Report {
            title,
            edits: edits.to_toml(),
            at_hours,
            hours,
            seeds: pairs.len() as u32,
            wall_s,
            deltas: deltas(pairs),
            regions,
            sites,
            base_series: mean_series(&|p| &p.base.series),
            branch_series: mean_series(&|p| &p.branch.series),
        }
    }
}

/// Student's t at 97.5% for `df` degrees of freedom (two-sided 95%).
pub(crate) fn t_975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    T.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_matches_the_table() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(9), 2.262);
        assert_eq!(t_975(100), 1.96);
    }

    #[test]
    fn edits_round_trip_and_a_bad_one_is_located() {
        let text = r#"
[[edit]]
kind = "site_down"
site = 3
at_hours = 2.5

[[edit]]
kind = "pin"
title = 7
cluster = 1

[[edit]]
kind = "policy"
policy = "lru"

[[edit]]
kind = "scaling"
region = "us-east-1"
policy = "predictive"
min = 4
"#;
        let edits = Edits::parse("e.toml", text).expect("valid");
        assert_eq!(edits.edits.len(), 4);
        assert_eq!(edits.edits[0], Edit { at_hours: 2.5, change: Change::SiteDown { site: 3 } });
        assert_eq!(edits.edits[1].change, Change::Pin { title: 7, site: None, cluster: Some(1) });
        assert_eq!(Edits::parse("again.toml", &edits.to_toml()).expect("round trip"), edits);

        let bad = "[[edit]]\nkind = \"site_down\"\nsite = 1\n\n[[edit]]\nkind = \"site_sideways\"\nsite = 2\n";
        let e = Edits::parse("bad.toml", bad).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("bad.toml", 5), "{e}");
        assert!(e.message.contains("edit 2") && e.message.contains("site_sideways"), "{e}");
        let e = Edits::parse("bad.toml", "[[edit]]\nkind = \"site_down\"\nsite = \"x\"\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e =
            Edits::parse("bad.toml", "[[edit]]\nkind = \"demand_scale\"\nfactor = 2.0\nat_hours = -1\n").unwrap_err();
        assert!(e.message.contains("at_hours"), "{e}");
        let e = Edits::parse("bad.toml", "edits = 3\n").unwrap_err();
        assert!(e.message.contains("[[edit]]"), "{e}");
    }
}
