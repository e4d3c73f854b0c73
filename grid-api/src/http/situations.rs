//! Household situations (户况) for the map: per building in view for colouring the 3D
//! buildings, per grid for the panel and as CSV. Staff, planners and administrators,
//! inside their scope (the service decides).

use super::export::attachment;
use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gridmap_core::TagGroup;
use gridmap_service::situations;
use serde::Deserialize;
use utoipa::IntoParams;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/situations", get(by_grid))
        .route("/api/situations/buildings", get(by_building))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BuildingQuery {
    /// `west,south,east,north` (WGS84) of the view.
    pub bbox: String,
    /// A situation group: floating, rental, elderly_alone, low_income, disability, key_care.
    pub group: String,
    /// Only this grid's households (the map's filter).
    pub grid: Option<String>,
    /// Only this village's buildings.
    pub village: Option<String>,
    /// Only this township's buildings.
    pub township: Option<String>,
}

fn parse_group(key: &str) -> Result<TagGroup, ApiError> {
    TagGroup::ALL
        .into_iter()
        .find(|g| g.key() == key)
        .ok_or_else(|| {
            let known: Vec<&str> = TagGroup::ALL.iter().map(|g| g.key()).collect();
            ApiError::bad_request(format!(
                "unknown situation {key:?}: one of {}",
                known.join(", ")
            ))
        })
}

/// For each building in the box with households the caller may see: how many, and how
/// many of them are in the situation.
#[utoipa::path(get, path = "/api/situations/buildings", params(BuildingQuery),
    responses((status = 200, description = "`[{building, households, count}]`", content_type = "application/json"),
        (status = 400, description = "bad box, situation or code, or too many buildings"), (status = 401, description = "not signed in"), (status = 403, description = "a role that reads no personal data"), (status = 404, description = "no such grid")))]
pub(super) async fn by_building(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<BuildingQuery>,
) -> Result<Json<Vec<situations::BuildingSituation>>, ApiError> {
    let group = parse_group(&q.group)?;
    let parts: Vec<f64> = q
        .bbox
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::bad_request(format!("bbox {:?}: four numbers w,s,e,n", q.bbox)))?;
    let bbox: [f64; 4] = parts
        .try_into()
        .map_err(|_| ApiError::bad_request(format!("bbox {:?}: four numbers w,s,e,n", q.bbox)))?;
    let (scope, grid) = super::cameras::area_of(
        q.grid.as_deref(),
        q.village.as_deref(),
        q.township.as_deref(),
    )?;
    let service = state.service();
    let data = service.data();
    let rows = situations::buildings_in_situation(
        service.store().as_ref(),
        data.snapshot(),
        &caller,
        bbox,
        group,
        (&scope, grid.as_ref()),
    )
    .await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridQuery {
    /// One grid's code.
    pub grid: Option<String>,
    /// One village (12-digit code).
    pub village: Option<String>,
    /// One township (12-digit code ending in 000).
    pub township: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// `grid` (default: a row per grid) or `village` (a row per village, its micro-grids
    /// summed).
    pub by: Option<String>,
}

/// Households by situation per grid (or per village) of a grid, village, township or the
/// caller's scope.
#[utoipa::path(get, path = "/api/situations", params(GridQuery),
    responses((status = 200, description = "`[{grid, village, level, households, groups: {low_income: n, …}}]`, or CSV", content_type = "application/json"),
        (status = 400, description = "malformed code or format"), (status = 401, description = "not signed in"), (status = 403, description = "outside the caller's scope"), (status = 404, description = "no such grid")))]
pub(super) async fn by_grid(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<GridQuery>,
) -> Result<Response, ApiError> {
    let (scope, grid) = super::cameras::area_of(
        q.grid.as_deref(),
        q.village.as_deref(),
        q.township.as_deref(),
    )?;
    let csv = match q.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: json or csv"
            )))
        }
    };
    let service = state.service();
    let data = service.data();
    let rows = situations::grid_situations(
        service.store().as_ref(),
        data.snapshot(),
        &caller,
        &scope,
        grid.as_ref(),
    )
    .await?;
    let by_village = match q.by.as_deref().unwrap_or("grid") {
        "grid" => false,
        "village" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "by {other:?}: grid or village"
            )))
        }
    };
    let file = |text: String| {
        attachment(
            "text/csv; charset=utf-8",
            "situations.csv",
            text.into_bytes(),
        )
    };
    Ok(match (by_village, csv) {
        (false, false) => Json(rows).into_response(),
        (false, true) => file(situations::situations_csv(&rows)),
        (true, false) => Json(situations::village_totals(&rows)).into_response(),
        (true, true) => file(situations::village_situations_csv(
            &situations::village_totals(&rows),
        )),
    })
}
