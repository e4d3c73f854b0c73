//! Cameras for the map: the list as GeoJSON (a point and a view sector per camera) and
//! the coverage report per grid. Signed-in callers only.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use gridmap_core::coverage::view_sector;
use gridmap_service::{cameras, Scope};
use serde::Deserialize;
use utoipa::IntoParams;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cameras", get(list))
        .route("/api/cameras/coverage", get(coverage))
}

/// Every camera as two GeoJSON features: its position (`kind: camera`) and the sector
/// it sees (`kind: sector`), with id, name, direction, fov, range and status.
#[utoipa::path(get, path = "/api/cameras",
    responses((status = 200, description = "a GeoJSON FeatureCollection", content_type = "application/geo+json"),
        (status = 401, description = "not signed in")))]
pub(super) async fn list(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
) -> Result<impl IntoResponse, ApiError> {
    let service = state.service();
    let list = cameras::cameras(service.store().as_ref(), &caller).await?;
    let mut features = Vec::with_capacity(list.len() * 2);
    for c in &list {
        let properties = serde_json::json!({
            "id": c.id,
            "name": c.name,
            "direction": c.direction,
            "fov": c.fov,
            "range": c.range,
            "status": c.status.as_str(),
        });
        let sector: Vec<[f64; 2]> = view_sector(c)
            .exterior()
            .coords()
            .map(|p| [p.x, p.y])
            .collect();
        let mut point = properties.clone();
        point["kind"] = "camera".into();
        let mut area = properties;
        area["kind"] = "sector".into();
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.position.x(), c.position.y()]},
            "properties": point,
        }));
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [sector]},
            "properties": area,
        }));
    }
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// One grid's code.
    pub grid: Option<String>,
    /// One village (12-digit code).
    pub village: Option<String>,
    /// One township (12-digit code ending in 000).
    pub township: Option<String>,
}

/// Camera coverage per grid of one grid, a village, a township or the caller's whole scope: the
/// buildings and the area some online camera sees (obstacles ignored), and the grids
/// no camera sees.
#[utoipa::path(get, path = "/api/cameras/coverage", params(CoverageQuery),
    responses((status = 200, description = "the coverage report: `grids` (code, village, level, households, buildings, buildings_seen, area_m2, seen_m2, cameras, cameras_down), `uncovered`, `cameras`, `cameras_down`, `note`", content_type = "application/json"),
        (status = 400, description = "malformed code"), (status = 401, description = "not signed in"), (status = 403, description = "outside the caller's scope")))]
pub(super) async fn coverage(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<cameras::CoverageReport>, ApiError> {
    let (scope, grid) = area_of(
        q.grid.as_deref(),
        q.village.as_deref(),
        q.township.as_deref(),
    )?;
    if let Scope::Village(unit) | Scope::Township(unit) = &scope {
        caller.may_see_figures_of(unit)?;
    }
    let service = state.service();
    let data = service.data();
    let report = cameras::coverage_in(
        service.store().as_ref(),
        data.snapshot(),
        &caller,
        &scope,
        grid.as_ref(),
    )
    .await?;
    Ok(Json(report))
}

/// The area a report covers: the villages of `village`, else of `township`, else all,
/// and with `grid` that one grid; a malformed code is a 400.
pub(super) fn area_of(
    grid: Option<&str>,
    village: Option<&str>,
    township: Option<&str>,
) -> Result<(Scope, Option<gridmap_core::GridCode>), ApiError> {
    let unit = |code: &str| {
        code.parse::<gridmap_core::DivisionCode>()
            .map_err(|e| ApiError::bad_request(format!("{code:?}: {e}")))
    };
    let scope = match (village, township) {
        (Some(v), _) => Scope::Village(unit(v)?),
        (None, Some(t)) => Scope::Township(unit(t)?),
        (None, None) => Scope::All,
    };
    let grid = grid
        .map(gridmap_service::lookup::parse_grid_code)
        .transpose()?;
    Ok((scope, grid))
}
