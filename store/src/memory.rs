//! An in-memory store: every trait of the crate over plain collections behind one mutex.
//! It keeps nothing on disk; the service's tests run against it and against SQLite, so
//! the use cases do not depend on one backend's behaviour.

mod access;
mod incidents;

use crate::batch::{ImportBatch, ImportSummary, Stats, UpsertCounts};
use crate::change::{
    Change, ChangeMark, ChangeMeta, ChangeRecords, ChangeSummary, GridWrite, RecordKeys,
    RecordRows, RowRestore, StaffGrids,
};
use crate::error::{StoreError, StoreResult};
use crate::versions::{name_taken, now_rfc3339, VersionEvent};
use crate::{
    CameraStore, CameraWrite, CameraWriteSummary, ChangeLog, GridStore, ImportStore, Maintenance,
    NewPlanVersion, PlanVersion, PlanVersionStore, PlanVersionSummary, ReadStore, SettingsStore,
};
use async_trait::async_trait;
use gridmap_core::partition::PartitionParams;
use gridmap_core::{
    AdminLevel, AdminUnit, Barrier, Building, BuildingUse, DivisionCode, Grid, GridCode, Household,
    HouseholdCount, HouseholdCountSource, Incident, Staff,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default, Clone)]
struct State {
    admin_units: BTreeMap<DivisionCode, AdminUnit>,
    buildings: BTreeMap<String, Building>,
    barriers: BTreeMap<String, Barrier>,
    households: BTreeMap<String, Household>,
    staff: BTreeMap<String, Staff>,
    incidents: BTreeMap<String, Incident>,
    incident_transitions: BTreeMap<String, Vec<gridmap_core::incident::IncidentTransition>>,
    grids: BTreeMap<GridCode, Grid>,
    changes: Vec<Change>,
    partition_params: Option<PartitionParams>,
    /// Plan versions by id; ids are never reused (see `last_plan_version`).
    plan_versions: BTreeMap<i64, PlanVersion>,
    /// The last id given to a plan version, kept when it is deleted, like SQLite's
    /// AUTOINCREMENT.
    last_plan_version: i64,
    /// Accounts, credentials and the audit log.
    access: access::AccessState,
    cameras: BTreeMap<String, gridmap_core::Camera>,
    photos: BTreeMap<String, crate::Photo>,
    /// Staff id → photo id.
    staff_photos: BTreeMap<String, String>,
    visits: BTreeMap<String, crate::Visit>,
    check_ins: BTreeMap<String, crate::CheckIn>,
}

/// A store in memory (see the module docs).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn upsert<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    items: impl Iterator<Item = (K, V)>,
) -> UpsertCounts {
    let mut counts = UpsertCounts::default();
    for (k, v) in items {
        match map.insert(k, v) {
            Some(_) => counts.updated += 1,
            None => counts.inserted += 1,
        }
    }
    counts
}

/// The values of `map` under `keys`, in key order.
fn pick<K: Ord, V: Clone>(map: &BTreeMap<K, V>, keys: &std::collections::BTreeSet<K>) -> Vec<V> {
    keys.iter().filter_map(|k| map.get(k)).cloned().collect()
}

impl State {
    fn rows(&self, keys: &RecordKeys) -> RecordRows {
        RecordRows {
            admin_units: pick(&self.admin_units, &keys.admin_units),
            buildings: pick(&self.buildings, &keys.buildings),
            barriers: pick(&self.barriers, &keys.barriers),
            households: pick(&self.households, &keys.households),
            staff: pick(&self.staff, &keys.staff),
        }
    }

