//! GeoJSON and GeoJSONSeq readers for village boundaries, building footprints and
//! incidents (points).
//!
//! # Algorithm
//!
//! The file is streamed feature by feature ([`stream`]): a FeatureCollection through a
//! serde visitor over its `features` array, GeoJSONSeq line by line, so memory holds one
//! feature at a time plus the results. Each feature's polygon rings are converted from
//! [`GeoJsonOptions::crs`] to WGS84, then validated and repaired
//! ([`crate::repair`]). Properties are mapped through the `*_field` options; a property of
//! the wrong type (e.g. `levels: "abc"`) rejects the feature with the field name.
//!
//! # Errors
//!
//! A missing, truncated or malformed file is an [`ImportError`] naming the file, line and
//! feature. A bad feature is an [`Issue`] in the report and the import goes on.

mod fields;
pub mod stream;

use crate::crs::Crs;
use crate::error::ImportError;
use crate::feature_source::FeatureSource;
use crate::format::FileFormat;
use crate::progress;
use crate::repair::{self, RawPolygon};
use crate::report::{file_name, ImportReport, Issue};
use geo_types::{Coord, MultiPolygon, Point};
use gridmap_core::{
    AdminUnit, Building, BuildingUse, DivisionCode, GridCode, HouseholdCount, Incident,
    IncidentStatus,
};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;
pub use stream::GeoJsonLayout;

/// Field mapping and CRS of a GeoJSON import. Defaults: `code`, `name`, `levels`,
/// `households`, `use`, `height`, `address`, id from the feature's `id`, WGS84, layout
/// detected from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoJsonOptions {
    /// 12-digit division code of a village (villages only; required).
    pub code_field: String,
    /// Name of the unit (villages; defaults to the code when absent).
    pub name_field: String,
    /// Number of floors (buildings).
    pub levels_field: String,
    /// Registered households in the building (buildings); marks the count `registered`.
    pub households_field: String,
    /// Use: `residential`/`institution`/`other` or an OSM `building=*` value (buildings).
    pub use_field: String,
    /// Height in metres (buildings).
    pub height_field: String,
    /// Street address (buildings).
    pub address_field: String,
    /// Property holding the stable id; when absent from a feature, the feature's own `id`
    /// is used, else `<file>#<index>`. When `None`: the feature's own `id`, else the first
    /// of the [`CONVENTIONAL_ID_FIELDS`] present, else `<file>#<index>`.
    pub id_field: Option<String>,
    /// Use of buildings without a use property (default residential: survey footprints of
    /// Chinese villages are mostly homes).
    pub default_use: BuildingUse,
    /// Coordinate reference system of the file.
    pub crs: Crs,
    /// Whether `crs` was asked for (`--crs`) rather than left at the default: a
    /// Shapefile's `.prj` decides its CRS otherwise.
    pub crs_given: bool,
    /// `--crs auto`: a file that names no CRS (a Shapefile without a `.prj`, GeoJSON
    /// without a `crs` member) and whose eastings carry a Gauss–Krüger zone number is read
    /// in that zone ([`crate::crs::gauss_kruger_zone`]).
    pub crs_auto: bool,
    /// The feature table of a GeoPackage to read (default the first).
    pub layer: Option<String>,
    /// Text encoding of a Shapefile's attributes, when asked for; otherwise its `.cpg`
    /// (or `.dbf` header) says, else UTF-8.
    pub encoding: Option<crate::TextEncoding>,
    /// Force a layout instead of detecting it.
    pub layout: Option<GeoJsonLayout>,
    /// Features with more vertices than this are rejected (see
    /// [`repair::check_vertex_count`]).
    pub max_vertices: usize,
    /// Properties the user named, as `(option, property)` (e.g. `("--levels-field",
    /// "floors")`): when no feature of the file has one, the file is refused
    /// ([`ImportError::MissingProperty`]) instead of importing it with the field empty.
    pub named_properties: Vec<(String, String)>,
}

impl Default for GeoJsonOptions {
    fn default() -> Self {
        GeoJsonOptions {
            code_field: "code".into(),
            name_field: "name".into(),
            levels_field: "levels".into(),
            households_field: "households".into(),
            use_field: "use".into(),
            height_field: "height".into(),
            address_field: "address".into(),
            id_field: None,
            default_use: BuildingUse::Residential,
            crs: Crs::Wgs84,
            crs_given: false,
            crs_auto: false,
            layer: None,
            encoding: None,
            layout: None,
            max_vertices: repair::DEFAULT_MAX_VERTICES,
            named_properties: Vec::new(),
        }
    }
}

