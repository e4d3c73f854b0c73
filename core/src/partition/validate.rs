//! The validator: every way a set of grids can break the rules.
//!
//! Area checks run in the village's local metric projection. Institution grids and
//! whole-flat tower grids stand on a building footprint and may overlap only as the
//! stacking rule allows (see `stack`): with grids stacked on the same footprint and with
//! the one ground grid holding the building's remaining flats, or (without remaining
//! flats) the one ground grid covering the whole footprint. Every other overlap is a
//! violation. Candidate overlapping pairs come from an rstar R-tree of grid boxes.
//! Area tolerances are relative: `1e-8 × village area` (but at least 1e-6 m²); boolean
//! operations (i_overlay) snap to an integer grid, and partitions measured here tile
//! their village to within a few 1e-10 of its area. Gaps are the village area minus the
//! union of the tiling grids (sum of areas minus pairwise overlaps).

use super::project::LocalProj;
use super::stack::{stands_on, vertical_overlaps, Layer};
use super::PartitionParams;
use crate::flags::GridFlags;
use crate::model::{AdminUnit, Building, Grid};
use geo::{Area, BooleanOps, BoundingRect};
use geo_types::MultiPolygon;
use rstar::{primitives::GeomWithData, RTree, AABB};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// (grid code, households, flats) of one building in one grid.
type Holding<'a> = (&'a str, u32, Option<(u32, u32)>);

/// One broken rule, naming the grid (or building) concerned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Violation {
    SizeOutOfRange {
        grid: String,
        households: u32,
        min: u32,
        max: u32,
    },
    HouseholdSumMismatch {
        grid: String,
        households: u32,
        members: u32,
    },
    WrongVillage {
        grid: String,
    },
    EmptyPolygon {
        grid: String,
    },
    NonContiguous {
        grid: String,
        pieces: usize,
    },
    OutsideVillage {
        grid: String,
        area_m2: f64,
    },
    Overlap {
        grid: String,
        other: String,
        area_m2: f64,
    },
    Gap {
        area_m2: f64,
    },
    UnknownBuilding {
        grid: String,
        building: String,
    },
    HouseholdsUnassigned {
        building: String,
        missing: u32,
    },
    HouseholdsInSeveralGrids {
        building: String,
        grids: Vec<String>,
    },
    /// A micro-grid that does not nest in its comprehensive grid, or a comprehensive
    /// grid whose households its micro-grids do not hold (see `validate_nesting`).
    NotNested {
        grid: String,
        reason: String,
    },
    /// A comprehensive grid whose polygon is not the union of its micro-grids'.
    NestingMismatch {
        grid: String,
        area_m2: f64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::SizeOutOfRange {
                grid,
                households,
                min,
                max,
            } => {
                write!(
                    f,
                    "grid {grid}: {households} households, outside {min}–{max}"
                )
            }
            Violation::HouseholdSumMismatch {
                grid,
                households,
                members,
            } => {
                write!(
                    f,
                    "grid {grid}: says {households} households but its members hold {members}"
                )
            }
            Violation::WrongVillage { grid } => {
                write!(f, "grid {grid}: code or village does not match the village")
            }
            Violation::EmptyPolygon { grid } => write!(f, "grid {grid}: empty polygon"),
            Violation::NonContiguous { grid, pieces } => {
                write!(f, "grid {grid}: polygon in {pieces} pieces")
            }
            Violation::OutsideVillage { grid, area_m2 } => {
                write!(f, "grid {grid}: {area_m2:.3} m² outside the village")
            }
            Violation::Overlap {
                grid,
                other,
                area_m2,
            } => {
                write!(f, "grid {grid}: overlaps grid {other} by {area_m2:.3} m²")
            }
            Violation::Gap { area_m2 } => {
                write!(f, "{area_m2:.3} m² of the village are in no grid")
            }
            Violation::UnknownBuilding { grid, building } => {
                write!(
                    f,
                    "grid {grid}: member {building} is not a building of the village"
                )
            }
            Violation::HouseholdsUnassigned { building, missing } => {
                write!(
                    f,
                    "building {building}: {missing} households are in no grid"
                )
            }
            Violation::HouseholdsInSeveralGrids { building, grids } => {
                write!(
                    f,
                    "building {building}: households counted in more than one grid ({})",
                    grids.join(", ")
                )
            }
            Violation::NotNested { grid, reason } => write!(f, "grid {grid}: {reason}"),
            Violation::NestingMismatch { grid, area_m2 } => write!(
                f,
                "grid {grid}: its polygon and the union of its micro-grids differ by {area_m2:.3} m²"
            ),
        }
    }
}

