//! Exports: whole layers as GeoJSON features, and grids (the county's, a village's, or any
//! set a caller passes, such as a named version) as GeoJSON, FlatGeobuf or a Shapefile,
//! plus the roster of grids and their staff as CSV or XLSX.
//!
//! Grid exports carry only what tiles may show ([`attributes::GRID_FIELDS`]): no household
//! heads, phones or tags, and staff by id and name only. The roster adds the staff's work
//! phone and is for staff only. Geometry is MultiPolygon in EPSG:4326 (lon/lat).

pub mod attributes;
pub mod flatgeobuf;
pub mod roster;
pub mod shapefile;

pub use self::flatgeobuf::write_flatgeobuf;
pub use self::shapefile::{shapefile, ShapefileFiles};
pub use attributes::{Names, GRID_FIELDS};
pub use gridmap_importers::TextEncoding;
pub use roster::{roster_csv, roster_rows, roster_xlsx, RosterRow};

use crate::plan::parse_village;
use crate::{Caller, Service, ServiceError, ServiceResult};
use geojson::{Feature, FeatureCollection, Geometry, JsonObject};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminLevel, AdminUnit, DivisionCode, Grid, HouseholdCountSource};
use gridmap_store::Store;
use serde_json::json;
use std::path::Path;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("writing FlatGeobuf: {0}")]
    FlatGeobuf(#[from] ::flatgeobuf::Error),
    #[error("writing FlatGeobuf: {0}")]
    Geometry(#[from] geozero::error::GeozeroError),
    #[error("writing the Shapefile: {0}")]
    Shapefile(#[from] ::shapefile::Error),
    #[error("writing the Shapefile's attribute table: {0}")]
    Table(#[from] ::shapefile::dbase::Error),
    #[error("declaring the attribute field {0}")]
    Field(String),
    #[error("writing the ZIP archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

/// The file formats grids are exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridFormat {
    GeoJson,
    FlatGeobuf,
    /// A Shapefile: five files, or one ZIP holding them where one file is wanted (HTTP).
    Shapefile,
}

/// How grid formats are named (`?format=`, `--format`).
pub const GRID_FORMATS: &str = "geojson, fgb, shp";

impl std::str::FromStr for GridFormat {
    type Err = ServiceError;
    fn from_str(s: &str) -> ServiceResult<GridFormat> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(GridFormat::GeoJson),
            "fgb" | "flatgeobuf" => Ok(GridFormat::FlatGeobuf),
            "shp" | "shapefile" => Ok(GridFormat::Shapefile),
            other => Err(ServiceError::BadInput(format!(
                "grid format {other:?}: one of {GRID_FORMATS}"
            ))),
        }
    }
}

impl GridFormat {
    /// The format a file name's extension names (`.geojson`/`.json`, `.fgb`, `.shp`, and
    /// `.zip` for a zipped Shapefile); `None` for anything else.
    pub fn of_path(path: &Path) -> Option<GridFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "zip" => Some(GridFormat::Shapefile),
            other => other.parse().ok(),
        }
    }
}

/// `utf-8` or `gbk` (`?encoding=`): the text encoding of a Shapefile's attribute table.
pub fn parse_encoding(name: &str) -> ServiceResult<TextEncoding> {
    name.parse().map_err(ServiceError::BadInput)
}

/// The file formats of the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterFormat {
    Csv,
    Xlsx,
}

impl std::str::FromStr for RosterFormat {
    type Err = ServiceError;
    fn from_str(s: &str) -> ServiceResult<RosterFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(RosterFormat::Csv),
            "xlsx" => Ok(RosterFormat::Xlsx),
            other => Err(ServiceError::BadInput(format!(
                "roster format {other:?}: one of csv, xlsx"
            ))),
        }
    }
}

impl RosterFormat {
    /// The format a file name's extension names, if any.
    pub fn of_path(path: &Path) -> Option<RosterFormat> {
        path.extension()?.to_str()?.parse().ok()
    }
}

