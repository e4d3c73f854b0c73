//! [`AccessStore`](crate::AccessStore) for both SQL backends. The access tables are the
//! same in SQLite and PostgreSQL (see the migrations), and `$N` parameters mean the same
//! in both, so one body of SQL serves both stores: [`sql_access_store!`] expands it for a
//! store type that provides `access_pool()`, `begin_access_write()`,
//! `after_access_write()` and `audit_queue()`.

use crate::access::{stored_role, stored_scope, CredentialKind};
use crate::error::StoreResult;
use crate::{AuditEntry, AuditRecord, Credential};
use gridmap_core::Account;
use sqlx::Row;

/// The columns of `accounts` [`account_from_row`] reads, prefixed `a.`.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "a.id, a.login, a.role, a.scope, a.password_hash, a.disabled, a.created_at, a.staff";
/// The columns of `credentials` [`credential_from_row`] reads, prefixed `c.`.
pub(crate) const CREDENTIAL_COLUMNS: &str =
    "c.id AS credential_id, c.account, c.kind, c.label, c.created_at AS issued_at, c.expires_at, c.revoked";

pub(crate) fn account_from_row<R: Row>(row: &R) -> StoreResult<Account>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let get = |e| crate::decode::invalid("account", e);
    Ok(Account {
        id: row.try_get("id").map_err(get)?,
        login: row.try_get("login").map_err(get)?,
        role: stored_role(&row.try_get::<String, _>("role").map_err(get)?)?,
        scope: stored_scope(&row.try_get::<String, _>("scope").map_err(get)?)?,
        password_hash: row.try_get("password_hash").map_err(get)?,
        disabled: row.try_get("disabled").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        staff: row.try_get("staff").map_err(get)?,
    })
}

pub(crate) fn credential_from_row<R: Row>(row: &R) -> StoreResult<Credential>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let get = |e| crate::decode::invalid("credential", e);
    Ok(Credential {
        id: row.try_get("credential_id").map_err(get)?,
        account: row.try_get("account").map_err(get)?,
        kind: CredentialKind::parse(&row.try_get::<String, _>("kind").map_err(get)?)?,
        label: row.try_get("label").map_err(get)?,
        created_at: row.try_get("issued_at").map_err(get)?,
        expires_at: row.try_get("expires_at").map_err(get)?,
        revoked: row.try_get("revoked").map_err(get)?,
    })
}

pub(crate) fn audit_from_row<R: Row>(row: &R) -> StoreResult<AuditRecord>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let get = |e| crate::decode::invalid("audit entry", e);
    Ok(AuditRecord {
        id: row.try_get("id").map_err(get)?,
        entry: AuditEntry {
            at: row.try_get("at").map_err(get)?,
            actor: row.try_get("actor").map_err(get)?,
            action: row.try_get("action").map_err(get)?,
            target: row.try_get("target").map_err(get)?,
            origin: row.try_get("origin").map_err(get)?,
            detail: row.try_get("detail").map_err(get)?,
        },
    })
}

