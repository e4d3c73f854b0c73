//! The closed loop as a pure state machine: which action is allowed in which status,
//! what it changes, and the stage clocks (deadlines in working hours).

use super::calendar::WorkCalendar;
use super::taxonomy::Taxonomy;
use crate::model::{
    Assignee, Incident, IncidentStatus, Mediation, MediationOutcome, Stage, StageClock,
};
use serde::{Deserialize, Serialize};

/// Share of a stage's allowed time after which it shows a yellow warning.
pub const WARNING_SHARE: f64 = 0.7;

/// Highest escalation level (township, county, city).
pub const MAX_ESCALATION: u8 = 3;

/// What someone does to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentAction {
    /// The report itself (the first entry of every timeline; not a move).
    Report,
    /// Registers the report as a work order (立案).
    CreateWorkOrder,
    /// Sends the work order to a department or a staff member (派遣).
    Dispatch { assignee: Assignee },
    /// The assignee starts handling it (处置).
    Accept,
    /// The assignee reports the result (反馈).
    Feedback,
    /// The result is verified and the order closed (核查结案).
    Verify,
    /// The reporter rates the handling 1–5 (评价).
    Evaluate {
        rating: u8,
        #[serde(default)]
        comment: Option<String>,
    },
    /// Back one step: a dispatched order back to the dispatcher, or a feedback back to
    /// the handler (退回).
    SendBack,
    /// Stops the clock (挂起).
    Suspend,
    /// Starts the clock again where it stopped.
    Resume,
    /// Withdraws the incident (作废).
    Void,
    /// Raises it to the next level (升级).
    Escalate,
    /// Supervision by a superior (督办).
    Supervise,
    /// Disputes: names the mediator and experts (指派调解员/专家).
    AssignMediator {
        mediator: String,
        #[serde(default)]
        experts: Vec<String>,
    },
    /// Disputes: how the mediation ended.
    MediationOutcome { outcome: MediationOutcome },
}

impl IncidentAction {
    /// The action's name as the API spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::CreateWorkOrder => "create_work_order",
            Self::Dispatch { .. } => "dispatch",
            Self::Accept => "accept",
            Self::Feedback => "feedback",
            Self::Verify => "verify",
            Self::Evaluate { .. } => "evaluate",
            Self::SendBack => "send_back",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Void => "void",
            Self::Escalate => "escalate",
            Self::Supervise => "supervise",
            Self::AssignMediator { .. } => "assign_mediator",
            Self::MediationOutcome { .. } => "mediation_outcome",
        }
    }
}

/// One step of an incident's timeline, as the store keeps it (append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentTransition {
    pub incident: String,
    /// 0 for the report, then 1, 2, … (the incident's version after it, minus one).
    pub seq: u32,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub action: IncidentAction,
    pub from: IncidentStatus,
    pub to: IncidentStatus,
    pub note: Option<String>,
    /// References to photos (`api/photos/{id}` for one the server stores, or a URL of the
    /// system the report came from), in the order taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
}

/// Who does an action, when, and what they add.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionInput {
    pub action: IncidentAction,
    pub actor: String,
    pub at: i64,
    pub note: Option<String>,
    pub photos: Vec<String>,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    #[error("cannot {action} incident {id}: it is {status}; allowed now: {allowed}")]
    Illegal {
        id: String,
        action: &'static str,
        status: IncidentStatus,
        allowed: String,
    },
    #[error("a rating is 1 to 5, not {0}")]
    Rating(u8),
    #[error("incident {id} ({category}) is not a dispute: mediators and outcomes are for disputes (矛盾纠纷) only")]
    NotADispute { id: String, category: String },
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// The rules an action is judged by: the taxonomy (deadlines, which types are disputes)
/// and the working calendar.
#[derive(Debug, Clone, Copy)]
pub struct LoopRules<'a> {
    pub taxonomy: &'a Taxonomy,
    pub calendar: &'a WorkCalendar,
}

/// Whether `incident` belongs to a dispute group.
pub fn is_dispute(incident: &Incident, taxonomy: &Taxonomy) -> bool {
    taxonomy
        .type_of(&incident.category, incident.subcategory.as_deref())
        .is_some_and(|t| t.group.dispute)
}

