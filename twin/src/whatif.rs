//! What-if: edits as data, and branches that fork a twin, apply them, and run beside the base over the same
//! horizon with the same random streams, so every difference between them is the edits'.
//!
//! An edits file is TOML: a list of `[[edit]]` tables, each a `kind` with its fields and an optional `at_hours`
//! (hours after the fork; 0 by default). Each edit becomes the `Command`s an operator would send by hand.

use serde::{Deserialize, Serialize};

use crate::Twin;
use crate::command::Command;
use crate::error::{InputError, TwinError};
use crate::kpi::{self, HIST_BINS};
use crate::placement::{ClusterId, Scope, TitleRule};
use crate::scenario::{PlacementKind, ScalingKind};
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
    /// Fill now, out of window, at a site, a cluster or every site.
    FillNow {
        site: Option<u32>,
        cluster: Option<u32>,
    },
    /// Multiply play arrivals everywhere.
    DemandScale {
        factor: f64,
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
    /// Change a region's scaling policy: only the fields given.
    Scaling {
        region: String,
        policy: Option<ScalingKind>,
        min: Option<u32>,
        max: Option<u32>,
        target: Option<f64>,
    },
}

/// A change and when it applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    /// Hours after the fork (0: at once).
    pub at_hours: f64,
    pub change: Change,
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
            let mut table = spanned.into_inner();
            let at_hours = match table.remove("at_hours") {
                None => 0.0,
                Some(v) => v
                    .as_float()
                    .or_else(|| v.as_integer().map(|n| n as f64))
                    .ok_or_else(|| at(start, format!("edit {}: `at_hours` must be a number of hours", i + 1)))?,
            };
            if !(at_hours.is_finite() && at_hours >= 0.0) {
                return Err(at(start, format!("edit {}: `at_hours` must be 0 or more, found {at_hours}", i + 1)));
            }
            let change = Change::deserialize(table).map_err(|e| at(start, format!("edit {}: {e}", i + 1)))?;
            edits.push(Edit { at_hours, change });
        }
        Ok(Edits { edits })
    }

    /// The file text of these edits (what `parse` reads back).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for e in &self.edits {
            let mut table = toml::Table::try_from(&e.change).unwrap_or_default();
            table.insert("at_hours".into(), toml::Value::Float(e.at_hours));
            out.push_str("[[edit]]\n");
            out.push_str(&toml::to_string(&table).unwrap_or_default());
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
        (Some(_), Some(_)) => Err(TwinError::Model("give a site or a cluster, not both".into())),
    }
}

fn region(twin: &Twin, name: &str) -> Result<usize, TwinError> {
    let names = &twin.fleet().names;
    names.iter().position(|n| n == name).ok_or_else(|| {
        TwinError::Model(format!("no control-plane region {name:?} (the world has {})", names.join(", ")))
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
            Change::Pin { title, site, cluster } => rule(*title, *site, *cluster, Some(TitleRule::Pin)),
            Change::Exclude { title, site, cluster } => rule(*title, *site, *cluster, Some(TitleRule::Exclude)),
            Change::Unpin { title, site, cluster } => rule(*title, *site, *cluster, None),
            Change::Policy { policy, site, cluster } => {
                let scope = scope(*site, *cluster)?;
                let sites = twin.content().sites_in_scope(scope)?;
                Ok(sites.into_iter().map(|site| Command::SetSitePolicy { site, policy: *policy }).collect())
            }
            Change::FillNow { site, cluster } => Ok(vec![Command::FillNow { scope: scope(*site, *cluster)? }]),
            Change::DemandScale { factor } => Ok(vec![Command::SetDemandScale { factor: *factor }]),
            Change::Evacuate { region: r } => {
                Ok(vec![Command::EvacuateRegion { region: region(twin, r)?, evacuated: true }])
            }
            Change::Restore { region: r } => {
                Ok(vec![Command::EvacuateRegion { region: region(twin, r)?, evacuated: false }])
            }
            Change::KillInstances { region: r, count } => {
                Ok(vec![Command::KillInstances { region: region(twin, r)?, count: *count }])
            }
            Change::Scaling { region: r, policy, min, max, target } => {
                let region = region(twin, r)?;
                let mut p = twin.fleet().groups[region].policy.clone();
                p.kind = policy.unwrap_or(p.kind);
                p.min = min.unwrap_or(p.min);
                p.max = max.unwrap_or(p.max);
                p.target = target.unwrap_or(p.target);
                Ok(vec![Command::SetScalingPolicy { region, policy: p }])
            }
        }
    }
}

