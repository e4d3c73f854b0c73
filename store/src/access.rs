//! What the store keeps for access control (issue #13): accounts, the credentials issued
//! to them (browser sessions and API/wall-display tokens, each revocable), the key that
//! signs those credentials, and the append-only audit log of reads of personal data and
//! of edits.

use crate::error::{StoreError, StoreResult};
use gridmap_core::{AccessScope, Role};
use serde::{Deserialize, Serialize};

/// An account to create. The password arrives already hashed: the store never sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub login: String,
    pub role: Role,
    pub scope: AccessScope,
    pub password_hash: String,
    /// The roster's staff id of the person (see [`gridmap_core::Account::staff`]).
    pub staff: Option<String>,
}

/// The longest login name accepted.
pub const MAX_LOGIN: usize = 64;

impl NewAccount {
    /// Refuses a login that is blank, too long, or has spaces or control characters
    /// (it is shown in logs and the audit log).
    pub(crate) fn check(&self) -> StoreResult<()> {
        let login = &self.login;
        let reason = if login.is_empty() {
            Some("it is empty".to_owned())
        } else if login.chars().count() > MAX_LOGIN {
            Some(format!("it is longer than {MAX_LOGIN} characters"))
        } else if login.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("it has spaces or control characters".to_owned())
        } else {
            None
        };
        match reason {
            Some(reason) => Err(StoreError::Invalid {
                what: format!("login {login:?}"),
                reason,
            }),
            None => Ok(()),
        }
    }
}

/// What to change of an account; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    pub scope: Option<AccessScope>,
    /// The roster's staff id to link; `Some("")` unlinks.
    pub staff: Option<String>,
}

/// What a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A browser session, carried in a cookie after a login.
    Session,
    /// A bearer token for an API client or a wall display, made by `gridmap user token`.
    Token,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Token => "token",
        }
    }

    pub(crate) fn parse(text: &str) -> StoreResult<CredentialKind> {
        match text {
            "session" => Ok(CredentialKind::Session),
            "token" => Ok(CredentialKind::Token),
            other => Err(StoreError::Value {
                what: "credential kind".into(),
                reason: format!("{other:?} is neither session nor token"),
            }),
        }
    }
}

/// A credential to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub account: i64,
    pub kind: CredentialKind,
    /// What it is for ("wall display, hall 2"); shown by `gridmap user tokens`.
    pub label: String,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
}

/// An issued credential. The secret part of a token is not stored: a token is its id
/// and expiry signed with the store's signing key, checked against this row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub id: i64,
    pub account: i64,
    pub kind: CredentialKind,
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub revoked: bool,
}

/// One line of the audit log: who did what to which record, when and from where. Never
/// holds personal data itself: the target names a record (a building id, a grid code),
/// not what it contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    /// The account's login, or `cli` for the operator at the command line.
    pub actor: String,
    /// What was done: `read households`, `edit grid`, `login`, `login refused`, …
    pub action: String,
    /// The record acted on (building id, grid code, village code, login name).
    pub target: String,
    /// Where the request came from: the client's address, or `cli`.
    pub origin: String,
    /// A short note (how many households were shown, the change id).
    pub detail: String,
}

/// A stored audit entry with its id (ids grow with time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Entries whose target starts with this (a village code finds its grids too).
    pub target_prefix: Option<String>,
    /// Entries at or after this RFC 3339 time.
    pub since: Option<String>,
    pub limit: usize,
}

impl AuditFilter {
    /// Whether `entry` passes the filter (for stores that filter in memory).
    pub fn passes(&self, entry: &AuditEntry) -> bool {
        self.actor.as_ref().is_none_or(|a| &entry.actor == a)
            && self.action.as_ref().is_none_or(|a| &entry.action == a)
            && self
                .target_prefix
                .as_ref()
                .is_none_or(|p| entry.target.starts_with(p.as_str()))
            && self.since.as_ref().is_none_or(|s| entry.at >= *s)
    }
}

/// The audit action of a sign-in that succeeded: it ends the login's failed attempts.
pub const LOGIN_ACTION: &str = "login";
/// The audit action of a refused sign-in.
pub const LOGIN_REFUSED_ACTION: &str = "login refused";
/// The detail of a refused sign-in that counts towards a lockout (a wrong password or an
/// unknown login; not a refusal because of a lockout itself).
pub const WRONG_PASSWORD_DETAIL: &str = "wrong login or password";

/// Failed sign-ins read back from the audit log: the times (RFC 3339) of the newest
/// failures for one login since its last successful sign-in, and from one address, each
/// newest first. Every instance on a shared store counts the same failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub by_login: Vec<String>,
    pub by_origin: Vec<String>,
}

impl LoginFailures {
    /// Whether audit `record` is a failure counted for `login` (given the id of its last
    /// successful sign-in) or for `origin` at or after `since`: the rule the SQL stores'
    /// statements follow, for stores that filter in memory.
    pub(crate) fn add(
        &mut self,
        record: &AuditRecord,
        login: &str,
        origin: &str,
        since: &str,
        last_success: i64,
    ) {
        let e = &record.entry;
        if e.action != LOGIN_REFUSED_ACTION
            || e.detail != WRONG_PASSWORD_DETAIL
            || e.at.as_str() < since
        {
            return;
        }
        if e.target == login && record.id > last_success {
            self.by_login.push(e.at.clone());
        }
        if e.origin == origin {
            self.by_origin.push(e.at.clone());
        }
    }
}

/// The message for a login that is already used.
pub(crate) fn login_taken(login: &str) -> StoreError {
    StoreError::Invalid {
        what: format!("login {login:?}"),
        reason: "an account with that login exists: choose another".into(),
    }
}

/// The message for a login no account has.
pub(crate) fn no_account(login: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("account {login:?}"),
    }
}

/// Parses a stored role or scope.
pub(crate) fn stored_role(text: &str) -> StoreResult<Role> {
    text.parse().map_err(|e| StoreError::Value {
        what: "account role".into(),
        reason: format!("{e}"),
    })
}

pub(crate) fn stored_scope(text: &str) -> StoreResult<AccessScope> {
    text.parse().map_err(|e| StoreError::Value {
        what: "account scope".into(),
        reason: format!("{e}"),
    })
}

/// The smallest number of signing-key bytes accepted.
pub const MIN_SIGNING_KEY: usize = 32;

/// Refuses a signing key too short to sign with.
pub(crate) fn check_signing_key(key: &[u8]) -> StoreResult<()> {
    if key.len() < MIN_SIGNING_KEY {
        return Err(StoreError::Invalid {
            what: "signing key".into(),
            reason: format!(
                "it has {} bytes, at least {MIN_SIGNING_KEY} are needed",
                key.len()
            ),
        });
    }
    Ok(())
}
