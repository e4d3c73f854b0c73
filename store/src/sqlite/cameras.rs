//! Cameras: one row each, the position as two numbers (they are only read whole).

use super::log::append_change;
use super::SqliteStore;
use crate::cameras::{camera_from_row, plan, CameraRow};
use crate::error::{DbStep, StoreResult};
use crate::{CameraStore, CameraWrite, CameraWriteSummary, ChangeMeta};
use async_trait::async_trait;
use gridmap_core::Camera;

const SELECT: &str =
    "SELECT id, name, lon, lat, direction, fov, range_m, status FROM cameras ORDER BY id";

#[async_trait]
impl CameraStore for SqliteStore {
    async fn cameras(&self) -> StoreResult<Vec<Camera>> {
        let rows: Vec<CameraRow> = sqlx::query_as(SELECT)
            .fetch_all(&self.pool)
            .await
            .step("reading cameras")?;
        rows.into_iter().map(camera_from_row).collect()
    }

    async fn write_cameras(
        &self,
        write: &CameraWrite,
        meta: &ChangeMeta,
    ) -> StoreResult<CameraWriteSummary> {
        let mut tx = self.begin_write().await.step("starting to write cameras")?;
        let rows: Vec<CameraRow> = sqlx::query_as(SELECT)
            .fetch_all(&mut *tx)
            .await
            .step("reading the stored cameras")?;
        let stored = rows
            .into_iter()
            .map(camera_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let plan = plan(stored, write)?;
        let mut summary = plan.summary;
        if plan.is_empty() {
            return Ok(summary);
        }
        for id in &plan.delete {
            sqlx::query("DELETE FROM cameras WHERE id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .step("removing a camera")?;
        }
        for c in &plan.put {
            sqlx::query(
                "INSERT OR REPLACE INTO cameras (id, name, lon, lat, direction, fov, range_m, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.position.x())
            .bind(c.position.y())
            .bind(c.direction)
            .bind(c.fov)
            .bind(c.range)
            .bind(c.status.as_str())
            .execute(&mut *tx)
            .await
            .step("writing a camera")?;
        }
        summary.change = append_change(&mut tx, meta, plan.bbox, &plan.before, &plan.after).await?;
        tx.commit().await.step("committing cameras")?;
        self.checkpoint_in_background();
        Ok(summary)
    }
}
