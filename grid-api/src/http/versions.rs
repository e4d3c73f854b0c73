//! Named versions of a village's plan: save, list, compare, restore, delete (staff only).
//! A version's grids download through `GET /api/villages/{code}/export?version=ID`.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use gridmap_service::plan::EditOutcome;
use gridmap_service::versions::{PlanComparison, PlanSide, VersionView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/villages/{code}/versions", get(list).post(save))
        .route("/api/villages/{code}/versions/compare", get(compare))
        .route("/api/villages/{code}/versions/{id}", delete(remove))
        .route("/api/villages/{code}/versions/{id}/restore", post(restore))
}

/// The saved versions of a village's plan, newest first.
#[utoipa::path(get, path = "/api/villages/{code}/versions", params(("code" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = Vec<VersionView>), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn list(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<VersionView>>, ApiError> {
    Ok(Json(state.service().versions(&caller, &code).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveVersion {
    /// A name unique in the village, e.g. "before the 2027 re-zoning".
    pub name: String,
}

/// Saves the village's plan as it is under a name.
#[utoipa::path(post, path = "/api/villages/{code}/versions", request_body = SaveVersion,
    params(("code" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = VersionView), (status = 400, description = "an empty or too long name"), (status = 401, description = "no staff token"),
        (status = 404, description = "no such village"), (status = 409, description = "the village already has a version of that name")))]
pub(super) async fn save(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Json(body): Json<SaveVersion>,
) -> Result<Json<VersionView>, ApiError> {
    Ok(Json(
        state
            .service()
            .save_version(&caller, &code, &body.name)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// A version id, or `current` (the default).
    pub from: Option<String>,
    /// A version id, or `current` (the default).
    pub to: Option<String>,
}

/// What differs between two plans of the village (versions or the plan as it is): grids
/// added, removed and changed, households moved, and the differing grids as GeoJSON.
#[utoipa::path(get, path = "/api/villages/{code}/versions/compare",
    params(("code" = String, Path, description = "12-digit village code"), CompareQuery),
    responses((status = 200, body = PlanComparison), (status = 400, description = "neither a version id nor `current`"), (status = 401, description = "no staff token"),
        (status = 404, description = "no such village or version")))]
pub(super) async fn compare(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<PlanComparison>, ApiError> {
    let side = |s: Option<String>| s.as_deref().unwrap_or("current").parse::<PlanSide>();
    let (from, to) = (side(q.from)?, side(q.to)?);
    Ok(Json(
        state
            .service()
            .compare_versions(&caller, &code, from, to)
            .await?,
    ))
}

/// Brings a saved version back as the village's plan: one edit, checked, logged and
/// undoable like any other.
#[utoipa::path(post, path = "/api/villages/{code}/versions/{id}/restore",
    params(("code" = String, Path, description = "12-digit village code"), ("id" = i64, Path, description = "version id")),
    responses((status = 200, body = EditOutcome), (status = 400, description = "the version breaks a hard rule with today's buildings"), (status = 401, description = "no staff token"),
        (status = 404, description = "no such village or version"), (status = 409, description = "someone edited the village meanwhile")))]
pub(super) async fn restore(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Json<EditOutcome>, ApiError> {
    Ok(Json(
        state.service().restore_version(&caller, &code, id).await?,
    ))
}

/// Deletes a saved version.
#[utoipa::path(delete, path = "/api/villages/{code}/versions/{id}",
    params(("code" = String, Path, description = "12-digit village code"), ("id" = i64, Path, description = "version id")),
    responses((status = 204, description = "deleted"), (status = 401, description = "no staff token"), (status = 404, description = "no such village or version")))]
pub(super) async fn remove(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path((code, id)): Path<(String, i64)>,
) -> Result<axum::http::StatusCode, ApiError> {
    state.service().delete_version(&caller, &code, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
