//! What a use case can refuse, in terms a handler or the command line turns into a
//! status code or an exit code.

use gridmap_store::StoreError;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The request itself is wrong (malformed code, bad coordinates, empty query).
    #[error("{0}")]
    BadInput(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller must identify itself (no or wrong credentials).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts (failed sign-ins): wait before trying again.
    #[error("{0}")]
    TooManyRequests(String),
    /// Someone else changed the data first, or the data no longer matches.
    #[error("{0}")]
    Conflict(String),
    /// A change must name the version it was made from (so it cannot overwrite a
    /// change it never saw), and this one did not.
    #[error("{0}")]
    VersionRequired(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// An export could not be written.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Something that should not happen (a worker thread died, a tile failed to encode).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            StoreError::NotFound { what } => ServiceError::NotFound(format!("{what} not found")),
            e @ (StoreError::Conflict { .. }
            | StoreError::Changed { .. }
            | StoreError::VersionNameTaken { .. }) => ServiceError::Conflict(e.to_string()),
            e @ StoreError::Invalid { .. } => ServiceError::BadInput(e.to_string()),
            other => ServiceError::Store(other),
        }
    }
}

impl From<gridmap_tiles::TileError> for ServiceError {
    fn from(e: gridmap_tiles::TileError) -> ServiceError {
        if e.is_user_error() {
            ServiceError::BadInput(e.to_string())
        } else {
            ServiceError::Internal(e.to_string())
        }
    }
}

/// Result alias for use cases.
pub type ServiceResult<T> = Result<T, ServiceError>;
