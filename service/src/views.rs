//! What the use cases return: views of units, grids, staff, buildings and households,
//! built from the snapshot. Personal fields of households are filled only for callers
//! allowed to see them ([`crate::Caller::sees_personal_data_at`]).

use gridmap_core::flags::GridFlags;
use gridmap_core::geometry::bbox_array;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminUnit, DivisionCode, Grid, Household, Staff};
use serde::Serialize;
use utoipa::ToSchema;

/// An administrative unit, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub level: String,
}

/// A staff member's contact card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: String,
    pub grids: Vec<String>,
}

/// A grid with its staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridView {
    pub code: String,
    /// 1 for grids that hold households (micro-grids 微网格 where grids are nested), 2
    /// for comprehensive grids (综治网格).
    pub level: u8,
    /// The comprehensive grid a micro-grid nests in.
    pub parent: Option<String>,
    /// The name planners gave the grid, if any.
    pub name: Option<String>,
    pub village: String,
    pub households: u32,
    pub buildings: usize,
    pub staff: Option<StaffView>,
    /// `[min_lon, min_lat, max_lon, max_lat]`
    pub bbox: Option<[f64; 4]>,
    pub locked: bool,
    pub institution: bool,
    /// Bumped by every edit; send it back with an edit to detect concurrent changes.
    pub version: u32,
    /// `undersize`, `oversize`, `noncontiguous`, `outside_village`, `no_staff`.
    pub flags: Vec<String>,
}

/// One household of a building; `head`, `phone` and `members` only for allowed callers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
    /// The grid this household belongs to (several grids share a split high-rise).
    pub grid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u16>,
    /// The register's tags (personal data: inside the caller's scope only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The situation groups of those tags (`low_income`, `elderly_alone`…; see
    /// `gridmap_core::TagGroup`), for colouring a floor diagram.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_groups: Vec<String>,
    /// Whether the caller sees this household's personal data, and so may correct its
    /// tags (`PUT /api/households/{id}/tags`); absent when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub personal: bool,
}

/// A building with its households and grids.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BuildingView {
    pub id: String,
    #[serde(rename = "use")]
    pub building_use: String,
    pub levels: Option<u16>,
    pub households: u32,
    pub estimated: bool,
    pub address: Option<String>,
    pub grids: Vec<String>,
    /// For a high-rise split between grids by flat: which flats (`[start, end)`, in
    /// entrance/floor order) each grid holds, in flat order; empty otherwise.
    pub flats: Vec<GridFlats>,
    pub bbox: Option<[f64; 4]>,
    pub household_list: Vec<HouseholdView>,
}

/// The flats of a split high-rise one grid holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GridFlats {
    pub grid: String,
    pub start: u32,
    pub end: u32,
}

/// What lies at a point.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LookupView {
    pub building: Option<BuildingView>,
    pub grid: Option<GridView>,
    /// Every grid holding households of the building (several for a split high-rise).
    pub grids: Vec<GridView>,
    /// The comprehensive grid the first grid nests in, with its leader (nested grids).
    pub comprehensive: Option<GridView>,
    pub village: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A building with its village and township.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BuildingDetail {
    #[serde(flatten)]
    pub building: BuildingView,
    pub village: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A grid with its village and township.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridDetail {
    #[serde(flatten)]
    pub grid: GridView,
    /// The comprehensive grid a micro-grid nests in.
    pub comprehensive: Option<GridView>,
    /// A comprehensive grid's micro-grids, by code.
    pub micro_grids: Vec<GridView>,
    pub village_unit: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A staff member with the grids they serve.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffDetail {
    #[serde(flatten)]
    pub staff: StaffView,
    pub grid_details: Vec<GridView>,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `grid`, `staff`, `village`, `township`, `county`, `building` or `address`.
    pub kind: &'static str,
    pub id: String,
    pub label: String,
    pub detail: String,
    pub bbox: Option<[f64; 4]>,
}

/// Search results, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
}

/// The snapshot and the county's grid size range: what every view is built from.
#[derive(Clone, Copy)]
pub struct ViewContext<'a> {
    pub snap: &'a CountySnapshot,
    pub min_households: u32,
    pub max_households: u32,
    /// The size range of comprehensive grids where grids are nested.
    pub comprehensive_households: Option<(u32, u32)>,
}

impl ViewContext<'_> {
    pub fn unit(&self, unit: &AdminUnit) -> UnitView {
        UnitView {
            code: unit.code.to_string(),
            name: unit.name.clone(),
            level: unit.level.as_str().to_owned(),
        }
    }

    /// The village and township of `village`, as far as they are known.
    pub fn units_of(&self, village: Option<&DivisionCode>) -> (Option<UnitView>, Option<UnitView>) {
        let Some(v) = village else {
            return (None, None);
        };
        (
            self.snap.admin_unit(v).map(|u| self.unit(u)),
            self.snap.admin_unit(&v.township()).map(|u| self.unit(u)),
        )
    }

    pub fn staff(&self, s: &Staff) -> StaffView {
        StaffView {
            id: s.id.clone(),
            name: s.name.clone(),
            phone: s.phone.clone(),
            role: s.role.as_string(),
            grids: s.grids.iter().map(ToString::to_string).collect(),
        }
    }

    /// The grid's flags, the same ones the tiles and the validator use.
    pub fn flags(&self, g: &Grid) -> GridFlags {
        let (min, max) = match self.comprehensive_households {
            Some(range) if g.is_comprehensive() => range,
            _ => (self.min_households, self.max_households),
        };
        GridFlags::of(g, self.snap.admin_unit(&g.village), min, max)
    }

    pub fn grid(&self, g: &Grid) -> GridView {
        GridView {
            code: g.code.to_string(),
            level: g.level,
            parent: g.parent.as_ref().map(ToString::to_string),
            name: g.name.clone(),
            village: g.village.to_string(),
            households: g.households,
            buildings: g.members.len(),
            staff: g
                .staff
                .as_deref()
                .and_then(|id| self.snap.staff_member(id))
                .map(|s| self.staff(s)),
            bbox: bbox_array(&g.polygon),
            locked: g.locked,
            institution: g.institution,
            version: g.version,
            flags: self
                .flags(g)
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// One register entry; the personal fields only when `personal` (the caller may
    /// see them: [`crate::Caller::sees_personal_data_at`]).
    pub fn household(&self, h: &Household, grid: Option<String>, personal: bool) -> HouseholdView {
        HouseholdView {
            id: h.id.clone(),
            grid,
            entrance: h.entrance.clone(),
            floor: h.floor,
            unit: h.unit.clone(),
            address: h.address.clone(),
            head: if personal { h.head.clone() } else { None },
            phone: if personal { h.phone.clone() } else { None },
            members: if personal { h.members } else { None },
            tags: if personal { h.tags.clone() } else { Vec::new() },
            tag_groups: if personal {
                gridmap_core::TagGroup::of_tags(&h.tags)
                    .into_iter()
                    .map(|g| g.key().to_owned())
                    .collect()
            } else {
                Vec::new()
            },
            personal,
        }
    }
}
