//! Grid partitioner: cuts every village into contiguous, compact grids of `min..=max`
//! households (30–50 by default), with polygons that tile the village.
//!
//! # Parameters
//! [`PartitionParams`]: `min`, `max`, `target` households per grid, whether institutions
//! become their own "vertical" grids, the longest link between neighbouring buildings
//! and the compaction effort. [`VillageInput`]: the village boundary and code, the
//! buildings whose representative point lies in it, barrier lines (roads, rivers,
//! railways) and the village's previous grids (locked ones are kept as they are).
//!
//! # Returns
//! [`VillagePartition`]: the grids (codes `<village>-<serial>`), a [`VillageReport`], the
//! number of households whose grid code changed since `previous`, and flags for things a
//! planner should look at. [`QualityReport`] sums a run; [`validate_grids`] lists every
//! violation of a set of grids.
//!
//! # Algorithm
//! Everything runs in a local metric projection of the village (affine, so straight
//! edges stay straight). Villages are independent and run in parallel with rayon.
//!
//! 1. **Units.** Each building becomes a point (its representative point). A building
//!    with more than `max` households is split by flats into whole grids of its own
//!    (`round(h/target)` clamped to `[ceil(h/max), floor(h/min)]` grids; when that is
//!    empty, `floor(h/max)` grids of `max` and a remainder below `min` that stays on the
//!    building's point and joins a neighbouring grid: a 55-household tower gives one
//!    grid of 50 and 5 flats in the next grid). Institutions become vertical grids when
//!    `institution_grids` is set. Buildings of locked grids are left out. Points that
//!    coincide are merged.
//! 2. **Neighbour graph.** A Delaunay triangulation of the points (spade, exact
//!    predicates) with eight far frame points, so every Voronoi cell is bounded. Links
//!    that cross a barrier (found through an rstar R-tree of barrier segments), that are
//!    longer than `max_link_m`, or whose dual Voronoi side has zero length (cocircular
//!    points) are dropped. Each connected component is a sub-problem; a component whose
//!    total cannot form grids in range (fewer than `min` households, say across a road)
//!    is joined to a neighbour over its shortest dropped link, so barriers only cut where
//!    both sides can stand alone.
//! 3. **Seeds.** A component of `H` households gets `k = round(H/target)` grids clamped to
//!    `[ceil(H/max), floor(H/min)]`. Below `min` it is one grid (flag `Undersized`); when
//!    the range is empty (55 with 30–50) it gets `floor(H/min)` grids above `max` (flag
//!    `Oversized`): we never make grids below `min` when we can avoid it. Seeds come from
//!    recursive household-weighted bisection along the inertial axis, the rounding
//!    remainder of each cut carried into the next part. Each part keeps its heaviest
//!    connected piece; cut-off sites are regrown from their lightest neighbouring part.
//! 4. **Refinement** by moving boundary sites, gain-ordered, a move allowed only if the
//!    donor stays connected: first until every size is in range (a lexicographic
//!    potential of range violation and sum of squared sizes, so moves cascade through
//!    neighbours and never cycle), then for compactness with the range as a hard limit
//!    (gain = Voronoi boundary length removed + moment-of-inertia decrease), and a few
//!    final passes on boundary length alone to straighten borders. Parts that still
//!    cannot be balanced are split or merged with a neighbour and balanced again.
//!    **Empty land**: borders count only where they run between settled parts (the
//!    part of a Voronoi side within 50 m of its two buildings), so the long sides of
//!    cells at a settlement's edge, out over fields to the village boundary, do not
//!    steer which buildings form a grid; the land goes to the grid of the nearest
//!    building (its Voronoi cell), and the report gives the compactness of the settled
//!    part of each grid next to the whole polygon's.
//! 5. **Polygons.** A grid's polygon is the union of its sites' Voronoi cells, built by
//!    shared-edge elimination on the Voronoi diagram (no boolean unions), then clipped
//!    to the village (minus locked grids) with one boolean intersection, and only for
//!    grids whose box meets the village outline (found through an R-tree of its edges).
//!    Grids therefore tile the village with no gaps or overlaps up to floating-point
//!    rounding (measured ≤ 1.3e-9 of the village area, ≤ 1e-8 with barrier zones;
//!    boolean operations snap to a 32-bit integer grid). Where barriers cut the
//!    village, it is first sliced into zones along the barrier lines (i_overlay's
//!    slice); zones whose buildings are in one graph component are joined,
//!    empty zones go to the neighbouring zone with the longest shared border, and each
//!    zone is tiled by its own sites' Voronoi cells, so grid outlines run along roads and
//!    rivers that separate grids. A piece of a cell cut off by a concave outline goes to
//!    the grid it borders most; a building whose cell is cut off from the rest of its
//!    grid moves to the grid it touches (sizes permitting) and the outlines are rebuilt.
//!    Whole-flat tower grids and institution grids use the building footprint, by the
//!    **stacking rule** (see `stack`): the ground grids tile the village with no
//!    overlap; a building whose households all belong to its own vertical grids is cut
//!    out of the ground grids and its grids are stacked on exactly its footprint; the
//!    one ground grid that takes a tower's remaining flats holds the whole footprint
//!    (stacked, identical geometry) and no other ground grid covers any of it. A
//!    footprint that would cut a ground grid in two when cut out is held by that grid
//!    instead, so every footprint lies outside all ground grids or wholly inside one.
//!    The footprints are cut out while the outlines are built, so a building left in a
//!    piece cut off from the rest of its grid moves like any other (below); empty
//!    pieces go to the neighbour they border most, corners enclosed by cut-out
//!    footprints to the footprint. The validator reports any other overlap.
//!    **Flat moves.** Where moving whole buildings cannot bring a grid of a feasible
//!    component into the range (a 44- and an 18-household building), flats move along
//!    the shortest chain of neighbouring grids (`flats`): any building can be split by
//!    flats, so every grid ends in range; a split building keeps at least one flat in
//!    the grid that draws it, and a tower's remaining flats never move. Buildings on the
//!    border between two grids give first; only where they hold too few flats does a
//!    building inside the grid give to the neighbour.
//! 6. **Codes** are numbered west→east in north→south rows. On a re-run, a grid with the
//!    same members as a previous grid keeps its code (and version if its polygon is also
//!    unchanged); changed grids take the code of the previous grid they share most
//!    households with (version + 1); new grids get the lowest free serials. A grid that
//!    keeps a previous code keeps that grid's `staff` too (fresh grids have none).
//!
//! **Repair.** With previous grids, the run starts from them: sites keep their previous
//! grid (a split building the grid that held most of it), new sites are regrown from
//! neighbours, pieces cut off are reassigned, grid counts are fixed per component by
//! splitting or merging, balance/compaction only touch grids that changed, and what
//! balancing cannot fix is left to flat moves rather than cutting a component again.
//! A high-rise keeps its previous vertical grids from flat 0 up as far as it still has
//! their flats; only the flats above are cut again. `moved_households` counts households whose grid code
//! changed.
//!
//! # Notes
//! Grid outlines follow a barrier only where it separates graph components; a road
//! that grids were allowed to straddle (to avoid a grid below `min`) is ignored by the
//! outlines there. Grid polygons can still come out in pieces in rare cases (a grid
//! joined across a road, a very concave outline, a locked grid in the way, a building
//! cut off by footprints that cannot move without leaving the range): the report
//! counts them and a `NonContiguous` flag names them. Serials have three digits, so a
//! village holds at most 999 grids (institution grids included).
//!
//! # Complexity
//! `O(n log n)` per village for `n` buildings (triangulation, sorting); refinement passes
//! are linear in the boundary sites; polygon work is linear in the Voronoi sides plus
//! one clip per boundary grid.
//!
//! # Examples
//! ```
//! use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
//! let (villages, buildings) = gridmap_synth::small::villages(1, 200, 7);
//! let refs: Vec<&_> = buildings.iter().collect();
//! let input = VillageInput { village: &villages[0], buildings: &refs, barriers: &[], previous: &[] };
//! let out = partition_village(&input, &PartitionParams::default()).unwrap();
//! let total: u32 = out.grids.iter().map(|g| g.households).sum();
//! assert_eq!(total, buildings.iter().map(|b| b.households.count).sum::<u32>());
//! assert!(out.grids.iter().all(|g| g.code.as_str().starts_with(villages[0].code.as_str())));
//! ```
//!
//! # Errors
//! [`PartitionError`]: invalid sizes, an unusable village boundary, more than 999 grids
//! in a village, or a failed triangulation.