/// Properties that conventionally hold a feature's stable id (GIS exports, OSM extracts,
/// GeoPackage), tried in this order when no id field is named and the feature has no `id`
/// member. Without any id a feature gets `<file>#<index>`, which changes with the file name.
pub const CONVENTIONAL_ID_FIELDS: [&str; 5] = ["id", "Id", "ID", "osm_id", "fid"];

/// One parsed feature handed to a per-kind converter.
struct RawFeature {
    index: usize,
    id: Option<String>,
    props: Map<String, Value>,
    geometry: Option<RawGeometry>,
}

/// A feature's geometry as read: JSON to walk, or positions read straight into numbers
/// (the usual GeoJSONSeq line, see [`TypedFeature`]), in the file's CRS.
enum RawGeometry {
    Json(Value),
    Point([f64; 2]),
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

/// A GeoJSONSeq line as the usual feature is written: a point or polygons of 2D
/// positions. Read into numbers at once, without a JSON value per position: about a
/// third of an import's time went on those. A line of any other form (a position with
/// a height, another geometry type, a wrong type anywhere, a repeated member) does not
/// fit and is read as JSON, so the reasons a feature is rejected stay the same.
#[derive(serde::Deserialize)]
struct TypedFeature {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(default)]
    geometry: Option<TypedGeometry>,
}

#[derive(serde::Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum TypedGeometry {
    Point([f64; 2]),
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

/// Features are converted in chunks of this many, on every core, and merged in file order.
const CHUNK: usize = 2048;

/// A feature as read, before it is parsed (GeoJSONSeq lines) or converted.
enum Pending {
    /// One GeoJSONSeq line, parsed in parallel with its chunk.
    Text {
        index: usize,
        line: usize,
        bytes: Vec<u8>,
    },
    /// One element of a FeatureCollection, already parsed by the streaming reader.
    Parsed { index: usize, value: Value },
}

/// What became of one feature.
enum Converted<T> {
    Imported(T, Option<Issue>),
    Rejected(Issue),
}

/// Features whose property names are listed when a named property is in none.
const PROPERTY_SAMPLE: usize = 100;

