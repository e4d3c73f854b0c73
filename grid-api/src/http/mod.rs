//! The HTTP service: vector tiles, TileJSON, the JSON API behind the web map, the web
//! map's static files, health and metrics.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` without binding a port.

mod api;
mod auth;
mod caller;
mod cameras;
mod error;
mod export;
mod field;
mod incidents;
mod metrics;
mod open311;
mod openapi;
mod phone_app;
mod plan;
mod print;
mod safety;
mod server;
mod situations;
mod stream;
mod tiles;
mod versions;
mod web;

pub(crate) use auth::cookies_secure;
pub use caller::RequestCaller;
pub use error::ApiError;
pub use server::{serve, ServerLimits};
pub use web::missing_web_files;

use axum::Router;
use gridmap_service::Service;
use std::path::PathBuf;
use std::sync::Arc;

/// HTTP settings of a running server (the use cases' settings live in the service and
/// the store).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL clients use to reach us (no trailing slash), for TileJSON and the style.
    pub public_url: String,
    /// Where to read the web map (index.html, node_modules/maplibre-gl, glyphs/) from
    /// instead of the files built into the binary: for working on the web map.
    pub web_dir: Option<PathBuf>,
    /// Optional basemap style URL for the page.
    pub basemap_style: Option<String>,
    /// Attribution shown with the tiles.
    pub attribution: String,
    /// The demo's local-only mode: the page says so in a banner.
    pub local_demo: bool,
    /// Origins (`https://host[:port]`) whose pages may call us from the browser (CORS);
    /// none by default.
    pub cors_origins: Vec<String>,
}

/// Shared state of the HTTP layer: the service and HTTP settings (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    service: Service,
    config: HttpConfig,
    metrics: metrics::Metrics,
    /// The Content-Security-Policy header of every answer.
    csp: String,
    /// Set when the server stops: long-lived answers (the event stream) end.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    pub fn new(service: Service, config: HttpConfig) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                csp: safety::content_security_policy(config.basemap_style.as_deref()),
                service,
                config,
                metrics: metrics::Metrics::default(),
                stopping: tokio::sync::watch::Sender::new(false),
            }),
        }
    }

    /// The use cases.
    pub fn service(&self) -> &Service {
        &self.inner.service
    }

    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Ends the answers that would otherwise never end (the event stream), so a
    /// graceful shutdown can finish; browsers reconnect by themselves.
    pub fn stop_streams(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Completes once [`AppState::stop_streams`] was called.
    fn streams_stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stopping = self.inner.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        }
    }
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(tiles::router())
        .merge(api::router())
        .merge(auth::router())
        .merge(plan::router())
        .merge(export::router())
        .merge(versions::router())
        .merge(incidents::router())
        .merge(cameras::router())
        .merge(situations::router())
        .merge(print::router())
        .merge(field::router())
        .merge(phone_app::router())
        .merge(open311::router())
        .merge(stream::router())
        .merge(web::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .fallback(|| async {
            ApiError::not_found(
                "no such page: see /catalog for tiles and /api/openapi.json for the API",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    safety::harden(routes, &state).with_state(state)
}
