//! A store whose bulk reads go to a streaming replica and everything else to the
//! primary (`--db-read`).
//!
//! A replica lags its primary. A server must never serve tiles older than a change it
//! has already seen (its own write, or one the change log showed it, after which it
//! purged tiles and reloads), so every read waits until the replica has replayed the
//! newest change this store has seen, and goes to the primary instead when the replica
//! does not get there within [`ReplicatedStore::with_wait`]'s bound. Writes, the change
//! log, settings, plan versions and cameras always use the primary.

use crate::{
    AccessStore, AccountChange, AuditEntry, AuditFilter, AuditRecord, Change, ChangeFeed,
    ChangeLog, ChangeMark, ChangeMeta, ChangeSummary, CountBy, Credential, GridStore, GridWrite,
    ImportBatch, ImportStore, ImportSummary, IncidentChunks, IncidentCounts, IncidentFilter,
    IncidentPage, IncidentStore, Maintenance, NewAccount, NewCredential, NewPlanVersion,
    PlanVersion, PlanVersionStore, PlanVersionSummary, ReadStore, RecordKeys, RecordRows,
    RowRestore, SettingsStore, SharedStore, Stats, StoreResult, TileRequest, TileStore,
    UpsertCounts,
};
use async_trait::async_trait;
use gridmap_core::incident::IncidentTransition;
use gridmap_core::partition::PartitionParams;
use gridmap_core::{
    Account, AdminUnit, Barrier, Building, DivisionCode, Grid, GridCode, Household, Incident, Staff,
};
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The primary for writes, a replica for reads.
pub struct ReplicatedStore {
    primary: SharedStore,
    replica: SharedStore,
    /// The newest change id this store has seen (written or read from the log).
    seen: AtomicI64,
    /// The newest change id the replica was last found to have replayed (it only grows),
    /// so reads ask it again only when this store has seen something newer.
    replayed: AtomicI64,
    /// How long a read waits for the replica before it asks the primary.
    wait: Duration,
    /// Reads the primary answered because the replica lagged (for metrics and tests).
    fallbacks: AtomicU64,
}

impl ReplicatedStore {
    /// Reads from `replica`, waiting up to a second for it to catch up.
    pub fn new(primary: SharedStore, replica: SharedStore) -> ReplicatedStore {
        ReplicatedStore {
            primary,
            replica,
            seen: AtomicI64::new(0),
            replayed: AtomicI64::new(-1),
            wait: Duration::from_secs(1),
            fallbacks: AtomicU64::new(0),
        }
    }

    /// The same, waiting up to `wait` for the replica on each read.
    pub fn with_wait(mut self, wait: Duration) -> ReplicatedStore {
        self.wait = wait;
        self
    }

    /// How many reads went to the primary because the replica lagged.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    fn saw(&self, id: i64) {
        self.seen.fetch_max(id, Ordering::AcqRel);
    }

    /// The store to read from: the replica once it has replayed every change seen,
    /// else (after the wait) the primary.
    async fn reader(&self) -> &SharedStore {
        let seen = self.seen.load(Ordering::Acquire);
        if self.replayed.load(Ordering::Acquire) >= seen {
            return &self.replica;
        }
        let started = Instant::now();
        loop {
            match self.replica.last_change().await {
                Ok(replayed) => {
                    self.replayed.fetch_max(replayed, Ordering::AcqRel);
                    if replayed >= seen {
                        return &self.replica;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the read replica does not answer; reading the primary");
                    break;
                }
            }
            if started.elapsed() >= self.wait {
                tracing::debug!(seen, "the read replica lags; reading the primary");
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        &self.primary
    }
}

#[async_trait]
impl ReadStore for ReplicatedStore {
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        self.reader().await.admin_units().await
    }
    async fn buildings(&self) -> StoreResult<Vec<Building>> {
        self.reader().await.buildings().await
    }
    async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        self.reader().await.barriers().await
    }
    async fn grids(&self) -> StoreResult<Vec<Grid>> {
        self.reader().await.grids().await
    }
    async fn grid(&self, code: &GridCode) -> StoreResult<Option<Grid>> {
        self.reader().await.grid(code).await
    }
    async fn staff(&self) -> StoreResult<Vec<Staff>> {
        self.reader().await.staff().await
    }
    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        self.reader().await.households_of_building(building).await
    }
    async fn households_of_buildings(
        &self,
        buildings: &[String],
    ) -> StoreResult<Vec<(String, Vec<Household>)>> {
        self.reader().await.households_of_buildings(buildings).await
    }
    async fn stats(&self) -> StoreResult<Stats> {
        self.reader().await.stats().await
    }
    async fn rows(&self, keys: &RecordKeys) -> StoreResult<RecordRows> {
        self.reader().await.rows(keys).await
    }
}

