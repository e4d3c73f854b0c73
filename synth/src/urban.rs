//! A seeded city district: side-by-side communities (villages) of street blocks holding
//! towers, mid-rise blocks and a few low buildings, the way a city office's building
//! layer with floor counts looks. Made for the partitioner's urban tests and
//! `gridmap bench partition --urban`.
//!
//! * **Towers**: 20–40 floors of 6–20 households per floor (120–800 households, far
//!   above any grid maximum); they hold about 30% of the households.
//! * **Mid-rise blocks**: 4–9 floors of 2–6 households per floor (8–54 households, so a
//!   few lie just above a maximum of 50 and leave a small remainder when split).
//! * **Low buildings**: 1–3 floors of 1–2 households; some shops and sheds without
//!   households and a few institutions.
//!
//! Buildings stand in slots of 45 m × 35 m, three by three slots to a block, with 15 m
//! streets between blocks; each community is a rectangle around its blocks, and
//! communities of one district share their borders. Coordinates are WGS84 near
//! 114.5° E 38.0° N.

use crate::{stream, SynthRng};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use gridmap_core::geometry::metres_per_degree;
use gridmap_core::{AdminLevel, AdminUnit, Building, BuildingUse, DivisionCode, HouseholdCount};
use rand::Rng;

const LON0: f64 = 114.5;
const LAT0: f64 = 38.0;
const SLOT_W: f64 = 45.0;
const SLOT_H: f64 = 35.0;
const STREET: f64 = 15.0;
const SLOTS_PER_BLOCK: usize = 3;
const MARGIN: f64 = 20.0;

/// What a generated building is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tower,
    MidRise,
    Low,
    Empty,
    Institution,
}

/// `communities` side-by-side communities of about `households_per_community`
/// households each; buildings carry `levels` and their community's code.
///
/// ```
/// use gridmap_synth::urban;
/// let (units, buildings) = urban::district(2, 3_000, 7);
/// assert_eq!(units.len(), 2);
/// let total: u32 = buildings.iter().map(|b| b.households.count).sum();
/// assert!((5_800..=6_400).contains(&total), "{total}");
/// // About 30% of the households live in towers above a grid maximum of 50.
/// let towers: u32 = buildings.iter().filter(|b| b.levels >= Some(20)).map(|b| b.households.count).sum();
/// let share = f64::from(towers) / f64::from(total);
/// assert!((0.2..0.4).contains(&share), "{share}");
/// assert_eq!((units, buildings), urban::district(2, 3_000, 7));
/// ```
pub fn district(
    communities: usize,
    households_per_community: u32,
    seed: u64,
) -> (Vec<AdminUnit>, Vec<Building>) {
    let mut rng = stream(seed, 0);
    let (mx, my) = metres_per_degree(LAT0);
    let to_lonlat = |x: f64, y: f64| Coord {
        x: LON0 + x / mx,
        y: LAT0 + y / my,
    };
    let mut units = Vec::with_capacity(communities);
    let mut buildings = Vec::new();
    let mut x0 = 0.0;
    for ci in 0..communities {
        let code: DivisionCode = format!("130102{:03}{:03}", 1 + ci / 500, 201 + ci % 500)
            .parse()
            .expect("synthetic codes have 12 digits");
        let kinds = draw_kinds(&mut rng, households_per_community);
        let n = kinds.len();
        // A near-square arrangement of whole blocks.
        let blocks = n.div_ceil(SLOTS_PER_BLOCK * SLOTS_PER_BLOCK).max(1);
        let cols = (blocks as f64).sqrt().ceil().max(1.0) as usize;
        let rows = blocks.div_ceil(cols);
        let block_w = SLOTS_PER_BLOCK as f64 * SLOT_W + STREET;
        let block_h = SLOTS_PER_BLOCK as f64 * SLOT_H + STREET;
        let width = cols as f64 * block_w + 2.0 * MARGIN;
        let height = rows as f64 * block_h + 2.0 * MARGIN;
        for (i, (kind, count, levels)) in kinds.into_iter().enumerate() {
            let block = i / (SLOTS_PER_BLOCK * SLOTS_PER_BLOCK);
            let slot = i % (SLOTS_PER_BLOCK * SLOTS_PER_BLOCK);
            let (bx, by) = (block % cols, block / cols);
            let (sx, sy) = (slot % SLOTS_PER_BLOCK, slot / SLOTS_PER_BLOCK);
            let left = x0 + MARGIN + bx as f64 * block_w + sx as f64 * SLOT_W;
            let bottom = -MARGIN - (by + 1) as f64 * block_h + STREET + sy as f64 * SLOT_H;
            let (w, h) = match kind {
                Kind::Tower => (rng.gen_range(26.0..36.0), rng.gen_range(16.0..22.0)),
                Kind::MidRise => (rng.gen_range(30.0..40.0), rng.gen_range(11.0..15.0)),
                Kind::Institution => (rng.gen_range(20.0..36.0), rng.gen_range(14.0..24.0)),
                Kind::Low | Kind::Empty => (rng.gen_range(8.0..14.0), rng.gen_range(7.0..10.0)),
            };
            let jx = rng.gen_range(0.0..(SLOT_W - 4.0 - w).max(0.1));
            let jy = rng.gen_range(0.0..(SLOT_H - 4.0 - h).max(0.1));
            let (l, b) = (left + 2.0 + jx, bottom + 2.0 + jy);
            let ring = vec![
                to_lonlat(l, b),
                to_lonlat(l + w, b),
                to_lonlat(l + w, b + h),
                to_lonlat(l, b + h),
                to_lonlat(l, b),
            ];
            let use_ = match kind {
                Kind::Institution => BuildingUse::Institution,
                Kind::Empty => BuildingUse::Other,
                _ => BuildingUse::Residential,
            };
            buildings.push(Building {
                source_id: format!("synth:u/{ci}/{i}"),
                footprint: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                building_use: use_,
                levels: Some(levels),
                height: Some(f32::from(levels) * 3.0),
                households: HouseholdCount::registered(count),
                address: None,
                village: Some(code.clone()),
            });
        }
        let outline = vec![
            to_lonlat(x0, 0.0),
            to_lonlat(x0, -height),
            to_lonlat(x0 + width, -height),
            to_lonlat(x0 + width, 0.0),
            to_lonlat(x0, 0.0),
        ];
        units.push(AdminUnit {
            code,
            name: format!("Synthetic community {ci}"),
            level: AdminLevel::Village,
            source_id: format!("synth:community/{ci}"),
            boundary: MultiPolygon(vec![Polygon::new(LineString(outline), vec![])]),
        });
        x0 += width;
    }
    (units, buildings)
}

