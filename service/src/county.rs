//! The county as the partitioner and the validator need it: every layer read once and
//! grouped by village, with the barriers near each village (one builder for both).

use gridmap_core::partition::VillageInput;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminLevel, AdminUnit, Barrier, Building, DivisionCode, Grid};
use gridmap_store::{ReadStore, StoreResult};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashMap;

/// Which villages a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Township(DivisionCode),
    Village(DivisionCode),
}

impl Scope {
    /// Whether `village` is in scope.
    pub fn covers(&self, village: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Township(t) | Scope::Village(t) => t.contains(village),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all villages"),
            Scope::Township(t) => write!(f, "township {t}"),
            Scope::Village(v) => write!(f, "village {v}"),
        }
    }
}

/// Every layer of the county, read once.
#[derive(Debug, Clone, Default)]
pub struct County {
    pub units: Vec<AdminUnit>,
    pub buildings: Vec<Building>,
    pub barriers: Vec<Barrier>,
    pub grids: Vec<Grid>,
}

/// One village with its buildings, nearby barriers and grids.
#[derive(Debug)]
pub struct VillageParts<'a> {
    pub village: &'a AdminUnit,
    pub buildings: Vec<&'a Building>,
    pub barriers: Vec<&'a Barrier>,
    pub grids: Vec<Grid>,
}

impl<'a> VillageParts<'a> {
    /// The partitioner's input for this village, starting from `previous` grids.
    pub fn input(&'a self, previous: &'a [Grid]) -> VillageInput<'a> {
        VillageInput {
            village: self.village,
            buildings: &self.buildings,
            barriers: &self.barriers,
            previous,
        }
    }
}

impl County {
    /// Reads units, buildings, barriers and grids from the store.
    pub async fn load(store: &dyn ReadStore) -> StoreResult<County> {
        Ok(County {
            units: store.admin_units().await?,
            buildings: store.buildings().await?,
            barriers: store.barriers().await?,
            grids: store.grids().await?,
        })
    }

    /// The villages in `scope`, by code, each with its parts. Buildings belong to the
    /// village their `village` field names (see [`gridmap_core::assign`]).
    pub fn villages(&self, scope: &Scope) -> Vec<VillageParts<'_>> {
        let mut buildings: HashMap<&DivisionCode, Vec<&Building>> = HashMap::new();
        for b in &self.buildings {
            if let Some(v) = &b.village {
                buildings.entry(v).or_default().push(b);
            }
        }
        let mut grids: HashMap<&DivisionCode, Vec<Grid>> = HashMap::new();
        for g in &self.grids {
            grids.entry(&g.village).or_default().push(g.clone());
        }
        let barriers = BarrierIndex::new(&self.barriers);
        let near = |v: &AdminUnit| barriers.near(&self.barriers, v);
        self.units
            .iter()
            .filter(|u| u.level == AdminLevel::Village && scope.covers(&u.code))
            .map(|v| VillageParts {
                village: v,
                buildings: buildings.remove(&v.code).unwrap_or_default(),
                barriers: near(v),
                grids: grids.remove(&v.code).unwrap_or_default(),
            })
            .collect()
    }
}

/// One village of a loaded county (a server's snapshot) with the barriers that reach it,
/// in the order the store gives buildings and grids (as [`County::villages`] does, so an
/// edit draws the same polygons either way); `None` for no such village.
pub fn village_of_snapshot<'a>(
    snapshot: &'a CountySnapshot,
    barriers: &'a [Barrier],
    index: &BarrierIndex,
    code: &DivisionCode,
) -> Option<VillageParts<'a>> {
    let village = snapshot
        .admin_unit(code)
        .filter(|u| u.level == AdminLevel::Village)?;
    let area = geo::BoundingRect::bounding_rect(&village.boundary)?;
    let mut found: Vec<usize> = snapshot.buildings_in(area).collect();
    found.sort_unstable();
    let buildings = found
        .into_iter()
        .filter_map(|i| snapshot.buildings.get(i))
        .filter(|b| b.village.as_ref() == Some(code))
        .collect();
    let grids = snapshot
        .grids
        .iter()
        .filter(|g| &g.village == code)
        .map(|g| Grid::clone(g))
        .collect();
    Some(VillageParts {
        village,
        buildings,
        barriers: index.near(barriers, village),
        grids,
    })
}

/// Barriers (by their index in the county's list) by bounding box, so each village gets
/// only the lines that reach it. A server builds it once per loaded county.
#[derive(Debug, Default)]
pub struct BarrierIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl BarrierIndex {
    pub fn new(barriers: &[Barrier]) -> Self {
        use geo::BoundingRect;
        let items = barriers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let r = b.line.bounding_rect()?;
                let corners = ([r.min().x, r.min().y], [r.max().x, r.max().y]);
                Some(GeomWithData::new(
                    Rectangle::from_corners(corners.0, corners.1),
                    i,
                ))
            })
            .collect();
        BarrierIndex {
            tree: RTree::bulk_load(items),
        }
    }

    /// The lines of `barriers` (the list the index was built from) that reach `unit`.
    pub fn near<'a>(&self, barriers: &'a [Barrier], unit: &AdminUnit) -> Vec<&'a Barrier> {
        let Some([x0, y0, x1, y1]) = gridmap_core::geometry::bbox_array(&unit.boundary) else {
            return Vec::new();
        };
        let env = AABB::from_corners([x0, y0], [x1, y1]);
        let mut idx: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|g| g.data)
            .collect();
        idx.sort_unstable();
        idx.into_iter().filter_map(|i| barriers.get(i)).collect()
    }
}
