//! Exports of a small synthetic county, read back with each format's own reader.

use super::*;
use ::flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader};
use geo::orient::{Direction, Orient};
use geo::GeodesicArea;
use geozero::ToGeo;
use gridmap_store::{MemoryStore, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;
use std::sync::Arc;

/// A partitioned synthetic county, what its grids export from, and personal data from
/// its register that no grid export may contain.
struct County {
    store: SharedStore,
    source: ExportSource,
    /// Household heads whose names are not also a staff member's or a place's.
    heads: Vec<String>,
    /// Household phones.
    phones: Vec<String>,
}

async fn county() -> County {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let synth = synth_county(&SynthParams::new(3_000, 3));
    let public: HashSet<&str> = synth
        .staff
        .iter()
        .map(|s| s.name.as_str())
        .chain(synth.admin_units.iter().map(|u| u.name.as_str()))
        .collect();
    let heads: Vec<String> = synth
        .households
        .iter()
        .filter_map(|h| h.head.clone())
        .filter(|h| !public.iter().any(|p| p.contains(h.as_str())))
        .take(50)
        .collect();
    let phones: Vec<String> = synth
        .households
        .iter()
        .filter_map(|h| h.phone.clone())
        .take(50)
        .collect();
    assert!(
        heads.len() == 50 && phones.len() == 50,
        "the register has heads and phones"
    );
    crate::import::import_partitioned_synthetic(store.as_ref(), synth)
        .await
        .unwrap();
    let source = ExportSource::load(store.as_ref(), None).await.unwrap();
    assert!(source.grids.len() > 20, "{} grids", source.grids.len());
    assert!(source.grids.iter().any(|g| g.staff.is_some()));
    County {
        store,
        source,
        heads,
        phones,
    }
}

/// What every format must say about a grid: the same for the grids and for a read-back.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    village: String,
    village_name: String,
    households: i64,
    buildings: i64,
    staff_id: Option<String>,
    staff_name: Option<String>,
    /// Geodesic area, m².
    area: f64,
}

fn expected(source: &ExportSource) -> BTreeMap<String, Seen> {
    source
        .grids
        .iter()
        .map(|g| {
            let staff = g.staff.as_deref().and_then(|id| source.names.staff(id));
            let seen = Seen {
                village: g.village.to_string(),
                village_name: source.names.village(&g.village).unwrap().to_owned(),
                households: i64::from(g.households),
                buildings: g.members.len() as i64,
                staff_id: g.staff.clone(),
                staff_name: staff.map(|s| s.name.clone()),
                area: g.polygon.geodesic_area_unsigned(),
            };
            (g.code.to_string(), seen)
        })
        .collect()
}

