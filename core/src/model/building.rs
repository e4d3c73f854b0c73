//! Buildings: footprints with use, levels and household counts.

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a building is used for. Only residential buildings get estimated households;
/// institutions may become "vertical" grids of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BuildingUse {
    Residential,
    /// Schools, hospitals, care homes, enterprises, malls, petrol stations.
    Institution,
    #[default]
    Other,
}

impl BuildingUse {
    /// Stable lowercase name, as stored and shown in tiles.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildingUse::Residential => "residential",
            BuildingUse::Institution => "institution",
            BuildingUse::Other => "other",
        }
    }

    /// Classifies an OpenStreetMap `building=*` value.
    ///
    /// ```
    /// use gridmap_core::BuildingUse;
    /// assert_eq!(BuildingUse::from_osm_building("apartments"), BuildingUse::Residential);
    /// assert_eq!(BuildingUse::from_osm_building("school"), BuildingUse::Institution);
    /// assert_eq!(BuildingUse::from_osm_building("garage"), BuildingUse::Other);
    /// ```
    pub fn from_osm_building(value: &str) -> BuildingUse {
        match value {
            "residential" | "apartments" | "house" | "detached" | "semidetached_house"
            | "terrace" | "dormitory" | "bungalow" | "farm" | "cabin" | "houseboat"
            | "static_caravan" => BuildingUse::Residential,
            "school" | "kindergarten" | "university" | "college" | "hospital" | "clinic"
            | "public" | "civic" | "government" | "commercial" | "retail" | "office"
            | "industrial" | "warehouse" | "fire_station" | "church" | "temple" | "mosque"
            | "train_station" | "hotel" | "supermarket" | "sports_hall" => BuildingUse::Institution,
            _ => BuildingUse::Other,
        }
    }
}

impl FromStr for BuildingUse {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "residential" => Ok(BuildingUse::Residential),
            "institution" => Ok(BuildingUse::Institution),
            "other" => Ok(BuildingUse::Other),
            other => Err(format!(
                "unknown building use {other:?} (residential, institution, other)"
            )),
        }
    }
}

/// Where a building's household count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdCountSource {
    /// Counted from the household register or given in the source data.
    Registered,
    /// `round(area_m2 × levels ÷ dwelling_m2)`, residential buildings only.
    Estimated,
    /// No households (non-residential without register entries).
    #[default]
    None,
}

impl HouseholdCountSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdCountSource::Registered => "registered",
            HouseholdCountSource::Estimated => "estimated",
            HouseholdCountSource::None => "none",
        }
    }
}

impl FromStr for HouseholdCountSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "registered" => Ok(Self::Registered),
            "estimated" => Ok(Self::Estimated),
            "none" => Ok(Self::None),
            other => Err(format!("unknown household count source {other:?}")),
        }
    }
}

/// A household count and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct HouseholdCount {
    pub count: u32,
    pub source: HouseholdCountSource,
}

impl HouseholdCount {
    /// Estimates households for a residential footprint:
    /// `round(area_m2 × levels ÷ dwelling_m2)`, at least 1.
    ///
    /// ```
    /// use gridmap_core::{HouseholdCount, HouseholdCountSource};
    /// let h = HouseholdCount::estimate(450.0, 2, 90.0);
    /// assert_eq!(h.count, 10);
    /// assert_eq!(h.source, HouseholdCountSource::Estimated);
    /// assert_eq!(HouseholdCount::estimate(20.0, 1, 90.0).count, 1);
    /// ```
    pub fn estimate(area_m2: f64, levels: u16, dwelling_m2: f64) -> HouseholdCount {
        let raw = (area_m2 * f64::from(levels.max(1)) / dwelling_m2.max(1.0)).round();
        let count = if raw.is_finite() {
            raw.clamp(1.0, u32::MAX as f64) as u32
        } else {
            1
        };
        HouseholdCount {
            count,
            source: HouseholdCountSource::Estimated,
        }
    }

    /// A count taken from the register or the source file.
    pub fn registered(count: u32) -> HouseholdCount {
        HouseholdCount {
            count,
            source: HouseholdCountSource::Registered,
        }
    }
}

/// A building footprint (WGS84) with what the grids need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Building {
    /// Stable key from the source (e.g. `osm:way/4242`, `synth:b/17`); re-imports update by it.
    pub source_id: String,
    pub footprint: MultiPolygon<f64>,
    pub building_use: BuildingUse,
    /// Number of above-ground floors, where known.
    pub levels: Option<u16>,
    /// Height in metres, where known.
    pub height: Option<f32>,
    pub households: HouseholdCount,
    /// Street address or name, where known (public, not personal data).
    pub address: Option<String>,
    /// The village it lies in, once assigned.
    pub village: Option<super::DivisionCode>,
}
