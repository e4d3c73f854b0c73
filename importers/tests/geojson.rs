//! GeoJSON readers: layouts, field mapping, CRS conversion, levels from codes.

use geo::Validation;
use gridmap_core::{AdminLevel, BuildingUse, HouseholdCountSource};
use gridmap_importers::crs::{wgs84_to_bd09, wgs84_to_gcj02};
use gridmap_importers::{
    estimate_households, read_geojson_buildings, read_geojson_villages, Crs, EstimateOptions,
    GeoJsonOptions,
};
use indicatif::ProgressBar;
use serde_json::json;

fn square(x: f64, y: f64, s: f64, shift: impl Fn(f64, f64) -> (f64, f64)) -> serde_json::Value {
    let pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
    json!([pts
        .iter()
        .map(|&(a, b)| {
            let (p, q) = shift(a, b);
            json!([p, q])
        })
        .collect::<Vec<_>>()])
}

#[test]
fn collection_keys_around_features_are_skipped_and_fields_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.geojson");
    let doc = json!({
        "type": "FeatureCollection",
        "bbox": [114.0, 33.0, 115.0, 34.0],
        "name": "buildings",
        "features": [
            {"type": "Feature", "properties": {"bid": "A-1", "层数": "4", "户数": 16, "用途": "school", "h": "12 m", "addr": "人民路1号"},
             "geometry": {"type": "Polygon", "coordinates": square(114.6, 33.8, 0.0003, |a, b| (a, b))}},
            {"type": "Feature", "properties": {"bid": 7},
             "geometry": {"type": "MultiPolygon", "coordinates": [square(114.7, 33.8, 0.0003, |a, b| (a, b))]}},
            {"type": "Feature", "properties": {"bid": "P"}, "geometry": {"type": "Point", "coordinates": [114.6, 33.8]}}
        ],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    let options = GeoJsonOptions {
        id_field: Some("bid".into()),
        levels_field: "层数".into(),
        households_field: "户数".into(),
        use_field: "用途".into(),
        height_field: "h".into(),
        address_field: "addr".into(),
        ..Default::default()
    };
    let bar = ProgressBar::hidden();
    let (b, report) = read_geojson_buildings(&path, &options, &bar).unwrap();
    assert_eq!(
        bar.position(),
        std::fs::metadata(&path).unwrap().len(),
        "progress counts bytes"
    );
    assert_eq!((report.read, report.imported), (3, 2));
    assert!(report.rejected[0].reason.contains("Point is not a Polygon"));
    assert_eq!(b[0].source_id, "A-1");
    assert_eq!(b[0].levels, Some(4));
    assert_eq!(b[0].height, Some(12.0));
    assert_eq!(b[0].building_use, BuildingUse::Institution);
    assert_eq!(b[0].households.count, 16);
    assert_eq!(b[0].households.source, HouseholdCountSource::Registered);
    assert_eq!(b[0].address.as_deref(), Some("人民路1号"));
    assert_eq!(b[1].source_id, "7");
    assert_eq!(b[1].building_use, BuildingUse::Residential, "default use");
}

#[test]
fn geojson_seq_with_record_separators_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("villages.json");
    let mut text = String::new();
    for (code, name) in [
        ("411622101000", "东风镇"),
        ("411622101201", "李庄村"),
        ("411622000000", "华阳县"),
    ] {
        let f = json!({"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": square(114.6, 33.8, 0.01, |a, b| (a, b))}});
        text.push('\u{1e}');
        text.push_str(&f.to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    let (units, report) =
        read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert!(report.rejected.is_empty());
    let levels: Vec<AdminLevel> = units.iter().map(|u| u.level).collect();
    assert_eq!(
        levels,
        vec![
            AdminLevel::Township,
            AdminLevel::Village,
            AdminLevel::County
        ]
    );
    assert_eq!(units[1].name, "李庄村");
}

#[test]
fn gcj02_and_bd09_input_is_converted_to_wgs84() {
    let dir = tempfile::tempdir().unwrap();
    for (crs, shift) in [
        (
            Crs::Gcj02,
            wgs84_to_gcj02 as fn(geo_types::Coord<f64>) -> geo_types::Coord<f64>,
        ),
        (Crs::Bd09, wgs84_to_bd09),
    ] {
        let path = dir.path().join(format!("{crs}.geojson"));
        let shifted = |a: f64, b: f64| {
            let c = shift(geo_types::Coord { x: a, y: b });
            (c.x, c.y)
        };
        let doc = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": square(114.6, 33.8, 0.0003, shifted)}}]});
        std::fs::write(&path, doc.to_string()).unwrap();
        let options = GeoJsonOptions {
            crs,
            ..Default::default()
        };
        let (b, _) = read_geojson_buildings(&path, &options, &ProgressBar::hidden()).unwrap();
        let first = b[0].footprint.0[0].exterior().0[0];
        assert!(
            (first.x - 114.6).abs() < 1e-8 && (first.y - 33.8).abs() < 1e-8,
            "{crs}: {first:?}"
        );
    }
}

#[test]
fn shijiazhuang_towers_get_levels_from_height() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/buildings/shijiazhuang-osmbuildings.geojson"
    );
    if !std::path::Path::new(path).exists() {
        println!("note: {path} not found, Shijiazhuang test skipped");
        return;
    }
    let (mut b, report) =
        read_geojson_buildings(path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert_eq!(report.read, 690);
    assert_eq!(report.imported + report.rejected.len(), 690);
    assert!(b.iter().all(|b| b.footprint.is_valid()));
    assert!(b.iter().filter(|b| b.height.is_some()).count() > 600);
    estimate_households(&mut b, &EstimateOptions::default());
    let tall = b
        .iter()
        .filter(|b| b.height.is_some_and(|h| h > 60.0))
        .max_by_key(|b| b.households.count)
        .unwrap();
    assert!(
        tall.households.count >= 60,
        "a 60 m+ tower holds many flats: {}",
        tall.households.count
    );
}

