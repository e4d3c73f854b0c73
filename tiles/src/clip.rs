//! Clipping rings to the buffered tile square.
//!
//! # Algorithm
//! Sutherland–Hodgman: the ring is clipped against each of the four half-planes of the
//! axis-aligned square in turn; an edge crossing a side adds its intersection point.
//! Each ring is clipped on its own, so a polygon's exterior and holes stay separate.
//!
//! # Notes
//! A concave ring that leaves and re-enters the square comes back as one ring whose
//! parts are joined by zero-width runs along the square's sides. Those runs have no
//! area and are removed after quantisation by the spike filter in [`crate::encode`],
//! so the output still fills correctly. A ring enclosing the whole square comes back as
//! the square itself, which is what a big village polygon needs at high zoom.
//!
//! # Complexity
//! O(n) per ring per side.

/// A point in tile pixel space (extent units, y down).
pub type Px = [f64; 2];

/// Clips an open ring (last point not repeated) to the square `[min, max]²`.
/// Returns an open ring, empty when nothing is left.
///
/// ```
/// use gridmap_tiles::clip::clip_ring;
/// // A square that covers the clip square completely comes back as the clip square.
/// let big = [[-100.0, -100.0], [200.0, -100.0], [200.0, 200.0], [-100.0, 200.0]];
/// let out = clip_ring(&big, 0.0, 100.0);
/// assert_eq!(out.len(), 4);
/// assert!(out.iter().all(|p| p[0] == 0.0 || p[0] == 100.0));
/// // A ring fully outside vanishes.
/// assert!(clip_ring(&[[200.0, 0.0], [300.0, 0.0], [300.0, 50.0]], 0.0, 100.0).is_empty());
/// ```
pub fn clip_ring(ring: &[Px], min: f64, max: f64) -> Vec<Px> {
    let (mut out, mut tmp) = (Vec::new(), Vec::new());
    clip_ring_into(ring, min, max, &mut out, &mut tmp);
    out
}

/// [`clip_ring`] writing into `out` (cleared first), with `tmp` as the second working
/// buffer, so that a caller clipping many rings reuses both.
///
/// ```
/// use gridmap_tiles::clip::{clip_ring, clip_ring_into};
/// let r = [[50.0, 50.0], [150.0, 50.0], [150.0, 150.0], [50.0, 150.0]];
/// let (mut out, mut tmp) = (Vec::new(), Vec::new());
/// clip_ring_into(&r, 0.0, 100.0, &mut out, &mut tmp);
/// assert_eq!(out, clip_ring(&r, 0.0, 100.0));
/// ```
pub fn clip_ring_into(ring: &[Px], min: f64, max: f64, out: &mut Vec<Px>, tmp: &mut Vec<Px>) {
    out.clear();
    out.extend_from_slice(ring);
    let (mut current, mut next) = (out, tmp);
    let sides = [
        (false, min, true),
        (false, max, false),
        (true, min, true),
        (true, max, false),
    ];
    // Four passes: the result ends in the buffer it started in.
    for (y_axis, bound, greater) in sides {
        next.clear();
        let inside = |p: &Px| {
            let v = if y_axis { p[1] } else { p[0] };
            if greater {
                v >= bound
            } else {
                v <= bound
            }
        };
        if let Some(&last) = current.last() {
            let mut prev = last;
            let mut prev_in = inside(&prev);
            for &p in current.iter() {
                let p_in = inside(&p);
                if p_in != prev_in {
                    next.push(intersect(prev, p, y_axis, bound));
                }
                if p_in {
                    next.push(p);
                }
                prev = p;
                prev_in = p_in;
            }
        }
        std::mem::swap(&mut current, &mut next);
    }
}

fn intersect(a: Px, b: Px, y_axis: bool, bound: f64) -> Px {
    if y_axis {
        let t = (bound - a[1]) / (b[1] - a[1]);
        [a[0] + t * (b[0] - a[0]), bound]
    } else {
        let t = (bound - a[0]) / (b[0] - a[0]);
        [bound, a[1] + t * (b[1] - a[1])]
    }
}

/// Whether every point of the ring lies in `[min, max]²` (then clipping can be skipped).
pub fn ring_inside(ring: &[Px], min: f64, max: f64) -> bool {
    ring.iter()
        .all(|p| p[0] >= min && p[0] <= max && p[1] >= min && p[1] <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(r: &[Px]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| {
                let (a, b) = (r[i], r[(i + 1) % n]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn partial_overlap_keeps_the_overlapping_area_and_winding() {
        let r = [[50.0, 50.0], [150.0, 50.0], [150.0, 150.0], [50.0, 150.0]];
        let out = clip_ring(&r, 0.0, 100.0);
        assert!((area(&out) - 2500.0).abs() < 1e-9, "{out:?}");
        assert!(out
            .iter()
            .all(|p| (0.0..=100.0).contains(&p[0]) && (0.0..=100.0).contains(&p[1])));
        let rev: Vec<Px> = r.iter().rev().copied().collect();
        assert!((area(&clip_ring(&rev, 0.0, 100.0)) + 2500.0).abs() < 1e-9);
    }

    #[test]
    fn ring_inside_is_unchanged() {
        let r = [[10.0, 10.0], [20.0, 10.0], [15.0, 30.0]];
        assert_eq!(clip_ring(&r, 0.0, 100.0), r.to_vec());
        assert!(ring_inside(&r, 0.0, 100.0));
    }
}
