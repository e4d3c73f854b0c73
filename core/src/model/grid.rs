//! Management grids (网格) and their codes.

use super::DivisionCode;
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A grid code: the 12-digit village code, a dash and a 3-digit serial,
/// e.g. `411622101201-007`. Serials run west→east, north→south within the village.
///
/// ```
/// use gridmap_core::GridCode;
/// let code = GridCode::new(&"411622101201".parse().unwrap(), 7);
/// assert_eq!(code.as_str(), "411622101201-007");
/// let parsed: GridCode = "411622101201-007".parse().unwrap();
/// assert_eq!(parsed.serial(), 7);
/// assert_eq!(parsed.village().as_str(), "411622101201");
/// assert!("411622101201-7".parse::<GridCode>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GridCode(String);

/// Why a string is not a grid code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GridCodeError {
    #[error("grid code {code:?} must look like 411622101201-007 (12-digit village code, dash, 3-digit serial)")]
    Malformed { code: String },
}

impl GridCode {
    /// Builds the code of serial `serial` (1..=999) in `village`.
    pub fn new(village: &DivisionCode, serial: u16) -> GridCode {
        GridCode(format!("{}-{:03}", village.as_str(), serial))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The village the grid belongs to.
    pub fn village(&self) -> DivisionCode {
        self.0[..12].parse().expect("validated on construction")
    }

    /// The serial within the village.
    pub fn serial(&self) -> u16 {
        self.0[13..16].parse().expect("validated on construction")
    }
}

impl FromStr for GridCode {
    type Err = GridCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let ok = b.len() == 16
            && b[12] == b'-'
            && b[..12].iter().all(u8::is_ascii_digit)
            && b[13..].iter().all(u8::is_ascii_digit);
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
    /// 1 for ordinary (micro-)grids; nested comprehensive grids use other levels.
    pub level: u8,
    /// The enclosing grid, for nested grids.
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
