//! The bad-input corpus under `tests/corpus/` at the repository root: every file must
//! give a clear error or issue naming the file, the feature or line and the reason.

use gridmap_importers::{
    read_geojson_buildings, read_geojson_villages, read_households_csv, read_osm, CsvOptions,
    GeoJsonOptions, ImportError, OsmOptions,
};
use indicatif::ProgressBar;
use std::path::PathBuf;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus")).join(name)
}

fn buildings(name: &str) -> (Vec<gridmap_core::Building>, gridmap_importers::ImportReport) {
    read_geojson_buildings(
        corpus(name),
        &GeoJsonOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap()
}

#[test]
fn unclosed_ring_is_closed_and_reported() {
    let (b, report) = buildings("unclosed_ring.geojson");
    assert_eq!(b.len(), 2);
    assert!(report.rejected.is_empty());
    assert_eq!(report.repaired.len(), 1);
    let issue = report.repaired[0].to_string();
    assert!(
        issue.starts_with("unclosed_ring.geojson: unclosed-1 (feature 1): closed ring"),
        "{issue}"
    );
    let ring = &b[1].footprint.0[0].exterior().0;
    assert_eq!(ring.first(), ring.last());
}

#[test]
fn self_intersection_is_rejected() {
    let (b, report) = buildings("self_intersection.geojson");
    assert_eq!(b.len(), 1);
    let issue = &report.rejected[0];
    assert_eq!(issue.id.as_deref(), Some("bowtie-1"));
    assert!(issue.reason.contains("self-intersection"), "{issue}");
    assert!(issue.to_string().ends_with("— rejected"));
}

#[test]
fn wrong_field_types_are_rejected_naming_the_field() {
    let (b, report) = buildings("wrong_field_type.geojson");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].levels, Some(3));
    let reasons: Vec<String> = report.rejected.iter().map(|i| i.to_string()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("levels-abc")
            && reasons[0].contains("field `levels`")
            && reasons[0].contains("\"abc\"")
    );
    assert!(reasons[1].contains("field `households`"));
}

#[test]
fn out_of_range_coordinates_are_rejected() {
    let (b, report) = buildings("out_of_range.geojson");
    assert_eq!(b.len(), 1);
    assert_eq!(report.rejected.len(), 2);
    assert!(
        report
            .rejected
            .iter()
            .all(|i| i.reason.contains("out of range")),
        "{:?}",
        report.rejected
    );

    let (hh, report) = read_households_csv(
        corpus("out_of_range.csv"),
        &CsvOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(hh.len(), 1);
    assert_eq!(report.rejected.len(), 2);
    assert!(report.rejected[0].reason.contains("out of range"));
    assert_eq!(report.rejected[0].index, 3, "line numbers count the header");
    assert!(report.rejected[1].reason.contains("non-finite"));
}

#[test]
fn villages_need_a_twelve_digit_code() {
    let (v, report) = read_geojson_villages(
        corpus("village_without_code.geojson"),
        &GeoJsonOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].level, gridmap_core::AdminLevel::Village);
    assert!(report.rejected[0].reason.contains("12 digits"));
    assert!(report.rejected[1]
        .reason
        .contains("missing 12-digit division code"));
}

#[test]
fn truncated_geojson_is_an_error_naming_file_and_line() {
    let err = read_geojson_buildings(
        corpus("truncated.geojson"),
        &GeoJsonOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ImportError::Json { line: Some(_), .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("truncated.geojson") && msg.contains("line"),
        "{msg}"
    );
}

#[test]
fn truncated_pbf_is_an_error_naming_the_file() {
    let err = read_osm(
        corpus("truncated.osm.pbf"),
        &OsmOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Osm { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated.osm.pbf"));
}

#[test]
fn a_gbk_csv_is_detected_and_text_in_neither_encoding_is_an_error_naming_the_line() {
    let (hh, report) = read_households_csv(
        corpus("non_utf8.csv"),
        &CsvOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert!(report.rejected.is_empty());
    assert_eq!(hh[0].head.as_deref(), Some("张伟"));
    assert_eq!(hh[1].head.as_deref(), Some("李娜"));

    let err = read_households_csv(
        corpus("latin1.csv"),
        &CsvOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ImportError::Encoding { line: 2, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("latin1.csv") && msg.contains("line 2"),
        "{msg}"
    );
}

#[test]
fn missing_files_are_errors_naming_the_file() {
    let missing = corpus("no_such_file.geojson");
    let err = read_geojson_villages(&missing, &GeoJsonOptions::default(), &ProgressBar::hidden())
        .unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }));
    assert!(err.to_string().contains("no_such_file.geojson"));
    let err = read_osm(
        corpus("no_such_file.osm.pbf"),
        &OsmOptions::default(),
        &ProgressBar::hidden(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no_such_file.osm.pbf"));
}

#[test]
fn missing_csv_column_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hh.csv");
    // 序号 numbers the rows; it is no household id (户号 would be recognised as one).
    std::fs::write(&path, "序号,building\n1,b1\n").unwrap();
    let err =
        read_households_csv(&path, &CsvOptions::default(), &ProgressBar::hidden()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("missing column \"id\"") && msg.contains("序号"),
        "{msg}"
    );
}

#[test]
fn gbk_text_that_starts_after_the_first_megabyte_is_still_read_as_gbk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late_gbk.csv");
    let mut text = b"id,building,head,phone\n".to_vec();
    let ascii_rows = 40_000;
    for i in 0..ascii_rows {
        text.extend_from_slice(format!("H{i},b{i},Wang Wei,13800000000\n").as_bytes());
    }
    assert!(text.len() > 1 << 20, "past any sample of the start");
    let (gbk, _, _) = encoding_rs::GBK.encode("H-last,b-last,张伟,13900000000\n");
    text.extend_from_slice(&gbk);
    std::fs::write(&path, &text).unwrap();
    let (hh, report) =
        read_households_csv(&path, &CsvOptions::default(), &ProgressBar::hidden()).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(hh.len(), ascii_rows + 1);
    assert_eq!(hh.last().unwrap().head.as_deref(), Some("张伟"));
}
