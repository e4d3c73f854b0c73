//! Turning buildings into partition units ("sites"): one site per distinct building
//! point in local metres, carrying the households that take part in residential grids.
//! High-rises above `max` households are split into whole flat-level grids here, their
//! remainder staying on the site; institutions become vertical grids when asked.

use super::error::PartitionFlag;
use super::project::LocalProj;
use super::PartitionParams;
use crate::model::{Building, BuildingUse, Grid};
use geo::CoordsIter;
use geo_types::Coord;
use std::collections::{HashMap, HashSet};

/// One building's (or flat range's) share of a unit or grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Index into the village's building slice.
    pub building: usize,
    pub households: u32,
    pub flats: Option<(u32, u32)>,
}

/// A partition unit: a distinct point (local metres) with the members placed there.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub pos: [f64; 2],
    pub weight: u32,
    pub members: Vec<Member>,
}

/// A grid decided before partitioning: a whole-flat part of a split high-rise or an
/// institution ("vertical") grid. Its polygon is the building footprint.
#[derive(Debug, Clone)]
pub(crate) struct FixedGrid {
    pub members: Vec<Member>,
    pub households: u32,
    pub institution: bool,
    pub pos: [f64; 2],
}

/// Sites and fixed grids of one village.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    pub sites: Vec<Site>,
    pub fixed: Vec<FixedGrid>,
    pub flags: Vec<PartitionFlag>,
}

/// How a high-rise of `h > max` households is cut: sizes of its whole grids (flat
/// order) and the remainder left for an ordinary grid. The count is
/// `round(h/target)` clamped to `[ceil(h/max), floor(h/min)]`, sizes as equal as
/// possible; when that range is empty, `floor(h/max)` grids of `max` and a remainder
/// below `min` that joins a neighbouring grid.
pub(crate) fn split_tower(h: u32, p: &PartitionParams) -> (Vec<u32>, u32) {
    let lo = h.div_ceil(p.max);
    let hi = h / p.min;
    if lo <= hi {
        let n = ((f64::from(h) / f64::from(p.target)).round() as u32)
            .clamp(lo, hi)
            .max(1);
        let base = h / n;
        let extra = h % n;
        ((0..n).map(|i| base + u32::from(i < extra)).collect(), 0)
    } else {
        let n = h / p.max;
        (vec![p.max; n as usize], h - n * p.max)
    }
}

/// How a high-rise of `h > max` households is cut on a re-run, when its previous
/// vertical grids held `prev` flats each (in flat order from flat 0): the previous
/// grids are kept from the bottom up as long as the building still has their flats,
/// and only the flats above them are cut again ([`split_tower`]), so a change of
/// floors touches the top grids only. Falls back to [`split_tower`] when the previous
/// sizes are out of range.
pub(crate) fn split_tower_keeping(h: u32, prev: &[u32], p: &PartitionParams) -> (Vec<u32>, u32) {
    if prev.is_empty() || prev.iter().any(|&s| s < p.min || s > p.max) {
        return split_tower(h, p);
    }
    let mut sizes = prev.to_vec();
    let mut total: u32 = sizes.iter().sum();
    while total > h {
        total -= sizes.pop().unwrap_or(0);
    }
    let extra = h - total;
    if extra < p.min {
        return (sizes, extra);
    }
    let (more, rest) = split_tower(extra, p);
    sizes.extend(more);
    (sizes, rest)
}