/// Streams `path`, calling `convert` on each feature; conversion failures become issues.
/// Reading is sequential; parsing (GeoJSONSeq) and conversion run in parallel chunks,
/// and the result and the report keep file order.
fn read_features<T: Send, G>(
    path: &Path,
    options: &GeoJsonOptions,
    bar: &ProgressBar,
    shape: impl Fn(&RawFeature, Crs) -> Result<repair::Repaired<G>, String> + Sync,
    convert: impl Fn(&RawFeature, G) -> Result<T, String> + Sync,
) -> Result<(Vec<T>, ImportReport), ImportError> {
    let file = file_name(path);
    let binary = match crate::format::sniff(path)? {
        FileFormat::GeoJson => None,
        FileFormat::Shapefile => {
            let source = crate::shp::ShapefileSource::open(path, options)?;
            Some(FeatureSource::Shapefile(Box::new(source)))
        }
        FileFormat::FlatGeobuf => Some(FeatureSource::FlatGeobuf(
            crate::fgb::FlatGeobufSource::open(path, options)?,
        )),
        FileFormat::GeoPackage => Some(FeatureSource::GeoPackage(
            crate::gpkg::GeoPackageSource::open(path, options)?,
        )),
        // Not JSON at all: the JSON reader names the line and what is wrong.
        FileFormat::Text | FileFormat::Unknown => None,
        found => return Err(crate::format::wrong_format(path, found)),
    };
    // A Shapefile's or FlatGeobuf's coordinates are in the CRS it names; a GeoJSON
    // file's are in the one its `crs` member names, else lon/lat, decided at its first
    // chunk of features (see `geojson_crs`).
    let mut decided: Option<GeoJsonOptions> = match &binary {
        Some(source) => Some(GeoJsonOptions {
            crs: source.crs(),
            ..options.clone()
        }),
        None if options.crs_given => Some(options.clone()),
        None => None,
    };
    let crs_member: std::cell::RefCell<Option<Value>> = Default::default();
    let mut out = Vec::new();
    let mut report = ImportReport::default();
    let mut pending: Vec<Pending> = Vec::with_capacity(CHUNK);
    let mut failed: Option<ImportError> = None;
    let mut properties = fields::NamedProperties::new(&options.named_properties);
    let mut flush = |pending: &mut Vec<Pending>| {
        if failed.is_some() {
            pending.clear();
            return;
        }
        if decided.is_none() && !pending.is_empty() {
            match geojson_crs(path, options, crs_member.borrow().as_ref(), pending) {
                Ok(crs) => {
                    decided = Some(GeoJsonOptions {
                        crs,
                        ..options.clone()
                    })
                }
                Err(e) => {
                    failed = Some(e);
                    pending.clear();
                    return;
                }
            }
        }
        let Some(options) = decided.as_ref() else {
            return;
        };
        let converted: Vec<Result<(Converted<T>, fields::Seen), ImportError>> = pending
            .par_drain(..)
            .map(|p| convert_pending(path, &file, p, options, &shape, &convert))
            .collect();
        for c in converted {
            report.read += 1;
            let c = c.map(|(converted, seen)| {
                properties.add(seen);
                converted
            });
            match c {
                Ok(Converted::Imported(t, repaired)) => {
                    out.push(t);
                    report.imported += 1;
                    report.repaired.extend(repaired);
                }
                Ok(Converted::Rejected(issue)) => report.rejected.push(issue),
                Err(e) => {
                    failed = Some(e);
                    return;
                }
            }
        }
    };
    let mut push = |p: Pending| {
        pending.push(p);
        if pending.len() >= CHUNK {
            flush(&mut pending);
        }
    };
    match binary {
        Some(source) => {
            source.for_each(bar, |index, value| push(Pending::Parsed { index, value }))?;
        }
        None => {
            let mut reader = progress::open(path, bar)?;
            let layout = match options.layout {
                Some(l) => l,
                None => stream::detect(path, &mut reader)?,
            };
            match layout {
                GeoJsonLayout::Seq => stream::for_each_seq(path, reader, |index, line, bytes| {
                    push(Pending::Text {
                        index,
                        line,
                        bytes: bytes.to_vec(),
                    })
                })?,
                GeoJsonLayout::FeatureCollection => stream::for_each_collection(
                    path,
                    reader,
                    |index, _, value| push(Pending::Parsed { index, value }),
                    |member| *crs_member.borrow_mut() = Some(member),
                )?,
            }
        }
    }
    flush(&mut pending);
    if let Some(e) = failed {
        return Err(e);
    }
    // A `crs` member after the features came too late to read them in its CRS.
    if let (Some(member), Some(read_in)) = (crs_member.into_inner(), &decided) {
        if !options.crs_given {
            let named =
                crate::crs::from_geojson_member(&member).map_err(|e| unreadable(path, e))?;
            if named.to_string() != read_in.crs.to_string() {
                return Err(unreadable(path, format!(
                    "its \"crs\" member ({named}) comes after its features, which were read as {}: give --crs {named}",
                    read_in.crs
                )));
            }
        }
    }
    if report.read > 0 {
        properties.check(path)?;
    }
    bar.finish();
    report.log();
    Ok((out, report))
}

fn unreadable(path: &Path, message: String) -> ImportError {
    ImportError::Unreadable {
        path: path.to_path_buf(),
        message,
    }
}

