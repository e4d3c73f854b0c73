//! The HTTP service: vector tiles, TileJSON, the JSON API behind the web map, the web
//! map's static files, health and metrics.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` without binding a port.

mod api;
mod auth;
mod caller;
mod error;
mod export;
mod incidents;
mod metrics;
mod open311;
mod openapi;
mod plan;
mod stream;
mod tiles;
mod versions;
mod web;

pub(crate) use auth::cookies_secure;
pub use caller::RequestCaller;
pub use error::ApiError;

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
    /// Where index.html, node_modules/maplibre-gl and glyphs/ live.
    pub web_dir: PathBuf,
    /// Optional basemap style URL for the page.
    pub basemap_style: Option<String>,
    /// Attribution shown with the tiles.
    pub attribution: String,
    /// The demo's local-only mode: the page says so in a banner.
    pub local_demo: bool,
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
}

impl AppState {
    pub fn new(service: Service, config: HttpConfig) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                service,
                config,
                metrics: metrics::Metrics::default(),
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
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(tiles::router())
        .merge(api::router())
        .merge(auth::router())
        .merge(plan::router())
        .merge(export::router())
        .merge(versions::router())
        .merge(incidents::router())
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
        ))
        .with_state(state)
}
