use super::*;
use crate::coord::{lonlat_to_world, world_to_lonlat};
use geo_types::coord;

fn fill(cache: &TileCache, key: &TileKey) {
    cache
        .get_or_render(key, || Ok(vec![key.coord.z(); 64]))
        .unwrap();
}

/// The tile of zoom `z` containing world point (wx, wy), shifted by `dx` columns.
fn tile_at(z: u8, wx: f64, wy: f64, dx: i64) -> TileCoord {
    let n = f64::from(1u32 << z);
    let x = ((wx * n).floor() as i64 + dx).clamp(0, (1i64 << z) - 1) as u32;
    TileCoord::new(z, x, (wy * n).floor() as u32).unwrap()
}

#[test]
fn invalidate_purges_exactly_the_tiles_meeting_the_area_at_every_zoom() {
    let cache = TileCache::new(64 << 20);
    // A point just east of a z16 tile boundary: 1/1000 of a tile into column X+1.
    let (wx0, wy) = lonlat_to_world(114.5, 38.0);
    let col = (wx0 * 65536.0).floor();
    let wx = (col + 1.001) / 65536.0;
    let (lon, lat) = world_to_lonlat(wx, wy);
    let area = Rect::new(
        coord! { x: lon - 1e-9, y: lat - 1e-9 },
        coord! { x: lon + 1e-9, y: lat + 1e-9 },
    );

    let combos: [&[Layer]; 3] = [
        &[Layer::Grids],
        &[Layer::Buildings],
        &[Layer::Buildings, Layer::Grids],
    ];
    let mut must_go = Vec::new();
    let mut must_stay = Vec::new();
    for z in 0..=18u8 {
        for layers in combos {
            let has_grids = layers.contains(&Layer::Grids);
            let home = TileKey::new(layers, tile_at(z, wx, wy, 0));
            fill(&cache, &home);
            if has_grids {
                must_go.push(home)
            } else {
                must_stay.push(home)
            }
            if z >= 3 {
                let far = TileKey::new(layers, tile_at(z, wx, wy, 2));
                fill(&cache, &far);
                must_stay.push(far);
            }
        }
    }
    // At z16 the western neighbour holds the point only in its buffer: purge it.
    let west16 = TileKey::new(&[Layer::Grids], tile_at(16, wx, wy, -1));
    assert!(
        west16.coord.lonlat_bounds(0.0).max().x < lon,
        "the point lies outside the west tile proper"
    );
    fill(&cache, &west16);
    must_go.push(west16);
    // Two columns west, the buffer (1/64 of a tile) does not reach the point.
    let west2 = TileKey::new(&[Layer::Grids], tile_at(16, wx, wy, -2));
    fill(&cache, &west2);
    must_stay.push(west2);

    let before = cache.stats().entries;
    let purged = cache.invalidate(&[Layer::Grids], area);
    assert_eq!(purged, must_go.len());
    assert_eq!(cache.stats().entries, before - must_go.len());
    for k in &must_go {
        assert!(
            !cache.contains(k),
            "{:?} {} should be purged",
            k.layers,
            k.coord
        );
    }
    for k in &must_stay {
        assert!(cache.contains(k), "{:?} {} should stay", k.layers, k.coord);
    }
    assert_eq!(cache.layer_version(Layer::Grids), 1);
    assert_eq!(cache.layer_version(Layer::Buildings), 0);
}

#[test]
fn a_purged_tile_is_rendered_again_with_a_new_etag_when_content_is_the_same() {
    let cache = TileCache::new(1 << 20);
    let key = TileKey::new(&[Layer::Grids], TileCoord::new(0, 0, 0).unwrap());
    let a = cache.get_or_render(&key, || Ok(vec![1, 2, 3])).unwrap();
    cache.invalidate(
        &[Layer::Grids],
        Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 1.0, y: 1.0 }),
    );
    let mut rendered = false;
    let b = cache
        .get_or_render(&key, || {
            rendered = true;
            Ok(vec![1, 2, 3])
        })
        .unwrap();
    assert!(rendered);
    assert_ne!(a.etag, b.etag);
}

