//! FlatGeobuf: its header's CRS (an EPSG code or a WKT) and extent, then each feature as a
//! GeoJSON Feature value with its typed properties, handed to the conversion GeoJSON
//! features go through.

use crate::crs::Crs;
use crate::feature_source::{declared_crs, feature_json, file_crs, geometry_json};
use crate::report::file_name;
use crate::{GeoJsonOptions, ImportError};
use flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader};
use geozero::{ColumnValue, PropertyProcessor, ToGeo};
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// A FlatGeobuf file opened for reading, with the CRS it will be read in.
pub(crate) struct FlatGeobufSource {
    path: PathBuf,
    reader: FgbReader<BufReader<std::fs::File>>,
    /// The CRS its coordinates are in.
    pub crs: Crs,
}

impl FlatGeobufSource {
    /// Reads the header of `path` and decides its CRS (`--crs` when given, else the
    /// header's).
    pub(crate) fn open(path: &Path, options: &GeoJsonOptions) -> Result<Self, ImportError> {
        let reader = open(path)?;
        let header = reader.header();
        let declared = header
            .crs()
            .and_then(|crs| declared_crs(i64::from(crs.code()), crs.wkt()))
            .map(|crs| (path.to_path_buf(), crs));
        let bbox = match header.envelope() {
            Some(e) if e.len() >= 4 => [e.get(0), e.get(1), e.get(2), e.get(3)],
            // No extent in the header: out-of-range coordinates are rejected feature
            // by feature instead.
            _ => [0.0; 4],
        };
        let missing = "no CRS in its header".to_owned();
        let crs = file_crs(path, options, declared, &missing, bbox)?;
        Ok(FlatGeobufSource {
            path: path.to_path_buf(),
            reader,
            crs,
        })
    }

    /// Calls `feature(index, value)` with each feature as a GeoJSON Feature, in file
    /// order.
    pub(crate) fn for_each(
        self,
        bar: &ProgressBar,
        mut feature: impl FnMut(usize, Value),
    ) -> Result<(), ImportError> {
        let path = self.path;
        let fail = |index: Option<usize>, e: &dyn std::fmt::Display| ImportError::Unreadable {
            path: path.clone(),
            message: match index {
                Some(i) => format!("feature {i} cannot be read: {e}; the file may be truncated"),
                None => format!("cannot read its features: {e}"),
            },
        };
        let reader = self.reader;
        bar.set_length(reader.header().features_count());
        let mut features = reader.select_all().map_err(|e| fail(None, &e))?;
        let mut index = 0;
        while let Some(f) = features.next().map_err(|e| fail(Some(index), &e))? {
            let mut properties = JsonProperties::default();
            f.process_properties(&mut properties)
                .map_err(|e| fail(Some(index), &e))?;
            let geometry = f.to_geo().map_or(Value::Null, |g| geometry_json(&g));
            feature(index, feature_json(properties.0, geometry));
            bar.inc(1);
            index += 1;
        }
        Ok(())
    }
}

fn open(path: &Path) -> Result<FgbReader<BufReader<std::fs::File>>, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    FgbReader::open(BufReader::new(file)).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        message: format!(
            "not a readable FlatGeobuf ({e}); {} may be truncated",
            file_name(path)
        ),
    })
}

/// A feature's properties as JSON, keeping their types.
#[derive(Default)]
struct JsonProperties(Map<String, Value>);

impl PropertyProcessor for JsonProperties {
    fn property(
        &mut self,
        _index: usize,
        name: &str,
        value: &ColumnValue,
    ) -> geozero::error::Result<bool> {
        let json = match *value {
            ColumnValue::Byte(v) => Value::from(v),
            ColumnValue::UByte(v) => Value::from(v),
            ColumnValue::Bool(v) => Value::from(v),
            ColumnValue::Short(v) => Value::from(v),
            ColumnValue::UShort(v) => Value::from(v),
            ColumnValue::Int(v) => Value::from(v),
            ColumnValue::UInt(v) => Value::from(v),
            ColumnValue::Long(v) => Value::from(v),
            ColumnValue::ULong(v) => Value::from(v),
            ColumnValue::Float(v) => Value::from(f64::from(v)),
            ColumnValue::Double(v) => Value::from(v),
            ColumnValue::String(v) | ColumnValue::DateTime(v) => Value::from(v),
            ColumnValue::Json(v) => serde_json::from_str(v).unwrap_or_else(|_| Value::from(v)),
            ColumnValue::Binary(_) => Value::Null,
        };
        self.0.insert(name.to_owned(), json);
        // false: go on with the next property.
        Ok(false)
    }
}
