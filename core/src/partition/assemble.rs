//! From parts to [`Grid`]s: members, WGS84 polygons, codes, versions and the report.

use super::codes::{self, CodeInput};
use super::error::{PartitionError, PartitionFlag, PartitionResult};
use super::polygon::ClipRegion;
use super::project::LocalProj;
use super::report::VillageReport;
use super::units::{Member, Prepared};
use super::{PartitionParams, VillageInput, VillagePartition};
use crate::model::{Grid, GridMember};
use geo::{Area, Centroid};
use geo_types::MultiPolygon;
use std::time::Instant;

/// A residential part with its clipped polygon (local metres).
pub(crate) struct AreaPart {
    pub members: Vec<Member>,
    pub shape: MultiPolygon<f64>,
    /// Its component's total can be cut into grids within the range.
    pub feasible: bool,
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
    locked: &[&Grid],
    mut flags: Vec<PartitionFlag>,
    t0: Instant,
) -> PartitionResult<VillagePartition> {
    let village = input.village;
    let mut new: Vec<NewGrid> = Vec::new();
    for p in parts {
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
    for f in &prep.fixed {
        let members = to_members(input, &f.members);
        let footprint = f
            .members
            .first()
            .and_then(|m| input.buildings.get(m.building))
            .map(|b| proj.fwd_mp(&b.footprint))
            .unwrap_or_else(|| MultiPolygon(vec![]));
        let clipped = super::polygon::ClipRegion::clip(clip, footprint.clone());
        let local = if clipped.0.is_empty() {
            footprint
        } else {
            clipped
        };
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

    let previous: Vec<&Grid> = input
        .previous
        .iter()
        .filter(|g| !g.locked && g.level == 1)
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
        ..VillageReport::default()
    };
    let mut grids: Vec<Grid> = locked.iter().map(|g| (*g).clone()).collect();
    report.locked_grids = grids.len();
    for g in &grids {
        report_grid(&mut report, params, g, None, false);
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
        if grid.polygon.0.len() > 1 {
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
        report_grid(&mut report, params, &grid, pp, true);
        grids.push(grid);
    }
    grids.sort_by(|a, b| a.code.cmp(&b.code));
    let level1: Vec<Grid> = input
        .previous
        .iter()
        .filter(|g| g.level == 1)
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

fn report_grid(
    r: &mut VillageReport,
    params: &PartitionParams,
    g: &Grid,
    pp: Option<f64>,
    _new: bool,
) {
    r.grids += 1;
    r.households += u64::from(g.households);
    if g.polygon.0.len() > 1 {
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