#[async_trait]
impl ImportStore for ReplicatedStore {
    async fn import(&self, batch: &ImportBatch, meta: &ChangeMeta) -> StoreResult<ImportSummary> {
        let summary = self.primary.import(batch, meta).await?;
        self.saw(self.primary.last_change().await?);
        Ok(summary)
    }
    async fn restore_rows(&self, restore: &RowRestore, meta: &ChangeMeta) -> StoreResult<i64> {
        let id = self.primary.restore_rows(restore, meta).await?;
        self.saw(id);
        Ok(id)
    }
    async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        let id = self
            .primary
            .set_building_villages(assignments, meta)
            .await?;
        self.saw(id);
        Ok(id)
    }
}

#[async_trait]
impl GridStore for ReplicatedStore {
    async fn write_grids(&self, write: &GridWrite, meta: &ChangeMeta) -> StoreResult<i64> {
        let id = self.primary.write_grids(write, meta).await?;
        self.saw(id);
        Ok(id)
    }
}

#[async_trait]
impl ChangeLog for ReplicatedStore {
    async fn last_change(&self) -> StoreResult<i64> {
        let id = self.primary.last_change().await?;
        self.saw(id);
        Ok(id)
    }
    async fn changes_since(&self, after: i64) -> StoreResult<Vec<ChangeMark>> {
        let marks = self.primary.changes_since(after).await?;
        if let Some(newest) = marks.last() {
            self.saw(newest.id);
        }
        Ok(marks)
    }
    async fn change(&self, id: i64) -> StoreResult<Option<Change>> {
        self.primary.change(id).await
    }
    async fn recent_changes(&self, limit: usize) -> StoreResult<Vec<ChangeSummary>> {
        self.primary.recent_changes(limit).await
    }
    async fn change_feed(&self) -> StoreResult<Option<ChangeFeed>> {
        self.primary.change_feed().await
    }
}

#[async_trait]
impl IncidentStore for ReplicatedStore {
    async fn incidents(&self) -> StoreResult<Vec<Incident>> {
        self.reader().await.incidents().await
    }
    async fn add_incident_chunks(
        &self,
        chunks: IncidentChunks<'_>,
        meta: &ChangeMeta,
    ) -> StoreResult<(UpsertCounts, i64)> {
        let (counts, id) = self.primary.add_incident_chunks(chunks, meta).await?;
        self.saw(id);
        Ok((counts, id))
    }
    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        self.reader().await.incident(id).await
    }
    async fn incidents_by_id(&self, ids: &[String]) -> StoreResult<Vec<Incident>> {
        self.reader().await.incidents_by_id(ids).await
    }
    async fn incident_timeline(&self, id: &str) -> StoreResult<Vec<IncidentTransition>> {
        self.reader().await.incident_timeline(id).await
    }
    async fn transition_incident(
        &self,
        after: &Incident,
        transition: &IncidentTransition,
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        let id = self
            .primary
            .transition_incident(after, transition, meta)
            .await?;
        self.saw(id);
        Ok(id)
    }
    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<IncidentPage> {
        self.reader().await.list_incidents(filter).await
    }
    async fn incident_counts(
        &self,
        filter: &IncidentFilter,
        by: CountBy,
        now: i64,
    ) -> StoreResult<Vec<IncidentCounts>> {
        self.reader().await.incident_counts(filter, by, now).await
    }
}

#[async_trait]
impl SettingsStore for ReplicatedStore {
    async fn partition_params(&self) -> StoreResult<Option<PartitionParams>> {
        self.primary.partition_params().await
    }
    async fn set_partition_params(
        &self,
        params: &PartitionParams,
        meta: &ChangeMeta,
    ) -> StoreResult<()> {
        self.primary.set_partition_params(params, meta).await?;
        self.saw(self.primary.last_change().await?);
        Ok(())
    }
}

#[async_trait]
impl PlanVersionStore for ReplicatedStore {
    async fn save_plan_version(
        &self,
        version: &NewPlanVersion,
        actor: &str,
    ) -> StoreResult<PlanVersionSummary> {
        self.primary.save_plan_version(version, actor).await
    }
    async fn plan_versions(&self, village: &DivisionCode) -> StoreResult<Vec<PlanVersionSummary>> {
        self.primary.plan_versions(village).await
    }
    async fn plan_version(&self, id: i64) -> StoreResult<Option<PlanVersion>> {
        self.primary.plan_version(id).await
    }
    async fn delete_plan_version(&self, id: i64, actor: &str) -> StoreResult<bool> {
        self.primary.delete_plan_version(id, actor).await
    }
}

