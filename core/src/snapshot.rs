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

use crate::model::{AdminLevel, AdminUnit, Building, DivisionCode, Grid, GridCode, Staff};
use geo::BoundingRect;
use geo_types::{MultiPolygon, Rect};
use rstar::{RTree, RTreeObject, AABB};
use std::collections::{BTreeMap, HashMap, HashSet};
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
            let envelope = envelope(shape(item))?;
            Some(IndexedBox { index, envelope })
        })
        .collect();
    RTree::bulk_load(boxes)
}

/// The bounding box of `shape`, `None` when it is empty.
fn envelope(shape: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    shape.bounding_rect().map(aabb)
}

/// Notes `(building, key)` for each building `grid` holds households of.
/// Notes the buildings `grid` holds households of. Only grids of the micro level count:
/// a comprehensive grid holds the same households as its micro-grids, and is found
/// through their `parent`.
fn note_members(
    building_by_id: &HashMap<String, usize>,
    pairs: &mut Vec<(usize, GridKey)>,
    key: GridKey,
    grid: &Grid,
) {
    if grid.is_comprehensive() {
        return;
    }
    let buildings = grid
        .members
        .iter()
        .filter_map(|m| building_by_id.get(&m.building));
    pairs.extend(buildings.map(|&b| (b, key)));
}

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

/// One county's layers with R-tree indexes and lookup tables. The building layer (the
/// bulk of a county) is shared between snapshots: [`CountySnapshot::with_village_grids`]
/// makes the next snapshot after a grid edit without copying or re-indexing it, and
/// copies of the other per-county parts only where the edited village is.
#[derive(Debug, Clone)]
pub struct CountySnapshot {
    pub admin_units: Arc<Vec<AdminUnit>>,
    pub buildings: Arc<Vec<Building>>,
    /// The grids, each behind an `Arc` so the next snapshot after an edit shares the
    /// grids of every other village instead of copying them.
    pub grids: Vec<Arc<Grid>>,
    /// The roster, shared between snapshots until an edit changes someone's grids.
    pub staff: Arc<Vec<Staff>>,
    admin_index: Arc<RTree<IndexedBox>>,
    building_index: Arc<RTree<IndexedBox>>,
    grid_index: RTree<IndexedBox>,
    /// Per grid (as `grids`): its key and its bounding box (`None` when empty).
    grid_keys: Vec<GridKey>,
    grid_boxes: Vec<Option<AABB<[f64; 2]>>>,
    /// Per key ever given in this line of snapshots: the grid's index, [`NO_GRID`] for
    /// a grid an edit replaced.
    key_index: Vec<u32>,
    building_by_id: Arc<HashMap<String, usize>>,
    grid_by_code: HashMap<GridCode, usize>,
    staff_by_id: Arc<HashMap<String, usize>>,
    admin_by_code: Arc<HashMap<crate::model::DivisionCode, usize>>,
    /// For each building, the grids holding (some of) its households.
    grids_of_building: BuildingGrids,
}

/// The `key_index` of a key whose grid is gone.
const NO_GRID: u32 = u32::MAX;

/// A grid's key in a snapshot: unlike its index in [`CountySnapshot::grids`], which
/// shifts when an edit replaces a village's grids, a key stays with the grid until the
/// grid is replaced, so the building→grid lists of other villages survive an edit
/// untouched.
type GridKey = u32;

/// Buildings per chunk of [`BuildingGrids`]: an edit copies the chunks holding the
/// village's buildings, a few of some thousand, instead of the county's lists.
const BUILDINGS_PER_CHUNK: usize = 4096;

/// For each building, the keys of the grids holding (some of) its households: a county
/// has hundreds of thousands of buildings, almost all in one grid. Stored as chunks of
/// [`BUILDINGS_PER_CHUNK`] buildings, each a flat list with each building's start in
/// it, shared between snapshots until an edit touches one of their buildings.
#[derive(Debug, Clone, Default)]
struct BuildingGrids {
    chunks: Vec<Arc<GridsChunk>>,
}

/// Building `first + b`'s grid keys are `keys[starts[b]..starts[b + 1]]`.
#[derive(Debug, Default)]
struct GridsChunk {
    starts: Vec<u32>,
    keys: Vec<GridKey>,
}

