//! Incidents reported by staff and residents.

use super::GridCode;
use geo_types::Point;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where an incident is in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Reported,
    WorkOrder,
    Dispatched,
    InProgress,
    Feedback,
    Closed,
    Evaluated,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::WorkOrder => "work_order",
            Self::Dispatched => "dispatched",
            Self::InProgress => "in_progress",
            Self::Feedback => "feedback",
            Self::Closed => "closed",
            Self::Evaluated => "evaluated",
        }
    }
}

impl FromStr for IncidentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "reported" => Self::Reported,
            "work_order" => Self::WorkOrder,
            "dispatched" => Self::Dispatched,
            "in_progress" => Self::InProgress,
            "feedback" => Self::Feedback,
            "closed" => Self::Closed,
            "evaluated" => Self::Evaluated,
            other => return Err(format!("unknown incident status {other:?}")),
        })
    }
}

/// An incident with its place and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// Seconds since the Unix epoch, UTC.
    pub time: i64,
    pub category: String,
    pub subcategory: Option<String>,
    pub status: IncidentStatus,
    /// WGS84 position.
    pub location: Point<f64>,
    pub grid: Option<GridCode>,
    pub reporter: Option<String>,
    pub description: Option<String>,
}
