//! Property tests of the clip → simplify-free → quantise → clean pipeline against
//! geo's exact polygon intersection.

use geo::{Area, BooleanOps};
use geo_types::{LineString, Polygon};
use gridmap_tiles::clip::clip_ring;
use gridmap_tiles::encode::{area2, clean_ring};
use proptest::prelude::*;

const LO: f64 = -64.0;
const HI: f64 = 4160.0;

/// A star-shaped (hence simple) ring around `(cx, cy)` with the given radii.
fn star(cx: f64, cy: f64, radii: &[f64]) -> Vec<[f64; 2]> {
    let n = radii.len() as f64;
    radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = i as f64 / n * std::f64::consts::TAU;
            [cx + r * a.cos(), cy + r * a.sin()]
        })
        .collect()
}

fn poly(ring: &[[f64; 2]]) -> Polygon<f64> {
    Polygon::new(
        LineString::from(ring.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
        vec![],
    )
}

proptest! {
    #[test]
    fn clipped_and_cleaned_area_matches_the_exact_intersection(
        cx in -3000.0..7000.0f64,
        cy in -3000.0..7000.0f64,
        radii in prop::collection::vec(50.0..5000.0f64, 3..40),
    ) {
        let ring = star(cx, cy, &radii);
        let square = poly(&[[LO, LO], [HI, LO], [HI, HI], [LO, HI]]);
        let exact = poly(&ring).intersection(&square).unsigned_area();
        let clipped = clip_ring(&ring, LO, HI);
        let perimeter: f64 = clipped.iter().zip(clipped.iter().cycle().skip(1)).map(|(a, b)| (b[0] - a[0]).hypot(b[1] - a[1])).sum();
        match clean_ring(&clipped) {
            Some(q) => {
                for p in &q {
                    prop_assert!((-64..=4160).contains(&p[0]) && (-64..=4160).contains(&p[1]));
                }
                let ours = area2(&q).abs() as f64 / 2.0;
                // Rounding moves each point by at most half a unit diagonally, so the
                // area changes by at most ~0.71 × perimeter.
                let tol = 0.71 * perimeter + 2.0;
                prop_assert!((ours - exact).abs() <= tol, "ours {ours} exact {exact} tol {tol}");
                prop_assert!(area2(&q) != 0);
            }
            None => prop_assert!(exact <= 0.71 * perimeter + 2.0, "dropped a ring of area {exact}"),
        }
    }
}