impl GridsChunk {
    fn of(&self, building: usize) -> &[GridKey] {
        match (self.starts.get(building), self.starts.get(building + 1)) {
            (Some(&start), Some(&end)) => {
                self.keys.get(start as usize..end as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }
}

impl BuildingGrids {
    /// The lists of `buildings` buildings from `(building, key)` pairs sorted by
    /// building; each building's keys keep the pairs' order.
    fn from_sorted_pairs(buildings: usize, pairs: &[(usize, GridKey)]) -> BuildingGrids {
        let mut chunks = Vec::with_capacity(buildings.div_ceil(BUILDINGS_PER_CHUNK));
        let mut rest = pairs;
        for first in (0..buildings).step_by(BUILDINGS_PER_CHUNK) {
            let count = BUILDINGS_PER_CHUNK.min(buildings - first);
            let split = rest.partition_point(|&(b, _)| b < first + count);
            let (mine, next) = rest.split_at(split);
            rest = next;
            chunks.push(Arc::new(chunk_of_pairs(first, count, mine)));
        }
        BuildingGrids { chunks }
    }

    /// These lists with the keys `gone` dropped and `added` (sorted by building) put in:
    /// chunks holding none of `buildings` (every building either touches) are shared.
    fn with_changes(
        &self,
        buildings: &[usize],
        gone: &HashSet<GridKey>,
        added: &[(usize, GridKey)],
    ) -> BuildingGrids {
        let mut chunks = self.chunks.clone();
        let mut touched: Vec<usize> = buildings.iter().map(|b| b / BUILDINGS_PER_CHUNK).collect();
        touched.sort_unstable();
        touched.dedup();
        for c in touched {
            let Some(old) = self.chunks.get(c) else {
                continue;
            };
            let first = c * BUILDINGS_PER_CHUNK;
            let from = added.partition_point(|&(b, _)| b < first);
            let to = added.partition_point(|&(b, _)| b < first + old.len());
            let mut pairs: Vec<(usize, GridKey)> = (0..old.len())
                .flat_map(|b| {
                    old.of(b)
                        .iter()
                        .filter(|k| !gone.contains(k))
                        .map(move |&k| (first + b, k))
                })
                .collect();
            pairs.extend_from_slice(&added[from..to]);
            // Stable: a building's kept keys stay before its added ones.
            pairs.sort_by_key(|&(b, _)| b);
            chunks[c] = Arc::new(chunk_of_pairs(first, old.len(), &pairs));
        }
        BuildingGrids { chunks }
    }

    fn of(&self, building: usize) -> &[GridKey] {
        self.chunks
            .get(building / BUILDINGS_PER_CHUNK)
            .map_or(&[], |c| c.of(building % BUILDINGS_PER_CHUNK))
    }
}

/// The chunk of buildings `first..first + count` from their `(building, key)` pairs,
/// sorted by building.
fn chunk_of_pairs(first: usize, count: usize, pairs: &[(usize, GridKey)]) -> GridsChunk {
    let mut chunk = GridsChunk {
        starts: Vec::with_capacity(count + 1),
        keys: pairs.iter().map(|&(_, k)| k).collect(),
    };
    let mut at = 0;
    for b in first..=first + count {
        chunk.starts.push(u32::try_from(at).unwrap_or(u32::MAX));
        while pairs.get(at).is_some_and(|&(pb, _)| pb == b) {
            at += 1;
        }
    }
    chunk
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
        let building_index = index_of(&buildings, |b| &b.footprint);
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
        let mut pairs = Vec::with_capacity(buildings.len());
        for (key, grid) in (0..).zip(&grids) {
            note_members(&building_by_id, &mut pairs, key, grid);
        }
        // Stable: a building's grids stay in grid order.
        pairs.sort_by_key(|&(b, _)| b);
        let grids_of_building = BuildingGrids::from_sorted_pairs(buildings.len(), &pairs);
        let grid_boxes = grids.iter().map(|g| envelope(&g.polygon)).collect();
        let grid_keys = (0..).take(grids.len()).collect();
        CountySnapshot {
            admin_units: Arc::new(admin_units),
            buildings: Arc::new(buildings),
            grids: grids.into_iter().map(Arc::new).collect(),
            staff: Arc::default(),
            admin_index: Arc::new(admin_index),
            building_index: Arc::new(building_index),
            grid_index: RTree::new(),
            grid_keys,
            grid_boxes,
            key_index: Vec::new(),
            building_by_id: Arc::new(building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: Arc::default(),
            admin_by_code: Arc::new(admin_by_code),
            grids_of_building,
        }
        .indexed()
        .with_staff(staff)
    }

    /// This county with the grids of `village` replaced by `grids` and, when `staff`
    /// is given, the roster replaced by it (a grid edit). Units, buildings, the other
    /// villages' grids and an unchanged roster are shared, not copied, and so are the
    /// building→grid lists away from the village; the grids of other villages keep
    /// their order.
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
        village: &DivisionCode,
        grids: Vec<Grid>,
        staff: Option<Vec<Staff>>,
    ) -> CountySnapshot {
        let villages = BTreeMap::from([(village.clone(), grids)]);
        self.with_villages_grids(villages, staff)
    }

    /// [`CountySnapshot::with_village_grids`] for several villages at once: the grids
    /// of each village of `villages` replaced by its list, the indexes built once (a
    /// server showing a burst of edits pays for one rebuild, not one per edit).
    pub fn with_villages_grids(
        &self,
        villages: BTreeMap<DivisionCode, Vec<Grid>>,
        staff: Option<Vec<Staff>>,
    ) -> CountySnapshot {
        let capacity = self.grids.len() + villages.values().map(Vec::len).sum::<usize>();
        let (mut all, mut keys, mut boxes) = (
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
            Vec::with_capacity(capacity),
        );
        // The village's buildings, before and after: only their chunks of the
        // building→grid lists are copied.
        let mut gone = HashSet::new();
        let mut old_pairs = Vec::new();
        for ((g, &key), &bbox) in self.grids.iter().zip(&self.grid_keys).zip(&self.grid_boxes) {
            if villages.contains_key(&g.village) {
                gone.insert(key);
                note_members(&self.building_by_id, &mut old_pairs, key, g);
            } else {
                all.push(Arc::clone(g));
                keys.push(key);
                boxes.push(bbox);
            }
        }
        let mut added = Vec::new();
        let mut next_key = GridKey::try_from(self.key_index.len()).unwrap_or(NO_GRID - 1);
        for grid in villages.into_values().flatten() {
            note_members(&self.building_by_id, &mut added, next_key, &grid);
            keys.push(next_key);
            boxes.push(envelope(&grid.polygon));
            all.push(Arc::new(grid));
            next_key = next_key.saturating_add(1).min(NO_GRID - 1);
        }
        added.sort_by_key(|&(b, _)| b);
        let buildings: Vec<usize> = old_pairs.iter().chain(&added).map(|&(b, _)| b).collect();
        let next = CountySnapshot {
            admin_units: Arc::clone(&self.admin_units),
            buildings: Arc::clone(&self.buildings),
            grids: all,
            staff: Arc::clone(&self.staff),
            admin_index: Arc::clone(&self.admin_index),
            building_index: Arc::clone(&self.building_index),
            grid_index: RTree::new(),
            grid_keys: keys,
            grid_boxes: boxes,
            key_index: Vec::new(),
            building_by_id: Arc::clone(&self.building_by_id),
            grid_by_code: HashMap::new(),
            staff_by_id: Arc::clone(&self.staff_by_id),
            admin_by_code: Arc::clone(&self.admin_by_code),
            grids_of_building: self
                .grids_of_building
                .with_changes(&buildings, &gone, &added),
        }
        .indexed();
        match staff {
            Some(staff) => next.with_staff(staff),
            None => next,
        }
    }

    /// Builds the grid R-tree, the code table and the key table from the grids, their
    /// keys and boxes.
    fn indexed(self) -> CountySnapshot {
        let boxes = self.grid_boxes.iter().enumerate();
        let grid_index = RTree::bulk_load(
            boxes
                .filter_map(|(index, b)| b.map(|envelope| IndexedBox { index, envelope }))
                .collect(),
        );
        let grid_by_code = self
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.code.clone(), i))
            .collect();
        let keys = self.grid_keys.iter().max().map_or(0, |&k| k as usize + 1);
        let mut key_index = vec![NO_GRID; keys.max(self.key_index.len())];
        for (i, &key) in self.grid_keys.iter().enumerate() {
            if let Some(slot) = key_index.get_mut(key as usize) {
                *slot = u32::try_from(i).unwrap_or(NO_GRID);
            }
        }
        CountySnapshot {
            grid_index,
            grid_by_code,
            key_index,
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

    /// A key that tells grid `index` of this snapshot apart from every grid of the
    /// snapshots made from it by [`CountySnapshot::with_village_grids`]: kept while the
    /// grid is, never given to another grid. What a cache of per-grid data keyed on it
    /// keeps across an edit.
    pub fn grid_key(&self, index: usize) -> Option<u32> {
        self.grid_keys.get(index).copied()
    }

    /// The index of the grid with `key` (see [`CountySnapshot::grid_key`]).
    pub fn grid_of_key(&self, key: u32) -> Option<usize> {
        self.key_index
            .get(key as usize)
            .filter(|&&i| i != NO_GRID)
            .map(|&i| i as usize)
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

    /// The comprehensive grid micro-grid `index` nests in, if grids are nested.
    pub fn parent_grid(&self, index: usize) -> Option<&Grid> {
        let parent = self.grids.get(index)?.parent.as_ref()?;
        self.grid(parent)
    }

    pub fn grid_index(&self, code: &GridCode) -> Option<usize> {
        self.grid_by_code.get(code).copied()
    }

    pub fn staff_member(&self, id: &str) -> Option<&Staff> {
        self.staff_by_id.get(id).and_then(|&i| self.staff.get(i))
    }

    /// Grids (indices) that hold households of building `building_index`, in grid order
    /// for a freshly loaded snapshot: the micro-grids where grids are nested (their
    /// comprehensive grids through [`CountySnapshot::parent_grid`]).
    pub fn grids_of_building(
        &self,
        building_index: usize,
    ) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.grids_of_building
            .of(building_index)
            .iter()
            .map(|&key| self.key_index.get(key as usize).map_or(NO_GRID, |&i| i) as usize)
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
