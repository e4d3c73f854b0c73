//! Grid codes, versions and how many households changed grid.
//!
//! Fresh runs number grids west→east within north→south rows (row height ≈ one grid).
//! Re-runs keep the code of a grid with unchanged members, hand the codes of changed
//! grids to the new grid sharing most households with them, and give new grids the
//! lowest free serials in reading order.

use crate::model::{DivisionCode, Grid, GridCode, GridMember};
use std::collections::{HashMap, HashSet};

/// A flat range `[start, end)` of a split building.
type Flats = Option<(u32, u32)>;
/// A member as (building, households, flats).
type MemberKey<'a> = (&'a str, u32, Flats);

/// What code assignment needs to know about a new grid.
pub(crate) struct CodeInput<'a> {
    pub members: &'a [GridMember],
    pub institution: bool,
    /// Reading position in local metres (x east, y north).
    pub key: [f64; 2],
}

/// A code for a new grid and the previous grid it continues, if any.
#[derive(Debug, Clone)]
pub(crate) struct Coded {
    pub code: GridCode,
    pub prev: Option<usize>,
    /// The previous grid had exactly the same members.
    pub same_members: bool,
}

fn member_key(m: &[GridMember]) -> Vec<MemberKey<'_>> {
    let mut k: Vec<_> = m
        .iter()
        .map(|m| (m.building.as_str(), m.households, m.flats))
        .collect();
    k.sort_unstable();
    k
}

fn overlap(a: Option<(u32, u32)>, ha: u32, b: Option<(u32, u32)>, hb: u32) -> u32 {
    match (a, b) {
        (Some((s1, e1)), Some((s2, e2))) => e1.min(e2).saturating_sub(s1.max(s2)),
        _ => ha.min(hb),
    }
}

/// Indices of `keys` in reading order: rows of height `band` from the north, west→east.
pub(crate) fn reading_order(keys: &[[f64; 2]], band: f64) -> Vec<usize> {
    let top = keys.iter().map(|k| k[1]).fold(f64::MIN, f64::max);
    let band = if band.is_finite() && band > 0.0 {
        band
    } else {
        1.0
    };
    let row = |k: &[f64; 2]| ((top - k[1]) / band).floor() as i64;
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&a, &b| {
        row(&keys[a])
            .cmp(&row(&keys[b]))
            .then(keys[a][0].total_cmp(&keys[b][0]))
            .then(a.cmp(&b))
    });
    idx
}