/// Building kinds of one community, in random order, until it holds about
/// `households` households, 30% of them in towers.
fn draw_kinds(rng: &mut SynthRng, households: u32) -> Vec<(Kind, u32, u16)> {
    let mut out = Vec::new();
    let (mut total, mut in_towers) = (0u32, 0u32);
    while total < households {
        let roll: f64 = rng.gen();
        let (kind, count, levels) = if f64::from(in_towers) < 0.3 * f64::from(total) {
            let floors: u16 = rng.gen_range(20..=40);
            let per_floor: u32 = rng.gen_range(6..=20);
            (Kind::Tower, u32::from(floors) * per_floor, floors)
        } else if roll < 0.80 {
            let floors: u16 = rng.gen_range(4..=9);
            let per_floor: u32 = rng.gen_range(2..=6);
            (Kind::MidRise, u32::from(floors) * per_floor, floors)
        } else if roll < 0.92 {
            let floors: u16 = rng.gen_range(1..=3);
            (Kind::Low, u32::from(floors) * rng.gen_range(1..=2), floors)
        } else if roll < 0.98 {
            (Kind::Empty, 0, rng.gen_range(1..=2))
        } else {
            (Kind::Institution, 0, rng.gen_range(2..=6))
        };
        let count = count.min(households.saturating_sub(total).max(1));
        total += count;
        if kind == Kind::Tower {
            in_towers += count;
        }
        out.push((kind, count, levels));
    }
    // Shuffle (Fisher–Yates) so towers are spread over the blocks.
    for i in (1..out.len()).rev() {
        let j = rng.gen_range(0..=i);
        out.swap(i, j);
    }
    out
}