/// The CRS a GeoJSON file is read in, decided before its first chunk of features
/// (`pending`, whose GeoJSONSeq lines are parsed here) is converted: the `crs` member
/// when it came before the features; else lon/lat as GeoJSON says — unless the
/// coordinates are clearly projected, which is refused asking for `--crs`, or read in the
/// Gauss–Krüger zone their eastings carry with `--crs auto`.
fn geojson_crs(
    path: &Path,
    options: &GeoJsonOptions,
    member: Option<&Value>,
    pending: &mut [Pending],
) -> Result<Crs, ImportError> {
    if let Some(member) = member {
        let crs = crate::crs::from_geojson_member(member).map_err(|e| unreadable(path, e))?;
        tracing::info!(file = %file_name(path), "read in {crs}, as its \"crs\" member says");
        return Ok(crs);
    }
    // The box of the features whose coordinates are clearly not lon/lat, and how many.
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let (mut features, mut projected) = (0usize, 0usize);
    for p in pending.iter_mut() {
        if let Pending::Text { index, line, bytes } = p {
            let value = serde_json::from_slice(bytes).map_err(|source| ImportError::Json {
                path: path.to_path_buf(),
                line: Some(*line),
                feature: Some(*index),
                source,
            })?;
            *p = Pending::Parsed {
                index: *index,
                value,
            };
        }
        let Pending::Parsed { value, .. } = p else {
            continue;
        };
        let Some(coordinates) = value.get("geometry").and_then(|g| g.get("coordinates")) else {
            continue;
        };
        let mut feature_box = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        extend_bbox(&mut feature_box, coordinates);
        features += 1;
        if is_clearly_projected(&feature_box) {
            projected += 1;
            bbox = [
                bbox[0].min(feature_box[0]),
                bbox[1].min(feature_box[1]),
                bbox[2].max(feature_box[2]),
                bbox[3].max(feature_box[3]),
            ];
        }
    }
    // GeoJSON without a `crs` member is lon/lat by its standard (RFC 7946), and a
    // feature out of range is a bad feature, rejected on its own; when most are in
    // metres the file is in another CRS.
    if projected * 2 <= features {
        return Ok(options.crs);
    }
    crate::feature_source::file_crs(path, options, None, "the file names no CRS", bbox)
}

/// Whether box `b` (min x, min y, max x, max y) reaches coordinates no mistyped
/// longitude or latitude has (over 1,000: metres of a projected CRS).
fn is_clearly_projected(b: &[f64; 4]) -> bool {
    b.iter().any(|v| v.abs() > 1_000.0)
}

/// Grows `bbox` (min x, min y, max x, max y) by every position in GeoJSON `coordinates`.
fn extend_bbox(bbox: &mut [f64; 4], coordinates: &Value) {
    let Some(items) = coordinates.as_array() else {
        return;
    };
    match (
        items.first().and_then(Value::as_f64),
        items.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => {
            *bbox = [
                bbox[0].min(x),
                bbox[1].min(y),
                bbox[2].max(x),
                bbox[3].max(y),
            ];
        }
        _ => items.iter().for_each(|item| extend_bbox(bbox, item)),
    }
}

/// Parses (when needed), checks, repairs and converts one feature.
fn convert_pending<T, G>(
    path: &Path,
    file: &str,
    pending: Pending,
    options: &GeoJsonOptions,
    shape: &impl Fn(&RawFeature, Crs) -> Result<repair::Repaired<G>, String>,
    convert: &impl Fn(&RawFeature, G) -> Result<T, String>,
) -> Result<(Converted<T>, fields::Seen), ImportError> {
    let pending_index = match &pending {
        Pending::Text { index, .. } | Pending::Parsed { index, .. } => *index,
    };
    let typed = match &pending {
        Pending::Text { index, bytes, .. } => serde_json::from_slice::<TypedFeature>(bytes)
            .ok()
            .filter(|f| f.kind == "Feature")
            .map(|f| (*index, f)),
        Pending::Parsed { .. } => None,
    };
    let feature = match typed {
        Some((index, typed)) => {
            let geometry = typed.geometry.map(|g| match g {
                TypedGeometry::Point(p) => RawGeometry::Point(p),
                TypedGeometry::Polygon(p) => RawGeometry::Polygon(p),
                TypedGeometry::MultiPolygon(p) => RawGeometry::MultiPolygon(p),
            });
            let props = typed.properties.unwrap_or_default();
            raw_feature(index, typed.id.as_ref(), props, geometry, options)
        }
        None => {
            let (index, value) = match pending {
                Pending::Parsed { index, value } => (index, value),
                Pending::Text { index, line, bytes } => {
                    let value =
                        serde_json::from_slice(&bytes).map_err(|source| ImportError::Json {
                            path: path.to_path_buf(),
                            line: Some(line),
                            feature: Some(index),
                            source,
                        })?;
                    (index, value)
                }
            };
            split_feature(index, value, options)
        }
    };
    let index = match &feature {
        Ok(f) => f.index,
        Err(_) => pending_index,
    };
    let feature = match feature {
        Ok(f) => f,
        Err(reason) => {
            let issue = Issue::rejected(file, index, None, reason);
            return Ok((Converted::Rejected(issue), fields::Seen::default()));
        }
    };
    let seen = fields::Seen::of(
        &feature.props,
        &options.named_properties,
        index < PROPERTY_SAMPLE,
    );
    Ok((
        convert_feature(file, &feature, options, shape, convert),
        seen,
    ))
}

