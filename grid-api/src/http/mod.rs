//! The HTTP service: vector tiles, TileJSON, the JSON API behind the web map, the web
//! map's static files, health and metrics.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` without binding a port.

mod api;
mod caller;
mod error;
mod metrics;
mod openapi;
mod tiles;
mod web;

pub use caller::Caller;
pub use error::ApiError;

use axum::Router;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_store::Store;
use gridmap_tiles::{TileCache, TileData, TileParams};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Settings of a running service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Base URL clients use to reach us (no trailing slash), for TileJSON and the style.
    pub public_url: String,
    /// Token that unlocks household personal data.
    pub staff_token: Option<String>,
    /// Where index.html, node_modules/maplibre-gl and glyphs/ live.
    pub web_dir: PathBuf,
    /// Optional basemap style URL for the page.
    pub basemap_style: Option<String>,
    /// Grid size limits (for violation flags in tiles and the API).
    pub min_households: u32,
    pub max_households: u32,
    /// Attribution shown with the tiles.
    pub attribution: String,
}

/// Shared state of the service (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ServiceConfig,
    data: RwLock<Arc<TileData>>,
    cache: TileCache,
    metrics: metrics::Metrics,
    /// The last grid change (store id) reflected in `data`; the mutex also serialises reloads.
    last_change: tokio::sync::Mutex<i64>,
}

impl AppState {
    /// Indexes `snapshot` for tiles and lookups.
    pub fn new(
        store: Store,
        snapshot: CountySnapshot,
        config: ServiceConfig,
        cache_bytes: usize,
        last_change: i64,
    ) -> AppState {
        let params = TileParams::with_grid_size(config.min_households, config.max_households);
        let data = TileData::new(Arc::new(snapshot), params.clone());
        AppState {
            inner: Arc::new(Inner {
                store,
                data: RwLock::new(Arc::new(data)),
                cache: TileCache::with_buffer(cache_bytes, params.buffer_fraction()),
                config,
                metrics: metrics::Metrics::default(),
                last_change: tokio::sync::Mutex::new(last_change),
            }),
        }
    }

    /// The current snapshot and tile data.
    pub fn data(&self) -> Arc<TileData> {
        match self.inner.data.read() {
            Ok(d) => Arc::clone(&d),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    pub fn cache(&self) -> &TileCache {
        &self.inner.cache
    }

    /// Picks up grid changes recorded in the store since the last sync (by this server or
    /// by another process, e.g. `gridmap partition --village`): reloads the data and purges
    /// exactly the cached tiles each change says it touched. Returns how many changes.
    pub async fn sync_changes(&self) -> Result<usize, ApiError> {
        let mut last = self.inner.last_change.lock().await;
        let changes = self
            .inner
            .store
            .grid_changes_since(*last)
            .await
            .map_err(ApiError::internal)?;
        let Some(&(newest, _)) = changes.last() else {
            return Ok(0);
        };
        self.reload_data().await?;
        for (_, bbox) in &changes {
            match bbox {
                Some([a, b, c, d]) => {
                    self.inner.cache.invalidate(
                        &gridmap_tiles::Layer::ALL,
                        geo_types::Rect::new((*a, *b), (*c, *d)),
                    );
                }
                None => self.inner.cache.clear(),
            }
        }
        *last = newest;
        Ok(changes.len())
    }

    async fn reload_data(&self) -> Result<(), ApiError> {
        let snapshot = self
            .inner
            .store
            .load_snapshot()
            .await
            .map_err(ApiError::internal)?;
        let params = self.data().params().clone();
        let data = tokio::task::spawn_blocking(move || TileData::new(Arc::new(snapshot), params))
            .await
            .map_err(ApiError::internal)?;
        match self.inner.data.write() {
            Ok(mut d) => *d = Arc::new(data),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(data),
        }
        Ok(())
    }
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(tiles::router())
        .merge(api::router())
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
