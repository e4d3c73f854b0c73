//! Tables for people with spreadsheets: CSV that Excel opens with its Chinese intact, and
//! XLSX workbooks. Shared by the incident statistics and the grid roster.

use crate::export::ExportError;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Empty,
}

impl<'a> Cell<'a> {
    /// Text, or an empty cell without it.
    pub(crate) fn text(text: Option<&'a str>) -> Cell<'a> {
        text.map_or(Cell::Empty, Cell::Text)
    }

    /// A number, or an empty cell without it.
    pub(crate) fn number(n: Option<f64>) -> Cell<'a> {
        n.map_or(Cell::Empty, Cell::Number)
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(t) => (*t).to_owned(),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// `header` and `rows` as CSV in UTF-8 with a byte-order mark: without it Excel reads the
/// file in the locale's code page and garbles Chinese.
pub(crate) fn csv<'a>(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell<'a>>>,
) -> Result<Vec<u8>, ExportError> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(header)?;
    for row in rows {
        out.write_record(row.iter().map(Cell::csv))?;
    }
    out.into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))
}

/// `header` and `rows` as a workbook with one sheet named `sheet`. Text stays text, so
/// 12-digit codes and phone numbers are not turned into numbers.
pub(crate) fn xlsx<'a>(
    sheet: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell<'a>>>,
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let page = book.add_worksheet();
    page.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        page.write_string_with_format(0, column(c), *h, &bold)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(t) => {
                    page.write_string(r, column(c), *t)?;
                }
                Cell::Number(n) => {
                    page.write_number(r, column(c), *n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    page.set_freeze_panes(1, 0)?;
    page.autofit();
    Ok(book.save_to_buffer()?)
}

fn column(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}