/// Same grids, same attributes, areas within 0.01 m² (or 1e-9 relative).
fn assert_same(read: &BTreeMap<String, Seen>, source: &ExportSource) {
    let want = expected(source);
    assert_eq!(
        read.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (code, w) in &want {
        let r = &read[code];
        let tolerance = (w.area * 1e-9).max(0.01);
        assert!(
            (r.area - w.area).abs() <= tolerance,
            "{code}: area {} vs {}",
            r.area,
            w.area
        );
        let same = Seen {
            area: w.area,
            ..r.clone()
        };
        assert_eq!(&same, w, "{code}");
    }
}

fn multipolygon(g: geo_types::Geometry<f64>) -> geo_types::MultiPolygon<f64> {
    match g {
        geo_types::Geometry::MultiPolygon(m) => m,
        geo_types::Geometry::Polygon(p) => p.into(),
        other => panic!("not a polygon: {other:?}"),
    }
}

#[tokio::test]
async fn flatgeobuf_reads_back_with_crs_index_attributes_and_shapes() {
    let c = county().await;
    let mut bytes = Vec::new();
    write_flatgeobuf(&c.source.grids, &c.source.names, &mut bytes).unwrap();

    let reader = FgbReader::open(Cursor::new(&bytes)).unwrap();
    let header = reader.header();
    assert_eq!(header.crs().map(|crs| crs.code()), Some(4326));
    assert!(header.index_node_size() > 0, "no spatial index");
    assert_eq!(header.features_count() as usize, c.source.grids.len());
    assert_eq!(
        header.geometry_type(),
        ::flatgeobuf::GeometryType::MultiPolygon
    );

    let mut features = reader.select_all().unwrap();
    let mut read = BTreeMap::new();
    while let Some(f) = features.next().unwrap() {
        let text = |name: &str| f.property::<String>(name).ok();
        let seen = Seen {
            village: text("village").unwrap(),
            village_name: text("village_name").unwrap(),
            households: f.property::<i64>("households").unwrap(),
            buildings: f.property::<i64>("buildings").unwrap(),
            staff_id: text("staff_id"),
            staff_name: text("staff_name"),
            area: multipolygon(f.to_geo().unwrap()).geodesic_area_unsigned(),
        };
        read.insert(text("code").unwrap(), seen);
    }
    assert_same(&read, &c.source);

    // The index answers a window query with the grids around one grid, not all of them.
    let g = &c.source.grids[0];
    let r = geo::BoundingRect::bounding_rect(&g.polygon).unwrap();
    let mut near = FgbReader::open(Cursor::new(&bytes))
        .unwrap()
        .select_bbox(r.min().x, r.min().y, r.max().x, r.max().y)
        .unwrap();
    let mut codes = Vec::new();
    while let Some(f) = near.next().unwrap() {
        codes.push(f.property::<String>("code").unwrap());
    }
    assert!(codes.contains(&g.code.to_string()));
    assert!(
        codes.len() < c.source.grids.len(),
        "the window returned every grid"
    );
}

/// Writes `files` as `<dir>/grids.*` and reads them back with the `shapefile` crate.
fn read_shapefile(files: &ShapefileFiles) -> (tempfile::TempDir, BTreeMap<String, Seen>) {
    let dir = tempfile::tempdir().unwrap();
    for (ext, bytes) in files.files() {
        std::fs::write(dir.path().join(format!("grids.{ext}")), bytes).unwrap();
    }
    let mut reader = ::shapefile::Reader::from_path(dir.path().join("grids.shp")).unwrap();
    let mut read = BTreeMap::new();
    for item in reader.iter_shapes_and_records() {
        let (shape, record) = item.unwrap();
        use ::shapefile::dbase::FieldValue;
        let text = |name: &str| match record.get(name) {
            Some(FieldValue::Character(t)) => t.clone(),
            other => panic!("{name}: {other:?}"),
        };
        let number = |name: &str| match record.get(name) {
            Some(FieldValue::Numeric(Some(n))) => *n as i64,
            other => panic!("{name}: {other:?}"),
        };
        let ::shapefile::Shape::Polygon(polygon) = shape else {
            panic!("not a polygon: {shape}");
        };
        // Shapefile rings run clockwise; geodesic areas want the usual counter-clockwise.
        let shape = geo_types::MultiPolygon::<f64>::try_from(polygon)
            .unwrap()
            .orient(Direction::Default);
        let seen = Seen {
            village: text("VIL_CODE").unwrap(),
            village_name: text("VIL_NAME").unwrap(),
            households: number("HOUSEHOLDS"),
            buildings: number("BUILDINGS"),
            staff_id: text("STAFF_ID"),
            staff_name: text("STAFF_NAME"),
            area: shape.geodesic_area_unsigned(),
        };
        read.insert(text("GRID_CODE").unwrap(), seen);
    }
    (dir, read)
}

#[tokio::test]
async fn a_utf8_shapefile_reads_back_with_its_projection_and_encoding() {
    let c = county().await;
    let files = shapefile(&c.source.grids, &c.source.names, TextEncoding::Utf8).unwrap();
    assert_eq!(files.cpg, b"UTF-8");
    let prj = String::from_utf8(files.prj.clone()).unwrap();
    assert!(
        prj.starts_with("GEOGCS[\"GCS_WGS_1984\"") && prj.contains("D_WGS_1984"),
        "{prj}"
    );
    let (_dir, read) = read_shapefile(&files);
    assert_same(&read, &c.source);
}

#[tokio::test]
async fn a_gbk_shapefile_holds_gbk_bytes_and_says_so() {
    let c = county().await;
    let files = shapefile(&c.source.grids, &c.source.names, TextEncoding::Gbk).unwrap();
    assert_eq!(files.cpg, b"936", "the .cpg names code page 936 (GBK)");
    // dBase's language driver byte agrees: 0x7A is GBK (PRC).
    assert_eq!(files.dbf[29], 0x7A);

    let village = &c.source.grids[0].village;
    let name = c.source.names.village(village).unwrap();
    assert!(!name.is_ascii());
    // The records follow the header, whose length is at bytes 8–9 (binary: not text).
    let header = usize::from(u16::from_le_bytes([files.dbf[8], files.dbf[9]]));
    let records = &files.dbf[header..];
    let (as_gbk, _, malformed) = encoding_rs::GBK.decode(records);
    assert!(!malformed, "the .dbf's records are not valid GBK");
    assert!(as_gbk.contains(name), "the GBK-decoded .dbf lacks {name}");
    let (as_utf8, _, _) = encoding_rs::UTF_8.decode(records);
    assert!(
        !as_utf8.contains(name),
        "the .dbf holds {name} in UTF-8, not GBK"
    );

    // A reader that follows the .cpg gets every attribute back.
    let (_dir, read) = read_shapefile(&files);
    assert_same(&read, &c.source);
}

#[tokio::test]
async fn the_geojson_export_has_every_attribute() {
    let c = county().await;
    let file = grid_file(
        &Caller::Operator,
        &c.source.grids,
        &c.source.names,
        GridFormat::GeoJson,
        TextEncoding::Utf8,
        "grids",
    )
    .unwrap();
    assert_eq!(file.file_name, "grids.geojson");
    let fc: FeatureCollection = serde_json::from_slice(&file.bytes).unwrap();
    let mut read = BTreeMap::new();
    for f in &fc.features {
        let text = |k: &str| f.property(k).and_then(|v| v.as_str()).map(str::to_owned);
        let number = |k: &str| f.property(k).and_then(|v| v.as_i64()).unwrap();
        for field in GRID_FIELDS {
            assert!(f.contains_property(field.name), "{} missing", field.name);
        }
        let geometry: geo_types::Geometry<f64> = f.geometry.clone().unwrap().try_into().unwrap();
        let seen = Seen {
            village: text("village").unwrap(),
            village_name: text("village_name").unwrap(),
            households: number("households"),
            buildings: number("buildings"),
            staff_id: text("staff_id"),
            staff_name: text("staff_name"),
            area: multipolygon(geometry).geodesic_area_unsigned(),
        };
        read.insert(text("code").unwrap(), seen);
    }
    assert_same(&read, &c.source);
}

/// Roster rows as text cells, header first.
fn roster_expected(source: &ExportSource) -> Vec<Vec<String>> {
    let mut rows = vec![ROSTER_HEADER.iter().map(|h| (*h).to_owned()).collect()];
    for g in &source.grids {
        let staff = g.staff.as_deref().and_then(|id| source.names.staff(id));
        rows.push(vec![
            g.code.to_string(),
            g.village.to_string(),
            source.names.village(&g.village).unwrap().to_owned(),
            g.households.to_string(),
            g.staff.clone().unwrap_or_default(),
            staff.map(|s| s.name.clone()).unwrap_or_default(),
            staff.and_then(|s| s.phone.clone()).unwrap_or_default(),
        ]);
    }
    rows
}

use roster::ROSTER_HEADER;

#[tokio::test]
async fn the_roster_reads_back_as_csv_and_xlsx() {
    let c = county().await;
    let want = roster_expected(&c.source);
    assert!(
        want.iter().skip(1).any(|r| !r[6].is_empty()),
        "no staff phone"
    );
    let (grids, names) = (&c.source.grids, &c.source.names);

    let csv = roster_file(&Caller::Operator, grids, names, RosterFormat::Csv, "r").unwrap();
    assert_eq!(csv.file_name, "r.csv");
    let body = csv
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a UTF-8 byte-order mark");
    let read: Vec<Vec<String>> = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(read, want);

    let xlsx = roster_file(&Caller::Operator, grids, names, RosterFormat::Xlsx, "r").unwrap();
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx.bytes)).unwrap();
    let range = book.worksheet_range("网格 grids").unwrap();
    let read: Vec<Vec<String>> = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Empty => String::new(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect();
    assert_eq!(read, want);
    // Households are numbers in the workbook, codes stay text.
    assert!(matches!(range.get((1, 3)), Some(Data::Float(_))));
    assert!(matches!(range.get((1, 1)), Some(Data::String(_))));
}

