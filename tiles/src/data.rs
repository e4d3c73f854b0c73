//! Per-snapshot precomputation: everything tiles need that does not depend on the
//! tile, computed once when a snapshot is loaded.
//!
//! [`TileData::new`] projects every boundary, grid and footprint to Web-Mercator world
//! coordinates (in parallel), colours the grid adjacency graph ([`crate::colour`]),
//! places one label point per grid ([`crate::label_point`]), sums households and
//! grids per village and township, and derives each grid's violation flags.
//! Each building's `grids` attribute (its grid codes, comma-joined) is computed here
//! once instead of on every tile, in chunks of some thousand buildings: a chunk's values
//! go into one string (a value repeated by the next building is stored once) and each
//! building keeps the byte range of its value in it (8 bytes per building, read without
//! chasing pointers through the snapshot's grids). A grid edit writes again only the
//! chunks holding the village's buildings.
//!
//! # Complexity
//! O(n log n) in the number of features; about a second per million buildings on two
//! cores in a release build (see the `tile_bench` example).

use crate::colour::{colour_graph, grid_adjacency};
use crate::encode::WorldShape;
use crate::label_point::label_point;
use gridmap_core::flags::GridFlags;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminLevel, AdminUnit, DivisionCode, HouseholdCountSource};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Tile encoding and grid-size parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TileParams {
    /// Tile extent in integer units (4096).
    pub extent: u32,
    /// Clip buffer around the tile in extent units (64).
    pub buffer: u32,
    /// Douglas–Peucker tolerance in screen pixels of a 256-pixel tile (0.5).
    pub simplify_px: f64,
    /// Polygons smaller than this many screen pixels on both axes are dropped (0.5).
    pub min_feature_px: f64,
    /// Grids with fewer households are flagged `undersize` (30).
    pub min_households: u32,
    /// Grids with more households are flagged `oversize` (50).
    pub max_households: u32,
    /// Where grids are nested: the size range of comprehensive grids, which are
    /// flagged by it instead (`None`: one level of grids).
    pub comprehensive_households: Option<(u32, u32)>,
    /// Above this many bytes a tile is drawn again with a coarser minimum feature
    /// size (2, 8, then 32 pixels) until it fits (500 000).
    pub max_tile_bytes: usize,
}

impl Default for TileParams {
    fn default() -> Self {
        TileParams {
            extent: 4096,
            buffer: 64,
            simplify_px: 0.5,
            min_feature_px: 0.5,
            min_households: 30,
            max_households: 50,
            comprehensive_households: None,
            max_tile_bytes: 500_000,
        }
    }
}

impl TileParams {
    /// Default parameters with the county's grid size limits.
    ///
    /// ```
    /// let p = gridmap_tiles::TileParams::with_grid_size(30, 50);
    /// assert_eq!((p.min_households, p.max_households, p.extent), (30, 50, 4096));
    /// ```
    pub fn with_grid_size(min_households: u32, max_households: u32) -> Self {
        TileParams {
            min_households,
            max_households,
            ..TileParams::default()
        }
    }

    /// These parameters with comprehensive grids of `min..=max` households.
    ///
    /// ```
    /// let p = gridmap_tiles::TileParams::with_grid_size(30, 50).with_comprehensive(Some((300, 500)));
    /// assert_eq!(p.size_range(2), (300, 500));
    /// assert_eq!(p.size_range(1), (30, 50));
    /// ```
    pub fn with_comprehensive(mut self, range: Option<(u32, u32)>) -> Self {
        self.comprehensive_households = range;
        self
    }

    /// The household range grids of `level` are flagged by.
    pub fn size_range(&self, level: u8) -> (u32, u32) {
        match self.comprehensive_households {
            Some(range) if level == gridmap_core::Grid::COMPREHENSIVE => range,
            _ => (self.min_households, self.max_households),
        }
    }

