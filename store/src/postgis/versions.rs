//! Named versions of a village's plan, one row each, the grids in one blob
//! ([`crate::versions::encode_grids`]).

use super::log::append_change;
use super::PostgisStore;
use crate::decode::{invalid, version_summary_from_row, VERSION_SUMMARY_COLUMNS};
use crate::error::{DbStep, StoreResult};
use crate::versions::{decode_grids, encode_grids, name_taken, now_rfc3339, VersionEvent};
use crate::{NewPlanVersion, PlanVersion, PlanVersionStore, PlanVersionSummary};
use async_trait::async_trait;
use gridmap_core::DivisionCode;
use sqlx::Row;

#[async_trait]
impl PlanVersionStore for PostgisStore {
    async fn save_plan_version(
        &self,
        version: &NewPlanVersion,
        actor: &str,
    ) -> StoreResult<PlanVersionSummary> {
        version.check()?;
        let grids = encode_grids(&version.grids)?;
        let mut tx = self
            .begin_write()
            .await
            .step("starting to save a plan version")?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM plan_versions WHERE village = $1 AND name = $2")
                .bind(version.village.as_str())
                .bind(&version.name)
                .fetch_optional(&mut *tx)
                .await
                .step("checking the version name")?;
        if taken.is_some() {
            return Err(name_taken(version));
        }
        let mut summary = version.summary(0, now_rfc3339(), actor);
        let households =
            i64::try_from(summary.households).map_err(|e| invalid("plan version", e))?;
        let grid_count = i64::try_from(summary.grids).map_err(|e| invalid("plan version", e))?;
        summary.id = sqlx::query_scalar(
            "INSERT INTO plan_versions (village, name, created_at, actor, households, grid_count, grids)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(summary.village.as_str())
        .bind(&summary.name)
        .bind(&summary.created_at)
        .bind(&summary.actor)
        .bind(households)
        .bind(grid_count)
        .bind(grids)
        .fetch_one(&mut *tx)
        .await
        .step("saving a plan version")?;
        let (meta, before, after) = summary.log_entry(VersionEvent::Saved, actor);
        append_change(&mut tx, &meta, None, &before, &after).await?;
        tx.commit().await.step("committing a plan version")?;
        Ok(summary)
    }

    async fn plan_versions(&self, village: &DivisionCode) -> StoreResult<Vec<PlanVersionSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_SUMMARY_COLUMNS} FROM plan_versions WHERE village = $1 ORDER BY id DESC"
        ))
        .bind(village.as_str())
        .fetch_all(&self.pool)
        .await
        .step("reading plan versions")?;
        rows.iter().map(version_summary_from_row).collect()
    }

    async fn plan_version(&self, id: i64) -> StoreResult<Option<PlanVersion>> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_SUMMARY_COLUMNS}, grids FROM plan_versions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .step("reading a plan version")?;
        let Some(row) = row else { return Ok(None) };
        let summary = version_summary_from_row(&row)?;
        let grids: &[u8] = row.get(7);
        let grids = decode_grids(grids, &format!("plan version {id}"))?;
        Ok(Some(PlanVersion { summary, grids }))
    }

    async fn delete_plan_version(&self, id: i64, actor: &str) -> StoreResult<bool> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting to delete a plan version")?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM plan_versions WHERE id = $1 RETURNING {VERSION_SUMMARY_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .step("deleting a plan version")?;
        let Some(row) = deleted else {
            return Ok(false);
        };
        let (meta, before, after) =
            version_summary_from_row(&row)?.log_entry(VersionEvent::Deleted, actor);
        append_change(&mut tx, &meta, None, &before, &after).await?;
        tx.commit()
            .await
            .step("committing a plan version's deletion")?;
        Ok(true)
    }
}