    /// Every record `batch` may change (see the SQLite store's `keys_touched_by`).
    fn touched_by(&self, batch: &ImportBatch) -> RecordKeys {
        let mut keys = batch.keys();
        for unit in &batch.admin_units {
            keys.admin_units.extend(
                self.admin_units
                    .values()
                    .filter(|u| u.source_id == unit.source_id)
                    .map(|u| u.code.clone()),
            );
        }
        for (stored, _) in &batch.replace_buildings {
            keys.buildings.insert(stored.clone());
            keys.households.extend(
                self.households
                    .values()
                    .filter(|h| h.building.as_ref() == Some(stored))
                    .map(|h| h.id.clone()),
            );
        }
        keys.buildings
            .extend(batch.households.iter().filter_map(|h| h.building.clone()));
        let old_buildings: Vec<String> = keys
            .households
            .iter()
            .filter_map(|id| self.households.get(id)?.building.clone())
            .collect();
        keys.buildings.extend(old_buildings);
        keys
    }

    fn delete(&mut self, keys: &RecordKeys) {
        self.admin_units
            .retain(|k, _| !keys.admin_units.contains(k));
        self.buildings.retain(|k, _| !keys.buildings.contains(k));
        self.barriers.retain(|k, _| !keys.barriers.contains(k));
        self.households.retain(|k, _| !keys.households.contains(k));
        self.staff.retain(|k, _| !keys.staff.contains(k));
    }

    fn put(&mut self, rows: &RecordRows) {
        for u in &rows.admin_units {
            self.admin_units.insert(u.code.clone(), u.clone());
        }
        for b in &rows.buildings {
            self.buildings.insert(b.source_id.clone(), b.clone());
        }
        for b in &rows.barriers {
            self.barriers.insert(b.source_id.clone(), b.clone());
        }
        for h in &rows.households {
            self.households.insert(h.id.clone(), h.clone());
        }
        for m in &rows.staff {
            self.staff.insert(m.id.clone(), m.clone());
        }
    }

    fn log(
        &mut self,
        meta: &ChangeMeta,
        bbox: Option<[f64; 4]>,
        before: ChangeRecords,
        after: ChangeRecords,
    ) -> i64 {
        let id = self.changes.last().map_or(1, |c| c.id + 1);
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if let Some(entry) = meta.audit_entry(id) {
            self.access.append_audit(entry);
        }
        self.changes.push(Change {
            id,
            at,
            actor: meta.actor.clone(),
            operation: meta.operation.clone(),
            bbox,
            before,
            after,
        });
        id
    }
}

#[async_trait]
impl ReadStore for MemoryStore {
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        Ok(self.state().admin_units.values().cloned().collect())
    }
    async fn buildings(&self) -> StoreResult<Vec<Building>> {
        Ok(self.state().buildings.values().cloned().collect())
    }
    async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        Ok(self.state().barriers.values().cloned().collect())
    }
    async fn grids(&self) -> StoreResult<Vec<Grid>> {
        Ok(self.state().grids.values().cloned().collect())
    }
    async fn grid(&self, code: &GridCode) -> StoreResult<Option<Grid>> {
        Ok(self.state().grids.get(code).cloned())
    }
    async fn staff(&self) -> StoreResult<Vec<Staff>> {
        Ok(self.state().staff.values().cloned().collect())
    }
    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        let mut rows: Vec<Household> = self
            .state()
            .households
            .values()
            .filter(|h| h.building.as_deref() == Some(building))
            .cloned()
            .collect();
        rows.sort_by(|a, b| {
            (&a.entrance, a.floor, &a.unit, &a.id).cmp(&(&b.entrance, b.floor, &b.unit, &b.id))
        });
        Ok(rows)
    }
    async fn stats(&self) -> StoreResult<Stats> {
        let s = self.state();
        let level = |l: AdminLevel| s.admin_units.values().filter(|u| u.level == l).count() as u64;
        let households = |estimated: bool| -> u64 {
            s.buildings
                .values()
                .filter(|b| !estimated || b.households.source == HouseholdCountSource::Estimated)
                .map(|b| u64::from(b.households.count))
                .sum()
        };
        let of_use =
            |u: BuildingUse| s.buildings.values().filter(|b| b.building_use == u).count() as u64;
        Ok(Stats {
            counties: level(AdminLevel::County),
            townships: level(AdminLevel::Township),
            villages: level(AdminLevel::Village),
            buildings: s.buildings.len() as u64,
            buildings_residential: of_use(BuildingUse::Residential),
            buildings_institution: of_use(BuildingUse::Institution),
            households_in_buildings: households(false),
            households_estimated: households(true),
            register_rows: s.households.len() as u64,
            grids: s.grids.len() as u64,
            grids_locked: s.grids.values().filter(|g| g.locked).count() as u64,
            staff: s.staff.len() as u64,
            incidents: s.incidents.len() as u64,
            barriers: s.barriers.len() as u64,
        })
    }
    async fn rows(&self, keys: &RecordKeys) -> StoreResult<RecordRows> {
        Ok(self.state().rows(keys))
    }
}