mod assemble;
mod codes;
mod counts;
mod error;
mod flats;
mod graph;
mod nested;
mod outline;
mod polygon;
pub(crate) mod project;
mod refine;
mod repair;
mod report;
mod run;
mod seed;
mod stack;
mod state;
mod units;
mod validate;
mod zones;

pub use error::{PartitionError, PartitionFlag, PartitionResult};
pub use nested::{
    nesting_error, partition_village_nested, rebuild_nested, validate_nesting, EditedLevel,
    NestedPartition, NESTING_TOLERANCE_M,
};
pub use report::{QualityReport, VillageReport};
pub use validate::{validate_grids, validate_memberships, Violation};

use crate::model::{AdminUnit, Barrier, Building, Grid};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Sizes and knobs of a partition run.
///
/// ```
/// use gridmap_core::partition::PartitionParams;
/// let p = PartitionParams::default();
/// assert_eq!((p.min, p.max, p.target, p.institution_grids), (30, 50, 40, false));
/// let q = PartitionParams::new(20, 40, 30).with_institution_grids(true);
/// assert_eq!(q.max, 40);
/// // Parameters stored before a field existed load with its default.
/// let stored: PartitionParams = serde_json::from_str(r#"{"min": 20, "max": 40, "target": 30}"#).unwrap();
/// assert_eq!((stored.max, stored.max_staff_households), (40, 100));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionParams {
    /// Fewest households in a grid.
    pub min: u32,
    /// Most households in a grid; buildings above it are split by flats.
    pub max: u32,
    /// Preferred households per grid (sets the number of grids).
    pub target: u32,
    /// Institutions become separate vertical grids instead of ordinary members.
    pub institution_grids: bool,
    /// Buildings farther apart than this (metres) are not neighbours (separate hamlets).
    pub max_link_m: f64,
    /// Compaction passes.
    pub compact_passes: u32,
    /// Final smoothing passes (boundary length only).
    pub smooth_passes: u32,
    /// Weight of the moment-of-inertia term against boundary length in compaction
    /// (larger = weaker).
    pub compact_scale: f64,
    /// Smallest frame radius around the buildings (metres), keeps cells bounded.
    pub frame_m: f64,
    /// Most households one staff member should serve across all their grids: a soft
    /// rule the planner flags (`staff_overload`), never enforced by the partitioner.
    /// Parameters stored before it existed load with the default (`#[serde(default)]`
    /// on the struct).
    pub max_staff_households: u32,
    /// Whether flats may move between grids where whole buildings cannot bring a grid
    /// into the range (on by default). Off for comprehensive grids: a building whose
    /// flats were split between comprehensive grids would leave micro-grids standing on
    /// a footprint another comprehensive grid covers; a comprehensive grid slightly out
    /// of its wide range is flagged instead.
    pub split_buildings: bool,
    /// Sizes of the comprehensive grids (综治网格) when villages are cut at two levels:
    /// `min`/`max`/`target` above are then the sizes of their micro-grids. `None` (the
    /// default): one level of grids.
    pub comprehensive: Option<LevelSizes>,
}

