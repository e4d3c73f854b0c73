//! Coordinate reference systems of input files and their conversion to WGS84.
//!
//! Parsing and conversion are separate steps: readers parse coordinates as they are in
//! the file, then call [`Crs::to_wgs84`] on each geometry before validation.
//!
//! | `--crs` | meaning | conversion |
//! | --- | --- | --- |
//! | `EPSG:4326` (default) | WGS84 lon/lat | none |
//! | `EPSG:4490` | CGCS2000 geographic lon/lat | none: CGCS2000 and WGS84 differ by a few cm |
//! | `EPSG:3857` | Web Mercator metres | spherical inverse Mercator |
//! | `GCJ02` | the offset "Mars" lon/lat of AMap, Tencent and Google China | iterative inverse of the GCJ-02 offset |
//! | `BD09` | Baidu's lon/lat | BD-09 → GCJ-02 (iterative), then GCJ-02 → WGS84 |
//!
//! # GCJ-02 and BD-09
//!
//! GCJ-02 is WGS84 plus a deterministic, non-linear offset of a few hundred metres inside
//! China (none outside). The forward formula used here is the one that has circulated
//! publicly since about 2009 (a reconstruction of the official algorithm, published e.g.
//! in the open-source "eviltransform" and "coordtransform" projects); BD-09 adds Baidu's
//! published rotation/offset on top of GCJ-02. Only the forward formulas are known, so the
//! inverse is computed by fixed-point iteration `w ← w − (f(w) − g)` until the residual is
//! below 1e-12° (converges in a handful of steps, since the offset varies slowly).
//!
//! Every other CRS goes through PROJ ([`crate::projected`]): `--crs EPSG:4547` (CGCS2000
//! Gauss–Krüger 3° zone, CM 114°E), EPSG:4491–4554, Xi'an 1980 and Beijing 1954 zones,
//! UTM, any EPSG code PROJ knows, and the WKT in a Shapefile's `.prj`.

use geo::MapCoordsInPlace;
use geo_types::Coord;
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// A supported input coordinate reference system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Crs {
    /// EPSG:4326, WGS84 longitude/latitude degrees.
    #[default]
    Wgs84,
    /// EPSG:4490, CGCS2000 geographic (treated as WGS84).
    Cgcs2000,
    /// EPSG:3857, Web Mercator metres.
    WebMercator,
    /// GCJ-02 offset lon/lat (AMap, Tencent).
    Gcj02,
    /// BD-09 offset lon/lat (Baidu).
    Bd09,
    /// Any other CRS PROJ knows: a Gauss–Krüger zone, UTM, an EPSG code, a `.prj`'s WKT.
    Proj(crate::projected::ProjCrs),
}

/// The names `--crs` accepts.
pub const SUPPORTED: &str =
    "EPSG:4326, EPSG:4490, EPSG:3857, GCJ02, BD09, or any EPSG:code PROJ knows (e.g. EPSG:4547)";

/// An unsupported CRS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrsError {
    /// The name is not one of [`SUPPORTED`] and PROJ does not know it.
    #[error("unsupported CRS {given:?} (PROJ: {reason}): use {SUPPORTED}")]
    Unsupported {
        /// The name as given.
        given: String,
        /// What PROJ said.
        reason: String,
    },
}

impl FromStr for Crs {
    type Err = CrsError;

    /// Parses `EPSG:4326`, `4326`, `WGS84`, `EPSG:4490`, `CGCS2000`, `EPSG:3857`,
    /// `GCJ02`/`GCJ-02`, `BD09`/`BD-09` (case-insensitive).
    ///
    /// ```
    /// use gridmap_importers::Crs;
    /// assert_eq!("epsg:3857".parse::<Crs>().unwrap(), Crs::WebMercator);
    /// assert_eq!("GCJ-02".parse::<Crs>().unwrap(), Crs::Gcj02);
    /// assert_eq!("EPSG:4547".parse::<Crs>().unwrap().to_string(), "EPSG:4547");
    /// let err = "EPSG:4".parse::<Crs>().unwrap_err().to_string();
    /// assert!(err.contains("unsupported CRS") && err.contains("EPSG:4326"));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_uppercase().replace(['-', '_', ' '], "");
        let code = norm.strip_prefix("EPSG:").unwrap_or(&norm);
        Ok(match code {
            "4326" | "WGS84" | "CRS84" => Crs::Wgs84,
            "4490" | "CGCS2000" => Crs::Cgcs2000,
            "3857" | "900913" | "WEBMERCATOR" => Crs::WebMercator,
            "GCJ02" => Crs::Gcj02,
            "BD09" | "BD09LL" => Crs::Bd09,
            _ => {
                let proj = crate::projected::ProjCrs::new(s.trim());
                return proj.map(Crs::Proj).map_err(|reason| CrsError::Unsupported {
                    given: s.to_owned(),
                    reason,
                });
            }
        })
    }
}

