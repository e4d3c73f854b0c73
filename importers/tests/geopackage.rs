//! GeoPackage as desktop GIS writes it: a feature table with a GeoPackage geometry blob
//! column, its spatial reference system (here a Gauss–Krüger zone, converted through
//! PROJ) in `gpkg_spatial_ref_sys`. The fixture is written here with SQLite.

use gridmap_importers::{read_geojson_villages, GeoJsonOptions};
use indicatif::ProgressBar;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};

/// A GeoPackage geometry blob: the `GP` header (version 0, little-endian, no envelope,
/// `srs_id`) followed by a little-endian WKB polygon with one ring.
fn gpkg_polygon(srs_id: i32, ring: &[(f64, f64)]) -> Vec<u8> {
    let mut blob = b"GP".to_vec();
    blob.extend([0u8, 0b0000_0001]);
    blob.extend(srs_id.to_le_bytes());
    blob.push(1);
    blob.extend(3u32.to_le_bytes());
    blob.extend(1u32.to_le_bytes());
    blob.extend((ring.len() as u32).to_le_bytes());
    for (x, y) in ring {
        blob.extend(x.to_le_bytes());
        blob.extend(y.to_le_bytes());
    }
    blob
}

/// Two squares of `size` metres from (`x`, `y`) in EPSG `epsg`, table `villages`.
fn geopackage(dir: &Path, epsg: i64, (x, y): (f64, f64), size: f64) -> PathBuf {
    let path = dir.join(format!("villages-{epsg}.gpkg"));
    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT, description TEXT DEFAULT '', last_change DATETIME,
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
           m TINYINT NOT NULL);
         CREATE TABLE villages (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB,
           code TEXT, name TEXT, levels INTEGER);",
    )
    .unwrap();
    db.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, 'undefined', NULL)",
        params![format!("EPSG:{epsg}"), epsg],
    )
    .unwrap();
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, min_x, min_y, max_x, max_y, srs_id)
         VALUES ('villages', 'features', ?1, ?2, ?3, ?4, ?5)",
        params![x, y, x + 2.0 * size, y + size, epsg],
    )
    .unwrap();
    db.execute(
        "INSERT INTO gpkg_geometry_columns VALUES ('villages', 'geom', 'POLYGON', ?1, 0, 0)",
        params![epsg],
    )
    .unwrap();
    let rows = [("411622103214", "李庄村", 3), ("411622103215", "王营村", 2)];
    for (k, (code, name, levels)) in rows.into_iter().enumerate() {
        let x0 = x + k as f64 * size;
        let ring = [
            (x0, y),
            (x0 + size, y),
            (x0 + size, y + size),
            (x0, y + size),
            (x0, y),
        ];
        db.execute(
            "INSERT INTO villages (geom, code, name, levels) VALUES (?1, ?2, ?3, ?4)",
            params![gpkg_polygon(epsg as i32, &ring), code, name, levels],
        )
        .unwrap();
    }
    path
}

#[test]
fn a_geopackage_in_a_gauss_kruger_zone_is_read_at_its_place_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    // 560225.9549 E 3736121.2086 N in EPSG:4547 is 114.65°E 33.75°N (cs2cs 9.1.1).
    let path = geopackage(dir.path(), 4547, (560225.9549, 3736121.2086), 800.0);
    let (units, report) =
        read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let names: Vec<(String, String, String)> = units
        .iter()
        .map(|u| (u.code.to_string(), u.name.clone(), u.source_id.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("411622103214".into(), "李庄村".into(), "1".into()),
            ("411622103215".into(), "王营村".into(), "2".into())
        ],
        "the fid is the feature's id"
    );
    let ring = &units[0].boundary.0[0].exterior().0;
    let at_origin = ring
        .iter()
        .any(|c| (c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7);
    assert!(at_origin, "{ring:?}");
}

#[test]
fn a_sqlite_file_that_is_no_geopackage_is_refused_naming_what_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.gpkg");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    let err = read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("store.gpkg") && err.contains("no feature table"),
        "{err}"
    );
}

#[test]
fn a_layer_is_chosen_by_name_and_an_unknown_one_is_refused_listing_the_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = geopackage(dir.path(), 4547, (560225.9549, 3736121.2086), 800.0);
    let named = GeoJsonOptions {
        layer: Some("villages".into()),
        ..GeoJsonOptions::default()
    };
    let (units, _) = read_geojson_villages(&path, &named, &ProgressBar::hidden()).unwrap();
    assert_eq!(units.len(), 2);
    let unknown = GeoJsonOptions {
        layer: Some("村界".into()),
        ..GeoJsonOptions::default()
    };
    let err = read_geojson_villages(&path, &unknown, &ProgressBar::hidden())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("村界") && err.contains("its tables: villages"),
        "{err}"
    );
}
