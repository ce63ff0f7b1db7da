//! Auto Scaling: the control plane's groups as the fleet model sees them (limits, desired capacity, instances by
//! lifecycle state) with their recent scaling activities, and the one action the console may take on them: set
//! a group's desired capacity.

use aws_sdk_autoscaling::Client;

use crate::fault::{Fault, from_sdk};

/// A group as DescribeAutoScalingGroups gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupState {
    pub name: String,
    /// The region it is in (the configuration's: the twin's origin region of this control plane).
    pub region: String,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub in_service: u32,
    /// Launching or warming up (`Pending*`), and leaving (`Terminating*`, `Detaching`, `EnteringStandby`).
    pub pending: u32,
    pub leaving: u32,
    /// Its launch template's or launch configuration's name, as the group names it.
    pub launch: String,
    /// Its most recent scaling activities, newest first.
    pub activities: Vec<ScalingActivity>,
}

/// A scaling activity: when it started (seconds since the Unix epoch), its status, and what it did and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingActivity {
    pub start_s: i64,
    pub status: String,
    pub description: String,
    pub cause: String,
}

/// A client for `region`, the configured endpoint, and credentials from the standard chain.
pub async fn client(region: &str, endpoint: Option<&str>, profile: Option<&str>) -> Client {
    Client::new(&crate::sdk_config(region, endpoint, profile).await)
}

/// The named groups in `region` (every page), each with its `activities` most recent scaling activities. A name
/// the account does not have is an error naming it.
pub async fn describe(
    client: &Client,
    region: &str,
    names: &[String],
    activities: i32,
) -> Result<Vec<GroupState>, Fault> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(names.to_vec()))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(&format!("DescribeAutoScalingGroups in {region}"), e))?;
        for g in page.auto_scaling_groups() {
            let count = |f: &dyn Fn(&str) -> bool| {
                g.instances().iter().filter(|i| f(i.lifecycle_state().map_or("", |s| s.as_str()))).count() as u32
            };
            let launch = g
                .launch_template()
                .and_then(|t| t.launch_template_name())
                .or(g.launch_configuration_name())
                .unwrap_or("")
                .to_string();
            groups.push(GroupState {
                name: g.auto_scaling_group_name().unwrap_or("").to_string(),
                region: region.to_string(),
                min: g.min_size().unwrap_or(0).max(0) as u32,
                max: g.max_size().unwrap_or(0).max(0) as u32,
                desired: g.desired_capacity().unwrap_or(0).max(0) as u32,
                in_service: count(&|s| s == "InService"),
                pending: count(&|s| s.starts_with("Pending")),
                leaving: count(&|s| s.starts_with("Terminating") || s == "Detaching" || s == "EnteringStandby"),
                launch,
                activities: Vec::new(),
            });
        }
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    if let Some(missing) = names.iter().find(|n| !groups.iter().any(|g| &g.name == *n)) {
        return Err(Fault {
            kind: crate::fault::FaultKind::Rejected,
            message: format!("DescribeAutoScalingGroups in {region}: there is no group {missing:?}"),
        });
    }
    for g in &mut groups {
        let page = client
            .describe_scaling_activities()
            .auto_scaling_group_name(&g.name)
            .max_records(activities.clamp(1, 100))
            .send()
            .await
            .map_err(|e| from_sdk(&format!("DescribeScalingActivities {}", g.name), e))?;
        g.activities = page
            .activities()
            .iter()
            .map(|a| ScalingActivity {
                start_s: a.start_time().map_or(0, |t| t.secs()),
                status: a.status_code().map_or("", |s| s.as_str()).to_string(),
                description: a.description().unwrap_or("").to_string(),
                cause: a.cause().unwrap_or("").to_string(),
            })
            .collect();
    }
    Ok(groups)
}

/// Sets a group's desired capacity (within its limits, or AWS refuses, and so does this).
pub async fn set_desired(client: &Client, group: &str, desired: u32) -> Result<(), Fault> {
    client
        .set_desired_capacity()
        .auto_scaling_group_name(group)
        .desired_capacity(desired.min(i32::MAX as u32) as i32)
        .honor_cooldown(false)
        .send()
        .await
        .map_err(|e| from_sdk(&format!("SetDesiredCapacity {group} to {desired}"), e))?;
    Ok(())
}
