//! Ring simplification in tile pixel space.
//!
//! # Algorithm
//! Douglas–Peucker on a closed ring: the ring is split at its first point and the
//! point farthest from it, and each half is simplified as a polyline, keeping points
//! further than `tolerance` from the chord. Points are in tile extent units, so a
//! tolerance of half a screen pixel is `0.5 × extent / 256`.
//!
//! # Notes
//! Simplification can shrink a ring to a sliver; the caller drops rings left with
//! fewer than three distinct points or zero area after quantisation, so polygons are
//! never turned into invalid geometry.
//!
//! # Complexity
//! O(n log n) typical, O(n²) worst case, per ring; an explicit stack avoids recursion.

use crate::clip::Px;

/// Simplifies an open ring (last point not repeated) with Douglas–Peucker.
/// Rings of three points or fewer, and a non-positive tolerance, return a copy.
///
/// ```
/// use gridmap_tiles::simplify::simplify_ring;
/// // A square with a nearly straight midpoint on one side.
/// let r = [[0.0, 0.0], [50.0, 0.2], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]];
/// assert_eq!(simplify_ring(&r, 1.0).len(), 4);
/// assert_eq!(simplify_ring(&r, 0.1).len(), 5);
/// ```
pub fn simplify_ring(ring: &[Px], tolerance: f64) -> Vec<Px> {
    let mut out = Vec::new();
    simplify_ring_into(ring, tolerance, &mut out, &mut SimplifyScratch::default());
    out
}

/// Working buffers of [`simplify_ring_into`], kept between calls so that drawing a
/// tile does not allocate per ring.
#[derive(Debug, Default)]
pub struct SimplifyScratch {
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
}

/// [`simplify_ring`] writing into `out` (cleared first) and reusing `scratch`.
///
/// ```
/// use gridmap_tiles::simplify::{simplify_ring, simplify_ring_into, SimplifyScratch};
/// let r = [[0.0, 0.0], [50.0, 0.2], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]];
/// let (mut out, mut scratch) = (Vec::new(), SimplifyScratch::default());
/// simplify_ring_into(&r, 1.0, &mut out, &mut scratch);
/// assert_eq!(out, simplify_ring(&r, 1.0));
/// ```
pub fn simplify_ring_into(
    ring: &[Px],
    tolerance: f64,
    out: &mut Vec<Px>,
    scratch: &mut SimplifyScratch,
) {
    out.clear();
    let n = ring.len();
    if n <= 3 || tolerance <= 0.0 {
        out.extend_from_slice(ring);
        return;
    }
    let Some(&first) = ring.first() else {
        return;
    };
    // Split at the point farthest from the first one.
    let mut far = 0;
    let mut far_d = -1.0;
    for (i, p) in ring.iter().enumerate() {
        let d = (p[0] - first[0]).powi(2) + (p[1] - first[1]).powi(2);
        if d > far_d {
            far_d = d;
            far = i;
        }
    }
    // The ring closed again, so index n is the first point.
    let at = |i: usize| {
        if i == n {
            Some(first)
        } else {
            ring.get(i).copied()
        }
    };
    let keep = &mut scratch.keep;
    keep.clear();
    keep.resize(n + 1, false);
    for i in [0, far, n] {
        if let Some(k) = keep.get_mut(i) {
            *k = true;
        }
    }
    let tol2 = tolerance * tolerance;
    let stack = &mut scratch.stack;
    stack.clear();
    stack.extend([(0usize, far), (far, n)]);
    while let Some((a, b)) = stack.pop() {
        let (Some(pa), Some(pb)) = (at(a), at(b)) else {
            continue;
        };
        let mut best = 0;
        let mut best_d = -1.0;
        for i in a + 1..b {
            let Some(p) = at(i) else { break };
            let d = seg_dist2(p, pa, pb);
            if d > best_d {
                best_d = d;
                best = i;
            }
        }
        if best_d > tol2 {
            if let Some(k) = keep.get_mut(best) {
                *k = true;
            }
            stack.push((a, best));
            stack.push((best, b));
        }
    }
    out.extend(
        ring.iter()
            .zip(keep.iter())
            .filter(|(_, &k)| k)
            .map(|(&p, _)| p),
    );
}

/// Squared distance from `p` to the segment `a`–`b`.
fn seg_dist2(p: Px, a: Px, b: Px) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    (p[0] - cx).powi(2) + (p[1] - cy).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_keeps_its_shape_within_tolerance() {
        let ring: Vec<Px> = (0..360)
            .map(|d| {
                let a = f64::from(d).to_radians();
                [1000.0 + 500.0 * a.cos(), 1000.0 + 500.0 * a.sin()]
            })
            .collect();
        let s = simplify_ring(&ring, 2.0);
        assert!(s.len() < ring.len() / 2 && s.len() > 8, "{}", s.len());
        for p in &ring {
            let d = (0..s.len())
                .map(|i| seg_dist2(*p, s[i], s[(i + 1) % s.len()]))
                .fold(f64::INFINITY, f64::min);
            assert!(d.sqrt() <= 2.0 + 1e-9);
        }
    }

    #[test]
    fn tiny_rings_are_returned_unchanged() {
        let r = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
        assert_eq!(simplify_ring(&r, 10.0), r.to_vec());
    }
}
