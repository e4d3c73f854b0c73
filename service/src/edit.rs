//! Grid edits and undo. Each edit reads the grid as stored, applies the change, and
//! writes it as one [`GridWrite`] with the version it read, so a concurrent edit is a
//! conflict instead of a lost update; the change log keeps the before-state that
//! [`undo`] restores.

use crate::access::audited_change;
use crate::county::{County, Scope, VillageParts};
use crate::partition::stored_params;
use crate::rebalance::rebalance;
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::edit::{self as core_edit, Assignment, EditError};
use gridmap_core::partition::{rebuild_nested, rebuild_polygons, EditedLevel, PartitionParams};
use gridmap_core::{Building, DivisionCode, Grid, GridCode, Staff};
use gridmap_store::{
    is_version_operation, Change, ChangeMeta, ChangeSummary, GridWrite, RecordKeys, RowRestore,
    StaffGrids, Store, VERSION_SAVE_OPERATION,
};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use utoipa::ToSchema;

/// Changes to a grid's attributes. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GridEditRequest {
    pub locked: Option<bool>,
    /// Staff id; `Some(None)` removes the staff member.
    pub staff: Option<Option<String>>,
    /// The grid's name; `Some(None)` (or a blank name) removes it.
    pub name: Option<Option<String>>,
    /// The version the editor saw; a conflict when the grid changed since.
    pub version: Option<u32>,
}

/// The longest grid name, in characters: a label on the map, a cell in a roster.
pub const MAX_GRID_NAME_CHARS: usize = 40;