/// The CRS a Shapefile's `.prj` (ESRI or OGC WKT) names: WGS84 and CGCS2000 lon/lat and
/// Web Mercator as gridmap converts them itself, any other through PROJ; a message
/// saying what it is and what to do when PROJ cannot convert it.
///
/// ```
/// use gridmap_importers::{crs::from_wkt, Crs};
/// let cgcs = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
/// assert_eq!(from_wkt(cgcs).unwrap(), Crs::Cgcs2000);
/// let gk = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
/// assert_eq!(from_wkt(gk).unwrap().to_string(), "CGCS2000_3_Degree_GK_CM_114E");
/// assert!(from_wkt("GEOGCS[\"nonsense\"]").unwrap_err().contains("nonsense"));
/// ```
pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
    let wkt = wkt.trim().trim_start_matches('\u{feff}');
    let upper = wkt.to_ascii_uppercase();
    let name = wkt.split('"').nth(1).unwrap_or("?");
    let is = |words: &[&str]| words.iter().any(|w| upper.contains(w));
    if upper.starts_with("PROJCS") || upper.starts_with("PROJCRS") {
        if is(&[
            "AUXILIARY_SPHERE",
            "PSEUDO-MERCATOR",
            "PSEUDO_MERCATOR",
            "WEB_MERCATOR",
        ]) {
            return Ok(Crs::WebMercator);
        }
        return by_proj(wkt, name);
    }
    if upper.starts_with("GEOGCS") || upper.starts_with("GEOGCRS") {
        if is(&[
            "CHINA_2000",
            "CHINA GEODETIC COORDINATE SYSTEM 2000",
            "CGCS2000",
            "CGCS_2000",
        ]) {
            return Ok(Crs::Cgcs2000);
        }
        if is(&["WGS_1984", "WGS 84", "WGS84", "WORLD GEODETIC SYSTEM 1984"]) {
            return Ok(Crs::Wgs84);
        }
        return by_proj(wkt, name);
    }
    Err(format!(
        "is not a coordinate system in WKT (it starts {:?}): give the file's CRS with --crs",
        wkt.chars().take(20).collect::<String>()
    ))
}

/// The CRS named by the `crs` member of a GeoJSON file (the 2008 GeoJSON format, which
/// ogr2ogr, QGIS and ArcGIS still write for files not in lon/lat), e.g.
/// `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}`; a message
/// saying what to give instead when it names none gridmap can convert.
///
/// ```
/// use gridmap_importers::{crs::from_geojson_member, Crs};
/// let member = |name: &str| serde_json::json!({"type": "name", "properties": {"name": name}});
/// assert_eq!(from_geojson_member(&member("urn:ogc:def:crs:OGC:1.3:CRS84")).unwrap(), Crs::Wgs84);
/// assert_eq!(from_geojson_member(&member("urn:ogc:def:crs:EPSG::4547")).unwrap().to_string(), "EPSG:4547");
/// assert_eq!(from_geojson_member(&member("EPSG:3857")).unwrap(), Crs::WebMercator);
/// assert!(from_geojson_member(&serde_json::json!({"type": "link"})).is_err());
/// ```
pub fn from_geojson_member(member: &serde_json::Value) -> Result<Crs, String> {
    let name = member
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(serde_json::Value::as_str)
        .filter(|_| member.get("type").and_then(serde_json::Value::as_str) == Some("name"));
    let Some(name) = name else {
        return Err(format!(
            "its \"crs\" member {member} does not name a CRS (expected {{\"type\": \"name\", \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::4547\"}}}}): give the file's CRS with --crs EPSG:code"
        ));
    };
    // urn:ogc:def:crs:EPSG::4547, urn:ogc:def:crs:EPSG:6.3:4547, urn:ogc:def:crs:OGC:1.3:CRS84
    let upper = name.trim().to_ascii_uppercase();
    let code = match upper.strip_prefix("URN:OGC:DEF:CRS:") {
        Some(rest) if rest.starts_with("EPSG:") => {
            format!("EPSG:{}", rest.rsplit(':').next().unwrap_or_default())
        }
        Some(rest) if rest.starts_with("OGC:") => {
            rest.rsplit(':').next().unwrap_or_default().to_owned()
        }
        _ => name.trim().to_owned(),
    };
    code.parse().map_err(|e: CrsError| {
        format!("its \"crs\" member names {name:?}, which cannot be used ({e}): give the file's CRS with --crs EPSG:code")
    })
}

