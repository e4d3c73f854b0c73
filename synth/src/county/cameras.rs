//! Video cameras (雪亮工程 points) of a synthetic county: about one per 120 households
//! of each village, beside its dwellings, so some grids are covered and some are not.

use crate::SynthRng;
use geo::BoundingRect;
use gridmap_core::geometry::metres_per_degree;
use gridmap_core::{Building, BuildingUse, Camera, CameraStatus, DivisionCode};
use rand::Rng;
use std::collections::BTreeMap;

/// Households per camera in a village.
const HOUSEHOLDS_PER_CAMERA: u32 = 120;

/// Cameras for `buildings` (with their villages set): per village one per
/// [`HOUSEHOLDS_PER_CAMERA`] households, each 8–15 m from a dwelling drawn at random,
/// a fifth of them domes (360°, 40 m), the rest fixed (60–100°, 60–120 m) looking
/// anywhere; 92% online, 5% offline, 3% faulty. Ids `CAM-<village>-<nn>`.
pub(super) fn cameras(buildings: &[Building], rng: &mut SynthRng) -> Vec<Camera> {
    let mut dwellings: BTreeMap<&DivisionCode, Vec<&Building>> = BTreeMap::new();
    for b in buildings {
        if let Some(v) = &b.village {
            if b.building_use == BuildingUse::Residential && b.households.count > 0 {
                dwellings.entry(v).or_default().push(b);
            }
        }
    }
    let mut out = Vec::new();
    for (village, homes) in dwellings {
        let households: u32 = homes.iter().map(|b| b.households.count).sum();
        for k in 1..=households.div_ceil(HOUSEHOLDS_PER_CAMERA) {
            let home = homes[rng.gen_range(0..homes.len())];
            let Some(r) = home.footprint.bounding_rect() else {
                continue;
            };
            let (kx, ky) = metres_per_degree(r.center().y);
            let bearing = rng.gen_range(0.0..std::f64::consts::TAU);
            let off = rng.gen_range(8.0..15.0);
            let dome = rng.gen_bool(0.2);
            let status = match rng.gen_range(0..100) {
                0..92 => CameraStatus::Online,
                92..97 => CameraStatus::Offline,
                _ => CameraStatus::Fault,
            };
            out.push(Camera {
                id: format!("CAM-{village}-{k:02}"),
                name: format!("{}号点位", k),
                position: geo_types::Point::new(
                    r.center().x + off * bearing.sin() / kx,
                    r.center().y + off * bearing.cos() / ky,
                ),
                direction: (!dome).then(|| rng.gen_range(0.0..360.0_f64).round()),
                fov: if dome {
                    360.0
                } else {
                    rng.gen_range(60.0..100.0_f64).round()
                },
                range: if dome {
                    40.0
                } else {
                    rng.gen_range(60.0..120.0_f64).round()
                },
                status,
            });
        }
    }
    out
}