/// Households per grid at one level of nested grids.
///
/// ```
/// use gridmap_core::partition::{LevelSizes, PartitionParams};
/// let p = PartitionParams::default().with_comprehensive(Some(LevelSizes::new(300, 500)));
/// let upper = p.comprehensive_params().unwrap();
/// assert_eq!((upper.min, upper.target, upper.max), (300, 400, 500));
/// assert!(upper.comprehensive.is_none());
/// assert!(PartitionParams::default().comprehensive_params().is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelSizes {
    pub min: u32,
    pub max: u32,
    pub target: u32,
}

impl LevelSizes {
    /// `min..=max` with the midpoint as target.
    pub fn new(min: u32, max: u32) -> LevelSizes {
        LevelSizes {
            min,
            max,
            target: min + (max.saturating_sub(min)) / 2,
        }
    }
}

impl Default for PartitionParams {
    fn default() -> Self {
        PartitionParams {
            min: 30,
            max: 50,
            target: 40,
            institution_grids: false,
            max_link_m: 250.0,
            compact_passes: 30,
            smooth_passes: 10,
            compact_scale: 1.0,
            frame_m: 100.0,
            // Two full grids of the default maximum.
            max_staff_households: 100,
            split_buildings: true,
            comprehensive: None,
        }
    }
}

impl PartitionParams {
    /// Sizes with default knobs.
    pub fn new(min: u32, max: u32, target: u32) -> PartitionParams {
        PartitionParams {
            min,
            max,
            target,
            ..PartitionParams::default()
        }
    }

