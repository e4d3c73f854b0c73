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
    /// The grids, each behind an `Arc` so the next snapshot after an edit shares the
    /// grids of every other village instead of copying them.
    pub grids: Vec<Arc<Grid>>,
    /// The roster, shared between snapshots until an edit changes someone's grids.
    pub staff: Arc<Vec<Staff>>,
    admin_index: RTree<IndexedBox>,
    building_index: Arc<RTree<IndexedBox>>,
    grid_index: RTree<IndexedBox>,
    building_by_id: Arc<HashMap<String, usize>>,
    grid_by_code: HashMap<GridCode, usize>,
    staff_by_id: Arc<HashMap<String, usize>>,
    admin_by_code: HashMap<crate::model::DivisionCode, usize>,
    /// For each building, the grids holding (some of) its households.
    grids_of_building: BuildingGrids,
}

/// For each building, the grids holding (some of) its households, as one flat list
/// with each building's start in it: a county has hundreds of thousands of buildings,
/// almost all in one grid, and an edit rebuilds the lists in two passes without an
/// allocation per building.
#[derive(Debug, Clone, Default)]
struct BuildingGrids {
    /// Building `b`'s grids are `grids[starts[b]..starts[b + 1]]`.
    starts: Vec<usize>,
    grids: Vec<usize>,
}

