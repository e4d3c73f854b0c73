//! What kind of file a path holds, from its first bytes (and its extension where the
//! bytes say nothing): so a reader given the wrong kind names it ("this is a Shapefile")
//! instead of reporting it as a broken file of its own kind.
//!
//! ```
//! use gridmap_importers::format::{sniff, FileFormat};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("villages.json");
//! std::fs::write(&path, b"\xEF\xBB\xBF  {\"type\":\"FeatureCollection\",\"features\":[]}").unwrap();
//! assert_eq!(sniff(&path).unwrap(), FileFormat::GeoJson);
//! std::fs::write(&path, b"SQLite format 3\0").unwrap();
//! assert_eq!(sniff(&path).unwrap(), FileFormat::GeoPackage);
//! ```

use crate::ImportError;
use std::io::Read;
use std::path::Path;

/// A kind of file the importers tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// GeoJSON or GeoJSONSeq text (starts with `{`, `[` or a record separator).
    GeoJson,
    /// An ESRI Shapefile's `.shp` (file code 9994).
    Shapefile,
    /// A `.dbf` table, `.shx` index or `.prj` of a Shapefile rather than its `.shp`.
    ShapefilePart,
    /// A GeoPackage (an SQLite database).
    GeoPackage,
    /// FlatGeobuf.
    FlatGeobuf,
    /// An OpenStreetMap PBF extract.
    OsmPbf,
    /// A ZIP archive: an Excel workbook (.xlsx) or a zipped Shapefile.
    Zip,
    /// A legacy Excel workbook (.xls).
    Xls,
    /// Text that is not JSON: CSV or similar.
    Text,
    /// Something else.
    Unknown,
}

impl FileFormat {
    /// The format's name as a user knows it.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::GeoJson => "GeoJSON",
            FileFormat::Shapefile => "Shapefile",
            FileFormat::ShapefilePart => "part of a Shapefile (.dbf, .shx or .prj)",
            FileFormat::GeoPackage => "GeoPackage (SQLite)",
            FileFormat::FlatGeobuf => "FlatGeobuf",
            FileFormat::OsmPbf => "OpenStreetMap PBF",
            FileFormat::Zip => "ZIP archive (an .xlsx workbook or a zipped Shapefile)",
            FileFormat::Xls => "Excel workbook (.xls)",
            FileFormat::Text => "text file (CSV?)",
            FileFormat::Unknown => "file of unknown kind",
        }
    }

    /// Which `gridmap import` command reads this format, for the message when another
    /// one was given it.
    pub fn reader_hint(self) -> &'static str {
        match self {
            FileFormat::GeoJson
            | FileFormat::Shapefile
            | FileFormat::FlatGeobuf
            | FileFormat::GeoPackage => {
                "`gridmap import villages` or `gridmap import buildings` read it"
            }
            FileFormat::ShapefilePart => "give the .shp beside it (with its .shx, .dbf, .prj)",
            FileFormat::OsmPbf => "`gridmap import osm` reads it",
            FileFormat::Zip | FileFormat::Xls | FileFormat::Text => {
                "`gridmap import households` or `gridmap import staff` read registers and rosters (CSV, XLSX)"
            }
            FileFormat::Unknown => "check that it is the file you meant",
        }
    }
}

/// Reads the first bytes of `path` and says what kind of file it is.
pub fn sniff(path: &Path) -> Result<FileFormat, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .map_err(io)?
        .take(64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(of_bytes(&head, &extension))
}

/// The kind of a file starting with `head`, named with `extension` (lower case).
fn of_bytes(head: &[u8], extension: &str) -> FileFormat {
    const SHAPEFILE_CODE: [u8; 4] = [0x00, 0x00, 0x27, 0x0A];
    if head.starts_with(&SHAPEFILE_CODE) {
        // The .shx has the same header as the .shp.
        return if extension == "shx" {
            FileFormat::ShapefilePart
        } else {
            FileFormat::Shapefile
        };
    }
    if head.starts_with(b"SQLite format 3\0") {
        return FileFormat::GeoPackage;
    }
    if head.starts_with(b"fgb\x03") {
        return FileFormat::FlatGeobuf;
    }
    if head.starts_with(b"PK\x03\x04") {
        return FileFormat::Zip;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return FileFormat::Xls;
    }
    // An OSM PBF starts with a 4-byte header length, then a BlobHeader naming its type.
    if head.len() >= 13 && head[4..].windows(9).any(|w| w == b"OSMHeader") {
        return FileFormat::OsmPbf;
    }
    if matches!(extension, "dbf" | "prj" | "cpg") {
        return FileFormat::ShapefilePart;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[' | 0x1E) => FileFormat::GeoJson,
        // No control characters but line ends and tabs (UTF-8 or GBK text alike).
        Some(_)
            if text
                .iter()
                .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n')) =>
        {
            FileFormat::Text
        }
        _ => FileFormat::Unknown,
    }
}

/// The error for a file of kind `found` given to a reader of another kind.
pub(crate) fn wrong_format(path: &Path, found: FileFormat) -> ImportError {
    ImportError::WrongFormat {
        path: path.to_path_buf(),
        found: found.name(),
        hint: found.reader_hint(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_told_by_its_first_bytes() {
        let cases: [(&[u8], &str, FileFormat); 10] = [
            (&[0, 0, 0x27, 0x0A, 0, 0], "shp", FileFormat::Shapefile),
            (&[0, 0, 0x27, 0x0A, 0, 0], "shx", FileFormat::ShapefilePart),
            (b"\x03\x7a\x01\x01", "dbf", FileFormat::ShapefilePart),
            (b"fgb\x03fgb\x00", "fgb", FileFormat::FlatGeobuf),
            (b"PK\x03\x04", "xlsx", FileFormat::Zip),
            (
                b"\0\0\0\x0d\x0a\x09OSMHeader\x18",
                "pbf",
                FileFormat::OsmPbf,
            ),
            (b"\n [ {", "json", FileFormat::GeoJson),
            (b"\x1e{\"type\"", "geojsons", FileFormat::GeoJson),
            ("地址,户主\n".as_bytes(), "csv", FileFormat::Text),
            (&[0x01, 0x02, 0x03], "bin", FileFormat::Unknown),
        ];
        for (head, extension, expected) in cases {
            assert_eq!(of_bytes(head, extension), expected, "{head:?} .{extension}");
        }
    }
}
