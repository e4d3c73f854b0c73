//! The change log's types: who wrote what, and the records before and after.

use gridmap_core::geometry::{bbox_array, union_bbox};
use gridmap_core::partition::PartitionParams;
use gridmap_core::{AdminUnit, Barrier, Building, DivisionCode, Grid, GridCode, Household, Staff};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Who makes a change and what it is, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    /// `cli`, `api:staff`, a user id…
    pub actor: String,
    /// What was done, e.g. `partition All`, `lock 411622101201-007`, `undo 12`.
    pub operation: String,
    /// The audit log's entry for this write, stored in the write's own transaction (so
    /// a write is never stored without it, and costs one commit, not two); the store
    /// puts the change id in front of its detail (`change 12: lock …`).
    pub audit: Option<crate::AuditEntry>,
}

impl ChangeMeta {
    pub fn new(actor: impl Into<String>, operation: impl Into<String>) -> ChangeMeta {
        ChangeMeta {
            actor: actor.into(),
            operation: operation.into(),
            audit: None,
        }
    }

    /// This change, with `entry` to append to the audit log together with it.
    pub fn audited(self, entry: crate::AuditEntry) -> ChangeMeta {
        ChangeMeta {
            audit: Some(entry),
            ..self
        }
    }

    /// The audit entry as stored with change `id`, if any.
    pub fn audit_entry(&self, id: i64) -> Option<crate::AuditEntry> {
        self.audit.as_ref().map(|entry| crate::AuditEntry {
            detail: format!("change {id}: {}", entry.detail),
            ..entry.clone()
        })
    }
}

/// One staff member's list of grids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffGrids {
    pub staff: String,
    pub grids: Vec<GridCode>,
}

/// One grid write: what to remove, what to put, and the versions the editor saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridWrite {
    /// Villages whose grids are all removed first (a partition run replaces them).
    pub replace_villages: Vec<DivisionCode>,
    /// Grids removed by code.
    pub remove: Vec<GridCode>,
    /// Grids inserted, or replaced when their code exists, stored exactly as given
    /// (version included).
    pub upsert: Vec<Grid>,
    /// New grid lists of staff members (the roster keeps each member's grids).
    pub staff_grids: Vec<StaffGrids>,
    /// `(grid, version)` the editor saw: a different stored version is a conflict.
    pub expect_versions: Vec<(GridCode, u32)>,
    /// Villages the editor saw whole: a grid of one of them that `expect_versions`
    /// does not name (made by someone else since) is a conflict too. An edit that
    /// writes only the grids it changed sends its village here.
    pub exact_villages: Vec<DivisionCode>,
    /// Partition parameters stored with the grids (a partition run, or its undo).
    pub partition_params: Option<PartitionParams>,
}

/// The records a change touched, as they were before or after it. Enough to undo a grid
/// write: the grids and staff lists before it, and the codes it left behind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecords {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grids: Vec<Grid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff_grids: Vec<StaffGrids>,
    /// The stored partition parameters, when the change set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_params: Option<PartitionParams>,
    /// `(building, village)` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub building_villages: Vec<(String, Option<DivisionCode>)>,
    /// Whole rows of the record tables (an import's, or a restore's): before a change,
    /// the rows of every key it touched that existed; after a restore, the rows it left.
    #[serde(default, skip_serializing_if = "RecordRows::is_empty")]
    pub rows: RecordRows,
    /// After an import: the keys of every record it wrote or may have changed. Their
    /// rows are not copied into the log (an import of 300,000 buildings would double
    /// its own cost); undo reads them back, and refuses while a later change touched
    /// one of them.
    #[serde(default, skip_serializing_if = "RecordKeys::is_empty")]
    pub keys: RecordKeys,
    /// Cameras: before a camera write, the stored ones it replaced or removed; after
    /// it, the ones it wrote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<gridmap_core::Camera>,
    /// Anything else worth keeping (an import summary, settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<serde_json::Value>,
}

impl ChangeRecords {
    /// What an import leaves in the log after it: the keys it touched and its counts.
    pub fn of_import(keys: RecordKeys, summary: &crate::ImportSummary) -> ChangeRecords {
        ChangeRecords {
            keys,
            other: serde_json::to_value(summary).ok(),
            ..ChangeRecords::default()
        }
    }

