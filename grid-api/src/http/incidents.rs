//! The incident API: report, list and filter, one incident with its timeline,
//! transitions, statistics (JSON, CSV, XLSX). Each handler parses, calls one use case
//! with the request's caller and renders.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gridmap_service::incidents::{
    stats_csv, stats_xlsx, IncidentDetail, IncidentList, IncidentQuery, IncidentSummary,
    IncidentView, ReportRequest, StatsFormat, StatsRow, SummaryQuery, TransitionRequest,
};
use serde::Deserialize;
use utoipa::IntoParams;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/incidents", get(list).post(report))
        .route("/api/incidents/stats", get(stats))
        .route("/api/incidents/summary", get(summary))
        .route("/api/incidents/{id}", get(detail))
        .route("/api/incidents/{id}/transitions", post(transition))
}

/// Reports an incident (staff); grid, village and township are found from the position.
#[utoipa::path(post, path = "/api/incidents", request_body = ReportRequest,
    responses((status = 201, body = IncidentView), (status = 200, body = IncidentView, description = "the same report sent again (same client_id): the stored incident, `repeated: true`"),
        (status = 400, description = "unknown category, bad position, or a client_id without time"), (status = 401, description = "no staff token"), (status = 409, description = "the client_id is someone else's report")))]
pub(super) async fn report(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Json(body): Json<ReportRequest>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let view = state.service().report_incident(&caller, &body).await?;
    // A report sent again (same client_id) finds the stored one: nothing was created.
    let status = if view.repeated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view)))
}

/// Incidents, newest first, filtered by place, time, category, status, overdue, area.
#[utoipa::path(get, path = "/api/incidents", params(IncidentQuery),
    responses((status = 200, body = IncidentList), (status = 400, description = "bad filter")))]
pub(super) async fn list(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<IncidentQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    Ok(Json(state.service().list_incidents(&caller, &q).await?))
}

/// One incident with its timeline (reporter and notes for staff only).
#[utoipa::path(get, path = "/api/incidents/{id}", params(("id" = String, Path, description = "incident id")),
    responses((status = 200, body = IncidentDetail), (status = 404, description = "no such incident")))]
pub(super) async fn detail(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    Ok(Json(state.service().incident_detail(&caller, &id).await?))
}

/// Moves an incident in the loop (staff): `{"action": "dispatch", "assignee": {"kind": "staff", "id": "S001"}, "note": "…", "version": 2}`.
#[utoipa::path(post, path = "/api/incidents/{id}/transitions", request_body = TransitionRequest,
    params(("id" = String, Path, description = "incident id")),
    responses((status = 200, body = IncidentDetail), (status = 401, description = "no staff token"), (status = 404, description = "no such incident"),
        (status = 409, description = "not allowed in the current status (the message names it and the allowed actions), or a stale version")))]
pub(super) async fn transition(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
    Json(body): Json<TransitionRequest>,
) -> Result<Json<IncidentDetail>, ApiError> {
    Ok(Json(
        state
            .service()
            .transition_incident(&caller, &id, &body)
            .await?,
    ))
}

/// The command centre's figures for the county, a township or a village: counters,
/// ranking, 30-day trend, categories, newest incidents (no personal data).
#[utoipa::path(get, path = "/api/incidents/summary", params(SummaryQuery),
    responses((status = 200, body = IncidentSummary), (status = 400, description = "bad window or code"), (status = 404, description = "no such township or village")))]
pub(super) async fn summary(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<SummaryQuery>,
) -> Result<Json<IncidentSummary>, ApiError> {
    Ok(Json(state.service().incident_summary(&caller, &q)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `township` (default), `village`, `grid`, `staff` (staff token), `category`, `status`.
    pub by: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Per-area, per-staff, per-category statistics: received, closed, on time, overdue, satisfaction.
#[utoipa::path(get, path = "/api/incidents/stats", params(StatsQuery, IncidentQuery),
    responses((status = 200, body = [StatsRow], description = "JSON rows, or a CSV / XLSX file with ?format="), (status = 400, description = "bad filter")))]
pub(super) async fn stats(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(s): Query<StatsQuery>,
    Query(q): Query<IncidentQuery>,
) -> Result<Response, ApiError> {
    let format: StatsFormat = s.format.as_deref().unwrap_or("json").parse()?;
    let by = s.by.as_deref().unwrap_or("township");
    let rows = state.service().incident_stats(&caller, by, &q).await?;
    let file = |body: Vec<u8>, mime: &'static str, ext: &str| {
        super::export::attachment(mime, &format!("incidents-by-{by}.{ext}"), body)
    };
    Ok(match format {
        StatsFormat::Json => Json(rows).into_response(),
        StatsFormat::Csv => file(stats_csv(&rows)?, "text/csv; charset=utf-8", "csv"),
        StatsFormat::Xlsx => file(
            stats_xlsx(&rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    })
}
