//! Field work from the phone page: photos (`PUT /api/photos/{id}` stores one, the raw JPEG
//! or PNG as the body, `?keep_location=true` keeps its EXIF; `GET` reads it back), household
//! visits (`POST /api/visits`, `GET /api/households/{id}/visits`) and the households of a
//! grid (`GET /api/grids/{code}/households`, "my grid"), and the photo on a staff member's
//! notice board (`PUT`/`GET /api/staff/{id}/photo`). Office roles inside their scope (the
//! service decides).

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gridmap_service::households::GridHousehold;
use gridmap_service::photos::{self, PhotoReceipt, MAX_PHOTO_BYTES};
use gridmap_service::visits::{self, CheckInRequest, VisitRequest};
use gridmap_store::{CheckIn, Visit};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/photos/{id}", put(store).get(read))
        .route(
            "/api/staff/{id}/photo",
            put(put_staff_photo).get(staff_photo),
        )
        // A photo may be larger than the other requests' limit; the service says how much.
        .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 1024))
        .route("/api/visits", post(record_visit))
        .route("/api/households/{id}/visits", get(household_visits))
        .route("/api/grids/{code}/households", get(grid_households))
        .route("/api/check-ins", post(check_in))
        .route("/api/grids/{code}/check-ins", get(grid_check_ins))
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
    // A photo's id is never reused: the browser may keep it.
    Ok(image_response(photo, "private, max-age=86400"))
}

/// A photo as an answer, private to the browser that asked (it may show people).
fn image_response(photo: gridmap_store::Photo, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        photo.bytes,
    )
        .into_response()
}

/// Puts a photo on a staff member for the notice boards, replacing an earlier one (planners
/// and administrators whose scope covers the person's grids; audited).
#[utoipa::path(put, path = "/api/staff/{id}/photo", params(("id" = String, Path, description = "staff id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "a JPEG or PNG, at most 5 MB; its metadata is removed"),
    responses((status = 200, body = PhotoReceipt), (status = 400, description = "not a JPEG or PNG, or too large"),
        (status = 401, description = "not signed in"), (status = 403, description = "not a planner or admin of the person's grids"),
        (status = 404, description = "no such staff member")))]
pub(super) async fn put_staff_photo(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<PhotoReceipt>, ApiError> {
    let service = state.service();
    let data = service.data();
    let store = service.store();
    let receipt =
        photos::set_staff_photo(store.as_ref(), data.snapshot(), &caller, &id, &body).await?;
    Ok(Json(receipt))
}

/// The photo on a staff member (office roles).
#[utoipa::path(get, path = "/api/staff/{id}/photo", params(("id" = String, Path, description = "staff id")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, description = "not signed in"),
        (status = 403, description = "a role that reads no personal data"), (status = 404, description = "no photo")))]
pub(super) async fn staff_photo(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let service = state.service();
    let store = service.store();
    let photo = photos::staff_photo(store.as_ref(), &caller, &id).await?;
    // A person's photo can be replaced: asked again each time.
    Ok(image_response(photo, "private, no-cache"))
}

/// Records a household visit once under the phone's id: 201 when new, 200 when it was
/// recorded before.
#[utoipa::path(post, path = "/api/visits", request_body = VisitRequest,
    responses((status = 201, description = "the visit as stored", content_type = "application/json"),
        (status = 200, description = "recorded before (sent again)", content_type = "application/json"),
        (status = 400, description = "bad id, note or time, a photo not sent, or another visit under the id"), (status = 401, description = "not signed in"),
        (status = 403, description = "the household is outside the caller's scope"), (status = 404, description = "no such household")))]
pub(super) async fn record_visit(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Json(body): Json<VisitRequest>,
) -> Result<(StatusCode, Json<Visit>), ApiError> {
    let service = state.service();
    let data = service.data();
    let store = service.store();
    let (visit, new) =
        visits::record_visit(store.as_ref(), data.snapshot(), &caller, &body).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(visit)))
}

/// A household's visits, newest first (audited).
#[utoipa::path(get, path = "/api/households/{id}/visits", params(("id" = String, Path, description = "register id, URL-encoded")),
    responses((status = 200, description = "`[{id, household, actor, at, note, follow_up, photos}]`", content_type = "application/json"),
        (status = 401, description = "not signed in"), (status = 403, description = "outside the caller's scope"), (status = 404, description = "no such household")))]
pub(super) async fn household_visits(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Visit>>, ApiError> {
    let service = state.service();
    let data = service.data();
    let store = service.store();
    Ok(Json(
        visits::visits_of_household(store.as_ref(), data.snapshot(), &caller, &id).await?,
    ))
}

/// The households of a grid, building by building (staff of the grid; audited).
#[utoipa::path(get, path = "/api/grids/{code}/households", params(("code" = String, Path, description = "grid code")),
    responses((status = 200, body = Vec<GridHousehold>), (status = 401, description = "not signed in"),
        (status = 403, description = "outside the caller's scope"), (status = 404, description = "no such grid")))]
pub(super) async fn grid_households(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<GridHousehold>>, ApiError> {
    let code = gridmap_service::lookup::parse_grid_code(&code)?;
    let service = state.service();
    Ok(Json(service.grid_households(&caller, &code).await?))
}

/// Records a patrol check-in once under the phone's id: 201 when new, 200 when recorded
/// before.
#[utoipa::path(post, path = "/api/check-ins", request_body = CheckInRequest,
    responses((status = 201, description = "the check-in as stored (with the grid at the place)", content_type = "application/json"),
        (status = 200, description = "recorded before (sent again)", content_type = "application/json"),
        (status = 400, description = "bad id, place or note"), (status = 401, description = "not signed in"), (status = 403, description = "the place is outside the caller's scope")))]
pub(super) async fn check_in(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Json(body): Json<CheckInRequest>,
) -> Result<(StatusCode, Json<CheckIn>), ApiError> {
    let service = state.service();
    let data = service.data();
    let store = service.store();
    let (check_in, new) = visits::check_in(store.as_ref(), data.snapshot(), &caller, &body).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(check_in)))
}

#[derive(Debug, Deserialize)]
pub(super) struct SinceQuery {
    /// Unix seconds (default: the last 30 days).
    since: Option<i64>,
}

/// A grid's patrol check-ins, newest first.
#[utoipa::path(get, path = "/api/grids/{code}/check-ins", params(("code" = String, Path, description = "grid code"), ("since" = Option<i64>, Query, description = "unix seconds (default: 30 days ago)")),
    responses((status = 200, description = "`[{id, actor, at, lon, lat, grid, note}]`", content_type = "application/json"),
        (status = 401, description = "not signed in"), (status = 403, description = "outside the caller's scope")))]
pub(super) async fn grid_check_ins(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<SinceQuery>,
) -> Result<Json<Vec<CheckIn>>, ApiError> {
    let code = gridmap_service::lookup::parse_grid_code(&code)?;
    let since = q
        .since
        .unwrap_or_else(|| gridmap_service::incidents::now() - 30 * 86_400);
    let service = state.service();
    let store = service.store();
    Ok(Json(
        visits::check_ins(store.as_ref(), &caller, &code, since).await?,
    ))
}
