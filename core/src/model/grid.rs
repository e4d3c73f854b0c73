//! Management grids (网格) and their codes.

use super::DivisionCode;
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A grid code: the 12-digit village code, a dash and a 3-digit serial,
/// e.g. `411622101201-007`. Serials run west→east, north→south within the village.
/// A micro-grid nested in a comprehensive grid adds a dash and a 2-digit serial within
/// its parent: `411622101201-007-03`.
///
/// ```
/// use gridmap_core::GridCode;
/// let code = GridCode::new(&"411622101201".parse().unwrap(), 7);
/// assert_eq!(code.as_str(), "411622101201-007");
/// let parsed: GridCode = "411622101201-007".parse().unwrap();
/// assert_eq!(parsed.serial(), 7);
/// assert_eq!(parsed.village().as_str(), "411622101201");
/// assert!("411622101201-7".parse::<GridCode>().is_err());
/// assert_eq!(parsed.parent(), None);
///
/// let micro = GridCode::nested(&parsed, 3).unwrap();
/// assert_eq!(micro.as_str(), "411622101201-007-03");
/// assert_eq!(micro.parent(), Some(parsed.clone()));
/// assert_eq!((micro.serial(), micro.village().as_str()), (3, "411622101201"));
/// assert_eq!("411622101201-007-03".parse::<GridCode>().unwrap(), micro);
/// assert!(GridCode::nested(&parsed, 100).is_none());
/// assert!(GridCode::nested(&micro, 1).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GridCode(String);

/// Why a string is not a grid code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GridCodeError {
    #[error("grid code {code:?} must look like 411622101201-007 (12-digit village code, dash, 3-digit serial), or 411622101201-007-03 for a micro-grid (its comprehensive grid's code, dash, 2-digit serial)")]
    Malformed { code: String },
}

impl GridCode {
    /// Builds the code of serial `serial` (1..=999) in `village`.
    pub fn new(village: &DivisionCode, serial: u16) -> GridCode {
        GridCode(format!("{}-{:03}", village.as_str(), serial))
    }

    /// The code of micro-grid `serial` (1..=99) in the comprehensive grid `parent`;
    /// `None` when the serial does not fit or `parent` is itself nested.
    pub fn nested(parent: &GridCode, serial: u16) -> Option<GridCode> {
        (parent.parent().is_none() && (1..=99).contains(&serial))
            .then(|| GridCode(format!("{}-{serial:02}", parent.0)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comprehensive grid a micro-grid code is nested in; `None` for a top-level code.
    pub fn parent(&self) -> Option<GridCode> {
        (self.0.len() > TOP_LEVEL_LEN).then(|| GridCode(self.0[..TOP_LEVEL_LEN].to_owned()))
    }

    /// The village the grid belongs to.
    pub fn village(&self) -> DivisionCode {
        self.0[..12].parse().expect("validated on construction")
    }

    /// The serial within the village, or within the parent grid for a nested code.
    pub fn serial(&self) -> u16 {
        let start = if self.0.len() > TOP_LEVEL_LEN {
            TOP_LEVEL_LEN + 1
        } else {
            13
        };
        self.0[start..].parse().expect("validated on construction")
    }
}

/// Length of a top-level code, `411622101201-007`.
const TOP_LEVEL_LEN: usize = 16;

impl FromStr for GridCode {
    type Err = GridCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let top = |b: &[u8]| {
            b.len() == TOP_LEVEL_LEN && b[12] == b'-' && digits(&b[..12]) && digits(&b[13..])
        };
        let ok = top(b)
            || (b.len() == TOP_LEVEL_LEN + 3
                && top(&b[..TOP_LEVEL_LEN])
                && b[TOP_LEVEL_LEN] == b'-'
                && digits(&b[TOP_LEVEL_LEN + 1..]));
        if ok {
            Ok(GridCode(s.to_owned()))
        } else {
            Err(GridCodeError::Malformed { code: s.to_owned() })
        }
    }
}

impl TryFrom<String> for GridCode {
    type Error = GridCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<GridCode> for String {
    fn from(c: GridCode) -> String {
        c.0
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One building's membership in a grid. A building whose households all belong to the
/// grid has `flats: None`; a high-rise split by entrance/floor lists the flat indices
/// (0-based, in entrance/floor order) this grid holds, so one footprint can belong to
/// several grids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridMember {
    /// `source_id` of the building.
    pub building: String,
    /// Households of the building counted in this grid.
    pub households: u32,
    /// For split high-rises: the half-open flat range `[start, end)` held by this grid.
    pub flats: Option<(u32, u32)>,
}

/// A management grid: a set of buildings (or flats) with a polygon that, together with
/// its sibling grids, tiles the village without gaps or overlaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub code: GridCode,
    /// [`Grid::MICRO`] (1) for the grids that hold households: the only level of a
    /// one-level county, the micro-grids (微网格) of a nested one;
    /// [`Grid::COMPREHENSIVE`] (2) for the comprehensive grids (综治网格) they nest in.
    pub level: u8,
    /// The comprehensive grid a micro-grid nests in (its code is the parent's code plus
    /// a 2-digit serial).
    pub parent: Option<GridCode>,
    pub village: DivisionCode,
    pub members: Vec<GridMember>,
    /// Total households in the grid.
    pub households: u32,
    /// WGS84 polygon.
    pub polygon: MultiPolygon<f64>,
    /// A name planners give the grid (a lane, a compound: "幸福路东段"); the code stays
    /// its identity. Not personal data: it is shown on the map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Responsible staff member's id.
    pub staff: Option<String>,
    /// Locked grids are kept as they are by re-partitioning.
    pub locked: bool,
    /// "Vertical" grid for an institution rather than a residential grid.
    pub institution: bool,
    /// Bumped on every change, for optimistic concurrency.
    pub version: u32,
}

impl Grid {
    /// The level of the grids that hold households (微网格, or the one level).
    pub const MICRO: u8 = 1;
    /// The level of comprehensive grids (综治网格), each the exact union of its
    /// micro-grids.
    pub const COMPREHENSIVE: u8 = 2;

    /// Whether this is a comprehensive grid (a parent of micro-grids).
    pub fn is_comprehensive(&self) -> bool {
        self.level == Grid::COMPREHENSIVE
    }

    /// The buildings this grid holds whole (not some of their flats), by source id: the
    /// ones an edit can move as they are.
    ///
    /// ```
    /// use gridmap_core::{Grid, GridCode, GridMember};
    /// let member = |b: &str, flats| GridMember { building: b.into(), households: 4, flats };
    /// let village = "411622101201".parse().unwrap();
    /// let grid = Grid {
    ///     code: GridCode::new(&village, 1),
    ///     level: 1,
    ///     parent: None,
    ///     village,
    ///     members: vec![member("a", None), member("tower", Some((0, 4))), member("b", None)],
    ///     households: 12,
    ///     polygon: geo_types::MultiPolygon(vec![]),
    ///     name: None,
    ///     staff: None,
    ///     locked: false,
    ///     institution: false,
    ///     version: 1,
    /// };
    /// assert_eq!(grid.whole_buildings().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn whole_buildings(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(|m| m.flats.is_none())
            .map(|m| m.building.as_str())
    }
}