    /// Turns vertical institution grids on or off.
    pub fn with_institution_grids(mut self, on: bool) -> PartitionParams {
        self.institution_grids = on;
        self
    }

    /// Sets (or, with `None`, clears) the comprehensive level.
    pub fn with_comprehensive(mut self, sizes: Option<LevelSizes>) -> PartitionParams {
        self.comprehensive = sizes;
        self
    }

    /// The parameters of the comprehensive level: these knobs with its sizes; `None`
    /// for one level of grids. Institutions are ordinary members at this level: an
    /// institution's own grid (单位网格) is a micro-grid within a comprehensive grid.
    pub fn comprehensive_params(&self) -> Option<PartitionParams> {
        self.comprehensive.map(|c| PartitionParams {
            min: c.min,
            max: c.max,
            target: c.target,
            institution_grids: false,
            split_buildings: false,
            // Fewer passes: the micro-grids are cut from these outlines and compacted
            // themselves; measured in `gridmap bench partition --levels`.
            compact_passes: self.compact_passes.min(10),
            smooth_passes: self.smooth_passes.min(4),
            comprehensive: None,
            ..self.clone()
        })
    }

    fn check(&self) -> PartitionResult<()> {
        if self.min == 0 || self.min > self.target || self.target > self.max {
            return Err(PartitionError::InvalidParams {
                min: self.min,
                max: self.max,
                target: self.target,
            });
        }
        Ok(())
    }
}

/// One village to partition.
#[derive(Debug, Clone, Copy)]
pub struct VillageInput<'a> {
    /// Boundary (WGS84) and 12-digit code.
    pub village: &'a AdminUnit,
    /// Buildings whose representative point lies in the village.
    pub buildings: &'a [&'a Building],
    /// Roads, rivers, railways (WGS84 lines).
    pub barriers: &'a [&'a Barrier],
    /// The village's previous grids; locked ones are kept unchanged, unlocked level-1
    /// grids are the starting point of a repair (other levels are ignored).
    pub previous: &'a [Grid],
}

/// The grids of one village and how the run went.
#[derive(Debug, Clone, Serialize)]
pub struct VillagePartition {
    /// All grids of the village (locked, residential, tower and institution grids),
    /// sorted by code.
    pub grids: Vec<Grid>,
    pub report: VillageReport,
    /// Households whose grid code differs from `previous` (0 on a first run).
    pub moved_households: u32,
    pub flags: Vec<PartitionFlag>,
}

/// Partitions one village. See the module docs for the algorithm.
///
/// ```
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let p = PartitionParams::default();
/// let out = partition_village(&input, &p).unwrap();
/// assert!(out.grids.iter().filter(|g| !g.institution).all(|g| g.households >= p.min && g.households <= p.max));
/// ```
#[tracing::instrument(
    skip_all,
    fields(village = %input.village.code, buildings = input.buildings.len()),
    err(Display)
)]
pub fn partition_village(
    input: &VillageInput<'_>,
    params: &PartitionParams,
) -> PartitionResult<VillagePartition> {
    params.check()?;
    run::run(input, params, run::Mode::Optimise)
}

/// Draws the polygons of a village's grids again for the memberships they have, after an
/// edit moved buildings between them: `previous` holds the edited grids, each keeps
/// exactly its buildings, codes stay with their members, and the polygons tile the
/// village again (locked grids and their polygons stay as they are). Buildings in no
/// grid join the grid they border. Sizes are not corrected: the validator and the flags
/// show what the edit did. High-rises above `max` households are cut into whole-flat
/// grids by `params` as in [`partition_village`].
///
/// ```
/// use gridmap_core::partition::{partition_village, rebuild_polygons, validate_grids, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let p = PartitionParams::default();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let grids = partition_village(&input, &p).unwrap().grids;
/// let again = rebuild_polygons(&VillageInput { previous: &grids, ..input }, &p).unwrap();
/// assert!(validate_grids(&v[0], &refs, &again.grids, &p).is_empty());
/// assert_eq!(again.moved_households, 0);
/// ```
pub fn rebuild_polygons(
    input: &VillageInput<'_>,
    params: &PartitionParams,
) -> PartitionResult<VillagePartition> {
    params.check()?;
    run::run(input, params, run::Mode::Rebuild)
}