/// A grid name as stored: trimmed, `None` when blank; refused when too long or when it
/// holds control characters (a name is one line of a label).
fn grid_name(code: &GridCode, name: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_GRID_NAME_CHARS {
        return Err(ServiceError::BadInput(format!(
            "the name for grid {code} has {} characters; give at most {MAX_GRID_NAME_CHARS}",
            name.chars().count()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::BadInput(format!(
            "the name for grid {code} holds a line break or another control character; give one line"
        )));
    }
    Ok(Some(name.to_owned()))
}

/// Locks/unlocks a grid, renames it or changes its staff (keeping the roster's grid
/// lists in step).
/// Returns the change id.
pub async fn edit_grid(
    store: &dyn Store,
    caller: &Caller,
    code: &GridCode,
    edit: &GridEditRequest,
) -> ServiceResult<i64> {
    match write_grid_edit(store, caller, code, edit).await? {
        Some(written) => Ok(written.change),
        None => Err(ServiceError::BadInput(format!(
            "the edit of grid {code} changes nothing: give locked, staff or name with a new value"
        ))),
    }
}

/// A grid write as stored: the change id and what it wrote (a server shows the grids
/// it wrote itself without reading the county again).
#[derive(Debug, Clone)]
pub struct GridsWritten {
    pub change: i64,
    pub write: GridWrite,
}

/// [`edit_grid`], answering with the write; `None`, writing nothing, when the edit
/// asks for what the grid already is (no field, or the values it has).
pub async fn write_grid_edit(
    store: &dyn Store,
    caller: &Caller,
    code: &GridCode,
    edit: &GridEditRequest,
) -> ServiceResult<Option<GridsWritten>> {
    caller.may_edit_village(&code.village())?;
    let started = std::time::Instant::now();
    let grid = store.grid(code).await;
    crate::access::warn_if_slow("reading the grid to edit", started);
    let grid = grid?.ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?;
    if let Some(seen) = edit.version {
        if seen != grid.version {
            return Err(ServiceError::Conflict(format!(
                "grid {code} was changed by someone else (now version {}); reload and try again",
                grid.version
            )));
        }
    }
    let name = match &edit.name {
        Some(n) => grid_name(code, n.as_deref())?,
        None => grid.name.clone(),
    };
    let unchanged = edit.locked.is_none_or(|locked| locked == grid.locked)
        && edit.staff.as_ref().is_none_or(|staff| *staff == grid.staff)
        && name == grid.name;
    if unchanged {
        return Ok(None);
    }
    let mut staff_grids = Vec::new();
    if let Some(new_staff) = &edit.staff {
        let roster = store.staff().await?;
        if let Some(id) = new_staff {
            if !roster.iter().any(|s| &s.id == id) {
                return Err(ServiceError::NotFound(format!("no staff member {id:?}")));
            }
        }
        for s in &roster {
            let holds = s.grids.contains(code);
            let should = new_staff.as_deref() == Some(s.id.as_str());
            if holds != should {
                let mut grids: Vec<GridCode> =
                    s.grids.iter().filter(|g| *g != code).cloned().collect();
                if should {
                    grids.push(code.clone());
                    grids.sort();
                }
                staff_grids.push(StaffGrids {
                    staff: s.id.clone(),
                    grids,
                });
            }
        }
    }
    let mut operation = Vec::new();
    if let Some(locked) = edit.locked {
        operation.push(if locked { "lock" } else { "unlock" });
    }
    if edit.staff.is_some() {
        operation.push("set staff of");
    }
    if edit.name.is_some() {
        operation.push("rename");
    }
    let updated = Grid {
        name,
        locked: edit.locked.unwrap_or(grid.locked),
        staff: edit.staff.clone().unwrap_or_else(|| grid.staff.clone()),
        version: grid.version + 1,
        ..grid.clone()
    };
    let write = GridWrite {
        upsert: vec![updated],
        staff_grids,
        expect_versions: vec![(code.clone(), grid.version)],
        ..GridWrite::default()
    };
    let operation = format!("{} {code}", operation.join(", "));
    let meta = audited_change(caller, code.as_str(), operation);
    let started = std::time::Instant::now();
    let change = store.write_grids(&write, &meta).await;
    crate::access::warn_if_slow("writing the grid edit", started);
    let change = change?;
    Ok(Some(GridsWritten { change, write }))
}

/// Undoes change `id`: what it replaced comes back, what it created goes. A grid write
/// brings back its grids and staff lists, an import (or an earlier undo of one) its
/// records, a village assignment the buildings' villages. Refused when something the
/// change wrote has changed since (undo the later change first). Returns the undo's own
/// change id: undoing that redoes.
pub async fn undo(store: &dyn Store, caller: &Caller, id: i64) -> ServiceResult<i64> {
    Ok(undo_change(store, caller, id).await?.change)
}

/// What an undo stored.
#[derive(Debug, Clone)]
pub struct Undone {
    /// The undo's own change id.
    pub change: i64,
    /// The grids and staff lists it brought back, when the undone change was a grid
    /// write.
    pub grids: Option<GridWrite>,
}

/// [`undo`], answering with what it wrote.
pub async fn undo_change(store: &dyn Store, caller: &Caller, id: i64) -> ServiceResult<Undone> {
    caller.must_be_office("undoing a change")?;
    let records_only = |change: i64| Undone {
        change,
        grids: None,
    };
    let change = store
        .change(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no change {id}")))?;
    if is_version_operation(&change.operation) {
        let instead = if change.operation.starts_with(VERSION_SAVE_OPERATION) {
            "a version save cannot be undone: delete the version instead"
        } else {
            "a deleted version cannot be brought back: save the plan again under a name instead"
        };
        return Err(ServiceError::BadInput(format!(
            "change {id} ({}) changed no grid: {instead}",
            change.operation
        )));
    }
    let Change { before, after, .. } = &change;
    may_undo(caller, &change)?;
    let meta = audited_change(
        caller,
        &format!("change {id}"),
        undo_operation(id, &change.operation),
    );
    if gridmap_store::is_camera_change(before, after) {
        let undo = gridmap_store::camera_undo(before, after);
        let written = store.write_cameras(&undo, &meta).await?;
        return Ok(records_only(written.change));
    }
    if !before.rows.is_empty() || !after.rows.is_empty() || !after.keys.is_empty() {
        return undo_rows(store, &change, meta).await.map(records_only);
    }
    if !after.building_villages.is_empty() {
        return undo_villages(store, &change, meta).await.map(records_only);
    }
    if before.grids.is_empty() && after.grids.is_empty() && before.staff_grids.is_empty() {
        return Err(ServiceError::BadInput(format!(
            "change {id} ({}) holds no state to restore: it cannot be undone",
            change.operation
        )));
    }
    // Every grid the change left must still be as it left it (versions aside: undoing a
    // later change brings the content back under a higher version, and the change
    // before it can then be undone too).
    let mut current_versions: HashMap<GridCode, u32> = HashMap::new();
    for g in &after.grids {
        let now = store.grid(&g.code).await?;
        match now {
            Some(now) if same_content(&now, g) => {
                current_versions.insert(g.code.clone(), now.version);
            }
            _ => {
                return Err(ServiceError::Conflict(format!(
                    "grid {} changed after change {id}: undo the later changes first",
                    g.code
                )))
            }
        }
    }
    let after_codes: BTreeSet<&GridCode> = after.grids.iter().map(|g| &g.code).collect();
    let before_codes: BTreeSet<&GridCode> = before.grids.iter().map(|g| &g.code).collect();
    for code in before_codes.difference(&after_codes) {
        if store.grid(code).await?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "grid {code} was created again after change {id}: undo the later changes first"
            )));
        }
    }
    let restored = before
        .grids
        .iter()
        .map(|g| Grid {
            // Versions only go up, so an editor holding an older view still conflicts.
            version: current_versions
                .get(&g.code)
                .copied()
                .unwrap_or(g.version)
                .max(g.version)
                + 1,
            ..g.clone()
        })
        .collect();
    let write = GridWrite {
        remove: after_codes
            .difference(&before_codes)
            .map(|c| (*c).clone())
            .collect(),
        upsert: restored,
        staff_grids: before.staff_grids.clone(),
        expect_versions: current_versions.into_iter().collect(),
        // A partition run's sizes go back with its grids (none were stored before the
        // first run: the defaults stay).
        partition_params: before.partition_params.clone(),
        ..GridWrite::default()
    };
    let change = store.write_grids(&write, &meta).await?;
    Ok(Undone {
        change,
        grids: Some(write),
    })
}

