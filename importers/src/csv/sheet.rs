//! Spreadsheet rows (XLSX, XLSM, XLSB, XLS, ODS) for the register readers, via calamine.
//!
//! The first worksheet is read, or the one asked for; every cell becomes text: whole numbers without a decimal
//! point (so a phone number or floor typed as a number reads back as `13800000000` or
//! `3`), dates and times as Unix seconds (taken as China Standard Time, the clock the
//! sheet was typed in), errors as empty cells.

use crate::error::ImportError;
use crate::time::CST_OFFSET;
use calamine::{open_workbook_auto, Data, Reader};
use indicatif::ProgressBar;
use std::path::Path;

/// Days from Excel's day 0 (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH_DAYS: f64 = 25_569.0;

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::DateTime(dt) => {
            let secs = ((dt.as_f64() - EXCEL_EPOCH_DAYS) * 86_400.0).round() as i64 - CST_OFFSET;
            secs.to_string()
        }
    }
}

/// All rows of worksheet `sheet` (a name or a 1-based number; the first when `None`) as
/// text, with 1-based sheet row numbers.
pub(super) fn rows(
    path: &Path,
    sheet: Option<&str>,
    bar: &ProgressBar,
) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let size = crate::error::nonempty_file_len(path)?;
    bar.set_length(size);
    let sheet_err = |source: calamine::Error| ImportError::Sheet {
        path: path.to_path_buf(),
        source,
    };
    let mut book = open_workbook_auto(path).map_err(sheet_err)?;
    let names = book.sheet_names();
    let at = match sheet {
        None => 0,
        Some(wanted) => {
            let by_number = wanted
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1));
            let by_name = names.iter().position(|n| n.trim() == wanted.trim());
            by_name
                .or(by_number.filter(|&n| n < names.len()))
                .ok_or_else(|| ImportError::NoSuchSheet {
                    path: path.to_path_buf(),
                    sheet: wanted.to_owned(),
                    sheets: names.join(", "),
                })?
        }
    };
    let range = book
        .worksheet_range_at(at)
        .ok_or(calamine::Error::Msg("the workbook has no worksheet"))
        .and_then(|r| r)
        .map_err(sheet_err)?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i + 1, cells.iter().map(cell_text).collect()))
        .collect();
    bar.set_position(size);
    Ok(rows)
}
