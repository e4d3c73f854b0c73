//! Accounts, credentials, the signing key and the audit log: every backend keeps them the
//! same way, and the databases refuse to rewrite the audit log.

use gridmap_core::{AccessScope, Role};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{
    AccountChange, AuditEntry, AuditFilter, CredentialKind, LoginFailures, NewAccount,
    NewCredential, StoreError, LOGIN_ACTION, LOGIN_REFUSED_ACTION, WRONG_PASSWORD_DETAIL,
};

mod common;
use common::stores;

fn account(login: &str, role: Role, scope: &str) -> NewAccount {
    NewAccount {
        login: login.into(),
        role,
        scope: scope.parse().unwrap(),
        password_hash: format!("$argon2id$fake${login}"),
        staff: None,
    }
}

fn entry(at: &str, actor: &str, action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        at: at.into(),
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        origin: "10.0.0.7".into(),
        detail: String::new(),
    }
}

#[tokio::test]
async fn accounts_and_credentials_round_trip_on_every_backend() {
    for (name, store, _keep) in stores().await {
        let wang = store
            .add_account(&account(
                "wang",
                Role::Staff,
                "grids:411622101201-002,411622101201-001",
            ))
            .await
            .unwrap();
        assert_eq!(
            wang.scope.to_string(),
            "grids:411622101201-001,411622101201-002",
            "{name}"
        );
        assert!(!wang.disabled, "{name}");
        let taken = store
            .add_account(&account("wang", Role::Admin, "all"))
            .await;
        assert!(
            matches!(taken, Err(StoreError::Invalid { .. })),
            "{name}: {taken:?}"
        );
        let blank = store.add_account(&account("a b", Role::Admin, "all")).await;
        assert!(
            matches!(blank, Err(StoreError::Invalid { .. })),
            "{name}: {blank:?}"
        );
        store
            .add_account(&account("admin", Role::Admin, "all"))
            .await
            .unwrap();
        let logins: Vec<String> = store
            .accounts()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.login)
            .collect();
        assert_eq!(logins, ["admin", "wang"], "{name}");

        let change = AccountChange {
            disabled: Some(true),
            scope: Some(AccessScope::Area("411622101".into())),
            ..AccountChange::default()
        };
        let changed = store.change_account("wang", &change).await.unwrap();
        assert!(changed.disabled, "{name}");
        assert_eq!(
            changed.scope,
            AccessScope::Area("411622101".into()),
            "{name}"
        );
        assert_eq!(changed.role, Role::Staff, "{name}: the role is kept");
        assert_eq!(changed.password_hash, wang.password_hash, "{name}");
        assert_eq!(changed.staff, None, "{name}: not linked");

        // Linked to a staff member of the roster, then unlinked; the rest is kept.
        let link = |staff: &str| AccountChange {
            staff: Some(staff.into()),
            ..AccountChange::default()
        };
        let linked = store.change_account("wang", &link("S007")).await.unwrap();
        assert_eq!(linked.staff.as_deref(), Some("S007"), "{name}");
        assert!(linked.disabled, "{name}: kept");
        let read = store.account("wang").await.unwrap().unwrap();
        assert_eq!(read.staff.as_deref(), Some("S007"), "{name}: stored");
        let unlinked = store.change_account("wang", &link("")).await.unwrap();
        assert_eq!(unlinked.staff, None, "{name}");
        let missing = store.change_account("nobody", &change).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{name}"
        );

        let first = store
            .add_credential(&NewCredential {
                account: wang.id,
                kind: CredentialKind::Session,
                label: "browser".into(),
                expires_at: 2_000_000_000,
            })
            .await
            .unwrap();
        let second = store
            .add_credential(&NewCredential {
                account: wang.id,
                kind: CredentialKind::Token,
                label: "wall".into(),
                expires_at: 2_100_000_000,
            })
            .await
            .unwrap();
        let (found, owner) = store.credential(second.id).await.unwrap().unwrap();
        assert_eq!(found, second, "{name}");
        assert_eq!(owner.login, "wang", "{name}");
        assert!(store.revoke_credential(first.id).await.unwrap(), "{name}");
        assert!(!store.revoke_credential(9_999).await.unwrap(), "{name}");
        let listed = store.credentials(wang.id).await.unwrap();
        let states: Vec<(CredentialKind, bool)> =
            listed.iter().map(|c| (c.kind, c.revoked)).collect();
        assert_eq!(
            states,
            [
                (CredentialKind::Token, false),
                (CredentialKind::Session, true)
            ],
            "{name}: newest first"
        );
        assert!(store.credential(9_999).await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test]
async fn the_first_signing_key_stays_and_short_ones_are_refused() {
    for (name, store, _keep) in stores().await {
        let first = store.signing_key(&[1; 32]).await.unwrap();
        assert_eq!(first, vec![1; 32], "{name}");
        assert_eq!(store.signing_key(&[2; 32]).await.unwrap(), first, "{name}");
        let short = store.signing_key(&[3; 8]).await;
        assert!(matches!(short, Err(StoreError::Invalid { .. })), "{name}");
    }
}