/// Refuses an undo the caller could not have made as an edit: a change of grids needs
/// every village it touched in the caller's editing scope; an import, a restore or a
/// village assignment needs the whole store (the operator, an admin of scope all).
fn may_undo(caller: &Caller, change: &Change) -> ServiceResult<()> {
    let (before, after) = (&change.before, &change.after);
    let records = !before.rows.is_empty()
        || !after.rows.is_empty()
        || !after.keys.is_empty()
        || !after.building_villages.is_empty()
        || before.partition_params.is_some()
        || gridmap_store::is_camera_change(before, after);
    if records {
        return caller.must_own_store(
            "undoing an import (of records or cameras), a restore or a partition run",
        );
    }
    let villages: BTreeSet<DivisionCode> = before
        .grids
        .iter()
        .chain(&after.grids)
        .map(|g| g.village.clone())
        .chain(
            before
                .staff_grids
                .iter()
                .flat_map(|s| s.grids.iter().map(GridCode::village)),
        )
        .collect();
    villages.iter().try_for_each(|v| caller.may_edit_village(v))
}

/// Undoes an import (or a restore): its before-rows go back, the records it created go,
/// if every record is still as it left it (the store checks, in its transaction).
async fn undo_rows(store: &dyn Store, change: &Change, meta: ChangeMeta) -> ServiceResult<i64> {
    let imported_incidents = change
        .after
        .other
        .as_ref()
        .and_then(|summary| summary.get("incidents"))
        .and_then(|counts| counts.as_object())
        .is_some_and(|counts| counts.values().any(|n| n.as_u64().unwrap_or(0) > 0));
    if imported_incidents {
        return Err(ServiceError::BadInput(format!(
            "change {} ({}) imported incidents, which stay on record once reported: void them instead of undoing the import",
            change.id, change.operation
        )));
    }
    let (before, after) = (&change.before.rows, &change.after.rows);
    let restore = if change.after.keys.is_empty() {
        // A restore (or an older log) kept its after-rows: the store checks the stored
        // rows are still those.
        RowRestore {
            put: before.clone(),
            delete: after.keys().difference(&before.keys()),
            expect: after.clone(),
            expect_absent: before.keys().difference(&after.keys()),
        }
    } else {
        // An import kept its keys: nothing logged since may have touched them.
        let mut ours = change.after.keys.clone();
        ours.extend(before.keys());
        refuse_if_touched_later(store, change, &ours).await?;
        RowRestore {
            put: before.clone(),
            delete: change.after.keys.difference(&before.keys()),
            ..RowRestore::default()
        }
    };
    Ok(store.restore_rows(&restore, &meta).await?)
}

/// The operation an undo of change `id` logs: `undo 42 (import survey.geojson)`.
fn undo_operation(id: i64, operation: &str) -> String {
    format!("undo {id} ({operation})")
}

