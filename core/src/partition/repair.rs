//! Repair mode: starting from the previous grids of the village.

use super::state::{State, NONE};
use super::units;
use crate::model::{Building, Grid};
use std::collections::HashMap;

/// A flat range `[start, end)` of a split building.
type Flats = Option<(u32, u32)>;
/// A member as (building id, households, flats).
type OwnedMember = (String, u32, Flats);

/// Sites keep the previous grid most of their households were in.
pub(crate) fn init_from_previous(
    st: &mut State<'_>,
    sites: &[units::Site],
    buildings: &[&Building],
    prev: &[&Grid],
) {
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
    let mut got: Vec<Vec<OwnedMember>> = vec![Vec::new(); prev.len()];
    for (u, site) in sites.iter().enumerate() {
        let mut votes: Vec<(usize, u64)> = Vec::new();
        for m in &site.members {
            let Some(b) = buildings.get(m.building) else {
                continue;
            };
            let Some(entries) = by_building.get(b.source_id.as_str()) else {
                continue;
            };
            // The same flats, else the grid that held most of the building (a
            // building split by flats stays with the grid that drew it).
            let gi = entries
                .iter()
                .find(|e| e.1 == m.flats)
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
        for m in &site.members {
            if let Some(b) = buildings.get(m.building) {
                got[gi].push((b.source_id.clone(), m.households, m.flats));
            }
        }
    }
    for (gi, g) in prev.iter().enumerate() {
        if part_of[gi] == NONE {
            continue;
        }
        let mut had: Vec<OwnedMember> = g
            .members
            .iter()
            .map(|m| (m.building.clone(), m.households, m.flats))
            .collect();
        had.sort();
        got[gi].sort();
        if had != got[gi] {
            st.dirty[part_of[gi] as usize] = true;
        }
    }
}
