//! What a running server holds in memory: the county snapshot with its tile data and
//! label points (computed once per snapshot), the tile cache, and the last change it
//! reflects. [`Live::sync`] is the reload/purge loop's step: it reads the change log,
//! reloads once, and purges exactly the tiles each change touched.

use crate::ServiceResult;
use gridmap_core::partition::PartitionParams;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_store::Store;
use gridmap_tiles::{
    encode_tile, CachedTile, Encoding, Layer, TileCache, TileData, TileKey, TileParams,
};
use std::sync::{Arc, RwLock};

/// One loaded state of the county.
pub struct LiveData {
    /// The snapshot with everything tiles need, precomputed.
    pub tiles: TileData,
    /// Label points of townships and villages (GeoJSON).
    pub labels: serde_json::Value,
    /// The partition parameters stored with this state (grid size flags use them).
    pub params: PartitionParams,
}

impl LiveData {
    /// Indexes `snapshot` for tiles and lookups (CPU-heavy: call off the async threads).
    pub fn new(snapshot: CountySnapshot, params: PartitionParams) -> LiveData {
        let labels = crate::labels::unit_labels(&snapshot);
        let tile_params = TileParams::with_grid_size(params.min, params.max);
        LiveData {
            tiles: TileData::new(Arc::new(snapshot), tile_params),
            labels,
            params,
        }
    }

    pub fn snapshot(&self) -> &CountySnapshot {
        self.tiles.snapshot()
    }

    /// The attribution the data requires (OpenStreetMap's when any building comes
    /// from it).
    pub fn attribution(&self) -> &'static str {
        let osm = self
            .snapshot()
            .buildings
            .iter()
            .any(|b| b.source_id.starts_with("osm:"));
        if osm {
            "© OpenStreetMap contributors · gridmap"
        } else {
            "gridmap"
        }
    }
}

/// The live state of a server.
pub struct Live {
    data: RwLock<Arc<LiveData>>,
    cache: TileCache,
    /// The last change reflected in `data`; the mutex also serialises reloads.
    last_change: tokio::sync::Mutex<i64>,
}

async fn load(store: &dyn Store) -> ServiceResult<LiveData> {
    let snapshot = store.load_snapshot().await?;
    let params = store.partition_params().await?.unwrap_or_default();
    tokio::task::spawn_blocking(move || LiveData::new(snapshot, params))
        .await
        .map_err(|e| crate::ServiceError::Internal(format!("indexing the county: {e}")))
}

impl Live {
    /// Loads the county from `store` with a tile cache of `cache_bytes`.
    pub async fn load(store: &dyn Store, cache_bytes: usize) -> ServiceResult<Live> {
        let last_change = store.last_change().await?;
        let data = load(store).await?;
        let buffer = data.tiles.params().buffer_fraction();
        Ok(Live {
            data: RwLock::new(Arc::new(data)),
            cache: TileCache::with_buffer(cache_bytes, buffer),
            last_change: tokio::sync::Mutex::new(last_change),
        })
    }

    /// The current state.
    pub fn data(&self) -> Arc<LiveData> {
        match self.data.read() {
            Ok(d) => Arc::clone(&d),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn cache(&self) -> &TileCache {
        &self.cache
    }

    /// The tile `key` with a body in `encoding`, from the cache or drawn (and compressed)
    /// off the async threads; says whether the cache had it.
    pub async fn tile(
        self: &Arc<Self>,
        key: TileKey,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        let cached = self.cache.get(&key);
        let hit = cached.is_some();
        // A cached tile may still lack this encoding: it is compressed once, like a render.
        if let Some(tile) = cached.filter(|t| t.encoded(encoding).is_some()) {
            return Ok((tile, hit));
        }
        let live = Arc::clone(self);
        let tile = tokio::task::spawn_blocking(move || {
            let data = live.data();
            live.cache.get_or_render_as(&key, encoding, || {
                encode_tile(&data.tiles, &key.layers, key.coord)
            })
        })
        .await
        .map_err(|e| crate::ServiceError::Internal(format!("drawing a tile: {e}")))??;
        Ok((tile, hit))
    }

    /// Picks up changes logged since the last sync (by this server or another process,
    /// e.g. `gridmap partition --village`): reloads once and purges the cached tiles in
    /// each change's area (all of them for a change without one). Returns how many.
    pub async fn sync(&self, store: &dyn Store) -> ServiceResult<usize> {
        let mut last = self.last_change.lock().await;
        let changes = store.changes_since(*last).await?;
        let Some(newest) = changes.last().map(|c| c.id) else {
            return Ok(0);
        };
        let data = load(store).await?;
        match self.data.write() {
            Ok(mut d) => *d = Arc::new(data),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(data),
        }
        for change in &changes {
            match change.bbox {
                Some([a, b, c, d]) => {
                    self.cache
                        .invalidate(&Layer::ALL, geo_types::Rect::new((a, b), (c, d)));
                }
                None => self.cache.clear(),
            }
        }
        *last = newest;
        Ok(changes.len())
    }
}
