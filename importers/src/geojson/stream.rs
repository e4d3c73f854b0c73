//! Streaming over the features of a GeoJSON FeatureCollection or a GeoJSONSeq file
//! without holding the whole file in memory.
//!
//! A FeatureCollection is read with a serde visitor that hands each element of the
//! `features` array to a callback as a [`serde_json::Value`] and skips every other key.
//! GeoJSONSeq (RFC 8142, or newline-delimited GeoJSON) is read line by line; an optional
//! leading record separator (0x1E) is ignored.

use crate::error::ImportError;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::BufRead;
use std::path::Path;

/// How the features are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoJsonLayout {
    /// One `FeatureCollection` object.
    FeatureCollection,
    /// One feature per line (GeoJSONSeq / newline-delimited).
    Seq,
}

/// Picks the layout: `.geojsonl`, `.geojsons`, `.geojsonseq`, `.ndjson`, `.jsonl` or a
/// leading record separator mean GeoJSONSeq; anything else a FeatureCollection.
pub(crate) fn detect(path: &Path, reader: &mut impl BufRead) -> Result<GeoJsonLayout, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(
        ext.as_str(),
        "geojsonl" | "geojsons" | "geojsonseq" | "ndjson" | "jsonl" | "geojsonld"
    ) {
        return Ok(GeoJsonLayout::Seq);
    }
    let buf = reader.fill_buf().map_err(|e| ImportError::io(path, e))?;
    match buf.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(0x1e) => Ok(GeoJsonLayout::Seq),
        _ => Ok(GeoJsonLayout::FeatureCollection),
    }
}

/// Calls `f(index, line, text)` for every non-empty line of a GeoJSONSeq file (the text
/// without leading whitespace or record separator), leaving the parsing to the caller.
pub(crate) fn for_each_seq(
    path: &Path,
    mut reader: impl BufRead,
    mut f: impl FnMut(usize, usize, &[u8]),
) -> Result<(), ImportError> {
    let mut line = Vec::new();
    let mut line_no = 0usize;
    let mut index = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| ImportError::io(path, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let start = line
            .iter()
            .position(|b| !b.is_ascii_whitespace() && *b != 0x1e);
        let Some(text) = start.and_then(|s| line.get(s..)) else {
            continue;
        };
        f(index, line_no, text);
        index += 1;
    }
}

/// Calls `f(index, None, value)` for every element of the `features` array of a
/// FeatureCollection, and `crs(value)` with its `crs` member (GeoJSON 2008) when it has
/// one, in the order they come. Errors name the line and the feature being read.
pub(crate) fn for_each_collection(
    path: &Path,
    reader: impl std::io::Read,
    mut f: impl FnMut(usize, Option<usize>, serde_json::Value),
    mut crs: impl FnMut(serde_json::Value),
) -> Result<(), ImportError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut count = 0usize;
    let seed = Collection {
        f: &mut f,
        crs: &mut crs,
        count: &mut count,
    };
    let json_err = |source: serde_json::Error, count: usize| ImportError::Json {
        path: path.to_path_buf(),
        line: Some(source.line()),
        feature: Some(count),
        source,
    };
    let found = match seed.deserialize(&mut de) {
        Ok(found) => found,
        Err(e) => return Err(json_err(e, count)),
    };
    de.end().map_err(|e| json_err(e, count))?;
    if !found {
        return Err(ImportError::GeoJson {
            path: path.to_path_buf(),
            line: None,
            feature: None,
            message: "no \"features\" array: expected a FeatureCollection (or a GeoJSONSeq file, one feature per line)".into(),
        });
    }
    Ok(())
}

type Callback<'a> = dyn FnMut(usize, Option<usize>, serde_json::Value) + 'a;

struct Collection<'a, 'b> {
    f: &'a mut Callback<'b>,
    crs: &'a mut (dyn FnMut(serde_json::Value) + 'b),
    count: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for Collection<'_, '_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Collection<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                map.next_value_seed(Features {
                    f: &mut *self.f,
                    count: &mut *self.count,
                })?;
                found = true;
            } else if key == "crs" {
                (self.crs)(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct Features<'a, 'b> {
    f: &'a mut Callback<'b>,
    count: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of GeoJSON features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            (self.f)(*self.count, None, value);
            *self.count += 1;
        }
        Ok(())
    }
}