#[tokio::test]
async fn the_audit_log_filters_newest_first_and_refuses_rewrites() {
    for (name, store, keep) in stores().await {
        store
            .append_audit(&[
                entry("2026-12-01T08:00:00Z", "wang", "read households", "b/17"),
                entry("2026-12-02T09:00:00Z", "li", "write", "411622101201-003"),
                entry("2026-12-03T10:00:00Z", "wang", "login", "wang"),
            ])
            .await
            .unwrap();
        let all = store
            .audit(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = all.iter().map(|r| r.entry.action.as_str()).collect();
        assert_eq!(actions, ["login", "write", "read households"], "{name}");
        assert!(all[0].id > all[1].id, "{name}");
        let wang = AuditFilter {
            actor: Some("wang".into()),
            since: Some("2026-12-02".into()),
            limit: 10,
            ..AuditFilter::default()
        };
        let found = store.audit(&wang).await.unwrap();
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(
            found[0].entry,
            entry("2026-12-03T10:00:00Z", "wang", "login", "wang")
        );
        let village = AuditFilter {
            target_prefix: Some("411622101201".into()),
            limit: 1,
            ..AuditFilter::default()
        };
        assert_eq!(
            store.audit(&village).await.unwrap()[0].entry.actor,
            "li",
            "{name}"
        );

        // Not even plain SQL rewrites history.
        let refused = match name {
            "sqlite" => {
                let dir: &tempfile::TempDir = keep.as_ref().unwrap().downcast_ref().unwrap();
                let url = format!("sqlite:{}", dir.path().join("t.db").display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let update = sqlx::query("UPDATE audit_log SET actor = 'nobody'")
                    .execute(&pool)
                    .await;
                let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
                vec![update.err(), delete.err()]
            }
            "postgis" => {
                let scratch: &ScratchDatabase = keep.as_ref().unwrap().downcast_ref().unwrap();
                let pool = sqlx::PgPool::connect(&scratch.url).await.unwrap();
                let update = sqlx::query("UPDATE audit_log SET actor = 'nobody'")
                    .execute(&pool)
                    .await;
                let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
                let truncate = sqlx::query("TRUNCATE audit_log").execute(&pool).await;
                vec![update.err(), delete.err(), truncate.err()]
            }
            _ => continue,
        };
        for e in refused {
            let e = e.map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("append-only"), "{name}: {e}");
        }
        assert_eq!(
            store
                .audit(&AuditFilter {
                    limit: 10,
                    ..AuditFilter::default()
                })
                .await
                .unwrap(),
            all,
            "{name}"
        );
    }
}

#[tokio::test]
async fn failed_sign_ins_count_since_the_logins_last_success_and_per_address() {
    let refused = |at: &str, login: &str, origin: &str, detail: &str| AuditEntry {
        origin: origin.into(),
        detail: detail.into(),
        ..entry(at, login, LOGIN_REFUSED_ACTION, login)
    };
    let wrong = WRONG_PASSWORD_DETAIL;
    for (name, store, _keep) in stores().await {
        store
            .append_audit(&[
                // Before the window: not counted.
                refused("2026-12-01T07:00:00Z", "wang", "10.0.0.1", wrong),
                refused("2026-12-01T08:01:00Z", "wang", "10.0.0.1", wrong),
                // Then wang signs in: his earlier failures no longer count for him.
                AuditEntry {
                    origin: "10.0.0.1".into(),
                    ..entry("2026-12-01T08:02:00Z", "wang", LOGIN_ACTION, "wang")
                },
                refused("2026-12-01T08:03:00Z", "wang", "10.0.0.2", wrong),
                refused("2026-12-01T08:04:00Z", "li", "10.0.0.1", wrong),
                // A refusal because of a lockout is not a guess.
                refused(
                    "2026-12-01T08:05:00Z",
                    "wang",
                    "10.0.0.1",
                    "too many failed attempts",
                ),
                refused("2026-12-01T08:06:00Z", "wang", "10.0.0.1", wrong),
                // Another login that starts with "wang" is not wang.
                refused("2026-12-01T08:07:00Z", "wangwu", "10.0.0.3", wrong),
            ])
            .await
            .unwrap();
        let since = "2026-12-01T08:00:00Z";
        let failures = store
            .login_failures("wang", "10.0.0.1", since, 10)
            .await
            .unwrap();
        assert_eq!(
            failures.by_login,
            ["2026-12-01T08:06:00Z", "2026-12-01T08:03:00Z"],
            "{name}"
        );
        assert_eq!(
            failures.by_origin,
            [
                "2026-12-01T08:06:00Z",
                "2026-12-01T08:04:00Z",
                "2026-12-01T08:01:00Z"
            ],
            "{name}"
        );
        let newest = store
            .login_failures("wang", "10.0.0.1", since, 1)
            .await
            .unwrap();
        assert_eq!(newest.by_login, ["2026-12-01T08:06:00Z"], "{name}");
        assert_eq!(newest.by_origin, ["2026-12-01T08:06:00Z"], "{name}");
        let nobody = store
            .login_failures("zhao", "10.0.0.9", since, 10)
            .await
            .unwrap();
        assert_eq!(nobody, LoginFailures::default(), "{name}");
    }
}