/// The same buildings after a re-import in which the floor counts of `share` of the
/// residential buildings changed by one to three floors (households scale with the
/// floors, at least one floor is left): what a 1% change of a building layer looks like.
///
/// ```
/// use gridmap_synth::urban;
/// let (_, before) = urban::district(1, 2_000, 3);
/// let after = urban::relevel(&before, 0.01, 9);
/// let changed = before.iter().zip(&after).filter(|(a, b)| a.households != b.households).count();
/// let residential = before.iter().filter(|b| b.households.count > 0).count();
/// assert!(changed >= 1 && changed <= residential / 50 + 1, "{changed} of {residential}");
/// ```
pub fn relevel(buildings: &[Building], share: f64, seed: u64) -> Vec<Building> {
    let mut rng = stream(seed, 1);
    let residential: Vec<usize> = (0..buildings.len())
        .filter(|&i| buildings[i].households.count > 0)
        .collect();
    let k = ((residential.len() as f64 * share).round() as usize).max(1);
    let mut pick = residential;
    for i in 0..k.min(pick.len()) {
        let j = rng.gen_range(i..pick.len());
        pick.swap(i, j);
    }
    let mut out = buildings.to_vec();
    for &i in pick.iter().take(k) {
        let b = &mut out[i];
        let levels = b.levels.unwrap_or(1).max(1);
        let per_floor = f64::from(b.households.count) / f64::from(levels);
        let delta: i32 = rng.gen_range(1..=3) * if rng.gen::<bool>() { 1 } else { -1 };
        let new_levels = (i32::from(levels) + delta).max(1) as u16;
        let count = (per_floor * f64::from(new_levels)).round().max(1.0) as u32;
        b.levels = Some(new_levels);
        b.height = Some(f32::from(new_levels) * 3.0);
        b.households = HouseholdCount::registered(count);
    }
    out
}

/// Real footprints `(id, WGS84 footprint, height m)` as a district around them, cut
/// west→east into communities of at most about 20,000 households (their box grown by
/// 30 m, columns of equal width), households estimated as a city office would: 3 m per
/// floor and 90 m² per flat ([`HouseholdCount::estimate`]). Footprints above 20,000 m²
/// are block or site outlines rather than buildings and are left out. `None` without
/// footprints.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_synth::urban;
/// let fp = MultiPolygon(vec![polygon![(x: 114.5, y: 38.0), (x: 114.5003, y: 38.0), (x: 114.5003, y: 38.0002), (x: 114.5, y: 38.0002)]]);
/// let (v, b) = urban::real_district(vec![("a".into(), fp, 60.0)]).unwrap();
/// assert_eq!(b[0].levels, Some(20));
/// assert!(b[0].households.count > 100);
/// assert_eq!(b[0].village.as_ref(), Some(&v[0].code));
/// ```
pub fn real_district(
    footprints: Vec<(String, MultiPolygon<f64>, f64)>,
) -> Option<(Vec<AdminUnit>, Vec<Building>)> {
    use geo::BoundingRect;
    let mut lo = [f64::MAX, f64::MAX];
    let mut hi = [f64::MIN, f64::MIN];
    let mut buildings = Vec::with_capacity(footprints.len());
    for (id, footprint, height) in footprints {
        let Some(r) = footprint.bounding_rect() else {
            continue;
        };
        let area = gridmap_core::geometry::area_m2(&footprint);
        if !(area > 0.0 && area <= 20_000.0) {
            continue;
        }
        lo = [lo[0].min(r.min().x), lo[1].min(r.min().y)];
        hi = [hi[0].max(r.max().x), hi[1].max(r.max().y)];
        let levels = (height / 3.0).round().clamp(1.0, 200.0) as u16;
        buildings.push(Building {
            source_id: id,
            footprint,
            building_use: BuildingUse::Residential,
            levels: Some(levels),
            height: Some(height as f32),
            households: HouseholdCount::estimate(area, levels, 90.0),
            address: None,
            village: None,
        });
    }
    if buildings.is_empty() {
        return None;
    }
    let total: u64 = buildings
        .iter()
        .map(|b| u64::from(b.households.count))
        .sum();
    let columns = total.div_ceil(20_000).max(1) as usize;
    let (mx, my) = metres_per_degree((lo[1] + hi[1]) / 2.0);
    let (dx, dy) = (MARGIN * 1.5 / mx, MARGIN * 1.5 / my);
    let (x0, y0, x1, y1) = (lo[0] - dx, lo[1] - dy, hi[0] + dx, hi[1] + dy);
    let width = (x1 - x0) / columns as f64;
    let mut units = Vec::with_capacity(columns);
    for c in 0..columns {
        let code: DivisionCode = format!("130102999{:03}", c + 1).parse().ok()?;
        let (a, b) = (x0 + c as f64 * width, x0 + (c + 1) as f64 * width);
        let outline = LineString::from(vec![(a, y0), (b, y0), (b, y1), (a, y1), (a, y0)]);
        units.push(AdminUnit {
            code,
            name: format!("Real footprints {}", c + 1),
            level: AdminLevel::Village,
            source_id: format!("real:community/{}", c + 1),
            boundary: MultiPolygon(vec![Polygon::new(outline, vec![])]),
        });
    }
    for b in &mut buildings {
        let x = gridmap_core::geometry::representative_point(&b.footprint).map_or(x0, |p| p.x());
        let c = (((x - x0) / width).floor().max(0.0) as usize).min(columns - 1);
        b.village = Some(units[c].code.clone());
    }
    Some((units, buildings))
}