#[tokio::test]
async fn the_public_gets_neither_the_roster_nor_grid_files() {
    let c = county().await;
    let (grids, names) = (&c.source.grids, &c.source.names);
    let roster = roster_file(&Caller::Public, grids, names, RosterFormat::Csv, "r");
    assert!(
        matches!(roster, Err(ServiceError::Unauthorized(_))),
        "{roster:?}"
    );
    let file = grid_file(
        &Caller::Public,
        grids,
        names,
        GridFormat::FlatGeobuf,
        TextEncoding::Utf8,
        "g",
    );
    assert!(
        matches!(file, Err(ServiceError::Unauthorized(_))),
        "{file:?}"
    );
    let staff = grid_file(
        &office(),
        grids,
        names,
        GridFormat::FlatGeobuf,
        TextEncoding::Utf8,
        "g",
    );
    assert!(staff.is_ok());
}

#[tokio::test]
async fn no_grid_export_holds_a_household_head_or_phone() {
    let c = county().await;
    let (grids, names) = (&c.source.grids, &c.source.names);
    let mut texts: Vec<(String, String)> = Vec::new();
    for format in [GridFormat::GeoJson, GridFormat::FlatGeobuf] {
        let file = grid_file(
            &Caller::Operator,
            grids,
            names,
            format,
            TextEncoding::Utf8,
            "g",
        )
        .unwrap();
        texts.push((
            file.file_name,
            String::from_utf8_lossy(&file.bytes).into_owned(),
        ));
    }
    for encoding in [TextEncoding::Utf8, TextEncoding::Gbk] {
        let files = shapefile(grids, names, encoding).unwrap();
        let decoded = match encoding {
            TextEncoding::Utf8 => encoding_rs::UTF_8.decode(&files.dbf).0,
            TextEncoding::Gbk => encoding_rs::GBK.decode(&files.dbf).0,
        };
        texts.push((format!("{encoding:?} .dbf"), decoded.into_owned()));
    }
    // The check can fail: the staff names it must find are there.
    let staff = names
        .staff(grids.iter().find_map(|g| g.staff.as_deref()).unwrap())
        .unwrap();
    for (what, text) in &texts {
        assert!(
            text.contains(&staff.name),
            "{what} lacks the staff name {}",
            staff.name
        );
        for head in &c.heads {
            assert!(
                !text.contains(head.as_str()),
                "{what} holds the household head {head}"
            );
        }
        for phone in c.phones.iter().chain(staff.phone.iter()) {
            assert!(
                !text.contains(phone.as_str()),
                "{what} holds the phone {phone}"
            );
        }
    }
}

