//! Photos from the phone page: `PUT /api/photos/{id}` stores one (the raw JPEG or PNG as
//! the body; `?keep_location=true` keeps its EXIF), `GET /api/photos/{id}` reads it back.
//! Office roles only (the service decides).

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Json, Router};
use gridmap_service::photos::{self, PhotoReceipt, MAX_PHOTO_BYTES};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/photos/{id}", put(store).get(read))
        // A photo may be larger than the other requests' limit; the service says how much.
        .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 1024))
}

#[derive(Debug, Deserialize)]
pub(super) struct PutQuery {
    keep_location: Option<bool>,
}

/// Stores a photo once under the device's id: 201 when new, 200 when it was stored.
#[utoipa::path(put, path = "/api/photos/{id}",
    params(("id" = String, Path, description = "the device's id for the photo (a UUID)"),
        ("keep_location" = Option<bool>, Query, description = "keep the EXIF/XMP metadata (with the GPS position); stripped by default")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "a JPEG or PNG, at most 5 MB"),
    responses((status = 201, body = PhotoReceipt), (status = 200, body = PhotoReceipt, description = "already stored"),
        (status = 400, description = "not a JPEG or PNG, too large, a bad id, or another photo under the id"), (status = 401, description = "not signed in")))]
pub(super) async fn store(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
    Query(q): Query<PutQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PhotoReceipt>), ApiError> {
    let service = state.service();
    let store = service.store();
    let keep = q.keep_location.unwrap_or(false);
    let receipt = photos::put_photo(store.as_ref(), &caller, &id, &body, keep).await?;
    let status = if receipt.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(receipt)))
}

/// A stored photo (audited).
#[utoipa::path(get, path = "/api/photos/{id}", params(("id" = String, Path, description = "the photo's id")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, description = "not signed in"),
        (status = 403, description = "a role that reads no personal data"), (status = 404, description = "no such photo")))]
pub(super) async fn read(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let service = state.service();
    let store = service.store();
    let photo = photos::photo(store.as_ref(), &caller, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
        ],
        photo.bytes,
    )
        .into_response())
}
