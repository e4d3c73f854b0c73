//! Photos: one row each, the bytes as a BLOB.

use super::SqliteStore;
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
impl PhotoStore for SqliteStore {
    async fn put_photo(&self, photo: &Photo) -> StoreResult<bool> {
        let mut tx = self.begin_write().await.step("starting to store a photo")?;
        let stored: Option<PhotoRow> =
            sqlx::query_as("SELECT id, content_type, bytes, actor, at FROM photos WHERE id = ?1")
                .bind(&photo.id)
                .fetch_optional(&mut *tx)
                .await
                .step("reading a stored photo")?;
        if let Some(stored) = stored {
            return same_photo(&photo_from_row(stored), photo);
        }
        sqlx::query(
            "INSERT INTO photos (id, content_type, bytes, actor, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&photo.id)
        .bind(&photo.content_type)
        .bind(&photo.bytes)
        .bind(&photo.actor)
        .bind(photo.at)
        .execute(&mut *tx)
        .await
        .step("storing a photo")?;
        tx.commit().await.step("committing a photo")?;
        self.checkpoint_in_background();
        Ok(true)
    }

    async fn photo(&self, id: &str) -> StoreResult<Option<Photo>> {
        let row: Option<PhotoRow> =
            sqlx::query_as("SELECT id, content_type, bytes, actor, at FROM photos WHERE id = ?1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .step("reading a photo")?;
        Ok(row.map(photo_from_row))
    }
}