/// The actions allowed for `incident` now, by name, in loop order.
pub fn allowed_actions(incident: &Incident, taxonomy: &Taxonomy) -> Vec<&'static str> {
    use IncidentStatus as S;
    let dispute = is_dispute(incident, taxonomy);
    let mut out: Vec<&'static str> = match incident.status {
        S::Reported => vec!["create_work_order", "void"],
        S::WorkOrder => vec!["dispatch", "suspend", "void"],
        S::Dispatched => vec!["accept", "send_back", "suspend", "void"],
        S::InProgress => vec!["feedback", "suspend", "void"],
        S::Feedback => vec!["verify", "send_back"],
        S::Closed => vec!["evaluate"],
        S::Suspended => vec!["resume", "void"],
        S::Evaluated | S::Voided => vec![],
    };
    if matches!(
        incident.status,
        S::Reported | S::WorkOrder | S::Dispatched | S::InProgress | S::Feedback
    ) {
        if incident.work.escalation < MAX_ESCALATION {
            out.push("escalate");
        }
        out.push("supervise");
        if dispute {
            out.push("assign_mediator");
            if matches!(incident.status, S::InProgress | S::Feedback) {
                out.push("mediation_outcome");
            }
        }
    }
    out
}

/// Starts the dispatch clock of a newly reported incident (when its type is known).
pub fn start_clock(incident: &mut Incident, rules: LoopRules<'_>) {
    incident.work.clock = stage_clock(incident, Stage::Dispatch, incident.time, rules);
}

fn stage_clock(
    incident: &Incident,
    stage: Stage,
    at: i64,
    rules: LoopRules<'_>,
) -> Option<StageClock> {
    let ty = rules
        .taxonomy
        .type_of(&incident.category, incident.subcategory.as_deref())?;
    let allowed_s = (ty.deadlines.hours(stage) * 3600.0).round() as i64;
    Some(StageClock {
        stage,
        started: at,
        due: rules.calendar.add_working(at, allowed_s),
        allowed_s,
        paused_left_s: None,
    })
}

/// Ends the current stage at `at` (counting it late when past due) and starts `next`.
fn next_stage(incident: &mut Incident, next: Option<Stage>, at: i64, rules: LoopRules<'_>) {
    if let Some(clock) = incident.work.clock.take() {
        if clock.paused_left_s.is_none() && at > clock.due {
            incident.work.late_stages += 1;
        }
    }
    incident.work.clock = next.and_then(|s| stage_clock(incident, s, at, rules));
}

/// Applies `input` to `incident`: the incident after it and the timeline entry, or why
/// it is refused (nothing changes then).
pub fn apply(
    incident: &Incident,
    input: TransitionInput,
    rules: LoopRules<'_>,
) -> Result<(Incident, IncidentTransition), TransitionError> {
    use IncidentAction as A;
    use IncidentStatus as S;
    let name = input.action.name();
    if !allowed_actions(incident, rules.taxonomy).contains(&name) {
        let allowed = allowed_actions(incident, rules.taxonomy);
        return Err(TransitionError::Illegal {
            id: incident.id.clone(),
            action: name,
            status: incident.status,
            allowed: if allowed.is_empty() {
                "nothing (the loop has ended)".to_owned()
            } else {
                allowed.join(", ")
            },
        });
    }
    let at = input.at;
    let mut next = incident.clone();
    let work = &mut next.work;
    match &input.action {
        A::Report => {}
        A::CreateWorkOrder => next.status = S::WorkOrder,
        A::Dispatch { assignee } => {
            let id = match assignee {
                Assignee::Department(d) | Assignee::Staff(d) => d,
            };
            if id.trim().is_empty() {
                return Err(TransitionError::Empty("the assignee"));
            }
            work.assignee = Some(assignee.clone());
            next.status = S::Dispatched;
            next_stage(&mut next, Some(Stage::Handle), at, rules);
        }
        A::Accept => next.status = S::InProgress,
        A::Feedback => {
            next.status = S::Feedback;
            next_stage(&mut next, Some(Stage::Verify), at, rules);
        }
        A::Verify => {
            next.status = S::Closed;
            next_stage(&mut next, None, at, rules);
            next.work.closed_at = Some(at);
        }
        A::Evaluate { rating, comment } => {
            if !(1..=5).contains(rating) {
                return Err(TransitionError::Rating(*rating));
            }
            work.rating = Some(*rating);
            work.comment = comment.clone();
            next.status = S::Evaluated;
        }
        A::SendBack => {
            if incident.status == S::Dispatched {
                next.status = S::WorkOrder;
                next.work.assignee = None;
                next_stage(&mut next, Some(Stage::Dispatch), at, rules);
            } else {
                next.status = S::InProgress;
                next_stage(&mut next, Some(Stage::Handle), at, rules);
            }
        }
        A::Suspend => {
            work.suspended_from = Some(incident.status);
            if let Some(c) = work.clock.as_mut() {
                let left = rules.calendar.working_between(at, c.due)
                    - rules.calendar.working_between(c.due, at);
                c.paused_left_s = Some(left);
            }
            next.status = S::Suspended;
        }
        A::Resume => {
            next.status = work.suspended_from.take().unwrap_or(S::WorkOrder);
            if let Some(c) = work.clock.as_mut() {
                let left = c.paused_left_s.take().unwrap_or(0);
                // An order suspended when overdue stays overdue by as much.
                c.due = if left > 0 {
                    rules.calendar.add_working(at, left)
                } else {
                    at + left
                };
            }
        }
        A::Void => {
            next.status = S::Voided;
            next.work.clock = None;
        }
        A::Escalate => work.escalation = (work.escalation + 1).min(MAX_ESCALATION),
        A::Supervise => work.supervisions += 1,
        A::AssignMediator { mediator, experts } => {
            dispute_only(incident, rules)?;
            if mediator.trim().is_empty() {
                return Err(TransitionError::Empty("the mediator"));
            }
            let m = work.mediation.get_or_insert_with(Mediation::default);
            m.mediator = Some(mediator.clone());
            for e in experts {
                if !m.experts.contains(e) {
                    m.experts.push(e.clone());
                }
            }
        }
        A::MediationOutcome { outcome } => {
            dispute_only(incident, rules)?;
            work.mediation
                .get_or_insert_with(Mediation::default)
                .outcome = Some(*outcome);
        }
    }
    next.version = incident.version + 1;
    next.updated = at;
    let transition = IncidentTransition {
        incident: incident.id.clone(),
        seq: incident.version,
        at,
        actor: input.actor,
        action: input.action,
        from: incident.status,
        to: next.status,
        note: input.note,
        photos: input.photos,
    };
    Ok((next, transition))
}