/// What a branch did over the horizon: the figures a comparison puts side by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub offload_pct: f64,
    pub transit_pct: f64,
    pub backbone_tb: f64,
    pub fill_tb: [f64; 3],
    pub startup_p50_ms: f64,
    pub startup_p95_ms: f64,
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
pub const FIGURES: [(&str, &str); 15] = [
    ("offload", "%"),
    ("transit", "%"),
    ("backbone", "TB"),
    ("fill from peers", "TB"),
    ("fill from tier sites", "TB"),
    ("fill from the origin", "TB"),
    ("startup p50", "ms"),
    ("startup p95", "ms"),
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
            self.transit_pct,
            self.backbone_tb,
            self.fill_tb[0],
            self.fill_tb[1],
            self.fill_tb[2],
            self.startup_p50_ms,
            self.startup_p95_ms,
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

/// Where a branch stood at the fork, to measure the horizon from.
struct Mark {
    minutes: usize,
    startup_hist: Vec<u64>,
    fleet: (f64, f64),
}

fn mark(twin: &Twin) -> Mark {
    let fleet = fleet_totals(twin);
    Mark { minutes: twin.kpis().len(), startup_hist: twin.startup_hist(), fleet }
}

fn fleet_totals(twin: &Twin) -> (f64, f64) {
    twin.fleet()
        .history
        .iter()
        .filter_map(|h| h.last())
        .fold((0.0, 0.0), |a, m| (a.0 + m.instance_hours, a.1 + m.cost_usd))
}

fn outcome(twin: &Twin, from: &Mark) -> Outcome {
    let mut total = kpi::KpiSample::default();
    for k in twin.kpis().iter().skip(from.minutes) {
        total.add_counts(k);
    }
    let hist: Vec<u64> = twin.startup_hist().iter().zip(&from.startup_hist).map(|(a, b)| a - b).collect();
    debug_assert_eq!(hist.len(), HIST_BINS);
    let pct = |a: u64, b: u64| if b > 0 { 100.0 * a as f64 / b as f64 } else { 0.0 };
    let served = total.edge_bytes + total.origin_bytes;
    let (hours, cost) = fleet_totals(twin);
    let world = &twin.model().world;
    let disk: f64 = world.sites.iter().map(|s| s.disk_bytes as f64).sum();
    let held: f64 = (0..world.sites.len()).map(|s| twin.placement().held_bytes(SiteId(s as u32)) as f64).sum();
    Outcome {
        offload_pct: pct(total.edge_bytes, served),
        transit_pct: pct(total.transit_bytes, served),
        backbone_tb: (total.origin_bytes + total.fill_backbone_bytes) as f64 / 1e12,
        fill_tb: total.fill_bytes.map(|b| b as f64 / 1e12),
        startup_p50_ms: kpi::hist_quantile(&hist, 1, 0.5).unwrap_or(0.0),
        startup_p95_ms: kpi::hist_quantile(&hist, 1, 0.95).unwrap_or(0.0),
        rebuffer_pct: total.rebuffer_pct().unwrap_or(0.0),
        ebvs_pct: total.ebvs_pct().unwrap_or(0.0),
        start_failure_pct: pct(total.start_failures, total.plays),
        delivered_mbps: total.delivered_kbps().unwrap_or(0.0) / 1000.0,
        instance_hours: hours - from.fleet.0,
        fleet_cost_usd: cost - from.fleet.1,
        disk_use_pct: if disk > 0.0 { 100.0 * held / disk } else { 0.0 },
    }
}

/// Runs `twin` for `hours`, applying each edit at its time after now; returns what the horizon gave.
pub fn run_branch(twin: &mut Twin, edits: &Edits, hours: f64) -> Result<Outcome, TwinError> {
    if let Some(late) = edits.edits.iter().find(|e| e.at_hours > hours) {
        return Err(TwinError::Model(format!(
            "an edit at {} h after the fork comes after the {hours} h the branch runs",
            late.at_hours
        )));
    }
    let from = mark(twin);
    let start = twin.now().minutes();
    let end = start + (hours * 60.0).round() as u64;
    let mut pending: Vec<&Edit> = edits.edits.iter().collect();
    pending.sort_by(|a, b| a.at_hours.total_cmp(&b.at_hours));
    let mut next = pending.into_iter().peekable();
    while twin.now().minutes() < end {
        while let Some(e) = next.next_if(|e| start + (e.at_hours * 60.0).round() as u64 <= twin.now().minutes()) {
            for command in e.change.commands(twin)? {
                twin.apply(command)?;
            }
        }
        twin.advance_minutes(1);
    }
    Ok(outcome(twin, &from))
}

/// A base and a branch (base + edits), from the same fork.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub base: Outcome,
    pub branch: Outcome,
}

/// Forks `twin` and runs the base and the branch over `hours`.
pub fn compare(twin: &Twin, edits: &Edits, hours: f64) -> Result<Pair, TwinError> {
    let mut base = twin.fork();
    let mut branch = twin.fork();
    Ok(Pair { base: run_branch(&mut base, &Edits::default(), hours)?, branch: run_branch(&mut branch, edits, hours)? })
}

/// Each figure's base and branch means over seed pairs, the mean delta, and its 95% interval (half-width;
/// None with one pair).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delta {
    pub figure: &'static str,
    pub unit: &'static str,
    pub base: f64,
    pub branch: f64,
    pub delta: f64,
    pub interval: Option<f64>,
}

/// The deltas of `pairs` (one per seed), figure by figure.
pub fn deltas(pairs: &[Pair]) -> Vec<Delta> {
    let n = pairs.len() as f64;
    FIGURES
        .iter()
        .enumerate()
        .map(|(i, &(figure, unit))| {
            let base: Vec<f64> = pairs.iter().map(|p| p.base.values()[i]).collect();
            let branch: Vec<f64> = pairs.iter().map(|p| p.branch.values()[i]).collect();
            let d: Vec<f64> = branch.iter().zip(&base).map(|(b, a)| b - a).collect();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
            let delta = mean(&d);
            let interval = (pairs.len() > 1).then(|| {
                let var = d.iter().map(|x| (x - delta).powi(2)).sum::<f64>() / (n - 1.0);
                t_975(pairs.len() - 1) * (var / n).sqrt()
            });
            Delta { figure, unit, base: mean(&base), branch: mean(&branch), delta, interval }
        })
        .collect()
}

/// Student's t at 97.5% for `df` degrees of freedom (two-sided 95%).
fn t_975(df: usize) -> f64 {
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
