//! From parts to [`Grid`]s: members, WGS84 polygons, codes, versions and the report.

use super::codes::{self, CodeInput};
use super::error::{PartitionError, PartitionFlag, PartitionResult};
use super::polygon::ClipRegion;
use super::project::LocalProj;
use super::report::VillageReport;
use super::stack::{give_enclosed_to_footprints, vertical_overlaps, Footprints, Layer};
use super::units::{Member, Prepared};
use super::{PartitionParams, VillageInput, VillagePartition};
use crate::geometry::connected_parts;
use crate::model::{Building, Grid, GridMember};
use geo::{Area, Centroid};
use geo_types::MultiPolygon;
use std::collections::HashMap;
use std::time::Instant;

/// A residential part with its clipped polygon (local metres).
pub(crate) struct AreaPart {
    pub members: Vec<Member>,
    pub shape: MultiPolygon<f64>,
    /// Its component's total can be cut into grids within the range.
    pub feasible: bool,
    /// Positions of its sites (local metres).
    pub sites: Vec<[f64; 2]>,
}

struct NewGrid {
    members: Vec<GridMember>,
    households: u32,
    local: MultiPolygon<f64>,
    institution: bool,
    /// Whole-flat tower grid or institution grid (shares a footprint; not in the tiling).
    vertical: bool,
    feasible: bool,
    key: [f64; 2],
}

/// Polsby-Popper score 4πA/P² of a shape in metres.
pub(crate) fn polsby_popper(shape: &MultiPolygon<f64>) -> Option<f64> {
    let area = shape.unsigned_area();
    let perim = crate::geometry::planar_perimeter(shape);
    (area > 0.0 && perim > 0.0).then(|| 4.0 * std::f64::consts::PI * area / (perim * perim))
}

