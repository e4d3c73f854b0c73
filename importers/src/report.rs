//! What an import did: counts plus the features it repaired or rejected.

use std::fmt;

/// One feature or row that was repaired or rejected, e.g.
/// `kotka.osm.pbf: way/123 (feature 17): exterior ring has a self-intersection — rejected`.
///
/// ```
/// use gridmap_importers::Issue;
/// let issue = Issue::rejected("kotka.osm.pbf", 17, Some("way/123".into()), "self-intersecting ring");
/// assert_eq!(issue.to_string(), "kotka.osm.pbf: way/123 (feature 17): self-intersecting ring — rejected");
/// let row = Issue::rejected("hh.csv", 3, Some("H2".into()), "column `floor`: expected a whole floor number, found \"abc\"");
/// assert!(row.to_string().starts_with("hh.csv: H2 (line 3): column `floor`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file name (without directories).
    pub file: String,
    /// 0-based feature index in the file (for OSM: among the buildings, boundaries and
    /// barriers read, in file order), the 1-based line number for CSV rows or the 1-based
    /// row number in a spreadsheet.
    pub index: usize,
    /// The feature's id in its source (e.g. `way/123`), where it has one.
    pub id: Option<String>,
    /// What was wrong and what was done (ends in `— rejected` or `— repaired`).
    pub reason: String,
}

impl Issue {
    /// An issue whose feature was dropped.
    pub fn rejected(
        file: &str,
        index: usize,
        id: Option<String>,
        reason: impl fmt::Display,
    ) -> Issue {
        Issue {
            file: file.to_owned(),
            index,
            id,
            reason: format!("{reason} — rejected"),
        }
    }

    /// An issue whose feature was kept after a fix.
    ///
    /// ```
    /// let i = gridmap_importers::Issue::repaired("a.geojson", 2, None, "closed ring");
    /// assert_eq!(i.to_string(), "a.geojson: feature 2: closed ring — repaired");
    /// ```
    pub fn repaired(
        file: &str,
        index: usize,
        id: Option<String>,
        reason: impl fmt::Display,
    ) -> Issue {
        Issue {
            file: file.to_owned(),
            index,
            id,
            reason: format!("{reason} — repaired"),
        }
    }
}

impl Issue {
    /// `line` for rows of CSV/TSV files, `row` for spreadsheets, `feature` otherwise.
    fn unit(&self) -> &'static str {
        let lower = self.file.to_ascii_lowercase();
        let ext = lower.rsplit('.').next().unwrap_or_default();
        match ext {
            "csv" | "tsv" | "txt" => "line",
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => "row",
            _ => "feature",
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit();
        match &self.id {
            Some(id) => write!(
                f,
                "{}: {} ({unit} {}): {}",
                self.file, id, self.index, self.reason
            ),
            None => write!(f, "{}: {unit} {}: {}", self.file, self.index, self.reason),
        }
    }
}

/// Counts and issues of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Features or rows read.
    pub read: usize,
    /// Features or rows returned to the caller.
    pub imported: usize,
    /// Features kept after a repair.
    pub repaired: Vec<Issue>,
    /// Features dropped, with the reason.
    pub rejected: Vec<Issue>,
}

impl ImportReport {
    /// Adds another report's counts and issues to this one.
    ///
    /// ```
    /// use gridmap_importers::ImportReport;
    /// let mut a = ImportReport { read: 2, imported: 1, ..Default::default() };
    /// a.merge(ImportReport { read: 3, imported: 3, ..Default::default() });
    /// assert_eq!((a.read, a.imported), (5, 4));
    /// ```
    pub fn merge(&mut self, other: ImportReport) {
        self.read += other.read;
        self.imported += other.imported;
        self.repaired.extend(other.repaired);
        self.rejected.extend(other.rejected);
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {}, imported {}, repaired {}, rejected {}",
            self.read,
            self.imported,
            self.repaired.len(),
            self.rejected.len()
        )
    }
}

impl ImportReport {
    /// Logs the counts (info) and every issue (debug). Issues never hold personal data:
    /// they name ids, fields and parse problems only.
    pub(crate) fn log(&self) {
        tracing::info!(
            import.read = self.read,
            import.imported = self.imported,
            import.repaired = self.repaired.len(),
            import.rejected = self.rejected.len(),
            "import finished"
        );
        for issue in self.repaired.iter().chain(&self.rejected) {
            tracing::debug!(%issue, "import issue");
        }
    }
}

/// The file name part of a path, for issues.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
