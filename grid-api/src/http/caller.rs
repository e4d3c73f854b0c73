//! The caller of a request: the bearer token of its `Authorization` header, turned into a
//! [`Caller`] by the service's access policy (handlers never decide access themselves).

use super::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gridmap_service::Caller;

/// Extracts the [`Caller`] of a request.
pub struct RequestCaller(pub Caller);

impl FromRequestParts<AppState> for RequestCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A header that is not a bearer token counts as a wrong token, not as none.
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|h| {
                h.to_str()
                    .ok()
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .unwrap_or_default()
            });
        Ok(RequestCaller(state.service().caller(bearer)?))
    }
}