/// The partition operation, for callers who prefer a method (geo style):
/// `input.partition()` uses the default sizes, `input.partition_with_params(&p)` others.
/// The algorithm is deterministic, so there is no seed to set.
///
/// ```
/// use gridmap_core::partition::{Partition, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 120, 4);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let a = input.partition().unwrap();
/// let b = input.partition_with_params(&PartitionParams::default()).unwrap();
/// assert_eq!(a.grids, b.grids);
/// ```
pub trait Partition {
    /// Partitions with [`PartitionParams::default`].
    fn partition(&self) -> PartitionResult<VillagePartition> {
        self.partition_with_params(&PartitionParams::default())
    }

    /// Partitions with the given sizes and knobs.
    fn partition_with_params(&self, params: &PartitionParams) -> PartitionResult<VillagePartition>;
}

impl Partition for VillageInput<'_> {
    fn partition_with_params(&self, params: &PartitionParams) -> PartitionResult<VillagePartition> {
        partition_village(self, params)
    }
}

/// Partitions many villages in parallel (rayon); one result per input, in order.
///
/// ```
/// use gridmap_core::partition::{partition_all, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(3, 100, 2);
/// let per: Vec<Vec<&_>> = v.iter().map(|v| b.iter().filter(|b| b.village.as_ref() == Some(&v.code)).collect()).collect();
/// let inputs: Vec<VillageInput> = v.iter().zip(&per).map(|(v, bs)| VillageInput { village: v, buildings: bs, barriers: &[], previous: &[] }).collect();
/// let out = partition_all(&inputs, &PartitionParams::default());
/// assert_eq!(out.len(), 3);
/// assert!(out.iter().all(|r| r.is_ok()));
/// ```
pub fn partition_all(
    inputs: &[VillageInput<'_>],
    params: &PartitionParams,
) -> Vec<PartitionResult<VillagePartition>> {
    inputs
        .par_iter()
        .map(|i| partition_village(i, params))
        .collect()
}

/// Partitions many villages in parallel at the levels `params` asks for: one level, or
/// comprehensive grids cut into micro-grids when `params.comprehensive` is set (then
/// each result has a `comprehensive` part). One result per input, in order.
///
/// ```
/// use gridmap_core::partition::{partition_all_levels, LevelSizes, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(2, 400, 2);
/// let per: Vec<Vec<&_>> = v.iter().map(|v| b.iter().filter(|b| b.village.as_ref() == Some(&v.code)).collect()).collect();
/// let inputs: Vec<VillageInput> = v.iter().zip(&per).map(|(v, bs)| VillageInput { village: v, buildings: bs, barriers: &[], previous: &[] }).collect();
/// let one = partition_all_levels(&inputs, &PartitionParams::default());
/// assert!(one.iter().all(|r| r.as_ref().unwrap().comprehensive.is_none()));
/// let two = PartitionParams::default().with_comprehensive(Some(LevelSizes::new(300, 500)));
/// let nested = partition_all_levels(&inputs, &two);
/// assert!(nested.iter().all(|r| r.as_ref().unwrap().comprehensive.is_some()));
/// ```
pub fn partition_all_levels(
    inputs: &[VillageInput<'_>],
    params: &PartitionParams,
) -> Vec<PartitionResult<LevelPartition>> {
    let upper = params.comprehensive_params();
    inputs
        .par_iter()
        .map(|i| match &upper {
            None => partition_village(i, params).map(|micro| LevelPartition {
                comprehensive: None,
                micro,
            }),
            Some(upper) => partition_village_nested(i, upper, params).map(|n| LevelPartition {
                comprehensive: Some(n.comprehensive),
                micro: n.micro,
            }),
        })
        .collect()
}

/// One village's grids at one or two levels (see [`partition_all_levels`]).
#[derive(Debug, Clone, Serialize)]
pub struct LevelPartition {
    /// The comprehensive grids, when grids are nested.
    pub comprehensive: Option<VillagePartition>,
    /// The grids that hold households: the only level, or the micro-grids.
    pub micro: VillagePartition,
}

impl LevelPartition {
    /// All grids of the village, comprehensive grids first.
    pub fn grids(&self) -> impl Iterator<Item = &Grid> {
        self.comprehensive
            .iter()
            .flat_map(|c| &c.grids)
            .chain(&self.micro.grids)
    }

    /// All flags, the comprehensive level's first.
    pub fn flags(&self) -> impl Iterator<Item = &PartitionFlag> {
        self.comprehensive
            .iter()
            .flat_map(|c| &c.flags)
            .chain(&self.micro.flags)
    }
}
