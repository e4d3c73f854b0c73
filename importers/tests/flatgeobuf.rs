//! FlatGeobuf as desktop GIS writes it: the CRS in the header (here a Gauss–Krüger zone,
//! converted through PROJ), typed properties. The fixture is written here.

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geozero::{ColumnValue, PropertyProcessor};
use gridmap_importers::{read_geojson_buildings, read_geojson_villages, GeoJsonOptions};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

/// Two squares of `size` metres from (`x`, `y`) with a code, a name and a level count,
/// in the CRS `epsg`.
fn squares(dir: &Path, epsg: i32, (x, y): (f64, f64), size: f64) -> PathBuf {
    let options = FgbWriterOptions {
        crs: FgbCrs {
            org: Some("EPSG"),
            code: epsg,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut writer =
        FgbWriter::create_with_options("villages", GeometryType::Polygon, options).unwrap();
    writer.add_column("code", ColumnType::String, |_, _| {});
    writer.add_column("name", ColumnType::String, |_, _| {});
    writer.add_column("levels", ColumnType::Int, |_, _| {});
    let rows = [("411622103214", "李庄村", 3), ("411622103215", "王营村", 2)];
    for (k, (code, name, levels)) in rows.into_iter().enumerate() {
        let x0 = x + k as f64 * size;
        let corners = vec![
            (x0, y),
            (x0 + size, y),
            (x0 + size, y + size),
            (x0, y + size),
            (x0, y),
        ];
        let square = geo_types::Geometry::Polygon(geo_types::Polygon::new(corners.into(), vec![]));
        writer
            .add_feature_geom(square, |f| {
                f.property(0, "code", &ColumnValue::String(code)).unwrap();
                f.property(1, "name", &ColumnValue::String(name)).unwrap();
                f.property(2, "levels", &ColumnValue::Int(levels)).unwrap();
            })
            .unwrap();
    }
    let path = dir.join(format!("villages-{epsg}.fgb"));
    writer.write(std::fs::File::create(&path).unwrap()).unwrap();
    path
}

#[test]
fn a_flatgeobuf_in_a_gauss_kruger_zone_is_read_at_its_place_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    // 560225.9549 E 3736121.2086 N in EPSG:4547 is 114.65°E 33.75°N (cs2cs 9.1.1).
    let path = squares(dir.path(), 4547, (560225.9549, 3736121.2086), 800.0);
    let (units, report) =
        read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert_eq!(report.rejected.len(), 0, "{:?}", report.rejected);
    // Written with a spatial index: features come in the index's order.
    let mut names: Vec<(String, String)> = units
        .iter()
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("411622103214".into(), "李庄村".into()),
            ("411622103215".into(), "王营村".into())
        ]
    );
    let first = units
        .iter()
        .find(|u| u.code.as_str() == "411622103214")
        .unwrap();
    let ring = &first.boundary.0[0].exterior().0;
    assert!(
        ring.iter()
            .any(|c| (c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7),
        "{ring:?}"
    );

    let (buildings, _) =
        read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    let mut levels: Vec<Option<u16>> = buildings.iter().map(|b| b.levels).collect();
    levels.sort();
    assert_eq!(levels, [Some(2), Some(3)]);
}

#[test]
fn a_flatgeobuf_naming_a_crs_proj_does_not_know_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = squares(dir.path(), 99999, (560225.9549, 3736121.2086), 800.0);
    let err = read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("villages-99999.fgb") && err.contains("EPSG:99999"),
        "{err}"
    );
}