/// The change an undo's operation names ([`undo_operation`]).
fn undone_by(operation: &str) -> Option<i64> {
    operation
        .strip_prefix("undo ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// A conflict naming the first change after `change` that touched one of `keys` and
/// still stands: a later change undone by a still later one cancels out (newest first:
/// an undo that stands cancels the change it undid; a redo re-applies it). Incident
/// changes touch no record.
async fn refuse_if_touched_later(
    store: &dyn Store,
    change: &Change,
    keys: &RecordKeys,
) -> ServiceResult<()> {
    let later = store.changes_since(change.id).await?;
    let ids: HashSet<i64> = later.iter().map(|c| c.id).collect();
    let mut cancelled: HashSet<i64> = HashSet::new();
    for mark in later.iter().rev() {
        if mark.incidents_only || cancelled.contains(&mark.id) {
            continue;
        }
        let Some(other) = store.change(mark.id).await? else {
            continue;
        };
        if let Some(undone) = undone_by(&other.operation).filter(|n| ids.contains(n)) {
            cancelled.insert(undone);
            continue;
        }
        let mut touched = other.before.record_keys();
        touched.extend(other.after.record_keys());
        if let Some(record) = keys.first_shared(&touched) {
            return Err(ServiceError::Conflict(format!(
                "{record} changed after change {} in change {} ({}): undo that change first",
                change.id, other.id, other.operation
            )));
        }
    }
    Ok(())
}

/// Undoes a village assignment, if every building still has the village it gave.
async fn undo_villages(store: &dyn Store, change: &Change, meta: ChangeMeta) -> ServiceResult<i64> {
    let keys = RecordKeys {
        buildings: change
            .after
            .building_villages
            .iter()
            .map(|(b, _)| b.clone())
            .collect(),
        ..RecordKeys::default()
    };
    let stored: HashMap<String, Option<DivisionCode>> = store
        .rows(&keys)
        .await?
        .buildings
        .into_iter()
        .map(|b| (b.source_id, b.village))
        .collect();
    for (building, village) in &change.after.building_villages {
        if stored.get(building).is_some_and(|now| now != village) {
            return Err(ServiceError::Conflict(format!(
                "building {building} changed after change {}: undo the later changes first",
                change.id
            )));
        }
    }
    Ok(store
        .set_building_villages(&change.before.building_villages, &meta)
        .await?)
}

/// The most changes a history answer lists.
pub const MAX_HISTORY: usize = 500;

/// The `limit` newest changes (at most [`MAX_HISTORY`]), newest first: who did what,
/// when and where, with the ids [`undo`] takes. Staff and operators only: the actors
/// are people.
pub async fn history(
    store: &dyn Store,
    caller: &Caller,
    limit: usize,
) -> ServiceResult<Vec<ChangeSummary>> {
    caller.must_be_office("the change history")?;
    Ok(store.recent_changes(limit.clamp(1, MAX_HISTORY)).await?)
}

/// A planner's change to the grids of one village (see [`gridmap_core::edit`]).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GridOperation {
    /// Whole buildings (source ids) into grid `to`.
    MoveBuildings {
        buildings: Vec<String>,
        #[schema(value_type = String)]
        to: GridCode,
    },
    /// A new grid of `village` made of whole buildings (source ids).
    NewGrid {
        #[schema(value_type = String)]
        village: DivisionCode,
        buildings: Vec<String>,
    },
    /// Grid `absorbed` into grid `kept`.
    Merge {
        #[schema(value_type = String)]
        kept: GridCode,
        #[schema(value_type = String)]
        absorbed: GridCode,
    },
    /// A grid without households.
    DeleteEmpty {
        #[schema(value_type = String)]
        grid: GridCode,
    },
    /// A grid cut in two: along `line` when given (lon/lat points a planner drew across
    /// it; the side with more households keeps the code), otherwise by household balance.
    Split {
        #[schema(value_type = String)]
        grid: GridCode,
        #[serde(default)]
        #[schema(value_type = Option<Vec<Vec<f64>>>)]
        line: Option<Vec<[f64; 2]>>,
    },
    /// Locks or unlocks every grid of a village.
    LockVillage {
        #[schema(value_type = String)]
        village: DivisionCode,
        locked: bool,
    },
    /// Puts buildings, or flats of split high-rises, into the grids named (grids that do
    /// not exist yet are created): a building's rows replace all of its memberships. A
    /// plan imported from a file, flats moved between a tower's grids.
    Assign {
        #[schema(value_type = String)]
        village: DivisionCode,
        #[schema(value_type = Vec<Object>)]
        rows: Vec<Assignment>,
    },
    /// Partitions the village again from its grids as they are: locked grids stay, the
    /// others are brought into the size range moving as few households as it can
    /// (codes and staff follow the grids they match). With `grids`, only the buildings
    /// of those grids are cut again; every other grid stays as it is.
    Rebalance {
        #[schema(value_type = String)]
        village: DivisionCode,
        /// The grids to rebalance (unlocked grids of `village`); the whole village
        /// when left out.
        #[serde(default)]
        #[schema(value_type = Option<Vec<String>>)]
        grids: Option<Vec<GridCode>>,
    },
}

impl GridOperation {
    /// The village the operation changes.
    pub fn village(&self) -> DivisionCode {
        match self {
            GridOperation::MoveBuildings { to, .. } => to.village(),
            GridOperation::Merge { kept, .. } => kept.village(),
            GridOperation::DeleteEmpty { grid } | GridOperation::Split { grid, .. } => {
                grid.village()
            }
            GridOperation::NewGrid { village, .. }
            | GridOperation::LockVillage { village, .. }
            | GridOperation::Assign { village, .. }
            | GridOperation::Rebalance { village, .. } => village.clone(),
        }
    }

    /// What the change log says of it.
    pub fn describe(&self) -> String {
        match self {
            GridOperation::MoveBuildings { buildings, to } => {
                format!("move {} buildings to {to}", buildings.len())
            }
            GridOperation::NewGrid { village, buildings } => {
                format!("new grid of {} buildings in {village}", buildings.len())
            }
            GridOperation::Merge { kept, absorbed } => format!("merge {absorbed} into {kept}"),
            GridOperation::DeleteEmpty { grid } => format!("delete {grid}"),
            GridOperation::Split { grid, line: None } => format!("split {grid}"),
            GridOperation::Split {
                grid,
                line: Some(_),
            } => format!("split {grid} along a line"),
            GridOperation::LockVillage { village, locked } => {
                format!(
                    "{} village {village}",
                    if *locked { "lock" } else { "unlock" }
                )
            }
            GridOperation::Rebalance {
                village,
                grids: None,
            } => format!("rebalance village {village}"),
            GridOperation::Rebalance {
                village,
                grids: Some(grids),
            } => {
                let codes: Vec<String> = grids.iter().map(ToString::to_string).collect();
                format!("rebalance grids {} of {village}", codes.join(", "))
            }
            GridOperation::Assign { village, rows } => {
                format!("assign {} buildings or flats in {village}", rows.len())
            }
        }
    }

    /// Changes the memberships; returns the grid it created.
    fn apply_to(
        &self,
        grids: &mut Vec<Grid>,
        buildings: &[&Building],
    ) -> Result<Option<GridCode>, EditError> {
        match self {
            GridOperation::MoveBuildings { buildings, to } => {
                let refs: Vec<&str> = buildings.iter().map(String::as_str).collect();
                core_edit::move_buildings(grids, &refs, to).map(|()| None)
            }
            GridOperation::NewGrid { village, buildings } => {
                let refs: Vec<&str> = buildings.iter().map(String::as_str).collect();
                core_edit::new_grid(grids, village, &refs).map(Some)
            }
            GridOperation::Merge { kept, absorbed } => {
                core_edit::merge(grids, kept, absorbed).map(|()| None)
            }
            GridOperation::DeleteEmpty { grid } => {
                core_edit::delete_empty(grids, grid).map(|()| None)
            }
            GridOperation::Split { grid, line: None } => {
                core_edit::split(grids, grid, buildings).map(Some)
            }
            GridOperation::Split {
                grid,
                line: Some(line),
            } => core_edit::split_along(grids, grid, buildings, line).map(Some),
            GridOperation::LockVillage { locked, .. } => {
                for g in grids.iter_mut().filter(|g| g.locked != *locked) {
                    g.locked = *locked;
                    g.version += 1;
                }
                Ok(None)
            }
            GridOperation::Assign { village, rows } => {
                let created = core_edit::assign(grids, village, buildings, rows)?;
                Ok(created.into_iter().next())
            }
            // The partitioner does the work (see `edit_village`).
            GridOperation::Rebalance { .. } => Ok(None),
        }
    }

    /// The grids the operation names (none for a new grid or a lock).
    fn named_grids(&self) -> Vec<&GridCode> {
        match self {
            GridOperation::MoveBuildings { to, .. } => vec![to],
            GridOperation::Merge { kept, absorbed } => vec![kept, absorbed],
            GridOperation::DeleteEmpty { grid } | GridOperation::Split { grid, .. } => vec![grid],
            GridOperation::Assign { rows, .. } => rows.iter().map(|r| &r.grid).collect(),
            GridOperation::NewGrid { .. }
            | GridOperation::LockVillage { .. }
            | GridOperation::Rebalance { .. } => Vec::new(),
        }
    }

    /// Whether the operation changes who belongs where (and so the polygons).
    fn moves_members(&self) -> bool {
        !matches!(self, GridOperation::LockVillage { .. })
    }
}

/// A village's grids after an edit, with the grid it created.
#[derive(Debug, Clone)]
pub struct EditedVillage {
    pub grids: Vec<Grid>,
    pub created: Option<GridCode>,
    /// How the redrawn village came out (`None` when no polygon was redrawn).
    pub report: Option<gridmap_core::partition::VillageReport>,
}

/// Applies `op` to the grids of `part` and draws the village's polygons again, so it
/// stays tiled (pure: nothing is read or written). Refusals name the grid or building.
pub fn edit_village(
    part: &VillageParts<'_>,
    op: &GridOperation,
    params: &PartitionParams,
) -> ServiceResult<EditedVillage> {
    let village = &part.village.code;
    if op.village() != *village {
        return Err(ServiceError::BadInput(format!(
            "the edit is for village {}, not {village}",
            op.village()
        )));
    }
    let nested = part.grids.iter().any(Grid::is_comprehensive);
    if let GridOperation::Rebalance { grids, .. } = op {
        if nested {
            return Err(ServiceError::BadInput(format!(
                "rebalancing works on villages with one level of grids; re-run `gridmap partition --village {village}` to balance nested grids"
            )));
        }
        return rebalance(part, grids.as_deref(), params);
    }
    if nested && op.moves_members() {
        return edit_nested(part, op, params);
    }
    let mut grids = part.grids.clone();
    let created = op
        .apply_to(&mut grids, &part.buildings)
        .map_err(edit_refusal)?;
    if !op.moves_members() {
        return Ok(EditedVillage {
            grids,
            created,
            report: None,
        });
    }
    let rebuilt = rebuild_polygons(&part.input(&grids), params)
        .map_err(|e| ServiceError::Internal(format!("redrawing the grids of {village}: {e}")))?;
    Ok(EditedVillage {
        grids: rebuilt.grids,
        created,
        report: Some(rebuilt.report),
    })
}

/// The service's answer to an edit the grids refuse.
fn edit_refusal(e: EditError) -> ServiceError {
    match e {
        EditError::UnknownGrid(_) | EditError::UnknownBuilding(_) => {
            ServiceError::NotFound(e.to_string())
        }
        EditError::Locked(_) => ServiceError::Conflict(e.to_string()),
        other => ServiceError::BadInput(other.to_string()),
    }
}

/// [`edit_village`] for a village of nested grids: the operation works at the level of
/// the grids it names (micro-grids when it names none), then both levels are redrawn
/// ([`rebuild_nested`]): a building moved between micro-grids of different
/// comprehensive grids moves in both, and the micro-grids of a comprehensive grid whose
/// buildings changed are cut again. A grid it creates is a micro-grid of the
/// comprehensive grid that held most of its buildings, or a comprehensive grid.
fn edit_nested(
    part: &VillageParts<'_>,
    op: &GridOperation,
    params: &PartitionParams,
) -> ServiceResult<EditedVillage> {
    let village = &part.village.code;
    let upper = params.comprehensive_params().ok_or_else(|| {
        ServiceError::BadInput(format!(
            "village {village} has nested grids but the stored sizes have one level: re-run `gridmap partition --levels comprehensive:MIN-MAX,micro:MIN-MAX`"
        ))
    })?;
    let (mut top, mut micro): (Vec<Grid>, Vec<Grid>) =
        part.grids.iter().cloned().partition(Grid::is_comprehensive);
    let level = if op
        .named_grids()
        .iter()
        .any(|code| top.iter().any(|g| &g.code == *code))
    {
        EditedLevel::Comprehensive
    } else {
        EditedLevel::Micro
    };
    let created = match level {
        EditedLevel::Comprehensive => {
            let created = op
                .apply_to(&mut top, &part.buildings)
                .map_err(edit_refusal)?;
            for g in top.iter_mut().filter(|g| Some(&g.code) == created.as_ref()) {
                g.level = Grid::COMPREHENSIVE;
            }
            created
        }
        EditedLevel::Micro => {
            let created = op
                .apply_to(&mut micro, &part.buildings)
                .map_err(edit_refusal)?;
            // A plan may name micro-grids that do not exist yet by their nested code.
            for g in micro.iter_mut().filter(|g| g.parent.is_none()) {
                g.parent = g.code.parent();
            }
            match created.filter(|c| c.parent().is_none()) {
                Some(code) => Some(nest_new_micro_grid(&mut micro, &part.grids, &code)?),
                None => None,
            }
        }
    };
    let previous: Vec<Grid> = top.into_iter().chain(micro).collect();
    let out = rebuild_nested(&part.input(&previous), &upper, params, level)
        .map_err(|e| ServiceError::Internal(format!("redrawing the grids of {village}: {e}")))?;
    let report = out.micro.report.clone();
    Ok(EditedVillage {
        grids: out.into_grids(),
        created,
        report: Some(report),
    })
}

/// Gives the micro-grid `code` an edit just created (with a one-level code) the
/// comprehensive grid that held most of its households before (`before`), and the next
/// free micro serial there; returns its new code.
fn nest_new_micro_grid(
    micro: &mut [Grid],
    before: &[Grid],
    code: &GridCode,
) -> ServiceResult<GridCode> {
    let Some(i) = micro.iter().position(|g| &g.code == code) else {
        return Ok(code.clone());
    };
    let mut shares: HashMap<&GridCode, u32> = HashMap::new();
    for m in &micro[i].members {
        let holders = before
            .iter()
            .filter(|g| !g.is_comprehensive())
            .filter(|g| g.members.iter().any(|o| o.building == m.building));
        for g in holders {
            if let Some(p) = &g.parent {
                *shares.entry(p).or_default() += m.households.max(1);
            }
        }
    }
    let parent = shares
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(p, _)| p.clone())
        .ok_or_else(|| {
            ServiceError::BadInput(format!(
                "the new grid {code} holds no building of a comprehensive grid"
            ))
        })?;
    let serial = (1..=99)
        .find(|s| {
            !micro
                .iter()
                .any(|g| g.parent.as_ref() == Some(&parent) && g.code.serial() == *s)
        })
        .ok_or_else(|| {
            ServiceError::BadInput(format!(
                "comprehensive grid {parent} already has 99 micro-grids"
            ))
        })?;
    let nested = GridCode::nested(&parent, serial).ok_or_else(|| {
        ServiceError::Internal(format!("{parent} cannot hold micro-grid {serial}"))
    })?;
    let g = &mut micro[i];
    g.code = nested.clone();
    g.parent = Some(parent);
    g.level = Grid::MICRO;
    Ok(nested)
}