/// Lists every violation of `grids` as the grids of `village` holding `buildings`.
///
/// ```
/// use gridmap_core::partition::{partition_village, validate_grids, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 200, 5);
/// let refs: Vec<&_> = b.iter().collect();
/// let p = PartitionParams::default();
/// let out = partition_village(&VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] }, &p).unwrap();
/// assert!(validate_grids(&v[0], &refs, &out.grids, &p).is_empty());
/// // Dropping a grid leaves its households unassigned and its area uncovered.
/// let fewer = &out.grids[1..];
/// assert!(!validate_grids(&v[0], &refs, fewer, &p).is_empty());
/// ```
pub fn validate_grids(
    village: &AdminUnit,
    buildings: &[&Building],
    grids: &[Grid],
    params: &PartitionParams,
) -> Vec<Violation> {
    let by_id = by_source_id(buildings);
    let mut out = memberships(village, buildings, &by_id, grids, params);
    out.extend(geometry_violations(village, &by_id, grids, params));
    out
}

/// The violations of [`validate_grids`] that need no geometry: grids of another village,
/// household counts, sizes, and buildings held twice, by no grid or unknown. Cheap (no
/// polygon is touched), so an edit can be refused on them before its polygons are
/// checked.
///
/// ```
/// use gridmap_core::partition::{partition_village, validate_memberships, PartitionParams, VillageInput, Violation};
/// let (v, b) = gridmap_synth::small::villages(1, 200, 5);
/// let refs: Vec<&_> = b.iter().collect();
/// let p = PartitionParams::default();
/// let mut grids = partition_village(&VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] }, &p).unwrap().grids;
/// let taken = grids[0].members[0].clone();
/// grids[1].members.push(taken.clone());
/// grids[1].households += taken.households;
/// let found = validate_memberships(&v[0], &refs, &grids, &p);
/// assert!(found.iter().any(|v| matches!(v, Violation::HouseholdsInSeveralGrids { .. })));
/// ```
pub fn validate_memberships(
    village: &AdminUnit,
    buildings: &[&Building],
    grids: &[Grid],
    params: &PartitionParams,
) -> Vec<Violation> {
    memberships(village, buildings, &by_source_id(buildings), grids, params)
}

/// [`validate_memberships`] with the buildings by source id.
fn memberships(
    village: &AdminUnit,
    buildings: &[&Building],
    by_id: &HashMap<&str, &Building>,
    grids: &[Grid],
    params: &PartitionParams,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut held: HashMap<&str, Vec<Holding<'_>>> = HashMap::new();
    for g in grids {
        let code = g.code.as_str();
        if g.village != village.code || g.code.village() != village.code {
            out.push(Violation::WrongVillage {
                grid: code.to_owned(),
            });
        }
        let sum: u64 = g.members.iter().map(|m| u64::from(m.households)).sum();
        if sum != u64::from(g.households) {
            out.push(Violation::HouseholdSumMismatch {
                grid: code.to_owned(),
                households: g.households,
                members: u32::try_from(sum).unwrap_or(u32::MAX),
            });
        }
        let flags = GridFlags::of(g, Some(village), params.min, params.max);
        if flags.undersize || flags.oversize {
            out.push(Violation::SizeOutOfRange {
                grid: code.to_owned(),
                households: g.households,
                min: params.min,
                max: params.max,
            });
        }
        for m in &g.members {
            if !by_id.contains_key(m.building.as_str()) {
                out.push(Violation::UnknownBuilding {
                    grid: code.to_owned(),
                    building: m.building.clone(),
                });
            }
            held.entry(m.building.as_str())
                .or_default()
                .push((code, m.households, m.flats));
        }
    }
    for b in buildings {
        let list = held
            .get(b.source_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let total: u64 = list.iter().map(|e| u64::from(e.1)).sum();
        let mut ranges: Vec<(u32, u32)> = list.iter().filter_map(|e| e.2).collect();
        ranges.sort_unstable();
        let overlapping = ranges.windows(2).any(|w| w[1].0 < w[0].1);
        let whole_and_more = list.len() > 1 && list.iter().any(|e| e.2.is_none());
        if total > u64::from(b.households.count) || overlapping || whole_and_more {
            out.push(Violation::HouseholdsInSeveralGrids {
                building: b.source_id.clone(),
                grids: list.iter().map(|e| e.0.to_owned()).collect(),
            });
        } else if total < u64::from(b.households.count) {
            out.push(Violation::HouseholdsUnassigned {
                building: b.source_id.clone(),
                missing: b.households.count - u32::try_from(total).unwrap_or(0),
            });
        }
    }
    out
}

/// `buildings` by source id.
fn by_source_id<'b>(buildings: &[&'b Building]) -> HashMap<&'b str, &'b Building> {
    buildings
        .iter()
        .map(|b| (b.source_id.as_str(), *b))
        .collect()
}

