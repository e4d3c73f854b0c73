//! The planner's API: a village's plan with the rules it breaks, and edits of its grids
//! (move buildings, new grid, merge, delete, split, lock the village). Staff only.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
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
        .route(
            "/api/villages/{code}/plan.csv",
            get(plan_csv).post(import_plan),
        )
}

/// A village's plan as CSV (`building,grid,flats`: a row per building, or per flat range
/// of a split high-rise), to edit in a spreadsheet and send back (staff only).
#[utoipa::path(get, path = "/api/villages/{code}/plan.csv", params(("code" = String, Path, description = "12-digit village code")),
    responses((status = 200, description = "UTF-8 CSV with a byte-order mark", content_type = "text/csv"), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn plan_csv(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let csv = state.service().plan_csv(&caller, &code)?;
    let disposition = format!("attachment; filename=\"{code}-plan.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportPlanQuery {
    /// The file's name, for messages (default `plan.csv`).
    pub name: Option<String>,
}

/// Applies a plan sent as CSV (UTF-8 or GBK; columns `building`, `grid`, optional
/// `flats` such as `1-20`, Chinese headers accepted) to the village as one edit: listed
/// buildings and flats go to the grids named, grids named that do not exist are created,
/// the rest stays. Any bad line refuses the whole file, naming the line (staff only).
#[utoipa::path(post, path = "/api/villages/{code}/plan.csv", request_body(content = String, content_type = "text/csv"),
    params(("code" = String, Path, description = "12-digit village code"), ImportPlanQuery),
    responses((status = 200, body = EditOutcome), (status = 400, description = "a bad line, or the plan breaks a hard rule"), (status = 401, description = "no staff token"),
        (status = 404, description = "no such village"), (status = 409, description = "a locked grid would change, or someone edited the village meanwhile")))]
pub(super) async fn import_plan(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<ImportPlanQuery>,
    body: axum::body::Bytes,
) -> Result<Json<EditOutcome>, ApiError> {
    let name = q.name.unwrap_or_else(|| "plan.csv".to_owned());
    Ok(Json(
        state
            .service()
            .import_plan(&caller, &code, &name, &body)
            .await?,
    ))
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
