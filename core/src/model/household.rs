//! Households (flats) from the register. Personal data: never in tiles or logs.

use geo_types::Point;
use serde::{Deserialize, Serialize};

/// One household (a flat) from the register.
///
/// `head`, `phone` and `members` are personal data: they are stored and shown only to
/// users allowed to see them, and never written into tiles or logs. Use
/// [`Household::public`] for what anybody may see. `Debug` redacts them too.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// Register id, unique within the county.
    pub id: String,
    /// `source_id` of the building it lives in, where the register names one.
    pub building: Option<String>,
    /// WGS84 position, where the register gives coordinates instead of a building.
    pub location: Option<Point<f64>>,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
    /// Head of household (personal data).
    pub head: Option<String>,
    /// Contact phone (personal data).
    pub phone: Option<String>,
    pub members: Option<u16>,
    /// Flags such as special-population tags (personal data).
    pub tags: Vec<String>,
}

impl std::fmt::Debug for Household {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Household")
            .field("id", &self.id)
            .field("building", &self.building)
            .field("entrance", &self.entrance)
            .field("floor", &self.floor)
            .field("unit", &self.unit)
            .field("head", &"<redacted>")
            .field("phone", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The part of a household anybody may see: no names, phones, members or tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdPublic {
    pub id: String,
    pub building: Option<String>,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
}

impl Household {
    /// What may be shown without access to personal data.
    pub fn public(&self) -> HouseholdPublic {
        HouseholdPublic {
            id: self.id.clone(),
            building: self.building.clone(),
            entrance: self.entrance.clone(),
            floor: self.floor,
            unit: self.unit.clone(),
            address: self.address.clone(),
        }
    }
}