/// Expands `impl AccessStore for $store` over the shared SQL.
macro_rules! sql_access_store {
    ($store:ty) => {
        impl $store {
            /// Writes one batch of audit entries in one transaction (see
            /// [`AuditQueue`](crate::audit_queue::AuditQueue), which gathers them).
            async fn write_audit(&self, entries: &[$crate::AuditEntry]) -> $crate::StoreResult<()> {
                use $crate::error::DbStep;
                let started = std::time::Instant::now();
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to write the audit log")?;
                let waited = started.elapsed();
                if waited > std::time::Duration::from_secs(1) {
                    // The same words as the service's slow-step warnings (load.sh counts them).
                    tracing::warn!(ms = waited.as_millis() as u64, entries = entries.len(), "slow store step: waiting for the writer to append an audit batch");
                }
                for e in entries {
                    $crate::access_sql::insert_audit(e)
                    .execute(&mut *tx)
                    .await
                    .step("writing the audit log")?;
                }
                tx.commit().await.step("committing the audit log")?;
                self.after_access_write();
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::AccessStore for $store {
            async fn add_account(
                &self,
                account: &$crate::NewAccount,
            ) -> $crate::StoreResult<gridmap_core::Account> {
                use $crate::error::DbStep;
                account.check()?;
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to add an account")?;
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM accounts WHERE login = $1")
                        .bind(&account.login)
                        .fetch_optional(&mut *tx)
                        .await
                        .step("checking the login")?;
                if taken.is_some() {
                    return Err($crate::access::login_taken(&account.login));
                }
                sqlx::query(
                    "INSERT INTO accounts (login, role, scope, password_hash, disabled, created_at, staff)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&account.login)
                .bind(account.role.as_str())
                .bind(account.scope.to_string())
                .bind(&account.password_hash)
                .bind(false)
                .bind($crate::versions::now_rfc3339())
                .bind(account.staff.as_deref())
                .execute(&mut *tx)
                .await
                .step("adding an account")?;
                tx.commit().await.step("committing an account")?;
                self.after_access_write();
                self.account(&account.login)
                    .await?
                    .ok_or_else(|| $crate::access::no_account(&account.login))
            }

            async fn accounts(&self) -> $crate::StoreResult<Vec<gridmap_core::Account>> {
                use $crate::error::DbStep;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM accounts a ORDER BY a.login",
                    $crate::access_sql::ACCOUNT_COLUMNS
                ))
                .fetch_all(self.access_pool())
                .await
                .step("reading accounts")?;
                rows.iter()
                    .map($crate::access_sql::account_from_row)
                    .collect()
            }

            async fn account(
                &self,
                login: &str,
            ) -> $crate::StoreResult<Option<gridmap_core::Account>> {
                use $crate::error::DbStep;
                let row = sqlx::query(&format!(
                    "SELECT {} FROM accounts a WHERE a.login = $1",
                    $crate::access_sql::ACCOUNT_COLUMNS
                ))
                .bind(login)
                .fetch_optional(self.access_pool())
                .await
                .step("reading an account")?;
                row.as_ref()
                    .map($crate::access_sql::account_from_row)
                    .transpose()
            }

            async fn change_account(
                &self,
                login: &str,
                change: &$crate::AccountChange,
            ) -> $crate::StoreResult<gridmap_core::Account> {
                use $crate::error::DbStep;
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to change an account")?;
                let changed = sqlx::query(
                    "UPDATE accounts SET
                        password_hash = COALESCE($2, password_hash),
                        disabled = COALESCE($3, disabled),
                        role = COALESCE($4, role),
                        scope = COALESCE($5, scope),
                        staff = CASE WHEN CAST($6 AS TEXT) IS NULL THEN staff
                                     ELSE NULLIF(CAST($6 AS TEXT), '') END
                     WHERE login = $1",
                )
                .bind(login)
                .bind(change.password_hash.as_deref())
                .bind(change.disabled)
                .bind(change.role.map(|r| r.as_str()))
                .bind(change.scope.as_ref().map(|s| s.to_string()))
                .bind(change.staff.as_deref())
                .execute(&mut *tx)
                .await
                .step("changing an account")?
                .rows_affected();
                if changed == 0 {
                    return Err($crate::access::no_account(login));
                }
                tx.commit().await.step("committing an account change")?;
                self.after_access_write();
                self.account(login)
                    .await?
                    .ok_or_else(|| $crate::access::no_account(login))
            }

            async fn add_credential(
                &self,
                credential: &$crate::NewCredential,
            ) -> $crate::StoreResult<$crate::Credential> {
                use $crate::error::DbStep;
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to issue a credential")?;
                let created_at = $crate::versions::now_rfc3339();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO credentials (account, kind, label, created_at, expires_at, revoked)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(credential.account)
                .bind(credential.kind.as_str())
                .bind(&credential.label)
                .bind(&created_at)
                .bind(credential.expires_at)
                .bind(false)
                .fetch_one(&mut *tx)
                .await
                .step("issuing a credential")?;
                tx.commit().await.step("committing a credential")?;
                self.after_access_write();
                Ok($crate::Credential {
                    id,
                    account: credential.account,
                    kind: credential.kind,
                    label: credential.label.clone(),
                    created_at,
                    expires_at: credential.expires_at,
                    revoked: false,
                })
            }

            async fn credential(
                &self,
                id: i64,
            ) -> $crate::StoreResult<Option<($crate::Credential, gridmap_core::Account)>> {
                use $crate::error::DbStep;
                let row = sqlx::query(&format!(
                    "SELECT {}, {} FROM credentials c JOIN accounts a ON a.id = c.account
                     WHERE c.id = $1",
                    $crate::access_sql::CREDENTIAL_COLUMNS,
                    $crate::access_sql::ACCOUNT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(self.access_pool())
                .await
                .step("reading a credential")?;
                row.as_ref()
                    .map(|row| {
                        Ok((
                            $crate::access_sql::credential_from_row(row)?,
                            $crate::access_sql::account_from_row(row)?,
                        ))
                    })
                    .transpose()
            }

            async fn credentials(
                &self,
                account: i64,
            ) -> $crate::StoreResult<Vec<$crate::Credential>> {
                use $crate::error::DbStep;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM credentials c WHERE c.account = $1 ORDER BY c.id DESC",
                    $crate::access_sql::CREDENTIAL_COLUMNS
                ))
                .bind(account)
                .fetch_all(self.access_pool())
                .await
                .step("reading credentials")?;
                rows.iter()
                    .map($crate::access_sql::credential_from_row)
                    .collect()
            }

            async fn revoke_credential(&self, id: i64) -> $crate::StoreResult<bool> {
                use $crate::error::DbStep;
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to revoke a credential")?;
                let revoked = sqlx::query("UPDATE credentials SET revoked = $2 WHERE id = $1")
                    .bind(id)
                    .bind(true)
                    .execute(&mut *tx)
                    .await
                    .step("revoking a credential")?
                    .rows_affected();
                tx.commit().await.step("committing a revocation")?;
                self.after_access_write();
                Ok(revoked > 0)
            }

            async fn signing_key(&self, candidate: &[u8]) -> $crate::StoreResult<Vec<u8>> {
                use $crate::error::DbStep;
                $crate::access::check_signing_key(candidate)?;
                let stored: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT key FROM signing_keys WHERE id = 1")
                        .fetch_optional(self.access_pool())
                        .await
                        .step("reading the signing key")?;
                if let Some(key) = stored {
                    return Ok(key);
                }
                let mut tx = self
                    .begin_access_write()
                    .await
                    .step("starting to store the signing key")?;
                // Another instance may have stored one meanwhile: the first one stays.
                sqlx::query("INSERT INTO signing_keys (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                    .bind(candidate)
                    .execute(&mut *tx)
                    .await
                    .step("storing the signing key")?;
                let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM signing_keys WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await
                    .step("reading the signing key")?;
                tx.commit().await.step("committing the signing key")?;
                self.after_access_write();
                Ok(key)
            }

            async fn append_audit(&self, entries: &[$crate::AuditEntry]) -> $crate::StoreResult<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                let store = self.clone();
                self.audit_queue()
                    .append(entries, move |batch| async move { store.write_audit(&batch).await })
                    .await
            }
            async fn audit(
                &self,
                filter: &$crate::AuditFilter,
            ) -> $crate::StoreResult<Vec<$crate::AuditRecord>> {
                use $crate::error::DbStep;
                let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
                let rows = sqlx::query(
                    "SELECT id, at, actor, action, target, origin, detail FROM audit_log
                     WHERE ($1 IS NULL OR actor = $1)
                       AND ($2 IS NULL OR action = $2)
                       AND ($3 IS NULL OR substr(target, 1, length($3)) = $3)
                       AND ($4 IS NULL OR at >= $4)
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(filter.actor.as_deref())
                .bind(filter.action.as_deref())
                .bind(filter.target_prefix.as_deref())
                .bind(filter.since.as_deref())
                .bind(limit)
                .fetch_all(self.access_pool())
                .await
                .step("reading the audit log")?;
                rows.iter().map($crate::access_sql::audit_from_row).collect()
            }

            async fn login_failures(
                &self,
                login: &str,
                origin: &str,
                since: &str,
                limit: usize,
            ) -> $crate::StoreResult<$crate::LoginFailures> {
                use $crate::error::DbStep;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let mut found = Vec::with_capacity(2);
                for (sql, key, step) in [
                    ($crate::access_sql::FAILURES_BY_LOGIN, login, "reading a login's failed sign-ins"),
                    ($crate::access_sql::FAILURES_BY_ORIGIN, origin, "reading an address's failed sign-ins"),
                ] {
                    let times: Vec<String> = sqlx::query_scalar(sql)
                        .bind(key)
                        .bind(since)
                        .bind(limit)
                        .fetch_all(self.access_pool())
                        .await
                        .step(step)?;
                    found.push(times);
                }
                let by_origin = found.pop().unwrap_or_default();
                let by_login = found.pop().unwrap_or_default();
                Ok($crate::LoginFailures { by_login, by_origin })
            }
        }
    };
}

/// A login's failed sign-ins since its last successful one ([`crate::LoginFailures`]).
/// The actions are written out (not bound) so the partial indexes of the audit log on
/// them serve the statement; `the_failure_statements_name_the_audited_words` checks
/// they are [`crate::LOGIN_REFUSED_ACTION`], [`crate::LOGIN_ACTION`] and
/// [`crate::WRONG_PASSWORD_DETAIL`].
pub(crate) const FAILURES_BY_LOGIN: &str = "SELECT at FROM audit_log
     WHERE action = 'login refused' AND target = $1 AND at >= $2
       AND detail = 'wrong login or password'
       AND id > COALESCE((SELECT max(id) FROM audit_log WHERE action = 'login' AND target = $1), 0)
     ORDER BY id DESC LIMIT $3";

/// An address's failed sign-ins ([`crate::LoginFailures`]).
pub(crate) const FAILURES_BY_ORIGIN: &str = "SELECT at FROM audit_log
     WHERE action = 'login refused' AND origin = $1 AND at >= $2
       AND detail = 'wrong login or password'
     ORDER BY id DESC LIMIT $3";

pub(crate) use sql_access_store;

/// The statement that appends audit entry `e` (the same on SQLite and PostgreSQL).
pub(crate) fn insert_audit<'q, DB: sqlx::Database>(
    e: &'q crate::AuditEntry,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, origin, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.at.as_str())
    .bind(e.actor.as_str())
    .bind(e.action.as_str())
    .bind(e.target.as_str())
    .bind(e.origin.as_str())
    .bind(e.detail.as_str())
}

#[cfg(test)]
mod tests {
    use super::{FAILURES_BY_LOGIN, FAILURES_BY_ORIGIN};
    use crate::{LOGIN_ACTION, LOGIN_REFUSED_ACTION, WRONG_PASSWORD_DETAIL};

    #[test]
    fn the_failure_statements_name_the_audited_words() {
        for sql in [FAILURES_BY_LOGIN, FAILURES_BY_ORIGIN] {
            assert!(sql.contains(&format!("action = '{LOGIN_REFUSED_ACTION}'")));
            assert!(sql.contains(&format!("detail = '{WRONG_PASSWORD_DETAIL}'")));
        }
        assert!(FAILURES_BY_LOGIN.contains(&format!("action = '{LOGIN_ACTION}'")));
    }
}