/// The CGCS2000 Gauss–Krüger zone whose eastings carry the zone number in front of the
/// false easting (38 560 225 m: 3° zone 38; 20 282 238 m: 6° zone 20), guessed from the
/// eastings `min_x..max_x` of a file (`--crs auto`); an error when they carry none or
/// disagree.
///
/// ```
/// use gridmap_importers::crs::gauss_kruger_zone;
/// assert_eq!(gauss_kruger_zone(38_427_117.9, 38_633_673.9).unwrap().to_string(), "EPSG:4526");
/// assert_eq!(gauss_kruger_zone(20_150_259.5, 20_353_237.8).unwrap().to_string(), "EPSG:4498");
/// assert!(gauss_kruger_zone(427_117.9, 633_673.9).is_err());
/// ```
pub fn gauss_kruger_zone(min_x: f64, max_x: f64) -> Result<Crs, String> {
    let zone = |x: f64| (x / 1e6).floor();
    let (low, high) = (zone(min_x), zone(max_x));
    let epsg = match low {
        _ if low != high => None,
        // 6° zones 13–23: EPSG:4491–4501; 3° zones 25–45: EPSG:4513–4533.
        z if (13.0..=23.0).contains(&z) => Some(4491 + (z as u32 - 13)),
        z if (25.0..=45.0).contains(&z) => Some(4513 + (z as u32 - 25)),
        _ => None,
    };
    let Some(epsg) = epsg else {
        return Err(format!(
            "cannot guess the Gauss–Krüger zone: the eastings ({min_x:.0} to {max_x:.0}) carry no zone number in front; give the CRS with --crs EPSG:code (e.g. EPSG:4547 for CGCS2000 3° CM 114°E)"
        ));
    };
    let code = format!("EPSG:{epsg}");
    code.parse().map_err(|e: CrsError| e.to_string())
}

/// The CRS of WKT `wkt` named `name`, converted by PROJ.
fn by_proj(wkt: &str, name: &str) -> Result<Crs, String> {
    crate::projected::ProjCrs::new(wkt).map(Crs::Proj).map_err(|reason| {
        format!("names the CRS {name:?}, which PROJ cannot convert to WGS84 ({reason}): give the file's CRS with --crs EPSG:code")
    })
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Crs::Wgs84 => "EPSG:4326",
            Crs::Cgcs2000 => "EPSG:4490",
            Crs::WebMercator => "EPSG:3857",
            Crs::Gcj02 => "GCJ02",
            Crs::Bd09 => "BD09",
            Crs::Proj(p) => return f.write_str(&p.name()),
        })
    }
}

impl Crs {
    /// Whether coordinates are already WGS84 (no conversion needed).
    ///
    /// ```
    /// use gridmap_importers::Crs;
    /// assert!(Crs::Cgcs2000.is_wgs84());
    /// assert!(!Crs::Bd09.is_wgs84());
    /// ```
    pub fn is_wgs84(self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Cgcs2000)
    }

    /// Converts one coordinate in this CRS to WGS84 lon/lat.
    ///
    /// ```
    /// use geo_types::Coord;
    /// use gridmap_importers::Crs;
    /// let c = Crs::WebMercator.coord_to_wgs84(Coord { x: 0.0, y: 0.0 });
    /// assert!(c.x.abs() < 1e-12 && c.y.abs() < 1e-12);
    /// ```
    pub fn coord_to_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => c,
            Crs::WebMercator => mercator_to_wgs84(c),
            Crs::Gcj02 => gcj02_to_wgs84(c),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(c)),
            Crs::Proj(p) => p.to_wgs84(c),
        }
    }

    /// Converts a geometry in this CRS to WGS84 in place.
    ///
    /// ```
    /// use geo_types::{point, Point};
    /// use gridmap_importers::Crs;
    /// let mut p: Point<f64> = point!(x: 114.6, y: 33.8);
    /// Crs::Gcj02.to_wgs84(&mut p);
    /// assert!((p.x() - 114.6).abs() > 1e-4 && (p.x() - 114.6).abs() < 1e-2);
    /// ```
    pub fn to_wgs84<G: MapCoordsInPlace<f64>>(self, geometry: &mut G) {
        if !self.is_wgs84() {
            geometry.map_coords_in_place(|c| self.coord_to_wgs84(c));
        }
    }
}

