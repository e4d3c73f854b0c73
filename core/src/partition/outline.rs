//! Building the grid outlines from the final assignment, and moving buildings whose
//! cell ended up cut off from the rest of their grid.

use super::graph::feasible;
use super::polygon::{absorb_strays, part_shapes, ClipRegion};
use super::stack::Footprints;
use super::state::{State, NONE};
use super::zones;
use super::PartitionParams;
use crate::geometry::planar_perimeter;
use geo::BooleanOps;
use geo_types::MultiPolygon;
use std::collections::HashMap;

/// Clipped grid shapes (local metres) by part: one Voronoi diagram for the village, or
/// one per barrier zone; the footprints of vertical grids are cut out of them by the
/// stacking rule (see `stack`), so what follows sees the ground grids as drawn.
pub(crate) fn build_shapes(
    st: &State<'_>,
    zones: &[geo_types::Polygon<f64>],
    clip: &ClipRegion,
    footprints: &Footprints,
    params: &PartitionParams,
) -> Result<Vec<MultiPolygon<f64>>, spade::InsertionError> {
    let mut site_pos: Vec<Vec<[f64; 2]>> = vec![Vec::new(); st.n_parts()];
    for (u, &p) in st.part.iter().enumerate() {
        if let Some(list) = site_pos.get_mut(p as usize) {
            list.push(st.pos[u]);
        }
    }
    let mut shapes = if zones.len() > 1 {
        zones::zoned_shapes(zones, &st.pos, &st.part, &st.g.comp, st.n_parts(), params)?
    } else {
        let mut clipped: Vec<MultiPolygon<f64>> = part_shapes(st.g, &st.part, st.n_parts())
            .into_iter()
            .map(|s| clip.clip(s))
            .collect();
        absorb_strays(&mut clipped, &site_pos);
        clipped
    };
    let part_of = |u: usize| st.part.get(u).filter(|&&p| p != NONE).map(|&p| p as usize);
    footprints.carve_into(&mut shapes, part_of, &site_pos);
    Ok(shapes)
}

/// Sites in a piece of their grid's polygon other than its main piece (the one with
/// most sites), each paired with the neighbouring grid of the same component sharing
/// the longest border with that piece, where both sizes stay within the range.
pub(crate) fn cut_off_moves(
    st: &State<'_>,
    shapes: &[MultiPolygon<f64>],
    params: &PartitionParams,
    ctot: &[u64],
) -> Vec<(usize, u32)> {
    use geo::{BoundingRect, Contains};
    let (min, max) = (u64::from(params.min), u64::from(params.max));
    let mut moves = Vec::new();
    let mut added: HashMap<u32, u64> = HashMap::new();
    for (p, shape) in shapes.iter().enumerate() {
        if shape.0.len() < 2 {
            continue;
        }
        let sites: Vec<usize> = (0..st.part.len())
            .filter(|&u| st.part[u] == p as u32)
            .collect();
        let in_piece: Vec<Vec<usize>> = shape
            .0
            .iter()
            .map(|piece| {
                sites
                    .iter()
                    .copied()
                    .filter(|&u| piece.contains(&geo_types::Point::new(st.pos[u][0], st.pos[u][1])))
                    .collect()
            })
            .collect();
        let Some(main) =
            (0..in_piece.len()).max_by_key(|&i| (in_piece[i].len(), std::cmp::Reverse(i)))
        else {
            continue;
        };
        let feasible_comp = ctot
            .get(st.pcomp[p] as usize)
            .is_some_and(|&h| feasible(h, params));
        let mut pw = st.pw[p];
        for (i, piece_sites) in in_piece.iter().enumerate() {
            if i == main || piece_sites.is_empty() {
                continue;
            }
            let piece = MultiPolygon(vec![shape.0[i].clone()]);
            let Some(pb) = piece.bounding_rect() else {
                continue;
            };
            let w: u64 = piece_sites.iter().map(|&u| u64::from(st.w[u])).sum();
            let mut best: Option<(f64, u32)> = None;
            for (q, other) in shapes.iter().enumerate() {
                if q == p || other.0.is_empty() || st.pcomp[q] != st.pcomp[p] {
                    continue;
                }
                let wq = st.pw[q] + added.get(&(q as u32)).copied().unwrap_or(0);
                if feasible_comp && (wq + w > max || pw < min + w) {
                    continue;
                }
                let Some(ob) = other.bounding_rect() else {
                    continue;
                };
                if ob.max().x < pb.min().x
                    || ob.min().x > pb.max().x
                    || ob.max().y < pb.min().y
                    || ob.min().y > pb.max().y
                {
                    continue;
                }
                let u = other.union(&piece);
                if u.0.len() > other.0.len() {
                    continue;
                }
                let shared = (planar_perimeter(&piece) + planar_perimeter(other)
                    - planar_perimeter(&u))
                    / 2.0;
                if shared > 1e-6 && best.is_none_or(|b| shared > b.0) {
                    best = Some((shared, q as u32));
                }
            }
            if let Some((_, q)) = best {
                pw -= w;
                *added.entry(q).or_default() += w;
                moves.extend(piece_sites.iter().map(|&u| (u, q)));
            }
        }
    }
    moves
}
