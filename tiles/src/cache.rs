//! An in-memory cache of encoded tiles with exact purging.
//!
//! # Design
//! - Entries are keyed by ([`Layer`] list, z/x/y) and hold the raw MVT bytes, an ETag
//!   and the compressed encodings ([`crate::compress`]) asked for so far. A miss
//!   compresses only the encoding its request wants; another encoding is computed
//!   once, on its first request, and kept, so an HTTP layer never compresses twice
//!   and a gzip-only client never pays for brotli.
//! - Least-recently-used eviction bounded by the bytes held (raw plus every encoding
//!   computed so far; an encoding added later is counted when it is added).
//! - Each layer has a version. [`TileCache::invalidate`] bumps the versions of the
//!   changed layers and removes exactly the cached tiles, at every zoom and in every
//!   composite, that hold one of those layers and whose *buffered* bounds meet the
//!   changed area. Tiles of other layers or elsewhere stay.
//! - The ETag hashes the raw bytes and the versions of the tile's layers.
//! - One mutex guards the map; it is never held while a tile is drawn or compressed.
//!   A render that raced with an invalidation of one of its layers is returned to its
//!   caller but not stored, so a purged tile is never put back stale.
//!
//! The cache is synchronous: call it from `tokio::task::spawn_blocking` (drawing a
//! tile takes milliseconds).
//!
//! # Updating data
//! Swap in the new [`crate::TileData`] first, then call [`TileCache::invalidate`]. A
//! render that began with the old data either finishes before the purge (and is
//! purged) or after it (and is refused), so no stale tile survives.

use crate::compress::{compress, Encoding};
use crate::coord::TileCoord;
use crate::error::{TileError, TileResult};
use crate::layers::Layer;
use geo_types::Rect;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub use crate::compress::{BROTLI_QUALITY, GZIP_LEVEL};

/// A cache key: the layers of a (composite) tile, in order, its address and, for
/// layers drawn per query (heat), the query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Layers in tile order: [`Layer::ALL`] order, no duplicates.
    pub layers: Vec<Layer>,
    /// Tile address.
    pub coord: TileCoord,
    /// What else the tile depends on (e.g. a heat time window); empty for most.
    pub query: String,
}

impl TileKey {
    /// A key for `layers` at `coord`.
    pub fn new(layers: &[Layer], coord: TileCoord) -> TileKey {
        TileKey::with_query(layers, coord, String::new())
    }

    /// A key for `layers` at `coord` drawn for `query`; the layers in their normal form
    /// ([`Layer::normalise`]), so every order of one set is one key.
    pub fn with_query(layers: &[Layer], coord: TileCoord, query: String) -> TileKey {
        let mut layers = layers.to_vec();
        Layer::normalise(&mut layers);
        TileKey {
            layers,
            coord,
            query,
        }
    }
}

/// One drawn tile: the raw MVT bytes, its ETag and whichever compressed encodings
/// have been asked for so far (each computed at most once, on first demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedTile {
    /// Uncompressed MVT bytes (possibly empty: no features).
    pub raw: Vec<u8>,
    /// Strong ETag, quoted, e.g. `"3f2a…-7"`; the same for every encoding (serve it
    /// with `Vary: Accept-Encoding`).
    pub etag: String,
    coord: TileCoord,
    gzip: OnceLock<Vec<u8>>,
    br: OnceLock<Vec<u8>>,
}

