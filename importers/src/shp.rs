//! Shapefiles: the `.shp` with its `.shx` and `.dbf`, the `.prj` for the coordinate
//! system and the `.cpg` for the attribute text's encoding. Each record becomes a
//! GeoJSON Feature value handed to the conversion GeoJSON features go through, so ids,
//! field names, repairs and rejections follow the same rules.
//!
//! The attribute encoding is, in order: `--encoding`, the `.cpg`, the `.dbf`'s language
//! driver byte (0x4D: GB2312/GBK), else UTF-8. Text that is not valid in the encoding
//! chosen (GBK read as UTF-8), or UTF-8 text said to be GBK, stops the import with a
//! message naming the record and what to give instead: mojibake never reaches the store.

use crate::crs::Crs;
use crate::csv::TextEncoding;
use crate::feature_source::{feature_json, file_crs, geometry_json};
use crate::report::file_name;
use crate::{GeoJsonOptions, ImportError};
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use shapefile::dbase;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A Shapefile opened for reading, with the CRS and encoding it will be read in.
pub(crate) struct ShapefileSource {
    path: PathBuf,
    reader: shapefile::Reader<std::io::BufReader<std::fs::File>, std::io::BufReader<std::fs::File>>,
    /// The CRS its coordinates are in.
    pub crs: Crs,
    encoding: &'static encoding_rs::Encoding,
    /// Where the encoding came from, for messages.
    encoding_from: String,
}

impl ShapefileSource {
    /// Opens the `.shp` at `path` and decides its CRS (`--crs` when given, else the
    /// `.prj`) and attribute encoding.
    pub(crate) fn open(path: &Path, options: &GeoJsonOptions) -> Result<Self, ImportError> {
        let fail = |message: String| ImportError::Unreadable {
            path: path.to_path_buf(),
            message,
        };
        let file = file_name(path);
        let dbf = path.with_extension("dbf");
        if !dbf.exists() {
            return Err(fail(format!(
                "its attribute table {} is missing: copy the .dbf (and .shx, .prj, .cpg) beside it",
                file_name(&dbf)
            )));
        }
        let (encoding, encoding_from) = attribute_encoding(path, options.encoding)?;
        let shapes = shapefile::ShapeReader::from_path(path)
            .map_err(|e| fail(format!("cannot read the shapes: {e}")))?;
        if !path.with_extension("shx").exists() {
            tracing::warn!(file = %file, "no .shx index beside the .shp: read in order without it");
        }
        let bbox = shapes.header().bbox;
        let table = std::fs::File::open(&dbf).map_err(|source| ImportError::Io {
            path: dbf.clone(),
            source,
        })?;
        // The text is read byte for byte (x-user-defined maps each byte to one char and
        // back) and decoded here, where a wrong encoding is caught and named.
        let dbase = dbase::ReaderBuilder::new()
            .with_encoding(dbase::encoding::EncodingRs::from(
                encoding_rs::X_USER_DEFINED,
            ))
            .build(std::io::BufReader::new(table))
            .map_err(|e| fail(format!("cannot read {}: {e}", file_name(&dbf))))?;
        let prj = path.with_extension("prj");
        let declared = std::fs::read_to_string(&prj)
            .ok()
            .map(|wkt| (prj, crate::crs::from_wkt(&wkt)));
        let bbox = [bbox.min.x, bbox.min.y, bbox.max.x, bbox.max.y];
        let missing = format!("no {}", file_name(&path.with_extension("prj")));
        let crs = file_crs(path, options, declared, &missing, bbox)?;
        Ok(ShapefileSource {
            path: path.to_path_buf(),
            reader: shapefile::Reader::new(shapes, dbase),
            crs,
            encoding,
            encoding_from,
        })
    }

    /// Calls `feature(index, value)` with each record as a GeoJSON Feature, in file order.
    pub(crate) fn for_each(
        mut self,
        bar: &ProgressBar,
        mut feature: impl FnMut(usize, Value),
    ) -> Result<(), ImportError> {
        if let Ok(count) = self.reader.shape_count() {
            bar.set_length(count as u64);
        }
        let (path, encoding, from) = (self.path, self.encoding, self.encoding_from);
        for (index, record) in self.reader.iter_shapes_and_records().enumerate() {
            let (shape, record) = record.map_err(|e| ImportError::Unreadable {
                path: path.clone(),
                message: record_error(index, &e),
            })?;
            let mut properties = Map::new();
            for (name, value) in record {
                let text = |raw: &str, field: &str| {
                    decode(raw, encoding, &from).map_err(|why| ImportError::Unreadable {
                        path: path.clone(),
                        message: encoding_advice(index, field, why, encoding, &from),
                    })
                };
                let name = text(&name, "(a field name)")?;
                let value = match value {
                    dbase::FieldValue::Character(Some(raw)) => Value::String(text(&raw, &name)?),
                    dbase::FieldValue::Memo(raw) => Value::String(text(&raw, &name)?),
                    other => field_json(other),
                };
                properties.insert(name, value);
            }
            let geometry = match geo_types::Geometry::<f64>::try_from(shape) {
                Ok(g) => geometry_json(&g),
                // A null shape (or one with no parts): the feature is rejected as having
                // no geometry, like a GeoJSON feature with `"geometry": null`.
                Err(_) => Value::Null,
            };
            feature(index, feature_json(properties, geometry));
            bar.inc(1);
        }
        Ok(())
    }
}

