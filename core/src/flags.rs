//! Grid flags: the rule checks a planner sees on every grid, computed in one place for
//! the API, the tiles and the validator.
//!
//! A flag is a cheap per-grid check (no neighbours needed): size out of the county's
//! range, several pieces, a vertex outside the village, no responsible staff member.
//! The validator ([`crate::partition::validate_grids`]) reports the same size and
//! contiguity rules from these flags and adds the checks that need the whole village
//! (overlaps, gaps, households held twice, the exact area outside the village).
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use gridmap_core::flags::GridFlags;
//! use gridmap_core::{AdminLevel, AdminUnit, Grid, GridCode};
//! let square = |x: f64| MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 0.01, y: 0.0), (x: x + 0.01, y: 0.01), (x: x, y: 0.01)]]);
//! let village = AdminUnit { code: "411622101201".parse().unwrap(), name: "李庄村".into(),
//!     level: AdminLevel::Village, source_id: "v/1".into(), boundary: square(0.0) };
//! let grid = Grid { code: GridCode::new(&village.code, 1), level: 1, parent: None,
//!     village: village.code.clone(), members: vec![], households: 12, polygon: square(0.0),
//!     name: None, staff: None, locked: false, institution: false, version: 1 };
//! let flags = GridFlags::of(&grid, Some(&village), 30, 50);
//! assert_eq!(flags.names(), vec!["undersize", "no_staff"]);
//! let moved = Grid { polygon: square(0.02), ..grid };
//! assert!(GridFlags::of(&moved, Some(&village), 30, 50).outside_village);
//! ```

use crate::geometry::metres_per_degree;
use crate::model::{AdminUnit, Grid};
use geo::{BoundingRect, Contains};
use geo_types::MultiPolygon;
use serde::Serialize;

/// The per-grid rule checks. Institution (vertical) grids have no size rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GridFlags {
    /// Fewer households than the county's minimum.
    pub undersize: bool,
    /// More households than the county's maximum.
    pub oversize: bool,
    /// The polygon has pieces that do not touch (see [`crate::geometry::connected_parts`]).
    pub noncontiguous: bool,
    /// A vertex lies more than [`OUTSIDE_TOLERANCE_M`] outside the grid's village.
    pub outside_village: bool,
    /// Nobody is responsible for the grid.
    pub no_staff: bool,
}

/// Metres a grid vertex may lie outside its village before the grid is flagged.
pub const OUTSIDE_TOLERANCE_M: f64 = 1.0;

impl GridFlags {
    /// Checks `grid` against the size range `min..=max` and its `village` (when known).
    pub fn of(grid: &Grid, village: Option<&AdminUnit>, min: u32, max: u32) -> GridFlags {
        GridFlags {
            undersize: !grid.institution && grid.households < min,
            oversize: !grid.institution && grid.households > max,
            noncontiguous: crate::geometry::connected_parts(&grid.polygon) > 1,
            outside_village: village.is_some_and(|v| outside_village(&grid.polygon, &v.boundary)),
            no_staff: grid.staff.is_none(),
        }
    }

    /// The names of the flags that are set, in a fixed order (the `flags` attribute of
    /// the `grids` tile layer and of the API's grid views).
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.undersize, "undersize"),
            (self.oversize, "oversize"),
            (self.noncontiguous, "noncontiguous"),
            (self.outside_village, "outside_village"),
            (self.no_staff, "no_staff"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }
}

/// Whether a vertex of `grid` lies more than [`OUTSIDE_TOLERANCE_M`] outside `village`.
/// Vertex-based (a grid edge cutting across a concave notch of the village with all
/// its vertices inside is not caught); the validator also measures the exact area outside.
fn outside_village(grid: &MultiPolygon<f64>, village: &MultiPolygon<f64>) -> bool {
    let Some(vb) = village.bounding_rect() else {
        return false;
    };
    let (mx, my) = metres_per_degree(vb.center().y);
    let (tx, ty) = (OUTSIDE_TOLERANCE_M / mx, OUTSIDE_TOLERANCE_M / my);
    let vertices = grid.0.iter().flat_map(|p| p.exterior().0.iter());
    for c in vertices {
        let in_box = c.x >= vb.min().x - tx
            && c.x <= vb.max().x + tx
            && c.y >= vb.min().y - ty
            && c.y <= vb.max().y + ty;
        if !in_box {
            return true;
        }
        if village.contains(c) {
            continue;
        }
        // Outside or on the boundary: measure the distance to the boundary in metres.
        let (px, py) = (c.x * mx, c.y * my);
        let near = village
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .any(|l| {
                let (x0, y0, x1, y1) = (l.start.x * mx, l.start.y * my, l.end.x * mx, l.end.y * my);
                let (dx, dy) = (x1 - x0, y1 - y0);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (((px - x0) * dx + (py - y0) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                (px - x0 - t * dx).hypot(py - y0 - t * dy) <= OUTSIDE_TOLERANCE_M
            });
        if !near {
            return true;
        }
    }
    false
}
