//! Points bucketed by the zoom-14 tile they fall in: the point index of the live
//! incidents. Adding a point is a push into its bucket (an R-tree insert cost a tenth of
//! incident ingest), and a tile at zoom 12 or more reads a handful of buckets.
//!
//! ```
//! use gridmap_tiles::point_buckets::PointBuckets;
//!
//! let mut points = PointBuckets::default();
//! points.insert([0.5, 0.5], 1);
//! points.insert([0.5001, 0.5], 2);
//! points.insert([0.9, 0.1], 3);
//! let mut near: Vec<u32> = points.in_box([0.49, 0.49, 0.51, 0.51]).collect();
//! near.sort();
//! assert_eq!(near, [1, 2]);
//! points.remove([0.5, 0.5], 1);
//! assert_eq!(points.in_box([0.49, 0.49, 0.51, 0.51]).collect::<Vec<_>>(), [2]);
//! ```

use std::collections::HashMap;

/// Buckets per world axis: zoom 14, about 2.4 km at the equator.
const BUCKETS_PER_AXIS: f64 = (1u32 << 14) as f64;

/// A point in world coordinates with its value.
type Entry = ([f64; 2], u32);

/// Points in world coordinates (`[0, 1]²`, Web Mercator), each with a `u32` value.
#[derive(Debug, Default)]
pub struct PointBuckets {
    buckets: HashMap<(u32, u32), Vec<Entry>>,
}

fn bucket_of(v: f64) -> u32 {
    (v.clamp(0.0, 1.0) * BUCKETS_PER_AXIS).min(BUCKETS_PER_AXIS - 1.0) as u32
}

impl PointBuckets {
    /// Adds `value` at `world`.
    pub fn insert(&mut self, world: [f64; 2], value: u32) {
        self.buckets
            .entry((bucket_of(world[0]), bucket_of(world[1])))
            .or_default()
            .push((world, value));
    }

    /// Removes `value` at `world`; false when it is not there.
    pub fn remove(&mut self, world: [f64; 2], value: u32) -> bool {
        let key = (bucket_of(world[0]), bucket_of(world[1]));
        let Some(bucket) = self.buckets.get_mut(&key) else {
            return false;
        };
        let Some(at) = bucket.iter().position(|&(p, v)| v == value && p == world) else {
            return false;
        };
        bucket.swap_remove(at);
        if bucket.is_empty() {
            self.buckets.remove(&key);
        }
        true
    }

    /// The values of the points inside `[min_x, min_y, max_x, max_y]` (edges included),
    /// in no particular order.
    pub fn in_box(&self, world: [f64; 4]) -> impl Iterator<Item = u32> + '_ {
        let [x0, y0, x1, y1] = world;
        let (bx0, by0, bx1, by1) = (bucket_of(x0), bucket_of(y0), bucket_of(x1), bucket_of(y1));
        let wanted = u64::from(bx1 - bx0 + 1) * u64::from(by1 - by0 + 1);
        // A large box visits the buckets that exist rather than every bucket it spans.
        let keys: Vec<(u32, u32)> = if wanted > self.buckets.len() as u64 {
            self.buckets
                .keys()
                .filter(|(bx, by)| (bx0..=bx1).contains(bx) && (by0..=by1).contains(by))
                .copied()
                .collect()
        } else {
            (bx0..=bx1)
                .flat_map(|bx| (by0..=by1).map(move |by| (bx, by)))
                .filter(|k| self.buckets.contains_key(k))
                .collect()
        };
        keys.into_iter()
            .filter_map(|k| self.buckets.get(&k))
            .flatten()
            .filter(move |(p, _)| p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1)
            .map(|&(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_finds_exactly_the_points_inside_it_across_buckets() {
        let mut points = PointBuckets::default();
        let mut all = Vec::new();
        // A lattice crossing many bucket edges.
        for i in 0..200u32 {
            for j in 0..50u32 {
                let p = [
                    0.8 + f64::from(i) * 0.000_031,
                    0.4 + f64::from(j) * 0.000_077,
                ];
                points.insert(p, i * 50 + j);
                all.push((p, i * 50 + j));
            }
        }
        for world in [
            [0.8001, 0.4002, 0.8033, 0.4031],
            [0.0, 0.0, 1.0, 1.0],
            [0.80, 0.40, 0.80, 0.40],
            [0.2, 0.2, 0.3, 0.3],
        ] {
            let mut got: Vec<u32> = points.in_box(world).collect();
            got.sort_unstable();
            let mut want: Vec<u32> = all
                .iter()
                .filter(|(p, _)| {
                    p[0] >= world[0] && p[0] <= world[2] && p[1] >= world[1] && p[1] <= world[3]
                })
                .map(|&(_, v)| v)
                .collect();
            want.sort_unstable();
            assert_eq!(got, want, "box {world:?}");
        }
    }

    #[test]
    fn removing_takes_out_only_that_value() {
        let mut points = PointBuckets::default();
        points.insert([0.3, 0.3], 7);
        points.insert([0.3, 0.3], 8);
        assert!(points.remove([0.3, 0.3], 7));
        assert!(!points.remove([0.3, 0.3], 7));
        assert_eq!(points.in_box([0.0, 0.0, 1.0, 1.0]).collect::<Vec<_>>(), [8]);
        assert!(points.remove([0.3, 0.3], 8));
        assert!(points.buckets.is_empty());
    }
}