/// Checks, repairs and converts one feature; a problem rejects it.
fn convert_feature<T, G>(
    file: &str,
    feature: &RawFeature,
    options: &GeoJsonOptions,
    shape: &impl Fn(&RawFeature, Crs) -> Result<repair::Repaired<G>, String>,
    convert: &impl Fn(&RawFeature, G) -> Result<T, String>,
) -> Converted<T> {
    let (index, id) = (feature.index, feature.id.clone());
    let shape = match shape(feature, options.crs) {
        Ok(s) => s,
        Err(reason) => return Converted::Rejected(Issue::rejected(file, index, id, reason)),
    };
    // A rejected feature is not also listed as repaired.
    match convert(feature, shape.value) {
        Ok(t) => {
            let repaired = (!shape.fixes.is_empty())
                .then(|| Issue::repaired(file, index, id, shape.fixes.join(", ")));
            Converted::Imported(t, repaired)
        }
        Err(reason) => Converted::Rejected(Issue::rejected(file, index, id, reason)),
    }
}

fn split_feature(
    index: usize,
    value: Value,
    options: &GeoJsonOptions,
) -> Result<RawFeature, String> {
    let Value::Object(mut obj) = value else {
        return Err("feature is not a JSON object".into());
    };
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("object is not a GeoJSON Feature".into());
    }
    let props = match obj.remove("properties") {
        Some(Value::Object(p)) => p,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err("`properties` is not an object".into()),
    };
    let geometry = obj.remove("geometry").map(RawGeometry::Json);
    raw_feature(index, obj.get("id"), props, geometry, options)
}