    /// The clip buffer as a fraction of the tile width.
    pub fn buffer_fraction(&self) -> f64 {
        f64::from(self.buffer) / f64::from(self.extent.max(1))
    }
}

/// Households and grids counted inside an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdminStats {
    /// Sum of the households of the buildings in the unit.
    pub households: u64,
    /// Number of grids in the unit.
    pub grids: u32,
}

/// A snapshot plus everything precomputed for drawing tiles from it. Cheap to share
/// behind an `Arc`; rebuild it when the snapshot changes.
#[derive(Debug)]
pub struct TileData {
    snapshot: Arc<CountySnapshot>,
    params: TileParams,
    pub(crate) admin_shapes: Arc<Vec<WorldShape>>,
    pub(crate) admin_stats: Vec<AdminStats>,
    /// Households of each admin unit (from the buildings: grid edits leave them as
    /// they are).
    admin_households: Arc<Vec<u64>>,
    /// Shared between the states before and after a grid edit, like the grids.
    pub(crate) grid_shapes: Vec<Arc<WorldShape>>,
    pub(crate) grid_colours: Vec<u32>,
    pub(crate) grid_labels: Vec<Option<[f64; 2]>>,
    pub(crate) grid_flags: Vec<String>,
    /// Per grid: how many grids hold flats of the building it stands on (0 for ground
    /// grids).
    pub(crate) grid_stacks: Vec<u32>,
    pub(crate) building_shapes: Arc<Vec<WorldShape>>,
    /// The buildings' `grids` values, [`CODES_PER_CHUNK`] buildings a chunk.
    building_codes: Vec<Arc<CodesChunk>>,
}

/// Buildings per chunk of `grids` values.
const CODES_PER_CHUNK: usize = 4096;

/// The `grids` values of a run of buildings: back to back in `text`, each building's
/// byte range in `ranges`.
#[derive(Debug, Default)]
struct CodesChunk {
    text: String,
    ranges: Vec<(u32, u32)>,
}

impl CodesChunk {
    /// The values of buildings `first..first + count` of `snap` (see the module docs).
    fn of(snap: &CountySnapshot, first: usize, count: usize) -> CodesChunk {
        let mut chunk = CodesChunk {
            text: String::new(),
            ranges: Vec::with_capacity(count),
        };
        // The previous building's grids and range; `grids` is the buffer for this one's.
        let (mut previous, mut range) = (Vec::new(), (0, 0));
        let mut grids = Vec::new();
        for b in first..first + count {
            grids.clear();
            grids.extend(snap.grids_of_building(b));
            if grids != previous {
                let start = chunk.text.len();
                for (n, g) in grids.iter().filter_map(|&g| snap.grids.get(g)).enumerate() {
                    if n > 0 {
                        chunk.text.push(',');
                    }
                    chunk.text.push_str(g.code.as_str());
                }
                // A chunk stays far below 4 GB; a range that would not fit is left empty.
                range = match (u32::try_from(start), u32::try_from(chunk.text.len())) {
                    (Ok(a), Ok(b)) => (a, b),
                    _ => (0, 0),
                };
                std::mem::swap(&mut previous, &mut grids);
            }
            chunk.ranges.push(range);
        }
        chunk
    }

    fn get(&self, building: usize) -> Option<&str> {
        let &(start, end) = self.ranges.get(building)?;
        self.text.get(start as usize..end as usize)
    }
}

