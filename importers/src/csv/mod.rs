//! CSV readers: household register, staff roster, incidents and cameras.
//!
//! Files ending in `.xlsx`, `.xlsm`, `.xlsb`, `.xls` or `.ods` are read as spreadsheets
//! instead (first worksheet, see `sheet.rs`), with the same columns and rules, so a
//! register kept in Excel needs no conversion.
//!
//! All three share [`CsvOptions`]: the encoding, the delimiter, the CRS of coordinate
//! columns and a mapping from each reader's logical field names to the file's header
//! names (by default the header is expected to use the logical names; matching ignores
//! case and surrounding spaces). The default columns are listed on each reader.
//!
//! # Encoding
//!
//! With [`TextEncoding::Utf8`] (the default) a file that is not UTF-8 but GBK is read as
//! GBK (said in the log); a row in neither is a fatal [`ImportError::Encoding`] naming
//! the file and line. With [`TextEncoding::Gbk`] rows that
//! are not UTF-8 are decoded as GBK (common in Excel exports from Chinese Windows);
//! undecodable bytes are still an error. A UTF-8 byte-order mark is skipped.
//!
//! # Errors
//!
//! A malformed or unreadable file, a missing column or a wrong encoding is an
//! [`ImportError`]; a bad row (e.g. `floor = "abc"`) is an [`Issue`] naming the line and
//! the column, and the import goes on.

mod cameras;
mod households;
mod incidents;
mod plan;
mod sheet;
mod staff;

pub use cameras::read_cameras_csv;
pub(crate) use cameras::CameraFields;
pub use households::read_households_csv;
pub use incidents::read_incidents_csv;
pub use plan::{read_plan_csv, write_plan_csv, PLAN_COLUMNS};
pub use staff::{parse_role, read_staff_csv};

use crate::crs::Crs;
use crate::error::ImportError;
use crate::progress;
use crate::report::{file_name, ImportReport, Issue};
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::Path;

/// Text encoding of a file: CSV files read, Shapefile attribute tables written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 only (default).
    #[default]
    Utf8,
    /// GBK/GB2312 (UTF-8 rows are accepted too).
    Gbk,
}

impl TextEncoding {
    /// The `encoding_rs` encoding (GBK's decoder reads GB18030 and GB2312 text too).
    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gbk => encoding_rs::GBK,
        }
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(TextEncoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Ok(TextEncoding::Gbk),
            other => Err(format!("unknown encoding {other:?} (utf8, gbk)")),
        }
    }
}

/// Options shared by the CSV readers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsvOptions {
    /// Text encoding (default UTF-8).
    pub encoding: TextEncoding,
    /// Field delimiter; `None` picks `,`, `;`, tab or `|`, whichever is most frequent in
    /// the header line (Excel writes `;` or tab in some locales).
    pub delimiter: Option<u8>,
    /// CRS of `lon`/`lat` columns (default WGS84).
    pub crs: Crs,
    /// Logical field name → header name in the file, for headers that differ.
    pub columns: HashMap<String, String>,
    /// The worksheet of a workbook to read, by name or 1-based number (default the first).
    pub sheet: Option<String>,
}

impl CsvOptions {
    /// Maps logical `field` to the file's `header` column.
    ///
    /// ```
    /// use gridmap_importers::CsvOptions;
    /// let o = CsvOptions::default().column("head", "户主").column("phone", "联系电话");
    /// assert_eq!(o.columns["head"], "户主");
    /// ```
    pub fn column(mut self, field: &str, header: &str) -> Self {
        self.columns.insert(field.to_owned(), header.to_owned());
        self
    }
}

/// One decoded row with access by logical field name.
pub(crate) struct Row<'a> {
    fields: Vec<String>,
    index: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    /// The trimmed value of a logical field; `None` when the column is absent or empty.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        let i = *self.index.get(field)?;
        self.fields
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// Parses a field, with an error naming the column.
    pub(crate) fn parse<T: std::str::FromStr>(
        &self,
        field: &str,
        what: &str,
    ) -> Result<Option<T>, String> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("column `{field}`: expected {what}, found {v:?}")),
        }
    }
}

fn decode(bytes: &[u8], encoding: TextEncoding) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.to_owned()),
        Err(_) if encoding == TextEncoding::Gbk => encoding
            .encoding()
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned()),
        Err(_) => None,
    }
}

/// A decoded row with its 1-based line (CSV) or sheet row number (spreadsheets).
type RawRow = (usize, Vec<String>);

