//! A synthetic county and an in-process render benchmark, for `gridmap bench tiles`
//! and the `tile_bench` example.
//!
//! [`synthetic_county`] lays out `n` buildings on a regular street grid (12 m × 9 m
//! footprints every 25 m) around 114.5° E 38° N, groups them into villages of 60 × 60
//! buildings, townships of 3 × 3 villages and grids of 4 × 3 buildings (12 buildings),
//! each grid with a staff member. Every 40th building is a tower split between two
//! grids. It is deterministic.
//!
//! [`bench_render`] draws tiles over the data bounds per zoom and reports render time
//! (MVT encoding plus gzip) percentiles and tile sizes.

use crate::coord::tiles_in_bbox;
use crate::{encode_tile, Layer, TileData, TileResult};
use geo_types::{polygon, MultiPolygon};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    AdminLevel, AdminUnit, Building, BuildingUse, DivisionCode, Grid, GridCode, GridMember,
    HouseholdCount, Staff, StaffRole,
};
use std::io::Write;
use std::time::Instant;

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

/// Core's synthetic villages (`villages` × `per_village` buildings, seeded), cut into
/// grids by the core partitioner: irregular Voronoi grids, for tests and benchmarks.
pub fn partitioned_county(villages: usize, per_village: usize, seed: u64) -> CountySnapshot {
    use gridmap_core::partition::{partition_all, testing, PartitionParams, VillageInput};
    let (villages, buildings) = testing::synthetic_villages(villages, per_village, seed);
    let index: std::collections::HashMap<_, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.clone(), i))
        .collect();
    let mut per: Vec<Vec<&gridmap_core::Building>> = vec![Vec::new(); villages.len()];
    for b in &buildings {
        if let Some(list) = b
            .village
            .as_ref()
            .and_then(|c| index.get(c))
            .and_then(|&i| per.get_mut(i))
        {
            list.push(b);
        }
    }
    let inputs: Vec<VillageInput> = villages
        .iter()
        .zip(&per)
        .map(|(v, bs)| VillageInput {
            village: v,
            buildings: bs,
            barriers: &[],
            previous: &[],
        })
        .collect();
    let grids = partition_all(&inputs, &PartitionParams::default())
        .into_iter()
        .filter_map(Result::ok)
        .flat_map(|p| p.grids)
        .collect();
    CountySnapshot::new(villages, buildings, grids, vec![])
}

/// A deterministic synthetic county with about `n_buildings` buildings (rounded to
/// whole villages of 3,600).
///
/// ```
/// let snap = gridmap_tiles::bench::synthetic_county(3600);
/// assert_eq!(snap.buildings.len(), 3600);
/// assert_eq!(snap.grids.len(), 300);
/// ```
pub fn synthetic_county(n_buildings: usize) -> CountySnapshot {
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
                });
                grids.push(Grid {
                    households: members.iter().map(|m| m.households).sum(),
                    code: gcode,
                    level: 1,
                    parent: None,
                    village: vcode.clone(),
                    members,
                    polygon: rect(x0, y0, x1, y1),
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

/// Render timings of one zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomTimings {
    /// Zoom level.
    pub z: u8,
    /// Non-empty tiles drawn.
    pub tiles: usize,
    /// Median render + gzip time, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest tile, ms.
    pub max_ms: f64,
    /// Mean uncompressed size, bytes.
    pub mean_bytes: usize,
    /// Largest uncompressed tile, bytes.
    pub max_bytes: usize,
    /// Mean gzip size, bytes.
    pub mean_gzip_bytes: usize,
}

/// Each tile is drawn this many times and its fastest run is kept, so time stolen by
/// other processes on a busy machine does not count as render time.
pub const RUNS: usize = 3;

/// Draws up to `max_tiles` tiles per zoom (evenly spread over the data bounds) with
/// `layers` ([`RUNS`] times each, keeping the fastest), timing MVT encoding plus gzip
/// at [`crate::cache::GZIP_LEVEL`] per tile. Run it in a release build; numbers from
/// debug builds are meaningless.
///
/// ```
/// use std::sync::Arc;
/// use gridmap_tiles::{bench, Layer, TileData, TileParams};
/// let data = TileData::new(Arc::new(bench::synthetic_county(3600)), TileParams::default());
/// let t = bench::bench_render(&data, &[Layer::Grids], &[14], 4).unwrap();
/// assert_eq!(t[0].z, 14);
/// assert!(t[0].tiles >= 1 && t[0].p50_ms <= t[0].p99_ms);
/// ```
pub fn bench_render(
    data: &TileData,
    layers: &[Layer],
    zooms: &[u8],
    max_tiles: usize,
) -> TileResult<Vec<ZoomTimings>> {
    let Some(bounds) = data.bounds() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for &z in zooms {
        let all: Vec<_> = tiles_in_bbox(bounds, z).collect();
        let stride = all.len().div_ceil(max_tiles.max(1)).max(1);
        let mut times = Vec::new();
        let (mut total, mut max_bytes, mut total_gz) = (0usize, 0usize, 0usize);
        for &t in all.iter().step_by(stride) {
            let mut ms = f64::INFINITY;
            let (mut raw, mut gzip) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                let start = Instant::now();
                raw = encode_tile(data, layers, t)?;
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(crate::cache::GZIP_LEVEL),
                );
                gzip = gz
                    .write_all(&raw)
                    .and_then(|()| gz.finish())
                    .map_err(|source| crate::TileError::Compress {
                        z: t.z(),
                        x: t.x(),
                        y: t.y(),
                        source,
                    })?;
                ms = ms.min(start.elapsed().as_secs_f64() * 1000.0);
            }
            if raw.is_empty() {
                continue;
            }
            times.push(ms);
            total += raw.len();
            total_gz += gzip.len();
            max_bytes = max_bytes.max(raw.len());
        }
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| -> f64 {
            if times.is_empty() {
                return 0.0;
            }
            let i = ((times.len() as f64 - 1.0) * p).round() as usize;
            times.get(i).copied().unwrap_or(0.0)
        };
        let n = times.len().max(1);
        out.push(ZoomTimings {
            z,
            tiles: times.len(),
            p50_ms: pct(0.5),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
            mean_bytes: total / n,
            max_bytes,
            mean_gzip_bytes: total_gz / n,
        });
    }
    Ok(out)
}
