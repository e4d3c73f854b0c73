//! Accounts, roles and scopes: who may see and do what, delegated level by level
//! (逐级赋能授权). A township office sees its villages, a grid staff member her grids.
//!
//! The rules live here, pure; the service layer asks them on every call.

use super::{DivisionCode, GridCode};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an account may do, whatever its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything inside the scope, including accounts and the audit log.
    Admin,
    /// Redraws grids, runs partitions and handles incidents inside the scope; sees the
    /// register there.
    Planner,
    /// Grid staff (网格员): sees the register of her scope and works its incidents.
    Staff,
    /// Reads maps, grids and incident counts; never personal data.
    Viewer,
    /// A command-centre wall display: incident heatmap and counts, read-only, no
    /// personal data.
    Wall,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Planner,
        Role::Staff,
        Role::Viewer,
        Role::Wall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
            Role::Wall => "wall",
        }
    }

    /// Whether this role may read household heads, phones, members and tags (inside
    /// its scope).
    pub fn reads_personal_data(self) -> bool {
        matches!(self, Role::Admin | Role::Planner | Role::Staff)
    }

    /// Whether this role may change grids (edits, partition runs, plan versions).
    pub fn edits_grids(self) -> bool {
        matches!(self, Role::Admin | Role::Planner)
    }

    /// Whether this role may report and move incidents along their loop.
    pub fn works_incidents(self) -> bool {
        matches!(self, Role::Admin | Role::Planner | Role::Staff)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a role or a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessParseError {
    #[error("unknown role {0:?}: use admin, planner, staff, viewer or wall")]
    Role(String),
    #[error(
        "scope {0:?} is not valid: use `all`, an administrative code prefix (province 2 digits, city 4, county 6, township 9, village 12), or `grids:CODE,CODE` with grid codes like 411622101201-001"
    )]
    Scope(String),
}

impl FromStr for Role {
    type Err = AccessParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| AccessParseError::Role(s.to_owned()))
    }
}

/// The part of the data an account may see and change.
///
/// ```
/// use gridmap_core::{AccessScope, DivisionCode, GridCode};
/// let township: AccessScope = "411622101".parse().unwrap();
/// let village: DivisionCode = "411622101201".parse().unwrap();
/// let elsewhere: DivisionCode = "411622102201".parse().unwrap();
/// assert!(township.covers_village(&village));
/// assert!(!township.covers_village(&elsewhere));
///
/// let mine: AccessScope = "grids:411622101201-003".parse().unwrap();
/// let grid: GridCode = "411622101201-003".parse().unwrap();
/// assert!(mine.covers_grid(&grid));
/// assert!(!mine.covers_village(&village)); // one grid is not the whole village
/// assert_eq!(mine.to_string(), "grids:411622101201-003");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessScope {
    /// Everything in the store (a province or city installation's administrators).
    All,
    /// The units whose codes start with these digits: 2 (province), 4 (city),
    /// 6 (county), 9 (township) or 12 (village).
    Area(String),
    /// These grids only (a grid staff member's), sorted and without repeats.
    Grids(Vec<GridCode>),
}

impl AccessScope {
    /// Whether the whole village `village` lies inside the scope.
    pub fn covers_village(&self, village: &DivisionCode) -> bool {
        match self {
            AccessScope::All => true,
            AccessScope::Area(prefix) => village.as_str().starts_with(prefix.as_str()),
            AccessScope::Grids(_) => false,
        }
    }

    /// Whether grid `grid` lies inside the scope.
    pub fn covers_grid(&self, grid: &GridCode) -> bool {
        match self {
            // A comprehensive grid in scope covers its micro-grids.
            AccessScope::Grids(grids) => {
                grids.binary_search(grid).is_ok()
                    || grid
                        .parent()
                        .is_some_and(|p| grids.binary_search(&p).is_ok())
            }
            _ => self.covers_village(&grid.village()),
        }
    }

    /// Whether something in `village`, belonging to `grids` (its grids, possibly none),
    /// lies inside the scope: the whole village is covered, or one of the grids is.
    pub fn covers_place(&self, village: Option<&DivisionCode>, grids: &[GridCode]) -> bool {
        *self == AccessScope::All
            || village.is_some_and(|v| self.covers_village(v))
            || grids.iter().any(|g| self.covers_grid(g))
    }

    /// Whether any part of `village` lies inside the scope (the whole village, or one of
    /// the scope's grids in it): what decides whether a village may be asked about.
    pub fn touches_village(&self, village: &DivisionCode) -> bool {
        match self {
            AccessScope::Grids(grids) => grids.iter().any(|g| &g.village() == village),
            _ => self.covers_village(village),
        }
    }