/// Flat counts of the previous vertical grids of each high-rise, in flat order, where
/// they cover flats `0..n` without holes.
fn previous_towers(previous: &[&Grid]) -> HashMap<String, Vec<u32>> {
    let mut ranges: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
    for g in previous {
        let Some(first) = g.members.first() else {
            continue;
        };
        let one = g
            .members
            .iter()
            .all(|m| m.building == first.building && m.flats.is_some());
        if g.institution || !one || g.members.len() != 1 {
            continue;
        }
        if let Some(f) = first.flats {
            ranges.entry(first.building.as_str()).or_default().push(f);
        }
    }
    ranges
        .into_iter()
        .filter_map(|(b, mut rs)| {
            rs.sort_unstable();
            let mut at = 0;
            for r in &rs {
                if r.0 != at || r.1 <= r.0 {
                    return None;
                }
                at = r.1;
            }
            Some((b.to_owned(), rs.iter().map(|r| r.1 - r.0).collect()))
        })
        .collect()
}

/// Flats of one high-rise to leave on the ground when the village's other households
/// (`ground`) are too few for a grid of their own: `(building index, flats)`. Without
/// them a tower cut into whole grids leaves a few sheds, or only empty land, as a grid
/// below `min` (a comprehensive grid that is one tower and its yard); with them the top
/// flats of the largest tower join the ground into a grid of about `target` households,
/// and the tower's whole grids are cut from the flats below.
fn flats_for_the_ground(
    buildings: &[&Building],
    skip: &HashSet<&str>,
    params: &PartitionParams,
) -> Option<(usize, u32)> {
    let own_grid = |b: &Building| {
        b.households.count > params.max
            || (b.building_use == BuildingUse::Institution && params.institution_grids)
    };
    let counted = || {
        buildings
            .iter()
            .enumerate()
            .filter(|(_, b)| !skip.contains(b.source_id.as_str()))
    };
    let ground: u32 = counted()
        .filter(|(_, b)| !own_grid(b))
        .map(|(_, b)| b.households.count)
        .sum();
    if ground >= params.min {
        return None;
    }
    let (i, tower) = counted()
        .filter(|(_, b)| {
            b.households.count > params.max && b.building_use != BuildingUse::Institution
        })
        .max_by_key(|(i, b)| (b.households.count, std::cmp::Reverse(*i)))?;
    let flats = params
        .target
        .saturating_sub(ground)
        .clamp(params.min - ground, params.max - ground);
    (tower.households.count - flats > params.max).then_some((i, flats))
}

