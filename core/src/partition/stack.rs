//! Stacked grids: the rule that decides which grid polygons may overlap.
//!
//! # The stacking rule
//! The **ground grids** (area grids) tile the village: no two of them overlap. A
//! **vertical grid** stands on one building's footprint: the whole-flat grids of a
//! high-rise above `max` households and institution grids. Its polygon is exactly the
//! footprint (clipped to the village), and
//!
//! * a building whose remaining flats (fewer than `min`) belong to a ground grid is
//!   **held** by that grid: the holder's polygon contains the whole footprint and no
//!   other ground grid covers any of it; the vertical grids are stacked on the holder;
//! * a building whose households all belong to its own vertical grids is **cut out** of
//!   the ground grids: no ground grid covers its footprint, its vertical grids are
//!   stacked on it (identical polygons) — unless cutting it out would cut a ground grid
//!   in pieces (a footprint lying across a narrow grid, or closing off a yard between
//!   footprints): then that grid holds the whole footprint as above, without flats
//!   (of several such grids, the one with most area under the footprint).
//!
//! So every footprint lies either outside all ground grids or wholly inside exactly
//! one. A stacked group is one footprint with its vertical grids (and its holder, if
//! any). Any other overlap between two grid polygons is a violation. Together, the
//! ground grids and the cut-out footprints cover the village.

use super::polygon::{absorb_strays, shape_boxes, ClipRegion};
use super::project::LocalProj;
use super::units::Prepared;
use crate::model::{Building, Grid};
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

/// The footprints the vertical grids of a village stand on (local metres, clipped to
/// the region the grids tile and made disjoint), one per building.
#[derive(Debug, Default)]
pub(crate) struct Footprints {
    /// Index (into the village's buildings) of the building of each footprint.
    pub buildings: Vec<usize>,
    pub shapes: Vec<MultiPolygon<f64>>,
    /// The site holding the building's remaining flats, if it has any.
    pub rest_site: Vec<Option<usize>>,
}

impl Footprints {
    /// The footprints of the buildings of `prep`'s fixed (vertical) grids.
    pub(crate) fn new(
        buildings: &[&Building],
        prep: &Prepared,
        proj: &LocalProj,
        clip: &ClipRegion,
    ) -> Footprints {
        let mut out = Footprints::default();
        for f in &prep.fixed {
            if let Some(m) = f.members.first() {
                if !out.buildings.contains(&m.building) {
                    out.buildings.push(m.building);
                }
            }
        }
        let shapes = out
            .buildings
            .iter()
            .map(|&b| {
                let footprint = buildings
                    .get(b)
                    .map(|b| proj.fwd_mp(&b.footprint))
                    .unwrap_or_else(|| MultiPolygon(vec![]));
                let clipped = clip.clip(footprint.clone());
                if clipped.0.is_empty() {
                    footprint
                } else {
                    clipped
                }
            })
            .collect();
        out.shapes = disjoint_footprints(shapes);
        let mut rest: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for (u, s) in prep.sites.iter().enumerate() {
            for m in s.members.iter().filter(|m| m.flats.is_some()) {
                rest.insert(m.building, u);
            }
        }
        out.rest_site = out.buildings.iter().map(|b| rest.get(b).copied()).collect();
        out
    }

    /// Cuts the footprints out of the ground `shapes` (indexed by part) by the stacking
    /// rule, `part_of` giving the part of a site, then hands pieces a footprint cut off
    /// from their sites (`sites`, per part) to their neighbours.
    pub(crate) fn carve_into(
        &self,
        shapes: &mut [MultiPolygon<f64>],
        part_of: impl Fn(usize) -> Option<usize>,
        sites: &[Vec<[f64; 2]>],
    ) {
        if self.shapes.is_empty() {
            return;
        }
        let holders: Vec<Option<usize>> = self
            .rest_site
            .iter()
            .map(|s| s.and_then(&part_of))
            .collect();
        carve(shapes, &self.shapes, &holders);
        absorb_strays(shapes, sites);
    }
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
    let building = one_building(g)?;
    if g.institution {
        return Some(building);
    }
    let fa = footprint_area(building)?;
    (shape.unsigned_area() <= fa * 1.001 + 1e-6).then_some(building)
}

