//! Errors and flags of the partitioner.

use crate::model::DivisionCode;
use serde::Serialize;
use std::fmt;

/// Result alias of the partitioner.
pub type PartitionResult<T> = Result<T, PartitionError>;

/// Why a village could not be partitioned at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartitionError {
    /// `min ≤ target ≤ max` and `min ≥ 1` must hold.
    #[error("invalid partition sizes: need 1 ≤ min ({min}) ≤ target ({target}) ≤ max ({max})")]
    InvalidParams { min: u32, max: u32, target: u32 },
    /// The village boundary is empty or has non-finite coordinates.
    #[error("village {village}: unusable boundary ({reason})")]
    InvalidVillage {
        village: DivisionCode,
        reason: &'static str,
    },
    /// Nested grids need comprehensive grids that hold several micro-grids.
    #[error("nested levels: the micro-grid maximum ({lower_max}) must not exceed the comprehensive-grid minimum ({upper_min})")]
    InvalidLevels { upper_min: u32, lower_max: u32 },
    /// Grid serials have three digits.
    #[error("village {village}: {grids} grids do not fit in 3-digit serials (max 999)")]
    TooManyGrids { village: DivisionCode, grids: usize },
    /// The Delaunay triangulation of building points failed.
    #[error("village {village}: triangulation of building points failed")]
    Triangulation {
        village: DivisionCode,
        #[source]
        source: spade::InsertionError,
    },
}

/// Something the planner should look at: the partition is usable but not ideal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PartitionFlag {
    /// A connected part of the village has fewer than `min` households and became one
    /// grid below the minimum (it could not be joined to a neighbour).
    Undersized { households: u32 },
    /// A part of the village has a household total that no split into `[min, max]` grids
    /// can reach (e.g. 55 with 30–50): it became `grids` grids above `max` (rule: never go
    /// below `min` when the range is unreachable).
    Oversized { households: u32, grids: u32 },
    /// A building had no usable footprint (empty or non-finite coordinates); it was placed
    /// at the village's representative point.
    InvalidBuilding { building: String },
    /// A grid could not be brought into `[min, max]` by moving buildings.
    OutOfRange { grid: String, households: u32 },
    /// A grid polygon came out in several pieces (clipping by a concave boundary or a
    /// locked grid).
    NonContiguous { grid: String, pieces: usize },
    /// Part of the village is covered by no grid (e.g. all buildings are in locked grids).
    UncoveredArea,
}

impl fmt::Display for PartitionFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionFlag::Undersized { households } => {
                write!(f, "{households} households form one grid below the minimum")
            }
            PartitionFlag::Oversized { households, grids } => write!(
                f,
                "{households} households cannot be split into grids within the range; made {grids} grid(s) above the maximum"
            ),
            PartitionFlag::InvalidBuilding { building } => {
                write!(f, "building {building} has no usable footprint")
            }
            PartitionFlag::OutOfRange { grid, households } => {
                write!(f, "grid {grid} has {households} households, outside the range")
            }
            PartitionFlag::NonContiguous { grid, pieces } => {
                write!(f, "grid {grid} polygon has {pieces} pieces")
            }
            PartitionFlag::UncoveredArea => write!(f, "part of the village is covered by no grid"),
        }
    }
}
