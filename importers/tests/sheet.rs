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
