//! The caller of a request: a bearer token (`Authorization: Bearer …`, the scheme in any
//! case) or the session cookie the login page set, turned into a [`Caller`] by the
//! service (handlers never decide access themselves), with the client's address for
//! the audit log.

use super::{ApiError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use gridmap_service::{Caller, ServiceError};
use std::net::SocketAddr;

/// The cookie holding a browser's session credential.
pub const SESSION_COOKIE: &str = "gridmap_session";

/// Extracts the [`Caller`] of a request.
pub struct RequestCaller(pub Caller);

impl FromRequestParts<AppState> for RequestCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = client_address(parts);
        let service = state.service();
        if let Some(bearer) = bearer(&parts.headers) {
            // A wrong token is refused rather than served as public, so it is noticed.
            return Ok(RequestCaller(service.caller(Some(bearer), &origin).await?));
        }
        match session(&parts.headers) {
            // An expired session reads as signed out: the page then offers the login.
            Some(cookie) => match service.caller(Some(cookie), &origin).await {
                Ok(caller) => Ok(RequestCaller(caller)),
                Err(ServiceError::Unauthorized(_)) => Ok(RequestCaller(Caller::Public)),
                Err(e) => Err(e.into()),
            },
            None => Ok(RequestCaller(Caller::Public)),
        }
    }
}

/// Extracts the client's address (see [`client_address`]).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

/// The credential of an `Authorization` header. A header with another scheme counts as
/// a wrong token (an empty one), not as none.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().unwrap_or_default();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    Some(if scheme.eq_ignore_ascii_case("bearer") {
        token.trim()
    } else {
        ""
    })
}

/// The session cookie's value, if the request carries one.
pub(super) fn session(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// The client's IP address as the connection shows it (a reverse proxy's own address
/// behind one: forwarded headers can be forged, so they are not believed).
fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_owned(),
            |ConnectInfo(addr)| addr.ip().to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name.clone(), value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        let lower = headers(&[(header::AUTHORIZATION, "bearer gm_1_2_ab")]);
        assert_eq!(bearer(&lower), Some("gm_1_2_ab"));
        let upper = headers(&[(header::AUTHORIZATION, "BEARER gm_1_2_ab")]);
        assert_eq!(bearer(&upper), Some("gm_1_2_ab"));
        let basic = headers(&[(header::AUTHORIZATION, "Basic dXNlcg==")]);
        assert_eq!(bearer(&basic), Some(""));
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[(header::COOKIE, "theme=dark; gridmap_session=gm_3_4_cd; x=y")]);
        assert_eq!(session(&h), Some("gm_3_4_cd"));
        let none = headers(&[(header::COOKIE, "gridmap_session=")]);
        assert_eq!(session(&none), None);
    }
}
