//! The JSON API behind the web map: point lookup, buildings, grids, staff, search,
//! labels, grid edits and undo. Each handler parses the request, calls one use case of
//! the service with the request's caller, and renders the answer as JSON.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gridmap_service::plan::UndoOutcome;
use gridmap_service::views::{BuildingDetail, GridDetail, LookupView, SearchResults, StaffDetail};
use gridmap_service::GridEditRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lookup", get(lookup))
        .route("/api/buildings/{id}", get(building))
        .route("/api/grids/{code}", get(grid).patch(edit_grid))
        .route("/api/households/{id}/tags", put(household_tags))
        .route("/api/staff/{id}", get(staff))
        .route("/api/search", get(search))
        .route("/api/labels", get(labels))
        .route("/api/changes", get(history))
        // The planner issue's name for the same list.
        .route("/api/history", get(history))
        .route("/api/changes/{id}/undo", post(undo))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupQuery {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Grid code, staff name, village name, address or building id.
    pub q: String,
    /// At most this many results (default 10, at most 50).
    pub limit: Option<usize>,
}

/// What lies at a point: building, grid(s), village, township.
#[utoipa::path(get, path = "/api/lookup", params(LookupQuery),
    responses((status = 200, body = LookupView), (status = 400, description = "bad coordinates"), (status = 404, description = "outside every village and grid")))]
pub(super) async fn lookup(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<LookupQuery>,
) -> Result<Json<LookupView>, ApiError> {
    Ok(Json(state.service().lookup(&caller, q.lon, q.lat).await?))
}

/// One building with its households, grids, village and township.
#[utoipa::path(get, path = "/api/buildings/{id}", params(("id" = String, Path, description = "building source id, URL-encoded")),
    responses((status = 200, body = BuildingDetail), (status = 404, description = "no such building")))]
pub(super) async fn building(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Json<BuildingDetail>, ApiError> {
    Ok(Json(state.service().building(&caller, &id).await?))
}

/// A household's new situation tags and the ones the editor saw.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HouseholdTagsBody {
    /// The tags as the editor saw them (the household's `tags`, `[]` when it had none):
    /// different stored tags are a conflict (409).
    pub expected: Vec<String>,
    /// The new tags, e.g. `["低保", "独居老人"]` (trimmed; repeats and empty ones dropped).
    pub tags: Vec<String>,
}

/// Corrects one household's situation tags (staff, planners and administrators who see
/// its personal data); logged in the change log (without the tags) and audited.
#[utoipa::path(put, path = "/api/households/{id}/tags", params(("id" = String, Path, description = "register id, URL-encoded")),
    request_body = HouseholdTagsBody,
    responses((status = 200, body = gridmap_service::households::EditedTags), (status = 400, description = "too many or too long tags"),
        (status = 401, description = "not signed in"), (status = 403, description = "outside the caller's scope, or a role that reads no personal data"),
        (status = 404, description = "no such household"), (status = 409, description = "the tags changed since the editor saw them")))]
pub(super) async fn household_tags(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
    Json(body): Json<HouseholdTagsBody>,
) -> Result<Json<gridmap_service::households::EditedTags>, ApiError> {
    let service = state.service();
    let edited = service
        .edit_household_tags(&caller, &id, &body.expected, &body.tags)
        .await?;
    Ok(Json(edited))
}

/// One grid with its staff, village and township; its `version` is also the answer's
/// ETag, which a PATCH sends back as `If-Match`.
#[utoipa::path(get, path = "/api/grids/{code}", params(("code" = String, Path, description = "grid code, e.g. 411622101201-007")),
    responses((status = 200, body = GridDetail, headers(("ETag" = String, description = "the grid's version, quoted: \"3\""))),
        (status = 400, description = "malformed code"), (status = 404, description = "no such grid")))]
pub(super) async fn grid(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let detail = state.service().grid(&caller, &code)?;
    Ok(([(header::ETAG, etag(detail.grid.version))], Json(detail)))
}

/// A grid version as a strong entity tag: `"3"`.
fn etag(version: u32) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header names (a strong tag as [`etag`] writes it), and
/// the body's `version`: either will do, both must agree.
fn seen_version(headers: &HeaderMap, body: Option<u32>) -> Result<Option<u32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(body);
    };
    let tag = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix('"')?.strip_suffix('"')?.parse::<u32>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "If-Match must be the grid's ETag, a version in quotes such as \"3\" (got {value:?})"
            ))
        })?;
    match body {
        Some(v) if v != tag => Err(ApiError::bad_request(format!(
            "If-Match names version {tag} but the body's version is {v}: send one version"
        ))),
        _ => Ok(Some(tag)),
    }
}

