//! The web map's files: `/` (index.html), `/wall` (wall.html, the command-centre wall display),
//! `/static/*` (our modules and CSS),
//! `/vendor/maplibre-gl/*` (MapLibre from npm), `/fonts/{fontstack}/{range}.pbf` (glyphs
//! generated at build time), `/style.json` and `/config.js`. Everything is served from
//! the web directory: nothing comes from a CDN.

use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Component, Path as FsPath, PathBuf};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/wall", get(wall))
        .route("/static/{*path}", get(static_file))
        .route("/vendor/maplibre-gl/{*path}", get(vendor_file))
        .route("/fonts/{fontstack}/{range}", get(glyphs))
        .route("/style.json", get(style))
        .route("/config.js", get(config_js))
}

/// Joins `relative` under `root`, refusing `..`, absolute paths and hidden files.
fn safe_join(root: &FsPath, relative: &str) -> Option<PathBuf> {
    let rel = FsPath::new(relative);
    let ok = rel
        .components()
        .all(|c| matches!(c, Component::Normal(s) if !s.to_string_lossy().starts_with('.')));
    ok.then(|| root.join(rel))
}

fn content_type(path: &FsPath) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "pbf" => "application/x-protobuf",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

async fn send_file(path: PathBuf, cache: &'static str) -> Result<Response, ApiError> {
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&path)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            bytes,
        )
            .into_response()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::not_found(format!(
            "no such file: {}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ))),
        Err(e) => Err(ApiError::internal(format!(
            "reading {}: {e}",
            path.display()
        ))),
    }
}

async fn index(State(state): State<AppState>) -> Result<Response, ApiError> {
    page(&state, "index.html").await
}

async fn wall(State(state): State<AppState>) -> Result<Response, ApiError> {
    page(&state, "wall.html").await
}

/// One of the web directory's HTML pages; a clear message when the web map is not built.
async fn page(state: &AppState, file: &str) -> Result<Response, ApiError> {
    let path = state.config().web_dir.join(file);
    if !path.exists() {
        return Err(ApiError::not_found(format!(
            "the web map is not built: run `npm ci && npm run build` in {} (or pass --web-dir)",
            state.config().web_dir.display()
        )));
    }
    send_file(path, "no-cache").await
}

async fn static_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    if path.starts_with("node_modules") {
        return Err(ApiError::not_found("no such file"));
    }
    let full = safe_join(&state.config().web_dir, &path)
        .ok_or_else(|| ApiError::bad_request("bad path"))?;
    send_file(full, "no-cache").await
}

async fn vendor_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let root = state.config().web_dir.join("node_modules/maplibre-gl/dist");
    let full = safe_join(&root, &path).ok_or_else(|| ApiError::bad_request("bad path"))?;
    send_file(full, "public, max-age=86400").await
}

async fn glyphs(
    State(state): State<AppState>,
    Path((fontstack, range)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let root = state.config().web_dir.join("glyphs");
    // A font stack may name several fonts ("A,B"): serve the first one we have.
    for font in fontstack.split(',').map(str::trim) {
        if let Some(full) = safe_join(&root, &format!("{font}/{range}")) {
            if full.exists() {
                return send_file(full, "public, max-age=86400").await;
            }
        }
    }
    Err(ApiError::not_found(format!(
        "no glyphs for {fontstack}/{range}: run `npm run build` in the web directory"
    )))
}

async fn style(State(state): State<AppState>) -> Result<Response, ApiError> {
    let path = state.config().web_dir.join("style.json");
    let text = tokio::fs::read_to_string(&path).await.map_err(|_| {
        ApiError::not_found("style.json is missing: run `npm run build` in the web directory")
    })?;
    let body = text.replace("{base}", &state.config().public_url);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// Deployment settings for the page (`window.GRIDMAP_CONFIG`).
async fn config_js(State(state): State<AppState>) -> Response {
    let config = state.config();
    let value = serde_json::json!({
        "base": config.public_url,
        "basemap": config.basemap_style,
        "attribution": config.attribution,
        "localDemo": config.local_demo,
    });
    let body =
        format!("window.GRIDMAP_CONFIG = Object.assign({value}, window.GRIDMAP_CONFIG || {{}});\n");
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_web_directory() {
        let root = FsPath::new("/srv/web");
        assert!(safe_join(root, "../etc/passwd").is_none());
        assert!(safe_join(root, "/etc/passwd").is_none());
        assert!(safe_join(root, ".git/config").is_none());
        assert_eq!(
            safe_join(root, "app.js"),
            Some(PathBuf::from("/srv/web/app.js"))
        );
    }
}
