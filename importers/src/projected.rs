//! Coordinate systems converted by PROJ (the system library, through the `proj` crate):
//! CGCS2000 Gauss–Krüger zones, Xi'an 1980 and Beijing 1954, UTM, any EPSG code PROJ
//! knows, and the WKT of a Shapefile's `.prj`.
//!
//! [`ProjCrs`] is a small handle to a definition registered once per process, so
//! [`Crs`](crate::Crs) stays `Copy` and cheap to pass to every feature; each thread
//! builds its own PROJ transformation on first use (one is not shareable across
//! threads), and readers convert on every core.
//!
//! ```
//! use geo_types::Coord;
//! use gridmap_importers::projected::ProjCrs;
//! // CGCS2000 / 3-degree Gauss–Krüger CM 114E: a point near Shenqiu, Henan.
//! let gk = ProjCrs::new("EPSG:4547").unwrap();
//! let c = gk.to_wgs84(Coord { x: 560_225.9549, y: 3_736_121.2086 });
//! assert!((c.x - 114.65).abs() < 1e-7 && (c.y - 33.75).abs() < 1e-7);
//! assert!(ProjCrs::new("EPSG:999999").is_err());
//! ```

use geo_types::Coord;
use proj::Proj;
use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Mutex;

/// A coordinate system PROJ converts to WGS84 (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjCrs(usize);

/// The definitions registered, by handle, with their short names.
static DEFINITIONS: Mutex<Vec<Definition>> = Mutex::new(Vec::new());

struct Definition {
    /// What PROJ is given: `EPSG:4547`, a WKT, a PROJ string.
    text: String,
    /// What users read: the EPSG code, or the name inside the WKT.
    name: String,
}

thread_local! {
    /// This thread's transformations, by handle.
    static TRANSFORMS: RefCell<HashMap<usize, Proj>> = RefCell::new(HashMap::new());
}

fn definitions() -> std::sync::MutexGuard<'static, Vec<Definition>> {
    DEFINITIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The transformation from `definition` to WGS84 longitude/latitude (easting/northing
/// in, longitude/latitude out, whatever the axis order the EPSG definition states).
fn transform(definition: &str) -> Result<Proj, String> {
    Proj::new_known_crs(definition, "EPSG:4326", None).map_err(|e| e.to_string())
}

impl ProjCrs {
    /// Registers `definition` once PROJ has shown it can convert it to WGS84; the same
    /// definition again gets the same handle.
    pub fn new(definition: &str) -> Result<ProjCrs, String> {
        let definition = definition.trim();
        if let Some(i) = definitions().iter().position(|d| d.text == definition) {
            return Ok(ProjCrs(i));
        }
        let checked = transform(definition)?;
        let name = if definition.len() <= 40 {
            definition.to_owned()
        } else {
            definition.split('"').nth(1).unwrap_or("WKT").to_owned()
        };
        let mut all = definitions();
        all.push(Definition {
            text: definition.to_owned(),
            name,
        });
        let handle = all.len() - 1;
        drop(all);
        TRANSFORMS.with(|t| t.borrow_mut().insert(handle, checked));
        Ok(ProjCrs(handle))
    }

    /// The name users read: `EPSG:4547`, or the CRS's name in its WKT.
    pub fn name(self) -> String {
        definitions()
            .get(self.0)
            .map_or_else(|| "?".to_owned(), |d| d.name.clone())
    }

    /// Converts `c` to WGS84 longitude/latitude; NaN when PROJ cannot (a point far
    /// outside the zone), which validation then rejects with the feature named.
    pub fn to_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        let nan = Coord {
            x: f64::NAN,
            y: f64::NAN,
        };
        TRANSFORMS.with(|t| {
            let mut transforms = t.borrow_mut();
            let proj = match transforms.entry(self.0) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    let text = definitions().get(self.0).map(|d| d.text.clone());
                    match text.map(|text| transform(&text)) {
                        Some(Ok(p)) => slot.insert(p),
                        _ => return nan,
                    }
                }
            };
            match proj.convert((c.x, c.y)) {
                Ok((x, y)) => Coord { x, y },
                Err(_) => nan,
            }
        })
    }
}
