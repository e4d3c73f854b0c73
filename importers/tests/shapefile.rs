//! Shapefiles as county offices send them: GBK attributes said by a .cpg (or by nothing),
//! a .prj or none, and files of the wrong kind given to the map-layer import. The
//! fixtures are written here, with the shapefile crate.

use gridmap_importers::{
    read_geojson_buildings, read_geojson_villages, GeoJsonOptions, ImportError, TextEncoding,
};
use indicatif::ProgressBar;
use shapefile::dbase::{self, FieldValue, TableWriterBuilder};
use std::path::{Path, PathBuf};

const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const GK_114_PRJ: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

/// Two villages as squares at (`x`, `y`) with sides `size`, their text in `encoding`.
fn villages(
    dir: &Path,
    name: &str,
    encoding: &'static encoding_rs::Encoding,
    origin: (f64, f64),
    size: f64,
) -> PathBuf {
    let path = dir.join(format!("{name}.shp"));
    let table = TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .add_character_field("code".try_into().unwrap(), 12)
        .add_character_field("name".try_into().unwrap(), 40)
        .add_numeric_field("levels".try_into().unwrap(), 4, 0);
    let mut writer = shapefile::Writer::from_path(&path, table).unwrap();
    let rows = [
        ("411622103214", "李庄村", 3.0),
        ("411622103215", "王营村", 2.0),
    ];
    for (k, (code, village, levels)) in rows.into_iter().enumerate() {
        let (x, y) = (origin.0 + k as f64 * size, origin.1);
        let corners = vec![
            (x, y),
            (x + size, y),
            (x + size, y + size),
            (x, y + size),
            (x, y),
        ];
        let square = geo_types::Polygon::new(corners.into(), vec![]);
        let mut record = dbase::Record::default();
        record.insert("code".into(), FieldValue::Character(Some(code.into())));
        record.insert("name".into(), FieldValue::Character(Some(village.into())));
        record.insert("levels".into(), FieldValue::Numeric(Some(levels)));
        writer
            .write_shape_and_record(&shapefile::Polygon::from(square), &record)
            .unwrap();
    }
    drop(writer);
    path
}

/// Sets the .dbf's language driver byte, as writers that do not know it leave it (0).
fn clear_language_driver(shp: &Path) {
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[29] = 0;
    std::fs::write(&dbf, bytes).unwrap();
}

fn read_villages(
    path: &Path,
    options: &GeoJsonOptions,
) -> Result<Vec<(String, String)>, ImportError> {
    let (units, _) = read_geojson_villages(path, options, &ProgressBar::hidden())?;
    Ok(units
        .into_iter()
        .map(|u| (u.code.to_string(), u.name))
        .collect())
}

fn expected() -> Vec<(String, String)> {
    vec![
        ("411622103214".into(), "李庄村".into()),
        ("411622103215".into(), "王营村".into()),
    ]
}

#[test]
fn a_gbk_shapefile_with_a_cpg_and_a_prj_is_read_with_its_chinese_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = villages(
        dir.path(),
        "villages",
        encoding_rs::GBK,
        (114.6, 33.8),
        0.01,
    );
    std::fs::write(path.with_extension("cpg"), "GBK").unwrap();
    std::fs::write(path.with_extension("prj"), WGS84_PRJ).unwrap();
    assert_eq!(
        read_villages(&path, &GeoJsonOptions::default()).unwrap(),
        expected()
    );
}

#[test]
fn gbk_text_without_a_cpg_is_refused_with_what_to_give_and_read_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = villages(
        dir.path(),
        "villages",
        encoding_rs::GBK,
        (114.6, 33.8),
        0.01,
    );
    clear_language_driver(&path);
    let err = read_villages(&path, &GeoJsonOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("villages.shp") && err.contains("record 0"),
        "{err}"
    );
    assert!(
        err.contains("not UTF-8") && err.contains("--encoding gbk"),
        "{err}"
    );

    let gbk = GeoJsonOptions {
        encoding: Some(TextEncoding::Gbk),
        ..GeoJsonOptions::default()
    };
    assert_eq!(read_villages(&path, &gbk).unwrap(), expected());
}