/// Photos are read by id right after they are sent: both ways go to the primary.
#[async_trait]
impl crate::PhotoStore for ReplicatedStore {
    async fn put_photo(&self, photo: &crate::Photo) -> StoreResult<bool> {
        self.primary.put_photo(photo).await
    }
    async fn photo(&self, id: &str) -> StoreResult<Option<crate::Photo>> {
        self.primary.photo(id).await
    }
    async fn has_photo(&self, id: &str) -> StoreResult<bool> {
        self.primary.has_photo(id).await
    }
    async fn set_staff_photo(&self, staff: &str, photo_id: Option<&str>) -> StoreResult<()> {
        self.primary.set_staff_photo(staff, photo_id).await
    }
    async fn staff_photo(&self, staff: &str) -> StoreResult<Option<crate::Photo>> {
        self.primary.staff_photo(staff).await
    }
    async fn staff_with_photos(&self) -> StoreResult<std::collections::HashSet<String>> {
        self.primary.staff_with_photos().await
    }
}

/// Visits and check-ins are read right after they are recorded: both ways go to the primary.
#[async_trait]
impl crate::FieldStore for ReplicatedStore {
    async fn add_visit(&self, visit: &crate::Visit) -> StoreResult<bool> {
        self.primary.add_visit(visit).await
    }
    async fn visits_of_household(&self, id: &str) -> StoreResult<Vec<crate::Visit>> {
        self.primary.visits_of_household(id).await
    }
    async fn add_check_in(&self, check_in: &crate::CheckIn) -> StoreResult<bool> {
        self.primary.add_check_in(check_in).await
    }
    async fn check_ins(&self, grid: Option<&str>, since: i64) -> StoreResult<Vec<crate::CheckIn>> {
        self.primary.check_ins(grid, since).await
    }
}

/// Cameras are few and written rarely: both ways go to the primary.
#[async_trait]
impl crate::CameraStore for ReplicatedStore {
    async fn cameras(&self) -> StoreResult<Vec<gridmap_core::Camera>> {
        self.primary.cameras().await
    }
    async fn write_cameras(
        &self,
        write: &crate::CameraWrite,
        meta: &ChangeMeta,
    ) -> StoreResult<crate::CameraWriteSummary> {
        let summary = self.primary.write_cameras(write, meta).await?;
        self.saw(summary.change);
        Ok(summary)
    }
}

/// Tiles are reads: the replica draws them once it has replayed every change seen.
#[async_trait]
impl TileStore for ReplicatedStore {
    fn draws_layer(&self, layer: &str) -> bool {
        self.primary.draws_layer(layer) && self.replica.draws_layer(layer)
    }
    async fn draw_tile(&self, layers: &[&str], tile: &TileRequest) -> StoreResult<Vec<u8>> {
        self.reader().await.draw_tile(layers, tile).await
    }
}

#[async_trait]
impl Maintenance for ReplicatedStore {
    async fn backup(&self, to: &Path) -> StoreResult<()> {
        self.primary.backup(to).await
    }
    async fn close(&self) -> StoreResult<()> {
        let replica = self.replica.close().await;
        self.primary.close().await?;
        replica
    }
}

/// Accounts and the audit log are read from the primary too: a revoked credential or a
/// disabled account must be refused at once, not when the replica catches up.
#[async_trait]
impl AccessStore for ReplicatedStore {
    async fn add_account(&self, account: &NewAccount) -> StoreResult<Account> {
        self.primary.add_account(account).await
    }
    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.primary.accounts().await
    }
    async fn account(&self, login: &str) -> StoreResult<Option<Account>> {
        self.primary.account(login).await
    }
    async fn change_account(&self, login: &str, change: &AccountChange) -> StoreResult<Account> {
        self.primary.change_account(login, change).await
    }
    async fn add_credential(&self, credential: &NewCredential) -> StoreResult<Credential> {
        self.primary.add_credential(credential).await
    }
    async fn credential(&self, id: i64) -> StoreResult<Option<(Credential, Account)>> {
        self.primary.credential(id).await
    }
    async fn credentials(&self, account: i64) -> StoreResult<Vec<Credential>> {
        self.primary.credentials(account).await
    }
    async fn revoke_credential(&self, id: i64) -> StoreResult<bool> {
        self.primary.revoke_credential(id).await
    }
    async fn signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        self.primary.signing_key(candidate).await
    }
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        self.primary.append_audit(entries).await
    }
    async fn audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        self.primary.audit(filter).await
    }
    async fn login_failures(
        &self,
        login: &str,
        origin: &str,
        since: &str,
        limit: usize,
    ) -> StoreResult<crate::LoginFailures> {
        // The primary: a lagging replica would let a guesser try again.
        self.primary
            .login_failures(login, origin, since, limit)
            .await
    }
}
