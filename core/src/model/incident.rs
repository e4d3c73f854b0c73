//! Incidents reported by staff and residents, and where each one is in the closed loop
//! (the loop's rules are in [`crate::incident`]).

use super::{DivisionCode, GridCode};
use geo_types::Point;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an incident is in the closed loop: reported → work order → dispatched → in
/// progress → feedback → closed → evaluated, or suspended / voided on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Reported,
    WorkOrder,
    Dispatched,
    InProgress,
    Feedback,
    Closed,
    Evaluated,
    /// Paused (waiting for a third party); resuming returns to the status before.
    Suspended,
    /// Withdrawn: a duplicate, a false report, not ours to handle.
    Voided,
}

impl IncidentStatus {
    /// Every status, in loop order.
    pub const ALL: [IncidentStatus; 9] = [
        Self::Reported,
        Self::WorkOrder,
        Self::Dispatched,
        Self::InProgress,
        Self::Feedback,
        Self::Closed,
        Self::Evaluated,
        Self::Suspended,
        Self::Voided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::WorkOrder => "work_order",
            Self::Dispatched => "dispatched",
            Self::InProgress => "in_progress",
            Self::Feedback => "feedback",
            Self::Closed => "closed",
            Self::Evaluated => "evaluated",
            Self::Suspended => "suspended",
            Self::Voided => "voided",
        }
    }

    /// Whether the incident still needs work (not closed, evaluated or voided).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Evaluated | Self::Voided)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        IncidentStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = IncidentStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown incident status {s:?} (one of {})",
                    known.join(", ")
                )
            })
    }
}

/// Who a work order is dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    /// A handling department (e.g. 城管局), by name.
    Department(String),
    /// A staff member, by roster id.
    Staff(String),
}

impl Assignee {
    /// `department:NAME` or `staff:ID`: how the store keeps it and filters by it.
    pub fn key(&self) -> String {
        match self {
            Assignee::Department(d) => format!("department:{d}"),
            Assignee::Staff(s) => format!("staff:{s}"),
        }
    }

    /// The inverse of [`Assignee::key`].
    pub fn from_key(key: &str) -> Option<Assignee> {
        if let Some(d) = key.strip_prefix("department:") {
            Some(Assignee::Department(d.to_owned()))
        } else {
            key.strip_prefix("staff:")
                .map(|s| Assignee::Staff(s.to_owned()))
        }
    }
}

/// The stage of the loop a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// From report to dispatch.
    Dispatch,
    /// From dispatch to feedback.
    Handle,
    /// From feedback to verified and closed.
    Verify,
}

/// The clock of the current stage: when it is due, in how many working seconds it was
/// allowed, and (while suspended) how many working seconds were left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageClock {
    pub stage: Stage,
    /// Unix seconds the stage began.
    pub started: i64,
    /// Unix seconds the stage is due.
    pub due: i64,
    /// The working seconds the stage is allowed in total.
    pub allowed_s: i64,
    /// Working seconds left when suspended; the due time moves on resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_left_s: Option<i64>,
}

/// How a dispute (矛盾纠纷) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediationOutcome {
    /// The parties agreed (调解成功).
    Agreement,
    /// Agreed in part.
    Partial,
    /// No agreement (调解不成).
    Failed,
    /// Referred to another channel (court, arbitration, petitions).
    Referred,
}

/// Mediation of a dispute: who mediates, which experts help, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mediation {
    pub mediator: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experts: Vec<String>,
    pub outcome: Option<MediationOutcome>,
}

/// Everything the loop adds to an incident after it is reported. Empty fields are left
/// out of its JSON (a new incident's is a few bytes; stores keep one per incident).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentWork {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Assignee>,
    /// The deadline of the stage the incident is in, when its type has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<StageClock>,
    /// The status before suspension (where resuming returns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_from: Option<IncidentStatus>,
    /// Escalation level reached (0: none; 1 the next level up, …).
    #[serde(skip_serializing_if = "is_zero")]
    pub escalation: u8,
    /// Times supervised (督办).
    #[serde(skip_serializing_if = "is_zero")]
    pub supervisions: u32,
    /// Stages finished after their deadline.
    #[serde(skip_serializing_if = "is_zero")]
    pub late_stages: u32,
    /// Unix seconds of verification and closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
    /// Satisfaction 1–5 given at evaluation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Disputes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediation: Option<Mediation>,
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// An incident with its place, time and state in the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// Seconds since the Unix epoch, UTC: when it was reported.
    pub time: i64,
    /// The taxonomy group (or a free category name from an old import).
    pub category: String,
    /// The taxonomy type within the group.
    pub subcategory: Option<String>,
    pub status: IncidentStatus,
    /// WGS84 position.
    pub location: Point<f64>,
    pub grid: Option<GridCode>,
    /// Personal data: the reporter's name.
    pub reporter: Option<String>,
    pub description: Option<String>,
    /// Personal data: the reporter's phone.
    #[serde(default)]
    pub reporter_phone: Option<String>,
    /// Intake channel: `patrol`, `hotline`, `open311`, `import`, `api`…
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub village: Option<DivisionCode>,
    #[serde(default)]
    pub township: Option<DivisionCode>,
    #[serde(default)]
    pub work: IncidentWork,
    /// Bumped by every transition (optimistic concurrency).
    #[serde(default = "first_version")]
    pub version: u32,
    /// Unix seconds of the last transition (the report time before any).
    #[serde(default)]
    pub updated: i64,
}

fn first_version() -> u32 {
    1
}

impl Incident {
    /// A newly reported incident with nothing but its id, time, category and place.
    ///
    /// ```
    /// use gridmap_core::{Incident, IncidentStatus};
    /// let i = Incident::new("E1", 1_700_000_000, "环境卫生", geo_types::Point::new(114.6, 33.8));
    /// assert_eq!(i.status, IncidentStatus::Reported);
    /// assert_eq!(i.version, 1);
    /// ```
    pub fn new(
        id: impl Into<String>,
        time: i64,
        category: impl Into<String>,
        location: Point<f64>,
    ) -> Incident {
        Incident {
            id: id.into(),
            time,
            category: category.into(),
            subcategory: None,
            status: IncidentStatus::Reported,
            location,
            grid: None,
            reporter: None,
            description: None,
            reporter_phone: None,
            source: None,
            address: None,
            village: None,
            township: None,
            work: IncidentWork::default(),
            version: 1,
            updated: time,
        }
    }

    /// Whether the current stage is past its deadline at `now` (never while suspended).
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status.is_open()
            && self
                .work
                .clock
                .is_some_and(|c| c.paused_left_s.is_none() && now > c.due)
    }

    /// Closed without any stage finished late (`None` while open or when voided).
    pub fn closed_on_time(&self) -> Option<bool> {
        self.work.closed_at.map(|_| self.work.late_stages == 0)
    }

    /// `[lon, lat, lon, lat]`: the area a change to this incident touches.
    pub fn bbox(&self) -> [f64; 4] {
        let (x, y) = (self.location.x(), self.location.y());
        [x, y, x, y]
    }
}