#[test]
fn a_render_that_races_with_an_invalidation_is_not_stored() {
    let cache = TileCache::new(1 << 20);
    let key = TileKey::new(&[Layer::Buildings], TileCoord::new(2, 1, 1).unwrap());
    let everywhere = Rect::new(coord! { x: -180.0, y: -85.0 }, coord! { x: 180.0, y: 85.0 });
    let t = cache
        .get_or_render(&key, || {
            cache.invalidate(&[Layer::Buildings], everywhere);
            Ok(vec![9; 10])
        })
        .unwrap();
    assert_eq!(t.raw, vec![9; 10]);
    assert!(!cache.contains(&key));
}

#[test]
fn least_recently_used_tiles_are_evicted_to_stay_under_the_byte_limit() {
    let one = CachedTile::new(vec![0; 1000], 0, TileCoord::new(0, 0, 0).unwrap()).size();
    let cache = TileCache::new(one * 2 + one / 2);
    let keys: Vec<TileKey> = (0..3)
        .map(|x| TileKey::new(&[Layer::Grids], TileCoord::new(2, x, 0).unwrap()))
        .collect();
    let render = || Ok(vec![0; 1000]);
    cache.get_or_render(&keys[0], render).unwrap();
    cache.get_or_render(&keys[1], render).unwrap();
    cache.get(&keys[0]); // 0 is now more recent than 1
    cache.get_or_render(&keys[2], render).unwrap();
    assert!(cache.contains(&keys[0]));
    assert!(!cache.contains(&keys[1]));
    assert!(cache.contains(&keys[2]));
    let s = cache.stats();
    assert_eq!((s.entries, s.evicted), (2, 1));
    assert!(s.bytes <= s.capacity_bytes);
}

#[test]
fn render_errors_pass_through_and_store_nothing() {
    let cache = TileCache::new(1 << 20);
    let key = TileKey::new(&[Layer::Grids], TileCoord::new(1, 0, 0).unwrap());
    let r = cache.get_or_render(&key, || {
        Err(TileError::NoLayers {
            known: String::new(),
        })
    });
    assert!(r.is_err());
    assert!(!cache.contains(&key));
}

#[test]
fn compressed_encodings_decompress_to_the_raw_bytes() {
    use std::io::Read;
    let raw: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let t = CachedTile::new(raw.clone(), 0, TileCoord::new(0, 0, 0).unwrap());
    t.encode(Encoding::Gzip).unwrap();
    t.encode(Encoding::Brotli).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(t.encoded(Encoding::Gzip).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, raw);
    let mut out = Vec::new();
    brotli::Decompressor::new(t.encoded(Encoding::Brotli).unwrap(), 4096)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, raw);
}

#[test]
fn concurrent_renders_and_invalidations_never_leave_stale_tiles() {
    use std::sync::atomic::AtomicU8;
    // The "data generation" the renderer sees; bumped before every invalidation, as a
    // server swaps its TileData before purging.
    let generation = AtomicU8::new(0);
    let cache = TileCache::new(64 << 20);
    let everywhere = Rect::new(coord! { x: -180.0, y: -85.0 }, coord! { x: 180.0, y: 85.0 });
    let keys: Vec<TileKey> = (0..16)
        .map(|x| TileKey::new(&[Layer::Grids], TileCoord::new(4, x, 3).unwrap()))
        .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (cache, keys, generation) = (&cache, &keys, &generation);
            s.spawn(move || {
                for i in 0..400 {
                    let key = &keys[(i * 7 + t) % keys.len()];
                    cache
                        .get_or_render(key, || {
                            let g = generation.load(Ordering::SeqCst);
                            std::thread::yield_now();
                            Ok(vec![g; 8])
                        })
                        .unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..50 {
                generation.fetch_add(1, Ordering::SeqCst);
                cache.invalidate(&[Layer::Grids], everywhere);
                std::thread::yield_now();
            }
        });
    });
    let last = generation.load(Ordering::SeqCst);
    for key in &keys {
        if cache.contains(key) {
            let t = cache.get(key).unwrap();
            assert_eq!(t.raw[0], last, "stale tile kept for {}", key.coord);
        }
    }
}

