//! Who is calling, and what they may see and do. Every use case that returns data or
//! changes it takes the caller, so access is decided here and not in a handler: the
//! HTTP API and the command line share these checks.
//!
//! A signed-in user's rights are its [`Role`] inside its [`AccessScope`] (see
//! `gridmap_core::model::account`); a request outside the scope is refused with
//! [`ServiceError::Forbidden`] before anything is looked up, so the refusal says nothing
//! about whether the thing exists.

use crate::error::{ServiceError, ServiceResult};
use gridmap_core::{AccessScope, DivisionCode, GridCode, Role};

/// A signed-in account, as checked for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: i64,
    pub login: String,
    pub role: Role,
    pub scope: AccessScope,
    /// The roster's staff id the account is linked to.
    pub staff: Option<String>,
    /// The session or token presented.
    pub credential: i64,
    /// Where the request came from (the client's address), for the audit log.
    pub origin: String,
}

/// The caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// No credentials: public data only (no household heads, phones or tags).
    Public,
    /// A signed-in account.
    User(Principal),
    /// The operator at the command line of the machine holding the store: whoever can
    /// run commands there can read the store's file anyway.
    Operator,
}

impl Caller {
    /// Whether household heads, phones and members of a household in `village`,
    /// belonging to `grids`, may be shown.
    pub fn sees_personal_data_at(
        &self,
        village: Option<&DivisionCode>,
        grids: &[GridCode],
    ) -> bool {
        match self {
            Caller::Operator => true,
            Caller::User(p) => p.role.reads_personal_data() && p.scope.covers_place(village, grids),
            Caller::Public => false,
        }
    }

    /// Refuses callers that may not change the grids of `village` (planners and
    /// administrators whose scope covers the whole village; the operator).
    pub fn may_edit_village(&self, village: &DivisionCode) -> ServiceResult<()> {
        self.allowed("change grids", Role::edits_grids, "planner or admin", |s| {
            s.covers_village(village)
        })
    }

    /// Refuses callers that may not plan `village`: read its plan, versions and
    /// violations (planners and administrators with any part of it in scope).
    pub fn may_plan_village(&self, village: &DivisionCode) -> ServiceResult<()> {
        self.allowed("plan grids", Role::edits_grids, "planner or admin", |s| {
            s.touches_village(village)
        })
    }

    /// Refuses callers that may not correct the register entry of a household in
    /// `village` belonging to `grids` (its situation tags): staff, planners and
    /// administrators who see its personal data.
    pub fn may_edit_household(
        &self,
        village: Option<&DivisionCode>,
        grids: &[GridCode],
    ) -> ServiceResult<()> {
        let needs = "staff, planner or admin";
        self.allowed(
            "edit household tags",
            Role::reads_personal_data,
            needs,
            |s| s.covers_place(village, grids),
        )
    }

    /// Refuses callers that may not change a staff member's record (the photo on the
    /// notice board) serving `grids` in `area`: planners and administrators with them in
    /// scope.
    pub fn may_manage_staff(
        &self,
        area: Option<&DivisionCode>,
        grids: &[GridCode],
    ) -> ServiceResult<()> {
        self.allowed("manage staff", Role::edits_grids, "planner or admin", |s| {
            s.covers_place(area, grids)
        })
    }

    /// Refuses callers that may not report or move incidents at a place in `village`
    /// belonging to `grid` (staff, planners and administrators with it in scope).
    pub fn may_work_incident(
        &self,
        village: Option<&DivisionCode>,
        grid: Option<&GridCode>,
    ) -> ServiceResult<()> {
        let needs = "staff, planner or admin";
        self.allowed("work on incidents", Role::works_incidents, needs, |s| {
            s.covers_place(village, one(grid))
        })
    }

    /// The one shape of every check: signed in (else 401), a role that may `what`
    /// (else 403 naming the roles it `needs`), and the place inside the scope (else the
    /// same 403 whatever was asked).
    fn allowed(
        &self,
        what: &str,
        role_may: fn(Role) -> bool,
        needs: &str,
        in_scope: impl FnOnce(&AccessScope) -> bool,
    ) -> ServiceResult<()> {
        let p = self.signed_in(what)?;
        if !role_may(p.role) {
            return Err(role_refused(p, what, needs));
        }
        if !in_scope(&p.scope) {
            return Err(outside_scope(p));
        }
        Ok(())
    }

