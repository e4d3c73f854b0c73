//! Small seeded cases: a few villages of N buildings each, roads across them, and the
//! same villages cut into grids. Made for the partitioner's tests and doctests and for
//! the tile tests and benchmarks, where a whole [`crate::synth_county`] would be too
//! large or too slow.
//!
//! Villages are star-shaped 24-gons (mildly concave) laid out in rows near 114.6° E
//! 33.6° N, with 12-digit codes `411622TTTVVV`; buildings are 12 m × 10 m rectangles
//! clustered in 1–4 hamlets, each with its `village` set. Everything is drawn from
//! [`crate::stream`], so the same arguments give the same output.

use crate::{stream, SynthRng};
use geo::{BoundingRect, Contains};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use gridmap_core::geometry::metres_per_degree;
use gridmap_core::partition::{partition_all, PartitionParams, VillageInput};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    AdminLevel, AdminUnit, Barrier, Building, BuildingUse, DivisionCode, HouseholdCount,
};
use rand::Rng;
use std::collections::HashMap;
use std::f64::consts::{PI, TAU};

const LON0: f64 = 114.6;
const LAT0: f64 = 33.6;

/// `n_villages` villages with `per_village` buildings each and about 2 households per
/// building (a rural mix): [`villages_with`] with a mean of 2.
///
/// ```
/// use gridmap_synth::small;
/// let (villages, buildings) = small::villages(3, 100, 7);
/// assert_eq!(villages.len(), 3);
/// assert_eq!(buildings.len(), 300);
/// // Every building names its village, which contains it.
/// use geo::{Centroid, Contains};
/// for b in &buildings {
///     let v = villages.iter().find(|v| Some(&v.code) == b.village.as_ref()).unwrap();
///     assert!(v.boundary.contains(&b.footprint.centroid().unwrap()));
/// }
/// assert_eq!((villages, buildings), small::villages(3, 100, 7));
/// ```
pub fn villages(
    n_villages: usize,
    per_village: usize,
    seed: u64,
) -> (Vec<AdminUnit>, Vec<Building>) {
    villages_with(n_villages, per_village, seed, 2.0)
}

/// Like [`villages`] with a mean of `households_per_building`: below 2.5 a share of the
/// buildings has no households (sheds, shops); above, high-rises of 40–200 households
/// make up the difference. 2% of the buildings are institutions (no households).
///
/// ```
/// use gridmap_synth::small;
/// let (_, buildings) = small::villages_with(10, 500, 42, 6.4);
/// let households: u32 = buildings.iter().map(|b| b.households.count).sum();
/// let mean = f64::from(households) / buildings.len() as f64;
/// assert!((4.0..9.0).contains(&mean), "{mean}");
/// assert!(buildings.iter().any(|b| b.households.count >= 40));
/// ```
pub fn villages_with(
    n_villages: usize,
    per_village: usize,
    seed: u64,
    households_per_building: f64,
) -> (Vec<AdminUnit>, Vec<Building>) {
    let mut rng = stream(seed, 0);
    let (mx, my) = metres_per_degree(LAT0);
    let radius = ((per_village.max(1) as f64) * 500.0 / PI).sqrt().max(60.0);
    let spacing = radius * 2.4;
    let cols = (n_villages as f64).sqrt().ceil().max(1.0) as usize;
    let mut villages = Vec::with_capacity(n_villages);
    let mut buildings = Vec::with_capacity(n_villages * per_village);
    let m = households_per_building.max(0.0);
    let (p_zero, p_tower) = if m <= 2.5 {
        ((1.0 - m / 2.0).clamp(0.0, 0.95), 0.0)
    } else {
        (0.1, ((m - 1.8) / 118.2).min(0.5))
    };
    let to_lonlat = |x: f64, y: f64| (LON0 + x / mx, LAT0 + y / my);
    for vi in 0..n_villages {
        let cx = (vi % cols) as f64 * spacing;
        let cy = -((vi / cols) as f64) * spacing;
        let mut ring: Vec<Coord<f64>> = (0..24)
            .map(|k| {
                let a = TAU * f64::from(k) / 24.0;
                let wobble = (a * 3.0 + vi as f64).sin() * 0.5 + 0.5 * rng.gen::<f64>();
                let r = radius * (0.85 + 0.15 * wobble);
                Coord {
                    x: cx + r * a.cos(),
                    y: cy + r * a.sin(),
                }
            })
            .collect();
        ring.push(ring[0]);
        let local = Polygon::new(LineString(ring.clone()), vec![]);
        let wgs: Vec<Coord<f64>> = ring.iter().map(|c| to_lonlat(c.x, c.y).into()).collect();
        let code: DivisionCode = format!("411622{:03}{:03}", 101 + vi / 500, 201 + vi % 500)
            .parse()
            .expect("synthetic codes have 12 digits");
        let hamlets: Vec<(f64, f64, f64)> = (0..rng.gen_range(1..=4))
            .map(|_| {
                let a = rng.gen::<f64>() * TAU;
                let d = rng.gen::<f64>() * radius * 0.5;
                let spread = radius * (0.25 + 0.2 * rng.gen::<f64>());
                (cx + d * a.cos(), cy + d * a.sin(), spread)
            })
            .collect();
        let mut made = 0;
        let mut tries = 0;
        while made < per_village && tries < per_village * 50 {
            tries += 1;
            let h = hamlets[rng.gen_range(0..hamlets.len())];
            let x = h.0 + normal(&mut rng) * h.2;
            let y = h.1 + normal(&mut rng) * h.2;
            if !local.contains(&Point::new(x, y)) {
                continue;
            }
            let (w, d) = (12.0 / mx / 2.0, 10.0 / my / 2.0);
            let (lon, lat) = to_lonlat(x, y);
            let fp = Polygon::new(
                LineString::from(vec![
                    (lon - w, lat - d),
                    (lon + w, lat - d),
                    (lon + w, lat + d),
                    (lon - w, lat + d),
                    (lon - w, lat - d),
                ]),
                vec![],
            );
            let roll = rng.gen::<f64>();
            let (use_, count, levels) = if roll < 0.02 {
                (BuildingUse::Institution, 0, 2)
            } else if roll < 0.02 + p_tower {
                (BuildingUse::Residential, rng.gen_range(40..=200), 18)
            } else if rng.gen::<f64>() < p_zero {
                (BuildingUse::Other, 0, 1)
            } else {
                (BuildingUse::Residential, rng.gen_range(1..=3), 2)
            };
            buildings.push(Building {
                source_id: format!("synth:b/{}", buildings.len()),
                footprint: MultiPolygon(vec![fp]),
                building_use: use_,
                levels: Some(levels),
                height: None,
                households: HouseholdCount::registered(count),
                address: None,
                village: Some(code.clone()),
            });
            made += 1;
        }
        villages.push(AdminUnit {
            code,
            name: format!("Synthetic village {vi}"),
            level: AdminLevel::Village,
            source_id: format!("synth:village/{vi}"),
            boundary: MultiPolygon(vec![Polygon::new(LineString(wgs), vec![])]),
        });
    }
    (villages, buildings)
}

