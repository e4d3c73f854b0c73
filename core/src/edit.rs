//! Grid edits as pure functions over one village's grids: the planner's moves, merges
//! and deletions change memberships here; [`crate::partition::rebuild_polygons`] then
//! draws the polygons again so the village stays tiled.
//!
//! Edits work on whole buildings; flats of a split high-rise stay with the grids the
//! partitioner gave them. Locked grids are never changed by an edit.
//!
//! ```
//! use gridmap_core::edit::move_buildings;
//! use gridmap_core::partition::{partition_village, rebuild_polygons, PartitionParams, VillageInput};
//! let (v, b) = gridmap_synth::small::villages(1, 300, 1);
//! let refs: Vec<&_> = b.iter().collect();
//! let p = PartitionParams::default();
//! let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
//! let mut grids = partition_village(&input, &p).unwrap().grids;
//! let (from, to) = (grids[0].code.clone(), grids[1].code.clone());
//! let building = grids[0].members[0].building.clone();
//! move_buildings(&mut grids, &[building.as_str()], &to).unwrap();
//! let out = rebuild_polygons(&VillageInput { previous: &grids, ..input }, &p).unwrap();
//! let holder = out.grids.iter().find(|g| g.members.iter().any(|m| m.building == building)).unwrap();
//! assert_eq!(holder.code, to);
//! assert!(out.grids.iter().any(|g| g.code == from));
//! ```

use crate::geometry::representative_point;
use crate::model::{Building, DivisionCode, Grid, GridCode, GridMember};
use geo::BoundingRect;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Why an edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    #[error("no grid {0} in this village")]
    UnknownGrid(GridCode),
    #[error("building {0:?} is in no grid of this village")]
    UnknownBuilding(String),
    #[error("grid {0} is locked: unlock it first")]
    Locked(GridCode),
    #[error(
        "building {0:?} is split by flats between grids; move its flats instead of the building"
    )]
    SplitBuilding(String),
    #[error("grid {0} still holds {1} households: move them or merge the grid instead")]
    NotEmpty(GridCode, u32),
    #[error("a grid cannot be merged into itself ({0})")]
    SameGrid(GridCode),
    #[error("grid {0} has fewer than two buildings to split between")]
    TooSmallToSplit(GridCode),
    #[error("village has no free grid serial left (999 used)")]
    NoFreeSerial,
    #[error("select at least one building")]
    EmptySelection,
    #[error("grid {0} is not a grid of this village")]
    OtherVillage(GridCode),
    #[error(
        "building {building:?}: flats {start}..{end} are not within its {households} households"
    )]
    FlatsOutOfRange {
        building: String,
        start: u32,
        end: u32,
        households: u32,
    },
    #[error("building {0:?} is given whole and by flats (or whole twice): give it one way")]
    ConflictingRows(String),
}

/// One line of a plan: building `building` (source id) — or, for a high-rise split
/// between grids, its flats `[start, end)` — belongs to grid `grid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub building: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flats: Option<(u32, u32)>,
    pub grid: GridCode,
}

fn index_of(grids: &[Grid], code: &GridCode) -> Result<usize, EditError> {
    grids
        .iter()
        .position(|g| &g.code == code)
        .ok_or_else(|| EditError::UnknownGrid(code.clone()))
}

fn unlocked(grids: &[Grid], i: usize) -> Result<usize, EditError> {
    match grids.get(i) {
        Some(g) if g.locked => Err(EditError::Locked(g.code.clone())),
        _ => Ok(i),
    }
}

fn recount(g: &mut Grid) {
    g.households = g
        .members
        .iter()
        .fold(0u32, |a, m| a.saturating_add(m.households));
}

/// Moves whole buildings (by source id) into grid `to`, from whichever grids hold them;
/// household counts follow. Refused (and nothing changed) for unknown grids or
/// buildings, locked grids and buildings split by flats.
pub fn move_buildings(
    grids: &mut [Grid],
    buildings: &[&str],
    to: &GridCode,
) -> Result<(), EditError> {
    let target = unlocked(grids, index_of(grids, to)?)?;
    let mut sources = Vec::with_capacity(buildings.len());
    for &b in buildings {
        let holders: Vec<usize> = (0..grids.len())
            .filter(|&i| grids[i].members.iter().any(|m| m.building == b))
            .collect();
        match holders.as_slice() {
            [] => return Err(EditError::UnknownBuilding(b.to_owned())),
            [one]
                if grids[*one]
                    .members
                    .iter()
                    .any(|m| m.building == b && m.flats.is_some()) =>
            {
                return Err(EditError::SplitBuilding(b.to_owned()))
            }
            [one] => sources.push((b, unlocked(grids, *one)?)),
            _ => return Err(EditError::SplitBuilding(b.to_owned())),
        }
    }
    for (b, from) in sources {
        if from == target {
            continue;
        }
        let Some(pos) = grids[from].members.iter().position(|m| m.building == b) else {
            continue;
        };
        let member = grids[from].members.remove(pos);
        recount(&mut grids[from]);
        grids[target].members.push(member);
        recount(&mut grids[target]);
    }
    Ok(())
}