const MERCATOR_R: f64 = 6_378_137.0;

fn mercator_to_wgs84(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / MERCATOR_R).to_degrees(),
        y: (2.0 * (c.y / MERCATOR_R).exp().atan() - PI / 2.0).to_degrees(),
    }
}

/// Krasovsky 1940 semi-major axis and eccentricity², as used by GCJ-02.
const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

/// Boxes (west, south, east, north in degrees) inside the GCJ-02 box that are not
/// mainland China, where Chinese web maps apply no offset: Taiwan, Hong Kong and Macau,
/// and the land and sea of neighbouring countries. Drawn by hand for gridmap from the
/// borders' well-known course, conservatively: each box lies wholly outside the mainland,
/// so a point near a border may still be taken as mainland (the offset is then applied,
/// as the plain box did everywhere before). Checked against the cities in the tests below.
const NOT_MAINLAND: [(&str, [f64; 4]); 25] = [
    ("Taiwan", [119.3, 21.8, 122.5, 25.0]),
    ("Taiwan north", [119.95, 25.0, 122.5, 25.6]),
    ("Hong Kong", [113.82, 22.13, 114.45, 22.42]),
    ("Hong Kong north", [113.96, 22.42, 114.45, 22.495]),
    ("Macau", [113.53, 22.10, 113.60, 22.215]),
    ("Mongolia", [96.0, 43.6, 111.0, 50.0]),
    ("Mongolia east", [111.0, 46.0, 115.0, 50.0]),
    ("Russia, Kazakhstan north", [72.0, 49.2, 96.0, 55.9]),
    ("Russia east of the Amur", [127.6, 50.4, 137.9, 55.9]),
    ("Blagoveshchensk", [127.45, 50.265, 127.9, 50.4]),
    ("Russia lower Amur", [130.6, 48.9, 137.9, 55.9]),
    ("Primorye", [131.3, 42.0, 137.9, 44.8]),
    ("Khabarovsk", [134.9, 48.42, 137.9, 48.9]),
    ("Russia east of the Ussuri", [135.2, 44.8, 137.9, 48.42]),
    ("Korea", [124.6, 33.0, 131.0, 40.0]),
    ("Japan", [129.0, 24.0, 137.9, 42.0]),
    ("Kazakhstan, Kyrgyzstan", [72.0, 42.5, 79.8, 49.2]),
    ("Kazakhstan east", [79.8, 45.3, 82.0, 49.2]),
    (
        "Tajikistan, Afghanistan, Pakistan",
        [72.0, 26.0, 74.5, 39.0],
    ),
    ("Pakistan, India north", [74.5, 26.0, 78.0, 35.0]),
    ("Nepal", [78.0, 26.0, 84.5, 28.6]),
    ("Nepal east, Sikkim", [84.5, 26.0, 88.0, 27.85]),
    ("India, Bangladesh, Myanmar west", [72.0, 0.8, 97.5, 26.0]),
    ("Indochina", [97.5, 0.8, 107.9, 21.1]),
    ("Philippines", [119.5, 4.5, 127.0, 19.0]),
];

/// Whether `c` (lon/lat) is where Chinese web maps offset coordinates (GCJ-02): within
/// the published box of China and not in [`NOT_MAINLAND`].
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::crs::in_mainland_china;
/// assert!(in_mainland_china(Coord { x: 114.06, y: 22.54 })); // Shenzhen
/// assert!(!in_mainland_china(Coord { x: 114.16, y: 22.28 })); // Hong Kong
/// ```
pub fn in_mainland_china(c: Coord<f64>) -> bool {
    let in_box = |b: &[f64; 4]| (b[0]..=b[2]).contains(&c.x) && (b[1]..=b[3]).contains(&c.y);
    in_box(&[72.004, 0.8293, 137.8347, 55.8271]) && !NOT_MAINLAND.iter().any(|(_, b)| in_box(b))
}

