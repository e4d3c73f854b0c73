//! The OpenAPI document of the JSON API, at `/api/openapi.json`.

use super::AppState;
use super::{api, auth, export, incidents, open311, plan, stream, versions};
use axum::routing::get;
use axum::{Json, Router};
use gridmap_service::views;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gridmap API",
        description = "Grid-based community management: lookups, grids, staff and search. Household personal data only for signed-in accounts whose role and scope allow it (a session cookie from /api/login, or a bearer token from `gridmap user token`)."
    ),
    paths(
        auth::login,
        auth::logout,
        auth::me,
        api::lookup,
        api::building,
        api::grid,
        api::edit_grid,
        api::history,
        api::undo,
        api::staff,
        api::search,
        api::labels,
        plan::plan,
        plan::edit,
        plan::violations,
        plan::plan_csv,
        plan::import_plan,
        export::grids,
        export::roster,
        versions::list,
        versions::save,
        versions::compare,
        versions::restore,
        versions::remove
    ),
    components(schemas(
        auth::LoginRequest,
        auth::Me,
        versions::SaveVersion,
        gridmap_service::versions::PlanComparison,
        gridmap_service::versions::GridDifference,
        gridmap_service::versions::BuildingMove,
        gridmap_service::versions::VersionView,
        views::LookupView,
        views::BuildingView,
        views::GridFlats,
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
        gridmap_service::plan::UndoOutcome,
        plan::Violations,
        gridmap_service::plan::VillagePlan,
        gridmap_service::plan::GridBrief,
        gridmap_service::plan::PlanIssue,
        gridmap_service::plan::SizeOutOfRange,
        gridmap_service::staffload::StaffOverload,
        gridmap_service::plan::EditRequest,
        gridmap_service::plan::EditOutcome,
        gridmap_service::edit::GridOperation
    ))
)]
struct ApiDoc;

/// The incident API and Open311, merged into [`ApiDoc`].
#[derive(OpenApi)]
#[openapi(
    paths(
        incidents::report,
        incidents::list,
        incidents::detail,
        incidents::transition,
        incidents::stats,
        incidents::summary,
        stream::stream,
        open311::services,
        open311::requests,
        open311::create,
        open311::request
    ),
    components(schemas(
        gridmap_service::incidents::IncidentView,
        gridmap_service::incidents::DeadlineView,
        gridmap_service::incidents::IncidentDetail,
        gridmap_service::incidents::TransitionView,
        gridmap_service::incidents::IncidentList,
        gridmap_service::incidents::ReportRequest,
        gridmap_service::incidents::TransitionRequest,
        gridmap_service::incidents::StatsRow,
        gridmap_service::incidents::IncidentEvent,
        gridmap_service::incidents::IncidentPoint,
        gridmap_service::incidents::IncidentSummary,
        gridmap_service::incidents::AreaRef,
        gridmap_service::incidents::AreaFigures,
        gridmap_service::incidents::TrendDay,
        gridmap_service::incidents::CategoryFigures,
        gridmap_service::incidents::open311::Open311Service,
        gridmap_service::incidents::open311::Open311Post,
        gridmap_service::incidents::open311::Open311Created,
        gridmap_service::incidents::open311::Open311Request
    ))
)]
struct IncidentDoc;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async {
            let mut doc = ApiDoc::openapi();
            doc.merge(IncidentDoc::openapi());
            Json(doc)
        }),
    )
}