/// The violations of [`validate_grids`] that need the polygons: empty or several-piece
/// polygons, area outside the village, overlaps and gaps.
fn geometry_violations(
    village: &AdminUnit,
    by_id: &HashMap<&str, &Building>,
    grids: &[Grid],
    params: &PartitionParams,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(c) = village.boundary.bounding_rect().map(|r| r.center()) else {
        return out;
    };
    let Some(proj) = LocalProj::new(c.x, c.y) else {
        return out;
    };
    let vl = proj.fwd_mp(&village.boundary);
    let varea = vl.unsigned_area();
    let tol = (varea * 1e-8).max(1e-6);
    let locals: Vec<MultiPolygon<f64>> = grids.iter().map(|g| proj.fwd_mp(&g.polygon)).collect();
    for (g, l) in grids.iter().zip(&locals) {
        let code = g.code.to_string();
        if l.0.is_empty() || l.unsigned_area() <= 0.0 {
            out.push(Violation::EmptyPolygon { grid: code });
            continue;
        }
        if GridFlags::of(g, None, params.min, params.max).noncontiguous {
            out.push(Violation::NonContiguous {
                grid: code.clone(),
                pieces: l.0.len(),
            });
        }
        let outside = l.difference(&vl).unsigned_area();
        if outside > tol {
            out.push(Violation::OutsideVillage {
                grid: code,
                area_m2: outside,
            });
        }
    }
    let footprint_area = |id: &str| {
        by_id
            .get(id)
            .map(|b| proj.fwd_mp(&b.footprint).unsigned_area())
    };
    let layers: Vec<Layer<'_>> = grids
        .iter()
        .zip(&locals)
        .map(|(g, l)| Layer {
            shape: l,
            stands_on: stands_on(g, l, footprint_area),
            grid: g,
        })
        .collect();
    let tiling: Vec<usize> = (0..grids.len())
        .filter(|&i| layers[i].stands_on.is_none() && !locals[i].0.is_empty())
        .collect();
    let boxes: Vec<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>> = tiling
        .iter()
        .filter_map(|&i| {
            let r = locals[i].bounding_rect()?;
            Some(GeomWithData::new(
                rstar::primitives::Rectangle::from_corners(
                    [r.min().x, r.min().y],
                    [r.max().x, r.max().y],
                ),
                i,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut overlap_sum = 0.0;
    for &i in &tiling {
        let Some(r) = locals[i].bounding_rect() else {
            continue;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        for other in tree.locate_in_envelope_intersecting(&env) {
            let j = other.data;
            if j <= i {
                continue;
            }
            let a = locals[i].intersection(&locals[j]).unsigned_area();
            overlap_sum += a;
            if a > tol {
                out.push(Violation::Overlap {
                    grid: grids[i].code.to_string(),
                    other: grids[j].code.to_string(),
                    area_m2: a,
                });
            }
        }
    }
    let (stacked_bad, _, cut_out) = vertical_overlaps(&layers, tol);
    for (i, j, a) in stacked_bad {
        if a > tol {
            out.push(Violation::Overlap {
                grid: grids[i].code.to_string(),
                other: grids[j].code.to_string(),
                area_m2: a,
            });
        }
    }
    // Union area by inclusion–exclusion over the pairwise overlaps found above, plus
    // the footprints cut out of the ground grids.
    let covered: f64 = tiling
        .iter()
        .map(|&i| locals[i].unsigned_area())
        .sum::<f64>()
        - overlap_sum
        + cut_out;
    let gap = varea - covered;
    if gap > tol {
        out.push(Violation::Gap { area_m2: gap });
    }
    out
}
