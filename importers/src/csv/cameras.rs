//! Camera list CSV (雪亮工程 points, as video platforms export them).

use super::{location, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use geo_types::Point;
use gridmap_core::{Camera, CameraStatus};
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &[
    "id",
    "name",
    "lon",
    "lat",
    "direction",
    "fov",
    "range",
    "status",
];

/// A camera's fields as a file gives them, before defaults and checks.
pub(crate) struct CameraFields {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) position: Point<f64>,
    pub(crate) direction: Option<f64>,
    pub(crate) fov: Option<f64>,
    pub(crate) range: Option<f64>,
    pub(crate) status: Option<String>,
}

impl CameraFields {
    /// The camera, with the defaults filled in: no direction is a dome (360°), a
    /// direction without an angle gets [`Camera::DEFAULT_FOV`], no range
    /// [`Camera::DEFAULT_RANGE`], no name the id, no status online. A bearing is
    /// brought into 0–360°. `kind` names a field in errors (`column`, `field`).
    pub(crate) fn into_camera(self, kind: &str) -> Result<Camera, String> {
        let status = match self.status {
            None => CameraStatus::Online,
            Some(s) => s.parse().map_err(|e| format!("{kind} `status`: {e}"))?,
        };
        let direction = self.direction.map(|d| d.rem_euclid(360.0));
        let fov = match (direction, self.fov) {
            (_, Some(f)) => f,
            (Some(_), None) => Camera::DEFAULT_FOV,
            (None, None) => 360.0,
        };
        let camera = Camera {
            name: self.name.unwrap_or_else(|| self.id.clone()),
            id: self.id,
            position: self.position,
            direction,
            fov,
            range: self.range.unwrap_or(Camera::DEFAULT_RANGE),
            status,
        };
        camera.check()?;
        Ok(camera)
    }
}

/// Reads a camera list.
///
/// Default columns: `id,name,lon,lat,direction,fov,range,status` (required: `id`,
/// `lon`, `lat`; Chinese headers such as 设备编号, 点位名称, 经度, 纬度, 方向, 视角,
/// 监控距离, 设备状态 are recognised). `direction` is the compass bearing the camera looks
/// along (degrees clockwise from north; empty for a dome that sees all round), `fov`
/// its horizontal field of view in degrees (default 90° with a direction, 360°
/// without), `range` how far it sees in metres (default 50, at most 1,000), `status`
/// `online`/在线, `offline`/离线 or `fault`/故障 (default online).
///
/// ```
/// use gridmap_importers::{read_cameras_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cameras.csv");
/// std::fs::write(&path, "设备编号,点位名称,经度,纬度,方向,视角,监控距离,设备状态\nC1,东门,114.61,33.82,90,60,80,在线\nC2,广场,114.62,33.82,,,,离线\nC3,北门,114.61,33.83,0,60,5000,在线\n").unwrap();
/// let (cameras, report) = read_cameras_csv(&path, &CsvOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(cameras.len(), 2);
/// assert_eq!((cameras[0].direction, cameras[0].fov, cameras[0].range), (Some(90.0), 60.0, 80.0));
/// assert_eq!((cameras[1].direction, cameras[1].fov), (None, 360.0));
/// assert_eq!(cameras[1].status, gridmap_core::CameraStatus::Offline);
/// assert!(report.rejected[0].reason.contains("range 5000"), "{:?}", report.rejected);
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_cameras_csv(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Camera>, ImportReport), ImportError> {
    read_rows(
        path.as_ref(),
        options,
        bar,
        FIELDS,
        &["id", "lon", "lat"],
        |row| {
            let position = location(row, options.crs)?.ok_or("columns `lon`/`lat`: empty")?;
            CameraFields {
                id: row.get("id").ok_or("column `id`: empty")?.to_owned(),
                name: row.get("name").map(str::to_owned),
                position,
                direction: row.parse("direction", "a bearing in degrees")?,
                fov: row.parse("fov", "an angle in degrees")?,
                range: row.parse("range", "a distance in metres")?,
                status: row.get("status").map(str::to_owned),
            }
            .into_camera("column")
        },
    )
}