fn to_members(input: &VillageInput<'_>, ms: &[Member]) -> Vec<GridMember> {
    let mut out: Vec<GridMember> = ms
        .iter()
        .filter_map(|m| {
            input.buildings.get(m.building).map(|b| GridMember {
                building: b.source_id.clone(),
                households: m.households,
                flats: m.flats,
            })
        })
        .collect();
    out.sort_by(|a, b| a.building.cmp(&b.building).then(a.flats.cmp(&b.flats)));
    out
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
    input: &VillageInput<'_>,
    params: &PartitionParams,
    proj: &LocalProj,
    clip: &ClipRegion,
    village_local: &MultiPolygon<f64>,
    parts: Vec<AreaPart>,
    prep: &Prepared,
    footprints: &Footprints,
    locked: &[&Grid],
    mut flags: Vec<PartitionFlag>,
    t0: Instant,
) -> PartitionResult<VillagePartition> {
    let village = input.village;
    let mut new: Vec<NewGrid> = Vec::new();
    let mut sites_of: Vec<Vec<[f64; 2]>> = Vec::new();
    for p in parts {
        sites_of.push(p.sites.clone());
        let members = to_members(input, &p.members);
        let key = p
            .shape
            .centroid()
            .map(|c| [c.x(), c.y()])
            .unwrap_or([0.0, 0.0]);
        new.push(NewGrid {
            households: members
                .iter()
                .fold(0u32, |a, m| a.saturating_add(m.households)),
            members,
            local: p.shape,
            institution: false,
            vertical: false,
            feasible: p.feasible,
            key,
        });
    }
    if prep.sites.is_empty() && clip.shape.unsigned_area() > 1e-6 {
        if locked.is_empty() {
            flags.push(PartitionFlag::Undersized { households: 0 });
            let key = clip
                .shape
                .centroid()
                .map(|c| [c.x(), c.y()])
                .unwrap_or([0.0, 0.0]);
            sites_of.push(Vec::new());
            new.push(NewGrid {
                members: Vec::new(),
                households: 0,
                local: clip.shape.clone(),
                institution: false,
                vertical: false,
                feasible: false,
                key,
            });
        } else {
            flags.push(PartitionFlag::UncoveredArea);
        }
    }
    // The ground grids of the parts were carved by the stacking rule while their
    // outlines were built; the one grid of a village without sites is carved here.
    // Vertical grids stand on their building's footprint.
    let n_ground = new.len();
    let mut ground: Vec<MultiPolygon<f64>> = new
        .iter_mut()
        .map(|g| std::mem::replace(&mut g.local, MultiPolygon(vec![])))
        .collect();
    if prep.sites.is_empty() {
        footprints.carve_into(&mut ground, |_| None, &sites_of);
    }
    let mut fp_shapes = footprints.shapes.clone();
    if !fp_shapes.is_empty() {
        give_enclosed_to_footprints(&mut ground, &sites_of, &mut fp_shapes, clip);
    }
    for (g, shape) in new.iter_mut().zip(ground) {
        g.local = shape;
    }
    for f in &prep.fixed {
        let members = to_members(input, &f.members);
        let local = f
            .members
            .first()
            .and_then(|m| footprints.buildings.iter().position(|&b| b == m.building))
            .and_then(|i| fp_shapes.get(i))
            .cloned()
            .unwrap_or_else(|| MultiPolygon(vec![]));
        new.push(NewGrid {
            members,
            households: f.households,
            local,
            institution: f.institution,
            vertical: true,
            feasible: true,
            key: f.pos,
        });
    }
    debug_assert!(new.len() >= n_ground);

    let previous: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| !g.locked && g.level == Grid::MICRO && g.parent.is_none())
        .collect();
    let area = village_local.unsigned_area();
    let band = (area / new.len().max(1) as f64).sqrt();
    let inputs: Vec<CodeInput<'_>> = new
        .iter()
        .map(|g| CodeInput {
            members: &g.members,
            institution: g.institution,
            key: g.key,
        })
        .collect();
    let coded =
        codes::assign(&village.code, &inputs, &previous, locked, band).ok_or_else(|| {
            PartitionError::TooManyGrids {
                village: village.code.clone(),
                grids: new.len() + locked.len(),
            }
        })?;

    let mut report = VillageReport {
        village: village.code.to_string(),
        area_m2: village_local.unsigned_area(),
        ..VillageReport::default()
    };
    let mut grids: Vec<Grid> = locked.iter().map(|g| (*g).clone()).collect();
    let mut locals: Vec<MultiPolygon<f64>> =
        grids.iter().map(|g| proj.fwd_mp(&g.polygon)).collect();
    let mut vertical: Vec<bool> = vec![false; grids.len()];
    let by_id: HashMap<&str, &Building> = input
        .buildings
        .iter()
        .map(|b| (b.source_id.as_str(), *b))
        .collect();
    report.locked_grids = grids.len();
    for g in &grids {
        report_grid(&mut report, params, g, None);
    }
    for (ng, c) in new.into_iter().zip(coded) {
        let polygon = proj.inv_mp(&ng.local);
        let prev = c.prev.and_then(|j| previous.get(j));
        let version = match prev {
            Some(p) if c.same_members && p.polygon == polygon => p.version,
            Some(p) => p.version + 1,
            None => 1,
        };
        let grid = Grid {
            code: c.code,
            level: 1,
            parent: None,
            village: village.code.clone(),
            households: ng.households,
            members: ng.members,
            polygon,
            name: prev.and_then(|p| p.name.clone()),
            staff: prev.and_then(|p| p.staff.clone()),
            locked: false,
            institution: ng.institution,
            version,
        };
        if !ng.institution
            && ng.feasible
            && (grid.households < params.min || grid.households > params.max)
        {
            flags.push(PartitionFlag::OutOfRange {
                grid: grid.code.to_string(),
                households: grid.households,
            });
        }
        if connected_parts(&grid.polygon) > 1 {
            flags.push(PartitionFlag::NonContiguous {
                grid: grid.code.to_string(),
                pieces: grid.polygon.0.len(),
            });
        }
        let pp = if ng.vertical {
            None
        } else {
            polsby_popper(&ng.local)
        };
        report_grid(&mut report, params, &grid, pp);
        if !ng.vertical {
            if let Some(spp) = settled_part(&by_id, proj, &grid.members, &ng.local)
                .as_ref()
                .and_then(polsby_popper)
            {
                report.settled_polsby_popper_sum += spp;
                report.settled_polsby_popper_count += 1;
            }
        }
        grids.push(grid);
        locals.push(ng.local);
        vertical.push(ng.vertical);
    }
    let layers: Vec<Layer<'_>> = grids
        .iter()
        .zip(&locals)
        .zip(&vertical)
        .map(|((g, l), &v)| Layer {
            shape: l,
            stands_on: if v {
                g.members.first().map(|m| m.building.as_str())
            } else {
                None
            },
            grid: g,
        })
        .collect();
    // Pairs are counted above the validator's tolerance (boolean operations leave
    // slivers of a few 1e-10 of the village area); the area sums everything.
    let tol = (report.area_m2 * 1e-8).max(1e-6);
    let (bad, groups, _) = vertical_overlaps(&layers, tol);
    report.overlap_m2 = bad.iter().map(|b| b.2).sum();
    report.overlapping_pairs = bad.iter().filter(|b| b.2 > tol).count();
    report.stacked_groups = groups;
    drop(layers);
    grids.sort_by(|a, b| a.code.cmp(&b.code));
    let level1: Vec<Grid> = input
        .previous
        .iter()
        .filter(|g| g.level == Grid::MICRO && g.parent.is_none())
        .cloned()
        .collect();
    let moved = codes::moved_households(&level1, &grids);
    report.runtime_s = t0.elapsed().as_secs_f64();
    Ok(VillagePartition {
        grids,
        report,
        moved_households: moved,
        flags,
    })
}

