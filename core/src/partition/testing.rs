//! Seeded synthetic villages and buildings for tests and benchmarks (not a stable API).

use crate::geometry::metres_per_degree;
use crate::model::{AdminLevel, AdminUnit, Building, BuildingUse, DivisionCode, HouseholdCount};
use geo::Contains;
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};

/// SplitMix64: small, seeded, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.f64().max(1e-12);
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const LON0: f64 = 114.6;
const LAT0: f64 = 33.6;

/// `n_villages` villages with `buildings_per_village` buildings each, about 2 households
/// per building (rural mix). See [`synthetic_villages_with`].
pub fn synthetic_villages(
    n_villages: usize,
    buildings_per_village: usize,
    seed: u64,
) -> (Vec<AdminUnit>, Vec<Building>) {
    synthetic_villages_with(n_villages, buildings_per_village, seed, 2.0)
}

/// Like [`synthetic_villages`] with a mean of `households_per_building`: below 2.5 a
/// share of buildings has no households (sheds, shops); above, high-rises of 40–200
/// households make up the difference. Villages are star-shaped 24-gons (mildly concave)
/// laid out in rows; buildings (12 × 10 m) cluster in 1–4 hamlets; 2% are institutions.
pub fn synthetic_villages_with(
    n_villages: usize,
    buildings_per_village: usize,
    seed: u64,
    households_per_building: f64,
) -> (Vec<AdminUnit>, Vec<Building>) {
    let mut rng = Rng::new(seed);
    let (mx, my) = metres_per_degree(LAT0);
    let radius = ((buildings_per_village.max(1) as f64) * 500.0 / std::f64::consts::PI)
        .sqrt()
        .max(60.0);
    let spacing = radius * 2.4;
    let cols = (n_villages as f64).sqrt().ceil().max(1.0) as usize;
    let mut villages = Vec::with_capacity(n_villages);
    let mut buildings = Vec::with_capacity(n_villages * buildings_per_village);
    let m = households_per_building.max(0.0);
    let (p_zero, p_tower) = if m <= 2.5 {
        ((1.0 - m / 2.0).clamp(0.0, 0.95), 0.0)
    } else {
        (0.1, ((m - 1.8) / 118.2).min(0.5))
    };
    for vi in 0..n_villages {
        let cx = (vi % cols) as f64 * spacing;
        let cy = -((vi / cols) as f64) * spacing;
        let ring: Vec<Coord<f64>> = (0..=24)
            .map(|k| {
                let a = std::f64::consts::TAU * f64::from(k % 24) / 24.0;
                let r =
                    radius * (0.85 + 0.15 * ((a * 3.0 + vi as f64).sin() * 0.5 + 0.5 * rng.f64()));
                Coord {
                    x: cx + r * a.cos(),
                    y: cy + r * a.sin(),
                }
            })
            .collect();
        let mut ring = ring;
        if let Some(&f) = ring.first() {
            if let Some(l) = ring.last_mut() {
                *l = f;
            }
        }
        let local = Polygon::new(LineString(ring.clone()), vec![]);
        let wgs: Vec<Coord<f64>> = ring
            .iter()
            .map(|c| Coord {
                x: LON0 + c.x / mx,
                y: LAT0 + c.y / my,
            })
            .collect();
        let code: DivisionCode = format!("411622{:03}{:03}", 101 + vi / 500, 201 + vi % 500)
            .parse()
            .expect("synthetic codes have 12 digits");
        let hamlets: Vec<(f64, f64, f64)> = (0..rng.range(1, 4))
            .map(|_| {
                let a = rng.f64() * std::f64::consts::TAU;
                let d = rng.f64() * radius * 0.5;
                (
                    cx + d * a.cos(),
                    cy + d * a.sin(),
                    radius * (0.25 + 0.2 * rng.f64()),
                )
            })
            .collect();
        let mut made = 0;
        let mut tries = 0;
        while made < buildings_per_village && tries < buildings_per_village * 50 {
            tries += 1;
            let h = &hamlets[(rng.next_u64() % hamlets.len() as u64) as usize];
            let x = h.0 + rng.normal() * h.2;
            let y = h.1 + rng.normal() * h.2;
            if !local.contains(&Point::new(x, y)) {
                continue;
            }
            let (w, d) = (12.0 / mx / 2.0, 10.0 / my / 2.0);
            let (lon, lat) = (LON0 + x / mx, LAT0 + y / my);
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
            let roll = rng.f64();
            let (use_, count, levels) = if roll < 0.02 {
                (BuildingUse::Institution, 0, 2)
            } else if roll < 0.02 + p_tower {
                (BuildingUse::Residential, rng.range(40, 200), 18)
            } else if rng.f64() < p_zero {
                (BuildingUse::Other, 0, 1)
            } else {
                (BuildingUse::Residential, rng.range(1, 3), 2)
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

/// `per_village` straight roads across each village's bounding box at seeded random
/// positions and angles (for barrier tests and benchmarks).
pub fn synthetic_roads(
    villages: &[AdminUnit],
    per_village: usize,
    seed: u64,
) -> Vec<crate::model::Barrier> {
    use geo::BoundingRect;
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_F00D);
    let mut out = Vec::new();
    for v in villages {
        let Some(r) = v.boundary.bounding_rect() else {
            continue;
        };
        for k in 0..per_village {
            let (cx, cy) = (
                r.min().x + rng.f64() * r.width(),
                r.min().y + rng.f64() * r.height(),
            );
            let a = rng.f64() * std::f64::consts::PI;
            let d = r.width().max(r.height());
            out.push(crate::model::Barrier {
                source_id: format!("synth:road/{}/{k}", v.code),
                kind: "road".into(),
                line: geo_types::MultiLineString(vec![LineString::from(vec![
                    (cx - d * a.cos(), cy - d * a.sin()),
                    (cx + d * a.cos(), cy + d * a.sin()),
                ])]),
            });
        }
    }
    out
}
