//! What every answer gets, whatever answered it: security headers (a Content-Security-
//! Policy allowing only our own origin, no framing, no sniffing, no referrer to other
//! sites), CORS only for the origins `serve --cors-origin` names, the API's JSON error
//! shape for the framework's own refusals (bad JSON, wrong content type, body too large,
//! bad query, wrong method), and a log span naming the request, its control characters
//! escaped.

use super::error::log_safe;
use super::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

/// The Content-Security-Policy of every answer. MapLibre runs its worker from our origin
/// (or a blob: URL) and decodes images through data: and blob: URLs; the wall sets
/// inline style attributes; `basemap` (`serve --basemap-style`) adds that origin.
pub(super) fn content_security_policy(basemap: Option<&str>) -> String {
    let extra = basemap
        .and_then(origin_of)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:{extra}; \
         font-src 'self' data:; connect-src 'self'{extra}; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains(char::is_whitespace) && !host.contains(['\'', ';']))
        .then(|| format!("{scheme}://{host}"))
}

/// Adds the security headers to every answer.
pub(super) async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&state.inner.csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// CORS for `origins` (exact `scheme://host[:port]`); none, the default, sends no CORS
/// headers, so browsers keep other sites' pages from reading our answers.
pub(super) fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
            ])
            .expose_headers([header::ETAG]),
    )
}

/// The framework's refusals (extractor rejections are text/plain, a wrong method has no
/// body) in the API's JSON error shape, `{"error": "…"}`.
pub(super) async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !is_text {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Rejection texts are short; a longer text body is not one of them: keep it.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return ApiError::internal("a refusal's text could not be read").into_response();
    };
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let message = match (status, text.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allow = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!("this path does not take {method}; it takes {allow}")
        }
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            format!("the request body is too large: {text}; send a smaller one")
        }
        (_, true) => status
            .canonical_reason()
            .unwrap_or("refused")
            .to_lowercase(),
        (_, false) => text,
    };
    let mut answer = ApiError::with_status(status, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// Runs the request inside a span naming its method and path (control characters
/// escaped), so what handlers log says which request it was about.
pub(super) async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %log_safe(request.uri().path()),
    );
    next.run(request).instrument(span).await
}

/// `router` with everything above, around every route and the fallback.
pub(super) fn harden(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let mut router = router.layer(from_fn(json_errors));
    if let Some(cors) = cors(&state.config().cors_origins) {
        router = router.layer(cors);
    }
    router
        .layer(from_fn_with_state(state.clone(), security_headers))
        .layer(from_fn(request_span))
}