/// Standard normal draw (Box–Muller).
fn normal(rng: &mut SynthRng) -> f64 {
    let u = rng.gen::<f64>().max(1e-12);
    let v = rng.gen::<f64>();
    (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
}

/// `per_village` straight roads (`kind` `road`) across each village's bounding box, through
/// a seeded random point of the box at a seeded random angle; every road runs past the
/// box on both sides, so it cuts the village it crosses.
///
/// ```
/// use geo::{BoundingRect, Intersects};
/// use gridmap_synth::small;
/// let (villages, _) = small::villages(2, 80, 1);
/// let roads = small::roads(&villages, 3, 5);
/// assert_eq!(roads.len(), 6);
/// for (r, v) in roads.iter().zip(villages.iter().flat_map(|v| [v, v, v])) {
///     assert!(r.line.intersects(&v.boundary));
///     let (line, bbox) = (r.line.bounding_rect().unwrap(), v.boundary.bounding_rect().unwrap());
///     assert!(line.width() >= bbox.width() || line.height() >= bbox.height());
/// }
/// assert_eq!(roads, small::roads(&villages, 3, 5));
/// ```
pub fn roads(villages: &[AdminUnit], per_village: usize, seed: u64) -> Vec<Barrier> {
    let mut rng = stream(seed, 1);
    let mut out = Vec::new();
    for v in villages {
        let Some(r) = v.boundary.bounding_rect() else {
            continue;
        };
        for k in 0..per_village {
            let (cx, cy) = (
                r.min().x + rng.gen::<f64>() * r.width(),
                r.min().y + rng.gen::<f64>() * r.height(),
            );
            let a = rng.gen::<f64>() * PI;
            // Half as long as twice the box's longer side: past its diagonal either way.
            let d = 2.0 * r.width().max(r.height());
            out.push(Barrier {
                source_id: format!("synth:road/{}/{k}", v.code),
                kind: "road".into(),
                line: MultiLineString(vec![LineString::from(vec![
                    (cx - d * a.cos(), cy - d * a.sin()),
                    (cx + d * a.cos(), cy + d * a.sin()),
                ])]),
            });
        }
    }
    out
}

/// [`villages`] cut into grids by the core partitioner with default parameters
/// (irregular Voronoi grids of 30–50 households), as a county snapshot without staff.
/// Villages the partitioner rejects are left without grids.
///
/// ```
/// use gridmap_synth::small;
/// let snap = small::partitioned_county(2, 150, 3);
/// assert_eq!(snap.buildings.len(), 300);
/// assert!(!snap.grids.is_empty());
/// // Every household is in exactly one grid.
/// let in_buildings: u32 = snap.buildings.iter().map(|b| b.households.count).sum();
/// let in_grids: u32 = snap.grids.iter().map(|g| g.households).sum();
/// assert_eq!(in_buildings, in_grids);
/// ```
pub fn partitioned_county(n_villages: usize, per_village: usize, seed: u64) -> CountySnapshot {
    let (villages, buildings) = villages(n_villages, per_village, seed);
    let index: HashMap<&DivisionCode, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (&v.code, i))
        .collect();
    let mut per: Vec<Vec<&Building>> = vec![Vec::new(); villages.len()];
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