impl TileData {
    /// Precomputes tile data for `snapshot`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gridmap_core::snapshot::CountySnapshot;
    /// use gridmap_tiles::{TileData, TileParams};
    /// let snap = Arc::new(CountySnapshot::new(vec![], vec![], vec![], vec![]));
    /// let data = TileData::new(snap, TileParams::default());
    /// assert_eq!(data.colour_count(), 0);
    /// ```
    #[tracing::instrument(level = "info", skip_all, fields(
        buildings = snapshot.buildings.len(), grids = snapshot.grids.len()))]
    pub fn new(snapshot: Arc<CountySnapshot>, params: TileParams) -> TileData {
        let snap = &*snapshot;
        let admin_shapes: Vec<WorldShape> = snap
            .admin_units
            .par_iter()
            .map(|a| WorldShape::from_lonlat(&a.boundary))
            .collect();
        let building_shapes: Vec<WorldShape> = snap
            .buildings
            .par_iter()
            .with_min_len(1024)
            .map(|b| WorldShape::from_lonlat(&b.footprint))
            .collect();
        let admin_households = admin_households(snap);
        Self::with_grids_of(
            snapshot,
            params,
            Arc::new(admin_shapes),
            Arc::new(building_shapes),
            Arc::new(admin_households),
        )
    }

    /// Tile data for `snapshot`, which differs from this one's only in the grids of
    /// `villages` and in staff (see [`CountySnapshot::with_villages_grids`]). The admin
    /// and building shapes are shared; other villages' grids keep their shapes, labels,
    /// flags and colours; the villages' grids are drawn and coloured against their
    /// neighbours; only the villages' buildings get their `grids` codes again.
    pub fn with_villages_snapshot(
        &self,
        snapshot: Arc<CountySnapshot>,
        villages: &BTreeSet<DivisionCode>,
    ) -> TileData {
        let (old, snap) = (&*self.snapshot, &*snapshot);
        // Grids kept from the old snapshot keep their keys; the village's new grids have
        // keys the old one never gave.
        let old_index: Vec<Option<usize>> = (0..snap.grids.len())
            .map(|i| snap.grid_key(i).and_then(|k| old.grid_of_key(k)))
            .collect();
        let grid_shapes: Vec<Arc<WorldShape>> = snap
            .grids
            .par_iter()
            .zip(&old_index)
            .map(|(g, o)| match o.and_then(|i| self.grid_shapes.get(i)) {
                Some(shape) => Arc::clone(shape),
                None => Arc::new(WorldShape::from_lonlat(&g.polygon)),
            })
            .collect();
        let grid_labels = grid_shapes
            .par_iter()
            .zip(&old_index)
            .map(|(shape, o)| match o {
                Some(i) => self.grid_labels.get(*i).copied().flatten(),
                None => label_point(shape),
            })
            .collect();
        let grid_flags = snap
            .grids
            .iter()
            .zip(&old_index)
            .map(|(g, o)| match o.and_then(|i| self.grid_flags.get(i)) {
                Some(flags) => flags.clone(),
                None => {
                    let (min, max) = self.params.size_range(g.level);
                    GridFlags::of(g, snap.admin_unit(&g.village), min, max)
                        .names()
                        .join(",")
                }
            })
            .collect();
        let levels: Vec<u8> = snap.grids.iter().map(|g| g.level).collect();
        let grid_colours = recolour(&grid_shapes, &levels, &old_index, &self.grid_colours);
        // A kept grid's building has the same grids as before.
        let grid_stacks = snap
            .grids
            .iter()
            .zip(&old_index)
            .map(|(g, o)| match o.and_then(|i| self.grid_stacks.get(i)) {
                Some(&stack) => stack,
                None => stack_size(snap, g),
            })
            .collect();
        let admin_stats = self.admin_stats_after(snap, villages);
        // The chunks holding the villages' buildings, before and after, are written
        // again; the others are shared.
        let mut building_codes = self.building_codes.clone();
        let members = old
            .grids
            .iter()
            .chain(&snap.grids)
            .filter(|g| villages.contains(&g.village))
            .flat_map(|g| &g.members);
        let mut touched: Vec<usize> = members
            .filter_map(|m| snap.building_index(&m.building))
            .map(|b| b / CODES_PER_CHUNK)
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for c in touched {
            if let Some(chunk) = building_codes.get_mut(c) {
                let first = c * CODES_PER_CHUNK;
                *chunk = Arc::new(CodesChunk::of(snap, first, chunk.ranges.len()));
            }
        }
        TileData {
            snapshot,
            params: self.params.clone(),
            admin_shapes: Arc::clone(&self.admin_shapes),
            admin_stats,
            admin_households: Arc::clone(&self.admin_households),
            grid_shapes,
            grid_colours,
            grid_labels,
            grid_flags,
            grid_stacks,
            building_shapes: Arc::clone(&self.building_shapes),
            building_codes,
        }
    }

    /// The households and grid counts of the admin units after the grids of `villages`
    /// changed to those of `snap`: only the villages, their townships and the county
    /// change.
    fn admin_stats_after(
        &self,
        snap: &CountySnapshot,
        villages: &BTreeSet<DivisionCode>,
    ) -> Vec<AdminStats> {
        // Grids gained (or lost) per village, township and county.
        let mut gained: HashMap<DivisionCode, i64> = HashMap::new();
        for (s, sign) in [(&*self.snapshot, -1), (snap, 1)] {
            for g in s.grids.iter().filter(|g| villages.contains(&g.village)) {
                for unit in [g.village.clone(), g.village.township(), g.village.county()] {
                    *gained.entry(unit).or_default() += sign;
                }
            }
        }
        snap.admin_units
            .iter()
            .zip(&self.admin_stats)
            .map(|(a, stats)| {
                let change = gained.get(&a.code).copied().unwrap_or(0);
                if change == 0 {
                    return *stats;
                }
                let grids = (i64::from(stats.grids) + change).max(0);
                AdminStats {
                    grids: u32::try_from(grids).unwrap_or(u32::MAX),
                    ..*stats
                }
            })
            .collect()
    }

    /// Everything that depends on the grids, over shapes already projected.
    fn with_grids_of(
        snapshot: Arc<CountySnapshot>,
        params: TileParams,
        admin_shapes: Arc<Vec<WorldShape>>,
        building_shapes: Arc<Vec<WorldShape>>,
        admin_households: Arc<Vec<u64>>,
    ) -> TileData {
        let snap = &*snapshot;
        let grid_shapes: Vec<Arc<WorldShape>> = snap
            .grids
            .par_iter()
            .map(|g| Arc::new(WorldShape::from_lonlat(&g.polygon)))
            .collect();
        let levels: Vec<u8> = snap.grids.iter().map(|g| g.level).collect();
        let adjacency = same_level(grid_adjacency(&grid_shapes), &levels, None);
        let grid_colours = colour_graph(&adjacency);
        let grid_labels = grid_shapes.par_iter().map(|s| label_point(s)).collect();
        let village_of: HashMap<&DivisionCode, &AdminUnit> = snap
            .admin_units
            .iter()
            .filter(|a| a.level == AdminLevel::Village)
            .map(|a| (&a.code, a))
            .collect();
        let grid_flags = snap
            .grids
            .par_iter()
            .map(|g| {
                let village = village_of.get(&g.village).copied();
                let (min, max) = params.size_range(g.level);
                GridFlags::of(g, village, min, max).names().join(",")
            })
            .collect();
        let grid_stacks = snap.grids.iter().map(|g| stack_size(snap, g)).collect();
        let admin_stats = admin_stats(snap, &admin_households);
        let building_codes = (0..snap.buildings.len())
            .step_by(CODES_PER_CHUNK)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&first| {
                let count = CODES_PER_CHUNK.min(snap.buildings.len() - first);
                Arc::new(CodesChunk::of(snap, first, count))
            })
            .collect();
        TileData {
            snapshot,
            params,
            admin_shapes,
            admin_stats,
            admin_households,
            grid_shapes,
            grid_colours,
            grid_labels,
            grid_flags,
            grid_stacks,
            building_shapes,
            building_codes,
        }
    }

    /// The snapshot the tiles are drawn from.
    pub fn snapshot(&self) -> &Arc<CountySnapshot> {
        &self.snapshot
    }

    /// The parameters given to [`TileData::new`].
    pub fn params(&self) -> &TileParams {
        &self.params
    }

    /// The map colour (0-based) of grid `index`; adjacent grids never share one.
    pub fn grid_colour(&self, index: usize) -> Option<u32> {
        self.grid_colours.get(index).copied()
    }

    /// Number of distinct grid colours used.
    pub fn colour_count(&self) -> u32 {
        self.grid_colours.iter().max().map_or(0, |m| m + 1)
    }

    /// The label point of grid `index` as WGS84 lon/lat.
    pub fn grid_label(&self, index: usize) -> Option<(f64, f64)> {
        let p = self.grid_labels.get(index).copied().flatten()?;
        Some(crate::coord::world_to_lonlat(p[0], p[1]))
    }

    /// Violation flags of grid `index`, comma-separated (`undersize`, `oversize`,
    /// `noncontiguous`, `outside_village`); empty when the grid has none. Institution
    /// grids are not size-checked. `outside_village` means a polygon vertex lies more
    /// than 1 m outside the grid's village (a vertex test, cheaper than the core
    /// validator's exact area test).
    pub fn grid_flags(&self, index: usize) -> Option<&str> {
        self.grid_flags.get(index).map(String::as_str)
    }

    /// For a grid stacked on a building's footprint (a tower's whole-flat grid or an
    /// institution grid): how many grids hold flats of that building, the grids stacked
    /// on the footprint and the ground grid holding the remaining flats; `0` for a
    /// ground grid. Stacked grids share one polygon, so a click on the tower hits all.
    pub fn grid_stack(&self, index: usize) -> u32 {
        self.grid_stacks.get(index).copied().unwrap_or(0)
    }

    /// Households and grid count of admin unit `index`.
    pub fn admin_stats(&self, index: usize) -> Option<AdminStats> {
        self.admin_stats.get(index).copied()
    }

    /// Bounds of the data (WGS84), `None` when the snapshot is empty.
    pub fn bounds(&self) -> Option<geo_types::Rect<f64>> {
        self.snapshot.bounds()
    }

    /// Comma-separated codes of the grids holding households of building `index`
    /// (the `grids` attribute); `None` when no grid does.
    pub(crate) fn building_grid_codes(&self, index: usize) -> Option<&str> {
        self.building_codes
            .get(index / CODES_PER_CHUNK)?
            .get(index % CODES_PER_CHUNK)
            .filter(|c| !c.is_empty())
    }

    /// Whether building `index` has an estimated (not registered) household count.
    pub(crate) fn building_estimated(&self, index: usize) -> bool {
        self.snapshot
            .buildings
            .get(index)
            .is_some_and(|b| b.households.source == HouseholdCountSource::Estimated)
    }
}