#[test]
fn cache_and_tile_data_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<TileCache>();
    shared::<CachedTile>();
    shared::<crate::TileData>();
}

#[test]
fn a_miss_compresses_only_the_requested_encoding_and_the_etag_does_not_depend_on_it() {
    let cache = TileCache::new(1 << 20);
    let key = TileKey::new(&[Layer::Buildings], TileCoord::new(5, 3, 4).unwrap());
    let raw: Vec<u8> = (0..4000u32).map(|i| (i % 97) as u8).collect();
    let t = cache
        .get_or_render_as(&key, Encoding::Gzip, || Ok(raw.clone()))
        .unwrap();
    assert!(t.encoded(Encoding::Gzip).is_some());
    assert!(t.encoded(Encoding::Brotli).is_none());
    let other = CachedTile::new(raw.clone(), 0, key.coord);
    other.encode(Encoding::Brotli).unwrap();
    assert_eq!(t.etag, other.etag);
}

#[test]
fn an_encoding_added_later_is_counted_in_the_cache_bytes_and_released_on_purge() {
    let cache = TileCache::new(1 << 20);
    let key = TileKey::new(&[Layer::Grids], TileCoord::new(6, 10, 20).unwrap());
    let raw: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let t = cache
        .get_or_render_as(&key, Encoding::Identity, || Ok(raw.clone()))
        .unwrap();
    assert_eq!(cache.stats().bytes, t.size());
    let t = cache
        .get_or_render_as(&key, Encoding::Brotli, || unreachable!("cached"))
        .unwrap();
    let br = t.encoded(Encoding::Brotli).unwrap().len();
    assert!(br > 0);
    assert_eq!(cache.stats().bytes, t.size());
    // Asking again neither compresses again nor counts twice.
    cache
        .get_or_render_as(&key, Encoding::Brotli, || unreachable!("cached"))
        .unwrap();
    assert_eq!(cache.stats().bytes, t.size());
    let everywhere = Rect::new(coord! { x: -180.0, y: -85.0 }, coord! { x: 180.0, y: 85.0 });
    cache.invalidate(&[Layer::Grids], everywhere);
    assert_eq!(cache.stats().bytes, 0);
}

#[test]
fn an_encoding_added_later_can_evict_older_tiles() {
    // Pseudo-random bytes: brotli cannot shrink them much.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let raw: Vec<u8> = (0..6000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect();
    let plain = CachedTile::new(raw.clone(), 0, TileCoord::new(0, 0, 0).unwrap()).size();
    // Room for two uncompressed tiles but not for two tiles plus a big encoding.
    let cache = TileCache::new(plain * 2 + plain / 10);
    let keys: Vec<TileKey> = (0..2)
        .map(|x| TileKey::new(&[Layer::Grids], TileCoord::new(2, x, 0).unwrap()))
        .collect();
    for k in &keys {
        cache.get_or_render(k, || Ok(raw.clone())).unwrap();
    }
    assert_eq!(cache.stats().entries, 2);
    cache
        .get_or_render_as(&keys[1], Encoding::Brotli, || unreachable!("cached"))
        .unwrap();
    assert!(!cache.contains(&keys[0]), "the older tile makes room");
    assert!(cache.contains(&keys[1]));
    let s = cache.stats();
    assert!(s.bytes <= s.capacity_bytes);
    assert_eq!(s.evicted, 1);
}
