//! Prometheus metrics at `/metrics`: request counts by status class, per-layer tile
//! latency histograms and the tile cache hit ratio.

use super::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.total += 1;
        self.sum += seconds;
    }
}

/// Counters shared by all requests.
#[derive(Debug, Default)]
pub(super) struct Metrics {
    /// Per layer list: latency of cache misses `[0]` and hits `[1]`.
    tile_latency: Mutex<BTreeMap<String, [Histogram; 2]>>,
    responses: [AtomicU64; 5],
}

impl Metrics {
    pub(super) fn record_tile(&self, layers: &str, cache_hit: bool, elapsed: Duration) {
        let Ok(mut map) = self.tile_latency.lock() else {
            return;
        };
        // Allocate the key only the first time a layer list is seen: this runs per request.
        let pair = match map.get_mut(layers) {
            Some(pair) => pair,
            None => map.entry(layers.to_owned()).or_default(),
        };
        pair[usize::from(cache_hit)].observe(elapsed.as_secs_f64());
    }

    fn render(&self, state: &AppState) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP gridmap_http_responses_total Responses by status class."
        );
        let _ = writeln!(out, "# TYPE gridmap_http_responses_total counter");
        for (i, c) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "gridmap_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP gridmap_tile_seconds Time to answer a tile request, by layer list and cache hit.");
        let _ = writeln!(out, "# TYPE gridmap_tile_seconds histogram");
        if let Ok(map) = self.tile_latency.lock() {
            for (layers, pair) in map.iter() {
                for (hit, h) in pair.iter().enumerate().filter(|(_, h)| h.total > 0) {
                    let labels = format!(
                        "layers=\"{layers}\",cache=\"{}\"",
                        if hit == 1 { "hit" } else { "miss" }
                    );
                    for (bound, count) in BUCKETS.iter().zip(h.counts.iter()) {
                        let _ = writeln!(
                            out,
                            "gridmap_tile_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                        );
                    }
                    let _ = writeln!(
                        out,
                        "gridmap_tile_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                        h.total
                    );
                    let _ = writeln!(out, "gridmap_tile_seconds_sum{{{labels}}} {}", h.sum);
                    let _ = writeln!(out, "gridmap_tile_seconds_count{{{labels}}} {}", h.total);
                }
            }
        }
        let stats = state.service().live().cache().stats();
        // Counted per request here: the cache's own counters see a miss twice (the
        // handler looks before it renders).
        let (hits, misses) = self.tile_latency.lock().map_or((0, 0), |map| {
            map.values().fold((0, 0), |(h, m), pair| {
                (h + pair[1].total, m + pair[0].total)
            })
        });
        let lookups = hits + misses;
        let ratio = if lookups == 0 {
            0.0
        } else {
            hits as f64 / lookups as f64
        };
        let _ = writeln!(
            out,
            "# HELP gridmap_tile_cache_hit_ratio Share of tile requests answered from the cache."
        );
        let _ = writeln!(out, "# TYPE gridmap_tile_cache_hit_ratio gauge");
        let _ = writeln!(out, "gridmap_tile_cache_hit_ratio {ratio}");
        let _ = writeln!(out, "# TYPE gridmap_tile_cache_hits_total counter");
        let _ = writeln!(out, "gridmap_tile_cache_hits_total {hits}");
        let _ = writeln!(out, "# TYPE gridmap_tile_cache_misses_total counter");
        let _ = writeln!(out, "gridmap_tile_cache_misses_total {misses}");
        let _ = writeln!(out, "# TYPE gridmap_tile_cache_bytes gauge");
        let _ = writeln!(out, "gridmap_tile_cache_bytes {}", stats.bytes);
        out
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.inner.metrics.render(&state);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}

/// Counts every response by status class.
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = usize::from(response.status().as_u16() / 100).clamp(1, 5) - 1;
    if let Some(c) = state.inner.metrics.responses.get(class) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    response
}