/// Merges grid `absorbed` into `kept`: every member moves, `absorbed` disappears.
pub fn merge(grids: &mut Vec<Grid>, kept: &GridCode, absorbed: &GridCode) -> Result<(), EditError> {
    if kept == absorbed {
        return Err(EditError::SameGrid(kept.clone()));
    }
    let k = unlocked(grids, index_of(grids, kept)?)?;
    let a = unlocked(grids, index_of(grids, absorbed)?)?;
    let members = std::mem::take(&mut grids[a].members);
    grids[k].members.extend(members);
    recount(&mut grids[k]);
    grids.remove(a);
    Ok(())
}

/// Removes a grid that holds no households (its area goes to its neighbours when the
/// polygons are rebuilt).
pub fn delete_empty(grids: &mut Vec<Grid>, code: &GridCode) -> Result<(), EditError> {
    let i = unlocked(grids, index_of(grids, code)?)?;
    if grids[i].households > 0 {
        return Err(EditError::NotEmpty(code.clone(), grids[i].households));
    }
    grids.remove(i);
    Ok(())
}

/// Splits grid `code` in two by household balance: its buildings are ordered along the
/// longer side of the grid's box and cut where the households are halved; the second
/// half becomes a new grid with the lowest free serial of the village (returned).
/// `buildings` must hold the grid's buildings (their positions decide the cut).
pub fn split(
    grids: &mut Vec<Grid>,
    code: &GridCode,
    buildings: &[&Building],
) -> Result<GridCode, EditError> {
    let i = unlocked(grids, index_of(grids, code)?)?;
    let grid = &grids[i];
    if grid.members.len() < 2 {
        return Err(EditError::TooSmallToSplit(code.clone()));
    }
    let position: HashMap<&str, [f64; 2]> = buildings
        .iter()
        .filter_map(|b| {
            let p = representative_point(&b.footprint)?;
            Some((b.source_id.as_str(), [p.x(), p.y()]))
        })
        .collect();
    let axis = match grid.polygon.bounding_rect() {
        Some(r) if r.height() > r.width() => 1,
        _ => 0,
    };
    let mut members = grid.members.clone();
    let at =
        |m: &crate::model::GridMember| position.get(m.building.as_str()).map_or(0.0, |p| p[axis]);
    members.sort_by(|a, b| {
        at(a)
            .total_cmp(&at(b))
            .then_with(|| a.building.cmp(&b.building))
    });
    let total: u32 = members.iter().map(|m| m.households).sum();
    let mut running = 0;
    let cut = members
        .iter()
        .position(|m| {
            running += m.households;
            running * 2 >= total
        })
        .map_or(1, |p| p + 1)
        .clamp(1, members.len() - 1);
    let second = members.split_off(cut);
    let new_code = GridCode::new(&grids[i].village, free_serial(grids)?);
    let mut new = Grid {
        code: new_code.clone(),
        members: second,
        staff: None,
        version: 1,
        ..grids[i].clone()
    };
    recount(&mut new);
    grids[i].members = members;
    recount(&mut grids[i]);
    grids.push(new);
    Ok(new_code)
}

/// The lowest grid serial no grid of the village uses.
fn free_serial(grids: &[Grid]) -> Result<u16, EditError> {
    (1..=999u16)
        .find(|s| !grids.iter().any(|g| g.code.serial() == *s))
        .ok_or(EditError::NoFreeSerial)
}

/// Makes a new grid of `village` from whole buildings (by source id), taken from the
/// grids holding them (as [`move_buildings`] would); returns its code, the lowest
/// free serial. Refused for an empty selection and as [`move_buildings`] refuses.
///
/// ```
/// use gridmap_core::edit::new_grid;
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let mut grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
/// let n = grids.len();
/// let picked = grids[0].members[0].building.clone();
/// let code = new_grid(&mut grids, &v[0].code, &[picked.as_str()]).unwrap();
/// assert_eq!(grids.len(), n + 1);
/// assert!(grids.iter().any(|g| g.code == code && g.members[0].building == picked));
/// ```
pub fn new_grid(
    grids: &mut Vec<Grid>,
    village: &crate::model::DivisionCode,
    buildings: &[&str],
) -> Result<GridCode, EditError> {
    if buildings.is_empty() {
        return Err(EditError::EmptySelection);
    }
    let code = GridCode::new(village, free_serial(grids)?);
    grids.push(empty_grid(code.clone()));
    if let Err(e) = move_buildings(grids, buildings, &code) {
        grids.pop();
        return Err(e);
    }
    Ok(code)
}