/// `adjacency` without the pairs of grids of different levels: comprehensive grids are
/// coloured among themselves, micro-grids among themselves. `index` maps positions in
/// `adjacency` to positions in `levels` (identity when `None`).
fn same_level(
    mut adjacency: Vec<Vec<usize>>,
    levels: &[u8],
    index: Option<&[usize]>,
) -> Vec<Vec<usize>> {
    let level = |k: usize| levels.get(index.map_or(k, |ix| ix[k])).copied();
    for (k, list) in adjacency.iter_mut().enumerate() {
        let own = level(k);
        list.retain(|&n| level(n) == own);
    }
    adjacency
}

/// Colours for `shapes` after an edit: a shape that was there before (`old_index`) keeps
/// its colour; each new one takes the smallest colour none of its neighbours has,
/// the neighbours found among the shapes near the new ones only.
fn recolour(
    shapes: &[Arc<WorldShape>],
    levels: &[u8],
    old_index: &[Option<usize>],
    old: &[u32],
) -> Vec<u32> {
    let mut colours: Vec<Option<u32>> = old_index
        .iter()
        .map(|o| o.and_then(|i| old.get(i).copied()))
        .collect();
    let fresh: Vec<usize> = (0..shapes.len())
        .filter(|&i| colours[i].is_none())
        .collect();
    let Some(area) = fresh
        .iter()
        .filter_map(|&i| shapes.get(i))
        .map(|s| s.bbox)
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
    else {
        return colours.into_iter().map(Option::unwrap_or_default).collect();
    };
    let near: Vec<usize> = (0..shapes.len())
        .filter(|&i| {
            let b = shapes[i].bbox;
            b[0] <= area[2] && area[0] <= b[2] && b[1] <= area[3] && area[1] <= b[3]
        })
        .collect();
    let local: Vec<Arc<WorldShape>> = near.iter().map(|&i| Arc::clone(&shapes[i])).collect();
    let adjacency = same_level(grid_adjacency(&local), levels, Some(&near));
    for (k, &i) in near.iter().enumerate() {
        if colours[i].is_some() {
            continue;
        }
        let taken: Vec<u32> = adjacency[k]
            .iter()
            .filter_map(|&n| colours[near[n]])
            .collect();
        colours[i] = (0..).find(|c| !taken.contains(c));
    }
    colours.into_iter().map(Option::unwrap_or_default).collect()
}

