//! Downloads of a village's grids (GeoJSON, FlatGeobuf, zipped Shapefile) and its roster
//! (CSV, XLSX). Staff only; the service decides access and writes the files.

use super::{ApiError, AppState, RequestCaller};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gridmap_service::export::{parse_encoding, ExportFile};
use serde::Deserialize;
use utoipa::IntoParams;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/villages/{code}/export", get(grids))
        .route("/api/villages/{code}/roster", get(roster))
}

/// `bytes` as a file to save under `file_name`.
pub(super) fn attachment(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// An export as a download.
fn download(file: ExportFile) -> Response {
    attachment(file.content_type, &file.file_name, file.bytes)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridExportQuery {
    /// `geojson` (default), `fgb` (FlatGeobuf) or `shp` (a ZIP of .shp/.shx/.dbf/.prj/.cpg).
    pub format: Option<String>,
    /// Shapefile attribute encoding: `utf-8` (default) or `gbk` (desktop GIS in a Chinese locale).
    pub encoding: Option<String>,
    /// A saved version's id (`GET /api/villages/{code}/versions`) instead of the plan as it is.
    pub version: Option<i64>,
}

/// A village's grids as a file: MultiPolygons in EPSG:4326 with code, village, households,
/// buildings, level, locked, institution, staff id and name; no personal data (staff only).
#[utoipa::path(get, path = "/api/villages/{code}/export",
    params(("code" = String, Path, description = "12-digit village code"), GridExportQuery),
    responses((status = 200, description = "`<code>-grids.geojson` (application/geo+json), `.fgb` (application/vnd.flatgeobuf) or `.shp.zip` (application/zip)", content_type = "application/octet-stream"),
        (status = 400, description = "unknown format or encoding"), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn grids(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<GridExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("geojson").parse()?;
    let encoding = parse_encoding(q.encoding.as_deref().unwrap_or("utf-8"))?;
    let service = state.service();
    let file = match q.version {
        Some(id) => {
            service
                .export_version(&caller, &code, id, format, encoding)
                .await?
        }
        None => service.export_village_grids(&caller, &code, format, encoding)?,
    };
    Ok(download(file))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// `csv` (default; UTF-8 with a byte-order mark) or `xlsx`.
    pub format: Option<String>,
}

/// A village's roster: one row per grid with grid code, village code and name,
/// households, staff id, name and work phone; bilingual headers (staff only).
#[utoipa::path(get, path = "/api/villages/{code}/roster",
    params(("code" = String, Path, description = "12-digit village code"), RosterQuery),
    responses((status = 200, description = "`<code>-roster.csv` (text/csv) or `.xlsx`", content_type = "text/csv"),
        (status = 400, description = "unknown format"), (status = 401, description = "no staff token"), (status = 404, description = "no such village")))]
pub(super) async fn roster(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(code): Path<String>,
    Query(q): Query<RosterQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("csv").parse()?;
    Ok(download(
        state.service().village_roster(&caller, &code, format)?,
    ))
}