#[async_trait]
impl ImportStore for MemoryStore {
    async fn import(&self, batch: &ImportBatch, meta: &ChangeMeta) -> StoreResult<ImportSummary> {
        let mut s = self.state();
        let mut summary = ImportSummary::default();
        let touched = s.touched_by(batch);
        let before = s.rows(&touched);
        for u in &batch.admin_units {
            s.admin_units
                .retain(|code, old| old.source_id != u.source_id || code == &u.code);
        }
        summary.admin_units = upsert(
            &mut s.admin_units,
            batch
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.clone())),
        );
        let buildings = batch.buildings.iter().map(|b| {
            let mut b = b.clone();
            if b.village.is_none() {
                b.village = s
                    .buildings
                    .get(&b.source_id)
                    .and_then(|old| old.village.clone());
            }
            (b.source_id.clone(), b)
        });
        let buildings: Vec<_> = buildings.collect();
        let mut replaced = 0;
        for (stored, _) in &batch.replace_buildings {
            replaced += u64::from(s.buildings.remove(stored).is_some());
        }
        summary.buildings = upsert(&mut s.buildings, buildings.into_iter());
        let replaced = replaced.min(summary.buildings.inserted);
        summary.buildings.inserted -= replaced;
        summary.buildings.updated += replaced;
        let mut moved = false;
        for (stored, by) in &batch.replace_buildings {
            for h in s
                .households
                .values_mut()
                .filter(|h| h.building.as_ref() == Some(stored))
            {
                h.building = Some(by.clone());
                moved = true;
            }
        }
        summary.barriers = upsert(
            &mut s.barriers,
            batch
                .barriers
                .iter()
                .map(|b| (b.source_id.clone(), b.clone())),
        );
        summary.households = upsert(
            &mut s.households,
            batch.households.iter().map(|h| (h.id.clone(), h.clone())),
        );
        // Buildings written again (a re-import of footprints) keep the register's counts.
        if !batch.households.is_empty() || moved || !batch.buildings.is_empty() {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for h in s.households.values() {
                if let Some(b) = &h.building {
                    *counts.entry(b.clone()).or_default() += 1;
                }
            }
            for (id, n) in counts {
                if let Some(b) = s.buildings.get_mut(&id) {
                    b.households = HouseholdCount::registered(n);
                    if !batch.households.is_empty() {
                        summary.buildings_with_registered_households += 1;
                    }
                }
            }
        }
        summary.staff = upsert(
            &mut s.staff,
            batch.staff.iter().map(|m| (m.id.clone(), m.clone())),
        );
        summary.incidents = upsert(
            &mut s.incidents,
            batch.incidents.iter().map(|i| (i.id.clone(), i.clone())),
        );
        let bbox =
            gridmap_core::geometry::union_bbox(before.bbox().into_iter().chain(batch.bbox()));
        let before = ChangeRecords {
            rows: before,
            ..ChangeRecords::default()
        };
        summary.change = s.log(
            meta,
            bbox,
            before,
            ChangeRecords::of_import(touched, &summary),
        );
        Ok(summary)
    }

    async fn restore_rows(&self, restore: &RowRestore, meta: &ChangeMeta) -> StoreResult<i64> {
        let mut s = self.state();
        restore.check(&s.rows(&restore.checked_keys()))?;
        let mut touched = restore.put.keys();
        touched.extend(restore.delete.clone());
        let before = s.rows(&touched);
        s.delete(&restore.delete);
        s.put(&restore.put);
        let after = s.rows(&touched);
        let bbox = before.bbox_with(&after);
        let records = |rows| ChangeRecords {
            rows,
            ..ChangeRecords::default()
        };
        Ok(s.log(meta, bbox, records(before), records(after)))
    }

    async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        if assignments.is_empty() {
            return Ok(0);
        }
        let mut s = self.state();
        let mut before = Vec::new();
        for (id, village) in assignments {
            if let Some(b) = s.buildings.get_mut(id) {
                before.push((id.clone(), b.village.clone()));
                b.village = village.clone();
            }
        }
        let before = ChangeRecords {
            building_villages: before,
            ..ChangeRecords::default()
        };
        let after = ChangeRecords {
            building_villages: assignments.to_vec(),
            ..ChangeRecords::default()
        };
        Ok(s.log(meta, None, before, after))
    }
}