fn outside_china(c: Coord<f64>) -> bool {
    !in_mainland_china(c)
}

fn gcj_dlat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn gcj_dlon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (the public forward formula; identity outside mainland China, see [`in_mainland_china`]).
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let w = Coord { x: 114.6, y: 33.8 };
/// let g = wgs84_to_gcj02(w);
/// assert!(g != w);
/// let back = gcj02_to_wgs84(g);
/// assert!((back.x - w.x).abs() < 1e-9 && (back.y - w.y).abs() < 1e-9);
/// ```
pub fn wgs84_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if outside_china(c) {
        return c;
    }
    let dlat = gcj_dlat(c.x - 105.0, c.y - 35.0);
    let dlon = gcj_dlon(c.x - 105.0, c.y - 35.0);
    let radlat = c.y.to_radians();
    let magic = 1.0 - GCJ_EE * radlat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (GCJ_A / sqrt_magic * radlat.cos() * PI);
    Coord {
        x: c.x + dlon,
        y: c.y + dlat,
    }
}

/// Inverts a forward transform `f` at `target` by fixed-point iteration.
fn invert(target: Coord<f64>, f: impl Fn(Coord<f64>) -> Coord<f64>) -> Coord<f64> {
    let mut w = target;
    for _ in 0..30 {
        let g = f(w);
        let (dx, dy) = (g.x - target.x, g.y - target.y);
        w = Coord {
            x: w.x - dx,
            y: w.y - dy,
        };
        if dx.abs() < 1e-12 && dy.abs() < 1e-12 {
            break;
        }
    }
    w
}

/// GCJ-02 → WGS84 (iterative inverse of [`wgs84_to_gcj02`]).
pub fn gcj02_to_wgs84(c: Coord<f64>) -> Coord<f64> {
    if !c.x.is_finite() || !c.y.is_finite() {
        return c;
    }
    invert(c, wgs84_to_gcj02)
}

const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 → BD-09 (Baidu's published forward formula).
///
/// ```
/// use geo_types::Coord;
/// use gridmap_importers::crs::{bd09_to_gcj02, gcj02_to_bd09};
/// let g = Coord { x: 114.6, y: 33.8 };
/// let back = bd09_to_gcj02(gcj02_to_bd09(g));
/// assert!((back.x - g.x).abs() < 1e-9 && (back.y - g.y).abs() < 1e-9);
/// ```
pub fn gcj02_to_bd09(c: Coord<f64>) -> Coord<f64> {
    let z = (c.x * c.x + c.y * c.y).sqrt() + 0.00002 * (c.y * BD_X_PI).sin();
    let theta = c.y.atan2(c.x) + 0.000003 * (c.x * BD_X_PI).cos();
    Coord {
        x: z * theta.cos() + 0.0065,
        y: z * theta.sin() + 0.006,
    }
}

/// BD-09 → GCJ-02 (iterative inverse of [`gcj02_to_bd09`]).
pub fn bd09_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if !c.x.is_finite() || !c.y.is_finite() {
        return c;
    }
    invert(c, gcj02_to_bd09)
}