/// Stores an edited village as one change: its grids replaced; in the `roster`'s staff
/// lists, grids that are gone dropped and grids whose staff member changed (a restored
/// version) moved to the new member. Refused (409) when any grid of the village differs
/// from the version `part` holds. Returns the change id and the staff lists it wrote.
pub async fn write_village(
    store: &dyn Store,
    caller: &Caller,
    part: &VillageParts<'_>,
    edited: &EditedVillage,
    roster: &[Staff],
    operation: String,
) -> ServiceResult<(i64, Vec<StaffGrids>)> {
    let staff_grids = staff_lists_after(roster, &part.village.code, &part.grids, &edited.grids);
    let change = store_village(store, caller, part, edited, staff_grids.clone(), operation).await?;
    Ok((change, staff_grids))
}

/// [`write_village`] with the staff lists it writes given (see [`staff_lists_after`]).
pub async fn store_village(
    store: &dyn Store,
    caller: &Caller,
    part: &VillageParts<'_>,
    edited: &EditedVillage,
    staff_grids: Vec<StaffGrids>,
    operation: String,
) -> ServiceResult<i64> {
    caller.may_edit_village(&part.village.code)?;
    let write = village_write(part, edited, staff_grids);
    // Buildings moved into the grid that holds them, say: a change with nothing in it
    // could not be undone.
    if write.upsert.is_empty() && write.remove.is_empty() && write.staff_grids.is_empty() {
        return Err(ServiceError::BadInput(format!(
            "the edit changes no grid of village {}: nothing to store",
            part.village.code
        )));
    }
    let meta = audited_change(caller, part.village.code.as_str(), operation);
    Ok(store.write_grids(&write, &meta).await?)
}

