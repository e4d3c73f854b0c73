//! Signing in and out of the web map: `POST /api/login` checks a login and password and
//! sets the session cookie (Secure, HttpOnly, SameSite=Strict), `POST /api/logout` ends
//! the session, `GET /api/me` says who the request is signed in as. API clients and wall
//! displays use bearer tokens from `gridmap user token` instead.

use super::caller::{ClientAddress, SESSION_COOKIE};
use super::{ApiError, AppState, RequestCaller};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use gridmap_service::Caller;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
}

/// A login name and password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

/// Who a request is signed in as.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub signed_in: bool,
    pub login: Option<String>,
    /// admin, planner, staff, viewer or wall.
    pub role: Option<String>,
    /// `all`, a code prefix, or `grids:CODE,…`.
    pub scope: Option<String>,
    /// Whether the account may see household heads and phones (in its scope).
    pub personal_data: bool,
    /// Whether the account may redraw grids (in its scope).
    pub edits: bool,
    /// The roster's staff id the account is linked to: work orders dispatched to it are
    /// the account's to-do list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

impl Me {
    fn of(caller: &Caller) -> Me {
        let p = caller.principal();
        Me {
            signed_in: p.is_some(),
            login: p.map(|p| p.login.clone()),
            role: p.map(|p| p.role.to_string()),
            scope: p.map(|p| p.scope.to_string()),
            personal_data: p.is_some_and(|p| p.role.reads_personal_data()),
            edits: p.is_some_and(|p| p.role.edits_grids()),
            staff: p.and_then(|p| p.staff.clone()),
        }
    }
}

/// Signs in: sets the session cookie and says who is signed in. Wrong credentials get
/// 401 without saying which part was wrong; repeated failures 429.
#[utoipa::path(post, path = "/api/login", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, description = "wrong login or password"), (status = 429, description = "too many failed sign-ins")))]
pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddress(origin): ClientAddress,
    Json(form): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let service = state.service();
    let (issued, account) = service.login(&form.login, &form.password, &origin).await?;
    let max_age = issued.credential.expires_at - gridmap_service::incidents::now();
    let cookie = session_cookie(&state, &issued.secret, max_age);
    tracing::info!(login = %account.login, "signed in");
    // Who signed in is the account just checked: no second read of the credential.
    let mut caller = Caller::account(&account.login, account.role, account.scope);
    if let Caller::User(p) = &mut caller {
        p.staff = account.staff;
    }
    Ok(([(header::SET_COOKIE, cookie)], Json(Me::of(&caller))))
}

/// Signs out: the session is revoked and the cookie cleared.
#[utoipa::path(post, path = "/api/logout", responses((status = 200, body = Me)))]
pub(super) async fn logout(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
) -> Result<impl IntoResponse, ApiError> {
    state.service().logout(&caller).await?;
    let cookie = session_cookie(&state, "", 0);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(Me::of(&Caller::Public)),
    ))
}

/// Who this request is signed in as.
#[utoipa::path(get, path = "/api/me", responses((status = 200, body = Me)))]
pub(super) async fn me(RequestCaller(caller): RequestCaller) -> Json<Me> {
    Json(Me::of(&caller))
}

/// The `Set-Cookie` value of a session: HttpOnly (no script reads it), SameSite=Strict
/// (no other site's page sends it), Secure where the browser reaches us over HTTPS or on
/// this machine (browsers treat loopback as secure).
fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if cookies_secure(&state.config().public_url) {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.max(0)
    )
}

/// Whether browsers keep Secure cookies of a server at `public_url`: HTTPS, or plain
/// HTTP on loopback. A LAN address over plain HTTP cannot keep them (serve warns).
pub(crate) fn cookies_secure(public_url: &str) -> bool {
    if public_url.starts_with("https://") {
        return true;
    }
    let host = public_url
        .trim_start_matches("http://")
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_secure_over_https_and_on_loopback_only() {
        assert!(cookies_secure("https://maps.example.org/gridmap"));
        assert!(cookies_secure("http://127.0.0.1:8080"));
        assert!(cookies_secure("http://localhost:8080"));
        assert!(cookies_secure("http://[::1]:8080"));
        assert!(!cookies_secure("http://192.168.1.20:8080"));
    }
}