#[async_trait]
impl GridStore for MemoryStore {
    async fn write_grids(&self, write: &GridWrite, meta: &ChangeMeta) -> StoreResult<i64> {
        let mut s = self.state();
        for (code, version) in &write.expect_versions {
            let current = s
                .grids
                .get(code)
                .ok_or_else(|| StoreError::NotFound {
                    what: format!("grid {code}"),
                })?
                .version;
            if current != *version {
                return Err(StoreError::Conflict {
                    what: format!("grid {code}"),
                    current,
                });
            }
        }
        if let Some(g) = s.grids.values().find(|g| {
            write.exact_villages.contains(&g.village)
                && !write
                    .expect_versions
                    .iter()
                    .any(|(code, _)| code == &g.code)
        }) {
            return Err(StoreError::Conflict {
                what: format!("grid {} (made since)", g.code),
                current: g.version,
            });
        }
        let mut staff_before = Vec::new();
        for sg in &write.staff_grids {
            let member = s.staff.get(&sg.staff).ok_or_else(|| StoreError::NotFound {
                what: format!("staff member {:?}", sg.staff),
            })?;
            staff_before.push(StaffGrids {
                staff: sg.staff.clone(),
                grids: member.grids.clone(),
            });
        }
        let touched: BTreeMap<GridCode, Grid> = s
            .grids
            .values()
            .filter(|g| {
                write.replace_villages.contains(&g.village)
                    || write.remove.contains(&g.code)
                    || write.upsert.iter().any(|u| u.code == g.code)
            })
            .map(|g| (g.code.clone(), g.clone()))
            .collect();
        s.grids.retain(|code, g| {
            !write.replace_villages.contains(&g.village) && !write.remove.contains(code)
        });
        for g in &write.upsert {
            s.grids.insert(g.code.clone(), g.clone());
        }
        for sg in &write.staff_grids {
            if let Some(member) = s.staff.get_mut(&sg.staff) {
                member.grids = sg.grids.clone();
            }
        }
        let params_before = match &write.partition_params {
            Some(p) => s.partition_params.replace(p.clone()),
            None => None,
        };
        let before = ChangeRecords {
            grids: touched.into_values().collect(),
            staff_grids: staff_before,
            partition_params: params_before,
            ..ChangeRecords::default()
        };
        let after = ChangeRecords {
            grids: write.upsert.clone(),
            staff_grids: write.staff_grids.clone(),
            partition_params: write.partition_params.clone(),
            ..ChangeRecords::default()
        };
        let bbox = before.grids_bbox(&after);
        Ok(s.log(meta, bbox, before, after))
    }
}

