//! Accounts and credentials: passwords hashed with argon2, browser sessions and API
//! tokens signed with the store's key, expiring and revocable, a limit on failed logins,
//! and the audit log. The checks of what a caller may do are in [`crate::caller`].
//!
//! A credential is `gm_<id>_<expires>_<signature>`: the id of its row in the store, its
//! expiry in Unix seconds, and an HMAC-SHA256 of both under the store's signing key. A
//! forged or altered credential is refused without a database read; a real one is then
//! checked against its row (revoked? account disabled?) on every request.

use crate::caller::{Caller, Principal};
use crate::error::{ServiceError, ServiceResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use gridmap_core::{AccessScope, Account, Role};
use gridmap_store::{
    AccountChange, AuditEntry, AuditFilter, AuditRecord, ChangeMeta, Credential, CredentialKind,
    NewAccount, NewCredential, Store, LOGIN_ACTION, LOGIN_REFUSED_ACTION, WRONG_PASSWORD_DETAIL,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How credentials are issued and logins limited. The defaults suit a county office.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    /// How long a browser session lasts after its login.
    pub session_seconds: i64,
    /// Failed logins allowed per login name and per client address in `lockout_seconds`.
    pub max_failed_logins: usize,
    pub lockout_seconds: i64,
}

impl Default for AccessPolicy {
    fn default() -> AccessPolicy {
        AccessPolicy {
            session_seconds: 12 * 3600,
            max_failed_logins: 5,
            lockout_seconds: 15 * 60,
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// What signs and checks credentials.
pub struct Credentials {
    policy: AccessPolicy,
    key: Vec<u8>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Credentials")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A credential just issued: the text to present (shown once, never stored) and its row.
#[derive(Debug, Clone)]
pub struct Issued {
    pub secret: String,
    pub credential: Credential,
}

impl Credentials {
    /// Reads the store's signing key, making one on the first start.
    pub async fn load(store: &dyn Store, policy: AccessPolicy) -> ServiceResult<Credentials> {
        let mut candidate = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut candidate);
        let key = store.signing_key(&candidate).await?;
        Ok(Credentials { policy, key })
    }

    pub fn policy(&self) -> &AccessPolicy {
        &self.policy
    }

    fn signature(&self, id: i64, expires: i64) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("{id}.{expires}").as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The text that presents `credential` (what [`Credentials::issue`] returned when
    /// it was made): for tools and tests that store a credential themselves.
    pub fn present(&self, credential: &Credential) -> String {
        self.encode(credential.id, credential.expires_at)
    }

    fn encode(&self, id: i64, expires: i64) -> String {
        format!(
            "gm_{id}_{expires}_{}",
            hex::encode(self.signature(id, expires))
        )
    }

    /// The id and expiry of a well-formed credential whose signature is right.
    fn decode(&self, text: &str) -> Option<(i64, i64)> {
        let mut parts = text.strip_prefix("gm_")?.splitn(3, '_');
        let id: i64 = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let given = parts.next()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(format!("{id}.{expires}").as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&hex::decode(given).ok()?).ok()?;
        Some((id, expires))
    }

    /// Issues a credential of `kind` to `account`, valid for `seconds`.
    pub async fn issue(
        &self,
        store: &dyn Store,
        account: &Account,
        kind: CredentialKind,
        label: &str,
        seconds: i64,
        now: i64,
    ) -> ServiceResult<Issued> {
        let credential = store
            .add_credential(&NewCredential {
                account: account.id,
                kind,
                label: label.to_owned(),
                expires_at: now.saturating_add(seconds),
            })
            .await?;
        Ok(Issued {
            secret: self.encode(credential.id, credential.expires_at),
            credential,
        })
    }

    /// The caller presenting `text` (a bearer token or a session cookie's value) from
    /// `origin`. Anything wrong (forged, expired, revoked, account disabled) is refused
    /// with the same words, so a guess learns nothing.
    pub async fn caller(
        &self,
        store: &dyn Store,
        text: &str,
        origin: &str,
        now: i64,
    ) -> ServiceResult<Caller> {
        let refused = || {
            ServiceError::Unauthorized(
                "the credential is not valid (expired, revoked, or mistyped): sign in again or ask an administrator for a new token".into(),
            )
        };
        let (id, expires) = self.decode(text.trim()).ok_or_else(refused)?;
        if expires <= now {
            return Err(refused());
        }
        let started = std::time::Instant::now();
        let found = store.credential(id).await;
        warn_if_slow("reading the credential", started);
        let (credential, account) = found?.ok_or_else(refused)?;
        if credential.revoked || credential.expires_at != expires || account.disabled {
            return Err(refused());
        }
        Ok(Caller::User(Principal {
            account: account.id,
            login: account.login,
            role: account.role,
            scope: account.scope,
            staff: account.staff,
            credential: credential.id,
            origin: origin.to_owned(),
        }))
    }

    /// Signs `login` in with `password` from `origin`: a session credential, or a
    /// refusal that does not say whether the login exists. Each attempt is audited;
    /// after [`AccessPolicy::max_failed_logins`] failures for the login or the address
    /// in [`AccessPolicy::lockout_seconds`], further attempts are refused unchecked.
    pub async fn login(
        &self,
        store: &dyn Store,
        login: &str,
        password: &str,
        origin: &str,
        now: i64,
    ) -> ServiceResult<(Issued, Account)> {
        // The name tried is the attacker's text: kept short in the audit log.
        let tried: String = login.chars().take(gridmap_store::MAX_LOGIN).collect();
        let refused = |why: &'static str| {
            audit(
                store,
                now,
                &tried,
                LOGIN_REFUSED_ACTION,
                &tried,
                origin,
                why,
            )
        };
        if let Some(wait) = self.locked_out(store, &tried, origin, now).await? {
            refused("too many failed attempts").await?;
            return Err(ServiceError::TooManyRequests(format!(
                "too many failed sign-ins: try again in {} minutes",
                (wait + 59) / 60
            )));
        }
        let account = store.account(login).await?;
        let verified = match &account {
            Some(a) if !a.disabled => verify_password(password, &a.password_hash),
            // Hash anyway, so a missing login takes as long as a wrong password.
            _ => {
                let _ = hash_password("timing-equaliser");
                false
            }
        };
        let Some(account) = account.filter(|_| verified) else {
            // The audit entry is the failure's record: the count is read back from it.
            refused(WRONG_PASSWORD_DETAIL).await?;
            return Err(ServiceError::Unauthorized("wrong login or password".into()));
        };
        let issued = self
            .issue(
                store,
                &account,
                CredentialKind::Session,
                &format!("browser from {origin}"),
                self.policy.session_seconds,
                now,
            )
            .await?;
        audit(
            store,
            now,
            &account.login,
            LOGIN_ACTION,
            &account.login,
            origin,
            "",
        )
        .await?;
        Ok((issued, account))
    }

    /// Seconds left of a lockout of `login` or `origin`, if either has had
    /// [`AccessPolicy::max_failed_logins`] failures in the last
    /// [`AccessPolicy::lockout_seconds`] (a login's counted since its last successful
    /// sign-in). The failures are the audit log's, shared by every instance on the store.
    async fn locked_out(
        &self,
        store: &dyn Store,
        login: &str,
        origin: &str,
        now: i64,
    ) -> ServiceResult<Option<i64>> {
        let (window, max) = (self.policy.lockout_seconds, self.policy.max_failed_logins);
        if max == 0 {
            return Ok(None);
        }
        let since = gridmap_core::time::rfc3339(now - window + 1);
        let failures = store.login_failures(login, origin, &since, max).await?;
        // Locked until the oldest of the newest `max` failures leaves the window.
        let wait = [failures.by_login, failures.by_origin]
            .iter()
            .filter_map(|times| times.get(max - 1))
            .filter_map(|at| gridmap_importers::time::parse_time(at))
            .map(|at| (at + window - now).max(1))
            .max();
        Ok(wait)
    }
}

/// Hashes a password with argon2id and a random salt (a PHC string).
pub fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("cannot hash a password: {e}")))
}

/// Whether `password` matches the argon2 `hash`; an empty or unreadable hash matches
/// nothing (token-only accounts).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Refuses a password too short to resist guessing.
pub fn check_password(password: &str) -> ServiceResult<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ServiceError::BadInput(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// A random password for a new account: 16 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), about 90 bits.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Appends one entry to the audit log.
pub async fn audit(
    store: &dyn Store,
    now: i64,
    actor: &str,
    action: &str,
    target: &str,
    origin: &str,
    detail: &str,
) -> ServiceResult<()> {
    let started = std::time::Instant::now();
    let appended = store
        .append_audit(&[AuditEntry {
            at: gridmap_core::time::rfc3339(now),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            origin: origin.to_owned(),
            detail: detail.to_owned(),
        }])
        .await;
    warn_if_slow("appending to the audit log", started);
    appended?;
    Ok(())
}

/// A store step on a request's path slower than this is logged: under load it says
/// which step the requests wait for.
const SLOW_STEP: std::time::Duration = std::time::Duration::from_secs(1);

/// Logs a warning when the step `what`, begun at `started`, took longer than [`SLOW_STEP`].
pub(crate) fn warn_if_slow(what: &str, started: std::time::Instant) {
    let took = started.elapsed();
    if took > SLOW_STEP {
        tracing::warn!(ms = took.as_millis() as u64, "slow store step: {what}");
    }
}

/// The change a write by `caller` on `target` stores, with its audit entry (who, when,
/// what, and from where — the change log has who and when, not where), which the store
/// writes in the same transaction as the change.
pub fn audited_change(caller: &Caller, target: &str, operation: String) -> ChangeMeta {
    let entry = AuditEntry {
        at: gridmap_core::time::rfc3339(crate::incidents::now()),
        actor: caller.actor().to_owned(),
        action: "write".to_owned(),
        target: target.to_owned(),
        origin: caller.origin().to_owned(),
        detail: operation.clone(),
    };
    ChangeMeta::new(caller.actor(), operation).audited(entry)
}

/// An account to create through [`add_account`].
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub login: String,
    pub role: Role,
    pub scope: AccessScope,
    /// `None`: a random password is made and returned once.
    pub password: Option<String>,
    /// The roster's staff id of the person (a grid worker's phone shows the work orders
    /// dispatched to it).
    pub staff: Option<String>,
}

/// Refuses a staff id the roster does not hold (`""` unlinks and passes).
async fn check_staff_link(store: &dyn Store, staff: Option<&str>) -> ServiceResult<()> {
    let Some(id) = staff.filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    if store.staff().await?.iter().any(|s| s.id == id) {
        Ok(())
    } else {
        Err(ServiceError::BadInput(format!(
            "no staff member {id:?} in the roster: import the roster first, or name a staff id it holds"
        )))
    }
}

/// Creates an account (administrators, inside their scope). Returns it with the
/// password when one was made for it.
pub async fn add_account(
    store: &dyn Store,
    caller: &Caller,
    request: &AccountRequest,
    now: i64,
) -> ServiceResult<(Account, Option<String>)> {
    caller.must_administer(&request.scope)?;
    let made = request.password.is_none().then(random_password);
    let password = request
        .password
        .clone()
        .or_else(|| made.clone())
        .unwrap_or_default();
    check_password(&password)?;
    check_staff_link(store, request.staff.as_deref()).await?;
    let account = store
        .add_account(&NewAccount {
            login: request.login.clone(),
            role: request.role,
            scope: request.scope.clone(),
            password_hash: hash_password(&password)?,
            staff: request.staff.clone().filter(|s| !s.is_empty()),
        })
        .await?;
    let detail = format!("{} of {}", account.role, account.scope);
    audit(
        store,
        now,
        caller.actor(),
        "add account",
        &account.login,
        caller.origin(),
        &detail,
    )
    .await?;
    Ok((account, made))
}

/// The accounts a caller administers.
pub async fn accounts(store: &dyn Store, caller: &Caller) -> ServiceResult<Vec<Account>> {
    caller.must_be_admin()?;
    let all = store.accounts().await?;
    Ok(all
        .into_iter()
        .filter(|a| caller.must_administer(&a.scope).is_ok())
        .collect())
}

/// The account `login`, when the caller administers it; otherwise the same refusal
/// whether or not it exists.
async fn administered(store: &dyn Store, caller: &Caller, login: &str) -> ServiceResult<Account> {
    let account = store.account(login).await?;
    match account {
        Some(a) if caller.must_administer(&a.scope).is_ok() => Ok(a),
        Some(_) | None => {
            caller.must_be_admin()?;
            Err(ServiceError::NotFound(format!(
                "no account {login:?} that you administer"
            )))
        }
    }
}

/// Changes an account's password, disables or enables it, or changes its role or scope
/// (administrators, inside their scope). Disabling refuses every credential it holds at
/// once.
pub async fn change_account(
    store: &dyn Store,
    caller: &Caller,
    login: &str,
    password: Option<&str>,
    change: AccountChange,
    now: i64,
) -> ServiceResult<Account> {
    administered(store, caller, login).await?;
    if let Some(scope) = &change.scope {
        caller.must_administer(scope)?;
    }
    check_staff_link(store, change.staff.as_deref()).await?;
    let mut change = change;
    if let Some(password) = password {
        check_password(password)?;
        change.password_hash = Some(hash_password(password)?);
    }
    let account = store.change_account(login, &change).await?;
    let mut what = Vec::new();
    if change.password_hash.is_some() {
        what.push("password".to_owned());
    }
    if let Some(d) = change.disabled {
        what.push(if d { "disabled" } else { "enabled" }.to_owned());
    }
    if let Some(r) = change.role {
        what.push(format!("role {r}"));
    }
    if let Some(s) = &change.scope {
        what.push(format!("scope {s}"));
    }
    if let Some(s) = &change.staff {
        what.push(format!("staff {s:?}"));
    }
    audit(
        store,
        now,
        caller.actor(),
        "change account",
        login,
        caller.origin(),
        &what.join(", "),
    )
    .await?;
    Ok(account)
}

/// Issues a bearer token to `login` for an API client or a wall display.
pub async fn issue_token(
    store: &dyn Store,
    credentials: &Credentials,
    caller: &Caller,
    login: &str,
    label: &str,
    seconds: i64,
    now: i64,
) -> ServiceResult<Issued> {
    let account = administered(store, caller, login).await?;
    if seconds <= 0 {
        return Err(ServiceError::BadInput(
            "a token must last some time: give a positive --expires".into(),
        ));
    }
    let issued = credentials
        .issue(store, &account, CredentialKind::Token, label, seconds, now)
        .await?;
    let detail = format!("token {} ({label})", issued.credential.id);
    audit(
        store,
        now,
        caller.actor(),
        "issue token",
        login,
        caller.origin(),
        &detail,
    )
    .await?;
    Ok(issued)
}

/// The credentials of `login`, newest first.
pub async fn credentials_of(
    store: &dyn Store,
    caller: &Caller,
    login: &str,
) -> ServiceResult<Vec<Credential>> {
    let account = administered(store, caller, login).await?;
    Ok(store.credentials(account.id).await?)
}

/// Revokes credential `id` of `login`.
pub async fn revoke(
    store: &dyn Store,
    caller: &Caller,
    login: &str,
    id: i64,
    now: i64,
) -> ServiceResult<()> {
    let account = administered(store, caller, login).await?;
    let owned = store
        .credentials(account.id)
        .await?
        .iter()
        .any(|c| c.id == id);
    if !owned || !store.revoke_credential(id).await? {
        return Err(ServiceError::NotFound(format!(
            "account {login:?} has no credential {id}"
        )));
    }
    audit(
        store,
        now,
        caller.actor(),
        "revoke credential",
        login,
        caller.origin(),
        &id.to_string(),
    )
    .await?;
    Ok(())
}

/// Ends the session or token the caller presented (a logout).
pub async fn sign_out(store: &dyn Store, caller: &Caller, now: i64) -> ServiceResult<()> {
    if let Some(p) = caller.principal() {
        store.revoke_credential(p.credential).await?;
        audit(store, now, &p.login, "logout", &p.login, &p.origin, "").await?;
    }
    Ok(())
}

/// Audit entries passing `filter` (administrators of everything, and the operator).
pub async fn audit_log(
    store: &dyn Store,
    caller: &Caller,
    filter: &AuditFilter,
) -> ServiceResult<Vec<AuditRecord>> {
    caller.must_administer(&AccessScope::All)?;
    Ok(store.audit(filter).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridmap_store::{AccessStore, MemoryStore};

    async fn setup() -> (MemoryStore, Credentials, Account) {
        let store = MemoryStore::new();
        let credentials = Credentials::load(&store, AccessPolicy::default())
            .await
            .unwrap();
        let (account, _) = add_account(
            &store,
            &Caller::Operator,
            &AccountRequest {
                login: "wang".into(),
                role: Role::Staff,
                scope: "411622101".parse().unwrap(),
                password: Some("correct horse".into()),
                staff: None,
            },
            1_000,
        )
        .await
        .unwrap();
        (store, credentials, account)
    }

    #[tokio::test]
    async fn a_token_signs_its_holder_in_until_it_expires_or_is_revoked() {
        let (store, credentials, account) = setup().await;
        let issued = credentials
            .issue(&store, &account, CredentialKind::Token, "wall", 100, 1_000)
            .await
            .unwrap();
        let caller = credentials
            .caller(&store, &issued.secret, "10.0.0.1", 1_050)
            .await
            .unwrap();
        assert_eq!(caller.actor(), "wang");
        assert_eq!(caller.origin(), "10.0.0.1");
        assert!(credentials
            .caller(&store, &issued.secret, "x", 1_100)
            .await
            .is_err());
        store.revoke_credential(issued.credential.id).await.unwrap();
        assert!(credentials
            .caller(&store, &issued.secret, "x", 1_050)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn an_altered_or_foreign_credential_is_refused() {
        let (store, credentials, account) = setup().await;
        let issued = credentials
            .issue(
                &store,
                &account,
                CredentialKind::Token,
                "api",
                10_000,
                1_000,
            )
            .await
            .unwrap();
        // A later expiry with the old signature.
        let (head, sig) = issued.secret.rsplit_once('_').unwrap();
        let (prefix, _) = head.rsplit_once('_').unwrap();
        let stretched = format!("{prefix}_99999999_{sig}");
        assert!(credentials
            .caller(&store, &stretched, "x", 1_000)
            .await
            .is_err());
        // Signed by another store's key.
        let other = MemoryStore::new();
        let foreign = Credentials::load(&other, AccessPolicy::default())
            .await
            .unwrap();
        let forged = foreign.encode(issued.credential.id, issued.credential.expires_at);
        assert!(credentials
            .caller(&store, &forged, "x", 1_000)
            .await
            .is_err());
        assert!(credentials
            .caller(&store, "gm_1_2_zz", "x", 1_000)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn disabling_an_account_refuses_its_sessions_at_once() {
        let (store, credentials, _) = setup().await;
        let (session, _) = credentials
            .login(&store, "wang", "correct horse", "10.0.0.2", 1_000)
            .await
            .unwrap();
        assert!(credentials
            .caller(&store, &session.secret, "x", 1_001)
            .await
            .is_ok());
        let disable = AccountChange {
            disabled: Some(true),
            ..AccountChange::default()
        };
        change_account(&store, &Caller::Operator, "wang", None, disable, 1_002)
            .await
            .unwrap();
        assert!(credentials
            .caller(&store, &session.secret, "x", 1_003)
            .await
            .is_err());
        let again = credentials
            .login(&store, "wang", "correct horse", "10.0.0.2", 1_004)
            .await;
        assert!(matches!(again, Err(ServiceError::Unauthorized(_))));
    }

    #[tokio::test]
    async fn repeated_failed_logins_lock_the_login_out_for_a_while_on_every_instance() {
        let (store, first, _) = setup().await;
        // A second instance on the same store: the failures are counted in the store.
        let second = Credentials::load(&store, AccessPolicy::default())
            .await
            .unwrap();
        for (i, instance) in [&first, &second, &first, &second, &first]
            .into_iter()
            .enumerate()
        {
            let origin = format!("10.0.1.{i}");
            let wrong = instance
                .login(&store, "wang", "guess guess", &origin, 1_000)
                .await;
            assert!(matches!(wrong, Err(ServiceError::Unauthorized(_))));
        }
        // Even the right password waits now, on either instance.
        for instance in [&first, &second] {
            let locked = instance
                .login(&store, "wang", "correct horse", "10.0.0.4", 1_010)
                .await;
            assert!(
                matches!(&locked, Err(ServiceError::TooManyRequests(m)) if m.contains("15 minutes")),
                "{locked:?}"
            );
        }
        let later = second
            .login(&store, "wang", "correct horse", "10.0.0.4", 1_000 + 15 * 60)
            .await;
        assert!(later.is_ok(), "{later:?}");
        // A success starts the login's count afresh: one more mistake is one, not six.
        let slip = first
            .login(
                &store,
                "wang",
                "guess guess",
                "10.0.0.4",
                1_000 + 15 * 60 + 1,
            )
            .await;
        assert!(
            matches!(slip, Err(ServiceError::Unauthorized(_))),
            "{slip:?}"
        );
        let again = first
            .login(
                &store,
                "wang",
                "correct horse",
                "10.0.0.4",
                1_000 + 15 * 60 + 2,
            )
            .await;
        assert!(again.is_ok(), "{again:?}");
        let refused = store
            .audit(&AuditFilter {
                action: Some("login refused".into()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(refused.len(), 8);
        assert!(refused.iter().all(|r| !r.entry.detail.contains("guess")));
    }

    #[tokio::test]
    async fn one_address_guessing_many_logins_is_locked_out() {
        let (store, credentials, _) = setup().await;
        for login in ["a1", "a2", "a3", "a4", "a5"] {
            let wrong = credentials
                .login(&store, login, "guess guess", "10.0.0.9", 2_000)
                .await;
            assert!(matches!(wrong, Err(ServiceError::Unauthorized(_))));
        }
        let locked = credentials
            .login(&store, "wang", "correct horse", "10.0.0.9", 2_001)
            .await;
        assert!(
            matches!(locked, Err(ServiceError::TooManyRequests(_))),
            "{locked:?}"
        );
        let elsewhere = credentials
            .login(&store, "wang", "correct horse", "10.0.0.10", 2_001)
            .await;
        assert!(elsewhere.is_ok(), "{elsewhere:?}");
    }

    #[tokio::test]
    async fn a_township_admin_cannot_create_or_see_accounts_beyond_its_township() {
        let (store, _, _) = setup().await;
        let (admin, _) = add_account(
            &store,
            &Caller::Operator,
            &AccountRequest {
                login: "zhao".into(),
                role: Role::Admin,
                scope: "411622102".parse().unwrap(),
                password: None,
                staff: None,
            },
            1_000,
        )
        .await
        .unwrap();
        let caller = Caller::User(Principal {
            account: admin.id,
            login: admin.login.clone(),
            role: admin.role,
            scope: admin.scope.clone(),
            staff: None,
            credential: 1,
            origin: "x".into(),
        });
        let county = AccountRequest {
            login: "qian".into(),
            role: Role::Planner,
            scope: "411622".parse().unwrap(),
            password: None,
            staff: None,
        };
        let refused = add_account(&store, &caller, &county, 1_001).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))));
        let seen: Vec<String> = accounts(&store, &caller)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.login)
            .collect();
        assert_eq!(seen, ["zhao"]);
        // wang (another township) reads as absent, like a login that does not exist.
        let other = change_account(
            &store,
            &caller,
            "wang",
            Some("new password!"),
            AccountChange::default(),
            1_002,
        )
        .await;
        let missing = change_account(
            &store,
            &caller,
            "nobody",
            Some("new password!"),
            AccountChange::default(),
            1_002,
        )
        .await;
        assert_eq!(
            format!("{other:?}").replace("wang", "?"),
            format!("{missing:?}").replace("nobody", "?")
        );
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsE", &hash));
        assert!(!verify_password("", ""));
        assert_eq!(random_password().len(), 16);
        assert_ne!(random_password(), random_password());
    }
}