#[test]
fn the_dbf_language_driver_says_gbk_when_there_is_no_cpg() {
    let dir = tempfile::tempdir().unwrap();
    // The dbase writer marks code page 936 in the header, as ArcGIS does.
    let path = villages(
        dir.path(),
        "villages",
        encoding_rs::GBK,
        (114.6, 33.8),
        0.01,
    );
    assert_eq!(
        read_villages(&path, &GeoJsonOptions::default()).unwrap(),
        expected()
    );
}

#[test]
fn utf8_text_said_to_be_gbk_is_refused_as_mojibake() {
    let dir = tempfile::tempdir().unwrap();
    let path = villages(
        dir.path(),
        "villages",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.01,
    );
    std::fs::write(path.with_extension("cpg"), "GBK").unwrap();
    let err = read_villages(&path, &GeoJsonOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is UTF-8") && err.contains("villages.cpg"),
        "{err}"
    );
    assert!(err.contains("--encoding utf8"), "{err}");
    let utf8 = GeoJsonOptions {
        encoding: Some(TextEncoding::Utf8),
        ..GeoJsonOptions::default()
    };
    assert_eq!(read_villages(&path, &utf8).unwrap(), expected());
}

#[test]
fn without_a_prj_lon_lat_is_read_and_metres_are_refused_asking_for_the_crs() {
    let dir = tempfile::tempdir().unwrap();
    let lon_lat = villages(
        dir.path(),
        "lonlat",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.01,
    );
    assert_eq!(
        read_villages(&lon_lat, &GeoJsonOptions::default()).unwrap(),
        expected()
    );

    let metres = villages(
        dir.path(),
        "metres",
        encoding_rs::UTF_8,
        (555_000.0, 3_742_000.0),
        800.0,
    );
    let err = read_villages(&metres, &GeoJsonOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("metres.shp") && err.contains("no metres.prj"),
        "{err}"
    );
    assert!(err.contains("--crs"), "{err}");
}

#[test]
fn a_gauss_kruger_prj_is_converted_by_proj_and_one_proj_does_not_know_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // 560,225.9549 E 3,736,121.2086 N in CGCS2000 / 3-degree GK CM 114E is 114.65°E
    // 33.75°N (cs2cs 9.1.1).
    let path = villages(
        dir.path(),
        "gk",
        encoding_rs::UTF_8,
        (560225.9549, 3736121.2086),
        800.0,
    );
    std::fs::write(path.with_extension("prj"), GK_114_PRJ).unwrap();
    let (units, _) =
        read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    let ring = &units[0].boundary.0[0].exterior().0;
    let at_origin = ring
        .iter()
        .any(|c| (c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7);
    assert!(
        at_origin,
        "the square's first corner is at 114.65°E 33.75°N: {ring:?}"
    );

    let unknown = r#"PROJCS["Local_Grid_of_Some_Bureau",GEOGCS["GCS_Nowhere",DATUM["D_Nowhere"]],PROJECTION["Unheard_Of"]]"#;
    std::fs::write(path.with_extension("prj"), unknown).unwrap();
    let err = read_villages(&path, &GeoJsonOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gk.prj")
            && err.contains("Local_Grid_of_Some_Bureau")
            && err.contains("--crs"),
        "{err}"
    );
}

#[test]
fn buildings_come_from_a_shapefile_with_their_numeric_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = villages(
        dir.path(),
        "buildings",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.0002,
    );
    let (buildings, report) =
        read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert_eq!(report.read, 2);
    let levels: Vec<Option<u16>> = buildings.iter().map(|b| b.levels).collect();
    assert_eq!(levels, [Some(3), Some(2)]);
    assert!(buildings[0].footprint.0[0]
        .exterior()
        .0
        .iter()
        .all(|c| c.x >= 114.6 && c.y >= 33.8));
}

