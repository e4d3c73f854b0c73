//! The change log's types: who wrote what, and the records before and after.

use gridmap_core::geometry::{bbox_array, union_bbox};
use gridmap_core::partition::PartitionParams;
use gridmap_core::{DivisionCode, Grid, GridCode};
use serde::{Deserialize, Serialize};

/// Who makes a change and what it is, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    /// `cli`, `api:staff`, a user id…
    pub actor: String,
    /// What was done, e.g. `partition All`, `lock 411622101201-007`, `undo 12`.
    pub operation: String,
}

impl ChangeMeta {
    pub fn new(actor: impl Into<String>, operation: impl Into<String>) -> ChangeMeta {
        ChangeMeta {
            actor: actor.into(),
            operation: operation.into(),
        }
    }
}

/// One staff member's list of grids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffGrids {
    pub staff: String,
    pub grids: Vec<GridCode>,
}

/// One grid write: what to remove, what to put, and the versions the editor saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridWrite {
    /// Villages whose grids are all removed first (a partition run replaces them).
    pub replace_villages: Vec<DivisionCode>,
    /// Grids removed by code.
    pub remove: Vec<GridCode>,
    /// Grids inserted, or replaced when their code exists, stored exactly as given
    /// (version included).
    pub upsert: Vec<Grid>,
    /// New grid lists of staff members (the roster keeps each member's grids).
    pub staff_grids: Vec<StaffGrids>,
    /// `(grid, version)` the editor saw: a different stored version is a conflict.
    pub expect_versions: Vec<(GridCode, u32)>,
    /// Partition parameters stored with the grids (a partition run, or its undo).
    pub partition_params: Option<PartitionParams>,
}

/// The records a change touched, as they were before or after it. Enough to undo a grid
/// write: the grids and staff lists before it, and the codes it left behind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecords {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grids: Vec<Grid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff_grids: Vec<StaffGrids>,
    /// The stored partition parameters, when the change set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_params: Option<PartitionParams>,
    /// `(building, village)` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub building_villages: Vec<(String, Option<DivisionCode>)>,
    /// Anything else worth keeping (an import summary, settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<serde_json::Value>,
}

impl ChangeRecords {
    /// What an import leaves in the log: its counts (its rows stay in their tables).
    pub fn of_import(summary: &crate::ImportSummary) -> ChangeRecords {
        ChangeRecords {
            other: serde_json::to_value(summary).ok(),
            ..ChangeRecords::default()
        }
    }

    /// The area of the grids in `self` (before) and `after`: what a grid write touched.
    pub fn grids_bbox(&self, after: &ChangeRecords) -> Option<[f64; 4]> {
        union_bbox(
            self.grids
                .iter()
                .chain(&after.grids)
                .filter_map(|g| bbox_array(&g.polygon)),
        )
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub operation: String,
    /// `[min_lon, min_lat, max_lon, max_lat]` of everything before and after; `None`
    /// when unknown (purge everything).
    pub bbox: Option<[f64; 4]>,
    pub before: ChangeRecords,
    pub after: ChangeRecords,
}

/// A change's id and area, for tile purges and reloads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeMark {
    pub id: i64,
    pub bbox: Option<[f64; 4]>,
}

/// A change without its records, for history lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeSummary {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub operation: String,
    pub bbox: Option<[f64; 4]>,
}
