//! Staff roster CSV.

use super::{list, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use gridmap_core::{DivisionCode, GridCode, Staff, StaffRole};
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &["id", "name", "phone", "role", "grids", "area"];

/// Reads a staff roster.
///
/// Default columns: `id,name,phone,role,grids` (required: `id`, `name`), plus optional
/// `area` (the 12-digit code of the village or township served). `role` is `grid_staff`
/// (or `网格员`, the default when empty) or `grid_leader_<level>`; `grids` lists grid codes
/// such as `411622101201-007` separated by `;`.
///
/// ```
/// use gridmap_importers::{read_staff_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("staff.csv");
/// std::fs::write(&path, "id,name,phone,role,grids\nS1,王芳,13800000000,grid_staff,411622101201-001;411622101201-002\nS2,刘洋,,boss,\n").unwrap();
/// let (staff, report) = read_staff_csv(&path, &CsvOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(staff[0].grids.len(), 2);
/// assert!(report.rejected[0].reason.contains("column `role`"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()), err)]
pub fn read_staff_csv(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Staff>, ImportReport), ImportError> {
    read_rows(
        path.as_ref(),
        options,
        bar,
        FIELDS,
        &["id", "name"],
        |row| {
            let role = match row.get("role") {
                None => StaffRole::GridStaff,
                Some(r) => r.parse().map_err(|e| format!("column `role`: {e}"))?,
            };
            let grids = list(row.get("grids"))
                .into_iter()
                .map(|g| {
                    g.parse::<GridCode>()
                        .map_err(|e| format!("column `grids`: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let area = match row.get("area") {
                Some(a) => Some(
                    a.parse::<DivisionCode>()
                        .map_err(|e| format!("column `area`: {e}"))?,
                ),
                None => None,
            };
            Ok(Staff {
                id: row.get("id").ok_or("column `id`: empty")?.to_owned(),
                name: row.get("name").ok_or("column `name`: empty")?.to_owned(),
                phone: row.get("phone").map(str::to_owned),
                role,
                area,
                grids,
            })
        },
    )
}