/// WGS84 → BD-09.
pub fn wgs84_to_bd09(c: Coord<f64>) -> Coord<f64> {
    gcj02_to_bd09(wgs84_to_gcj02(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridmap_core::geometry::metres_per_degree;

    fn shift_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
        let (mx, my) = metres_per_degree(a.y);
        (((a.x - b.x) * mx).powi(2) + ((a.y - b.y) * my).powi(2)).sqrt()
    }

    #[test]
    fn gcj02_round_trips_to_sub_millimetre() {
        for &(x, y) in &[
            (114.6, 33.8),
            (116.391, 39.907),
            (121.47, 31.23),
            (87.6, 43.8),
        ] {
            let w = Coord { x, y };
            let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
            assert!(shift_m(w, back) < 1e-3, "{x},{y}: {back:?}");
        }
    }

    #[test]
    fn gcj02_offset_is_hundreds_of_metres_in_china_and_zero_outside() {
        let w = Coord { x: 114.6, y: 33.8 };
        let d = shift_m(w, wgs84_to_gcj02(w));
        assert!((100.0..1000.0).contains(&d), "{d}");
        let helsinki = Coord { x: 24.94, y: 60.17 };
        assert_eq!(wgs84_to_gcj02(helsinki), helsinki);
    }

    #[test]
    fn the_offset_applies_in_mainland_cities_and_not_beyond() {
        let mainland = [
            ("Beijing", 116.39, 39.91),
            ("Shanghai", 121.47, 31.23),
            ("Shenzhen Futian", 114.05, 22.53),
            ("Shekou", 113.92, 22.48),
            ("Zhuhai Gongbei", 113.55, 22.23),
            ("Xiamen", 118.09, 24.48),
            ("Pingtan", 119.79, 25.50),
            ("Sanya", 109.51, 18.25),
            ("Dongxing", 107.97, 21.54),
            ("Jinghong", 100.80, 22.01),
            ("Ruili", 97.85, 24.01),
            ("Lhasa", 91.13, 29.65),
            ("Yadong", 88.91, 27.48),
            ("Gyirong", 85.30, 28.40),
            ("Zhangmu", 85.98, 27.99),
            ("Kashgar", 75.99, 39.47),
            ("Taxkorgan", 75.23, 37.77),
            ("Khorgos", 80.41, 44.21),
            ("Alashankou", 82.57, 45.17),
            ("Habahe", 86.42, 48.06),
            ("Erenhot", 111.98, 43.65),
            ("Manzhouli", 117.43, 49.60),
            ("Mohe", 122.54, 52.97),
            ("Heihe", 127.49, 50.24),
            ("Fuyuan", 134.29, 48.36),
            ("Suifenhe", 131.15, 44.40),
            ("Hunchun", 130.36, 42.86),
            ("Dandong", 124.38, 40.13),
            ("Dalian", 121.61, 38.91),
        ];
        for (city, x, y) in mainland {
            assert!(in_mainland_china(Coord { x, y }), "{city}");
        }
        let beyond = [
            ("Taipei", 121.56, 25.04),
            ("Kaohsiung", 120.30, 22.63),
            ("Hong Kong Central", 114.16, 22.28),
            ("Tuen Mun", 113.97, 22.39),
            ("Macau", 113.54, 22.19),
            ("Ulaanbaatar", 106.91, 47.92),
            ("Seoul", 126.98, 37.57),
            ("Pyongyang", 125.76, 39.03),
            ("Tokyo", 139.69, 35.69),
            ("Fukuoka", 130.40, 33.59),
            ("Vladivostok", 131.89, 43.12),
            ("Khabarovsk", 135.07, 48.48),
            ("Blagoveshchensk", 127.53, 50.27),
            ("Hanoi", 105.85, 21.03),
            ("Bangkok", 100.50, 13.75),
            ("Manila", 120.98, 14.60),
            ("Almaty", 76.89, 43.24),
            ("Bishkek", 74.59, 42.87),
            ("Kathmandu", 85.32, 27.72),
            ("Delhi", 77.21, 28.61),
            ("Dhaka", 90.41, 23.81),
            ("Islamabad", 73.05, 33.68),
            ("Novosibirsk", 82.92, 55.03),
        ];
        for (city, x, y) in beyond {
            let c = Coord { x, y };
            assert!(!in_mainland_china(c), "{city}");
            assert_eq!(wgs84_to_gcj02(c), c, "{city}");
            assert_eq!(gcj02_to_wgs84(c), c, "{city}");
        }
    }

    #[test]
    fn bd09_round_trips_and_differs_from_gcj02() {
        let w = Coord { x: 114.6, y: 33.8 };
        let bd = wgs84_to_bd09(w);
        assert!(shift_m(bd, wgs84_to_gcj02(w)) > 100.0);
        assert!(shift_m(w, Crs::Bd09.coord_to_wgs84(bd)) < 1e-3);
    }

    #[test]
    fn web_mercator_matches_known_point() {
        // 114.6E 33.8N in EPSG:3857 (x = R·λ, y = R·ln tan(π/4 + φ/2))
        let x = MERCATOR_R * 114.6_f64.to_radians();
        let y = MERCATOR_R * (PI / 4.0 + 33.8_f64.to_radians() / 2.0).tan().ln();
        let c = Crs::WebMercator.coord_to_wgs84(Coord { x, y });
        assert!(
            (c.x - 114.6).abs() < 1e-9 && (c.y - 33.8).abs() < 1e-9,
            "{c:?}"
        );
    }
}