    /// Every record key these records name: rows, keys and buildings given villages.
    pub fn record_keys(&self) -> RecordKeys {
        let mut keys = self.rows.keys();
        keys.extend(self.keys.clone());
        keys.buildings
            .extend(self.building_villages.iter().map(|(b, _)| b.clone()));
        keys
    }

    /// The area of the grids in `self` (before) and `after`: what a grid write touched.
    pub fn grids_bbox(&self, after: &ChangeRecords) -> Option<[f64; 4]> {
        union_bbox(
            self.grids
                .iter()
                .chain(&after.grids)
                .filter_map(|g| bbox_array(&g.polygon)),
        )
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub operation: String,
    /// `[min_lon, min_lat, max_lon, max_lat]` of everything before and after; `None`
    /// when unknown (purge everything).
    pub bbox: Option<[f64; 4]>,
    pub before: ChangeRecords,
    pub after: ChangeRecords,
}

/// A change's id and area, for tile purges and reloads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeMark {
    pub id: i64,
    pub bbox: Option<[f64; 4]>,
    /// Whether the change touched incidents only (reports, transitions, incident
    /// imports): a server then refreshes its incidents, not the county.
    pub incidents_only: bool,
    /// Whether the change saved or deleted a plan version: a note in the log that
    /// touched no grid, building or incident, so a server has nothing to reload.
    pub versions_only: bool,
    /// Whether the change wrote cameras only (an import or its undo): a server then
    /// refreshes its cameras, not the county.
    pub cameras_only: bool,
    /// Whether the change edited a household's tags only (or undid such an edit): no
    /// server holds tags in memory or in tiles, so there is nothing to reload.
    pub tags_only: bool,
}

/// How every camera write's operation begins (`import cameras (add) cameras.csv`),
/// which [`ChangeMark::cameras_only`] reads.
pub const CAMERA_OPERATION: &str = "import cameras";

/// Whether `operation` names a camera write, or the undo of one (`undo 12 (import
/// cameras …)`, to any depth).
///
/// ```
/// use gridmap_store::is_camera_operation;
/// assert!(is_camera_operation("import cameras (add) c.csv"));
/// assert!(is_camera_operation("undo 15 (undo 12 (import cameras (replace) c.csv))"));
/// assert!(!is_camera_operation("undo 12 (partition All)"));
/// ```
pub fn is_camera_operation(operation: &str) -> bool {
    undone_operation(operation).starts_with(CAMERA_OPERATION)
}

/// How every household tag edit's operation begins (`edit household tags H0001`), which
/// [`ChangeMark::tags_only`] reads. The tags themselves are personal data and stay out
/// of the operation (change lists show it).
pub const TAG_EDIT_OPERATION: &str = "edit household tags ";

/// Whether `operation` names a household tag edit, or the undo of one.
///
/// ```
/// use gridmap_store::is_tag_edit_operation;
/// assert!(is_tag_edit_operation("edit household tags H0001"));
/// assert!(is_tag_edit_operation("undo 9 (edit household tags H0001)"));
/// assert!(!is_tag_edit_operation("import register.csv"));
/// ```
pub fn is_tag_edit_operation(operation: &str) -> bool {
    undone_operation(operation).starts_with(TAG_EDIT_OPERATION)
}

/// The operation an undo chain ends at: `undo 15 (undo 12 (import x))` → `import x))`
/// (the closing parentheses stay: callers compare beginnings).
fn undone_operation(operation: &str) -> &str {
    let mut op = operation;
    while let Some((_, undone)) = op
        .strip_prefix("undo ")
        .and_then(|rest| rest.split_once(" ("))
    {
        op = undone;
    }
    op
}

/// How every incident change's operation begins (`incident report R…`, `incident
/// dispatch R…`, `incident import 120`), which [`ChangeMark::incidents_only`] reads.
pub const INCIDENT_OPERATION: &str = "incident ";

/// Whether `operation` names an incident-only change.
pub fn is_incident_operation(operation: &str) -> bool {
    operation.starts_with(INCIDENT_OPERATION)
}

