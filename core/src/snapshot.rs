//! An in-memory, indexed copy of one county's data, built once when serving.
//!
//! Tiles, point lookups and searches read from a [`CountySnapshot`]: every layer has an
//! rstar R-tree of feature bounding boxes (WGS84) so a tile or a click touches only the
//! features near it.
//!
//! ```
//! use gridmap_core::snapshot::CountySnapshot;
//! let snap = CountySnapshot::new(vec![], vec![], vec![], vec![]);
//! assert_eq!(snap.buildings_in(geo_types::Rect::new((0.0, 0.0), (1.0, 1.0))).count(), 0);
//! ```

use crate::model::{AdminLevel, AdminUnit, Building, Grid, GridCode, Staff};
use geo::BoundingRect;
use geo_types::{MultiPolygon, Rect};
use rstar::{RTree, RTreeObject, AABB};
use std::collections::HashMap;
use std::sync::Arc;

/// A bounding box in an R-tree pointing at the feature's index in its layer's `Vec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexedBox {
    pub index: usize,
    pub envelope: AABB<[f64; 2]>,
}

impl RTreeObject for IndexedBox {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl rstar::PointDistance for IndexedBox {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        self.envelope.distance_2(point)
    }
}

fn index_of<T>(items: &[T], shape: impl Fn(&T) -> &MultiPolygon<f64>) -> RTree<IndexedBox> {
    let boxes = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let r = shape(item).bounding_rect()?;
            Some(IndexedBox {
                index,
                envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
            })
        })
        .collect();
    RTree::bulk_load(boxes)
}

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

/// One county's layers with R-tree indexes and lookup tables. The building layer (the
/// bulk of a county) is shared between snapshots: [`CountySnapshot::with_village_grids`]
/// makes the next snapshot after a grid edit without copying or re-indexing it.
#[derive(Debug, Clone)]
pub struct CountySnapshot {
    pub admin_units: Vec<AdminUnit>,
    pub buildings: Arc<Vec<Building>>,
    pub grids: Vec<Grid>,
    pub staff: Vec<Staff>,
    admin_index: RTree<IndexedBox>,
    building_index: Arc<RTree<IndexedBox>>,
    grid_index: RTree<IndexedBox>,
    building_by_id: Arc<HashMap<String, usize>>,
    grid_by_code: HashMap<GridCode, usize>,
    staff_by_id: HashMap<String, usize>,
    admin_by_code: HashMap<crate::model::DivisionCode, usize>,
    /// For each building, the grids holding (some of) its households.
    grids_of_building: Vec<Vec<usize>>,
}