#[async_trait]
impl ChangeLog for MemoryStore {
    async fn last_change(&self) -> StoreResult<i64> {
        Ok(self.state().changes.last().map_or(0, |c| c.id))
    }
    async fn changes_since(&self, after: i64) -> StoreResult<Vec<ChangeMark>> {
        Ok(self
            .state()
            .changes
            .iter()
            .filter(|c| c.id > after)
            .map(|c| ChangeMark {
                id: c.id,
                bbox: c.bbox,
                incidents_only: crate::change::is_incident_operation(&c.operation),
                versions_only: crate::change::is_version_operation(&c.operation),
                cameras_only: crate::change::is_camera_operation(&c.operation),
                tags_only: crate::change::is_tag_edit_operation(&c.operation),
            })
            .collect())
    }
    async fn change(&self, id: i64) -> StoreResult<Option<Change>> {
        Ok(self.state().changes.iter().find(|c| c.id == id).cloned())
    }
    async fn recent_changes(&self, limit: usize) -> StoreResult<Vec<ChangeSummary>> {
        Ok(self
            .state()
            .changes
            .iter()
            .rev()
            .take(limit)
            .map(|c| ChangeSummary {
                id: c.id,
                at: c.at,
                actor: c.actor.clone(),
                operation: c.operation.clone(),
                bbox: c.bbox,
            })
            .collect())
    }
}

#[async_trait]
impl crate::PhotoStore for MemoryStore {
    async fn put_photo(&self, photo: &crate::Photo) -> StoreResult<bool> {
        let mut s = self.state();
        if let Some(stored) = s.photos.get(&photo.id) {
            return crate::same_photo(stored, photo);
        }
        s.photos.insert(photo.id.clone(), photo.clone());
        Ok(true)
    }

    async fn photo(&self, id: &str) -> StoreResult<Option<crate::Photo>> {
        Ok(self.state().photos.get(id).cloned())
    }

    async fn set_staff_photo(&self, staff: &str, photo_id: Option<&str>) -> StoreResult<()> {
        let mut s = self.state();
        match photo_id {
            Some(id) if !s.photos.contains_key(id) => {
                return Err(crate::StoreError::NotFound {
                    what: format!("photo {id} for staff {staff}"),
                })
            }
            Some(id) => s.staff_photos.insert(staff.to_owned(), id.to_owned()),
            None => s.staff_photos.remove(staff),
        };
        Ok(())
    }

    async fn staff_photo(&self, staff: &str) -> StoreResult<Option<crate::Photo>> {
        let s = self.state();
        Ok(s.staff_photos
            .get(staff)
            .and_then(|id| s.photos.get(id))
            .cloned())
    }

    async fn staff_with_photos(&self) -> StoreResult<std::collections::HashSet<String>> {
        Ok(self.state().staff_photos.keys().cloned().collect())
    }
}

#[async_trait]
impl crate::FieldStore for MemoryStore {
    async fn add_visit(&self, visit: &crate::Visit) -> StoreResult<bool> {
        let mut s = self.state();
        if let Some(stored) = s.visits.get(&visit.id) {
            return crate::same_visit(stored, visit);
        }
        s.visits.insert(visit.id.clone(), visit.clone());
        Ok(true)
    }

