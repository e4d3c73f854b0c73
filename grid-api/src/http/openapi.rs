//! The OpenAPI document of the JSON API, at `/api/openapi.json`.

use super::api;
use super::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gridmap API",
        description = "Grid-based community management: lookups, grids, staff and search. Household personal data only with a staff bearer token."
    ),
    paths(
        api::lookup,
        api::building,
        api::grid,
        api::edit_grid,
        api::staff,
        api::search,
        api::labels
    ),
    components(schemas(
        api::LookupView,
        api::BuildingView,
        api::BuildingDetail,
        api::GridView,
        api::GridDetail,
        api::StaffView,
        api::StaffDetail,
        api::HouseholdView,
        api::UnitView,
        api::SearchHit,
        api::SearchResults
    ))
)]
struct ApiDoc;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