#[test]
fn files_of_another_kind_are_named_not_reported_as_broken_json() {
    let dir = tempfile::tempdir().unwrap();
    let shp = villages(
        dir.path(),
        "villages",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.01,
    );
    let cases: [(PathBuf, &str); 3] = [
        (shp.with_extension("dbf"), "part of a Shapefile"),
        (dir.path().join("register.xlsx"), "ZIP archive"),
        (dir.path().join("register.xls"), "Excel workbook (.xls)"),
    ];
    std::fs::write(&cases[1].0, b"PK\x03\x04rest of a workbook").unwrap();
    std::fs::write(&cases[2].0, b"\xD0\xCF\x11\xE0rest of a workbook").unwrap();
    for (path, named) in cases {
        let err = read_villages(&path, &GeoJsonOptions::default()).unwrap_err();
        assert!(matches!(err, ImportError::WrongFormat { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(named) && !message.contains("GeoJSON at"),
            "{message}"
        );
    }
}

#[test]
fn a_shapefile_given_as_a_register_is_named_not_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let shp = villages(
        dir.path(),
        "villages",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.01,
    );
    let options = gridmap_importers::CsvOptions::default();
    let err = gridmap_importers::read_households_csv(&shp, &options, &ProgressBar::hidden())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("this is a Shapefile") && err.contains("gridmap import buildings"),
        "{err}"
    );
}

#[test]
fn crs_auto_reads_the_zone_number_in_front_of_the_eastings() {
    let dir = tempfile::tempdir().unwrap();
    let auto = GeoJsonOptions {
        crs_auto: true,
        ..GeoJsonOptions::default()
    };
    // CGCS2000 3° zone 38 (EPSG:4526): the same point as 560,225.9549 m in CM 114E.
    let zoned = villages(
        dir.path(),
        "zoned",
        encoding_rs::UTF_8,
        (38560225.9549, 3736121.2086),
        800.0,
    );
    let (units, _) = read_geojson_villages(&zoned, &auto, &ProgressBar::hidden()).unwrap();
    let ring = &units[0].boundary.0[0].exterior().0;
    assert!(
        ring.iter()
            .any(|c| (c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7),
        "{ring:?}"
    );

    let bare = villages(
        dir.path(),
        "bare",
        encoding_rs::UTF_8,
        (560225.9549, 3736121.2086),
        800.0,
    );
    let err = read_villages(&bare, &auto).unwrap_err().to_string();
    assert!(
        err.contains("cannot guess") && err.contains("--crs EPSG:"),
        "{err}"
    );
}

#[test]
fn gbk_names_whose_bytes_happen_to_be_valid_utf8_are_read_as_gbk() {
    // 郑伟 and 郑强 in GBK are valid UTF-8 byte sequences too (of non-Chinese letters):
    // they are GBK, not mojibake.
    for name in ["郑伟", "郑强"] {
        let bytes = encoding_rs::GBK.encode(name).0;
        assert!(
            std::str::from_utf8(&bytes).is_ok(),
            "{name} is no such case"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staff.shp");
        let table =
            TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding_rs::GBK))
                .add_character_field("code".try_into().unwrap(), 12)
                .add_character_field("name".try_into().unwrap(), 40);
        let mut writer = shapefile::Writer::from_path(&path, table).unwrap();
        let corners = vec![
            (114.6, 33.8),
            (114.61, 33.8),
            (114.61, 33.81),
            (114.6, 33.81),
            (114.6, 33.8),
        ];
        let square = geo_types::Polygon::new(corners.into(), vec![]);
        let mut record = dbase::Record::default();
        record.insert(
            "code".into(),
            FieldValue::Character(Some("411622103214".into())),
        );
        record.insert("name".into(), FieldValue::Character(Some(name.into())));
        writer
            .write_shape_and_record(&shapefile::Polygon::from(square), &record)
            .unwrap();
        drop(writer);
        std::fs::write(path.with_extension("cpg"), "GBK").unwrap();
        let read = read_villages(&path, &GeoJsonOptions::default()).unwrap();
        assert_eq!(read[0].1, name);
    }
}

#[test]
fn a_shapefile_without_its_shx_index_is_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = villages(
        dir.path(),
        "villages",
        encoding_rs::UTF_8,
        (114.6, 33.8),
        0.01,
    );
    std::fs::remove_file(path.with_extension("shx")).unwrap();
    assert_eq!(
        read_villages(&path, &GeoJsonOptions::default()).unwrap(),
        expected()
    );
}