/// The building of a grid whose members could stand on one footprint: an institution's
/// grid, or flats of one building only (whether it is drawn on the footprint or on its
/// cell, [`stands_on`] decides by area).
pub(crate) fn one_building(g: &Grid) -> Option<&str> {
    let first = g.members.first()?;
    let one = g.members.iter().all(|m| m.building == first.building);
    (one && (g.institution || g.members.iter().all(|m| m.flats.is_some())))
        .then_some(first.building.as_str())
}

/// Overlaps that the stacking rule does not allow, found among layers where at least
/// one side is vertical (ground grids do not overlap by construction; the validator
/// checks those pairs itself): `(i, j, area m²)` with `i < j`. A ground grid may lie
/// under a footprint when it holds flats of the building, or when it is the only ground
/// grid under the footprint (by more than `tol` m²) and covers all of it.
/// Also returns the number of stacked groups (distinct footprints with vertical grids)
/// and the area of the footprints outside every ground grid (cut-out area, counted once
/// per footprint), which together with the ground grids covers the village.
pub(crate) fn vertical_overlaps(
    layers: &[Layer<'_>],
    tol: f64,
) -> (Vec<(usize, usize, f64)>, usize, f64) {
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
        // Ground grids under the footprint: (layer, area, holds flats of the building).
        let mut under: Vec<(usize, f64, bool)> = Vec::new();
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
                // Ground grids: once per footprint.
                None if !first_of_building => continue,
                _ => {}
            }
            let a = l.shape.intersection(o.shape).unsigned_area();
            if a <= 0.0 {
                continue;
            }
            if o.stands_on.is_none() {
                let holds = o.grid.members.iter().any(|m| m.building == b);
                under.push((j, a, holds));
            } else {
                bad.push((i.min(j), i.max(j), a));
            }
        }
        if !first_of_building {
            continue;
        }
        let area = l.shape.unsigned_area();
        let with_flats = under.iter().any(|u| u.2);
        let above: Vec<&(usize, f64, bool)> = under.iter().filter(|u| u.1 > tol).collect();
        let whole_holder = match above.as_slice() {
            [only] if !with_flats && only.1 >= area - tol => Some(only.0),
            _ => None,
        };
        let mut covered = 0.0;
        for &(j, a, holds) in &under {
            covered += a;
            if !(holds || Some(j) == whole_holder) {
                bad.push((i.min(j), i.max(j), a));
            }
        }
        cut_out += (area - covered).max(0.0);
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
/// every ground shape except its holder, which takes the whole footprint. `holder[f]`
/// is the ground shape holding the building's remaining flats; a footprint without one
/// is held by the ground shape it would otherwise cut in pieces (most area under the
/// footprint first), and cut out of all when it cuts none. Returns the holders.
pub(crate) fn carve(
    ground: &mut [MultiPolygon<f64>],
    footprints: &[MultiPolygon<f64>],
    holder: &[Option<usize>],
) -> Vec<Option<usize>> {
    use geo::Intersects;
    let tree = shape_boxes(ground);
    let mut held = Vec::with_capacity(footprints.len());
    for (f, fp) in footprints.iter().enumerate() {
        let hold = holder.get(f).copied().flatten();
        let Some(r) = fp.bounding_rect() else {
            held.push(hold);
            continue;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut cands: Vec<usize> = tree
            .locate_in_envelope_intersecting(&env)
            .map(|c| c.data)
            .filter(|&g| Some(g) != hold && ground[g].intersects(fp))
            .collect();
        cands.sort_unstable();
        // (grid, what it keeps, area it loses)
        let cut: Vec<(usize, MultiPolygon<f64>, f64)> = cands
            .into_iter()
            .map(|g| {
                let rest = ground[g].difference(fp);
                let lost = ground[g].unsigned_area() - rest.unsigned_area();
                (g, rest, lost)
            })
            .collect();
        let hold = hold.or_else(|| {
            cut.iter()
                .filter(|(g, rest, _)| pieces(rest) > pieces(&ground[*g]))
                .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)))
                .map(|c| c.0)
        });
        for (g, rest, _) in cut {
            if Some(g) != hold {
                ground[g] = rest;
            }
        }
        if let Some(h) = hold.filter(|&h| h < ground.len()) {
            ground[h] = ground[h].union(fp);
        }
        held.push(hold);
    }
    held
}