    /// Refuses callers that may not see anything of the place in `village` belonging to
    /// `grid` beyond what is public (an incident's detail): signed-in users outside
    /// their scope. Public callers pass: they get the public view.
    pub fn may_look_at(
        &self,
        village: Option<&DivisionCode>,
        grid: Option<&GridCode>,
    ) -> ServiceResult<()> {
        match self {
            Caller::User(p) if !p.scope.covers_place(village, one(grid)) => Err(outside_scope(p)),
            _ => Ok(()),
        }
    }

    /// Refuses callers that may not read the change history or the roster of staff
    /// phones (office roles: staff, planners, administrators).
    pub fn must_be_office(&self, what: &str) -> ServiceResult<()> {
        let needs = "staff, planner or admin";
        self.allowed(what, Role::reads_personal_data, needs, |_| true)
    }

    /// Refuses callers other than administrators whose scope covers `scope` (and the
    /// operator): managing accounts, reading the audit log.
    pub fn must_administer(&self, scope: &AccessScope) -> ServiceResult<()> {
        let what = "manage accounts or read the audit log";
        self.allowed(what, |r| r == Role::Admin, "admin", |s| s.includes(scope))
    }

    /// Refuses callers other than administrators (of any scope) and the operator.
    pub fn must_be_admin(&self) -> ServiceResult<()> {
        let what = "manage accounts";
        self.allowed(what, |r| r == Role::Admin, "admin", |_| true)
    }

    /// Refuses everyone but the operator at the command line and administrators of
    /// the whole store: imports and partition runs change any village.
    pub fn must_own_store(&self, what: &str) -> ServiceResult<()> {
        let p = self.signed_in(what)?;
        if p.role == Role::Admin && p.scope == AccessScope::All {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "{what} is for the command line or an admin of scope all; account {} is {} of {}",
                p.login, p.role, p.scope
            )))
        }
    }

    /// The principal, or `None` for the operator (who may do anything); refuses the
    /// public with [`ServiceError::Unauthorized`].
    fn signed_in(&self, what: &str) -> ServiceResult<&Principal> {
        match self {
            Caller::User(p) => Ok(p),
            Caller::Operator => Ok(&OPERATOR),
            Caller::Public => Err(ServiceError::Unauthorized(format!(
                "{what} needs you to sign in (the login page, or Authorization: Bearer <token> from `gridmap user token`)"
            ))),
        }
    }

    /// A signed-in caller made directly, for tools and tests acting as an account.
    pub fn account(login: &str, role: Role, scope: AccessScope) -> Caller {
        Caller::User(Principal {
            account: 0,
            login: login.to_owned(),
            role,
            scope,
            staff: None,
            credential: 0,
            origin: "local".to_owned(),
        })
    }

    /// The account's login, `cli` for the operator, `public` without one: the actor
    /// written into the change log and the audit log.
    pub fn actor(&self) -> &str {
        match self {
            Caller::Public => "public",
            Caller::User(p) => &p.login,
            Caller::Operator => "cli",
        }
    }

    /// Where the call came from, for the audit log.
    pub fn origin(&self) -> &str {
        match self {
            Caller::User(p) => &p.origin,
            Caller::Public => "unknown",
            Caller::Operator => "cli",
        }
    }

    /// The signed-in principal, if any.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::User(p) => Some(p),
            _ => None,
        }
    }

    /// The scope a signed-in user's incident lists, counts, wall figures and live
    /// events are cut to; `None` when nothing is cut: the operator, accounts of `all`,
    /// and public callers, who get the public view of every incident (as Open311 does).
    pub fn incident_scope(&self) -> Option<&AccessScope> {
        match self {
            Caller::User(p) if p.scope != AccessScope::All => Some(&p.scope),
            _ => None,
        }
    }

    /// Refuses a signed-in user asking for the figures of `unit` (a county, township or
    /// village) when no part of it lies in the scope.
    pub fn may_see_figures_of(&self, unit: &DivisionCode) -> ServiceResult<()> {
        match self {
            Caller::User(p) if !p.scope.touches_unit(unit) => Err(outside_scope(p)),
            _ => Ok(()),
        }
    }

    /// Whether the caller is signed in as an account or is the operator.
    pub fn is_signed_in(&self) -> bool {
        !matches!(self, Caller::Public)
    }
}

