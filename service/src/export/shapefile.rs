//! Grids as an ESRI Shapefile: .shp/.shx (polygons), .dbf (attributes in UTF-8 or GBK),
//! .prj (WGS 84, ESRI WKT) and .cpg (the encoding), for desktop GIS in a Chinese locale.
//!
//! The .dbf's field names are [`Field::dbf_name`](super::attributes::Field): at most 10
//! characters, as dBase allows. Text fields are as wide as their longest value in bytes of
//! the chosen encoding (at most 254); a longer value is cut at a character boundary, never
//! inside a character.

use super::attributes::{FieldKind, Names, Value, GRID_FIELDS};
use super::{ExportError, TextEncoding};
use gridmap_core::Grid;
use shapefile::dbase::{self, FieldWriter, TableWriterBuilder, WritableRecord};
use std::io::{Cursor, Write};

/// WGS 84 geographic coordinates in ESRI's WKT flavour (what ArcGIS writes for EPSG:4326).
pub const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// The widest character field dBase allows, in bytes.
const MAX_TEXT_BYTES: usize = 254;

/// Width of the numeric fields: every count fits in 10 digits.
const NUMBER_WIDTH: u8 = 10;

/// The files of one Shapefile, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapefileFiles {
    pub shp: Vec<u8>,
    pub shx: Vec<u8>,
    pub dbf: Vec<u8>,
    pub prj: Vec<u8>,
    pub cpg: Vec<u8>,
}

impl ShapefileFiles {
    /// Each file with its extension (no dot), in the order GIS tools list them.
    pub fn files(&self) -> [(&'static str, &[u8]); 5] {
        [
            ("shp", &self.shp),
            ("shx", &self.shx),
            ("dbf", &self.dbf),
            ("prj", &self.prj),
            ("cpg", &self.cpg),
        ]
    }

    /// The five files in a ZIP archive (deflated), named `<stem>.<ext>`.
    pub fn zip(&self, stem: &str) -> Result<Vec<u8>, ExportError> {
        use zip::write::SimpleFileOptions;
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (ext, bytes) in self.files() {
            archive.start_file(format!("{stem}.{ext}"), options)?;
            archive.write_all(bytes)?;
        }
        Ok(archive.finish()?.into_inner())
    }
}

/// What the .cpg file says for `encoding`: a name every reader knows. GBK is code page
/// 936, the number ArcGIS, GDAL/QGIS and the `shapefile` crate all read.
pub fn cpg(encoding: TextEncoding) -> &'static str {
    match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Gbk => "936",
    }
}

/// Bytes of `text` in `encoding` (characters GBK lacks become `&#NNNN;`, as written).
fn byte_len(encoding: TextEncoding, text: &str) -> usize {
    match encoding {
        TextEncoding::Utf8 => text.len(),
        TextEncoding::Gbk => encoding.encoding().encode(text).0.len(),
    }
}

/// The longest prefix of `text` that takes at most `max` bytes in `encoding`.
fn fit(encoding: TextEncoding, text: &str, max: usize) -> &str {
    if byte_len(encoding, text) <= max {
        return text;
    }
    let mut used = 0;
    let mut buf = [0u8; 4];
    let end = text
        .char_indices()
        .take_while(|&(_, c)| {
            used += byte_len(encoding, c.encode_utf8(&mut buf));
            used <= max
        })
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[..end]
}

/// One grid's row of the .dbf, with text already cut to its field's width.
struct Row<'a> {
    values: Vec<Value<'a>>,
    texts: Vec<&'a str>,
}

impl WritableRecord for Row<'_> {
    fn write_using<W: Write>(&self, out: &mut FieldWriter<'_, W>) -> Result<(), dbase::FieldError> {
        let mut texts = self.texts.iter();
        for value in &self.values {
            match value {
                Value::Text(_) => out.write_next_field_value(texts.next().unwrap_or(&""))?,
                Value::Integer(n) => out.write_next_field_value(&(*n as f64))?,
                Value::Logical(b) => out.write_next_field_value(b)?,
            }
        }
        Ok(())
    }
}

/// `grids` with their attributes ([`GRID_FIELDS`]) as a Shapefile whose text is in `encoding`.
pub fn shapefile(
    grids: &[Grid],
    names: &Names,
    encoding: TextEncoding,
) -> Result<ShapefileFiles, ExportError> {
    let values: Vec<_> = grids.iter().map(|g| names.grid_values(g)).collect();
    let widths: Vec<usize> = (0..GRID_FIELDS.len())
        .map(|i| {
            values
                .iter()
                .filter_map(|v| match v[i] {
                    Value::Text(Some(t)) => Some(byte_len(encoding, t)),
                    _ => None,
                })
                .max()
                .unwrap_or(0)
                .clamp(1, MAX_TEXT_BYTES)
        })
        .collect();
    let mut table =
        TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding.encoding()));
    for (f, width) in GRID_FIELDS.iter().zip(&widths) {
        let name = dbase::FieldName::try_from(f.dbf_name)
            .map_err(|e| ExportError::Field(format!("{}: {e:?}", f.dbf_name)))?;
        table = match f.kind {
            FieldKind::Text => {
                table.add_character_field(name, u8::try_from(*width).unwrap_or(u8::MAX))
            }
            FieldKind::Integer => table.add_numeric_field(name, NUMBER_WIDTH, 0),
            FieldKind::Logical => table.add_logical_field(name),
        };
    }
    let (mut shp, mut shx, mut dbf) = (
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
    );
    {
        let mut shapes = shapefile::ShapeWriter::with_shx(&mut shp, &mut shx);
        let mut rows = table.build_with_dest(&mut dbf);
        for (grid, values) in grids.iter().zip(values) {
            let polygon = shapefile::Polygon::from(grid.polygon.clone());
            shapes.write_shape(&polygon)?;
            let texts = values
                .iter()
                .zip(&widths)
                .filter_map(|(v, width)| match v {
                    Value::Text(t) => Some(fit(encoding, t.unwrap_or(""), *width)),
                    _ => None,
                })
                .collect();
            rows.write_record(&Row {
                values: values.to_vec(),
                texts,
            })?;
        }
        shapes.finalize()?;
        rows.finalize()?;
    }
    Ok(ShapefileFiles {
        shp: shp.into_inner(),
        shx: shx.into_inner(),
        dbf: dbf.into_inner(),
        prj: WGS84_PRJ.as_bytes().to_vec(),
        cpg: cpg(encoding).as_bytes().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_character_boundary_in_the_encoding() {
        // 李庄村: 3 characters, 6 bytes in GBK, 9 in UTF-8.
        assert_eq!(fit(TextEncoding::Gbk, "李庄村", 6), "李庄村");
        assert_eq!(fit(TextEncoding::Gbk, "李庄村", 5), "李庄");
        assert_eq!(fit(TextEncoding::Utf8, "李庄村", 8), "李庄");
        assert_eq!(fit(TextEncoding::Utf8, "李庄村", 2), "");
        assert_eq!(fit(TextEncoding::Gbk, "a李", 2), "a");
    }
}