/// The feature with its id: the id property when named and present, else the
/// feature's own `id` (`feature_id`), else a conventional id property (one of the wrong
/// type is no id, not an error).
fn raw_feature(
    index: usize,
    feature_id: Option<&Value>,
    props: Map<String, Value>,
    geometry: Option<RawGeometry>,
    options: &GeoJsonOptions,
) -> Result<RawFeature, String> {
    let feature_id = match feature_id {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = match &options.id_field {
        Some(field) => fields::text(&props, field)?.or(feature_id),
        None => feature_id.or_else(|| {
            CONVENTIONAL_ID_FIELDS
                .iter()
                .find_map(|field| fields::text(&props, field).ok().flatten())
        }),
    };
    Ok(RawFeature {
        index,
        id,
        props,
        geometry,
    })
}

fn position(v: &Value, crs: Crs) -> Result<Coord<f64>, String> {
    let arr = v.as_array().ok_or("position is not an array")?;
    let x = arr.first().and_then(Value::as_f64);
    let y = arr.get(1).and_then(Value::as_f64);
    match (x, y) {
        (Some(x), Some(y)) => Ok(crs.coord_to_wgs84(Coord { x, y })),
        _ => Err(format!("position {v} needs two numbers")),
    }
}

fn rings(v: &Value, crs: Crs) -> Result<RawPolygon, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array")?;
    let mut out = Vec::with_capacity(rings.len());
    for ring in rings {
        let ring = ring.as_array().ok_or("ring is not an array")?;
        out.push(
            ring.iter()
                .map(|p| position(p, crs))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let mut it = out.into_iter();
    let ext = it.next().ok_or("polygon has no rings")?;
    Ok((ext, it.collect()))
}

/// Rings read as numbers, as [`rings`] reads them from JSON.
fn typed_rings(rings: &[Vec<[f64; 2]>], crs: Crs) -> Result<RawPolygon, String> {
    let mut out = rings.iter().map(|ring| {
        ring.iter()
            .map(|&[x, y]| crs.coord_to_wgs84(Coord { x, y }))
            .collect::<Vec<_>>()
    });
    let ext = out.next().ok_or("polygon has no rings")?;
    Ok((ext, out.collect()))
}

fn feature_shape(
    f: &RawFeature,
    crs: Crs,
    max_vertices: usize,
) -> Result<repair::Repaired<MultiPolygon<f64>>, String> {
    let parts = match &f.geometry {
        Some(RawGeometry::Polygon(rings)) => vec![typed_rings(rings, crs)?],
        Some(RawGeometry::MultiPolygon(polygons)) => polygons
            .iter()
            .map(|p| typed_rings(p, crs))
            .collect::<Result<Vec<_>, _>>()?,
        Some(RawGeometry::Point(_)) => {
            return Err("geometry type Point is not a Polygon or MultiPolygon".into())
        }
        Some(RawGeometry::Json(Value::Object(geometry))) => {
            let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("?");
            let coords = geometry
                .get("coordinates")
                .ok_or("geometry has no coordinates")?;
            match kind {
                "Polygon" => vec![rings(coords, crs)?],
                "MultiPolygon" => coords
                    .as_array()
                    .ok_or("multipolygon coordinates are not an array")?
                    .iter()
                    .map(|p| rings(p, crs))
                    .collect::<Result<Vec<_>, _>>()?,
                other => {
                    return Err(format!(
                        "geometry type {other} is not a Polygon or MultiPolygon"
                    ))
                }
            }
        }
        Some(RawGeometry::Json(_)) | None => return Err("feature has no geometry".into()),
    };
    repair::check_vertex_count(&parts, max_vertices)?;
    repair::repair_parts(parts)
}

/// A feature's Point, in WGS84.
fn point_shape(f: &RawFeature, crs: Crs) -> Result<repair::Repaired<Point<f64>>, String> {
    let c = match &f.geometry {
        Some(RawGeometry::Point([x, y])) => crs.coord_to_wgs84(Coord { x: *x, y: *y }),
        Some(RawGeometry::Polygon(_)) => return Err("geometry type Polygon is not a Point".into()),
        Some(RawGeometry::MultiPolygon(_)) => {
            return Err("geometry type MultiPolygon is not a Point".into())
        }
        Some(RawGeometry::Json(Value::Object(geometry))) => {
            match geometry.get("type").and_then(Value::as_str).unwrap_or("?") {
                "Point" => position(
                    geometry
                        .get("coordinates")
                        .ok_or("geometry has no coordinates")?,
                    crs,
                )?,
                other => return Err(format!("geometry type {other} is not a Point")),
            }
        }
        Some(RawGeometry::Json(_)) | None => return Err("feature has no geometry".into()),
    };
    repair::check_coord(c)?;
    Ok(repair::Repaired {
        value: c.into(),
        fixes: Vec::new(),
    })
}

fn source_id(f: &RawFeature, file: &str) -> String {
    f.id.clone()
        .unwrap_or_else(|| format!("{file}#{}", f.index))
}

/// Reads village (or township/county) boundaries. Each feature needs a 12-digit
/// division code in [`GeoJsonOptions::code_field`]; its level comes from the code
/// ([`DivisionCode::level`]).
///
/// ```
/// use gridmap_importers::{read_geojson_villages, GeoJsonOptions};
/// use indicatif::ProgressBar;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("villages.geojson");
/// std::fs::write(&path, r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"code":"411622101201","name":"李庄村"},
///    "geometry":{"type":"Polygon","coordinates":[[[114.6,33.8],[114.61,33.8],[114.61,33.81],[114.6,33.81],[114.6,33.8]]]}},
///   {"type":"Feature","properties":{"code":"4116","name":"bad"},
///    "geometry":{"type":"Polygon","coordinates":[[[114.6,33.8],[114.61,33.8],[114.61,33.81],[114.6,33.8]]]}}]}"#).unwrap();
/// let (units, report) = read_geojson_villages(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
/// assert_eq!(units.len(), 1);
/// assert_eq!(units[0].name, "李庄村");
/// assert!(report.rejected[0].reason.contains("12 digits"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_geojson_villages(
    path: impl AsRef<Path>,
    options: &GeoJsonOptions,
    bar: &ProgressBar,
) -> Result<(Vec<AdminUnit>, ImportReport), ImportError> {
    let path = path.as_ref();
    let file = file_name(path);
    let shape = |f: &RawFeature, crs: Crs| feature_shape(f, crs, options.max_vertices);
    read_features(path, options, bar, shape, |f, boundary| {
        let code_text = fields::text(&f.props, &options.code_field)?.ok_or_else(|| {
            format!(
                "field `{}`: missing 12-digit division code",
                options.code_field
            )
        })?;
        let code: DivisionCode = code_text
            .parse()
            .map_err(|e| format!("field `{}`: {e}", options.code_field))?;
        let name = fields::text(&f.props, &options.name_field)?.unwrap_or_else(|| code.to_string());
        Ok(AdminUnit {
            level: code.level(),
            source_id: f.id.clone().unwrap_or_else(|| format!("{file}:{code}")),
            code,
            name,
            boundary,
        })
    })
}

/// Reads building footprints. A household count in
/// [`GeoJsonOptions::households_field`] is kept as `registered`, unless the feature says
/// it was estimated (`"estimated": true`, as gridmap's own export marks it); run
/// [`estimate_households`](crate::estimate_households) afterwards for the rest.
///
/// ```
/// use gridmap_importers::{read_geojson_buildings, GeoJsonOptions};
/// use gridmap_core::HouseholdCountSource;
/// use indicatif::ProgressBar;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("b.geojsonl");
/// std::fs::write(&path, concat!(
///   r#"{"type":"Feature","id":"b1","properties":{"levels":3,"households":"6"},"geometry":{"type":"Polygon","coordinates":[[[114.6,33.8],[114.6001,33.8],[114.6001,33.8001],[114.6,33.8001],[114.6,33.8]]]}}"#, "\n",
///   r#"{"type":"Feature","id":"b2","properties":{"levels":"abc"},"geometry":{"type":"Polygon","coordinates":[[[114.6,33.8],[114.6001,33.8],[114.6001,33.8001],[114.6,33.8]]]}}"#, "\n",
///   r#"{"type":"Feature","id":"b3","properties":{"households":9,"estimated":true},"geometry":{"type":"Polygon","coordinates":[[[114.6,33.8],[114.6001,33.8],[114.6001,33.8001],[114.6,33.8001],[114.6,33.8]]]}}"#, "\n",
/// )).unwrap();
/// let (b, report) = read_geojson_buildings(&path, &GeoJsonOptions::default(), &ProgressBar::hidden()).unwrap();
/// assert_eq!(b.len(), 2);
/// assert_eq!(b[0].households.source, HouseholdCountSource::Registered);
/// // An exported estimate is estimated again, not taken as the register's count.
/// assert_ne!(b[1].households.source, HouseholdCountSource::Registered);
/// assert!(report.rejected[0].to_string().contains("field `levels`"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_geojson_buildings(
    path: impl AsRef<Path>,
    options: &GeoJsonOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Building>, ImportReport), ImportError> {
    let path = path.as_ref();
    let file = file_name(path);
    let shape = |f: &RawFeature, crs: Crs| feature_shape(f, crs, options.max_vertices);
    read_features(path, options, bar, shape, |f, footprint| {
        let levels = match fields::whole(&f.props, &options.levels_field)? {
            Some(l) => Some(u16::try_from(l).map_err(|_| {
                format!(
                    "field `{}`: {l} levels is out of range",
                    options.levels_field
                )
            })?),
            None => None,
        };
        let estimated = matches!(f.props.get("estimated"), Some(Value::Bool(true)));
        let households = match fields::whole(&f.props, &options.households_field)? {
            Some(h) if !estimated => {
                HouseholdCount::registered(u32::try_from(h).map_err(|_| {
                    format!(
                        "field `{}`: {h} households is out of range",
                        options.households_field
                    )
                })?)
            }
            _ => HouseholdCount::default(),
        };
        let height = fields::decimal(&f.props, &options.height_field)?.map(|h| h as f32);
        let building_use = match fields::text(&f.props, &options.use_field)? {
            Some(u) => u
                .parse()
                .unwrap_or_else(|_| BuildingUse::from_osm_building(&u)),
            None => options.default_use,
        };
        Ok(Building {
            source_id: source_id(f, &file),
            footprint,
            building_use,
            levels,
            height,
            households,
            address: fields::text(&f.props, &options.address_field)?,
            village: None,
        })
    })
}

