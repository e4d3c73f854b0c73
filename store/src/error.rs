//! Store errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot open the store at {path}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    /// The PostgreSQL server cannot be used as it is; `hint` says what to do.
    #[error("cannot use the PostgreSQL database {path}: {problem}: {hint}")]
    Server {
        path: String,
        problem: String,
        hint: &'static str,
    },
    #[error("cannot migrate the store to the current schema")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The database connection ended in the middle of `step` (the server restarted or an
    /// administrator ended the session): the server rolled back what was unfinished.
    #[error("the connection to the database was lost while {step} ({reason}): the unfinished write was rolled back; check that the database runs, then run the command again")]
    ConnectionLost { step: &'static str, reason: String },
    #[error("database error while {step}")]
    Database {
        step: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored geometry of {what} is unreadable: {reason}")]
    Geometry { what: String, reason: String },
    #[error("stored value of {what} is invalid: {reason}")]
    Value { what: String, reason: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{what} was changed by someone else (now version {current}); reload and try again")]
    Conflict { what: String, current: u32 },
    #[error("{what} changed after the change being undone: undo the later changes first")]
    Changed { what: String },
    #[error("{what}")]
    Unsupported { what: String },
    #[error("the write stopped before its input ended, so nothing was written: {reason}")]
    Aborted { reason: String },
    #[error("there is no store at {path}: check the path (--db), or create one with gridmap import or gridmap synth (a PostgreSQL database: gridmap migrate)")]
    Missing { path: String },
    #[error("{path} already exists: choose a new file name")]
    Exists { path: String },
    /// What the caller asked to store is not acceptable as it is (a blank name).
    #[error("the audit log could not be written, so nothing was shown: {reason}")]
    AuditFailed { reason: String },
    #[error("{what} is not accepted: {reason}")]
    Invalid { what: String, reason: String },
    /// Names of plan versions are unique in their village, so a planner can tell them
    /// apart.
    #[error("village {village} already has a version named {name:?}: choose another name")]
    VersionNameTaken { village: String, name: String },
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Adds the step being done to a sqlx error.
pub(crate) trait DbStep<T> {
    fn step(self, step: &'static str) -> StoreResult<T>;
}

impl<T> DbStep<T> for Result<T, sqlx::Error> {
    fn step(self, step: &'static str) -> StoreResult<T> {
        self.map_err(|source| match lost_connection(&source) {
            Some(reason) => StoreError::ConnectionLost { step, reason },
            None => StoreError::Database { step, source },
        })
    }
}

/// Why the connection ended, when `e` says it did: the socket closed under us, or the
/// server ended the session (SQLSTATE class 57: shutdown, crash, terminated backend).
fn lost_connection(e: &sqlx::Error) -> Option<String> {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    match e {
        sqlx::Error::Io(io)
            if matches!(
                io.kind(),
                ConnectionReset | BrokenPipe | ConnectionAborted | UnexpectedEof
            ) =>
        {
            Some(io.to_string())
        }
        sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P")) => {
            Some(db.message().to_owned())
        }
        _ => None,
    }
}