impl CountySnapshot {
    /// Indexes the given layers (bulk-loaded R-trees, O(n log n)).
    pub fn new(
        admin_units: Vec<AdminUnit>,
        buildings: Vec<Building>,
        grids: Vec<Grid>,
        staff: Vec<Staff>,
    ) -> Self {
        let admin_index = index_of(&admin_units, |a| &a.boundary);
        let building_index = Arc::new(index_of(&buildings, |b| &b.footprint));
        let building_by_id: HashMap<String, usize> = buildings
            .iter()
            .enumerate()
            .map(|(i, b)| (b.source_id.clone(), i))
            .collect();
        let admin_by_code = admin_units
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.clone(), i))
            .collect();
        let empty = CountySnapshot {
            admin_units,
            buildings: Arc::new(buildings),
            grids: Vec::new(),
            staff: Vec::new(),
            admin_index,
            building_index,
            grid_index: RTree::new(),
            building_by_id: Arc::new(building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: HashMap::new(),
            admin_by_code,
            grids_of_building: Vec::new(),
        };
        empty.with_grids(grids, staff)
    }

    /// This county with the grids of `village` replaced by `grids` and the roster
    /// replaced by `staff` (a grid edit). Units and buildings are shared, not copied;
    /// the grids of other villages keep their order.
    ///
    /// ```
    /// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
    /// use gridmap_core::snapshot::CountySnapshot;
    /// let (v, b) = gridmap_synth::small::villages(1, 200, 2);
    /// let refs: Vec<&_> = b.iter().collect();
    /// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
    /// let grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
    /// let snap = CountySnapshot::new(v.clone(), b.clone(), grids.clone(), vec![]);
    /// let fewer = snap.with_village_grids(&v[0].code, grids[1..].to_vec(), vec![]);
    /// assert_eq!(fewer.grids.len(), grids.len() - 1);
    /// assert!(fewer.grid(&grids[0].code).is_none());
    /// assert!(std::sync::Arc::ptr_eq(&fewer.buildings, &snap.buildings));
    /// ```
    pub fn with_village_grids(
        &self,
        village: &crate::model::DivisionCode,
        grids: Vec<Grid>,
        staff: Vec<Staff>,
    ) -> CountySnapshot {
        // Kept grids move up over the village's old ones; `remap` says where to.
        let mut remap = vec![usize::MAX; self.grids.len()];
        let mut all = Vec::with_capacity(self.grids.len() + grids.len());
        for (old, g) in self.grids.iter().enumerate() {
            if &g.village != village {
                remap[old] = all.len();
                all.push(g.clone());
            }
        }
        // Only the village's buildings are looked up by id; the others keep their
        // grids under the new indices.
        let mut grids_of_building: Vec<Vec<usize>> = self
            .grids_of_building
            .iter()
            .map(|list| {
                list.iter()
                    .filter_map(|&g| remap.get(g).copied().filter(|&n| n != usize::MAX))
                    .collect()
            })
            .collect();
        for grid in grids {
            self.note_members(&mut grids_of_building, all.len(), &grid);
            all.push(grid);
        }
        self.clone_shared()
            .with_indexed_grids(all, staff, grids_of_building)
    }

    /// The shared and small parts (grids and staff left empty).
    fn clone_shared(&self) -> CountySnapshot {
        CountySnapshot {
            admin_units: self.admin_units.clone(),
            buildings: Arc::clone(&self.buildings),
            grids: Vec::new(),
            staff: Vec::new(),
            admin_index: self.admin_index.clone(),
            building_index: Arc::clone(&self.building_index),
            grid_index: RTree::new(),
            building_by_id: Arc::clone(&self.building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: HashMap::new(),
            admin_by_code: self.admin_by_code.clone(),
            grids_of_building: Vec::new(),
        }
    }

    /// Indexes `grids` and `staff` into this snapshot.
    fn with_grids(self, grids: Vec<Grid>, staff: Vec<Staff>) -> CountySnapshot {
        let mut grids_of_building = vec![Vec::new(); self.buildings.len()];
        for (gi, grid) in grids.iter().enumerate() {
            self.note_members(&mut grids_of_building, gi, grid);
        }
        self.with_indexed_grids(grids, staff, grids_of_building)
    }

    /// Adds grid `gi` to the lists of the buildings `grid` holds households of.
    fn note_members(&self, grids_of_building: &mut [Vec<usize>], gi: usize, grid: &Grid) {
        for m in &grid.members {
            if let Some(list) = self
                .building_by_id
                .get(&m.building)
                .and_then(|&bi| grids_of_building.get_mut(bi))
            {
                list.push(gi);
            }
        }
    }

    /// Indexes `grids` and `staff`, given the grids of each building.
    fn with_indexed_grids(
        self,
        grids: Vec<Grid>,
        staff: Vec<Staff>,
        grids_of_building: Vec<Vec<usize>>,
    ) -> CountySnapshot {
        let grid_index = index_of(&grids, |g| &g.polygon);
        let grid_by_code = grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.code.clone(), i))
            .collect();
        let staff_by_id = staff
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        CountySnapshot {
            grids,
            staff,
            grid_index,
            grid_by_code,
            staff_by_id,
            grids_of_building,
            ..self
        }
    }

    /// Indices of buildings whose bounding box meets `area`.
    pub fn buildings_in(&self, area: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.building_index
            .locate_in_envelope_intersecting(&aabb(area))
            .map(|b| b.index)
    }

    /// Indices of grids whose bounding box meets `area`.
    pub fn grids_in(&self, area: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.grid_index
            .locate_in_envelope_intersecting(&aabb(area))
            .map(|b| b.index)
    }

    /// Indices of admin units (any level) whose bounding box meets `area`.
    pub fn admin_units_in(&self, area: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.admin_index
            .locate_in_envelope_intersecting(&aabb(area))
            .map(|b| b.index)
    }

    /// Indices of admin units of `level` whose bounding box meets `area`.
    pub fn admin_units_of_level_in(
        &self,
        level: AdminLevel,
        area: Rect<f64>,
    ) -> impl Iterator<Item = usize> + '_ {
        self.admin_units_in(area)
            .filter(move |&i| self.admin_units.get(i).is_some_and(|a| a.level == level))
    }

    /// The admin unit with this code.
    pub fn admin_unit(&self, code: &crate::model::DivisionCode) -> Option<&AdminUnit> {
        self.admin_by_code
            .get(code)
            .and_then(|&i| self.admin_units.get(i))
    }

    pub fn building(&self, source_id: &str) -> Option<&Building> {
        self.building_by_id
            .get(source_id)
            .and_then(|&i| self.buildings.get(i))
    }

    pub fn building_index(&self, source_id: &str) -> Option<usize> {
        self.building_by_id.get(source_id).copied()
    }

    pub fn grid(&self, code: &GridCode) -> Option<&Grid> {
        self.grid_by_code.get(code).and_then(|&i| self.grids.get(i))
    }

    pub fn grid_index(&self, code: &GridCode) -> Option<usize> {
        self.grid_by_code.get(code).copied()
    }

    pub fn staff_member(&self, id: &str) -> Option<&Staff> {
        self.staff_by_id.get(id).and_then(|&i| self.staff.get(i))
    }

    /// Grids (indices) that hold households of building `building_index`.
    pub fn grids_of_building(&self, building_index: usize) -> &[usize] {
        self.grids_of_building
            .get(building_index)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The R-tree over building boxes, for nearest-neighbour queries.
    pub fn building_tree(&self) -> &RTree<IndexedBox> {
        &self.building_index
    }

    /// The R-tree over grid boxes.
    pub fn grid_tree(&self) -> &RTree<IndexedBox> {
        &self.grid_index
    }

    /// Bounds of all data, `None` when empty.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        let env = [&self.admin_index, &self.building_index, &self.grid_index]
            .iter()
            .filter(|t| t.size() > 0)
            .map(|t| t.root().envelope())
            .reduce(|a, b| {
                use rstar::Envelope;
                a.merged(&b)
            })?;
        Some(Rect::new(
            (env.lower()[0], env.lower()[1]),
            (env.upper()[0], env.upper()[1]),
        ))
    }
}