    /// [`AccessScope::covers_place`] for a place known by its codes as text (an
    /// incident as the store or a server's memory holds it): `village` a 12-digit code,
    /// `grid` a grid code of it.
    ///
    /// ```
    /// use gridmap_core::AccessScope;
    /// let township: AccessScope = "411622101".parse().unwrap();
    /// assert!(township.covers_codes(Some("411622101201"), None));
    /// assert!(!township.covers_codes(Some("411622102201"), None));
    /// let mine: AccessScope = "grids:411622101201-001".parse().unwrap();
    /// assert!(mine.covers_codes(Some("411622101201"), Some("411622101201-001")));
    /// assert!(!mine.covers_codes(Some("411622101201"), Some("411622101201-002")));
    /// // A comprehensive grid covers its micro-grids.
    /// assert!(mine.covers_codes(None, Some("411622101201-001-04")));
    /// assert!(!mine.covers_codes(None, Some("411622101201-002-04")));
    /// ```
    pub fn covers_codes(&self, village: Option<&str>, grid: Option<&str>) -> bool {
        match self {
            AccessScope::All => true,
            AccessScope::Area(prefix) => {
                let village = village.or_else(|| grid.and_then(|g| g.split('-').next()));
                village.is_some_and(|v| v.starts_with(prefix.as_str()))
            }
            // As `covers_grid`, on text: the grid itself, or a micro-grid's parent (the
            // code's first 16 characters).
            AccessScope::Grids(grids) => grid.is_some_and(|g| {
                let listed = |code: &str| {
                    grids
                        .binary_search_by(|mine| mine.as_str().cmp(code))
                        .is_ok()
                };
                listed(g) || g.get(..16).is_some_and(|p| p.len() < g.len() && listed(p))
            }),
        }
    }

    /// Whether any part of the unit `unit` (a county, township or village) lies inside
    /// the scope: what decides whether an area's figures may be asked for.
    pub fn touches_unit(&self, unit: &DivisionCode) -> bool {
        match self {
            AccessScope::All => true,
            AccessScope::Area(prefix) => {
                let own = unit.prefix();
                own.starts_with(prefix.as_str()) || prefix.starts_with(own)
            }
            AccessScope::Grids(grids) => grids
                .iter()
                .any(|g| g.village().as_str().starts_with(unit.prefix())),
        }
    }

    /// The unit a scope of one township or one village is about (its wall's default
    /// area); `None` for wider scopes and lists of grids.
    pub fn home_unit(&self) -> Option<DivisionCode> {
        match self {
            AccessScope::Area(p) if p.len() == 9 => format!("{p}000").parse().ok(),
            AccessScope::Area(p) if p.len() == 12 => p.parse().ok(),
            _ => None,
        }
    }

    /// Whether every place `other` covers lies inside this scope, so an administrator
    /// may give it to an account.
    pub fn includes(&self, other: &AccessScope) -> bool {
        match (self, other) {
            (AccessScope::All, _) => true,
            (_, AccessScope::All) => false,
            (AccessScope::Area(mine), AccessScope::Area(theirs)) => theirs.starts_with(mine),
            (_, AccessScope::Grids(grids)) => grids.iter().all(|g| self.covers_grid(g)),
            (AccessScope::Grids(_), AccessScope::Area(_)) => false,
        }
    }
}

impl FromStr for AccessScope {
    type Err = AccessParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || AccessParseError::Scope(s.to_owned());
        if text.eq_ignore_ascii_case("all") {
            return Ok(AccessScope::All);
        }
        if let Some(list) = text.strip_prefix("grids:") {
            let mut grids = list
                .split(',')
                .map(|g| g.trim().parse::<GridCode>().map_err(|_| bad()))
                .collect::<Result<Vec<_>, _>>()?;
            grids.sort();
            grids.dedup();
            return Ok(AccessScope::Grids(grids));
        }
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        if digits_only && matches!(text.len(), 2 | 4 | 6 | 9 | 12) {
            return Ok(AccessScope::Area(text.to_owned()));
        }
        Err(bad())
    }
}

impl fmt::Display for AccessScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessScope::All => f.write_str("all"),
            AccessScope::Area(prefix) => f.write_str(prefix),
            AccessScope::Grids(grids) => {
                f.write_str("grids:")?;
                for (i, g) in grids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(g.as_str())?;
                }
                Ok(())
            }
        }
    }
}