/// Reads incidents: Point features whose properties are the incident CSV's columns
/// (`time`, `category`, `subcategory`, `status`, `grid`, `reporter`, `description`,
/// `phone`, `address`, `source`; required: `time` and `category`). The id is the
/// feature's (see [`GeoJsonOptions::id_field`]); `time` is Unix seconds or
/// `YYYY-MM-DD HH:MM[:SS]` with an optional offset (China Standard Time when absent).
///
/// ```
/// use gridmap_importers::{read_geojson_incidents, GeoJsonOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("inc.geojson");
/// std::fs::write(&path, r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","id":"E1","properties":{"time":"2025-03-01 09:30","category":"环境卫生"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
///   {"type":"Feature","id":"E2","properties":{"time":1740792600,"category":"环境卫生","status":"closed"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
///   {"type":"Feature","id":"E3","properties":{"category":"环境卫生"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
///   {"type":"Feature","id":"E4","properties":{"time":1740792600,"category":"x"},"geometry":{"type":"Polygon","coordinates":[]}}]}"#).unwrap();
/// let (inc, report) = read_geojson_incidents(&path, &GeoJsonOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(inc.len(), 2);
/// assert_eq!(inc[0].time, 1_740_792_600);
/// assert_eq!(inc[1].status, gridmap_core::IncidentStatus::Closed);
/// assert!(report.rejected[0].to_string().contains("field `time`"));
/// assert!(report.rejected[1].to_string().contains("not a Point"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_geojson_incidents(
    path: impl AsRef<Path>,
    options: &GeoJsonOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Incident>, ImportReport), ImportError> {
    let path = path.as_ref();
    let file = file_name(path);
    read_features(path, options, bar, point_shape, |f, place| {
        let text = |field: &str| fields::text(&f.props, field);
        let time_text = text("time")?.ok_or("field `time`: missing")?;
        let time = crate::time::parse_time(&time_text).ok_or_else(|| {
            format!(
                "field `time`: expected Unix seconds or YYYY-MM-DD HH:MM:SS, found {time_text:?}"
            )
        })?;
        let category = text("category")?.ok_or("field `category`: missing")?;
        let status = match text("status")? {
            None => IncidentStatus::Reported,
            Some(s) => s.parse().map_err(|e| format!("field `status`: {e}"))?,
        };
        let grid = match text("grid")? {
            Some(g) => Some(
                g.parse::<GridCode>()
                    .map_err(|e| format!("field `grid`: {e}"))?,
            ),
            None => None,
        };
        Ok(Incident {
            subcategory: text("subcategory")?,
            status,
            grid,
            reporter: text("reporter")?,
            reporter_phone: text("phone")?,
            address: text("address")?,
            source: Some(text("source")?.unwrap_or_else(|| "import".to_owned())),
            description: text("description")?,
            ..Incident::new(source_id(f, &file), time, category, place)
        })
    })
}

