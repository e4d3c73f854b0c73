//! `gridmap serve`: load the county into memory and serve tiles, API and web map.

use super::{open_store, Outcome};
use crate::cli::ServeArgs;
use crate::http::{app, AppState, HttpConfig, ServerLimits};
use anyhow::Context;
use gridmap_core::{AccessScope, Role};
use gridmap_service::access::AccountRequest;
use gridmap_service::{AccessPolicy, Caller, Service};
use gridmap_store::OpenMode;
use gridmap_tiles::Layer;
use std::time::Instant;

/// Loads the store and builds the service state.
pub(crate) async fn state(
    db: &str,
    args: &ServeArgs,
    public_url: String,
) -> anyhow::Result<AppState> {
    let store = open_store(db, OpenMode::Existing).await?;
    let started = Instant::now();
    let access = AccessPolicy::default();
    let cache_bytes = args.cache_mb.saturating_mul(1 << 20);
    let service = Service::start(store, access, cache_bytes)
        .await
        .context("loading the county into memory")?;
    let service = match &args.store_tiles {
        Some(list) => service
            .with_store_tiles(&Layer::parse_list(list).context("--store-tiles")?)
            .context("--store-tiles")?,
        None => service,
    };
    if args.taxonomy.is_some() || args.calendar.is_some() {
        let incidents = gridmap_service::incidents::IncidentConfig::from_files(
            args.taxonomy.as_deref(),
            args.calendar.as_deref(),
        )?;
        service.set_incident_config(incidents);
    }
    let data = service.data();
    let config = HttpConfig {
        public_url,
        web_dir: args.web_dir.clone(),
        basemap_style: args.basemap_style.clone(),
        attribution: data.attribution().to_owned(),
        local_demo: args.local_demo,
        cors_origins: args.http.cors_origin.clone(),
    };
    tracing::info!(
        buildings = data.snapshot().buildings.len(),
        grids = data.snapshot().grids.len(),
        seconds = started.elapsed().as_secs_f64(),
        "county loaded and indexed"
    );
    Ok(AppState::new(service, config))
}

pub(crate) async fn run(db: &str, args: ServeArgs) -> anyhow::Result<Outcome> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = state(db, &args, public_url.clone()).await?;
    let store = state.service().store().clone();
    first_start(&state, args.local_demo.then_some("demo")).await?;
    if !crate::http::cookies_secure(&public_url) {
        tracing::warn!(
            public_url = %public_url,
            "browsers reach this server over plain HTTP on a network address: sign-in sessions cannot be Secure cookies; serve it behind HTTPS and pass --public-url https://…"
        );
    }
    let served = serve_on(listener, state, &public_url, args.http.limits()).await;
    store.close().await.context("closing the store")?;
    served?;
    Ok(Outcome::Clean)
}

/// On a store without accounts, makes the first administrator (`login`, default
/// `admin`, of scope all) and shows its password once on the terminal, never in the log.
/// Without a terminal to show it on, says how to make one instead.
pub(crate) async fn first_start(state: &AppState, login: Option<&str>) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let store = state.service().store();
    if !store.accounts().await?.is_empty() {
        return Ok(());
    }
    let login = login.unwrap_or("admin");
    if login == "admin" && !std::io::stdout().is_terminal() {
        outln!("no accounts yet: nobody can sign in; create the first with `gridmap user add admin --role admin --scope all`")?;
        return Ok(());
    }
    let request = AccountRequest {
        login: login.to_owned(),
        role: Role::Admin,
        scope: AccessScope::All,
        password: None,
        staff: None,
    };
    let now = gridmap_service::incidents::now();
    let (account, password) =
        gridmap_service::access::add_account(store.as_ref(), &Caller::Operator, &request, now)
            .await?;
    let password = password.unwrap_or_default();
    outln!(
        "first start: account {} (admin of everything) created; its password, shown only now:",
        account.login
    )?;
    outln!("    {password}")?;
    outln!(
        "sign in on the web map, then change it: gridmap user passwd {}",
        account.login
    )?;
    Ok(())
}

/// Serves until Ctrl-C or SIGTERM, printing where.
pub(crate) async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    public_url: &str,
    limits: ServerLimits,
) -> anyhow::Result<()> {
    // Listen for the signals before saying where we listen: a SIGTERM sent right after
    // that line must drain, not kill.
    let stop = shutdown_signal()?;
    let addr = listener.local_addr()?;
    // Grids changed by other processes (another server on a shared PostGIS store,
    // gridmap partition --village …) reach the map at once where the store announces
    // changes, within two seconds otherwise, with exactly the touched tiles purged.
    let follower = state.clone();
    tokio::spawn(async move {
        follower
            .service()
            .follow_changes(std::time::Duration::from_secs(2))
            .await;
    });
    // Overdue work orders move up a level (escalation events on the stream) once a
    // minute; another server on the same store doing the same loses the version race
    // harmlessly.
    let escalator = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = gridmap_service::incidents::now();
            match escalator.service().escalate_overdue(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "overdue incidents escalated"),
                Err(e) => tracing::warn!(error = %e, "could not escalate overdue incidents"),
            }
        }
    });
    if state.config().web_dir.is_none() && !crate::http::missing_web_files().is_empty() {
        tracing::warn!(
            missing = %crate::http::missing_web_files().join(", "),
            "this gridmap was built without its web map: run `npm ci && npm run build` in web/ and build again, or pass --web-dir"
        );
    }
    outln!("listening on http://{addr}")?;
    outln!("web map: {public_url}/")?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let router = app(state.clone());
    let stop = async move {
        stop.await;
        state.stop_streams();
    };
    if crate::http::serve(listener, router, limits, stop).await == 0 {
        tracing::info!("stopped: requests in flight answered, connections closed");
    }
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (what `kill`, systemd and container runtimes
/// send): both stop the server the same graceful way.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    Ok(async move {
        let which = tokio::select! {
            _ = interrupt.recv() => "Ctrl-C",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!("{which}: finishing the requests in flight, then stopping");
    })
}
