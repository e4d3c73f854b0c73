//! Property tests: repair never returns an invalid polygon, ring joining reassembles any
//! split of a ring, and CRS inverses round-trip.

use geo::{Validation, Winding};
use geo_types::Coord;
use gridmap_importers::crs::{gcj02_to_wgs84, in_mainland_china, wgs84_to_gcj02};
use gridmap_importers::osm::rings::join_rings;
use gridmap_importers::repair::repair_polygon;
use proptest::prelude::*;

proptest! {
    #[test]
    fn repaired_polygons_are_valid_and_counter_clockwise(
        pts in prop::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 0..12),
        close in any::<bool>(),
    ) {
        let mut ring: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x: 114.0 + x * 1e-3, y: 33.0 + y * 1e-3 }).collect();
        if close {
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
        }
        if let Ok(fixed) = repair_polygon(ring, vec![]) {
            prop_assert!(fixed.value.is_valid());
            prop_assert!(fixed.value.exterior().is_ccw());
        }
    }

    #[test]
    fn joining_reassembles_a_ring_split_any_way(
        n in 4usize..30,
        cuts in prop::collection::btree_set(1usize..29, 0..6),
        flips in prop::collection::vec(any::<bool>(), 7),
        rotation in 0usize..7,
    ) {
        // ring 0,1,…,n-1,0 split at the cut points into pieces sharing end nodes
        let ids: Vec<i64> = (0..n as i64).chain([0]).collect();
        let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < n).collect();
        bounds.insert(0, 0);
        bounds.push(n);
        let mut pieces: Vec<Vec<i64>> = bounds.windows(2).map(|w| ids[w[0]..=w[1]].to_vec()).collect();
        for (p, flip) in pieces.iter_mut().zip(flips.iter().cycle()) {
            if *flip {
                p.reverse();
            }
        }
        let k = pieces.len();
        pieces.rotate_left(rotation % k);
        let rings = join_rings(pieces).unwrap();
        prop_assert_eq!(rings.len(), 1);
        let ring = &rings[0];
        prop_assert_eq!(ring.first(), ring.last());
        prop_assert_eq!(ring.len(), n + 1);
        let mut seen: Vec<i64> = ring[..n].to_vec();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..n as i64).collect::<Vec<_>>());
    }

    #[test]
    fn gcj02_inverse_round_trips_across_china(x in 74.0f64..134.0, y in 18.0f64..53.0) {
        let w = Coord { x, y };
        // The offset stops at the mainland's border: a point whose offset crosses it
        // (within a few hundred metres of the border) has no inverse.
        prop_assume!(in_mainland_china(w) == in_mainland_china(wgs84_to_gcj02(w)));
        let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
        prop_assert!((back.x - x).abs() < 1e-9 && (back.y - y).abs() < 1e-9);
    }
}
