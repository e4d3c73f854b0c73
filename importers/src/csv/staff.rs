//! Staff roster CSV.

use super::{list, location, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use gridmap_core::{DivisionCode, GridCode, Staff, StaffRole};
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &["id", "name", "phone", "role", "grids", "area", "lon", "lat"];

/// Parses a role: the core names (`grid_staff`, `grid_leader_2`, `网格员`) or the Chinese
/// leader titles `一级网格长` … `四级网格长` (`网格长` alone is a village leader, level 3).
///
/// ```
/// use gridmap_core::StaffRole;
/// use gridmap_importers::csv::parse_role;
/// assert_eq!(parse_role("二级网格长"), Ok(StaffRole::GridLeader(2)));
/// assert_eq!(parse_role("网格长"), Ok(StaffRole::GridLeader(3)));
/// assert_eq!(parse_role("grid_staff"), Ok(StaffRole::GridStaff));
/// assert!(parse_role("boss").is_err());
/// ```
pub fn parse_role(text: &str) -> Result<StaffRole, String> {
    let t = text.trim();
    if let Some(prefix) = t.strip_suffix("网格长") {
        let level = match prefix.trim_end_matches('级') {
            "" => 3,
            "一" | "1" => 1,
            "二" | "2" => 2,
            "三" | "3" => 3,
            "四" | "4" => 4,
            other => return Err(format!("unknown grid leader level {other:?}")),
        };
        return Ok(StaffRole::GridLeader(level));
    }
    t.parse()
}

/// Reads a staff roster.
///
/// Default columns: `id,name,phone,role,grids` (required: `id`, `name`), plus optional
/// `area` (the 12-digit code of the village or township served). `role` is `grid_staff`
/// (or `网格员`, the default when empty), `grid_leader_<level>` or `一级网格长` … (see
/// [`parse_role`]); `grids` lists grid codes
/// such as `411622101201-007` separated by `;`; `lon`/`lat` (经度/纬度, in the CRS of
/// the options) is where the person lives, from which `gridmap staff assign` proposes
/// the nearest grids.
///
/// ```
/// use gridmap_importers::{read_staff_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("staff.csv");
/// std::fs::write(&path, "id,name,phone,role,grids,经度,纬度\nS1,王芳,13800000000,grid_staff,411622101201-001;411622101201-002,114.61,33.82\nS2,刘洋,,boss,,,\n").unwrap();
/// let (staff, report) = read_staff_csv(&path, &CsvOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(staff[0].grids.len(), 2);
/// assert_eq!(staff[0].home.map(|p| p.x()), Some(114.61));
/// assert!(report.rejected[0].reason.contains("column `role`"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
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
                Some(r) => parse_role(r).map_err(|e| format!("column `role`: {e}"))?,
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
            let home = location(row, options.crs).map_err(|e| format!("home {e}"))?;
            Ok(Staff {
                id: row.get("id").ok_or("column `id`: empty")?.to_owned(),
                name: row.get("name").ok_or("column `name`: empty")?.to_owned(),
                phone: row.get("phone").map(str::to_owned),
                role,
                area,
                grids,
                home,
            })
        },
    )
}
