//! The planner's API: a village's plan with the rules it breaks, and edits of its grids
//! (move buildings, new grid, merge, delete, split, lock the village). Staff only.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use gridmap_service::plan::{EditOutcome, EditRequest, PlanIssue, VillagePlan};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/villages/{code}/plan", get(plan))
        .route("/api/villages/{code}/edits", post(edit))
        .route("/api/violations", get(violations))
}

/// A village's grids (sizes, locks, staff, versions), its summary and the rules it
/// breaks (staff only).
#[utoipa::path(get, path = "/api/villages/{code}/plan", params(("code" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = VillagePlan), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn plan(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
) -> Result<Json<VillagePlan>, ApiError> {
    Ok(Json(state.service().village_plan(&caller, &code)?))
}

/// Edits a village's grids as one change (undo takes its id); answers with the rules the
/// edit broke and mended and the village after it. `versions` names the grid versions
/// the planner saw: a grid changed since makes the edit a 409 naming it.
#[utoipa::path(post, path = "/api/villages/{code}/edits", request_body = EditRequest,
    params(("code" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = EditOutcome), (status = 400, description = "the edit breaks a hard rule or names nothing to do"), (status = 401, description = "no staff token"),
        (status = 404, description = "no such village, grid or building"), (status = 409, description = "a grid changed since the planner loaded it, or is locked")))]
pub(super) async fn edit(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Json(body): Json<EditRequest>,
) -> Result<Json<EditOutcome>, ApiError> {
    Ok(Json(
        state.service().edit_village(&caller, &code, &body).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ViolationsQuery {
    /// 12-digit village code.
    pub village: String,
}

/// The rules a village's grids break.
#[derive(Debug, Serialize, ToSchema)]
pub struct Violations {
    pub village: String,
    pub issues: Vec<PlanIssue>,
}

/// The rules a village's grids break: sizes out of range (with the target), grids in
/// pieces, outside the village, overlaps, gaps, households in no grid (staff only).
#[utoipa::path(get, path = "/api/violations", params(ViolationsQuery),
    responses((status = 200, body = Violations), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn violations(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<ViolationsQuery>,
) -> Result<Json<Violations>, ApiError> {
    let plan = state.service().village_plan(&caller, &q.village)?;
    Ok(Json(Violations {
        village: plan.village,
        issues: plan.issues,
    }))
}
