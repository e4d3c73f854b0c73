//! The rows of the field-work tables (photos, visits, patrol check-ins) as both SQL
//! backends read them: the same columns and types in SQLite and PostgreSQL, so one decoder
//! each. The statements stay with each backend (SQLite writes under its write lock,
//! PostgreSQL lets `ON CONFLICT` decide).

use crate::error::StoreResult;
use crate::{CheckIn, Photo, Visit};

/// The columns of `photos` [`photo_from_row`] reads, in order.
pub(crate) const PHOTO_COLUMNS: &str = "id, content_type, bytes, actor, at";

/// The staff members with a photo on them (the same statement on both stores).
pub(crate) const STAFF_WITH_PHOTOS: &str = "SELECT staff FROM staff_photos";

pub(crate) type PhotoRow = (String, String, Vec<u8>, String, i64);

pub(crate) fn photo_from_row((id, content_type, bytes, actor, at): PhotoRow) -> Photo {
    Photo {
        id,
        content_type,
        bytes,
        actor,
        at,
    }
}

/// `visits` as [`visit_from_row`] reads it (`follow_up` as a boolean; the backend names
/// the column list, since SQLite keeps the flag as an integer).
pub(crate) type VisitRow = (String, String, String, i64, Option<String>, bool, String);

pub(crate) fn visit_from_row(
    (id, household, actor, at, note, follow_up, photos): VisitRow,
) -> StoreResult<Visit> {
    let photos = serde_json::from_str(&photos).map_err(|e| crate::StoreError::Value {
        what: format!("visit {id}"),
        reason: e.to_string(),
    })?;
    Ok(Visit {
        id,
        household,
        actor,
        at,
        note,
        follow_up,
        photos,
    })
}

/// The columns of `check_ins` [`check_in_from_row`] reads, in order.
pub(crate) const CHECK_IN_COLUMNS: &str = "id, actor, at, lon, lat, grid, note";

pub(crate) type CheckInRow = (
    String,
    String,
    i64,
    f64,
    f64,
    Option<String>,
    Option<String>,
);

pub(crate) fn check_in_from_row((id, actor, at, lon, lat, grid, note): CheckInRow) -> CheckIn {
    CheckIn {
        id,
        actor,
        at,
        lon,
        lat,
        grid,
        note,
    }
}
