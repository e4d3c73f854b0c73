//! Stacked grids: the rule that decides which grid polygons may overlap.
//!
//! # The stacking rule
//! The **ground grids** (area grids) tile the village: no two of them overlap. A
//! **vertical grid** stands on one building's footprint: the whole-flat grids of a
//! high-rise above `max` households and institution grids. Its polygon is exactly the
//! footprint (clipped to the village), and
//!
//! * a building whose households all belong to its own vertical grids is **cut out** of
//!   the ground grids: no ground grid covers its footprint, its vertical grids are
//!   stacked on it (identical polygons);
//! * a building whose remaining flats (fewer than `min`) belong to a ground grid is
//!   **held** by that grid: the holder's polygon contains the whole footprint and no
//!   other ground grid covers any of it; the vertical grids are stacked on the holder.
//!
//! A stacked group is one footprint with its vertical grids (and its holder, if any).
//! Any other overlap between two grid polygons is a violation. Together, the ground
//! grids and the cut-out footprints cover the village.

use super::polygon::shape_boxes;
use crate::model::Grid;
use geo::{Area, BooleanOps, BoundingRect};
use geo_types::MultiPolygon;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// One grid polygon (local metres) and its place in the stacking rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer<'a> {
    pub shape: &'a MultiPolygon<f64>,
    /// The building a vertical grid stands on; `None` for ground grids.
    pub stands_on: Option<&'a str>,
    /// The grid's members (for a ground grid, the buildings whose flats it holds).
    pub grid: &'a Grid,
}

/// Whether `g` is a vertical grid: an institution grid, or a grid made only of flats of
/// one building whose polygon is no larger than that building's footprint
/// (`footprint_area`, local m²; a ground grid holding only part of one building is
/// drawn on its cell and so is larger).
pub(crate) fn stands_on<'g>(
    g: &'g Grid,
    shape: &MultiPolygon<f64>,
    footprint_area: impl Fn(&str) -> Option<f64>,
) -> Option<&'g str> {
    let first = g.members.first()?;
    let one = g.members.iter().all(|m| m.building == first.building);
    if !one {
        return None;
    }
    if g.institution {
        return Some(first.building.as_str());
    }
    if !g.members.iter().all(|m| m.flats.is_some()) {
        return None;
    }
    let fa = footprint_area(&first.building)?;
    (shape.unsigned_area() <= fa * 1.001 + 1e-6).then_some(first.building.as_str())
}

/// Overlaps that the stacking rule does not allow, found among layers where at least
/// one side is vertical (ground grids do not overlap by construction; the validator
/// checks those pairs itself): `(i, j, area m²)` with `i < j`.
/// Also returns the number of stacked groups (distinct footprints with vertical grids)
/// and the area of the footprints outside every ground grid (cut-out area, counted once
/// per footprint), which together with the ground grids covers the village.
pub(crate) fn vertical_overlaps(layers: &[Layer<'_>]) -> (Vec<(usize, usize, f64)>, usize, f64) {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let r = l.shape.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut bad = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    let mut cut_out = 0.0;
    for (i, l) in layers.iter().enumerate() {
        let Some(b) = l.stands_on else { continue };
        // The first vertical grid of a building speaks for its footprint.
        let first_of_building = !groups.contains(&b);
        if first_of_building {
            groups.push(b);
        }
        let Some(r) = l.shape.bounding_rect() else {
            continue;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut under = 0.0;
        for cand in tree.locate_in_envelope_intersecting(&env) {
            let j = cand.data;
            if j == i {
                continue;
            }
            let o = &layers[j];
            match o.stands_on {
                // Stacked on the same footprint.
                Some(ob) if ob == b => continue,
                // Another footprint: each pair once.
                Some(_) if j < i => continue,
                Some(_) => {}
                None => {}
            }
            let a = l.shape.intersection(o.shape).unsigned_area();
            if a <= 0.0 {
                continue;
            }
            if o.stands_on.is_none() {
                under += a;
                let holder = o.grid.members.iter().any(|m| m.building == b);
                if holder {
                    continue;
                }
                // Report each ground overlap once per footprint.
                if !first_of_building {
                    continue;
                }
            }
            bad.push((i.min(j), i.max(j), a));
        }
        if first_of_building {
            cut_out += (l.shape.unsigned_area() - under).max(0.0);
        }
    }
    (bad, groups.len(), cut_out)
}

/// Footprints (local metres) made disjoint: each keeps what no earlier one covers
/// (footprints of real data sometimes overlap).
pub(crate) fn disjoint_footprints(mut fps: Vec<MultiPolygon<f64>>) -> Vec<MultiPolygon<f64>> {
    use geo::Intersects;
    for i in 1..fps.len() {
        let Some(ri) = fps[i].bounding_rect() else {
            continue;
        };
        for j in 0..i {
            let hit = fps[j].bounding_rect().is_some_and(|rj| rj.intersects(&ri));
            if hit && fps[i].intersects(&fps[j]) {
                fps[i] = fps[i].difference(&fps[j]);
            }
        }
    }
    fps
}

/// Applies the stacking rule to the ground shapes: every footprint is taken out of
/// every ground shape, except the one ground shape that holds the building's remaining
/// flats (`holder[f]`), which takes the whole footprint.
pub(crate) fn carve(
    ground: &mut [MultiPolygon<f64>],
    footprints: &[MultiPolygon<f64>],
    holder: &[Option<usize>],
) {
    use geo::Intersects;
    let tree = shape_boxes(ground);
    for (f, fp) in footprints.iter().enumerate() {
        let Some(r) = fp.bounding_rect() else {
            continue;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let hold = holder.get(f).copied().flatten();
        let mut cands: Vec<usize> = tree
            .locate_in_envelope_intersecting(&env)
            .map(|c| c.data)
            .collect();
        cands.sort_unstable();
        for g in cands {
            if Some(g) == hold || !ground[g].intersects(fp) {
                continue;
            }
            ground[g] = ground[g].difference(fp);
        }
        if let Some(h) = hold.filter(|&h| h < ground.len()) {
            ground[h] = ground[h].union(fp);
        }
    }
}
