//! Who is calling. Every handler that returns data knows its caller, so access by level
//! can later narrow what each caller sees without touching the handlers' shape.

use super::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: public data only (no household heads or phones).
    Public,
    /// Presented the staff token: may see household personal data.
    Staff,
}

impl Caller {
    /// Whether household heads, phones and members may be shown.
    pub fn sees_personal_data(&self) -> bool {
        matches!(self, Caller::Staff)
    }
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = super::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Caller, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller::Public);
        };
        let Some(expected) = state.config().staff_token.as_deref() else {
            return Err(super::ApiError::unauthorized(
                "this server has no staff token configured (gridmap serve --staff-token)",
            ));
        };
        let given = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        if same_token(given.trim(), expected) {
            Ok(Caller::Staff)
        } else {
            Err(super::ApiError::unauthorized(
                "the bearer token is not valid",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
    }
}