/// The operator's rights, as a principal: an administrator of everything.
static OPERATOR: Principal = Principal {
    account: 0,
    login: String::new(),
    role: Role::Admin,
    scope: AccessScope::All,
    staff: None,
    credential: 0,
    origin: String::new(),
};

/// `grid` as a slice of none or one.
fn one(grid: Option<&GridCode>) -> &[GridCode] {
    grid.map(std::slice::from_ref).unwrap_or_default()
}

fn role_refused(p: &Principal, what: &str, needs: &str) -> ServiceError {
    ServiceError::Forbidden(format!(
        "account {} is {}: to {what} it must be {needs}",
        p.login, p.role
    ))
}

/// The same words whatever was asked for, so a refusal tells nothing about what lies
/// outside the scope.
fn outside_scope(p: &Principal) -> ServiceError {
    ServiceError::Forbidden(format!(
        "this is outside the scope of account {} ({})",
        p.login, p.scope
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, scope: &str) -> Caller {
        Caller::User(Principal {
            account: 1,
            login: "li".into(),
            role,
            scope: scope.parse().unwrap(),
            staff: None,
            credential: 1,
            origin: "127.0.0.1".into(),
        })
    }

    fn village(code: &str) -> DivisionCode {
        code.parse().unwrap()
    }

    fn grid(code: &str) -> GridCode {
        code.parse().unwrap()
    }

    #[test]
    fn personal_data_only_inside_the_scope_and_never_for_viewers_or_the_public() {
        let here = village("411622101201");
        let there = village("411622102201");
        let staff = user(Role::Staff, "411622101");
        assert!(staff.sees_personal_data_at(Some(&here), &[]));
        assert!(!staff.sees_personal_data_at(Some(&there), &[]));
        assert!(!user(Role::Viewer, "411622").sees_personal_data_at(Some(&here), &[]));
        assert!(!user(Role::Wall, "all").sees_personal_data_at(Some(&here), &[]));
        assert!(!Caller::Public.sees_personal_data_at(Some(&here), &[]));
        assert!(Caller::Operator.sees_personal_data_at(None, &[]));

        let mine = user(Role::Staff, "grids:411622101201-002");
        assert!(mine.sees_personal_data_at(Some(&here), &[grid("411622101201-002")]));
        assert!(!mine.sees_personal_data_at(Some(&here), &[grid("411622101201-003")]));
    }

    #[test]
    fn only_planners_and_admins_edit_and_only_inside_their_scope() {
        let here = village("411622101201");
        let there = village("411622102201");
        assert!(user(Role::Planner, "411622101")
            .may_edit_village(&here)
            .is_ok());
        let outside = user(Role::Planner, "411622101").may_edit_village(&there);
        assert!(matches!(outside, Err(ServiceError::Forbidden(_))));
        let staff = user(Role::Staff, "411622").may_edit_village(&here);
        assert!(matches!(staff, Err(ServiceError::Forbidden(_))));
        let public = Caller::Public.may_edit_village(&here);
        assert!(matches!(public, Err(ServiceError::Unauthorized(_))));
        assert!(Caller::Operator.may_edit_village(&here).is_ok());
    }

    #[test]
    fn refusals_outside_the_scope_read_alike_whatever_was_asked() {
        let p = user(Role::Planner, "411622101");
        let a = p.may_edit_village(&village("411622102201")).unwrap_err();
        let b = p.may_edit_village(&village("411622999999")).unwrap_err();
        assert_eq!(a.to_string(), b.to_string());
    }

    #[test]
    fn administrators_manage_only_accounts_inside_their_scope() {
        let township = user(Role::Admin, "411622101");
        assert!(township
            .must_administer(&"411622101201".parse().unwrap())
            .is_ok());
        assert!(township
            .must_administer(&"411622".parse().unwrap())
            .is_err());
        assert!(user(Role::Planner, "all")
            .must_administer(&AccessScope::All)
            .is_err());
        assert!(township.must_own_store("importing").is_err());
        assert!(user(Role::Admin, "all").must_own_store("importing").is_ok());
    }
}
