//! Grids as FlatGeobuf: MultiPolygons in EPSG:4326 with a packed Hilbert R-tree, so
//! desktop GIS and web clients read only the part of a county they show.

use super::attributes::{FieldKind, Names, Value, GRID_FIELDS};
use super::ExportError;
use flatgeobuf::geozero::{ColumnValue, PropertyProcessor};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use gridmap_core::Grid;
use std::io::Write;

/// Writes `grids` with their attributes ([`GRID_FIELDS`]) as one FlatGeobuf dataset.
pub fn write_flatgeobuf(grids: &[Grid], names: &Names, out: impl Write) -> Result<(), ExportError> {
    let options = FgbWriterOptions {
        write_index: true,
        // Every feature is a MultiPolygon: declare it instead of guessing from the first.
        detect_type: false,
        promote_to_multi: true,
        crs: FgbCrs {
            org: Some("EPSG"),
            code: 4326,
            ..Default::default()
        },
        title: Some("gridmap grids"),
        ..Default::default()
    };
    let mut writer = FgbWriter::create_with_options("grids", GeometryType::MultiPolygon, options)?;
    for f in GRID_FIELDS {
        let (kind, nullable) = match f.kind {
            FieldKind::Text => (ColumnType::String, true),
            FieldKind::Integer => (ColumnType::Long, false),
            FieldKind::Logical => (ColumnType::Bool, false),
        };
        writer.add_column(f.name, kind, |_, column| column.nullable = nullable);
    }
    for grid in grids {
        let geometry = geo_types::Geometry::MultiPolygon(grid.polygon.clone());
        let mut failed = None;
        writer.add_feature_geom(geometry, |feature| {
            for (i, (f, value)) in GRID_FIELDS.iter().zip(names.grid_values(grid)).enumerate() {
                let column = match value {
                    Value::Text(Some(text)) => ColumnValue::String(text),
                    // A missing value is a property left out, which readers show as null.
                    Value::Text(None) => continue,
                    Value::Integer(n) => ColumnValue::Long(n),
                    Value::Logical(b) => ColumnValue::Bool(b),
                };
                if let Err(e) = feature.property(i, f.name, &column) {
                    failed.get_or_insert(e);
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
    }
    writer.write(out)?;
    Ok(())
}