#[tokio::test]
async fn one_village_is_exported_by_its_code_and_unknown_codes_are_refused() {
    let c = county().await;
    let village = c.source.grids[0].village.clone();
    let one = ExportSource::load(c.store.as_ref(), Some(village.as_str()))
        .await
        .unwrap();
    let want: Vec<_> = c
        .source
        .grids
        .iter()
        .filter(|g| g.village == village)
        .collect();
    assert_eq!(one.grids.iter().collect::<Vec<_>>(), want);
    assert!(want.len() < c.source.grids.len());

    let missing = ExportSource::load(c.store.as_ref(), Some("411622999999")).await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound(_))),
        "{missing:?}"
    );
    let township = format!("{}000", &village.as_str()[..9]);
    let wrong = ExportSource::load(c.store.as_ref(), Some(&township)).await;
    assert!(matches!(wrong, Err(ServiceError::BadInput(_))), "{wrong:?}");
    let malformed = ExportSource::load(c.store.as_ref(), Some("12ab")).await;
    assert!(
        matches!(malformed, Err(ServiceError::BadInput(_))),
        "{malformed:?}"
    );
}

/// A planner of everything: sees the register, edits grids, works incidents.
fn office() -> Caller {
    Caller::account(
        "planner",
        gridmap_core::Role::Planner,
        gridmap_core::AccessScope::All,
    )
}
