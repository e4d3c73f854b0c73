//! Barrier zones: the village (minus locked grids) sliced by the barrier lines.
//!
//! Where roads, rivers or railways cut the village, grid outlines should follow them.
//! The clip region is sliced by the barrier polylines (i_overlay's slice operation, so
//! neighbouring zones share their boundary exactly). Each zone is tiled by the Voronoi
//! cells of its own sites only (a separate triangulation per zone), clipped to the zone;
//! a grid's pieces in several zones (a small area joined across a road) are unioned,
//! and zones holding no building go to the neighbouring grid with the longest shared
//! border. Barriers that end inside the village leave a single zone and change nothing
//! here (they still cut links in the neighbour graph).

use super::graph::{self, Seg};
use super::polygon::{absorb_strays, part_shapes, shape_boxes, ClipRegion};
use super::state::NONE;
use super::PartitionParams;
use crate::geometry::planar_perimeter;
use geo::{BooleanOps, Distance, Euclidean};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::slice::FloatSlice;
use rstar::{RTree, AABB};

/// Slices `region` by `lines` (local metres); one polygon per zone.
pub(crate) fn slice(region: &MultiPolygon<f64>, lines: &[Vec<[f64; 2]>]) -> Vec<Polygon<f64>> {
    if lines.is_empty() {
        return region.0.clone();
    }
    let mut paths: Vec<Vec<[f64; 2]>> = Vec::new();
    for poly in &region.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let mut p: Vec<[f64; 2]> = ring.0.iter().map(|c| [c.x, c.y]).collect();
            if p.len() > 1 && p.first() == p.last() {
                p.pop();
            }
            if p.len() >= 3 {
                paths.push(p);
            }
        }
    }
    let shapes = paths.slice_by(&lines.to_vec(), FillRule::EvenOdd);
    shapes
        .into_iter()
        .filter_map(|shape| {
            let mut rings = shape.into_iter().map(|c| {
                let mut coords: Vec<Coord<f64>> =
                    c.into_iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
                if let Some(&f) = coords.first() {
                    coords.push(f);
                }
                LineString(coords)
            });
            let exterior = rings.next()?;
            Some(Polygon::new(exterior, rings.collect()))
        })
        .collect()
}