/// Codes for `grids`; `None` when serials run out (more than 999 grids).
pub(crate) fn assign(
    village: &DivisionCode,
    grids: &[CodeInput<'_>],
    previous: &[&Grid],
    locked: &[&Grid],
    band: f64,
) -> Option<Vec<Coded>> {
    let mut used: HashSet<u16> = locked.iter().map(|g| g.code.serial()).collect();
    let mut out: Vec<Option<Coded>> = vec![None; grids.len()];
    let mut prev_taken = vec![false; previous.len()];
    // 1. Unchanged members keep their code.
    let mut by_key: HashMap<(Vec<MemberKey<'_>>, bool), usize> = HashMap::new();
    for (j, g) in previous.iter().enumerate() {
        by_key
            .entry((member_key(&g.members), g.institution))
            .or_insert(j);
    }
    for (i, g) in grids.iter().enumerate() {
        if g.members.is_empty() {
            continue;
        }
        if let Some(&j) = by_key.get(&(member_key(g.members), g.institution)) {
            if !prev_taken[j] && !used.contains(&previous[j].code.serial()) {
                prev_taken[j] = true;
                used.insert(previous[j].code.serial());
                out[i] = Some(Coded {
                    code: previous[j].code.clone(),
                    prev: Some(j),
                    same_members: true,
                });
            }
        }
    }
    // 2. Changed grids inherit from the previous grid they share most households with.
    let mut prev_by_building: HashMap<&str, Vec<(usize, u32, Flats)>> = HashMap::new();
    for (j, g) in previous.iter().enumerate() {
        if prev_taken[j] {
            continue;
        }
        for m in &g.members {
            prev_by_building
                .entry(m.building.as_str())
                .or_default()
                .push((j, m.households, m.flats));
        }
    }
    let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
    for (i, g) in grids.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let mut shared: HashMap<usize, u32> = HashMap::new();
        for m in g.members {
            for &(j, h, f) in prev_by_building
                .get(m.building.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if previous[j].institution == g.institution {
                    *shared.entry(j).or_default() += overlap(m.flats, m.households, f, h) + 1;
                }
            }
        }
        pairs.extend(shared.into_iter().map(|(j, s)| (s, i, j)));
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, i, j) in pairs {
        if out[i].is_none() && !prev_taken[j] && !used.contains(&previous[j].code.serial()) {
            prev_taken[j] = true;
            used.insert(previous[j].code.serial());
            out[i] = Some(Coded {
                code: previous[j].code.clone(),
                prev: Some(j),
                same_members: false,
            });
        }
    }
    // 3. The rest get the lowest free serials in reading order.
    let keys: Vec<[f64; 2]> = grids.iter().map(|g| g.key).collect();
    let mut serial: u16 = 0;
    for i in reading_order(&keys, band) {
        if out[i].is_some() {
            continue;
        }
        loop {
            serial = serial.checked_add(1)?;
            if serial > 999 {
                return None;
            }
            if !used.contains(&serial) {
                break;
            }
        }
        used.insert(serial);
        out[i] = Some(Coded {
            code: GridCode::new(village, serial),
            prev: None,
            same_members: false,
        });
    }
    out.into_iter().collect()
}

/// Households whose grid code changed between `previous` and `new`. Households that
/// did not exist before are new, not moved: buildings absent before, and a building's
/// households beyond its previous count (a re-import with more floors; which flats are
/// new is unknown, so a building's moves are reduced by its growth). Locked grids are
/// identical and count nothing.
pub(crate) fn moved_households(previous: &[Grid], new: &[Grid]) -> u32 {
    /// A building as the previous grids held it, and as the new ones do.
    #[derive(Default)]
    struct Held<'g> {
        /// `(grid, households, flats)` before.
        before: Vec<(&'g str, u32, Flats)>,
        /// Households before.
        known: u32,
        /// Households now.
        now: u32,
        /// Households now not in their previous grid.
        moved: u32,
    }
    let mut held: HashMap<&str, Held<'_>> = HashMap::new();
    for g in previous {
        for m in &g.members {
            let h = held.entry(m.building.as_str()).or_default();
            h.before.push((g.code.as_str(), m.households, m.flats));
            h.known += m.households;
        }
    }
    for g in new {
        for m in &g.members {
            // Buildings absent before hold new households, not moved ones.
            let Some(h) = held.get_mut(m.building.as_str()) else {
                continue;
            };
            let kept: u32 = h
                .before
                .iter()
                .filter(|e| e.0 == g.code.as_str())
                .map(|&(_, households, flats)| overlap(m.flats, m.households, flats, households))
                .sum();
            h.now += m.households;
            h.moved += m.households.saturating_sub(kept);
        }
    }
    held.values()
        .map(|h| {
            let grown = h.now.saturating_sub(h.known);
            h.moved.saturating_sub(grown)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_order_runs_west_to_east_in_rows_from_the_north() {
        let keys = [[10.0, 0.0], [0.0, 0.0], [5.0, 100.0], [-5.0, 100.0]];
        assert_eq!(reading_order(&keys, 50.0), vec![3, 2, 1, 0]);
    }

    fn grid(serial: u16, members: &[(&str, u32)]) -> Grid {
        let village: crate::model::DivisionCode = "411622101201".parse().expect("code");
        Grid {
            code: GridCode::new(&village, serial),
            level: 1,
            parent: None,
            village,
            households: members.iter().map(|m| m.1).sum(),
            members: members
                .iter()
                .map(|&(b, h)| GridMember {
                    building: b.to_owned(),
                    households: h,
                    flats: None,
                })
                .collect(),
            polygon: geo_types::MultiPolygon(vec![]),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        }
    }

    #[test]
    fn new_households_are_not_moved_households() {
        let before = [grid(1, &[("a", 30), ("b", 10)]), grid(2, &[("c", 35)])];
        // "a" gains 10 households in its grid: nobody moved.
        let grown = [grid(1, &[("a", 40), ("b", 10)]), grid(2, &[("c", 35)])];
        assert_eq!(moved_households(&before, &grown), 0);
        // "b" moves to grid 2 and gains 2: its 10 old households moved.
        let moved = [grid(1, &[("a", 30)]), grid(2, &[("b", 12), ("c", 35)])];
        assert_eq!(moved_households(&before, &moved), 10);
        // A new building is new, not moved.
        let added = [
            grid(1, &[("a", 30), ("b", 10), ("d", 5)]),
            grid(2, &[("c", 35)]),
        ];
        assert_eq!(moved_households(&before, &added), 0);
    }
}