#[test]
fn id_property_falls_back_to_the_feature_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.geojsonl");
    let lines: Vec<String> = [json!({"type": "Feature", "id": "f-1", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": square(114.6, 33.8, 0.0003, |a, b| (a, b))}}),
        json!({"type": "Feature", "properties": {"id": "p-2"},
            "geometry": {"type": "Polygon", "coordinates": square(114.7, 33.8, 0.0003, |a, b| (a, b))}}),
        json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": square(114.8, 33.8, 0.0003, |a, b| (a, b))}})]
    .iter()
    .map(|v| v.to_string())
    .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let options = GeoJsonOptions {
        id_field: Some("id".into()),
        ..Default::default()
    };
    let (b, _) = read_geojson_buildings(&path, &options, &ProgressBar::hidden()).unwrap();
    let ids: Vec<&str> = b.iter().map(|b| b.source_id.as_str()).collect();
    assert_eq!(ids, vec!["f-1", "p-2", "b.geojsonl#2"]);
}

#[test]
fn without_an_id_field_the_feature_id_or_a_conventional_id_property_is_the_source_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("renamed.geojsonl");
    let feature = |x: f64, id: Option<i64>, props: serde_json::Value| {
        let mut f = json!({"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": square(x, 33.8, 0.0003, |a, b| (a, b))}});
        if let Some(id) = id {
            f["id"] = json!(id);
        }
        f.to_string()
    };
    let lines = [
        feature(114.60, Some(11), json!({"fid": 99})),
        feature(114.61, None, json!({"Id": "k-2"})),
        feature(114.62, None, json!({"ID": 3})),
        feature(114.63, None, json!({"osm_id": "way/4"})),
        feature(114.64, None, json!({"fid": 5})),
        feature(114.65, None, json!({"id": ["not", "an", "id"]})),
        feature(114.66, None, json!({})),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let (b, report) =
        read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    assert!(report.rejected.is_empty(), "{report}");
    let ids: Vec<&str> = b.iter().map(|b| b.source_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "11",
            "k-2",
            "3",
            "way/4",
            "5",
            "renamed.geojsonl#5",
            "renamed.geojsonl#6"
        ]
    );
}

#[test]
fn features_keep_file_order_across_parallel_chunks_and_a_bad_line_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.geojsonl");
    let mut text = String::new();
    for i in 0..5_000 {
        // Every 997th feature is a point: rejected, wherever its chunk is converted.
        let geometry = if i % 997 == 0 {
            json!({"type": "Point", "coordinates": [114.6, 33.8]})
        } else {
            let x = 114.0 + f64::from(i) * 0.001;
            json!({"type": "Polygon", "coordinates": square(x, 33.8, 0.0003, |a, b| (a, b))})
        };
        let feature = json!({"type": "Feature", "id": format!("b{i}"), "properties": {}, "geometry": geometry});
        text.push_str(&feature.to_string());
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let (buildings, report) =
        read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
    let rejected: Vec<usize> = report.rejected.iter().map(|r| r.index).collect();
    assert_eq!(rejected, vec![0, 997, 1994, 2991, 3988, 4985]);
    assert_eq!(report.read, 5_000);
    assert_eq!(buildings.len(), 5_000 - rejected.len());
    let expected: Vec<String> = (0..5_000)
        .filter(|i| i % 997 != 0)
        .map(|i| format!("b{i}"))
        .collect();
    let ids: Vec<&str> = buildings.iter().map(|b| b.source_id.as_str()).collect();
    assert_eq!(ids, expected, "buildings come out in file order");

    // Broken JSON on line 3001 (in the second chunk): the error names the line.
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3000] = "{\"type\": \"Feature\", \"geometry\": ";
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden())
        .unwrap_err()
        .to_string();
    assert!(err.contains("3001"), "{err}");
}

