//! A village's plan as CSV: one row per building — or per flat range of a high-rise
//! split between grids — naming the grid it belongs to. Planners keep plans in
//! spreadsheets and districting tools exchange them this way; gridmap writes the same
//! columns it reads, so a plan can go out, be edited in Excel and come back.
//!
//! Columns (header names matched ignoring case and spaces; Chinese names accepted):
//! `building` (楼栋, 建筑), `grid` (网格, 网格编码) and, optionally, `flats`
//! (户号, 房号): `1-20` for the 1st to the 20th flat of the building, both included.
//!
//! ```
//! use gridmap_importers::csv::read_plan_csv;
//! let text = "building,grid,flats\nosm:way/1,411622101201-001,\nosm:way/2,411622101201-002,1-20\n";
//! let rows = read_plan_csv("plan.csv".as_ref(), text.as_bytes()).unwrap();
//! assert_eq!(rows[1].1.flats, Some((0, 20)));
//! assert_eq!((rows[0].0, rows[0].1.grid.as_str()), (2, "411622101201-001"));
//! ```

use super::decode;
use super::TextEncoding;
use crate::error::ImportError;
use gridmap_core::edit::Assignment;
use gridmap_core::GridCode;
use std::path::Path;

/// The header [`write_plan_csv`] writes.
pub const PLAN_COLUMNS: [&str; 3] = ["building", "grid", "flats"];

const BUILDING: &[&str] = &["building", "building_id", "楼栋", "建筑", "建筑编号"];
const GRID: &[&str] = &["grid", "grid_code", "网格", "网格编码", "网格编号"];
const FLATS: &[&str] = &["flats", "户号", "房号"];

/// Reads a plan from CSV bytes (UTF-8, with or without a byte-order mark, or GBK), each
/// row with its 1-based line. Every row must be right: a plan is applied whole, so the
/// first bad row is an error naming its line and column.
pub fn read_plan_csv(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, Assignment)>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = decode(bytes, TextEncoding::Gbk).ok_or_else(|| ImportError::Encoding {
        path: path.to_owned(),
        line: 1,
        encoding: "UTF-8 or GBK",
    })?;
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|source| ImportError::Csv {
            path: path.to_owned(),
            line: Some(1),
            source,
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let missing = |name: &str| ImportError::MissingColumn {
        path: path.to_owned(),
        column: name.to_owned(),
        header: header.join(","),
    };
    let building = column(BUILDING).ok_or_else(|| missing("building"))?;
    let grid = column(GRID).ok_or_else(|| missing("grid"))?;
    let flats = column(FLATS);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|source| ImportError::Csv {
            path: path.to_owned(),
            line: Some(line),
            source,
        })?;
        let field = |c: usize| record.get(c).map(str::trim).unwrap_or("");
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let bad = |message: String| ImportError::Row {
            path: path.to_owned(),
            line,
            message,
        };
        let id = field(building);
        if id.is_empty() {
            return Err(bad("column `building` is empty".into()));
        }
        let code: GridCode = field(grid)
            .parse()
            .map_err(|e| bad(format!("column `grid`: {e}")))?;
        let range = match flats.map(field).filter(|f| !f.is_empty()) {
            None => None,
            Some(f) => Some(parse_flats(f).ok_or_else(|| {
                bad(format!(
                    "column `flats`: expected a range of flats such as 1-20, found {f:?}"
                ))
            })?),
        };
        rows.push((
            line,
            Assignment {
                building: id.to_owned(),
                flats: range,
                grid: code,
            },
        ));
    }
    Ok(rows)
}

/// `1-20` (1-based, both ends included) as the half-open range `[0, 20)`.
fn parse_flats(text: &str) -> Option<(u32, u32)> {
    let (first, last) = text.split_once(['-', '–', '~'])?;
    let (first, last): (u32, u32) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    (first >= 1 && first <= last).then_some((first - 1, last))
}

/// Writes `rows` as plan CSV (UTF-8 with a byte-order mark, so Excel shows Chinese
/// ids correctly), in the columns [`read_plan_csv`] reads.
pub fn write_plan_csv(rows: &[Assignment]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend_from_slice(PLAN_COLUMNS.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut writer = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        let flats = row
            .flats
            .map(|(start, end)| format!("{}-{end}", start + 1))
            .unwrap_or_default();
        // Writing to a Vec cannot fail.
        let _ = writer.write_record([row.building.as_str(), row.grid.as_str(), &flats]);
    }
    out.extend(writer.into_inner().unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_plan_reads_back_the_same() {
        let rows = vec![
            Assignment {
                building: "osm:way/1".into(),
                flats: None,
                grid: "411622101201-001".parse().unwrap(),
            },
            Assignment {
                building: "本地,1".into(),
                flats: Some((20, 40)),
                grid: "411622101201-002".parse().unwrap(),
            },
        ];
        let bytes = write_plan_csv(&rows);
        let read: Vec<Assignment> = read_plan_csv(Path::new("p.csv"), &bytes)
            .unwrap()
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        assert_eq!(read, rows);
    }

    #[test]
    fn chinese_headers_and_gbk_are_read() {
        let text = "楼栋,网格编码,户号\nb1,411622101201-003,1-5\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let rows = read_plan_csv(Path::new("p.csv"), &gbk).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1.flats, Some((0, 5)));
    }

    #[test]
    fn a_bad_row_names_its_line_and_column() {
        let text = "building,grid\nb1,411622101201-001\nb2,not-a-code\n";
        let err = read_plan_csv(Path::new("p.csv"), text.as_bytes()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("p.csv: line 3"), "{message}");
        assert!(message.contains("column `grid`"), "{message}");
        let flats = "building,grid,flats\nb1,411622101201-001,5-2\n";
        let err = read_plan_csv(Path::new("p.csv"), flats.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("line 2: column `flats`"), "{err}");
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = read_plan_csv(Path::new("p.csv"), b"id,code\nb1,x\n").unwrap_err();
        assert!(
            matches!(err, ImportError::MissingColumn { ref column, .. } if column == "grid" || column == "building"),
            "{err}"
        );
    }
}
