//! Open311 GeoReport v2 (`/open311/v2/…`): services, requests (GET, and POST as a form
//! or JSON), one request. Errors come in the spec's shape, a list of
//! `{"code": <HTTP status>, "description": "…"}`, so 311 clients can show them.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use gridmap_service::incidents::open311::{
    Open311Created, Open311Post, Open311Query, Open311Request, Open311Service,
};

/// An [`ApiError`] answered the Open311 way.
#[derive(Debug)]
pub(super) struct Open311Error(ApiError);

impl From<ApiError> for Open311Error {
    fn from(e: ApiError) -> Open311Error {
        Open311Error(e)
    }
}

impl From<gridmap_service::ServiceError> for Open311Error {
    fn from(e: gridmap_service::ServiceError) -> Open311Error {
        Open311Error(e.into())
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body =
            serde_json::json!([{ "code": status.as_u16(), "description": self.0.message() }]);
        (status, Json(body)).into_response()
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/requests.json", get(requests).post(create))
        .route("/open311/v2/requests/{id}", get(request))
}

/// Every incident type as a service.
#[utoipa::path(get, path = "/open311/v2/services.json", responses((status = 200, body = [Open311Service])))]
pub(super) async fn services(State(state): State<AppState>) -> Json<Vec<Open311Service>> {
    Json(state.service().open311_services())
}

/// Service requests, newest first; `page`/`page_size` page through them.
#[utoipa::path(get, path = "/open311/v2/requests.json", params(Open311Query),
    responses((status = 200, body = [Open311Request]), (status = 400, description = "bad date or status")))]
pub(super) async fn requests(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Query(q): Query<Open311Query>,
) -> Result<Json<Vec<Open311Request>>, Open311Error> {
    Ok(Json(state.service().open311_requests(&caller, &q).await?))
}

/// Creates a service request (form-encoded per the spec, or JSON); anyone may.
#[utoipa::path(post, path = "/open311/v2/requests.json", request_body(content = Open311Post, content_type = "application/x-www-form-urlencoded"),
    responses((status = 201, body = [Open311Created]), (status = 400, description = "missing position or unknown service_code")))]
pub(super) async fn create(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    request: Request,
) -> Result<(StatusCode, Json<Vec<Open311Created>>), Open311Error> {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let post: Open311Post = if json {
        Json::<Open311Post>::from_request(request, &state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?
            .0
    } else {
        Form::<Open311Post>::from_request(request, &state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?
            .0
    };
    let created = state.service().open311_post(&caller, &post).await?;
    Ok((StatusCode::CREATED, Json(vec![created])))
}

/// One service request (`/open311/v2/requests/{id}.json`), as a one-element list.
#[utoipa::path(get, path = "/open311/v2/requests/{id}.json", params(("id" = String, Path, description = "service request id")),
    responses((status = 200, body = [Open311Request]), (status = 404, description = "no such request")))]
pub(super) async fn request(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Open311Request>>, Open311Error> {
    let id = id.strip_suffix(".json").unwrap_or(&id);
    Ok(Json(vec![
        state.service().open311_request(&caller, id).await?,
    ]))
}
