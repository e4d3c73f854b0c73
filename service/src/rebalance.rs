//! Rebalancing: the partitioner run again over a village's grids as they are, moving as
//! few households as it can. Over the whole village, locked grids stay; over a
//! selection of grids, only the selection's buildings are cut again and every other
//! grid stays exactly as it is. The partitioner already keeps locked grids untouched,
//! so a selection is rebalanced by handing it the other grids as locked (their real
//! lock comes back afterwards), and the result is checked rather than trusted.

use crate::county::VillageParts;
use crate::edit::EditedVillage;
use crate::{ServiceError, ServiceResult};
use gridmap_core::partition::{partition_village, PartitionParams};
use gridmap_core::{Grid, GridCode};
use std::collections::{BTreeSet, HashMap};

/// `part`'s village partitioned again: all of it (`selection` `None`; locked grids
/// stay), or only the buildings of the grids in `selection`. A selection naming no
/// grid, a grid of another village (400), a grid the village does not have (404) or a
/// locked grid (409) is refused, naming it.
pub fn rebalance(
    part: &VillageParts<'_>,
    selection: Option<&[GridCode]>,
    params: &PartitionParams,
) -> ServiceResult<EditedVillage> {
    let village = &part.village.code;
    let Some(selection) = selection else {
        return run(part, &part.grids, params);
    };
    let selected = checked_selection(part, selection)?;
    let held: Vec<Grid> = part
        .grids
        .iter()
        .map(|g| Grid {
            locked: g.locked || !selected.contains(&g.code),
            ..g.clone()
        })
        .collect();
    let mut out = run(part, &held, params)?;
    let before: HashMap<&GridCode, &Grid> = part.grids.iter().map(|g| (&g.code, g)).collect();
    for g in &mut out.grids {
        if let Some(was) = before.get(&g.code).filter(|_| !selected.contains(&g.code)) {
            g.locked = was.locked;
        }
    }
    // Every grid outside the selection must come back with its members, staff and code.
    for was in part.grids.iter().filter(|g| !selected.contains(&g.code)) {
        let now = out.grids.iter().find(|g| g.code == was.code);
        let same = now.is_some_and(|g| {
            g.members == was.members && g.staff == was.staff && g.households == was.households
        });
        if !same {
            return Err(ServiceError::Internal(format!(
                "rebalancing grids of {village} changed grid {}, which was not selected",
                was.code
            )));
        }
    }
    Ok(out)
}

/// The codes of `selection`, once each, if every one is an unlocked grid of the village.
fn checked_selection(
    part: &VillageParts<'_>,
    selection: &[GridCode],
) -> ServiceResult<BTreeSet<GridCode>> {
    let village = &part.village.code;
    if selection.is_empty() {
        return Err(ServiceError::BadInput(format!(
            "name at least one grid of {village} to rebalance, or leave `grids` out for the whole village"
        )));
    }
    for code in selection {
        if &code.village() != village {
            return Err(ServiceError::BadInput(format!(
                "grid {code} belongs to village {}, not {village}: rebalance each village on its own",
                code.village()
            )));
        }
        match part.grids.iter().find(|g| &g.code == code) {
            None => {
                return Err(ServiceError::NotFound(format!(
                    "village {village} has no grid {code}"
                )))
            }
            Some(g) if g.locked => {
                return Err(ServiceError::Conflict(format!(
                    "grid {code} is locked: unlock it to rebalance it, or leave it out of the selection"
                )))
            }
            Some(_) => {}
        }
    }
    Ok(selection.iter().cloned().collect())
}

/// The partitioner over `part` starting from `grids`.
fn run(
    part: &VillageParts<'_>,
    grids: &[Grid],
    params: &PartitionParams,
) -> ServiceResult<EditedVillage> {
    let village = &part.village.code;
    let out = partition_village(&part.input(grids), params)
        .map_err(|e| ServiceError::BadInput(format!("rebalancing {village}: {e}")))?;
    Ok(EditedVillage {
        grids: out.grids,
        created: None,
        report: Some(out.report),
    })
}