/// Reads cameras: Point features with the camera CSV's columns as properties (`name`,
/// `direction`, `fov`, `range`, `status`; all optional, defaults as
/// [`crate::read_cameras_csv`] says). The id is the feature's (see
/// [`GeoJsonOptions::id_field`]).
///
/// ```
/// use gridmap_importers::{read_geojson_cameras, GeoJsonOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cameras.geojson");
/// std::fs::write(&path, r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","id":"C1","properties":{"name":"东门","direction":90,"fov":60,"range":"80 m"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
///   {"type":"Feature","id":"C2","properties":{"status":"故障"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
///   {"type":"Feature","id":"C3","properties":{"fov":400},"geometry":{"type":"Point","coordinates":[114.6,33.8]}}]}"#).unwrap();
/// let (cameras, report) = read_geojson_cameras(&path, &GeoJsonOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(cameras.len(), 2);
/// assert_eq!((cameras[0].fov, cameras[0].range), (60.0, 80.0));
/// assert_eq!(cameras[1].status, gridmap_core::CameraStatus::Fault);
/// assert!(report.rejected[0].to_string().contains("field of view 400"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_geojson_cameras(
    path: impl AsRef<Path>,
    options: &GeoJsonOptions,
    bar: &ProgressBar,
) -> Result<(Vec<gridmap_core::Camera>, ImportReport), ImportError> {
    let path = path.as_ref();
    let file = file_name(path);
    read_features(path, options, bar, point_shape, |f, position| {
        let text = |field: &str| fields::text(&f.props, field);
        let number = |field: &str| fields::decimal(&f.props, field);
        crate::csv::CameraFields {
            id: source_id(f, &file),
            name: text("name")?,
            position,
            direction: number("direction")?,
            fov: number("fov")?,
            range: number("range")?,
            status: text("status")?,
        }
        .into_camera("field")
    })
}