impl Serialize for AccessScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccessScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A user of gridmap as stored: the password only as its argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    /// The login name, unique.
    pub login: String,
    pub role: Role,
    pub scope: AccessScope,
    /// The argon2 hash (PHC string) of the password; empty for accounts that only
    /// use tokens (wall displays).
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// The roster's staff id of the person who signs in with this account (a grid
    /// worker's phone): work orders dispatched to that staff member are on its to-do list.
    #[serde(default)]
    pub staff: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village(code: &str) -> DivisionCode {
        code.parse().unwrap()
    }

    fn grid(code: &str) -> GridCode {
        code.parse().unwrap()
    }

    #[test]
    fn codes_as_text_are_covered_like_codes() {
        let scopes: Vec<AccessScope> = [
            "all",
            "41",
            "411622",
            "411622101",
            "411622101201",
            "411622102",
            "grids:411622101201-001,411622101202-003",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let places = [
            ("411622101201", Some("411622101201-001")),
            ("411622101201", Some("411622101201-002")),
            ("411622101202", Some("411622101202-003")),
            ("411622102205", None),
            ("411622101201", None),
        ];
        for scope in &scopes {
            for (v, g) in places {
                let grids: Vec<GridCode> = g.iter().map(|g| grid(g)).collect();
                assert_eq!(
                    scope.covers_codes(Some(v), g),
                    scope.covers_place(Some(&village(v)), &grids),
                    "{scope} at {v} {g:?}"
                );
            }
            // A place in no village lies only in the scope of everything.
            assert_eq!(scope.covers_codes(None, None), *scope == AccessScope::All);
        }
    }

    #[test]
    fn units_touched_and_home_units() {
        let township: AccessScope = "411622101".parse().unwrap();
        assert!(township.touches_unit(&village("411622000000")));
        assert!(township.touches_unit(&village("411622101000")));
        assert!(township.touches_unit(&village("411622101201")));
        assert!(!township.touches_unit(&village("411622102000")));
        assert_eq!(township.home_unit(), Some(village("411622101000")));
        let mine: AccessScope = "grids:411622101201-001".parse().unwrap();
        assert!(mine.touches_unit(&village("411622101000")));
        assert!(!mine.touches_unit(&village("411622101202")));
        assert_eq!(mine.home_unit(), None);
        assert_eq!("411622".parse::<AccessScope>().unwrap().home_unit(), None);
    }

    #[test]
    fn area_scopes_nest_by_code_prefix() {
        let county: AccessScope = "411622".parse().unwrap();
        let township: AccessScope = "411622101".parse().unwrap();
        assert!(county.includes(&township));
        assert!(!township.includes(&county));
        assert!(county.covers_grid(&grid("411622101201-001")));
        assert!(!township.covers_grid(&grid("411622102201-001")));
        assert!(AccessScope::All.includes(&county));
        assert!(!county.includes(&AccessScope::All));
    }

    #[test]
    fn a_grid_scope_covers_its_grids_and_no_whole_village() {
        let mine: AccessScope = "grids:411622101201-002, 411622101201-001,411622101201-002"
            .parse()
            .unwrap();
        assert_eq!(mine.to_string(), "grids:411622101201-001,411622101201-002");
        assert!(mine.covers_grid(&grid("411622101201-001")));
        assert!(!mine.covers_grid(&grid("411622101201-003")));
        assert!(mine.touches_village(&village("411622101201")));
        assert!(!mine.touches_village(&village("411622101202")));
        assert!(mine.covers_place(Some(&village("411622101201")), &[grid("411622101201-002")]));
        assert!(!mine.covers_place(Some(&village("411622101201")), &[grid("411622101201-009")]));
        let township: AccessScope = "411622101".parse().unwrap();
        assert!(township.includes(&mine));
        assert!(!mine.includes(&township));
    }

    #[test]
    fn malformed_scopes_and_roles_are_refused_with_the_forms_that_work() {
        for bad in [
            "",
            "41162",
            "4116221",
            "grids:",
            "grids:411622101201",
            "county",
        ] {
            let err = bad.parse::<AccessScope>().unwrap_err().to_string();
            assert!(err.contains("grids:CODE"), "{bad}: {err}");
        }
        assert_eq!("Planner".parse::<Role>().unwrap(), Role::Planner);
        assert!("root"
            .parse::<Role>()
            .unwrap_err()
            .to_string()
            .contains("viewer"));
    }

    #[test]
    fn only_office_roles_read_the_register_and_only_planners_edit() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.reads_personal_data())
            .collect();
        assert_eq!(readers, [Role::Admin, Role::Planner, Role::Staff]);
        assert!(!Role::Staff.edits_grids());
        assert!(!Role::Wall.works_incidents());
    }

    #[test]
    fn scopes_round_trip_through_json_as_text() {
        let scope: AccessScope = "grids:411622101201-001".parse().unwrap();
        let json = serde_json::to_string(&scope).unwrap();
        assert_eq!(json, "\"grids:411622101201-001\"");
        assert_eq!(serde_json::from_str::<AccessScope>(&json).unwrap(), scope);
    }
}
