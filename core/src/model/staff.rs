//! Grid staff and leaders.

use super::GridCode;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "level")]
pub enum StaffRole {
    /// 网格员: responsible for one or more grids.
    GridStaff,
    /// 网格长 at a hierarchy level (1 = county … 3 = village).
    GridLeader(u8),
}

impl StaffRole {
    /// `grid_staff`, or `grid_leader_<level>`.
    pub fn as_string(self) -> String {
        match self {
            StaffRole::GridStaff => "grid_staff".into(),
            StaffRole::GridLeader(l) => format!("grid_leader_{l}"),
        }
    }
}

impl FromStr for StaffRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "grid_staff" || s == "网格员" {
            return Ok(StaffRole::GridStaff);
        }
        if let Some(level) = s.strip_prefix("grid_leader_") {
            if let Ok(l) = level.parse::<u8>() {
                return Ok(StaffRole::GridLeader(l));
            }
        }
        Err(format!(
            "unknown staff role {s:?} (grid_staff, grid_leader_1 … grid_leader_3)"
        ))
    }
}

/// A staff member. Name and phone are shown to staff users and on contact cards; the
/// name (not the phone) may appear in tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: StaffRole,
    /// The village (or township, for leaders) whose grids this person may be assigned to.
    /// Partitioning assigns unassigned staff of a village to its new grids.
    #[serde(default)]
    pub area: Option<super::DivisionCode>,
    /// Grids this person serves.
    pub grids: Vec<GridCode>,
    /// Where this person lives (WGS84), from the roster's `lon`/`lat` or the building
    /// its address names: `gridmap staff assign` proposes the grids nearest to it.
    /// Personal data: never shown in tiles, views or logs.
    #[serde(default)]
    pub home: Option<geo_types::Point<f64>>,
}
