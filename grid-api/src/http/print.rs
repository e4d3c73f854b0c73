//! Printouts as PDF downloads: `GET /api/print/village/{code}` and
//! `/api/print/grid/{code}` with `what=map|boards|cards`, `paper=a4|a3` and
//! `supervision=OFFICE=PHONE;OFFICE=PHONE`. Office roles inside their scope (the service
//! decides).

use super::export::attachment;
use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use gridmap_print::{Paper, PrintFont, Supervision};
use gridmap_service::print::{PrintArea, PrintRequest, Printout};
use serde::Deserialize;
use std::sync::OnceLock;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/print/village/{code}", get(village))
        .route("/api/print/grid/{code}", get(grid))
}

/// The font printouts are set in, found once (GRIDMAP_PRINT_FONT or the system's CJK font).
fn font() -> Result<&'static PrintFont, ApiError> {
    static FONT: OnceLock<Result<PrintFont, String>> = OnceLock::new();
    FONT.get_or_init(|| PrintFont::find(None).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            ApiError::with_status(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("printing is not set up on this server: {e}"),
            )
        })
}

/// A village's map, boards or cards as a PDF.
#[utoipa::path(get, path = "/api/print/village/{code}",
    params(("code" = String, Path, description = "the village's 12-digit code"),
        ("what" = Option<String>, Query, description = "map (default), boards or cards"),
        ("paper" = Option<String>, Query, description = "a4 (default) or a3"),
        ("supervision" = Option<String>, Query, description = "supervision phones printed on boards and cards: OFFICE=PHONE pairs separated by ;")),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 400, description = "bad code or option, or no grids yet"), (status = 401, description = "not signed in"),
        (status = 403, description = "a role without staff phones, or outside the scope"), (status = 404, description = "no such village")))]
pub(super) async fn village(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, ApiError> {
    let village = code
        .parse()
        .map_err(|e| ApiError::bad_request(format!("village {code:?}: {e}")))?;
    printout(&state, &caller, PrintArea::Village(village), q).await
}

/// One grid's map, boards or cards as a PDF.
#[utoipa::path(get, path = "/api/print/grid/{code}",
    params(("code" = String, Path, description = "the grid's code"),
        ("what" = Option<String>, Query, description = "map (default), boards or cards"),
        ("paper" = Option<String>, Query, description = "a4 (default) or a3"),
        ("supervision" = Option<String>, Query, description = "OFFICE=PHONE pairs separated by ;")),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 400, description = "bad code or option"), (status = 401, description = "not signed in"),
        (status = 403, description = "a role without staff phones, or outside the scope"), (status = 404, description = "no such grid")))]
pub(super) async fn grid(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, ApiError> {
    let grid = gridmap_service::lookup::parse_grid_code(&code)?;
    printout(&state, &caller, PrintArea::Grid(grid), q).await
}

#[derive(Debug, Deserialize)]
pub(super) struct PrintQuery {
    what: Option<String>,
    paper: Option<String>,
    /// `OFFICE=PHONE` pairs separated by `;`.
    supervision: Option<String>,
}

async fn printout(
    state: &AppState,
    caller: &gridmap_service::Caller,
    area: PrintArea,
    q: PrintQuery,
) -> Result<Response, ApiError> {
    let what: Printout = q
        .what
        .as_deref()
        .unwrap_or("map")
        .parse()
        .map_err(ApiError::bad_request)?;
    let paper: Paper = q
        .paper
        .as_deref()
        .unwrap_or("a4")
        .parse()
        .map_err(ApiError::bad_request)?;
    let supervision = q
        .supervision
        .as_deref()
        .unwrap_or("")
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse::<Supervision>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::bad_request)?;
    let now = gridmap_service::incidents::now();
    let request = PrintRequest {
        area,
        what,
        paper,
        supervision,
        date: gridmap_core::time::rfc3339(now)[..10].to_owned(),
    };
    let font = font()?;
    let service = state.service();
    let data = service.data();
    let store = service.store();
    let pdf =
        gridmap_service::print::print(store.as_ref(), data.snapshot(), caller, font, &request)
            .await?;
    Ok(attachment("application/pdf", &request.file_name(), pdf))
}
