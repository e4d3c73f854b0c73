//! One error type for every handler: 4xx carry a readable message, 5xx a generic one
//! (the details go to the log inside the request span).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

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

    /// A server-side failure: logged in full, answered generically.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "internal error");
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