/// Households of each admin unit, in `admin_units` order (villages by their buildings,
/// townships by their villages', the county all).
fn admin_households(snap: &CountySnapshot) -> Vec<u64> {
    let mut village_households: HashMap<&DivisionCode, u64> = HashMap::new();
    let mut township_households: HashMap<DivisionCode, u64> = HashMap::new();
    for b in snap.buildings.iter() {
        if let Some(v) = &b.village {
            let h = u64::from(b.households.count);
            *village_households.entry(v).or_default() += h;
            *township_households.entry(v.township()).or_default() += h;
        }
    }
    snap.admin_units
        .iter()
        .map(|a| match a.level {
            AdminLevel::Village => village_households.get(&a.code).copied().unwrap_or(0),
            AdminLevel::Township => township_households.get(&a.code).copied().unwrap_or(0),
            AdminLevel::County => village_households.values().sum(),
        })
        .collect()
}

fn admin_stats(snap: &CountySnapshot, households: &[u64]) -> Vec<AdminStats> {
    let mut village_grids: HashMap<&DivisionCode, u32> = HashMap::new();
    let mut township_grids: HashMap<DivisionCode, u32> = HashMap::new();
    for g in &snap.grids {
        *village_grids.entry(&g.village).or_default() += 1;
        *township_grids.entry(g.village.township()).or_default() += 1;
    }
    snap.admin_units
        .iter()
        .enumerate()
        .map(|(i, a)| AdminStats {
            households: households.get(i).copied().unwrap_or(0),
            grids: match a.level {
                AdminLevel::Village => village_grids.get(&a.code).copied().unwrap_or(0),
                AdminLevel::Township => township_grids.get(&a.code).copied().unwrap_or(0),
                AdminLevel::County => u32::try_from(snap.grids.len()).unwrap_or(u32::MAX),
            },
        })
        .collect()
}

/// See [`TileData::grid_stack`]: vertical grids are those whose members are flats of one
/// building (or an institution's grid), drawn on that building's footprint.
fn stack_size(snap: &CountySnapshot, g: &gridmap_core::Grid) -> u32 {
    let Some(first) = g.members.first() else {
        return 0;
    };
    let vertical = g.members.len() == 1 && (g.institution || first.flats.is_some());
    if !vertical {
        return 0;
    }
    let Some(b) = snap.building_index(&first.building) else {
        return 0;
    };
    let n = u32::try_from(snap.grids_of_building(b).len()).unwrap_or(u32::MAX);
    if n > 1 || g.institution {
        n
    } else {
        0
    }
}