/// How the log entry of a saved plan version begins: `save version "draft 2" of
/// 411622103214`. The store writes these entries itself, in the transaction that saves
/// or deletes the version, so [`ChangeMark::versions_only`] can read them.
pub const VERSION_SAVE_OPERATION: &str = "save version ";

/// How the log entry of a deleted plan version begins: `delete version "draft 2" of
/// 411622103214`.
pub const VERSION_DELETE_OPERATION: &str = "delete version ";

/// Whether `operation` names a plan version saved or deleted.
pub fn is_version_operation(operation: &str) -> bool {
    operation.starts_with(VERSION_SAVE_OPERATION) || operation.starts_with(VERSION_DELETE_OPERATION)
}

/// A change without its records, for history lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeSummary {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub operation: String,
    pub bbox: Option<[f64; 4]>,
}

/// Whole records of the tables imports write, each kind in key order. A change's
/// before-rows and after-rows are what undo needs: put the before-rows back, delete the
/// keys only the after-rows have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordRows {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_units: Vec<AdminUnit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildings: Vec<Building>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub barriers: Vec<Barrier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub households: Vec<Household>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<Staff>,
}

impl RecordRows {
    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// The keys of the rows held.
    pub fn keys(&self) -> RecordKeys {
        RecordKeys::of(
            &self.admin_units,
            &self.buildings,
            &self.barriers,
            &self.households,
            &self.staff,
        )
    }

    /// The area of the boundaries and footprints held.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        union_bbox(
            self.admin_units
                .iter()
                .map(|u| &u.boundary)
                .chain(self.buildings.iter().map(|b| &b.footprint))
                .filter_map(bbox_array),
        )
    }

    /// The area of the rows held here and in `other` (a change's before and after).
    pub fn bbox_with(&self, other: &RecordRows) -> Option<[f64; 4]> {
        union_bbox(self.bbox().into_iter().chain(other.bbox()))
    }

    /// Sorts every kind by key, the order stores answer in, so two sets compare equal
    /// when they hold the same rows.
    pub fn sort(&mut self) {
        self.admin_units.sort_by(|a, b| a.code.cmp(&b.code));
        self.buildings.sort_by(|a, b| a.source_id.cmp(&b.source_id));
        self.barriers.sort_by(|a, b| a.source_id.cmp(&b.source_id));
        self.households.sort_by(|a, b| a.id.cmp(&b.id));
        self.staff.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

/// Keys of records, per table: admin unit codes, building and barrier source ids,
/// household and staff ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordKeys {
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub admin_units: BTreeSet<DivisionCode>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub buildings: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub barriers: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub households: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub staff: BTreeSet<String>,
}

