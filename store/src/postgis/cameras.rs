//! Cameras: one row each, the position a PostGIS point.

use super::log::append_change;
use super::PostgisStore;
use crate::cameras::{camera_from_row, plan, CameraRow};
use crate::error::{DbStep, StoreResult};
use crate::{CameraStore, CameraWrite, CameraWriteSummary, ChangeMeta};
use async_trait::async_trait;
use gridmap_core::Camera;

const SELECT: &str = "SELECT id, name, ST_X(geom), ST_Y(geom), direction, fov, range_m, status
     FROM cameras ORDER BY id";

#[async_trait]
impl CameraStore for PostgisStore {
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
        // The write lock makes this the only writer, so the plan worked out from what
        // is stored still holds at commit.
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
        sqlx::query("DELETE FROM cameras WHERE id = ANY($1)")
            .bind(&plan.delete)
            .execute(&mut *tx)
            .await
            .step("removing cameras")?;
        for c in &plan.put {
            sqlx::query(
                "INSERT INTO cameras (id, name, geom, direction, fov, range_m, status)
                 VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, $8)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,
                   direction = EXCLUDED.direction, fov = EXCLUDED.fov,
                   range_m = EXCLUDED.range_m, status = EXCLUDED.status",
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
        Ok(summary)
    }
}