/// The write that takes `part`'s village to `edited`: only the grids that changed are
/// written (and so kept in the change log), the ones gone removed; every grid of the
/// village must still be as `part` read it, and none added since.
fn village_write(
    part: &VillageParts<'_>,
    edited: &EditedVillage,
    staff_grids: Vec<StaffGrids>,
) -> GridWrite {
    let before: HashMap<&GridCode, &Grid> = part.grids.iter().map(|g| (&g.code, g)).collect();
    let after: HashSet<&GridCode> = edited.grids.iter().map(|g| &g.code).collect();
    GridWrite {
        remove: part
            .grids
            .iter()
            .filter(|g| !after.contains(&g.code))
            .map(|g| g.code.clone())
            .collect(),
        upsert: edited
            .grids
            .iter()
            .filter(|g| before.get(&g.code).copied() != Some(g))
            .cloned()
            .collect(),
        staff_grids,
        expect_versions: part
            .grids
            .iter()
            .map(|g| (g.code.clone(), g.version))
            .collect(),
        exact_villages: vec![part.village.code.clone()],
        ..GridWrite::default()
    }
}

/// The staff lists of `roster` that change when `village`'s grids go from `before` to
/// `after`: a grid that is gone leaves every list; a grid whose staff member changed
/// leaves the old member's list and joins the new one's.
pub fn staff_lists_after(
    roster: &[Staff],
    village: &DivisionCode,
    before: &[Grid],
    after: &[Grid],
) -> Vec<StaffGrids> {
    let remaining: HashSet<&GridCode> = after.iter().map(|g| &g.code).collect();
    let staff_before: HashMap<&GridCode, Option<&str>> = before
        .iter()
        .map(|g| (&g.code, g.staff.as_deref()))
        .collect();
    let reassigned: Vec<(&GridCode, Option<&str>, Option<&str>)> = after
        .iter()
        .filter_map(|g| {
            let was = staff_before.get(&g.code).copied().flatten();
            (was != g.staff.as_deref()).then_some((&g.code, was, g.staff.as_deref()))
        })
        .collect();
    roster
        .iter()
        .filter_map(|s| {
            let id = Some(s.id.as_str());
            let mut grids: Vec<GridCode> = s
                .grids
                .iter()
                .filter(|g| &g.village() != village || remaining.contains(g))
                .filter(|g| !reassigned.iter().any(|(c, was, _)| c == g && *was == id))
                .cloned()
                .collect();
            for (code, _, now) in &reassigned {
                if *now == id && !grids.contains(code) {
                    grids.push((*code).clone());
                }
            }
            grids.sort();
            let mut old = s.grids.clone();
            old.sort();
            (grids != old).then(|| StaffGrids {
                staff: s.id.clone(),
                grids,
            })
        })
        .collect()
}