/// Buffer (metres) around a grid's buildings that makes its settled part.
pub(crate) const SETTLED_BUFFER_M: f64 = 25.0;

/// The settled part of a ground grid: its polygon ∩ the convex hull of its buildings'
/// footprints grown by [`SETTLED_BUFFER_M`] (an octagon around every vertex), in local
/// metres. `None` for a grid without buildings.
fn settled_part(
    by_id: &HashMap<&str, &Building>,
    proj: &LocalProj,
    members: &[GridMember],
    shape: &MultiPolygon<f64>,
) -> Option<MultiPolygon<f64>> {
    use geo::{BooleanOps, BoundingRect, ConvexHull};
    let d = SETTLED_BUFFER_M;
    let ring: Vec<(f64, f64)> = (0..8)
        .map(|k| {
            let a = std::f64::consts::TAU * (f64::from(k) + 0.5) / 8.0;
            (d * a.cos(), d * a.sin())
        })
        .collect();
    // The hull of the buildings' box corners first, then the octagon around each of its
    // vertices: the hull of a Minkowski sum is the sum of the hulls, and this keeps the
    // point sets small (the projection only scales the axes, so boxes stay boxes).
    let mut corners: Vec<geo_types::Point<f64>> = Vec::new();
    for b in members
        .iter()
        .filter_map(|m| by_id.get(m.building.as_str()))
    {
        let Some(r) = b.footprint.bounding_rect() else {
            continue;
        };
        let (lo, hi) = (proj.fwd(r.min()), proj.fwd(r.max()));
        for c in [
            lo,
            hi,
            geo_types::coord! {x: lo.x, y: hi.y},
            geo_types::coord! {x: hi.x, y: lo.y},
        ] {
            if c.x.is_finite() && c.y.is_finite() {
                corners.push(geo_types::Point::from(c));
            }
        }
    }
    if corners.is_empty() {
        return None;
    }
    let core = geo_types::MultiPoint(corners).convex_hull();
    let pts: Vec<geo_types::Point<f64>> = core
        .exterior()
        .0
        .iter()
        .flat_map(|c| {
            ring.iter()
                .map(move |o| geo_types::Point::new(c.x + o.0, c.y + o.1))
        })
        .collect();
    let hull = geo_types::MultiPoint(pts).convex_hull();
    // Most grids lie inside their buffered hull (interior grids): no boolean operation.
    let inside = {
        use geo::Contains;
        shape
            .0
            .iter()
            .flat_map(|p| p.exterior().0.iter())
            .all(|c| hull.contains(c) || hull.exterior().0.contains(c))
    };
    if inside {
        return Some(shape.clone());
    }
    Some(shape.intersection(&MultiPolygon(vec![hull])))
}

fn report_grid(r: &mut VillageReport, params: &PartitionParams, g: &Grid, pp: Option<f64>) {
    r.grids += 1;
    r.households += u64::from(g.households);
    if connected_parts(&g.polygon) > 1 {
        r.non_contiguous += 1;
    }
    if g.institution {
        r.institution_grids += 1;
    } else {
        r.residential_grids += 1;
        r.sizes.push(g.households);
        if g.households >= params.min && g.households <= params.max {
            r.in_range += 1;
        }
    }
    if let Some(pp) = pp {
        r.polsby_popper_sum += pp;
        r.polsby_popper_count += 1;
    }
}
