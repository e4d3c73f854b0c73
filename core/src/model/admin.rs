//! Administrative units and their 12-digit statistical division codes.

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A 12-digit statistical division code (统计用区划代码): 6 digits county, 3 township,
/// 3 village. A township code ends in `000`, a county code in `000000`.
///
/// ```
/// use gridmap_core::{AdminLevel, DivisionCode};
/// let village: DivisionCode = "411622101201".parse().unwrap();
/// assert_eq!(village.level(), AdminLevel::Village);
/// assert_eq!(village.township().as_str(), "411622101000");
/// assert_eq!(village.county().as_str(), "411622000000");
/// assert!("41162210120".parse::<DivisionCode>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DivisionCodeError {
    #[error(
        "division code {code:?} must have exactly 12 digits (6 county + 3 township + 3 village)"
    )]
    Malformed { code: String },
}

impl DivisionCode {
    /// The code as its 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the code names: `000000` at the end is a county, `000` a township.
    pub fn level(&self) -> AdminLevel {
        if self.0.ends_with("000000") {
            AdminLevel::County
        } else if self.0.ends_with("000") {
            AdminLevel::Township
        } else {
            AdminLevel::Village
        }
    }

    /// The county this code lies in (itself for a county).
    pub fn county(&self) -> DivisionCode {
        DivisionCode(format!("{}000000", &self.0[..6]))
    }

    /// The township this code lies in (itself for a township; the county's own code for a county).
    pub fn township(&self) -> DivisionCode {
        DivisionCode(format!("{}000", &self.0[..9]))
    }

    /// The parent unit's code: village → township → county; `None` for a county.
    pub fn parent(&self) -> Option<DivisionCode> {
        match self.level() {
            AdminLevel::County => None,
            AdminLevel::Township => Some(self.county()),
            AdminLevel::Village => Some(self.township()),
        }
    }

    /// The digits every code inside this unit starts with: 6 for a county, 9 for a
    /// township, all 12 for a village. Grid codes start with their village's code, so
    /// they share it too.
    ///
    /// ```
    /// use gridmap_core::DivisionCode;
    /// let township: DivisionCode = "411622101000".parse().unwrap();
    /// assert_eq!(township.prefix(), "411622101");
    /// ```
    pub fn prefix(&self) -> &str {
        let digits = match self.level() {
            AdminLevel::County => 6,
            AdminLevel::Township => 9,
            AdminLevel::Village => 12,
        };
        &self.0[..digits]
    }

    /// Whether `other` lies inside (or is) this unit.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(self.prefix())
    }
}

impl FromStr for DivisionCode {
    type Err = DivisionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(DivisionCode(s.to_owned()))
        } else {
            Err(DivisionCodeError::Malformed { code: s.to_owned() })
        }
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = DivisionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.0
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// 县/区.
    County,
    /// 乡/镇/街道.
    Township,
    /// 行政村 or urban community (社区); also OSM quarters (admin_level 10).
    Village,
}

impl AdminLevel {
    /// Stable lowercase name, as stored and shown in tiles.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminLevel::County => "county",
            AdminLevel::Township => "township",
            AdminLevel::Village => "village",
        }
    }
}

impl FromStr for AdminLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "county" => Ok(AdminLevel::County),
            "township" => Ok(AdminLevel::Township),
            "village" => Ok(AdminLevel::Village),
            other => Err(format!(
                "unknown admin level {other:?} (county, township, village)"
            )),
        }
    }
}

/// A county, township or village with its boundary (WGS84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    pub code: DivisionCode,
    pub name: String,
    pub level: AdminLevel,
    /// Where the unit came from (e.g. `osm:relation/123`, `synth:village/3`), the key that
    /// makes re-imports update instead of duplicate.
    pub source_id: String,
    /// WGS84 lon/lat boundary.
    pub boundary: MultiPolygon<f64>,
}
