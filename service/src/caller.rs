//! Who is calling, and what they may see and do. Every use case that returns data or
//! changes it takes the caller, so access is decided here and not in a handler.

use crate::error::{ServiceError, ServiceResult};

/// The caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// No credentials: public data only (no household heads, phones or tags).
    Public,
    /// Presented the staff token: may see household personal data and edit grids.
    Staff,
    /// The operator at the command line of the machine holding the store.
    Operator,
}

impl Caller {
    /// Whether household heads, phones and members may be shown.
    pub fn sees_personal_data(&self) -> bool {
        matches!(self, Caller::Staff | Caller::Operator)
    }

    /// Refuses callers that may not change data (grids, imports).
    pub fn may_write(&self) -> ServiceResult<()> {
        self.must_be_staff("changing data")
    }

    /// Refuses callers other than staff and operators; `what` names the refused action in
    /// the message ("changing data needs a staff token …").
    pub fn must_be_staff(&self, what: &str) -> ServiceResult<()> {
        match self {
            Caller::Staff | Caller::Operator => Ok(()),
            Caller::Public => Err(ServiceError::Unauthorized(format!(
                "{what} needs a staff token (Authorization: Bearer …)"
            ))),
        }
    }

    /// The actor written into the change log.
    pub fn actor(&self) -> &'static str {
        match self {
            Caller::Public => "public",
            Caller::Staff => "staff",
            Caller::Operator => "cli",
        }
    }
}

/// Who gets which [`Caller`]: today one staff token; roles by level come later.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    staff_token: Option<String>,
}

impl AccessPolicy {
    /// A policy where `staff_token` (when set and non-empty) unlocks [`Caller::Staff`].
    pub fn with_staff_token(staff_token: Option<String>) -> AccessPolicy {
        AccessPolicy {
            staff_token: staff_token.filter(|t| !t.is_empty()),
        }
    }

    /// The caller presenting `bearer` (the token of an `Authorization: Bearer` header),
    /// or public without one. A wrong token is refused rather than served as public, so a
    /// mistyped token is noticed.
    ///
    /// ```
    /// use gridmap_service::{AccessPolicy, Caller};
    /// let policy = AccessPolicy::with_staff_token(Some("s3cret".into()));
    /// assert_eq!(policy.caller(None).unwrap(), Caller::Public);
    /// assert_eq!(policy.caller(Some("s3cret")).unwrap(), Caller::Staff);
    /// assert!(policy.caller(Some("guess")).is_err());
    /// ```
    pub fn caller(&self, bearer: Option<&str>) -> ServiceResult<Caller> {
        let Some(given) = bearer else {
            return Ok(Caller::Public);
        };
        let Some(expected) = self.staff_token.as_deref() else {
            return Err(ServiceError::Unauthorized(
                "this server has no staff token configured (gridmap serve --staff-token)".into(),
            ));
        };
        if same_token(given.trim(), expected) {
            Ok(Caller::Staff)
        } else {
            Err(ServiceError::Unauthorized(
                "the bearer token is not valid".into(),
            ))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
    }

    #[test]
    fn only_staff_and_operators_see_personal_data_or_edit() {
        assert!(!Caller::Public.sees_personal_data());
        assert!(Caller::Public.may_write().is_err());
        assert!(Caller::Staff.sees_personal_data());
        assert!(Caller::Staff.may_write().is_ok());
    }

    #[test]
    fn a_server_without_a_token_refuses_any_bearer() {
        let open = AccessPolicy::with_staff_token(Some(String::new()));
        assert!(open.caller(Some("anything")).is_err());
        assert_eq!(open.caller(None).unwrap(), Caller::Public);
    }
}
