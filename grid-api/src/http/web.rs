//! The web map's files: `/` (index.html), `/wall` (wall.html, the command-centre wall display),
//! `/m` (m.html, the grid staff's phone page, with its service worker `/m-sw.js`),
//! `/static/*` (our modules and CSS),
//! `/vendor/maplibre-gl/*` (MapLibre from npm), `/fonts/{fontstack}/{range}.pbf` (glyphs
//! generated at build time), `/style.json` and `/config.js`. The files are built into the
//! binary (see build.rs), or read from `serve --web-dir` when working on the web map;
//! either way only the files the page loads are served (no package.json, READMEs or
//! build scripts). Nothing comes from a CDN.

use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::borrow::Cow;
use std::path::Path as FsPath;

include!(concat!(env!("OUT_DIR"), "/web_files.rs"));

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/wall", get(wall))
        .route("/m", get(phone))
        .route("/m-sw.js", get(phone_worker))
        .route("/static/{*path}", get(static_file))
        .route("/vendor/maplibre-gl/{*path}", get(vendor_file))
        .route("/fonts/{fontstack}/{range}", get(glyphs))
        .route("/style.json", get(style))
        .route("/config.js", get(config_js))
}

/// MapLibre's files the page loads, under node_modules/maplibre-gl/dist/.
const MAPLIBRE: [&str; 3] = [
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
];

/// Whether `rel` (a path under web/) is one of the files the page loads: our top-level
/// HTML, modules and CSS, style.json, a glyph range, or MapLibre's module, worker and
/// CSS. Everything else under web/ stays private.
fn served(rel: &str) -> bool {
    let plain = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && !part
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\'))
    };
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [file] => {
            plain(file)
                && (*file == "style.json"
                    || [".html", ".js", ".css"].iter().any(|e| file.ends_with(e)))
        }
        ["glyphs", font, range] => plain(font) && plain(range) && range.ends_with(".pbf"),
        ["node_modules", "maplibre-gl", "dist", file] => MAPLIBRE.contains(file),
        _ => false,
    }
}

fn content_type(path: &str) -> &'static str {
    match FsPath::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "pbf" => "application/x-protobuf",
        _ => "application/octet-stream",
    }
}

/// The file `rel` under web/: built in, or from `--web-dir`. `None` when it is not one
/// the page loads or does not exist.
async fn web_file(state: &AppState, rel: &str) -> Result<Option<Cow<'static, [u8]>>, ApiError> {
    if !served(rel) {
        return Ok(None);
    }
    let Some(dir) = &state.config().web_dir else {
        return Ok(WEB_FILES
            .iter()
            .find(|(name, _)| *name == rel)
            .map(|(_, bytes)| Cow::Borrowed(*bytes)));
    };
    match tokio::fs::read(dir.join(rel)).await {
        Ok(bytes) => Ok(Some(Cow::Owned(bytes))),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(ApiError::internal(format!(
            "reading {rel} in {}: {e}",
            dir.display()
        ))),
    }
}

/// What a request for a missing file is told: what to run when the web map is not
/// built, "no such file" otherwise.
fn not_built(state: &AppState) -> String {
    match &state.config().web_dir {
        Some(dir) => format!(
            "no such file; if the web map is not built, run `npm ci && npm run build` in {}",
            dir.display()
        ),
        None if !WEB_MISSING.is_empty() => format!(
            "this gridmap was built without its web map (missing {}): run `npm ci && npm run build` in web/ and build gridmap again, or pass --web-dir",
            WEB_MISSING.join(", ")
        ),
        None => "no such file".to_owned(),
    }
}

/// What was missing from the web map when this binary was built (empty when complete);
/// `serve` warns about it at start.
pub fn missing_web_files() -> &'static [&'static str] {
    WEB_MISSING
}

async fn send_file(state: &AppState, rel: &str, cache: &'static str) -> Result<Response, ApiError> {
    let Some(bytes) = web_file(state, rel).await? else {
        return Err(ApiError::not_found(not_built(state)));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(rel)),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response())
}

async fn index(State(state): State<AppState>) -> Result<Response, ApiError> {
    page(&state, "index.html").await
}

async fn wall(State(state): State<AppState>) -> Result<Response, ApiError> {
    page(&state, "wall.html").await
}

async fn phone(State(state): State<AppState>) -> Result<Response, ApiError> {
    page(&state, "m.html").await
}

/// The phone page's service worker, served beside `/m` so its scope can cover it.
async fn phone_worker(State(state): State<AppState>) -> Result<Response, ApiError> {
    send_file(&state, "m-sw.js", "no-cache").await
}

/// One of the web map's HTML pages; a clear message when the web map is not built.
async fn page(state: &AppState, file: &str) -> Result<Response, ApiError> {
    send_file(state, file, "no-cache").await
}

async fn static_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    // Only our top-level modules and CSS live under /static/.
    if path.contains('/') || !(path.ends_with(".js") || path.ends_with(".css")) {
        return Err(ApiError::not_found("no such file"));
    }
    send_file(&state, &path, "no-cache").await
}

async fn vendor_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    send_file(
        &state,
        &format!("node_modules/maplibre-gl/dist/{path}"),
        "public, max-age=86400",
    )
    .await
}

async fn glyphs(
    State(state): State<AppState>,
    Path((fontstack, range)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    // A font stack may name several fonts ("A,B"): serve the first one we have.
    for font in fontstack.split(',').map(str::trim) {
        let rel = format!("glyphs/{font}/{range}");
        if web_file(&state, &rel).await?.is_some() {
            return send_file(&state, &rel, "public, max-age=86400").await;
        }
    }
    Err(ApiError::not_found(not_built(&state)))
}

async fn style(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = web_file(&state, "style.json")
        .await?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .ok_or_else(|| ApiError::not_found(not_built(&state)))?;
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
    fn only_the_files_the_page_loads_are_served() {
        for rel in [
            "index.html",
            "app.js",
            "style.css",
            "style.json",
            "glyphs/Noto Sans Regular/0-255.pbf",
            "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs",
        ] {
            assert!(served(rel), "{rel}");
        }
        for rel in [
            "package.json",
            "package-lock.json",
            "README.md",
            "biome.json",
            "build/glyphs.js",
            "glyphs",
            "../etc/passwd",
            ".git/config",
            "x\n<text>\u{0}.js",
            "glyphs/../../etc/0-255.pbf",
            "node_modules/maplibre-gl/package.json",
            "node_modules/maplibre-gl/dist/maplibre-gl.mjs.map",
        ] {
            assert!(!served(rel), "{rel}");
        }
    }

    #[test]
    fn the_built_in_files_are_all_ones_the_page_loads() {
        for (name, _) in WEB_FILES {
            assert!(served(name), "{name}");
        }
    }
}