/// One exported file, ready to be sent or saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    /// The MIME type.
    pub content_type: &'static str,
    /// A file name to save it under, e.g. `411622101201-grids.fgb`.
    pub file_name: String,
}

/// The grids to export and the names their attributes look up.
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub grids: Vec<Grid>,
    pub names: Names,
}

/// The village `code` among `unit`, or why not.
fn find_village<'a>(
    code: &str,
    unit: impl Fn(&DivisionCode) -> Option<&'a AdminUnit>,
) -> ServiceResult<DivisionCode> {
    let code = parse_village(code)?;
    match unit(&code) {
        Some(u) if u.level == AdminLevel::Village => Ok(code),
        Some(u) => Err(ServiceError::BadInput(format!(
            "{code} is a {}, not a village",
            u.level.as_str()
        ))),
        None => Err(ServiceError::NotFound(format!("no village {code}"))),
    }
}

impl ExportSource {
    /// The current grids of the store, or of one village (12-digit code).
    pub async fn load(store: &dyn Store, village: Option<&str>) -> ServiceResult<ExportSource> {
        let units = store.admin_units().await?;
        let mut grids = store.grids().await?;
        if let Some(code) = village {
            let code = find_village(code, |c| units.iter().find(|u| &u.code == c))?;
            grids.retain(|g| g.village == code);
        }
        let names = Names::new(&units, &store.staff().await?);
        Ok(ExportSource { grids, names })
    }

    /// The grids of a loaded county, or of one of its villages.
    pub fn of_snapshot(
        snap: &CountySnapshot,
        village: Option<&str>,
    ) -> ServiceResult<ExportSource> {
        let village = match village {
            Some(code) => Some(find_village(code, |c| snap.admin_unit(c))?),
            None => None,
        };
        let grids = snap
            .grids
            .iter()
            .filter(|g| village.as_ref().is_none_or(|v| &g.village == v))
            .map(|g| Grid::clone(g))
            .collect();
        Ok(ExportSource {
            grids,
            names: Names::new(&snap.admin_units, &snap.staff),
        })
    }
}

/// `grids` as GeoJSON features with the attributes of [`GRID_FIELDS`].
pub fn grid_features(grids: &[Grid], names: &Names) -> Vec<Feature> {
    grids
        .iter()
        .map(|g| {
            let properties = GRID_FIELDS
                .iter()
                .zip(names.grid_values(g))
                .map(|(f, v)| {
                    let value = match v {
                        attributes::Value::Text(t) => json!(t),
                        attributes::Value::Integer(n) => json!(n),
                        attributes::Value::Logical(b) => json!(b),
                    };
                    (f.name.to_owned(), value)
                })
                .collect();
            Feature {
                geometry: Some(Geometry::new(geojson::GeometryValue::from(&g.polygon))),
                properties: Some(properties),
                ..Default::default()
            }
        })
        .collect()
}

/// `grids` in `format`, one file (a Shapefile zipped, its files named `<stem>.*`), named
/// `<stem>.<ext>`. Staff and operators only.
pub fn grid_file(
    caller: &Caller,
    grids: &[Grid],
    names: &Names,
    format: GridFormat,
    encoding: TextEncoding,
    stem: &str,
) -> ServiceResult<ExportFile> {
    caller.must_be_office("exporting grids")?;
    let (bytes, content_type, ext) = match format {
        GridFormat::GeoJson => {
            let collection = FeatureCollection {
                bbox: None,
                features: grid_features(grids, names),
                foreign_members: None,
            };
            let bytes = serde_json::to_vec(&collection).map_err(ExportError::from)?;
            (bytes, "application/geo+json", "geojson")
        }
        GridFormat::FlatGeobuf => {
            let mut bytes = Vec::new();
            write_flatgeobuf(grids, names, &mut bytes)?;
            (bytes, "application/vnd.flatgeobuf", "fgb")
        }
        GridFormat::Shapefile => {
            // `.shp.zip`: GDAL and QGIS open such an archive as the Shapefile inside.
            let bytes = shapefile(grids, names, encoding)?.zip(stem)?;
            (bytes, "application/zip", "shp.zip")
        }
    };
    Ok(ExportFile {
        bytes,
        content_type,
        file_name: format!("{stem}.{ext}"),
    })
}

