//! Household register CSV.

use super::{list, location, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use gridmap_core::Household;
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &[
    "id", "building", "lon", "lat", "entrance", "floor", "unit", "address", "head", "phone",
    "members", "tags",
];

/// Reads a household register.
///
/// Default columns (rename with [`CsvOptions::column`]):
/// `id` (required), `building` (the building's `source_id`) or `lon`,`lat` (one of the
/// two per row), `entrance`, `floor` (integer), `unit`, `address`, `head`, `phone`,
/// `members` (integer), `tags` (separated by `;`). `head`, `phone`, `members` and `tags`
/// are personal data.
///
/// ```
/// use gridmap_importers::{read_households_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("hh.csv");
/// std::fs::write(&path, "户号,building,floor,户主\nH1,synth:b/1,2,张伟\nH2,synth:b/1,abc,李娜\n").unwrap();
/// let options = CsvOptions::default().column("id", "户号").column("head", "户主");
/// let (hh, report) = read_households_csv(&path, &options, &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(hh.len(), 1);
/// assert_eq!(hh[0].head.as_deref(), Some("张伟"));
/// assert!(report.rejected[0].to_string().contains("column `floor`"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_households_csv(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Household>, ImportReport), ImportError> {
    read_rows(path.as_ref(), options, bar, FIELDS, &["id"], |row| {
        let id = row.get("id").ok_or("column `id`: empty")?.to_owned();
        let building = row.get("building").map(str::to_owned);
        let location = location(row, options.crs)?;
        if building.is_none() && location.is_none() {
            return Err("neither `building` nor `lon`/`lat` given".into());
        }
        Ok(Household {
            id,
            building,
            location,
            entrance: row.get("entrance").map(str::to_owned),
            floor: row.parse("floor", "a whole floor number")?,
            unit: row.get("unit").map(str::to_owned),
            address: row.get("address").map(str::to_owned),
            head: row.get("head").map(str::to_owned),
            phone: row.get("phone").map(str::to_owned),
            members: row.parse("members", "a whole number of members")?,
            tags: list(row.get("tags")),
        })
    })
}
