//! Repair mode: starting from the previous grids of the village.

use super::flats::FlatMove;
use super::state::{State, NONE};
use super::units;
use crate::model::{Building, Grid};
use std::collections::HashMap;

/// A flat range `[start, end)` of a split building.
type Flats = Option<(u32, u32)>;
/// A member as (building id, households, flats).
type MemberOf<'a> = (&'a str, u32, Flats);

/// Sites keep the previous grid most of their households were in. A building the
/// previous run split by flats between grids, with the same households now, keeps its
/// split: the flats it had in other grids are returned as flat moves to those grids'
/// parts, and their weight already counts there (the site carries the rest), so
/// balancing sees the grids as they were and a re-run moves nobody.
pub(crate) fn init_from_previous<'a>(
    st: &mut State<'_>,
    sites: &[units::Site],
    buildings: &[&'a Building],
    prev: &[&'a Grid],
) -> Vec<FlatMove> {
    let mut by_building: HashMap<&str, Vec<(usize, Flats, u32)>> = HashMap::new();
    for (gi, g) in prev.iter().enumerate() {
        for m in &g.members {
            by_building
                .entry(m.building.as_str())
                .or_default()
                .push((gi, m.flats, m.households));
        }
    }
    let mut part_of = vec![NONE; prev.len()];
    let mut got: Vec<Vec<MemberOf<'a>>> = vec![Vec::new(); prev.len()];
    // (site, member, flats, previous grid) of the kept splits.
    let mut splits: Vec<(usize, usize, u32, usize)> = Vec::new();
    for (u, site) in sites.iter().enumerate() {
        let mut votes: Vec<(usize, u64)> = Vec::new();
        for m in &site.members {
            let Some(b) = buildings.get(m.building) else {
                continue;
            };
            let Some(entries) = by_building.get(b.source_id.as_str()) else {
                continue;
            };
            // The same flats; an unchanged building split by flats goes to the grid
            // of its bottom flats (the grid that drew it; the others keep theirs);
            // else the grid that held most of the building.
            let gi = entries
                .iter()
                .find(|e| e.1 == m.flats)
                .or_else(|| keepable_split(m, entries))
                .or_else(|| {
                    entries
                        .iter()
                        .max_by(|a, b| a.2.cmp(&b.2).then(b.0.cmp(&a.0)))
                })
                .map(|e| e.0);
            if let Some(gi) = gi {
                match votes.iter_mut().find(|v| v.0 == gi) {
                    Some(v) => v.1 += u64::from(m.households) + 1,
                    None => votes.push((gi, u64::from(m.households) + 1)),
                }
            }
        }
        let Some(&(gi, _)) = votes
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        if part_of[gi] == NONE {
            part_of[gi] = st.new_part(st.g.comp[u], false);
        }
        st.add(u, part_of[gi]);
        for (k, m) in site.members.iter().enumerate() {
            let Some(b) = buildings.get(m.building) else {
                continue;
            };
            let entries = by_building.get(b.source_id.as_str());
            if let Some(entries) = entries.filter(|e| kept_splits(u, k, m, gi, e, &mut splits)) {
                // The grids get the building's flats back as they held them.
                for e in entries.iter() {
                    got[e.0].push((b.source_id.as_str(), e.2, e.1));
                }
            } else {
                got[gi].push((b.source_id.as_str(), m.households, m.flats));
            }
        }
    }
    for (gi, g) in prev.iter().enumerate() {
        if part_of[gi] == NONE {
            continue;
        }
        let mut had: Vec<MemberOf<'_>> = g
            .members
            .iter()
            .map(|m| (m.building.as_str(), m.households, m.flats))
            .collect();
        had.sort_unstable();
        got[gi].sort_unstable();
        if had != got[gi] {
            st.dirty[part_of[gi] as usize] = true;
        }
    }
    let mut moves = Vec::new();
    for (site, member, flats, gi) in splits {
        let (p, q) = (st.part[site], part_of[gi]);
        if p == NONE || q == NONE || p == q || st.w[site] <= flats {
            for part in [p, q].into_iter().filter(|&x| x != NONE) {
                st.dirty[part as usize] = true;
            }
            continue;
        }
        st.w[site] -= flats;
        st.pw[p as usize] -= u64::from(flats);
        st.pw[q as usize] += u64::from(flats);
        moves.push(FlatMove {
            site,
            member,
            flats,
            to: q,
        });
    }
    moves
}

/// The previous entry holding the bottom flats of a whole-building member `m` whose
/// households the previous grids held exactly, as flat ranges in two or more grids.
fn keepable_split<'e>(
    m: &units::Member,
    entries: &'e [(usize, Flats, u32)],
) -> Option<&'e (usize, Flats, u32)> {
    if m.flats.is_some() || entries.len() < 2 || entries.iter().any(|e| e.1.is_none()) {
        return None;
    }
    let total: u32 = entries.iter().map(|e| e.2).sum();
    if total != m.households {
        return None;
    }
    entries.iter().min_by_key(|e| e.1.map_or(0, |f| f.0))
}

/// Adds to `out` the flats of a whole-building member `m` (site `u`, member `k`) that
/// the previous grids other than `home` held, top flats first, when the previous grids
/// held exactly its households as flat ranges, the bottom ones in `home` (an unchanged
/// building the previous run split). Returns whether it did.
fn kept_splits(
    u: usize,
    k: usize,
    m: &units::Member,
    home: usize,
    entries: &[(usize, Flats, u32)],
    out: &mut Vec<(usize, usize, u32, usize)>,
) -> bool {
    if keepable_split(m, entries).is_none_or(|bottom| bottom.0 != home) {
        return false;
    }
    let mut others: Vec<&(usize, Flats, u32)> = entries.iter().filter(|e| e.0 != home).collect();
    others.sort_by_key(|e| std::cmp::Reverse(e.1.map_or(0, |f| f.0)));
    out.extend(others.into_iter().map(|e| (u, k, e.2, e.0)));
    true
}

/// The kept splits that still stand once the parts are final; a kept split whose grid
/// vanished, or whose building's site joined that grid, is undone (its flats go back
/// to the site).
pub(crate) fn settle_kept_splits(st: &mut State<'_>, kept: Vec<FlatMove>) -> Vec<FlatMove> {
    let (stand, undone): (Vec<FlatMove>, Vec<FlatMove>) = kept
        .into_iter()
        .partition(|mv| st.pc[mv.to as usize] > 0 && st.part[mv.site] != mv.to);
    for mv in undone {
        st.w[mv.site] += mv.flats;
        if let Some(p) = st.pw.get_mut(st.part[mv.site] as usize) {
            *p += u64::from(mv.flats);
        }
        if let Some(q) = st.pw.get_mut(mv.to as usize) {
            *q -= u64::from(mv.flats);
        }
    }
    stand
}
