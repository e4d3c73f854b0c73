//! The change log (append-only: triggers refuse updates and deletes) and settings.

use super::SqliteStore;
use crate::change::{Change, ChangeMark, ChangeMeta, ChangeRecords, ChangeSummary};
use crate::decode::{
    change_from_row, change_mark_from_row, change_summary_from_row, to_json, CHANGE_COLUMNS,
    CHANGE_MARK_COLUMNS, CHANGE_SUMMARY_COLUMNS,
};
use crate::error::{DbStep, StoreError, StoreResult};
use crate::{ChangeLog, SettingsStore};
use async_trait::async_trait;
use gridmap_core::partition::PartitionParams;
use sqlx::{Sqlite, Transaction};

const PARTITION_PARAMS: &str = "partition_params";

/// Appends one change inside the writer's transaction, so the change and the write
/// commit together or not at all. Returns its id.
pub(super) async fn append_change(
    tx: &mut Transaction<'_, Sqlite>,
    meta: &ChangeMeta,
    bbox: Option<[f64; 4]>,
    before: &ChangeRecords,
    after: &ChangeRecords,
) -> StoreResult<i64> {
    let [a, b, c, d] = bbox.map(|b| b.map(Some)).unwrap_or([None; 4]);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO changes (at, actor, operation, min_lon, min_lat, max_lon, max_lat, before, after)
         VALUES (strftime('%s','now'), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    )
    .bind(&meta.actor)
    .bind(&meta.operation)
    .bind(a)
    .bind(b)
    .bind(c)
    .bind(d)
    .bind(to_json(before, "the change's before-state")?)
    .bind(to_json(after, "the change's after-state")?)
    .fetch_one(&mut **tx)
    .await
    .step("recording the change")?;
    if let Some(e) = meta.audit_entry(id) {
        crate::access_sql::insert_audit(&e)
            .execute(&mut **tx)
            .await
            .step("writing the change's audit entry")?;
    }
    Ok(id)
}

#[async_trait]
impl ChangeLog for SqliteStore {
    async fn last_change(&self) -> StoreResult<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM changes")
            .fetch_one(&self.pool)
            .await
            .step("reading the last change")?;
        Ok(id.unwrap_or(0))
    }

    async fn changes_since(&self, after: i64) -> StoreResult<Vec<ChangeMark>> {
        let rows = sqlx::query(&format!(
            "SELECT {CHANGE_MARK_COLUMNS} FROM changes WHERE id > ?1 ORDER BY id"
        ))
        .bind(after)
        .fetch_all(&self.pool)
        .await
        .step("reading changes")?;
        Ok(rows.iter().map(change_mark_from_row).collect())
    }

    async fn recent_changes(&self, limit: usize) -> StoreResult<Vec<ChangeSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {CHANGE_SUMMARY_COLUMNS} FROM changes ORDER BY id DESC LIMIT ?1"
        ))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .step("reading recent changes")?;
        Ok(rows.iter().map(change_summary_from_row).collect())
    }

    async fn change(&self, id: i64) -> StoreResult<Option<Change>> {
        let row = sqlx::query(&format!(
            "SELECT {CHANGE_COLUMNS} FROM changes WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .step("reading a change")?;
        row.as_ref().map(change_from_row).transpose()
    }
}

/// The stored partition parameters, read inside a writer's transaction.
pub(super) async fn params_in(
    tx: &mut Transaction<'_, Sqlite>,
) -> StoreResult<Option<PartitionParams>> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
        .bind(PARTITION_PARAMS)
        .fetch_optional(&mut **tx)
        .await
        .step("reading the partition parameters")?;
    value
        .map(|v| {
            serde_json::from_str(&v).map_err(|e| StoreError::Value {
                what: "stored partition parameters".into(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Stores the partition parameters inside a writer's transaction.
pub(super) async fn store_params_in(
    tx: &mut Transaction<'_, Sqlite>,
    params: &PartitionParams,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(PARTITION_PARAMS)
    .bind(to_json(params, "partition parameters")?)
    .execute(&mut **tx)
    .await
    .step("storing the partition parameters")?;
    Ok(())
}

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn partition_params(&self) -> StoreResult<Option<PartitionParams>> {
        let mut tx = self
            .pool
            .begin()
            .await
            .step("reading the partition parameters")?;
        params_in(&mut tx).await
    }

    async fn set_partition_params(
        &self,
        params: &PartitionParams,
        meta: &ChangeMeta,
    ) -> StoreResult<()> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting the settings update")?;
        let before = params_in(&mut tx).await?;
        if before.as_ref() == Some(params) {
            return Ok(());
        }
        store_params_in(&mut tx, params).await?;
        let records = |p: Option<&PartitionParams>| ChangeRecords {
            partition_params: p.cloned(),
            ..ChangeRecords::default()
        };
        append_change(
            &mut tx,
            meta,
            None,
            &records(before.as_ref()),
            &records(Some(params)),
        )
        .await?;
        tx.commit().await.step("committing the settings")?;
        self.checkpoint().await
    }
}
