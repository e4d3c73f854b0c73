//! Incidents CSV.

use super::{location, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use crate::time::parse_time;
use gridmap_core::{GridCode, Incident, IncidentStatus};
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &[
    "id",
    "time",
    "category",
    "subcategory",
    "status",
    "lon",
    "lat",
    "grid",
    "reporter",
    "description",
    "phone",
    "address",
    "source",
];

/// Reads incidents.
///
/// Default columns: `id,time,category,subcategory,status,lon,lat,grid,reporter,description,phone,address,source`
/// (required: `id`, `time`, `category`, `lon`, `lat`). `time` is Unix seconds or
/// `YYYY-MM-DD HH:MM[:SS]` with an optional `Z`/`±HH:MM` offset (China Standard Time when
/// absent); `status` is one of `reported`, `work_order`, `dispatched`, `in_progress`,
/// `feedback`, `closed`, `evaluated` (default `reported`).
///
/// ```
/// use gridmap_importers::{read_incidents_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("inc.csv");
/// std::fs::write(&path, "id,time,category,lon,lat\nE1,2025-03-01 09:30,环境卫生,114.6,33.8\nE2,2025-03-01 09:30,环境卫生,214.6,33.8\n").unwrap();
/// let (inc, report) = read_incidents_csv(&path, &CsvOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(inc.len(), 1);
/// assert_eq!(inc[0].time, 1_740_792_600);
/// assert!(report.rejected[0].reason.contains("out of range"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_incidents_csv(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Incident>, ImportReport), ImportError> {
    read_rows(
        path.as_ref(),
        options,
        bar,
        FIELDS,
        &["id", "time", "category", "lon", "lat"],
        |row| {
            let time_text = row.get("time").ok_or("column `time`: empty")?;
            let time = parse_time(time_text)
            .ok_or_else(|| format!("column `time`: expected Unix seconds or YYYY-MM-DD HH:MM:SS, found {time_text:?}"))?;
            let status = match row.get("status") {
                None => IncidentStatus::Reported,
                Some(s) => s.parse().map_err(|e| format!("column `status`: {e}"))?,
            };
            let grid = match row.get("grid") {
                Some(g) => Some(
                    g.parse::<GridCode>()
                        .map_err(|e| format!("column `grid`: {e}"))?,
                ),
                None => None,
            };
            let id = row.get("id").ok_or("column `id`: empty")?;
            let category = row.get("category").ok_or("column `category`: empty")?;
            let place = location(row, options.crs)?.ok_or("columns `lon`/`lat`: empty")?;
            Ok(Incident {
                subcategory: row.get("subcategory").map(str::to_owned),
                status,
                grid,
                reporter: row.get("reporter").map(str::to_owned),
                reporter_phone: row.get("phone").map(str::to_owned),
                address: row.get("address").map(str::to_owned),
                source: Some(row.get("source").unwrap_or("import").to_owned()),
                description: row.get("description").map(str::to_owned),
                ..Incident::new(id, time, category, place)
            })
        },
    )
}
