//! Photos: one row each, the bytes as bytea.

use super::PostgisStore;
use crate::error::{DbStep, StoreResult};
use crate::{same_photo, Photo, PhotoStore};
use async_trait::async_trait;

type PhotoRow = (String, String, Vec<u8>, String, i64);

fn photo_from_row((id, content_type, bytes, actor, at): PhotoRow) -> Photo {
    Photo {
        id,
        content_type,
        bytes,
        actor,
        at,
    }
}

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
            sqlx::query_as("SELECT id, content_type, bytes, actor, at FROM photos WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .step("reading a photo")?;
        Ok(row.map(photo_from_row))
    }
}
