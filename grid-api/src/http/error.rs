//! One error type for every handler: 4xx carry a readable message, 5xx a generic one
//! (the details go to the log inside the request span).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The body of every error answer, as the OpenAPI document shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it.
    pub error: String,
}

/// An HTTP error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
        }
    }

    /// An answer of `status` saying `message`.
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// A server-side failure: logged in full, answered generically.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %log_safe(&err.to_string()), "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error: see the server log".into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<gridmap_service::ServiceError> for ApiError {
    fn from(err: gridmap_service::ServiceError) -> ApiError {
        use gridmap_service::ServiceError;
        let status = match &err {
            ServiceError::BadInput(_) => StatusCode::BAD_REQUEST,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServiceError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::VersionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            _ => return ApiError::internal(err),
        };
        ApiError {
            status,
            message: err.to_string(),
        }
    }
}

impl From<gridmap_tiles::TileError> for ApiError {
    fn from(err: gridmap_tiles::TileError) -> ApiError {
        use gridmap_tiles::TileError;
        match err {
            TileError::UnknownLayer { .. } => ApiError::not_found(err.to_string()),
            TileError::NotANumber { .. }
            | TileError::Negative { .. }
            | TileError::ZoomOutOfRange { .. }
            | TileError::OutOfRange { .. }
            | TileError::NoLayers { .. }
            | TileError::InvalidZoomRange { .. } => ApiError::bad_request(err.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// `text` fit for one log line: control characters (newlines, NUL, escape sequences)
/// written as escapes (`\n`, `\u{0}`), so request data cannot forge or garble lines.
pub(crate) fn log_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::debug!(status = %self.status, error = %log_safe(&self.message), "refused");
        }
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_cannot_be_forged_or_garbled() {
        assert_eq!(
            log_safe("x\n<text>\u{0}\u{1b}[31m"),
            "x\\n<text>\\u{0}\\u{1b}[31m"
        );
        assert_eq!(log_safe("网格 411622101201-007"), "网格 411622101201-007");
    }
}