impl BuildingGrids {
    /// The lists of `buildings` buildings from `(building, grid)` pairs; each building's
    /// grids keep the pairs' order.
    fn from_pairs(buildings: usize, pairs: &[(usize, usize)]) -> BuildingGrids {
        let mut starts = vec![0usize; buildings + 1];
        for &(b, _) in pairs {
            if let Some(n) = starts.get_mut(b + 1) {
                *n += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut grids = vec![0usize; starts.last().copied().unwrap_or(0)];
        for &(b, g) in pairs {
            if let Some(slot) = next.get_mut(b) {
                if let Some(cell) = grids.get_mut(*slot) {
                    *cell = g;
                    *slot += 1;
                }
            }
        }
        BuildingGrids { starts, grids }
    }

    fn of(&self, building: usize) -> &[usize] {
        match (self.starts.get(building), self.starts.get(building + 1)) {
            (Some(&start), Some(&end)) => self.grids.get(start..end).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Every `(building, grid)` pair, by building.
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.starts.len().saturating_sub(1))
            .flat_map(move |b| self.of(b).iter().map(move |&g| (b, g)))
    }
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
            staff: Arc::default(),
            admin_index,
            building_index,
            grid_index: RTree::new(),
            building_by_id: Arc::new(building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: Arc::default(),
            admin_by_code,
            grids_of_building: BuildingGrids::default(),
        };
        empty.with_grids(grids).with_staff(staff)
    }

    /// This county with the grids of `village` replaced by `grids` and, when `staff`
    /// is given, the roster replaced by it (a grid edit). Units, buildings, the other
    /// villages' grids and an unchanged roster are shared, not copied; the grids of
    /// other villages keep their order.
    ///
    /// ```
    /// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
    /// use gridmap_core::snapshot::CountySnapshot;
    /// let (v, b) = gridmap_synth::small::villages(1, 200, 2);
    /// let refs: Vec<&_> = b.iter().collect();
    /// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
    /// let grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
    /// let snap = CountySnapshot::new(v.clone(), b.clone(), grids.clone(), vec![]);
    /// let fewer = snap.with_village_grids(&v[0].code, grids[1..].to_vec(), None);
    /// assert_eq!(fewer.grids.len(), grids.len() - 1);
    /// assert!(fewer.grid(&grids[0].code).is_none());
    /// assert!(std::sync::Arc::ptr_eq(&fewer.buildings, &snap.buildings));
    /// ```
    pub fn with_village_grids(
        &self,
        village: &crate::model::DivisionCode,
        grids: Vec<Grid>,
        staff: Option<Vec<Staff>>,
    ) -> CountySnapshot {
        // Kept grids move up over the village's old ones; `remap` says where to.
        let mut remap = vec![usize::MAX; self.grids.len()];
        let mut all = Vec::with_capacity(self.grids.len() + grids.len());
        for (old, g) in self.grids.iter().enumerate() {
            if &g.village != village {
                remap[old] = all.len();
                all.push(Arc::clone(g));
            }
        }
        // Only the village's buildings are looked up by id; the others keep their
        // grids under the new indices.
        let mut pairs: Vec<(usize, usize)> = self
            .grids_of_building
            .pairs()
            .filter_map(|(b, g)| {
                let moved = remap.get(g).copied().filter(|&n| n != usize::MAX)?;
                Some((b, moved))
            })
            .collect();
        for grid in grids {
            self.note_members(&mut pairs, all.len(), &grid);
            all.push(Arc::new(grid));
        }
        let grids_of_building = BuildingGrids::from_pairs(self.buildings.len(), &pairs);
        let next = self
            .clone_shared()
            .with_indexed_grids(all, grids_of_building);
        match staff {
            Some(staff) => next.with_staff(staff),
            None => CountySnapshot {
                staff: Arc::clone(&self.staff),
                staff_by_id: Arc::clone(&self.staff_by_id),
                ..next
            },
        }
    }

    /// The shared and small parts (grids and staff left empty).
    fn clone_shared(&self) -> CountySnapshot {
        CountySnapshot {
            admin_units: self.admin_units.clone(),
            buildings: Arc::clone(&self.buildings),
            grids: Vec::new(),
            staff: Arc::default(),
            admin_index: self.admin_index.clone(),
            building_index: Arc::clone(&self.building_index),
            grid_index: RTree::new(),
            building_by_id: Arc::clone(&self.building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: Arc::default(),
            admin_by_code: self.admin_by_code.clone(),
            grids_of_building: BuildingGrids::default(),
        }
    }

    /// Indexes `grids` into this snapshot.
    fn with_grids(self, grids: Vec<Grid>) -> CountySnapshot {
        let mut pairs = Vec::with_capacity(self.buildings.len());
        for (gi, grid) in grids.iter().enumerate() {
            self.note_members(&mut pairs, gi, grid);
        }
        let grids_of_building = BuildingGrids::from_pairs(self.buildings.len(), &pairs);
        let grids = grids.into_iter().map(Arc::new).collect();
        self.with_indexed_grids(grids, grids_of_building)
    }

    /// Notes `(building, gi)` for each building `grid` holds households of.
    fn note_members(&self, pairs: &mut Vec<(usize, usize)>, gi: usize, grid: &Grid) {
        let buildings = grid
            .members
            .iter()
            .filter_map(|m| self.building_by_id.get(&m.building));
        pairs.extend(buildings.map(|&bi| (bi, gi)));
    }

    /// Indexes `grids`, given the grids of each building.
    fn with_indexed_grids(
        self,
        grids: Vec<Arc<Grid>>,
        grids_of_building: BuildingGrids,
    ) -> CountySnapshot {
        let grid_index = index_of(&grids, |g| &g.polygon);
        let grid_by_code = grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.code.clone(), i))
            .collect();
        CountySnapshot {
            grids,
            grid_index,
            grid_by_code,
            grids_of_building,
            ..self
        }
    }

    /// Indexes the roster `staff` into this snapshot.
    fn with_staff(self, staff: Vec<Staff>) -> CountySnapshot {
        let staff_by_id = staff
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        CountySnapshot {
            staff: Arc::new(staff),
            staff_by_id: Arc::new(staff_by_id),
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
        self.grid_by_code
            .get(code)
            .and_then(|&i| self.grids.get(i))
            .map(|g| &**g)
    }

    pub fn grid_index(&self, code: &GridCode) -> Option<usize> {
        self.grid_by_code.get(code).copied()
    }

    pub fn staff_member(&self, id: &str) -> Option<&Staff> {
        self.staff_by_id.get(id).and_then(|&i| self.staff.get(i))
    }

    /// Grids (indices) that hold households of building `building_index`.
    pub fn grids_of_building(&self, building_index: usize) -> &[usize] {
        self.grids_of_building.of(building_index)
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