/// Changes to a grid's attributes. Omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GridEditBody {
    pub locked: Option<bool>,
    /// Staff id; `null` removes the staff member.
    #[serde(default, deserialize_with = "deserialize_some")]
    pub staff: Option<Option<String>>,
    /// The grid's name (at most 40 characters); `null` or `""` removes it.
    #[serde(default, deserialize_with = "deserialize_some")]
    pub name: Option<Option<String>>,
    /// The version the editor saw (409 when the grid changed since). Required, here or
    /// as `If-Match: "<version>"` (428 without either).
    pub version: Option<u32>,
}

fn deserialize_some<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A grid after an edit, with the change that made it (what undo takes); no `change`
/// when the edit asked for what the grid already was (nothing written, same version).
#[derive(Debug, Serialize, ToSchema)]
pub struct GridEditResult {
    #[serde(flatten)]
    pub grid: GridDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
}

/// Locks/unlocks, renames a grid or changes its staff (staff only), from the version the editor
/// saw: `If-Match: "<version>"` (the ETag of `GET /api/grids/{code}`) or `version` in the
/// body. Tiles show the change at once; the answer's ETag is the new version.
#[utoipa::path(patch, path = "/api/grids/{code}", request_body = GridEditBody,
    params(("code" = String, Path, description = "grid code"), ("If-Match" = Option<String>, Header, description = "the grid's ETag, e.g. \"3\" (or send `version` in the body)")),
    responses((status = 200, body = GridEditResult, headers(("ETag" = String, description = "the grid's new version, quoted"))), (status = 400, description = "a malformed If-Match, or one that disagrees with the body's version"),
        (status = 401, description = "no staff token"), (status = 404, description = "no such grid or staff"), (status = 409, description = "the grid changed since that version"),
        (status = 428, description = "no version sent: neither If-Match nor `version`")))]
pub(super) async fn edit_grid(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(body): Json<GridEditBody>,
) -> Result<impl IntoResponse, ApiError> {
    let edit = GridEditRequest {
        locked: body.locked,
        staff: body.staff,
        name: body.name,
        version: seen_version(&headers, body.version)?,
    };
    let (grid, change) = state.service().edit_grid(&caller, &code, &edit).await?;
    let tag = etag(grid.grid.version);
    Ok(([(header::ETAG, tag)], Json(GridEditResult { grid, change })))
}

/// Undoes one change of the change log (staff only). When it was a grid write inside
/// one village, the answer also holds that village's plan after the undo and the rules
/// the undo broke and mended (`plan`, `caused`, `fixed`, as an edit answers).
#[utoipa::path(post, path = "/api/changes/{id}/undo", params(("id" = i64, Path, description = "change id")),
    responses((status = 200, body = UndoOutcome), (status = 400, description = "the change holds nothing to restore (a plan version saved or deleted, an incident import)"),
        (status = 401, description = "no staff token"), (status = 404, description = "no such change"), (status = 409, description = "a later change touched the same grids")))]
pub(super) async fn undo(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<i64>,
) -> Result<Json<UndoOutcome>, ApiError> {
    Ok(Json(state.service().undo(&caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// At most this many changes, newest first (default 50, at most 500).
    pub limit: Option<usize>,
}

/// The newest changes of the change log: id, time, actor, operation, area (staff only).
#[utoipa::path(get, path = "/api/changes", params(HistoryQuery),
    responses((status = 200, description = "changes, newest first: id, at (unix seconds), actor, operation, bbox"), (status = 401, description = "no staff token")))]
pub(super) async fn history(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let changes = state
        .service()
        .history(&caller, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(serde_json::json!({ "changes": changes })))
}

/// One staff member with the grids they serve.
#[utoipa::path(get, path = "/api/staff/{id}", params(("id" = String, Path, description = "staff id")),
    responses((status = 200, body = StaffDetail), (status = 404, description = "no such staff member")))]
pub(super) async fn staff(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Json<StaffDetail>, ApiError> {
    Ok(Json(state.service().staff_member(&caller, &id)?))
}

/// Finds grids (code prefix), staff (name), villages (name), buildings (id) and addresses.
#[utoipa::path(get, path = "/api/search", params(SearchQuery), responses((status = 200, body = SearchResults), (status = 400, description = "empty query")))]
pub(super) async fn search(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    Ok(Json(state.service().search(&caller, &q.q, q.limit)?))
}

/// One label point per township and village (pole of inaccessibility of its boundary),
/// as GeoJSON, so the map names each unit once instead of once per tile.
#[utoipa::path(get, path = "/api/labels", responses((status = 200, description = "GeoJSON FeatureCollection of points with code, name, level")))]
pub(super) async fn labels(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.service().data().labels.clone())
}
