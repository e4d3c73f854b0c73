//! What the readers of binary feature formats (Shapefile, FlatGeobuf, GeoPackage) share: geometries
//! handed on as GeoJSON values, and the file's CRS decided the same way.

use crate::crs::Crs;
use crate::report::file_name;
use crate::{GeoJsonOptions, ImportError};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A geometry as a GeoJSON geometry object.
pub(crate) fn geometry_json(geometry: &geo_types::Geometry<f64>) -> Value {
    let geometry = geojson::Geometry::new(geojson::GeometryValue::from(geometry));
    serde_json::to_value(geometry).unwrap_or(Value::Null)
}

/// A feature as the GeoJSON readers take it.
pub(crate) fn feature_json(properties: Map<String, Value>, geometry: Value) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), "Feature".into());
    object.insert("properties".into(), Value::Object(properties));
    object.insert("geometry".into(), geometry);
    Value::Object(object)
}

/// The CRS a file declares by an EPSG `code` (0 or less: none) or a WKT `definition`;
/// `None` when it declares neither.
pub(crate) fn declared_crs(code: i64, definition: Option<&str>) -> Option<Result<Crs, String>> {
    let definition = definition
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "undefined");
    Some(match (code, definition) {
        (4326, _) => Ok(Crs::Wgs84),
        (code, _) if code > 0 => format!("EPSG:{code}").parse().map_err(|e| format!("{e}")),
        (_, Some(wkt)) => crate::crs::from_wkt(wkt),
        _ => return None,
    })
}

/// The CRS of `path`, whose features span `bbox`: `--crs` when given; else the one the
/// file declares (`declared`: where, and what it said), refused naming it when it cannot
/// be converted; else, when they are not lon/lat, a Gauss–Krüger zone from the eastings
/// (`--crs auto`); else lon/lat
/// when the box fits, refused asking for `--crs` when it does not (`missing` says what
/// was not found, e.g. `no villages.prj`).
pub(crate) fn file_crs(
    path: &Path,
    options: &GeoJsonOptions,
    declared: Option<(PathBuf, Result<Crs, String>)>,
    missing: &str,
    bbox: [f64; 4],
) -> Result<Crs, ImportError> {
    let fail = |path: &Path, message: String| ImportError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    if options.crs_given {
        return Ok(options.crs);
    }
    let lon_lat = bbox[0] >= -180.0 && bbox[2] <= 180.0 && bbox[1] >= -90.0 && bbox[3] <= 90.0;
    match declared {
        Some((source, crs)) => crs.map_err(|e| fail(&source, e)),
        None if options.crs_auto && !lon_lat => {
            let crs = crate::crs::gauss_kruger_zone(bbox[0], bbox[2]).map_err(|e| fail(path, e))?;
            tracing::warn!(file = %file_name(path), "--crs auto: {missing}; the eastings carry a zone number, read as {crs}");
            Ok(crs)
        }
        None => {
            if !lon_lat {
                return Err(fail(path, format!(
                    "{missing} and coordinates up to ({:.0}, {:.0}) are not longitude/latitude: give the file's CRS with --crs (e.g. --crs EPSG:4547)",
                    bbox[2], bbox[3]
                )));
            }
            tracing::warn!(file = %file_name(path), "{missing}: coordinates read as {} (give --crs if they are in another CRS)", options.crs);
            Ok(options.crs)
        }
    }
}

/// A file in a binary feature format, opened, with the CRS it will be read in.
pub(crate) enum FeatureSource {
    // Boxed: the Shapefile reader holds its buffers inline.
    Shapefile(Box<crate::shp::ShapefileSource>),
    FlatGeobuf(crate::fgb::FlatGeobufSource),
    GeoPackage(crate::gpkg::GeoPackageSource),
}

impl FeatureSource {
    /// The CRS its coordinates are in.
    pub(crate) fn crs(&self) -> Crs {
        match self {
            FeatureSource::Shapefile(s) => s.crs,
            FeatureSource::FlatGeobuf(s) => s.crs,
            FeatureSource::GeoPackage(s) => s.crs,
        }
    }

    /// Calls `feature(index, value)` with each feature as a GeoJSON Feature value.
    pub(crate) fn for_each(
        self,
        bar: &indicatif::ProgressBar,
        feature: impl FnMut(usize, Value),
    ) -> Result<(), ImportError> {
        match self {
            FeatureSource::Shapefile(s) => s.for_each(bar, feature),
            FeatureSource::FlatGeobuf(s) => s.for_each(bar, feature),
            FeatureSource::GeoPackage(s) => s.for_each(bar, feature),
        }
    }
}