/// Joins zones whose buildings belong to the same component of the neighbour graph
/// (a small area joined to its neighbour across a road): the road between them splits
/// no grids, so the outline ignores it there.
fn group_by_component(
    zones: &mut [MultiPolygon<f64>],
    zone_sites: &mut [Vec<usize>],
    comp: &[u32],
) {
    let n = zones.len();
    let mut sets = crate::disjoint::DisjointSets::new(n);
    let mut first_zone: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for (z, sites) in zone_sites.iter().enumerate() {
        for &u in sites {
            let Some(&c) = comp.get(u) else { continue };
            let other = *first_zone.entry(c).or_insert(z);
            sets.join(other, z);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> =
        std::collections::BTreeMap::new();
    for z in 0..n {
        let r = sets.root(z);
        groups.entry(r).or_default().push(z);
    }
    for (r, members) in groups {
        if members.len() < 2 {
            continue;
        }
        let union = geo::unary_union(members.iter().map(|&z| &zones[z]));
        let mut sites = Vec::new();
        for &z in &members {
            sites.append(&mut zone_sites[z]);
            zones[z] = MultiPolygon(vec![]);
        }
        zones[r] = union;
        zone_sites[r] = sites;
    }
}

/// Joins each zone holding no building to the neighbouring zone with buildings that
/// shares the longest border with it (zones come from one slice, so shared borders
/// match exactly and the union is clean). Joined zones are left empty.
fn merge_empty_zones(zones: &mut [MultiPolygon<f64>], zone_sites: &[Vec<usize>]) {
    use geo::BoundingRect;
    let has_sites: Vec<bool> = zone_sites.iter().map(|s| !s.is_empty()).collect();
    // Candidates through an R-tree of the original zone boxes; a zone absorbed into
    // another is found through `owner`.
    let boxes = shape_boxes(zones);
    let mut owner: Vec<usize> = (0..zones.len()).collect();
    loop {
        let mut changed = false;
        for e in 0..zones.len() {
            if has_sites[e] || owner[e] != e || zones[e].0.is_empty() {
                continue;
            }
            let Some(eb) = zones[e].bounding_rect() else {
                continue;
            };
            let env = AABB::from_corners([eb.min().x, eb.min().y], [eb.max().x, eb.max().y]);
            let mut cands: Vec<usize> = boxes
                .locate_in_envelope_intersecting(&env)
                .map(|b| owner[b.data])
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let ep = planar_perimeter(&zones[e]);
            let mut best: Option<(f64, usize, MultiPolygon<f64>)> = None;
            for z in cands {
                if z == e || !has_sites[z] || zones[z].0.is_empty() {
                    continue;
                }
                let u = zones[z].union(&zones[e]);
                if u.0.len() > zones[z].0.len() {
                    continue;
                }
                let shared = (ep + planar_perimeter(&zones[z]) - planar_perimeter(&u)) / 2.0;
                if shared > 1e-6 && best.as_ref().is_none_or(|b| shared > b.0) {
                    best = Some((shared, z, u));
                }
            }
            if let Some((_, z, u)) = best {
                zones[z] = u;
                zones[e] = MultiPolygon(vec![]);
                for o in owner.iter_mut() {
                    if *o == e {
                        *o = z;
                    }
                }
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Grid shapes (clipped, local metres) by part when the village has several zones.
pub(crate) fn zoned_shapes(
    zones: &[Polygon<f64>],
    pos: &[[f64; 2]],
    part: &[u32],
    comp: &[u32],
    n_parts: usize,
    params: &PartitionParams,
) -> Result<Vec<MultiPolygon<f64>>, spade::InsertionError> {
    let mut zones: Vec<MultiPolygon<f64>> = zones
        .iter()
        .map(|z| MultiPolygon(vec![z.clone()]))
        .collect();
    let regions: Vec<ClipRegion> = zones.iter().map(|z| ClipRegion::new(z.clone())).collect();
    let mut zone_sites: Vec<Vec<usize>> = vec![Vec::new(); zones.len()];
    for (u, p) in pos.iter().enumerate() {
        let z = regions
            .iter()
            .position(|r| r.contains_point(*p))
            .or_else(|| {
                let pt = Point::new(p[0], p[1]);
                zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| (Euclidean.distance(&pt, z), i))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|x| x.1)
            });
        if let Some(z) = z {
            zone_sites[z].push(u);
        }
    }
    group_by_component(&mut zones, &mut zone_sites, comp);
    merge_empty_zones(&mut zones, &zone_sites);
    let regions: Vec<ClipRegion> = zones.iter().map(|z| ClipRegion::new(z.clone())).collect();
    let mut pieces: Vec<Vec<MultiPolygon<f64>>> = vec![Vec::new(); n_parts + 1];
    let no_barriers: RTree<Seg> = RTree::new();
    for (z, sites) in zone_sites.iter().enumerate() {
        let zone = zones[z].clone();
        if zone.0.is_empty() {
            continue;
        }
        let owners: Vec<u32> = sites
            .iter()
            .map(|&u| part[u])
            .filter(|&p| p != NONE)
            .collect();
        let Some(&first) = owners.first() else {
            // No building: handed to a neighbour below.
            pieces[n_parts].push(zone);
            continue;
        };
        if owners.iter().all(|&p| p == first) {
            pieces[first as usize].push(zone);
            continue;
        }
        let zpos: Vec<[f64; 2]> = sites.iter().map(|&u| pos[u]).collect();
        let zpart: Vec<u32> = sites.iter().map(|&u| part[u]).collect();
        let weights = vec![0u32; zpos.len()];
        let g = graph::build(&zpos, &weights, &no_barriers, &regions[z], params)?;
        for (p, shape) in part_shapes(&g, &zpart, n_parts).into_iter().enumerate() {
            if !shape.0.is_empty() {
                pieces[p].push(regions[z].clip(shape));
            }
        }
    }
    let mut shapes: Vec<MultiPolygon<f64>> = pieces
        .into_iter()
        .map(|mut list| match list.len() {
            0 => MultiPolygon(vec![]),
            1 => list.pop().unwrap_or_else(|| MultiPolygon(vec![])),
            _ => {
                let mut acc = list.swap_remove(0);
                for p in &list {
                    acc = acc.union(p);
                }
                acc
            }
        })
        .collect();
    // Site positions per part (the extra last part has none: its pieces all move).
    let mut site_pos: Vec<Vec<[f64; 2]>> = vec![Vec::new(); n_parts + 1];
    for (u, &p) in part.iter().enumerate() {
        if let Some(list) = site_pos.get_mut(p as usize) {
            list.push(pos[u]);
        }
    }
    absorb_strays(&mut shapes, &site_pos);
    shapes.truncate(n_parts);
    Ok(shapes)
}