/// A FeatureCollection of one 800 m square village at easting/northing `at`, with the
/// `crs` member `crs` before or after its features, the way ogr2ogr writes a file in a
/// projected CRS.
fn projected_collection(
    dir: &std::path::Path,
    name: &str,
    at: (f64, f64),
    crs: Option<&str>,
    crs_first: bool,
) -> std::path::PathBuf {
    let feature = json!({"type": "Feature", "properties": {"code": "411622100001", "name": "村"},
        "geometry": {"type": "Polygon", "coordinates": square(at.0, at.1, 800.0, |a, b| (a, b))}});
    let member =
        crs.map(|name| format!(r#""crs": {{"type": "name", "properties": {{"name": "{name}"}}}}"#));
    let parts: Vec<String> = match (member, crs_first) {
        (Some(m), true) => vec![m, format!(r#""features": [{feature}]"#)],
        (Some(m), false) => vec![format!(r#""features": [{feature}]"#), m],
        (None, _) => vec![format!(r#""features": [{feature}]"#)],
    };
    let path = dir.join(name);
    let text = format!(
        r#"{{"type": "FeatureCollection", "name": "villages", {}}}"#,
        parts.join(", ")
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Whether the first village's boundary has a corner at 114.65°E 33.75°N to 1e-7°.
fn has_corner_at_114_65_33_75(units: &[gridmap_core::AdminUnit]) -> bool {
    units[0].boundary.0[0]
        .exterior()
        .0
        .iter()
        .any(|c| (c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7)
}

// 560225.9549 E 3736121.2086 N in EPSG:4547 is 114.65°E 33.75°N (cs2cs 9.1.1).
const IN_4547: (f64, f64) = (560225.9549, 3736121.2086);

#[test]
fn a_geojson_crs_member_before_the_features_places_them() {
    let dir = tempfile::tempdir().unwrap();
    let bar = ProgressBar::hidden();
    for name in ["urn:ogc:def:crs:EPSG::4547", "EPSG:4547"] {
        let path = projected_collection(dir.path(), "gk.geojson", IN_4547, Some(name), true);
        let (units, report) =
            read_geojson_villages(&path, &GeoJsonOptions::default(), &bar).unwrap();
        assert_eq!(report.imported, 1, "{name}");
        assert!(
            has_corner_at_114_65_33_75(&units),
            "{name}: {:?}",
            units[0].boundary
        );
    }
}

#[test]
fn a_geojson_crs_member_that_comes_too_late_or_names_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bar = ProgressBar::hidden();
    // A member after the features still counts while they wait in the first chunk…
    let late = projected_collection(
        dir.path(),
        "late.geojson",
        IN_4547,
        Some("urn:ogc:def:crs:EPSG::4547"),
        false,
    );
    let (units, _) = read_geojson_villages(&late, &GeoJsonOptions::default(), &bar).unwrap();
    assert!(has_corner_at_114_65_33_75(&units));
    // …but not after thousands of them were read as lon/lat: refused, naming it.
    let feature = |i: usize| {
        let x = 114.0 + (i % 100) as f64 * 0.001;
        json!({"type": "Feature", "properties": {"code": format!("4116221{i:05}")},
            "geometry": {"type": "Polygon", "coordinates": square(x, 33.8, 0.0005, |a, b| (a, b))}})
    };
    let features: Vec<_> = (0..3000).map(feature).collect();
    let many = dir.path().join("many.geojson");
    let doc = json!({"type": "FeatureCollection", "features": features,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}});
    // serde_json keeps keys sorted: "crs" would come first; write it last by hand.
    let text = doc.to_string();
    let crs_at = text.find(r#""crs""#).unwrap();
    let crs_end = text.find(r#""features""#).unwrap();
    let text = format!(
        "{{{}, {}}}",
        &text[crs_end..text.len() - 1],
        &text[crs_at..crs_end - 1]
    );
    std::fs::write(&many, text).unwrap();
    let err = read_geojson_villages(&many, &GeoJsonOptions::default(), &bar)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("many.geojson")
            && err.contains("comes after its features")
            && err.contains("--crs EPSG:4547"),
        "{err}"
    );
    let unknown = projected_collection(dir.path(), "x.geojson", IN_4547, Some("no such crs"), true);
    let err = read_geojson_villages(&unknown, &GeoJsonOptions::default(), &bar)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"no such crs\"") && err.contains("--crs EPSG:code"),
        "{err}"
    );
    // --crs wins over the member (here: the member is wrong, the file is in EPSG:4547).
    let wrong = projected_collection(dir.path(), "w.geojson", IN_4547, Some("EPSG:3857"), true);
    let given = GeoJsonOptions {
        crs: "EPSG:4547".parse().unwrap(),
        crs_given: true,
        ..GeoJsonOptions::default()
    };
    let (units, _) = read_geojson_villages(&wrong, &given, &bar).unwrap();
    assert!(has_corner_at_114_65_33_75(&units));
}

#[test]
fn projected_geojson_without_a_crs_is_refused_or_read_in_the_zone_its_eastings_carry() {
    let dir = tempfile::tempdir().unwrap();
    let bar = ProgressBar::hidden();
    let seq = |name: &str, at: (f64, f64)| {
        let path = dir.path().join(name);
        let side = if at.0 > 180.0 { 800.0 } else { 0.008 };
        let feature = json!({"type": "Feature", "properties": {"code": "411622100001"},
            "geometry": {"type": "Polygon", "coordinates": square(at.0, at.1, side, |a, b| (a, b))}});
        std::fs::write(&path, format!("{feature}\n{feature}\n")).unwrap();
        path
    };
    let bare = seq("bare.geojsonl", IN_4547);
    let err = read_geojson_villages(&bare, &GeoJsonOptions::default(), &bar)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bare.geojsonl")
            && err.contains("not longitude/latitude")
            && err.contains("--crs"),
        "{err}"
    );
    let auto = GeoJsonOptions {
        crs_auto: true,
        ..GeoJsonOptions::default()
    };
    // 3° zone 38 (EPSG:4526, CM 114°E): the same point with the zone number in front.
    let zoned = seq("zoned.geojsonl", (38_000_000.0 + IN_4547.0, IN_4547.1));
    let (units, _) = read_geojson_villages(&zoned, &auto, &bar).unwrap();
    assert!(
        has_corner_at_114_65_33_75(&units),
        "{:?}",
        units[0].boundary
    );
    let err = read_geojson_villages(&bare, &auto, &bar)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot guess"), "{err}");
    // lon/lat stays lon/lat with --crs auto.
    let plain = seq("plain.geojsonl", (114.6, 33.8));
    let (units, _) = read_geojson_villages(&plain, &auto, &bar).unwrap();
    assert!((units[0].boundary.0[0].exterior().0[0].x - 114.6).abs() < 1e-12);
}

/// Features in every form a GeoJSONSeq line takes: the usual ones GeoJSONSeq reads
/// straight into numbers, the rest (heights, members in another order, wrong types,
/// broken geometry) as JSON. The same features in a FeatureCollection are always read
/// as JSON. Both must give the same buildings and the same report.
#[test]
fn geojsonseq_lines_read_into_numbers_give_what_the_json_reading_gives() {
    let ring = |x: f64| {
        json!([
            [x, 33.8],
            [x + 3e-4, 33.8],
            [x + 3e-4, 33.8003],
            [x, 33.8003],
            [x, 33.8]
        ])
    };
    let hole = |x: f64| {
        json!([
            [x + 1e-4, 33.8001],
            [x + 2e-4, 33.8001],
            [x + 2e-4, 33.8002],
            [x + 1e-4, 33.8001]
        ])
    };
    let features = vec![
        json!({"type": "Feature", "id": "plain", "properties": {"levels": 2, "households": 6},
               "geometry": {"type": "Polygon", "coordinates": [ring(114.600)]}}),
        json!({"type": "Feature", "id": 42, "properties": {"use": "school", "height": 12.5},
               "geometry": {"type": "MultiPolygon", "coordinates": [[ring(114.601), hole(114.601)], [ring(114.602)]]}}),
        json!({"type": "Feature", "id": "with-height", "properties": null,
               "geometry": {"type": "Polygon", "coordinates": [[[114.603, 33.8, 5.0], [114.6033, 33.8, 5.0], [114.6033, 33.8003, 5.0], [114.603, 33.8, 5.0]]]}}),
        json!({"geometry": {"coordinates": [ring(114.604)], "type": "Polygon"}, "properties": {"levels": "3"}, "id": "reordered", "type": "Feature"}),
        json!({"type": "Feature", "id": "bbox", "properties": {},
               "geometry": {"type": "Polygon", "bbox": [114.605, 33.8, 114.6053, 33.8003], "coordinates": [ring(114.605)]}}),
        json!({"type": "Feature", "id": "unclosed", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [[[114.606, 33.8], [114.6063, 33.8], [114.6063, 33.8003]]]}}),
        json!({"type": "Feature", "id": "no-geometry", "properties": {}, "geometry": null}),
        json!({"type": "Feature", "id": "point", "properties": {}, "geometry": {"type": "Point", "coordinates": [114.6, 33.8]}}),
        json!({"type": "Feature", "id": "no-rings", "properties": {}, "geometry": {"type": "Polygon", "coordinates": []}}),
        json!({"type": "Feature", "id": "bad-levels", "properties": {"levels": "abc"},
               "geometry": {"type": "Polygon", "coordinates": [ring(114.607)]}}),
        json!({"type": "Feature", "id": "bad-position", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [[[114.608, "north"], [114.6083, 33.8], [114.6083, 33.8003], [114.608, "north"]]]}}),
        json!({"type": "Thing", "id": "not-a-feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring(114.609)]}}),
        json!({"type": "Feature", "id": "array-properties", "properties": [1], "geometry": {"type": "Polygon", "coordinates": [ring(114.610)]}}),
    ];
    let dir = tempfile::tempdir().unwrap();
    let seq = dir.path().join("b.geojsonl");
    let lines: Vec<String> = features.iter().map(|f| f.to_string()).collect();
    std::fs::write(&seq, lines.join("\n")).unwrap();
    let collection = dir.path().join("b.geojson");
    std::fs::write(
        &collection,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();

    // With the CRS given the first features are not read as JSON to look for one.
    let options = GeoJsonOptions {
        crs_given: true,
        ..GeoJsonOptions::default()
    };
    let read = |path: &std::path::Path| {
        read_geojson_buildings(path, &options, &ProgressBar::hidden()).unwrap()
    };
    let (from_lines, lines_report) = read(&seq);
    let (from_json, json_report) = read(&collection);
    assert_eq!(from_lines, from_json);
    let issues = |issues: &[gridmap_importers::Issue]| {
        issues
            .iter()
            .map(|i| (i.index, i.id.clone(), i.reason.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        issues(&lines_report.rejected),
        issues(&json_report.rejected)
    );
    assert_eq!(
        issues(&lines_report.repaired),
        issues(&json_report.repaired)
    );
    // The cases are what they say: six stored, seven refused, the open ring closed.
    assert_eq!(from_lines.len(), 6, "{:?}", issues(&lines_report.rejected));
    assert_eq!(lines_report.rejected.len(), 7);
    assert_eq!(issues(&lines_report.repaired).len(), 1);
    let heights = from_lines
        .iter()
        .find(|b| b.source_id == "with-height")
        .unwrap();
    assert_eq!(heights.footprint.0[0].exterior().0[1].x, 114.6033);

    // Points, as incidents are read.
    let props = json!({"time": "2025-03-01 09:30", "category": "环境卫生"});
    let incidents = vec![
        json!({"type": "Feature", "id": "E1", "properties": props, "geometry": {"type": "Point", "coordinates": [114.6, 33.8]}}),
        json!({"type": "Feature", "id": "E2", "properties": props, "geometry": {"type": "Point", "coordinates": [114.61, 33.81, 40.0]}}),
        json!({"type": "Feature", "id": "E3", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring(114.6)]}}),
        json!({"type": "Feature", "id": "E4", "properties": props, "geometry": {"type": "Point", "coordinates": [514.6, 33.8]}}),
    ];
    let lines: Vec<String> = incidents.iter().map(|f| f.to_string()).collect();
    std::fs::write(&seq, lines.join("\n")).unwrap();
    std::fs::write(
        &collection,
        json!({"type": "FeatureCollection", "features": incidents}).to_string(),
    )
    .unwrap();
    let read = |path: &std::path::Path| {
        gridmap_importers::read_geojson_incidents(path, &options, &ProgressBar::hidden()).unwrap()
    };
    let ((from_lines, lines_report), (from_json, json_report)) = (read(&seq), read(&collection));
    assert_eq!(from_lines, from_json);
    assert_eq!(
        issues(&lines_report.rejected),
        issues(&json_report.rejected)
    );
    assert_eq!((from_lines.len(), lines_report.rejected.len()), (2, 2));
}