/// The roster of `grids` in `format`, named `<stem>.<ext>`. Staff and operators only: it
/// holds the staff's phones.
pub fn roster_file(
    caller: &Caller,
    grids: &[Grid],
    names: &Names,
    format: RosterFormat,
    stem: &str,
) -> ServiceResult<ExportFile> {
    caller.must_be_office("the roster (staff phones)")?;
    let rows = roster_rows(grids, names);
    let (bytes, content_type, ext) = match format {
        RosterFormat::Csv => (roster_csv(&rows)?, "text/csv; charset=utf-8", "csv"),
        RosterFormat::Xlsx => (
            roster_xlsx(&rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok(ExportFile {
        bytes,
        content_type,
        file_name: format!("{stem}.{ext}"),
    })
}

impl Service {
    /// The current grids of village `code` in `format`, as `<code>-grids.<ext>` (staff only).
    pub fn export_village_grids(
        &self,
        caller: &Caller,
        code: &str,
        format: GridFormat,
        encoding: TextEncoding,
    ) -> ServiceResult<ExportFile> {
        caller.must_be_office("exporting grids")?;
        caller.may_look_at(Some(&parse_village(code)?), None)?;
        let data = self.data();
        let source = ExportSource::of_snapshot(data.snapshot(), Some(code))?;
        let stem = format!("{}-grids", code.trim());
        grid_file(
            caller,
            &source.grids,
            &source.names,
            format,
            encoding,
            &stem,
        )
    }

    /// The roster of village `code`'s grids in `format`, as `<code>-roster.<ext>` (staff only).
    pub fn village_roster(
        &self,
        caller: &Caller,
        code: &str,
        format: RosterFormat,
    ) -> ServiceResult<ExportFile> {
        caller.must_be_office("the roster (staff phones)")?;
        caller.may_look_at(Some(&parse_village(code)?), None)?;
        let data = self.data();
        let source = ExportSource::of_snapshot(data.snapshot(), Some(code))?;
        let stem = format!("{}-roster", code.trim());
        roster_file(caller, &source.grids, &source.names, format, &stem)
    }
}

/// A layer that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportLayer {
    /// Counties, townships and villages.
    Units,
    Buildings,
    Grids,
}

fn feature(shape: &geo_types::MultiPolygon<f64>, properties: serde_json::Value) -> Feature {
    Feature {
        geometry: Some(Geometry::new(geojson::GeometryValue::from(shape))),
        properties: match properties {
            serde_json::Value::Object(map) => Some(JsonObject::from_iter(map)),
            _ => None,
        },
        ..Default::default()
    }
}

/// Every feature of `layer`, with its public attributes.
pub async fn features(
    store: &dyn Store,
    _caller: &Caller,
    layer: ExportLayer,
) -> ServiceResult<Vec<Feature>> {
    Ok(match layer {
        ExportLayer::Units => store
            .admin_units()
            .await?
            .iter()
            .map(|u| {
                let props = json!({"code": u.code, "name": u.name, "level": u.level.as_str(), "source_id": u.source_id});
                feature(&u.boundary, props)
            })
            .collect(),
        ExportLayer::Buildings => store
            .buildings()
            .await?
            .iter()
            .map(|b| {
                let props = json!({
                    "id": b.source_id, "use": b.building_use.as_str(), "levels": b.levels, "height": b.height,
                    // A building without a count (not residential, named by no register
                    // row) exports none, so that importing the file again does not take a
                    // 0 for the register's.
                    "households": (b.households.source != HouseholdCountSource::None)
                        .then_some(b.households.count),
                    "estimated": b.households.source == HouseholdCountSource::Estimated,
                    "address": b.address, "village": b.village,
                });
                feature(&b.footprint, props)
            })
            .collect(),
        ExportLayer::Grids => {
            let source = ExportSource::load(store, None).await?;
            grid_features(&source.grids, &source.names)
        }
    })
}

#[cfg(test)]
mod tests;