fn dispute_only(incident: &Incident, rules: LoopRules<'_>) -> Result<(), TransitionError> {
    if is_dispute(incident, rules.taxonomy) {
        Ok(())
    } else {
        Err(TransitionError::NotADispute {
            id: incident.id.clone(),
            category: incident.category.clone(),
        })
    }
}

/// The first entry of an incident's timeline: its report.
pub fn report_transition(incident: &Incident, actor: &str) -> IncidentTransition {
    IncidentTransition {
        incident: incident.id.clone(),
        seq: 0,
        at: incident.time,
        actor: actor.to_owned(),
        action: IncidentAction::Report,
        from: IncidentStatus::Reported,
        to: incident.status,
        note: None,
        photos: Vec::new(),
    }
}

/// How the current stage stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineLevel {
    /// Within 70% of the allowed working time (or the clock is stopped).
    Normal,
    /// Yellow warning: 70% of the allowed working time used.
    Warning,
    /// Red card: past the deadline.
    Overdue,
}

/// The deadline level of `incident` at `now`; `None` when no clock runs (closed,
/// voided, or a type without deadlines).
pub fn deadline_level(incident: &Incident, now: i64, cal: &WorkCalendar) -> Option<DeadlineLevel> {
    if !incident.status.is_open() {
        return None;
    }
    let c = incident.work.clock?;
    if c.paused_left_s.is_some() {
        return Some(DeadlineLevel::Normal);
    }
    if now > c.due {
        return Some(DeadlineLevel::Overdue);
    }
    let used = c.allowed_s - cal.working_between(now, c.due);
    Some(if used as f64 >= WARNING_SHARE * c.allowed_s as f64 {
        DeadlineLevel::Warning
    } else {
        DeadlineLevel::Normal
    })
}

/// Whether an overdue incident should go one level up at `now`: level 1 as soon as it
/// is overdue, one more level every `step_s` seconds after that, up to
/// [`MAX_ESCALATION`].
pub fn escalation_due(incident: &Incident, now: i64, step_s: i64) -> bool {
    let Some(c) = incident.work.clock else {
        return false;
    };
    if !incident.is_overdue(now) {
        return false;
    }
    let target = 1 + (now - c.due) / step_s.max(1);
    let target = u8::try_from(target.min(i64::from(MAX_ESCALATION))).unwrap_or(MAX_ESCALATION);
    incident.work.escalation < target
}
