//! A regular street-grid county, for the tile render benchmark (`gridmap bench tiles`,
//! the `tile_bench` example) and tile tests.
//!
//! [`county`] lays out buildings on a regular street grid (12 m × 9 m footprints every
//! 25 m) around 114.5° E 38° N, groups them into square villages of 60 × 60 buildings,
//! townships of 3 × 3 villages and rectangular grids of 4 × 3 buildings (12 buildings),
//! each grid with a grid staff member. Every 40th building is an 18-level tower of 60
//! households whose flats 40–60 belong to the grid to the east (when that grid is in the
//! same village). It draws no random numbers: the output depends on `n` alone.

use geo_types::{polygon, MultiPolygon};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    AdminLevel, AdminUnit, Building, BuildingUse, DivisionCode, Grid, GridCode, GridMember,
    HouseholdCount, Staff, StaffRole,
};

const STEP_M: f64 = 25.0;
const VILLAGE: usize = 60;
const TOWNSHIP: usize = 3;
const GRID_W: usize = 4;
const GRID_H: usize = 3;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

fn code(t: usize, v: usize) -> DivisionCode {
    // Codes are always 12 digits here, so parsing cannot fail.
    format!("130102{:03}{:03}", t + 1, v)
        .parse()
        .expect("12-digit code")
}

/// A street-grid county of `n_buildings` buildings rounded up to whole villages of 3,600
/// (at least one), with its townships, grids and staff (see the module docs).
///
/// ```
/// use gridmap_core::AdminLevel;
/// use gridmap_synth::street_grid;
/// let snap = street_grid::county(3600);
/// assert_eq!(snap.buildings.len(), 3600);
/// assert_eq!(snap.grids.len(), 300);
/// assert_eq!(snap.staff.len(), 300);
/// let level = |l| snap.admin_units.iter().filter(|u| u.level == l).count();
/// assert_eq!((level(AdminLevel::Township), level(AdminLevel::Village)), (1, 1));
/// // Every household is in a grid; split towers count once in all.
/// let in_buildings: u32 = snap.buildings.iter().map(|b| b.households.count).sum();
/// let in_grids: u32 = snap.grids.iter().map(|g| g.households).sum();
/// assert_eq!(in_buildings, in_grids);
/// assert!(snap.grids.iter().any(|g| g.members.iter().any(|m| m.flats == Some((40, 60)))));
/// assert_eq!(street_grid::county(3601).buildings.len(), 7200);
/// ```
pub fn county(n_buildings: usize) -> CountySnapshot {
    let villages_needed = n_buildings.div_ceil(VILLAGE * VILLAGE).max(1);
    let vside = (villages_needed as f64).sqrt().ceil() as usize;
    let (lon0, lat0) = (114.5, 38.0);
    let (mlon, mlat) = gridmap_core::geometry::metres_per_degree(lat0);
    let (dx, dy) = (STEP_M / mlon, STEP_M / mlat);
    let mut admin = Vec::new();
    let mut buildings = Vec::new();
    let mut grids = Vec::new();
    let mut staff = Vec::new();
    let mut townships_seen = std::collections::BTreeSet::new();
    for v in 0..villages_needed {
        let (vx, vy) = (v % vside, v / vside);
        let t = (vy / TOWNSHIP) * vside.div_ceil(TOWNSHIP) + vx / TOWNSHIP;
        let vcode = code(t, v % 999 + 1);
        let bx0 = vx * VILLAGE;
        let by0 = vy * VILLAGE;
        let c = |i: usize, j: usize| (lon0 + i as f64 * dx, lat0 + j as f64 * dy);
        let (x0, y0) = c(bx0, by0);
        let (x1, y1) = c(bx0 + VILLAGE, by0 + VILLAGE);
        admin.push(AdminUnit {
            code: vcode.clone(),
            name: format!("Village {v}"),
            level: AdminLevel::Village,
            source_id: format!("synth:village/{v}"),
            boundary: rect(x0, y0, x1, y1),
        });
        if townships_seen.insert(t) {
            let (tx, ty) = (
                bx0 - (vx % TOWNSHIP) * VILLAGE,
                by0 - (vy % TOWNSHIP) * VILLAGE,
            );
            let (a0, b0) = c(tx, ty);
            let (a1, b1) = c(tx + TOWNSHIP * VILLAGE, ty + TOWNSHIP * VILLAGE);
            admin.push(AdminUnit {
                code: vcode.township(),
                name: format!("Township {t}"),
                level: AdminLevel::Township,
                source_id: format!("synth:township/{t}"),
                boundary: rect(a0, b0, a1, b1),
            });
        }
        let mut serial = 0u16;
        for gj in (0..VILLAGE).step_by(GRID_H) {
            for gi in (0..VILLAGE).step_by(GRID_W) {
                serial += 1;
                let gcode = GridCode::new(&vcode, serial);
                let mut members = Vec::new();
                for j in gj..(gj + GRID_H).min(VILLAGE) {
                    for i in gi..(gi + GRID_W).min(VILLAGE) {
                        let (px, py) = c(bx0 + i, by0 + j);
                        let id = format!("synth:b/{}", buildings.len());
                        let tower = buildings.len() % 40 == 39;
                        let levels: u16 = if tower {
                            18
                        } else {
                            1 + (buildings.len() % 5) as u16
                        };
                        let households = if tower { 60 } else { u32::from(levels) };
                        members.push(GridMember {
                            building: id.clone(),
                            households,
                            flats: None,
                        });
                        buildings.push(Building {
                            source_id: id,
                            footprint: rect(
                                px + 0.2 * dx,
                                py + 0.2 * dy,
                                px + 0.68 * dx,
                                py + 0.56 * dy,
                            ),
                            building_use: BuildingUse::Residential,
                            levels: Some(levels),
                            height: None,
                            households: HouseholdCount::registered(households),
                            address: None,
                            village: Some(vcode.clone()),
                        });
                    }
                }
                let (x0, y0) = c(bx0 + gi, by0 + gj);
                let (x1, y1) = c(
                    bx0 + (gi + GRID_W).min(VILLAGE),
                    by0 + (gj + GRID_H).min(VILLAGE),
                );
                let sid = format!("staff-{}", staff.len());
                staff.push(Staff {
                    id: sid.clone(),
                    name: format!("Staff {}", staff.len()),
                    phone: Some(format!("1380000{:04}", staff.len() % 10_000)),
                    role: StaffRole::GridStaff,
                    area: Some(vcode.clone()),
                    grids: vec![gcode.clone()],
                    home: None,
                });
                grids.push(Grid {
                    households: members.iter().map(|m| m.households).sum(),
                    code: gcode,
                    level: 1,
                    parent: None,
                    village: vcode.clone(),
                    members,
                    polygon: rect(x0, y0, x1, y1),
                    name: None,
                    staff: Some(sid),
                    locked: false,
                    institution: false,
                    version: 1,
                });
            }
        }
    }
    // Split towers: the grid to the east also holds part of each tower.
    for gi in 1..grids.len() {
        let (left, right) = grids.split_at_mut(gi);
        let (Some(west), Some(east)) = (left.last_mut(), right.first_mut()) else {
            continue;
        };
        if west.village != east.village {
            continue;
        }
        let Some(m) = west.members.iter_mut().find(|m| m.households == 60) else {
            continue;
        };
        m.households = 40;
        m.flats = Some((0, 40));
        let building = m.building.clone();
        west.households -= 20;
        east.members.push(GridMember {
            building,
            households: 20,
            flats: Some((40, 60)),
        });
        east.households += 20;
    }
    CountySnapshot::new(admin, buildings, grids, staff)
}
