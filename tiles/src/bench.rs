//! An in-process render benchmark, for `gridmap bench tiles` and the `tile_bench`
//! example.
//!
//! [`bench_render`] draws tiles over the data bounds per zoom and reports render time
//! (MVT encoding plus gzip) percentiles and tile sizes. Its counties come from
//! `gridmap-synth` (`street_grid::county`, `small::partitioned_county`) or a store.

use crate::coord::tiles_in_bbox;
use crate::{encode_tile, Layer, TileData, TileResult};
use std::io::Write;
use std::time::Instant;

/// Render timings of one zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomTimings {
    /// Zoom level.
    pub z: u8,
    /// Non-empty tiles drawn.
    pub tiles: usize,
    /// Median render + gzip time, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest tile, ms.
    pub max_ms: f64,
    /// Mean uncompressed size, bytes.
    pub mean_bytes: usize,
    /// Largest uncompressed tile, bytes.
    pub max_bytes: usize,
    /// Mean gzip size, bytes.
    pub mean_gzip_bytes: usize,
}

/// Each tile is drawn this many times and its fastest run is kept, so time stolen by
/// other processes on a busy machine does not count as render time.
pub const RUNS: usize = 3;

/// Draws up to `max_tiles` tiles per zoom (evenly spread over the data bounds) with
/// `layers` ([`RUNS`] times each, keeping the fastest), timing MVT encoding plus gzip
/// at [`crate::cache::GZIP_LEVEL`] per tile. Run it in a release build; numbers from
/// debug builds are meaningless.
///
/// ```
/// use std::sync::Arc;
/// use gridmap_tiles::{bench, Layer, TileData, TileParams};
/// let county = gridmap_synth::street_grid::county(3600);
/// let data = TileData::new(Arc::new(county), TileParams::default());
/// let t = bench::bench_render(&data, &[Layer::Grids], &[14], 4).unwrap();
/// assert_eq!(t[0].z, 14);
/// assert!(t[0].tiles >= 1 && t[0].p50_ms <= t[0].p99_ms);
/// ```
pub fn bench_render(
    data: &TileData,
    layers: &[Layer],
    zooms: &[u8],
    max_tiles: usize,
) -> TileResult<Vec<ZoomTimings>> {
    let Some(bounds) = data.bounds() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for &z in zooms {
        let all: Vec<_> = tiles_in_bbox(bounds, z).collect();
        let stride = all.len().div_ceil(max_tiles.max(1)).max(1);
        let mut times = Vec::new();
        let (mut total, mut max_bytes, mut total_gz) = (0usize, 0usize, 0usize);
        for &t in all.iter().step_by(stride) {
            let mut ms = f64::INFINITY;
            let (mut raw, mut gzip) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                let start = Instant::now();
                raw = encode_tile(data, layers, t)?;
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(crate::cache::GZIP_LEVEL),
                );
                gzip = gz
                    .write_all(&raw)
                    .and_then(|()| gz.finish())
                    .map_err(|source| crate::TileError::Compress {
                        z: t.z(),
                        x: t.x(),
                        y: t.y(),
                        source,
                    })?;
                ms = ms.min(start.elapsed().as_secs_f64() * 1000.0);
            }
            if raw.is_empty() {
                continue;
            }
            times.push(ms);
            total += raw.len();
            total_gz += gzip.len();
            max_bytes = max_bytes.max(raw.len());
        }
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| -> f64 {
            if times.is_empty() {
                return 0.0;
            }
            let i = ((times.len() as f64 - 1.0) * p).round() as usize;
            times.get(i).copied().unwrap_or(0.0)
        };
        let n = times.len().max(1);
        out.push(ZoomTimings {
            z,
            tiles: times.len(),
            p50_ms: pct(0.5),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
            mean_bytes: total / n,
            max_bytes,
            mean_gzip_bytes: total_gz / n,
        });
    }
    Ok(out)
}
