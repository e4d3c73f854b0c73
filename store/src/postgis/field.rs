//! Field work from the phone: photos (one row each, the bytes as bytea) and household visits.

use super::PostgisStore;
use crate::error::{DbStep, StoreResult};
use crate::field_sql::{
    check_in_from_row, photo_from_row, visit_from_row, CheckInRow, PhotoRow, VisitRow,
    CHECK_IN_COLUMNS, PHOTO_COLUMNS, STAFF_WITH_PHOTOS,
};
use crate::{same_check_in, same_photo, same_visit, CheckIn, FieldStore, Photo, PhotoStore, Visit};
use async_trait::async_trait;

#[async_trait]
impl PhotoStore for PostgisStore {
    async fn put_photo(&self, photo: &Photo) -> StoreResult<bool> {
        // No write lock: the insert either takes the id or finds it taken.
        let inserted: Option<(String,)> = sqlx::query_as(
            "INSERT INTO photos (id, content_type, bytes, actor, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .bind(&photo.id)
        .bind(&photo.content_type)
        .bind(&photo.bytes)
        .bind(&photo.actor)
        .bind(photo.at)
        .fetch_optional(&self.pool)
        .await
        .step("storing a photo")?;
        if inserted.is_some() {
            return Ok(true);
        }
        match self.photo(&photo.id).await? {
            Some(stored) => same_photo(&stored, photo),
            None => Ok(false),
        }
    }

    async fn photo(&self, id: &str) -> StoreResult<Option<Photo>> {
        let row: Option<PhotoRow> =
            sqlx::query_as(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .step("reading a photo")?;
        Ok(row.map(photo_from_row))
    }

    async fn has_photo(&self, id: &str) -> StoreResult<bool> {
        let found: Option<(String,)> = sqlx::query_as("SELECT id FROM photos WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .step("looking for a photo")?;
        Ok(found.is_some())
    }

    async fn set_staff_photo(&self, staff: &str, photo_id: Option<&str>) -> StoreResult<()> {
        match photo_id {
            Some(id) => sqlx::query(
                "INSERT INTO staff_photos (staff, photo) VALUES ($1, $2)
                 ON CONFLICT (staff) DO UPDATE SET photo = excluded.photo",
            )
            .bind(staff)
            .bind(id),
            None => sqlx::query("DELETE FROM staff_photos WHERE staff = $1").bind(staff),
        }
        .execute(&self.pool)
        .await
        .step("setting a staff photo")?;
        Ok(())
    }

    async fn staff_photo(&self, staff: &str) -> StoreResult<Option<Photo>> {
        let row: Option<PhotoRow> = sqlx::query_as(
            "SELECT p.id, p.content_type, p.bytes, p.actor, p.at
             FROM staff_photos s JOIN photos p ON p.id = s.photo WHERE s.staff = $1",
        )
        .bind(staff)
        .fetch_optional(&self.pool)
        .await
        .step("reading a staff photo")?;
        Ok(row.map(photo_from_row))
    }

    async fn staff_with_photos(&self) -> StoreResult<std::collections::HashSet<String>> {
        let staff: Vec<String> = sqlx::query_scalar(STAFF_WITH_PHOTOS)
            .fetch_all(&self.pool)
            .await
            .step("listing the staff with a photo")?;
        Ok(staff.into_iter().collect())
    }
}

const VISIT_COLUMNS: &str = "id, household, actor, at, note, follow_up, photos";

#[async_trait]
impl FieldStore for PostgisStore {
    async fn add_visit(&self, visit: &Visit) -> StoreResult<bool> {
        let photos = serde_json::to_string(&visit.photos).unwrap_or_else(|_| "[]".into());
        let inserted = sqlx::query(
            "INSERT INTO visits (id, household, actor, at, note, follow_up, photos)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&visit.id)
        .bind(&visit.household)
        .bind(&visit.actor)
        .bind(visit.at)
        .bind(&visit.note)
        .bind(visit.follow_up)
        .bind(&photos)
        .execute(&self.pool)
        .await
        .step("storing a visit")?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        let stored: Option<VisitRow> =
            sqlx::query_as(&format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"))
                .bind(&visit.id)
                .fetch_optional(&self.pool)
                .await
                .step("reading a stored visit")?;
        match stored {
            Some(row) => same_visit(&visit_from_row(row)?, visit),
            None => Ok(false),
        }
    }

    async fn visits_of_household(&self, id: &str) -> StoreResult<Vec<Visit>> {
        let rows: Vec<VisitRow> = sqlx::query_as(&format!(
            "SELECT {VISIT_COLUMNS} FROM visits WHERE household = $1 ORDER BY at DESC, id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .step("reading visits")?;
        rows.into_iter().map(visit_from_row).collect()
    }

    async fn add_check_in(&self, c: &CheckIn) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO check_ins (id, actor, at, lon, lat, grid, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&c.id)
        .bind(&c.actor)
        .bind(c.at)
        .bind(c.lon)
        .bind(c.lat)
        .bind(&c.grid)
        .bind(&c.note)
        .execute(&self.pool)
        .await
        .step("storing a check-in")?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        let stored: Option<CheckInRow> = sqlx::query_as(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins WHERE id = $1"
        ))
        .bind(&c.id)
        .fetch_optional(&self.pool)
        .await
        .step("reading a stored check-in")?;
        match stored {
            Some(row) => same_check_in(&check_in_from_row(row), c),
            None => Ok(false),
        }
    }

    async fn check_ins(&self, grid: Option<&str>, since: i64) -> StoreResult<Vec<CheckIn>> {
        let rows: Vec<CheckInRow> = sqlx::query_as(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM check_ins
             WHERE ($1 IS NULL OR grid = $1) AND at >= $2 ORDER BY at DESC, id"
        ))
        .bind(grid)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .step("reading check-ins")?;
        Ok(rows.into_iter().map(check_in_from_row).collect())
    }
}