impl CachedTile {
    /// A tile holding `raw` (not yet compressed), with the ETag derived from `raw` and
    /// `version` (e.g. the sum of the tile's layer versions).
    ///
    /// ```
    /// use gridmap_tiles::{CachedTile, Encoding, TileCoord};
    /// let c = TileCoord::new(0, 0, 0).unwrap();
    /// let t = CachedTile::new(vec![1, 2, 3], 0, c);
    /// assert_eq!(t.encoded(Encoding::Identity), Some(&[1u8, 2, 3][..]));
    /// assert_eq!(t.encoded(Encoding::Gzip), None);
    /// assert!(t.encode(Encoding::Gzip).unwrap() > 0);
    /// assert!(t.encoded(Encoding::Gzip).is_some());
    /// assert_ne!(t.etag, CachedTile::new(vec![1, 2, 3], 1, c).etag);
    /// ```
    pub fn new(raw: Vec<u8>, version: u64, coord: TileCoord) -> CachedTile {
        let mut h = DefaultHasher::new();
        raw.hash(&mut h);
        let etag = format!("\"{:016x}-{version}\"", h.finish());
        CachedTile {
            raw,
            etag,
            coord,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    fn slot(&self, enc: Encoding) -> Option<&OnceLock<Vec<u8>>> {
        match enc {
            Encoding::Identity => None,
            Encoding::Gzip => Some(&self.gzip),
            Encoding::Brotli => Some(&self.br),
        }
    }

    /// The body in `enc`, if it has been computed (identity always has).
    pub fn encoded(&self, enc: Encoding) -> Option<&[u8]> {
        match self.slot(enc) {
            None => Some(&self.raw),
            Some(slot) => slot.get().map(Vec::as_slice),
        }
    }

    /// Computes the body in `enc` unless it is already there, and returns the bytes
    /// this call added (0 when it was there already or another thread won the race).
    /// Inside a [`TileCache`] prefer [`TileCache::get_or_render_as`], which keeps the
    /// cache's byte count in step.
    pub fn encode(&self, enc: Encoding) -> TileResult<usize> {
        let Some(slot) = self.slot(enc) else {
            return Ok(0);
        };
        if slot.get().is_some() {
            return Ok(0);
        }
        let body = compress(&self.raw, enc).map_err(|source| TileError::Compress {
            z: self.coord.z(),
            x: self.coord.x(),
            y: self.coord.y(),
            source,
        })?;
        let added = body.len();
        Ok(if slot.set(body).is_ok() { added } else { 0 })
    }

    /// Bytes held by this tile now (raw, the encodings computed so far, the ETag).
    pub fn size(&self) -> usize {
        let enc = |s: &OnceLock<Vec<u8>>| s.get().map_or(0, Vec::len);
        self.raw.len() + enc(&self.gzip) + enc(&self.br) + self.etag.len() + 128
    }
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to draw the tile.
    pub misses: u64,
    /// Tiles removed by invalidation.
    pub purged: u64,
    /// Tiles removed to stay under the byte limit.
    pub evicted: u64,
    /// Tiles held now.
    pub entries: usize,
    /// Bytes held now.
    pub bytes: usize,
    /// The byte limit.
    pub capacity_bytes: usize,
}

#[derive(Debug)]
struct Entry {
    tile: Arc<CachedTile>,
    tick: u64,
    /// Bytes counted for this entry in `Inner::bytes` (grows as encodings are added).
    size: usize,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<TileKey, Entry>,
    order: BTreeMap<u64, TileKey>,
    tick: u64,
    bytes: usize,
    versions: [u64; Layer::ALL.len()],
}

impl Inner {
    fn versions_of(&self, layers: &[Layer]) -> Vec<u64> {
        layers
            .iter()
            .map(|l| self.versions.get(l.index()).copied().unwrap_or(0))
            .collect()
    }

    fn remove(&mut self, key: &TileKey) -> Option<Entry> {
        let e = self.map.remove(key)?;
        self.order.remove(&e.tick);
        self.bytes = self.bytes.saturating_sub(e.size);
        Some(e)
    }
}

/// A byte-bounded LRU of encoded tiles; see the module docs.
#[derive(Debug)]
pub struct TileCache {
    inner: Mutex<Inner>,
    capacity: usize,
    buffer: f64,
    hits: AtomicU64,
    misses: AtomicU64,
    purged: AtomicU64,
    evicted: AtomicU64,
}

impl TileCache {
    /// A cache holding at most `capacity_bytes`, purging with the default clip buffer
    /// (64/4096 of a tile).
    pub fn new(capacity_bytes: usize) -> TileCache {
        TileCache::with_buffer(capacity_bytes, 64.0 / 4096.0)
    }

    /// A cache whose invalidation uses a clip buffer of `buffer_fraction` of a tile
    /// (use [`crate::TileParams::buffer_fraction`] when the parameters differ).
    pub fn with_buffer(capacity_bytes: usize, buffer_fraction: f64) -> TileCache {
        TileCache {
            inner: Mutex::new(Inner::default()),
            capacity: capacity_bytes,
            buffer: buffer_fraction,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            purged: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the map consistent (every mutation is
        // completed before any call that could panic), so poisoning can be ignored.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached tile for `key`, if any (counts as a hit or a miss).
    pub fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        let mut inner = self.lock();
        let tick = inner.tick + 1;
        let found = match inner.map.get_mut(key) {
            Some(e) => {
                let old = e.tick;
                e.tick = tick;
                Some((old, e.tile.clone()))
            }
            None => None,
        };
        match found {
            Some((old, tile)) => {
                inner.tick = tick;
                inner.order.remove(&old);
                inner.order.insert(tick, key.clone());
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(tile)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// The cached tile for `key`, or `render()`'s bytes stored uncompressed; the same
    /// as [`TileCache::get_or_render_as`] with [`Encoding::Identity`].
    ///
    /// ```
    /// use gridmap_tiles::{Layer, TileCache, TileCoord, TileKey};
    /// let cache = TileCache::new(1 << 20);
    /// let key = TileKey::new(&[Layer::Grids], TileCoord::new(3, 1, 2).unwrap());
    /// let a = cache.get_or_render(&key, || Ok(vec![7; 100])).unwrap();
    /// let b = cache.get_or_render(&key, || unreachable!("cached")).unwrap();
    /// assert_eq!(a.etag, b.etag);
    /// assert_eq!((cache.stats().hits, cache.stats().misses), (1, 1));
    /// ```
    pub fn get_or_render<F>(&self, key: &TileKey, render: F) -> TileResult<Arc<CachedTile>>
    where
        F: FnOnce() -> TileResult<Vec<u8>>,
    {
        self.get_or_render_as(key, Encoding::Identity, render)
    }

    /// The cached tile for `key` with its body in `enc` computed, or `render()`'s
    /// bytes compressed with `enc` (only) and stored. An encoding a cached tile lacks
    /// is computed and added to it, and to the byte count, on first demand. `render`
    /// and compression run without the lock held; a render error is passed through
    /// and nothing is stored.
    ///
    /// ```
    /// use gridmap_tiles::{Encoding, Layer, TileCache, TileCoord, TileKey};
    /// let cache = TileCache::new(1 << 20);
    /// let key = TileKey::new(&[Layer::Grids], TileCoord::new(3, 1, 2).unwrap());
    /// let a = cache.get_or_render_as(&key, Encoding::Gzip, || Ok(vec![7; 100])).unwrap();
    /// assert!(a.encoded(Encoding::Gzip).is_some() && a.encoded(Encoding::Brotli).is_none());
    /// let before = cache.stats().bytes;
    /// let b = cache.get_or_render_as(&key, Encoding::Brotli, || unreachable!("cached")).unwrap();
    /// assert!(b.encoded(Encoding::Brotli).is_some());
    /// assert!(cache.stats().bytes > before);
    /// ```
    pub fn get_or_render_as<F>(
        &self,
        key: &TileKey,
        enc: Encoding,
        render: F,
    ) -> TileResult<Arc<CachedTile>>
    where
        F: FnOnce() -> TileResult<Vec<u8>>,
    {
        if let Some(t) = self.get(key) {
            let added = t.encode(enc)?;
            if added > 0 {
                let mut inner = self.lock();
                if let Some(e) = inner.map.get_mut(key).filter(|e| Arc::ptr_eq(&e.tile, &t)) {
                    e.size += added;
                    inner.bytes += added;
                    self.evict(&mut inner);
                }
            }
            return Ok(t);
        }
        let before = self.lock().versions_of(&key.layers);
        let raw = render()?;
        let tile = CachedTile::new(raw, before.iter().sum(), key.coord);
        tile.encode(enc)?;
        let tile = Arc::new(tile);
        let size = tile.size();
        let mut inner = self.lock();
        if inner.versions_of(&key.layers) != before || size > self.capacity {
            return Ok(tile);
        }
        inner.remove(key);
        inner.tick += 1;
        let tick = inner.tick;
        inner.map.insert(
            key.clone(),
            Entry {
                tile: tile.clone(),
                tick,
                size,
            },
        );
        inner.order.insert(tick, key.clone());
        inner.bytes += size;
        self.evict(&mut inner);
        Ok(tile)
    }

    /// Drops least-recently-used tiles until the byte count fits the capacity.
    fn evict(&self, inner: &mut Inner) {
        while inner.bytes > self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.bytes = inner.bytes.saturating_sub(e.size);
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Marks `layers` as changed inside the WGS84 box `bbox`: bumps their versions and
    /// removes every cached tile holding one of them whose buffered bounds meet `bbox`.
    /// Returns the number of tiles removed.
    ///
    /// ```
    /// use geo_types::{coord, Rect};
    /// use gridmap_tiles::{Layer, TileCache, TileCoord, TileKey};
    /// let cache = TileCache::new(1 << 20);
    /// let key = TileKey::new(&[Layer::Grids, Layer::Buildings], TileCoord::new(0, 0, 0).unwrap());
    /// cache.get_or_render(&key, || Ok(vec![1])).unwrap();
    /// let area = Rect::new(coord! { x: 114.0, y: 38.0 }, coord! { x: 114.1, y: 38.1 });
    /// assert_eq!(cache.invalidate(&[Layer::Villages], area), 0);
    /// assert_eq!(cache.invalidate(&[Layer::Buildings], area), 1);
    /// assert_eq!(cache.layer_version(Layer::Buildings), 1);
    /// ```
    pub fn invalidate(&self, layers: &[Layer], bbox: Rect<f64>) -> usize {
        self.purge(layers, |k| {
            let b = k.coord.lonlat_bounds(self.buffer);
            b.min().x <= bbox.max().x
                && b.max().x >= bbox.min().x
                && b.min().y <= bbox.max().y
                && b.max().y >= bbox.min().y
        })
    }

    /// Bumps the versions of `layers` and removes the cached tiles holding one of them
    /// for which `doomed` says so; returns how many.
    fn purge(&self, layers: &[Layer], doomed: impl Fn(&TileKey) -> bool) -> usize {
        let mut inner = self.lock();
        for l in layers {
            if let Some(v) = inner.versions.get_mut(l.index()) {
                *v += 1;
            }
        }
        let doomed: Vec<TileKey> = inner
            .map
            .keys()
            .filter(|k| k.layers.iter().any(|l| layers.contains(l)) && doomed(k))
            .cloned()
            .collect();
        for k in &doomed {
            inner.remove(k);
        }
        self.purged
            .fetch_add(doomed.len() as u64, Ordering::Relaxed);
        doomed.len()
    }

    /// Like [`TileCache::invalidate`] with an area per zoom: removes the cached tiles
    /// holding one of `layers` whose buffered square meets `world_boxes[z]` (world
    /// coordinates `[min_x, min_y, max_x, max_y]`; zooms past the end use the last box).
    /// One pass over the cache, for changes whose footprint depends on the zoom (a heat
    /// cell is larger at low zoom). Returns the number of tiles removed.
    ///
    /// ```
    /// use gridmap_tiles::{Layer, TileCache, TileCoord, TileKey};
    /// let cache = TileCache::new(1 << 20);
    /// let low = TileKey::new(&[Layer::Heat], TileCoord::new(1, 0, 0).unwrap());
    /// let high = TileKey::new(&[Layer::Heat], TileCoord::new(2, 0, 0).unwrap());
    /// cache.get_or_render(&low, || Ok(vec![1])).unwrap();
    /// cache.get_or_render(&high, || Ok(vec![1])).unwrap();
    /// // At z1 the change covers the north-west quarter, at z2 a box away from tile 0/0.
    /// let boxes = [[0.0, 0.0, 1.0, 1.0], [0.1, 0.1, 0.2, 0.2], [0.6, 0.6, 0.7, 0.7]];
    /// assert_eq!(cache.invalidate_by_zoom(&[Layer::Heat], &boxes), 1);
    /// assert!(!cache.contains(&low) && cache.contains(&high));
    /// ```
    pub fn invalidate_by_zoom(&self, layers: &[Layer], world_boxes: &[[f64; 4]]) -> usize {
        let Some(last) = world_boxes.last() else {
            return 0;
        };
        self.purge(layers, |k| {
            let b = world_boxes.get(usize::from(k.coord.z())).unwrap_or(last);
            let t = k.coord.world_bounds(self.buffer);
            t.min().x <= b[2] && t.max().x >= b[0] && t.min().y <= b[3] && t.max().y >= b[1]
        })
    }

    /// The current version of `layer` (0 until first invalidated).
    pub fn layer_version(&self, layer: Layer) -> u64 {
        self.lock()
            .versions
            .get(layer.index())
            .copied()
            .unwrap_or(0)
    }

    /// Whether a tile is cached, without touching its recency or the counters.
    pub fn contains(&self, key: &TileKey) -> bool {
        self.lock().map.contains_key(key)
    }

    /// Removes every tile (versions are kept).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
        inner.bytes = 0;
    }

    /// Counters and sizes.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            purged: self.purged.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            entries: inner.map.len(),
            bytes: inner.bytes,
            capacity_bytes: self.capacity,
        }
    }
}

#[cfg(test)]
mod tests;
