//! Fatal import errors: problems with a file as a whole.
//!
//! Problems with one feature or row are not errors: they become an [`Issue`](crate::Issue)
//! in the [`ImportReport`](crate::ImportReport) and the import goes on.

use std::path::PathBuf;

/// Result alias for the readers.
pub type ImportResult<T> = Result<T, ImportError>;

/// A problem that stops an import: the file is missing, unreadable, truncated or in the
/// wrong encoding. Every variant names the file, and the line, row or feature where known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{}: cannot read file", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file holds nothing to import: 0 bytes, or no header row. An import of it would
    /// "succeed" with nothing read, hiding an export or a copy that went wrong.
    #[error("{}: the file is empty ({what}): nothing imported; check that the export or copy that made it finished", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing, e.g. `0 bytes`.
        what: &'static str,
    },
    /// The file is of another kind than the reader reads (a Shapefile given as GeoJSON,
    /// a workbook given as a map layer).
    #[error("{}: this is a {found}, not what this import reads: {hint}", path.display())]
    WrongFormat {
        /// The file.
        path: PathBuf,
        /// What the file is (see [`crate::format::FileFormat::name`]).
        found: &'static str,
        /// Which import reads it.
        hint: &'static str,
    },
    /// A Shapefile or FlatGeobuf could not be read as it is: parts missing, truncated or
    /// disagreeing, a CRS it names that cannot be converted, attribute text not in the
    /// encoding it says.
    #[error("{}: {message}", path.display())]
    Unreadable {
        /// The file (or the part of a Shapefile at fault).
        path: PathBuf,
        /// What is wrong, and what to do.
        message: String,
    },
    /// The worksheet asked for is not in the workbook.
    #[error("{}: no worksheet {sheet:?}; the workbook has: {sheets} (give --sheet NAME or its number)", path.display())]
    NoSuchSheet {
        /// The workbook.
        path: PathBuf,
        /// The sheet asked for.
        sheet: String,
        /// The sheets the workbook has.
        sheets: String,
    },
    /// The JSON is malformed or truncated.
    #[error("{}: invalid GeoJSON{}", path.display(), where_(line, feature))]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line, where known.
        line: Option<usize>,
        /// 0-based feature index, where known.
        feature: Option<usize>,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The GeoJSON structure is not what the reader expects.
    #[error("{}: invalid GeoJSON{}: {message}", path.display(), where_(line, feature))]
    GeoJson {
        /// The file.
        path: PathBuf,
        /// 1-based line, where known.
        line: Option<usize>,
        /// 0-based feature index, where known.
        feature: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The OpenStreetMap PBF file is malformed or truncated.
    #[error("{}: invalid OpenStreetMap PBF file (truncated or corrupt)", path.display())]
    Osm {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: osmpbf::Error,
    },
    /// The CSV is malformed (e.g. unbalanced quotes, truncated).
    #[error("{}: invalid CSV{}", path.display(), where_(line, &None))]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line, where known.
        line: Option<usize>,
        /// The cause.
        #[source]
        source: ::csv::Error,
    },
    /// A spreadsheet could not be opened or read.
    #[error("{}: cannot read spreadsheet", path.display())]
    Sheet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: calamine::Error,
    },
    /// A text file is not in the expected encoding.
    #[error("{}: line {line} is not valid {encoding} (use --encoding gbk for GBK files)", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending row.
        line: usize,
        /// The encoding that was expected.
        encoding: &'static str,
    },
    /// A CSV file lacks a column the reader needs.
    #[error("{}: missing column {column:?} (header has: {header})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column name that was looked for.
        column: String,
        /// The header as read, comma-separated.
        header: String,
    },
    /// A `--column FIELD=HEADER` mapping names a header the file does not have: without
    /// the refusal the field would silently be empty in every row.
    #[error("{}: --column {field}={column} names no column of the file (its header has: {header}); name one of these", path.display())]
    UnmappedColumn {
        /// The file.
        path: PathBuf,
        /// The reader's field being mapped.
        field: String,
        /// The header name given for it.
        column: String,
        /// The header as read, comma-separated.
        header: String,
    },
    /// A `--column FIELD=HEADER` mapping names a field the reader does not have.
    #[error("--column {field}=…: this import has no field {field:?} (its fields: {fields})")]
    UnknownField {
        /// The field given.
        field: String,
        /// The reader's fields, comma-separated.
        fields: String,
    },
    /// A property named by an option (`--code-field`, `--levels-field`…) is in no feature
    /// of the file: without the refusal it would silently be empty in every feature.
    #[error("{}: no feature has the property {property:?} named by {option} (the features have: {found}); name one of these", path.display())]
    MissingProperty {
        /// The file.
        path: PathBuf,
        /// The option that named it, e.g. `--levels-field`.
        option: String,
        /// The property name given.
        property: String,
        /// The property names the features have, comma-separated.
        found: String,
    },
    /// A row that makes the whole file unusable (a plan is applied whole or not at all).
    #[error("{}: line {line}: {message}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line of the row.
        line: usize,
        /// What is wrong, naming the column.
        message: String,
    },
    /// An import option is invalid (e.g. a county code that is not 6 digits).
    #[error("invalid import option: {message}")]
    Options {
        /// What is wrong.
        message: String,
    },
    /// The requested coordinate reference system is not supported.
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}

fn where_(line: &Option<usize>, feature: &Option<usize>) -> String {
    match (line, feature) {
        (Some(l), Some(f)) => format!(" at line {l} (feature {f})"),
        (Some(l), None) => format!(" at line {l}"),
        (None, Some(f)) => format!(" at feature {f}"),
        (None, None) => String::new(),
    }
}

/// The size of the file at `path`, refusing a file of 0 bytes ([`ImportError::Empty`]).
pub(crate) fn nonempty_file_len(path: &std::path::Path) -> Result<u64, ImportError> {
    let len = std::fs::metadata(path)
        .map_err(|e| ImportError::io(path, e))?
        .len();
    if len == 0 {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
            what: "0 bytes",
        });
    }
    Ok(len)
}

impl ImportError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