/// Whether `path` is a spreadsheet (read with calamine) rather than delimited text.
fn is_spreadsheet(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
}

/// Reads `path` (delimited text, or the first sheet of a spreadsheet), resolving `fields`
/// against the header, and calls `convert` per row. `required` lists fields whose column
/// must exist.
pub(crate) fn read_rows<T>(
    path: &Path,
    options: &CsvOptions,
    bar: &ProgressBar,
    fields: &[&'static str],
    required: &[&'static str],
    mut convert: impl FnMut(&Row<'_>) -> Result<T, String>,
) -> Result<(Vec<T>, ImportReport), ImportError> {
    // A map layer or an OSM extract given as a register is named, not read as text.
    use crate::format::FileFormat;
    let found = crate::format::sniff(path)?;
    if let FileFormat::GeoJson
    | FileFormat::Shapefile
    | FileFormat::ShapefilePart
    | FileFormat::GeoPackage
    | FileFormat::FlatGeobuf
    | FileFormat::OsmPbf = found
    {
        return Err(crate::format::wrong_format(path, found));
    }
    if is_spreadsheet(path) {
        let rows = sheet::rows(path, options.sheet.as_deref(), bar)?;
        return process(
            path,
            options,
            fields,
            required,
            rows.into_iter().map(Ok),
            convert,
            bar,
        );
    }
    match read_text(path, options, None, fields, required, &mut convert, bar) {
        // Text that is not UTF-8 only after the start that `detect_encoding` saw: read
        // again, as GBK, when the whole file is GBK.
        Err(ImportError::Encoding { .. })
            if options.encoding == TextEncoding::Utf8 && file_is_gbk(path)? =>
        {
            tracing::warn!(file = %file_name(path), "not UTF-8 but GBK further on: read again as GBK (--encoding gbk says so)");
            bar.set_position(0);
            let gbk = Some(TextEncoding::Gbk);
            read_text(path, options, gbk, fields, required, &mut convert, bar)
        }
        result => result,
    }
}

/// Whether all of `path` is GBK (text that is plain ASCII or UTF-8 Chinese may also be).
fn file_is_gbk(path: &Path) -> Result<bool, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
    Ok(TextEncoding::Gbk
        .encoding()
        .decode_without_bom_handling_and_without_replacement(&bytes)
        .is_some())
}

/// Reads delimited text `path` in `encoding` (`None`: the one `options` gives, or when
/// that is UTF-8, the one the start of the file is in) through [`process`].
fn read_text<T>(
    path: &Path,
    options: &CsvOptions,
    encoding: Option<TextEncoding>,
    fields: &[&'static str],
    required: &[&'static str],
    convert: impl FnMut(&Row<'_>) -> Result<T, String>,
    bar: &ProgressBar,
) -> Result<(Vec<T>, ImportReport), ImportError> {
    let mut reader = progress::open(path, bar)?;
    let head = std::io::BufRead::fill_buf(&mut reader).map_err(|e| ImportError::io(path, e))?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(head));
    let encoding = match (encoding, options.encoding) {
        (Some(encoding), _) => encoding,
        (None, TextEncoding::Utf8) => detect_encoding(path, head),
        (None, given) => given,
    };
    let mut csv = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let enc_name = match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Gbk => "GBK",
    };
    let mut record = ::csv::ByteRecord::new();
    let rows = std::iter::from_fn(move || match csv.read_byte_record(&mut record) {
        Ok(false) => None,
        Err(source) => Some(Err(ImportError::Csv {
            path: path.to_path_buf(),
            line: source.position().map(|p| p.line() as usize),
            source,
        })),
        Ok(true) => {
            let line = record.position().map_or(0, |p| p.line() as usize);
            let fields: Option<Vec<String>> = record.iter().map(|f| decode(f, encoding)).collect();
            Some(fields.map(|f| (line, f)).ok_or(ImportError::Encoding {
                path: path.to_path_buf(),
                line,
                encoding: enc_name,
            }))
        }
    });
    process(path, options, fields, required, rows, convert, bar)
}

/// Header resolution and per-row conversion shared by CSV and spreadsheets.
fn process<T>(
    path: &Path,
    options: &CsvOptions,
    fields: &[&'static str],
    required: &[&'static str],
    mut rows: impl Iterator<Item = Result<RawRow, ImportError>>,
    mut convert: impl FnMut(&Row<'_>) -> Result<T, String>,
    bar: &ProgressBar,
) -> Result<(Vec<T>, ImportReport), ImportError> {
    let file = file_name(path);
    // The header is the first of the first rows that names the required fields or at
    // least two known ones: registers often start with a title row or two.
    let mut leading = Vec::new();
    for row in rows.by_ref().take(HEADER_SEARCH_ROWS) {
        leading.push(row?);
    }
    if leading.is_empty() {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
            what: "no header row",
        });
    }
    let cleaned = |row: &RawRow| -> Vec<String> {
        row.1
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
            .collect()
    };
    let is_header = |row: &RawRow| {
        let index = column_index(options, fields, &cleaned(row));
        required.iter().all(|f| index.contains_key(f)) || index.len() >= 2
    };
    let at = leading.iter().position(is_header).unwrap_or(0);
    let as_written = cleaned(&leading[at]);
    check_mappings(path, options, fields, &as_written)?;
    let header: Vec<String> = as_written.iter().map(|h| h.to_lowercase()).collect();
    let index = column_index(options, fields, &as_written);
    let rows = leading.into_iter().skip(at + 1).map(Ok).chain(rows);
    for field in required {
        if !index.contains_key(field) {
            return Err(ImportError::MissingColumn {
                path: path.to_path_buf(),
                column: options
                    .columns
                    .get(*field)
                    .map_or(*field, String::as_str)
                    .to_owned(),
                header: header.join(","),
            });
        }
    }
    let mut out = Vec::new();
    let mut report = ImportReport::default();
    for raw in rows {
        let (line, fields) = raw?;
        let row = Row {
            fields,
            index: &index,
        };
        if row.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        report.read += 1;
        match convert(&row) {
            Ok(t) => {
                out.push(t);
                report.imported += 1;
            }
            Err(reason) => {
                let id = row.get("id").map(str::to_owned);
                report
                    .rejected
                    .push(Issue::rejected(&file, line, id, reason));
            }
        }
    }
    bar.finish();
    report.log();
    Ok((out, report))
}

/// Rows searched for the header (title rows above it are skipped).
const HEADER_SEARCH_ROWS: usize = 10;

/// Headers recognised out of the box for each field, after the field's own name: the
/// column names of Chinese registers and rosters. A `--column` mapping replaces them.
const HEADER_ALIASES: &[(&str, &[&str])] = &[
    ("id", &["户号", "户编号", "编号", "设备编号", "点位编号"]),
    (
        "building",
        &["楼栋", "楼栋号", "楼栋编号", "房屋编号", "建筑编号"],
    ),
    ("lon", &["经度"]),
    ("lat", &["纬度"]),
    // 单元 is the stairwell a flat is reached by; 房号 the flat's number.
    ("entrance", &["单元", "单元号"]),
    ("floor", &["楼层", "所在楼层"]),
    ("unit", &["房号", "房间号", "室号"]),
    ("address", &["地址", "住址", "家庭住址"]),
    ("head", &["户主", "户主姓名"]),
    ("phone", &["电话", "联系电话", "手机", "手机号", "手机号码"]),
    ("members", &["人数", "家庭人数", "人口数"]),
    ("tags", &["标签", "人员类别"]),
    (
        "name",
        &[
            "姓名",
            "网格员",
            "网格员姓名",
            "名称",
            "点位名称",
            "设备名称",
        ],
    ),
    ("role", &["角色", "职务"]),
    ("grids", &["网格", "网格编码", "所属网格"]),
    ("area", &["区域", "负责区域"]),
    // Situation columns of a register (yes/no per household).
    ("tag_floating", &["流动人口", "是否流动人口"]),
    ("tag_rental", &["出租房屋", "出租户", "是否出租"]),
    ("tag_elderly_alone", &["独居老人", "是否独居老人"]),
    ("tag_low_income", &["低保", "低保户", "是否低保"]),
    ("tag_disability", &["残疾", "残疾人", "是否残疾"]),
    ("tag_key_care", &["重点关注", "重点人群", "重点人员"]),
    // Camera lists (雪亮工程 points).
    ("direction", &["方向", "朝向", "方向角", "方位角"]),
    ("fov", &["视角", "视场角", "水平视角"]),
    ("range", &["监控距离", "可视距离", "距离", "监控范围"]),
    // Not 状态 alone: an incident list's 状态 column holds Chinese stage names.
    ("status", &["设备状态", "在线状态"]),
];

/// Where each of `fields` is in `header` (as written): the column `--column` maps it to,
/// else its own name, else the first of its [`HEADER_ALIASES`] present; case and
/// surrounding spaces ignored.
fn column_index(
    options: &CsvOptions,
    fields: &[&'static str],
    header: &[String],
) -> HashMap<&'static str, usize> {
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let find = |name: &str| header.iter().position(|h| *h == name.trim().to_lowercase());
    let mut index = HashMap::new();
    for &field in fields {
        let found = match options.columns.get(field) {
            Some(mapped) => find(mapped),
            None => find(field).or_else(|| {
                let aliases = HEADER_ALIASES.iter().find(|(f, _)| *f == field);
                aliases.and_then(|(_, names)| names.iter().find_map(|n| find(n)))
            }),
        };
        if let Some(i) = found {
            index.insert(field, i);
        }
    }
    index
}

/// Refuses a `--column` mapping of a field the reader does not have or to a header the file
/// does not have (matching as the readers match: case and surrounding spaces ignored).
fn check_mappings(
    path: &Path,
    options: &CsvOptions,
    fields: &[&'static str],
    header: &[String],
) -> Result<(), ImportError> {
    let mut mappings: Vec<(&String, &String)> = options.columns.iter().collect();
    mappings.sort();
    for (field, column) in mappings {
        if !fields.contains(&field.as_str()) {
            return Err(ImportError::UnknownField {
                field: field.clone(),
                fields: fields.join(","),
            });
        }
        let wanted = column.trim().to_lowercase();
        if !header.iter().any(|h| h.to_lowercase() == wanted) {
            return Err(ImportError::UnmappedColumn {
                path: path.to_path_buf(),
                field: field.clone(),
                column: column.clone(),
                header: header.join(","),
            });
        }
    }
    Ok(())
}

/// The encoding of a text file starting with `head` that was expected to be UTF-8: GBK
/// when `head` is not UTF-8 but is GBK (said in the log), else UTF-8. Registers saved by
/// Excel in a Chinese locale are GBK.
fn detect_encoding(path: &Path, head: &[u8]) -> TextEncoding {
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Only a character cut at the end of the sample: UTF-8.
        Err(e) => e.error_len().is_none(),
    };
    if utf8 {
        return TextEncoding::Utf8;
    }
    // The sample may end inside a two-byte character.
    let is_gbk = |bytes: &[u8]| {
        (TextEncoding::Gbk.encoding())
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
    };
    let gbk = is_gbk(head) || head.split_last().is_some_and(|(_, rest)| is_gbk(rest));
    if gbk {
        tracing::warn!(file = %file_name(path), "not UTF-8 but GBK: read as GBK (--encoding gbk says so)");
        return TextEncoding::Gbk;
    }
    TextEncoding::Utf8
}

/// The most frequent of `,` `;` tab `|` in the first line (`,` on a tie or none).
///
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut best = (b',', line.iter().filter(|b| **b == b',').count());
    for d in [b';', b'\t', b'|'] {
        let n = line.iter().filter(|b| **b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Reads a `lon`/`lat` pair in `crs` and checks it.
pub(crate) fn location(row: &Row<'_>, crs: Crs) -> Result<Option<geo_types::Point<f64>>, String> {
    let lon: Option<f64> = row.parse("lon", "a longitude")?;
    let lat: Option<f64> = row.parse("lat", "a latitude")?;
    match (lon, lat) {
        (Some(x), Some(y)) => {
            let c = crs.coord_to_wgs84(geo_types::Coord { x, y });
            crate::repair::check_coord(c)?;
            Ok(Some(c.into()))
        }
        (None, None) => Ok(None),
        _ => Err("columns `lon`/`lat`: only one of the two is given".into()),
    }
}

/// Splits a list field on `;`, `；` or `|`.
pub(crate) fn list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split([';', '；', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter(b"id;building;head\nH1;b;x,y"), b';');
        assert_eq!(sniff_delimiter(b"id\tbuilding\n"), b'\t');
        assert_eq!(sniff_delimiter(b"id,building\n"), b',');
        assert_eq!(sniff_delimiter(b"id\n"), b',');
    }

    #[test]
    fn semicolon_files_read_without_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hh.csv");
        std::fs::write(&path, "\u{feff}id;building;floor\nH1;b1;3\n").unwrap();
        let (hh, report) =
            read_households_csv(&path, &CsvOptions::default(), &ProgressBar::hidden()).unwrap();
        assert!(report.rejected.is_empty(), "{report:?}");
        assert_eq!(hh[0].floor, Some(3));
    }
}
