//! `gridmap user …` (accounts, passwords, tokens) and `gridmap audit`. The operator at
//! the command line acts as an administrator of everything; the service checks and
//! audits the same way as for the HTTP API.

use super::{with_store, Outcome};
use crate::cli::{AuditArgs, UserCommand};
use anyhow::Context;
use gridmap_core::time::format_utc;
use gridmap_service::access::{self, AccountRequest, Credentials};
use gridmap_service::incidents::now;
use gridmap_service::{AccessPolicy, Caller};
use gridmap_store::{AccountChange, AuditFilter, OpenMode};
use std::io::BufRead;

pub(crate) async fn run(db: &str, command: UserCommand) -> anyhow::Result<Outcome> {
    let caller = Caller::Operator;
    with_store(db, OpenMode::Existing, async |store| {
        let store = store.as_ref();
        match &command {
            UserCommand::Add(args) => {
                let request = AccountRequest {
                    login: args.login.clone(),
                    role: args.role.parse()?,
                    scope: args.scope.parse()?,
                    password: read_password(args.password_stdin)?,
                    staff: args.staff.clone(),
                };
                let (account, made) = access::add_account(store, &caller, &request, now()).await?;
                outln!("account {} added: {} of {}", account.login, account.role, account.scope)?;
                if let Some(password) = made {
                    show_once(&account.login, &password)?;
                }
            }
            UserCommand::List => {
                for a in access::accounts(store, &caller).await? {
                    let state = if a.disabled { "disabled" } else { "" };
                    let staff = a.staff.as_deref().map(|s| format!("staff {s}")).unwrap_or_default();
                    outln!("{:<20} {:<8} {:<30} {staff:<20} {state}", a.login, a.role, a.scope)?;
                }
            }
            UserCommand::Link(args) => {
                let change = AccountChange {
                    staff: Some(args.staff.clone()),
                    ..AccountChange::default()
                };
                access::change_account(store, &caller, &args.login, None, change, now()).await?;
                if args.staff.is_empty() {
                    outln!("account {} is linked to no staff member", args.login)?;
                } else {
                    outln!("account {} is staff member {}'s: their work orders are its to-do list", args.login, args.staff)?;
                }
            }
            UserCommand::Disable(args) | UserCommand::Enable(args) => {
                let disabled = matches!(command, UserCommand::Disable(_));
                let change = AccountChange {
                    disabled: Some(disabled),
                    ..AccountChange::default()
                };
                access::change_account(store, &caller, &args.login, None, change, now()).await?;
                let what = if disabled { "disabled: every session and token is refused" } else { "enabled" };
                outln!("account {} {what}", args.login)?;
            }
            UserCommand::Passwd(args) => {
                let given = read_password(args.password_stdin)?;
                let password = given.clone().unwrap_or_else(access::random_password);
                let change = AccountChange::default();
                access::change_account(store, &caller, &args.login, Some(&password), change, now())
                    .await?;
                outln!("password of {} changed", args.login)?;
                if given.is_none() {
                    show_once(&args.login, &password)?;
                }
            }
            UserCommand::Token(args) => {
                let credentials = Credentials::load(store, AccessPolicy::default()).await?;
                let seconds = args.expires_days.saturating_mul(86_400);
                let issued = access::issue_token(
                    store,
                    &credentials,
                    &caller,
                    &args.login,
                    &args.label,
                    seconds,
                    now(),
                )
                .await?;
                outln!(
                    "token {} for {} ({}), expires {} UTC; it is shown only now:",
                    issued.credential.id,
                    args.login,
                    args.label,
                    format_utc(issued.credential.expires_at)
                )?;
                outln!("{}", issued.secret)?;
                outln!("use it as `Authorization: Bearer <token>`; a wall display opens /wall#token=<token>")?;
            }
            UserCommand::Tokens(args) => {
                for c in access::credentials_of(store, &caller, &args.login).await? {
                    let state = if c.revoked {
                        "revoked"
                    } else if c.expires_at <= now() {
                        "expired"
                    } else {
                        "valid"
                    };
                    outln!(
                        "{:>6}  {:<8} {:<8} issued {}  expires {}  {}",
                        c.id,
                        c.kind.as_str(),
                        state,
                        c.created_at,
                        format_utc(c.expires_at),
                        c.label
                    )?;
                }
            }
            UserCommand::Revoke(args) => {
                access::revoke(store, &caller, &args.login, args.id, now()).await?;
                outln!("credential {} of {} revoked", args.id, args.login)?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(Outcome::Clean)
}

pub(crate) async fn audit(db: &str, args: &AuditArgs) -> anyhow::Result<Outcome> {
    let filter = AuditFilter {
        actor: args.actor.clone(),
        action: args.action.clone(),
        target_prefix: args.target.clone(),
        since: args.since.clone(),
        limit: args.limit.max(1),
    };
    let entries = with_store(db, OpenMode::Existing, async |store| {
        Ok(access::audit_log(store.as_ref(), &Caller::Operator, &filter).await?)
    })
    .await?;
    for r in &entries {
        if args.json {
            outln!(
                "{}",
                serde_json::to_string(r).context("writing an audit entry as JSON")?
            )?;
        } else {
            let e = &r.entry;
            outln!(
                "{:>7}  {}  {:<16} {:<16} {:<24} {:<15} {}",
                r.id,
                e.at,
                e.actor,
                e.action,
                e.target,
                e.origin,
                e.detail
            )?;
        }
    }
    Ok(Outcome::Clean)
}

/// The first line of standard input, when asked to read the password from it.
fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Prints a made password once, on standard output only (never through the log).
fn show_once(login: &str, password: &str) -> anyhow::Result<()> {
    outln!("password of {login} (shown only now; change it with gridmap user passwd {login}):")?;
    outln!("{password}")?;
    Ok(())
}
