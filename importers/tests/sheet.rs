//! Household registers kept as spreadsheets go through the same readers as CSV.

use gridmap_importers::{read_households_csv, read_incidents_csv, CsvOptions, ImportError};
use indicatif::ProgressBar;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn xlsx_register_is_read_with_mapped_columns() {
    let options = CsvOptions::default()
        .column("id", "户号")
        .column("head", "户主");
    let (hh, report) =
        read_households_csv(fixture("households.xlsx"), &options, &ProgressBar::hidden()).unwrap();
    assert_eq!(hh.len(), 2);
    assert_eq!(hh[0].id, "H1");
    assert_eq!(hh[0].head.as_deref(), Some("张伟"));
    assert_eq!(
        hh[0].phone.as_deref(),
        Some("13800000000"),
        "numbers keep no decimal point"
    );
    assert_eq!(hh[0].floor, Some(3));
    assert_eq!(hh[1].id, "H3");
    assert_eq!(hh[1].floor, Some(1), "1.0 typed in a cell is floor 1");
    assert_eq!(report.rejected.len(), 1);
    let issue = report.rejected[0].to_string();
    assert!(
        issue.starts_with("households.xlsx: H2 (row 3): column `floor`"),
        "{issue}"
    );
}

#[test]
fn xlsx_dates_become_unix_seconds_in_china_time() {
    // the same sheet read as incidents: 登记时间 2025-03-01 09:30 CST
    let options = CsvOptions::default()
        .column("id", "户号")
        .column("time", "登记时间")
        .column("category", "户主")
        .column("lon", "floor")
        .column("lat", "floor");
    let (inc, _) =
        read_incidents_csv(fixture("households.xlsx"), &options, &ProgressBar::hidden()).unwrap();
    assert_eq!(inc[0].time, 1_740_792_600);
}

#[test]
fn broken_spreadsheet_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.xlsx");
    std::fs::write(&path, b"PK\x03\x04 not really a zip").unwrap();
    let err =
        read_households_csv(&path, &CsvOptions::default(), &ProgressBar::hidden()).unwrap_err();
    assert!(matches!(err, ImportError::Sheet { .. }), "{err:?}");
    assert!(err.to_string().contains("register.xlsx"));
}

/// A workbook as a village office keeps it: a notes sheet first, then the register under
/// a title row and a blank row, with Chinese headers and no mapping given.
fn office_workbook(path: &std::path::Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet().set_name("说明").unwrap();
    notes.write(0, 0, "本表由村委会填报").unwrap();
    let register = book.add_worksheet().set_name("户籍").unwrap();
    register.write(0, 0, "李庄村户籍登记表").unwrap();
    let header = [
        "户号", "楼栋", "单元", "楼层", "房号", "户主", "手机", "人数", "地址",
    ];
    for (c, h) in header.iter().enumerate() {
        register.write(2, c as u16, *h).unwrap();
    }
    let rows: [[&str; 9]; 2] = [
        [
            "H1",
            "synth:b/1",
            "2",
            "3",
            "302",
            "张伟",
            "13800000000",
            "4",
            "李庄村1号",
        ],
        [
            "H2",
            "synth:b/1",
            "1",
            "5",
            "501",
            "李娜",
            "13900000000",
            "2",
            "李庄村1号",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            register.write(3 + r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn a_chinese_register_on_a_named_sheet_under_a_title_is_read_without_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("户籍.xlsx");
    office_workbook(&path);
    for sheet in ["户籍", "2"] {
        let options = CsvOptions {
            sheet: Some(sheet.into()),
            ..CsvOptions::default()
        };
        let (hh, report) = read_households_csv(&path, &options, &ProgressBar::hidden()).unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(hh.len(), 2, "sheet {sheet}");
        let h = &hh[0];
        assert_eq!(
            (
                h.id.as_str(),
                h.building.as_deref(),
                h.entrance.as_deref(),
                h.floor,
                h.unit.as_deref()
            ),
            ("H1", Some("synth:b/1"), Some("2"), Some(3), Some("302"))
        );
        assert_eq!(
            (
                h.head.as_deref(),
                h.phone.as_deref(),
                h.members,
                h.address.as_deref()
            ),
            (
                Some("张伟"),
                Some("13800000000"),
                Some(4),
                Some("李庄村1号")
            )
        );
    }
}

#[test]
fn a_sheet_the_workbook_does_not_have_is_refused_listing_those_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("户籍.xlsx");
    office_workbook(&path);
    let options = CsvOptions {
        sheet: Some("住户".into()),
        ..CsvOptions::default()
    };
    let err = read_households_csv(&path, &options, &ProgressBar::hidden()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ImportError::NoSuchSheet { .. }), "{message}");
    assert!(
        message.contains("住户") && message.contains("说明, 户籍"),
        "{message}"
    );
}