/// Applies `op` to its village as stored: the memberships change, the polygons are drawn
/// again so the village stays tiled, staff lists drop grids that are gone, and everything
/// is one change (undo restores the village as it was). Refused when any grid of the
/// village changed while the edit was computed. Returns the change id.
pub async fn apply(store: &dyn Store, caller: &Caller, op: &GridOperation) -> ServiceResult<i64> {
    let village = op.village();
    caller.may_edit_village(&village)?;
    let county = County::load(store).await?;
    let parts = county.villages(&Scope::Village(village.clone()));
    let part = parts
        .first()
        .ok_or_else(|| ServiceError::NotFound(format!("no village {village}")))?;
    let params = stored_params(store).await?;
    let edited = edit_village(part, op, &params)?;
    let roster = store.staff().await?;
    let (change, _) = write_village(store, caller, part, &edited, &roster, op.describe()).await?;
    Ok(change)
}

/// Whether two states of a grid are the same apart from their version.
fn same_content(a: &Grid, b: &Grid) -> bool {
    Grid {
        version: b.version,
        ..a.clone()
    } == *b
}

#[cfg(test)]
mod undo_name_tests {
    use super::*;

    #[test]
    fn an_undo_names_the_change_it_undid() {
        assert_eq!(undone_by(&undo_operation(42, "import a b")), Some(42));
        assert_eq!(undone_by("import undo.geojson"), None);
        assert_eq!(undone_by("undo x"), None);
    }
}