/// The encoding of `path`'s attribute text and where that came from.
fn attribute_encoding(
    path: &Path,
    given: Option<TextEncoding>,
) -> Result<(&'static encoding_rs::Encoding, String), ImportError> {
    if let Some(e) = given {
        return Ok((e.encoding(), GIVEN.into()));
    }
    let cpg = path.with_extension("cpg");
    if let Ok(label) = std::fs::read_to_string(&cpg) {
        let label = label.trim().trim_start_matches('\u{feff}');
        let encoding = match label.to_ascii_uppercase().as_str() {
            "65001" | "UTF8" | "UTF-8" => Some(encoding_rs::UTF_8),
            "936" | "CP936" | "GBK" | "GB2312" | "GB18030" | "ANSI 936" => {
                Some(TextEncoding::Gbk.encoding())
            }
            _ => encoding_rs::Encoding::for_label(label.as_bytes()),
        };
        return match encoding {
            Some(e) => Ok((e, file_name(&cpg))),
            None => Err(ImportError::Unreadable {
                path: cpg.clone(),
                message: format!(
                    "names the encoding {label:?}, which gridmap does not know: give --encoding utf8 or --encoding gbk"
                ),
            }),
        };
    }
    // Byte 29 of a .dbf header: the language driver; 0x4D is GB2312 (code page 936).
    let mut header = [0u8; 32];
    let dbf = path.with_extension("dbf");
    let read = std::fs::File::open(&dbf).and_then(|mut f| f.read_exact(&mut header));
    // The language driver: 0x4D and 0x7A are both GBK (code page 936).
    if read.is_ok() && matches!(header[29], 0x4D | 0x7A) {
        return Ok((
            TextEncoding::Gbk.encoding(),
            format!("{}'s language driver (GBK)", file_name(&dbf)),
        ));
    }
    Ok((encoding_rs::UTF_8, "the default (no .cpg)".into()))
}

/// Text read byte for byte (x-user-defined) decoded in `encoding`, or why it is not
/// text in it: GBK bytes are not UTF-8; text that is valid UTF-8 and reads as Chinese
/// there is not GBK (read as GBK it would be mojibake), unless `--encoding` said so.
fn decode(
    raw: &str,
    encoding: &'static encoding_rs::Encoding,
    from: &str,
) -> Result<String, &'static str> {
    if raw.is_ascii() {
        return Ok(raw.to_owned());
    }
    let bytes: Vec<u8> = raw
        .chars()
        .map(|c| match u32::from(c) {
            b @ 0..=0x7F => b as u8,
            c => (c - 0xF780 + 0x80) as u8,
        })
        .collect();
    if encoding == encoding_rs::UTF_8 {
        return String::from_utf8(bytes).map_err(|_| NOT_UTF8);
    }
    if from != GIVEN && std::str::from_utf8(&bytes).is_ok_and(is_chinese_utf8) {
        return Err(UTF8_NOT_GBK);
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(&bytes)
        .map(|t| t.into_owned())
        .ok_or(NOT_GBK)
}

/// Whether `text` (valid UTF-8) reads as Chinese: every non-ASCII character is CJK (or
/// CJK punctuation, fullwidth forms). GBK bytes that happen to be valid UTF-8 decode to
/// two-byte characters (Latin, Greek, Cyrillic…), not to these.
fn is_chinese_utf8(text: &str) -> bool {
    text.chars().filter(|c| !c.is_ascii()).all(|c| {
        matches!(u32::from(c), 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
    })
}

/// Where the encoding came from when the user gave it.
const GIVEN: &str = "--encoding";
const UTF8_NOT_GBK: &str = "UTF-8, not GBK";
const NOT_GBK: &str = "not GBK";

/// The message for a record that could not be read.
fn record_error(index: usize, error: &shapefile::Error) -> String {
    format!("record {index} cannot be read: {error}; the .shp, .shx and .dbf may be from different exports, or truncated")
}

const NOT_UTF8: &str = "not UTF-8";

/// What to do about text of record `index`, field `field`, that is `why` (one of
/// the mojibake kinds) in `encoding`, chosen by `from`.
fn encoding_advice(
    index: usize,
    field: &str,
    why: &str,
    encoding: &'static encoding_rs::Encoding,
    from: &str,
) -> String {
    let advice = match why {
        UTF8_NOT_GBK => format!(
            "is UTF-8, but {from} says {}: give --encoding utf8 (or fix the .cpg)",
            encoding.name()
        ),
        NOT_UTF8 => format!(
            "is not UTF-8 ({from}); Chinese Shapefiles are often GBK: give --encoding gbk, or add a .cpg holding GBK"
        ),
        _ => format!("is not valid {} ({from})", encoding.name()),
    };
    format!("record {index}, field `{field}`: the text {advice}; nothing imported")
}

/// A dBase field value as JSON: whole numbers as integers (codes stored as numbers keep
/// their digits), dates as `YYYY-MM-DD`.
fn field_json(value: dbase::FieldValue) -> Value {
    use dbase::FieldValue as F;
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            Value::from(n as i64)
        } else {
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
        }
    };
    match value {
        F::Character(s) => s.map_or(Value::Null, Value::String),
        F::Memo(s) => Value::String(s),
        F::Numeric(n) => n.map_or(Value::Null, number),
        F::Float(n) => n.map_or(Value::Null, |n| number(f64::from(n))),
        F::Integer(n) => Value::from(n),
        F::Double(n) | F::Currency(n) => number(n),
        F::Logical(b) => b.map_or(Value::Null, Value::Bool),
        F::Date(d) => d.map_or(Value::Null, |d| {
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }),
        F::DateTime(t) => {
            let (d, time) = (t.date(), t.time());
            Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                time.hours(),
                time.minutes(),
                time.seconds()
            ))
        }
    }
}
