//! GeoPackage: an SQLite database holding feature tables. The table `--layer` names is
//! read, else the first in `gpkg_geometry_columns` (named in a warning when there are
//! more), in the
//! CRS `gpkg_spatial_ref_sys` gives it; each row becomes a GeoJSON Feature value with its
//! columns as typed properties, handed to the conversion GeoJSON features go through.

use crate::crs::Crs;
use crate::feature_source::{declared_crs, feature_json, file_crs, geometry_json};
use crate::report::file_name;
use crate::{GeoJsonOptions, ImportError};
use geozero::wkb::GpkgWkb;
use geozero::ToGeo;
use indicatif::ProgressBar;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A GeoPackage opened for reading: the table read, its geometry column and the CRS.
pub(crate) struct GeoPackageSource {
    path: PathBuf,
    db: Connection,
    table: String,
    geometry: String,
    /// The CRS its coordinates are in.
    pub crs: Crs,
}

impl GeoPackageSource {
    /// Opens `path`, picks its first feature table and decides its CRS (`--crs` when
    /// given, else the table's spatial reference system).
    pub(crate) fn open(path: &Path, options: &GeoJsonOptions) -> Result<Self, ImportError> {
        let fail = |message: String| ImportError::Unreadable {
            path: path.to_path_buf(),
            message,
        };
        let sql = |e: rusqlite::Error| fail(format!("cannot read it as a GeoPackage: {e}"));
        let db =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
        let mut statement = db
            .prepare(
                "SELECT g.table_name, g.column_name, g.srs_id, c.min_x, c.min_y, c.max_x, c.max_y
                 FROM gpkg_geometry_columns g LEFT JOIN gpkg_contents c USING (table_name)
                 ORDER BY g.table_name",
            )
            .map_err(|e| {
                fail(format!(
                    "has no feature tables (gpkg_geometry_columns: {e})"
                ))
            })?;
        type Layer = (String, String, i64, [Option<f64>; 4]);
        let layers: Vec<Layer> = statement
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                ))
            })
            .and_then(Iterator::collect)
            .map_err(sql)?;
        drop(statement);
        let names: Vec<&str> = layers.iter().map(|l| l.0.as_str()).collect();
        let chosen = match &options.layer {
            Some(wanted) => layers.iter().find(|l| &l.0 == wanted).ok_or_else(|| {
                fail(format!(
                    "has no feature table {wanted:?}; its tables: {} (give --layer NAME)",
                    names.join(", ")
                ))
            })?,
            None => layers
                .first()
                .ok_or_else(|| fail("has no feature table".into()))?,
        };
        let (table, geometry, srs_id, extent) = chosen.clone();
        if layers.len() > 1 && options.layer.is_none() {
            tracing::warn!(file = %file_name(path), "feature tables {}: reading {table} (choose with --layer)", names.join(", "));
        }
        let srs: Option<(String, i64, String)> = db
            .query_row(
                "SELECT organization, organization_coordsys_id, definition
                 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                [srs_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let declared = srs
            .and_then(|(organization, code, definition)| {
                let epsg = organization.eq_ignore_ascii_case("EPSG");
                declared_crs(if epsg { code } else { 0 }, Some(&definition))
            })
            .map(|crs| (path.to_path_buf(), crs));
        let bbox = match extent {
            [Some(a), Some(b), Some(c), Some(d)] => [a, b, c, d],
            _ => [0.0; 4],
        };
        let missing = format!("no spatial reference system for table {table}");
        let crs = file_crs(path, options, declared, &missing, bbox)?;
        Ok(GeoPackageSource {
            path: path.to_path_buf(),
            db,
            table,
            geometry,
            crs,
        })
    }

    /// Calls `feature(index, value)` with each row as a GeoJSON Feature, in row order.
    pub(crate) fn for_each(
        self,
        bar: &ProgressBar,
        mut feature: impl FnMut(usize, Value),
    ) -> Result<(), ImportError> {
        let path = self.path;
        let fail = |e: rusqlite::Error| ImportError::Unreadable {
            path: path.clone(),
            message: format!("cannot read its features: {e}"),
        };
        let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let count: i64 = self
            .db
            .query_row(
                &format!("SELECT count(*) FROM {}", quoted(&self.table)),
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        bar.set_length(u64::try_from(count).unwrap_or(0));
        let mut statement = self
            .db
            .prepare(&format!("SELECT * FROM {}", quoted(&self.table)))
            .map_err(fail)?;
        let columns: Vec<String> = statement
            .column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mut rows = statement.query([]).map_err(fail)?;
        let mut index = 0;
        while let Some(row) = rows.next().map_err(fail)? {
            let mut properties = Map::new();
            let mut geometry = Value::Null;
            for (i, name) in columns.iter().enumerate() {
                let value = row.get_ref(i).map_err(fail)?;
                if name == &self.geometry {
                    if let ValueRef::Blob(blob) = value {
                        geometry = GpkgWkb(blob)
                            .to_geo()
                            .map_or(Value::Null, |g| geometry_json(&g));
                    }
                    continue;
                }
                let json = match value {
                    ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(x) => Value::from(x),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                };
                properties.insert(name.clone(), json);
            }
            feature(index, feature_json(properties, geometry));
            bar.inc(1);
            index += 1;
        }
        Ok(())
    }
}