/// Puts buildings, or flats of high-rises, into the grids a plan names (a plan imported
/// from a file, a saved version brought back, flats moved between the grids of a
/// tower). The rows of one building replace all of its memberships: one row without
/// flats for the whole building, or one row per flat range. Grids named that do not
/// exist yet are created; grids left empty stay, for the planner to fill or delete.
/// Refused, with nothing changed, for a building not in `buildings`, a flat range
/// outside the building, a code of another village, and a locked grid that would gain
/// or lose households. Returns the codes it created.
///
/// ```
/// use gridmap_core::edit::{assign, Assignment};
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let mut grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
/// let building = grids[0].members[0].building.clone();
/// let to = grids[1].code.clone();
/// let row = Assignment { building: building.clone(), flats: None, grid: to.clone() };
/// assert!(assign(&mut grids, &v[0].code, &refs, &[row]).unwrap().is_empty());
/// assert!(grids[1].members.iter().any(|m| m.building == building));
/// assert!(!grids[0].members.iter().any(|m| m.building == building));
/// ```
pub fn assign(
    grids: &mut Vec<Grid>,
    village: &DivisionCode,
    buildings: &[&Building],
    rows: &[Assignment],
) -> Result<Vec<GridCode>, EditError> {
    let by_id: HashMap<&str, &Building> = buildings
        .iter()
        .map(|b| (b.source_id.as_str(), *b))
        .collect();
    // The new memberships of each listed building, checked.
    let mut wanted: BTreeMap<&str, Vec<GridMember>> = BTreeMap::new();
    // The grid each (building, flats) row names.
    let mut target_of: BTreeMap<RowKey<'_>, &GridCode> = BTreeMap::new();
    for row in rows {
        let building = by_id
            .get(row.building.as_str())
            .ok_or_else(|| EditError::UnknownBuilding(row.building.clone()))?;
        if &row.grid.village() != village {
            return Err(EditError::OtherVillage(row.grid.clone()));
        }
        let total = building.households.count;
        let households = match row.flats {
            None => total,
            Some((start, end)) if start < end && end <= total => end - start,
            Some((start, end)) => {
                return Err(EditError::FlatsOutOfRange {
                    building: row.building.clone(),
                    start,
                    end,
                    households: total,
                })
            }
        };
        let members = wanted.entry(row.building.as_str()).or_default();
        let whole_twice = members.iter().any(|m| m.flats.is_none())
            || (row.flats.is_none() && !members.is_empty());
        if whole_twice {
            return Err(EditError::ConflictingRows(row.building.clone()));
        }
        members.push(GridMember {
            building: row.building.clone(),
            households,
            flats: row.flats,
        });
        target_of.insert((row.building.as_str(), row.flats), &row.grid);
    }
    let mut next = grids.clone();
    let mut created = Vec::new();
    for (building, members) in wanted {
        let current: Vec<(GridCode, Option<(u32, u32)>)> = next
            .iter()
            .flat_map(|g| {
                g.members
                    .iter()
                    .filter(move |m| m.building == building)
                    .map(move |m| (g.code.clone(), m.flats))
            })
            .collect();
        let mut after: Vec<(GridCode, Option<(u32, u32)>)> = members
            .iter()
            .filter_map(|m| Some(((*target_of.get(&(building, m.flats))?).clone(), m.flats)))
            .collect();
        let mut before = current.clone();
        before.sort();
        after.sort();
        if before == after {
            continue;
        }
        let touched = current.iter().chain(&after).map(|(code, _)| code);
        for code in touched {
            if next.iter().any(|g| &g.code == code && g.locked) {
                return Err(EditError::Locked(code.clone()));
            }
        }
        for g in next.iter_mut() {
            if g.members.iter().any(|m| m.building == building) {
                g.members.retain(|m| m.building != building);
                recount(g);
            }
        }
        for member in members {
            let Some(code) = target_of.get(&(building, member.flats)).copied() else {
                continue;
            };
            let i = match next.iter().position(|g| &g.code == code) {
                Some(i) => i,
                None => {
                    next.push(empty_grid(code.clone()));
                    created.push(code.clone());
                    next.len() - 1
                }
            };
            next[i].members.push(member);
            recount(&mut next[i]);
        }
    }
    *grids = next;
    Ok(created)
}

/// A plan row's building and flats.
type RowKey<'a> = (&'a str, Option<(u32, u32)>);

/// A new unlocked grid without members or staff.
fn empty_grid(code: GridCode) -> Grid {
    Grid {
        village: code.village(),
        code,
        level: 1,
        parent: None,
        members: Vec::new(),
        households: 0,
        polygon: geo_types::MultiPolygon::new(Vec::new()),
        staff: None,
        locked: false,
        institution: false,
        version: 1,
    }
}