impl RecordKeys {
    /// The keys of the given records.
    pub fn of(
        admin_units: &[AdminUnit],
        buildings: &[Building],
        barriers: &[Barrier],
        households: &[Household],
        staff: &[Staff],
    ) -> RecordKeys {
        RecordKeys {
            admin_units: admin_units.iter().map(|u| u.code.clone()).collect(),
            buildings: buildings.iter().map(|b| b.source_id.clone()).collect(),
            barriers: barriers.iter().map(|b| b.source_id.clone()).collect(),
            households: households.iter().map(|h| h.id.clone()).collect(),
            staff: staff.iter().map(|s| s.id.clone()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.admin_units.is_empty()
            && self.buildings.is_empty()
            && self.barriers.is_empty()
            && self.households.is_empty()
            && self.staff.is_empty()
    }

    /// The keys in `self` and not in `other`.
    pub fn difference(&self, other: &RecordKeys) -> RecordKeys {
        fn minus<T: Ord + Clone>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> BTreeSet<T> {
            a.difference(b).cloned().collect()
        }
        RecordKeys {
            admin_units: minus(&self.admin_units, &other.admin_units),
            buildings: minus(&self.buildings, &other.buildings),
            barriers: minus(&self.barriers, &other.barriers),
            households: minus(&self.households, &other.households),
            staff: minus(&self.staff, &other.staff),
        }
    }

    /// The first key both hold, named with its kind (`building B12`), if any.
    ///
    /// ```
    /// use gridmap_store::RecordKeys;
    /// let mut a = RecordKeys::default();
    /// a.buildings.insert("B1".into());
    /// let mut b = RecordKeys::default();
    /// assert_eq!(a.first_shared(&b), None);
    /// b.buildings.insert("B1".into());
    /// assert_eq!(a.first_shared(&b).as_deref(), Some("building B1"));
    /// ```
    pub fn first_shared(&self, other: &RecordKeys) -> Option<String> {
        fn first<T: Ord + std::fmt::Display>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> Option<String> {
            a.intersection(b).next().map(|k| k.to_string())
        }
        first(&self.admin_units, &other.admin_units)
            .map(|k| format!("admin unit {k}"))
            .or_else(|| first(&self.buildings, &other.buildings).map(|k| format!("building {k}")))
            .or_else(|| first(&self.barriers, &other.barriers).map(|k| format!("barrier {k}")))
            .or_else(|| {
                first(&self.households, &other.households).map(|k| format!("household {k}"))
            })
            .or_else(|| first(&self.staff, &other.staff).map(|k| format!("staff member {k}")))
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: RecordKeys) {
        self.admin_units.extend(other.admin_units);
        self.buildings.extend(other.buildings);
        self.barriers.extend(other.barriers);
        self.households.extend(other.households);
        self.staff.extend(other.staff);
    }
}

/// Puts records back as a change found them (undo of an import): every row of `put` is
/// written exactly as given, every key of `delete` removed, in one transaction, and only
/// when the rows are still as the undone change left them: every row of `expect` equal
/// to the stored one and no key of `expect_absent` stored
/// ([`crate::StoreError::Conflict`] otherwise).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowRestore {
    pub put: RecordRows,
    pub delete: RecordKeys,
    pub expect: RecordRows,
    pub expect_absent: RecordKeys,
}

impl RowRestore {
    /// The keys whose stored rows [`RowRestore::check`] needs.
    pub fn checked_keys(&self) -> RecordKeys {
        let mut keys = self.expect.keys();
        keys.extend(self.expect_absent.clone());
        keys
    }

    /// Checks the stored rows of [`RowRestore::checked_keys`] against what the restore
    /// expects; names the first record that differs.
    pub fn check(&self, stored: &RecordRows) -> crate::StoreResult<()> {
        fn first_difference<T: PartialEq>(
            expected: &[T],
            stored: &[T],
            key: impl Fn(&T) -> String,
            kind: &str,
            absent: &BTreeSet<String>,
        ) -> Option<String> {
            let stored_by_key: std::collections::HashMap<String, &T> =
                stored.iter().map(|r| (key(r), r)).collect();
            expected
                .iter()
                .find(|e| stored_by_key.get(&key(e)) != Some(e))
                .map(|e| format!("{kind} {}", key(e)))
                .or_else(|| {
                    absent
                        .iter()
                        .find(|k| stored_by_key.contains_key(*k))
                        .map(|k| format!("{kind} {k}"))
                })
        }
        let absent_units: BTreeSet<String> = self
            .expect_absent
            .admin_units
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        let differs = first_difference(
            &self.expect.admin_units,
            &stored.admin_units,
            |u| u.code.as_str().to_owned(),
            "admin unit",
            &absent_units,
        )
        .or_else(|| {
            first_difference(
                &self.expect.buildings,
                &stored.buildings,
                |b| b.source_id.clone(),
                "building",
                &self.expect_absent.buildings,
            )
        })
        .or_else(|| {
            first_difference(
                &self.expect.barriers,
                &stored.barriers,
                |b| b.source_id.clone(),
                "barrier",
                &self.expect_absent.barriers,
            )
        })
        .or_else(|| {
            first_difference(
                &self.expect.households,
                &stored.households,
                |h| h.id.clone(),
                "household",
                &self.expect_absent.households,
            )
        })
        .or_else(|| {
            first_difference(
                &self.expect.staff,
                &stored.staff,
                |s| s.id.clone(),
                "staff member",
                &self.expect_absent.staff,
            )
        });
        match differs {
            Some(what) => Err(crate::StoreError::Changed { what }),
            None => Ok(()),
        }
    }
}
