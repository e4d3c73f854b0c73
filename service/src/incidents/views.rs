//! Incidents as callers see them: public fields for everyone, the reporter's name and
//! phone, notes and actors only for staff.

use crate::Caller;
use gridmap_core::incident::{allowed_actions, deadline_level, IncidentTransition};
use gridmap_core::time::format_utc;
use gridmap_core::Incident;
use serde::Serialize;
use utoipa::ToSchema;

use super::IncidentConfig;

/// The current stage's deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineView {
    /// `dispatch`, `handle` or `verify`.
    pub stage: String,
    /// Unix seconds.
    pub due: i64,
    /// `normal`, `warning` (70% of the working time used) or `overdue`.
    pub level: String,
    /// Whether the clock is stopped (suspended).
    pub paused: bool,
}

/// One incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    /// Unix seconds of the report.
    pub time: i64,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub reported_at: String,
    pub category: String,
    pub category_name: Option<String>,
    pub subcategory: Option<String>,
    pub subcategory_name: Option<String>,
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub grid: Option<String>,
    pub village: Option<String>,
    pub township: Option<String>,
    /// The handling department of its type.
    pub department: Option<String>,
    /// `department:NAME` or `staff:ID` once dispatched.
    pub assignee: Option<String>,
    pub deadline: Option<DeadlineView>,
    pub escalation: u8,
    pub supervisions: u32,
    pub closed_at: Option<i64>,
    pub closed_on_time: Option<bool>,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    /// Send it back with a transition to detect concurrent changes.
    pub version: u32,
    pub updated: i64,
    /// Staff only: the reporter's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// Staff only: the reporter's phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter_phone: Option<String>,
    /// Staff only (disputes): mediator, experts, outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub mediation: Option<serde_json::Value>,
    /// Staff only: the actions allowed now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// True when this answers a report sent again (the same `client_id`, from a phone's
    /// queue after a lost answer): the stored incident, nothing new written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
}

/// One step of the timeline; `actor` and `note` only for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionView {
    pub seq: u32,
    pub at: i64,
    pub action: String,
    pub from: String,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Staff only: the step's photos (`api/photos/{id}`, read by office roles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
    /// Staff only: the action's fields (assignee, rating, mediator…).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// An incident with its timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentDetail {
    pub incident: IncidentView,
    pub timeline: Vec<TransitionView>,
}

/// One page of incidents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentList {
    pub total: u64,
    pub offset: u64,
    pub items: Vec<IncidentView>,
}

pub(super) fn incident_view(
    i: &Incident,
    caller: &Caller,
    config: &IncidentConfig,
    now: i64,
) -> IncidentView {
    let staff = caller.sees_personal_data_at(i.village.as_ref(), i.grid.as_slice());
    let tax = &config.taxonomy;
    let ty = tax.type_of(&i.category, i.subcategory.as_deref());
    let deadline = i.work.clock.and_then(|c| {
        let level = deadline_level(i, now, &config.calendar)?;
        Some(DeadlineView {
            stage: serde_json::to_value(c.stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            due: c.due,
            level: serde_json::to_value(level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            paused: c.paused_left_s.is_some(),
        })
    });
    IncidentView {
        id: i.id.clone(),
        time: i.time,
        reported_at: format_utc(i.time),
        category: i.category.clone(),
        category_name: tax.group(&i.category).map(|g| g.zh.clone()),
        subcategory: i.subcategory.clone(),
        subcategory_name: i
            .subcategory
            .as_deref()
            .and_then(|s| tax.resolve(s))
            .map(|t| t.zh.to_owned()),
        status: i.status.as_str().to_owned(),
        lon: i.location.x(),
        lat: i.location.y(),
        address: i.address.clone(),
        description: i.description.clone(),
        source: i.source.clone(),
        grid: i.grid.as_ref().map(|g| g.as_str().to_owned()),
        village: i.village.as_ref().map(|c| c.as_str().to_owned()),
        township: i.township.as_ref().map(|c| c.as_str().to_owned()),
        department: ty.map(|t| t.department.to_owned()),
        assignee: i.work.assignee.as_ref().map(|a| a.key()),
        deadline,
        escalation: i.work.escalation,
        supervisions: i.work.supervisions,
        closed_at: i.work.closed_at,
        closed_on_time: i.closed_on_time(),
        rating: i.work.rating,
        comment: i.work.comment.clone(),
        version: i.version,
        updated: i.updated,
        reporter: i.reporter.clone().filter(|_| staff),
        reporter_phone: i.reporter_phone.clone().filter(|_| staff),
        mediation: i
            .work
            .mediation
            .as_ref()
            .filter(|_| staff)
            .and_then(|m| serde_json::to_value(m).ok()),
        allowed: if staff {
            allowed_actions(i, tax)
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        },
        repeated: false,
    }
}

/// One timeline entry; who did it and their notes only when `staff` (the caller may see
/// the incident's personal data).
pub(super) fn transition_view(t: &IncidentTransition, staff: bool) -> TransitionView {
    TransitionView {
        seq: t.seq,
        at: t.at,
        action: t.action.name().to_owned(),
        from: t.from.as_str().to_owned(),
        to: t.to.as_str().to_owned(),
        actor: Some(t.actor.clone()).filter(|_| staff),
        note: t.note.clone().filter(|_| staff),
        photos: if staff { t.photos.clone() } else { Vec::new() },
        detail: if staff {
            serde_json::to_value(&t.action).ok()
        } else {
            None
        },
    }
}