    async fn visits_of_household(&self, id: &str) -> StoreResult<Vec<crate::Visit>> {
        let mut out: Vec<crate::Visit> = self
            .state()
            .visits
            .values()
            .filter(|v| v.household == id)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn add_check_in(&self, check_in: &crate::CheckIn) -> StoreResult<bool> {
        let mut s = self.state();
        if let Some(stored) = s.check_ins.get(&check_in.id) {
            return crate::same_check_in(stored, check_in);
        }
        s.check_ins.insert(check_in.id.clone(), check_in.clone());
        Ok(true)
    }

    async fn check_ins(&self, grid: Option<&str>, since: i64) -> StoreResult<Vec<crate::CheckIn>> {
        let mut out: Vec<crate::CheckIn> = self
            .state()
            .check_ins
            .values()
            .filter(|c| c.at >= since && grid.is_none_or(|g| c.grid.as_deref() == Some(g)))
            .cloned()
            .collect();
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

#[async_trait]
impl CameraStore for MemoryStore {
    async fn cameras(&self) -> StoreResult<Vec<gridmap_core::Camera>> {
        Ok(self.state().cameras.values().cloned().collect())
    }

    async fn write_cameras(
        &self,
        write: &CameraWrite,
        meta: &ChangeMeta,
    ) -> StoreResult<CameraWriteSummary> {
        let mut s = self.state();
        let plan = crate::cameras::plan(s.cameras.values().cloned().collect(), write)?;
        let mut summary = plan.summary;
        if plan.is_empty() {
            return Ok(summary);
        }
        for id in &plan.delete {
            s.cameras.remove(id);
        }
        for c in &plan.put {
            s.cameras.insert(c.id.clone(), c.clone());
        }
        summary.change = s.log(meta, plan.bbox, plan.before, plan.after);
        Ok(summary)
    }
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn partition_params(&self) -> StoreResult<Option<PartitionParams>> {
        Ok(self.state().partition_params.clone())
    }
    async fn set_partition_params(
        &self,
        params: &PartitionParams,
        meta: &ChangeMeta,
    ) -> StoreResult<()> {
        let mut s = self.state();
        if s.partition_params.as_ref() == Some(params) {
            return Ok(());
        }
        let records = |p: Option<&PartitionParams>| ChangeRecords {
            partition_params: p.cloned(),
            ..ChangeRecords::default()
        };
        let before = records(s.partition_params.as_ref());
        s.partition_params = Some(params.clone());
        s.log(meta, None, before, records(Some(params)));
        Ok(())
    }
}

#[async_trait]
impl PlanVersionStore for MemoryStore {
    async fn save_plan_version(
        &self,
        version: &NewPlanVersion,
        actor: &str,
    ) -> StoreResult<PlanVersionSummary> {
        version.check()?;
        let mut s = self.state();
        let taken = s
            .plan_versions
            .values()
            .any(|v| v.summary.village == version.village && v.summary.name == version.name);
        if taken {
            return Err(name_taken(version));
        }
        s.last_plan_version += 1;
        let summary = version.summary(s.last_plan_version, now_rfc3339(), actor);
        let saved = PlanVersion {
            summary: summary.clone(),
            grids: version.grids.clone(),
        };
        s.plan_versions.insert(summary.id, saved);
        let (meta, before, after) = summary.log_entry(VersionEvent::Saved, actor);
        s.log(&meta, None, before, after);
        Ok(summary)
    }
    async fn plan_versions(&self, village: &DivisionCode) -> StoreResult<Vec<PlanVersionSummary>> {
        Ok(self
            .state()
            .plan_versions
            .values()
            .rev()
            .filter(|v| &v.summary.village == village)
            .map(|v| v.summary.clone())
            .collect())
    }
    async fn plan_version(&self, id: i64) -> StoreResult<Option<PlanVersion>> {
        Ok(self.state().plan_versions.get(&id).cloned())
    }
    async fn delete_plan_version(&self, id: i64, actor: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let Some(gone) = s.plan_versions.remove(&id) else {
            return Ok(false);
        };
        let (meta, before, after) = gone.summary.log_entry(VersionEvent::Deleted, actor);
        s.log(&meta, None, before, after);
        Ok(true)
    }
}

/// Tiles of this store are drawn in memory.
impl crate::TileStore for MemoryStore {}

#[async_trait]
impl Maintenance for MemoryStore {
    async fn backup(&self, to: &Path) -> StoreResult<()> {
        Err(StoreError::Unsupported {
            what: format!(
                "an in-memory store cannot be backed up to {}: it keeps nothing on disk",
                to.display()
            ),
        })
    }
    async fn close(&self) -> StoreResult<()> {
        Ok(())
    }
}
