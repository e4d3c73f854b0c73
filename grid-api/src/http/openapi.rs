//! The OpenAPI document of the JSON API, at `/api/openapi.json`.

use super::api;
use super::AppState;
use axum::routing::get;
use axum::{Json, Router};
use gridmap_service::views;
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
        api::history,
        api::undo,
        api::staff,
        api::search,
        api::labels
    ),
    components(schemas(
        views::LookupView,
        views::BuildingView,
        views::BuildingDetail,
        views::GridView,
        views::GridDetail,
        views::StaffView,
        views::StaffDetail,
        views::HouseholdView,
        views::UnitView,
        views::SearchHit,
        views::SearchResults,
        api::GridEditBody,
        api::GridEditResult,
        api::UndoResult
    ))
)]
struct ApiDoc;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
