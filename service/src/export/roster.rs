//! The roster: one row per grid naming its village, size and responsible staff member
//! with the staff member's work phone, for county offices to print and call. Staff only
//! (the phone is contact data); household heads and phones are never in it.
//!
//! Headers are bilingual in one row (`网格编码 Grid code`): county offices read the
//! Chinese, scripts and non-Chinese readers the English, and a single header row keeps
//! the file readable by every CSV tool (a second header line would look like data).

use super::attributes::Names;
use super::ExportError;
use crate::spreadsheet::{self, Cell};
use gridmap_core::Grid;

/// The roster's columns.
pub const ROSTER_HEADER: [&str; 7] = [
    "网格编码 Grid code",
    "村(社区)代码 Village code",
    "村(社区)名称 Village name",
    "户数 Households",
    "网格员编号 Staff ID",
    "网格员 Staff name",
    "联系电话 Staff phone",
];

/// One grid's row of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow<'a> {
    pub grid: &'a str,
    pub village: &'a str,
    pub village_name: Option<&'a str>,
    pub households: u32,
    pub staff_id: Option<&'a str>,
    pub staff_name: Option<&'a str>,
    pub staff_phone: Option<&'a str>,
}

impl RosterRow<'_> {
    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Text(self.grid),
            Cell::Text(self.village),
            Cell::text(self.village_name),
            Cell::Number(f64::from(self.households)),
            Cell::text(self.staff_id),
            Cell::text(self.staff_name),
            Cell::text(self.staff_phone),
        ]
    }
}

/// The roster rows of `grids`, in their order.
pub fn roster_rows<'a>(grids: &'a [Grid], names: &'a Names) -> Vec<RosterRow<'a>> {
    grids
        .iter()
        .map(|g| {
            let staff = g.staff.as_deref().and_then(|id| names.staff(id));
            RosterRow {
                grid: g.code.as_str(),
                village: g.village.as_str(),
                village_name: names.village(&g.village),
                households: g.households,
                staff_id: g.staff.as_deref(),
                staff_name: staff.map(|s| s.name.as_str()),
                staff_phone: staff.and_then(|s| s.phone.as_deref()),
            }
        })
        .collect()
}

/// `rows` as CSV (UTF-8 with a byte-order mark).
pub fn roster_csv(rows: &[RosterRow<'_>]) -> Result<Vec<u8>, ExportError> {
    spreadsheet::csv(&ROSTER_HEADER, rows.iter().map(RosterRow::cells))
}

/// `rows` as an Excel workbook with one sheet `网格 grids`.
pub fn roster_xlsx(rows: &[RosterRow<'_>]) -> Result<Vec<u8>, ExportError> {
    spreadsheet::xlsx(
        "网格 grids",
        &ROSTER_HEADER,
        rows.iter().map(RosterRow::cells),
    )
}