/// Pieces of a shape, not counting slivers that boolean operations leave (< 1e-6 m²).
fn pieces(shape: &MultiPolygon<f64>) -> usize {
    shape.0.iter().filter(|p| p.unsigned_area() > 1e-6).count()
}

/// Pieces of ground shapes that hold none of their grid's sites and that absorbing
/// strays could not place (a corner of ground enclosed by cut-out footprints and the
/// village outline; a sliver the boolean operations leave along a footprint's clipped
/// edge) are settled here, so every ground grid stays in one piece:
/// * a piece outside the region the grids tile (a sliver beyond the outline) or below
///   the noise of the boolean operations (1e-9 of the region's area) is dropped;
/// * a piece bordering a footprint no larger than 0.1% of it joins the footprint: the
///   footprint's holder takes both, or, for a cut-out footprint, the footprint grows
///   by the piece (its grids stay vertical and the village stays covered).
///
/// Returns how many pieces moved.
pub(crate) fn give_enclosed_to_footprints(
    ground: &mut [MultiPolygon<f64>],
    sites: &[Vec<[f64; 2]>],
    footprints: &mut [MultiPolygon<f64>],
    clip: &ClipRegion,
) -> usize {
    use geo::{Contains, InteriorPoint, Intersects};
    let mut moved = 0;
    // Boolean operations snap to an integer grid over the shape's box: pieces below
    // this are their noise (they tile to within ~1e-9 of the area).
    let noise = 1e-9 * clip.shape.unsigned_area();
    let fp_boxes = shape_boxes(footprints);
    for g in 0..ground.len() {
        if ground[g].0.len() < 2 {
            continue;
        }
        let own = sites.get(g).map(Vec::as_slice).unwrap_or(&[]);
        let holds_site = |p: &geo_types::Polygon<f64>| {
            own.iter()
                .any(|c| p.contains(&geo_types::Point::new(c[0], c[1])))
        };
        let pieces = std::mem::take(&mut ground[g].0);
        let any_site = pieces.iter().any(&holds_site);
        let largest = (0..pieces.len()).max_by(|&a, &b| {
            pieces[a]
                .unsigned_area()
                .total_cmp(&pieces[b].unsigned_area())
        });
        let (main, strays): (Vec<_>, Vec<_>) =
            pieces.into_iter().enumerate().partition(|(k, p)| {
                if any_site {
                    holds_site(p)
                } else {
                    Some(*k) == largest
                }
            });
        ground[g].0 = main.into_iter().map(|x| x.1).collect();
        for (_, piece) in strays {
            let outside = piece
                .interior_point()
                .is_some_and(|pt| !clip.contains_point([pt.x(), pt.y()]));
            if outside || piece.unsigned_area() < noise {
                moved += 1;
                continue;
            }
            let piece = MultiPolygon(vec![piece]);
            let area = piece.unsigned_area();
            let mut cands: Vec<usize> = piece
                .bounding_rect()
                .map(|r| {
                    let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                    fp_boxes
                        .locate_in_envelope_intersecting(&env)
                        .map(|c| c.data)
                        .collect()
                })
                .unwrap_or_default();
            cands.sort_unstable();
            let mut placed = false;
            for f in cands {
                let fp = &footprints[f];
                if area > 1e-3 * fp.unsigned_area() || !fp.intersects(&piece) {
                    continue;
                }
                let u = fp.union(&piece);
                if u.0.len() > fp.0.len() {
                    continue;
                }
                match holder_of(ground, fp) {
                    Some(h) => {
                        let joined = ground[h].union(&u);
                        if joined.0.len() <= ground[h].0.len() {
                            ground[h] = joined;
                            placed = true;
                        }
                    }
                    None => {
                        footprints[f] = u;
                        placed = true;
                    }
                }
                if placed {
                    break;
                }
            }
            if placed {
                moved += 1;
            } else {
                ground[g].0.extend(piece.0);
            }
        }
    }
    moved
}

/// The ground shape under more than a sliver (1e-4) of `fp`, if any.
fn holder_of(ground: &[MultiPolygon<f64>], fp: &MultiPolygon<f64>) -> Option<usize> {
    use geo::Intersects;
    let sliver = 1e-4 * fp.unsigned_area();
    ground
        .iter()
        .position(|g| g.intersects(fp) && g.intersection(fp).unsigned_area() > sliver)
}
