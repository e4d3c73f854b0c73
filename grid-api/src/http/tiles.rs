//! Tile endpoints: `/tiles/{layers}/{z}/{x}/{y}.mvt`, `/tiles/{layers}.json` (TileJSON),
//! `/catalog` and `/health`. Encoding and caching live in gridmap-tiles; this layer only
//! parses the request, negotiates compression and answers ETag/304.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gridmap_tiles::{CachedTile, Encoding, Layer, TileCoord, TileKey};
use std::time::Instant;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tiles/cameras/{z}/{x}/{y}", get(camera_tile))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tile))
        .route("/tiles/{layers}", get(tilejson))
        .route("/catalog", get(catalog))
        .route("/health", get(health))
}

/// Which body to send, from the request's Accept-Encoding.
fn negotiate(headers: &HeaderMap) -> Encoding {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let offers = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let token = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            token.eq_ignore_ascii_case(name) && !q_zero
        })
    };
    if offers("br") {
        Encoding::Brotli
    } else if offers("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// What the incident layers (`heat`, `incidents`) are drawn for.
#[derive(Debug, Default, serde::Deserialize)]
struct IncidentTileQuery {
    /// `24h`, `7d`, `30d`… ending now (default `30d`).
    window: Option<String>,
    /// Comma list of taxonomy group or type codes (default: all).
    category: Option<String>,
}

async fn tile(
    State(state): State<AppState>,
    Path((layers, z, x, y)): Path<(String, String, String, String)>,
    Query(q): Query<IncidentTileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let Some(y) = y.strip_suffix(".mvt") else {
        return Err(ApiError::not_found(format!(
            "tile paths end in .mvt: /tiles/{layers}/{z}/{x}/{y}.mvt"
        )));
    };
    let layer_list = Layer::parse_list(&layers)?;
    let coord = TileCoord::parse(&z, &x, y)?;
    let encoding = negotiate(&headers);
    let incident_layers = layer_list.iter().filter(|l| l.is_incident_layer()).count();
    if layer_list.iter().any(|l| l.is_camera_layer()) {
        return Err(ApiError::bad_request(format!(
            "{layers}: cameras are served on their own, to signed-in callers: /tiles/cameras/{z}/{x}/{y}.mvt"
        )));
    }
    let (tile, hit) = if incident_layers == 0 {
        let key = TileKey::new(&layer_list, coord);
        state.service().tile(key, encoding).await?
    } else if incident_layers == layer_list.len() {
        let service = state.service();
        let query = service.heat_query(q.window.as_deref(), q.category.as_deref())?;
        let now = gridmap_service::incidents::now();
        service
            .live()
            .incident_tile(&layer_list, coord, query, now, encoding)
            .await?
    } else {
        return Err(ApiError::bad_request(format!(
            "{layers}: heat and incidents change by the second and are served on their own, e.g. /tiles/heat/{z}/{x}/{y}.mvt?window=30d"
        )));
    };
    let response = tile_response(&tile, encoding, &headers);
    state
        .inner
        .metrics
        .record_tile(&Layer::list_name(&layer_list), hit, started.elapsed());
    Ok(response)
}

/// `/tiles/cameras/{z}/{x}/{y}.mvt`: the one tile path that needs a signed-in caller,
/// so only it reads the caller's credentials.
async fn camera_tile(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path((z, x, y)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let Some(y) = y.strip_suffix(".mvt") else {
        return Err(ApiError::not_found(format!(
            "tile paths end in .mvt: /tiles/cameras/{z}/{x}/{y}.mvt"
        )));
    };
    let coord = TileCoord::parse(&z, &x, y)?;
    let encoding = negotiate(&headers);
    let (tile, hit) = state
        .service()
        .camera_tile(&caller, coord, encoding)
        .await?;
    let response = tile_response(&tile, encoding, &headers);
    state
        .inner
        .metrics
        .record_tile(Layer::Cameras.name(), hit, started.elapsed());
    Ok(response)
}

fn tile_response(tile: &CachedTile, encoding: Encoding, headers: &HeaderMap) -> Response {
    let etag =
        HeaderValue::from_str(&tile.etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let common = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, no-cache"),
        ),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        (header::ETAG, etag),
    ];
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == tile.etag || t.trim() == "*")
        });
    if not_modified {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    if tile.raw.is_empty() {
        // An empty tile: 204 lets clients skip decoding.
        return (StatusCode::NO_CONTENT, common).into_response();
    }
    match (encoding.token(), tile.encoded(encoding)) {
        (Some(token), Some(body)) => (
            common,
            [
                content_type,
                (header::CONTENT_ENCODING, HeaderValue::from_static(token)),
            ],
            body.to_vec(),
        )
            .into_response(),
        _ => (common, [content_type], tile.raw.clone()).into_response(),
    }
}

async fn tilejson(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let Some(list) = name.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "TileJSON lives at /tiles/{name}.json"
        )));
    };
    let layers = Layer::parse_list(list)?;
    let data = state.service().data();
    let config = state.config();
    let body = gridmap_tiles::tilejson(
        &layers,
        &config.public_url,
        &data.tiles,
        Some(&config.attribution),
    );
    Ok(Json(body).into_response())
}

async fn catalog(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = &state.config().public_url;
    let layers = gridmap_tiles::catalog();
    let composite = Layer::list_name(&[
        Layer::Townships,
        Layer::Villages,
        Layer::Grids,
        Layer::GridLabels,
        Layer::Buildings,
    ]);
    Json(serde_json::json!({
        "layers": layers,
        "composite": { "id": composite, "tilejson": format!("{base}/tiles/{composite}.json") },
        "tilejson": format!("{base}/tiles/{{layers}}.json"),
    }))
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    let data = state.service().data();
    let snap = data.snapshot();
    Json(serde_json::json!({
        "status": "ok",
        "buildings": snap.buildings.len(),
        "grids": snap.grids.len(),
        "admin_units": snap.admin_units.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn brotli_is_preferred_then_gzip_and_q_zero_refuses() {
        assert_eq!(negotiate(&with("gzip, deflate, br")), Encoding::Brotli);
        assert_eq!(negotiate(&with("gzip")), Encoding::Gzip);
        assert_eq!(negotiate(&with("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
    }
}
