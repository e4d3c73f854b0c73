//! The OpenAPI document of the JSON API, at `/api/openapi.json`.

use super::AppState;
use super::{
    api, auth, cameras, export, field, incidents, open311, plan, print, situations, stream,
    versions,
};
use axum::routing::get;
use axum::{Json, Router};
use gridmap_service::views;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, Ref, Response};
use utoipa::{Modify, OpenApi};

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
        api::household_tags,
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
        versions::remove,
        cameras::list,
        cameras::coverage,
        situations::by_building,
        situations::by_grid,
        print::village,
        print::grid,
        field::store,
        field::read,
        field::put_staff_photo,
        field::staff_photo,
        field::record_visit,
        field::household_visits,
        field::grid_households,
        field::check_in,
        field::grid_check_ins
    ),
    components(schemas(
        super::error::ErrorBody,
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
        api::HouseholdTagsBody,
        gridmap_service::photos::PhotoReceipt,
        gridmap_service::visits::VisitRequest,
        gridmap_service::visits::CheckInRequest,
        gridmap_service::households::GridHousehold,
        gridmap_service::households::EditedTags,
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
            AccessDoc.modify(&mut doc);
            Json(doc)
        }),
    )
}

/// What every guarded path shares, written once instead of on each path: how to sign in
/// (a bearer token or the session cookie), the 401 and 403 it can answer, and the one
/// JSON shape of every refusal (`{"error": "…"}`).
struct AccessDoc;

impl Modify for AccessDoc {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gm_<id>_<expires>_<signature>, from `gridmap user token`")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::caller::SESSION_COOKIE,
                "set by POST /api/login",
            ))),
        );
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                document_access(op);
            }
        }
    }
}

fn document_access(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    if responses.contains_key("401") {
        responses.insert(
            "401".into(),
            Response::new("not signed in, or the session or token has expired or was revoked")
                .into(),
        );
        responses.entry("403".into()).or_insert_with(|| {
            Response::new(
                "the account's role or scope does not allow this; the same text for anything outside the scope, existing or not",
            )
            .into()
        });
        op.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    }
    for (status, response) in responses.iter_mut() {
        if let (true, utoipa::openapi::RefOr::T(r)) = (status.starts_with('4'), response) {
            if r.content.is_empty() {
                let schema = Ref::from_schema_name("ErrorBody");
                r.content
                    .insert("application/json".into(), Content::new(Some(schema)));
            }
        }
    }
}
