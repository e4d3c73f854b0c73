//! The memory store's accounts, credentials and audit log: the same answers as the SQL
//! stores (see `access_sql.rs`), from plain collections.

use super::MemoryStore;
use crate::access::{check_signing_key, login_taken, no_account};
use crate::error::StoreResult;
use crate::versions::now_rfc3339;
use crate::{
    AccessStore, AccountChange, AuditEntry, AuditFilter, AuditRecord, Credential, LoginFailures,
    NewAccount, NewCredential, LOGIN_ACTION,
};
use async_trait::async_trait;
use gridmap_core::Account;

/// What the memory store keeps for access control.
#[derive(Debug, Default, Clone)]
pub(super) struct AccessState {
    accounts: Vec<Account>,
    credentials: Vec<Credential>,
    signing_key: Option<Vec<u8>>,
    audit: Vec<AuditRecord>,
}

impl AccessState {
    /// Appends `entry` to the audit log.
    pub(super) fn append_audit(&mut self, entry: AuditEntry) {
        let id = self.audit.len() as i64 + 1;
        self.audit.push(AuditRecord { id, entry });
    }
}

#[async_trait]
impl AccessStore for MemoryStore {
    async fn add_account(&self, account: &NewAccount) -> StoreResult<Account> {
        account.check()?;
        let mut s = self.state();
        let access = &mut s.access;
        if access.accounts.iter().any(|a| a.login == account.login) {
            return Err(login_taken(&account.login));
        }
        let stored = Account {
            id: access.accounts.len() as i64 + 1,
            login: account.login.clone(),
            role: account.role,
            scope: account.scope.clone(),
            password_hash: account.password_hash.clone(),
            disabled: false,
            created_at: now_rfc3339(),
            staff: account.staff.clone(),
        };
        access.accounts.push(stored.clone());
        Ok(stored)
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let mut all = self.state().access.accounts.clone();
        all.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(all)
    }

    async fn account(&self, login: &str) -> StoreResult<Option<Account>> {
        let s = self.state();
        Ok(s.access.accounts.iter().find(|a| a.login == login).cloned())
    }

    async fn change_account(&self, login: &str, change: &AccountChange) -> StoreResult<Account> {
        let mut s = self.state();
        let account = s
            .access
            .accounts
            .iter_mut()
            .find(|a| a.login == login)
            .ok_or_else(|| no_account(login))?;
        if let Some(hash) = &change.password_hash {
            account.password_hash = hash.clone();
        }
        if let Some(disabled) = change.disabled {
            account.disabled = disabled;
        }
        if let Some(role) = change.role {
            account.role = role;
        }
        if let Some(scope) = &change.scope {
            account.scope = scope.clone();
        }
        if let Some(staff) = &change.staff {
            account.staff = Some(staff.clone()).filter(|s| !s.is_empty());
        }
        Ok(account.clone())
    }

    async fn add_credential(&self, credential: &NewCredential) -> StoreResult<Credential> {
        let mut s = self.state();
        let stored = Credential {
            id: s.access.credentials.len() as i64 + 1,
            account: credential.account,
            kind: credential.kind,
            label: credential.label.clone(),
            created_at: now_rfc3339(),
            expires_at: credential.expires_at,
            revoked: false,
        };
        s.access.credentials.push(stored.clone());
        Ok(stored)
    }

    async fn credential(&self, id: i64) -> StoreResult<Option<(Credential, Account)>> {
        let s = self.state();
        let Some(credential) = s.access.credentials.iter().find(|c| c.id == id) else {
            return Ok(None);
        };
        let account = s
            .access
            .accounts
            .iter()
            .find(|a| a.id == credential.account)
            .cloned();
        Ok(account.map(|a| (credential.clone(), a)))
    }

    async fn credentials(&self, account: i64) -> StoreResult<Vec<Credential>> {
        let s = self.state();
        let mut found: Vec<Credential> = s
            .access
            .credentials
            .iter()
            .filter(|c| c.account == account)
            .cloned()
            .collect();
        found.reverse();
        Ok(found)
    }

    async fn revoke_credential(&self, id: i64) -> StoreResult<bool> {
        let mut s = self.state();
        let found = s.access.credentials.iter_mut().find(|c| c.id == id);
        Ok(found.map(|c| c.revoked = true).is_some())
    }

    async fn signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        check_signing_key(candidate)?;
        let mut s = self.state();
        Ok(s.access
            .signing_key
            .get_or_insert_with(|| candidate.to_vec())
            .clone())
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        let mut s = self.state();
        for entry in entries {
            s.access.append_audit(entry.clone());
        }
        Ok(())
    }

    async fn audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        let s = self.state();
        Ok(s.access
            .audit
            .iter()
            .rev()
            .filter(|r| filter.passes(&r.entry))
            .take(filter.limit)
            .cloned()
            .collect())
    }

    async fn login_failures(
        &self,
        login: &str,
        origin: &str,
        since: &str,
        limit: usize,
    ) -> StoreResult<LoginFailures> {
        let s = self.state();
        let audit = &s.access.audit;
        let last_success = audit
            .iter()
            .rev()
            .find(|r| r.entry.action == LOGIN_ACTION && r.entry.target == login)
            .map_or(0, |r| r.id);
        let mut failures = LoginFailures::default();
        for record in audit.iter().rev() {
            failures.add(record, login, origin, since, last_success);
        }
        failures.by_login.truncate(limit);
        failures.by_origin.truncate(limit);
        Ok(failures)
    }
}