/// Builds sites (sorted by position, duplicates merged) and fixed grids; high-rises
/// keep the cut of their `previous` vertical grids where it still fits.
pub(crate) fn prepare(
    buildings: &[&Building],
    skip: &HashSet<&str>,
    proj: &LocalProj,
    fallback: [f64; 2],
    params: &PartitionParams,
    previous: &[&Grid],
) -> Prepared {
    let mut out = Prepared::default();
    let towers = previous_towers(previous);
    let for_the_ground = flats_for_the_ground(buildings, skip, params);
    let mut raw: Vec<([f64; 2], Option<Member>)> = Vec::with_capacity(buildings.len());
    for (i, b) in buildings.iter().enumerate() {
        if skip.contains(b.source_id.as_str()) {
            continue;
        }
        let finite = b
            .footprint
            .coords_iter()
            .all(|c| c.x.is_finite() && c.y.is_finite());
        let pos = finite
            .then(|| crate::geometry::representative_point(&b.footprint))
            .flatten()
            .map(|p| proj.fwd(Coord { x: p.x(), y: p.y() }))
            .filter(|c| c.x.is_finite() && c.y.is_finite())
            .map(|c| [c.x, c.y]);
        let pos = match pos {
            Some(p) => p,
            None => {
                out.flags.push(PartitionFlag::InvalidBuilding {
                    building: b.source_id.clone(),
                });
                fallback
            }
        };
        let h = b.households.count;
        if b.building_use == BuildingUse::Institution && params.institution_grids {
            out.fixed.push(FixedGrid {
                members: vec![Member {
                    building: i,
                    households: h,
                    flats: None,
                }],
                households: h,
                institution: true,
                pos,
            });
        } else if h > params.max {
            // The top flats left on the ground are cut like a remainder.
            let kept = match for_the_ground {
                Some((tower, flats)) if tower == i => flats,
                _ => 0,
            };
            let (sizes, rest) = match towers.get(b.source_id.as_str()) {
                Some(prev) => split_tower_keeping(h - kept, prev, params),
                None => split_tower(h - kept, params),
            };
            let rest = rest + kept;
            let mut start = 0;
            for s in sizes {
                out.fixed.push(FixedGrid {
                    members: vec![Member {
                        building: i,
                        households: s,
                        flats: Some((start, start + s)),
                    }],
                    households: s,
                    institution: false,
                    pos,
                });
                start += s;
            }
            // A tower without a remainder leaves no site: its footprint lies in the
            // cells of its neighbours.
            if rest > 0 {
                raw.push((
                    pos,
                    Some(Member {
                        building: i,
                        households: rest,
                        flats: Some((start, h)),
                    }),
                ));
            }
        } else {
            raw.push((
                pos,
                Some(Member {
                    building: i,
                    households: h,
                    flats: None,
                }),
            ));
        }
    }
    raw.sort_by(|a, b| {
        a.0[0]
            .total_cmp(&b.0[0])
            .then(a.0[1].total_cmp(&b.0[1]))
            .then_with(|| {
                let ka = a.1.as_ref().map(|m| m.building);
                let kb = b.1.as_ref().map(|m| m.building);
                ka.cmp(&kb)
            })
    });
    for (pos, m) in raw {
        let pos = [pos[0] + 0.0, pos[1] + 0.0];
        let same = out.sites.last().is_some_and(|s| s.pos == pos);
        if !same {
            out.sites.push(Site {
                pos,
                weight: 0,
                members: Vec::new(),
            });
        }
        if let (Some(m), Some(site)) = (m, out.sites.last_mut()) {
            site.weight = site.weight.saturating_add(m.households);
            site.members.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tower_of_55_makes_one_full_grid_and_a_remainder() {
        let p = PartitionParams::default();
        assert_eq!(split_tower(55, &p), (vec![50], 5));
    }

    #[test]
    fn a_re_run_keeps_the_lower_grids_of_a_tower() {
        let p = PartitionParams::default();
        // 3 × 40 + 5 → 3 floors more (+30): the three grids stay, 35 flats above.
        assert_eq!(
            split_tower_keeping(155, &[40, 40, 40], &p),
            (vec![40, 40, 40, 35], 0)
        );
        // Fewer flats: the top grid goes, the rest of its flats form a new grid.
        assert_eq!(
            split_tower_keeping(112, &[40, 40, 40], &p),
            (vec![40, 40, 32], 0)
        );
        assert_eq!(
            split_tower_keeping(125, &[40, 40, 40], &p),
            (vec![40, 40, 40], 5)
        );
        for h in 51..600 {
            let (sizes, rest) = split_tower_keeping(h, &[45, 45, 45, 45], &p);
            assert_eq!(sizes.iter().sum::<u32>() + rest, h);
            assert!(rest < p.min && sizes.iter().all(|&s| (30..=50).contains(&s)));
        }
    }

    #[test]
    fn tower_of_200_splits_evenly_in_range() {
        let p = PartitionParams::default();
        let (sizes, rest) = split_tower(200, &p);
        assert_eq!(rest, 0);
        assert_eq!(sizes.iter().sum::<u32>(), 200);
        assert!(sizes.iter().all(|&s| (30..=50).contains(&s)), "{sizes:?}");
    }

    #[test]
    fn tower_splits_always_cover_every_flat() {
        let p = PartitionParams::default();
        for h in 51..2000 {
            let (sizes, rest) = split_tower(h, &p);
            assert_eq!(sizes.iter().sum::<u32>() + rest, h);
            assert!(rest < p.min);
            assert!(
                sizes.iter().all(|&s| s <= p.max && s >= p.min),
                "{h}: {sizes:?}"
            );
        }
    }
}
