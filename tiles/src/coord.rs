//! Tile coordinates (XYZ, y down from the north, as in Web Mercator slippy maps),
//! validation of request paths, and the Web-Mercator projection.
//!
//! Geometry is projected once to *world coordinates*: Web Mercator scaled to the unit
//! square, x east from −180°, y down from the northern limit (≈ 85.0511°). A tile
//! `z/x/y` covers `[x / 2^z, (x + 1) / 2^z] × [y / 2^z, (y + 1) / 2^z]` of it, so going
//! from world to tile pixels is one multiply-add per axis.

use crate::error::{TileError, TileResult};
use geo_types::{coord, Rect};
use std::fmt;

/// Largest zoom served.
pub const MAX_ZOOM: u8 = 22;

pub use gridmap_core::mercator::{lonlat_to_world, world_to_lonlat, MAX_LATITUDE};

/// A validated tile address: `x, y < 2^z`, `z ≤ MAX_ZOOM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

fn parse_axis(axis: &'static str, value: &str) -> TileResult<u64> {
    let t = value.trim();
    if let Some(rest) = t.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::Negative {
                axis,
                value: t.to_owned(),
            });
        }
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TileError::NotANumber {
            axis,
            value: value.to_owned(),
        });
    }
    // All digits: only overflow can fail, which is out of range for any zoom.
    Ok(t.parse::<u64>().unwrap_or(u64::MAX))
}

impl TileCoord {
    /// Validates a tile address.
    ///
    /// ```
    /// use gridmap_tiles::TileCoord;
    /// assert!(TileCoord::new(4, 15, 0).is_ok());
    /// assert!(TileCoord::new(4, 16, 0).is_err());
    /// ```
    pub fn new(z: u8, x: u32, y: u32) -> TileResult<TileCoord> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomOutOfRange {
                z: u64::from(z),
                max: MAX_ZOOM,
            });
        }
        let n = 1u64 << z;
        let max = u32::try_from(n - 1).unwrap_or(u32::MAX);
        for (axis, v) in [("x", x), ("y", y)] {
            if u64::from(v) >= n {
                return Err(TileError::OutOfRange {
                    axis,
                    value: u64::from(v),
                    z,
                    max,
                });
            }
        }
        Ok(TileCoord { z, x, y })
    }

    /// Parses the three path segments of `/{z}/{x}/{y}` (a `.mvt` or `.pbf` suffix on
    /// `y` is accepted), rejecting non-numbers, negatives, `z > 22` and `x, y ≥ 2^z`.
    ///
    /// ```
    /// use gridmap_tiles::TileCoord;
    /// let t = TileCoord::parse("14", "13400", "6200.mvt").unwrap();
    /// assert_eq!((t.z(), t.x(), t.y()), (14, 13400, 6200));
    /// let err = TileCoord::parse("4", "17", "3").unwrap_err();
    /// assert_eq!(err.to_string(), "x=17 is out of range for zoom 4 (0..=15)");
    /// assert!(TileCoord::parse("23", "0", "0").is_err());
    /// assert!(TileCoord::parse("3", "-1", "0").is_err());
    /// assert!(TileCoord::parse("3", "a", "0").is_err());
    /// ```
    pub fn parse(z: &str, x: &str, y: &str) -> TileResult<TileCoord> {
        let y = y
            .strip_suffix(".mvt")
            .or_else(|| y.strip_suffix(".pbf"))
            .unwrap_or(y);
        let zv = parse_axis("z", z)?;
        let xv = parse_axis("x", x)?;
        let yv = parse_axis("y", y)?;
        let z = match u8::try_from(zv) {
            Ok(z) if z <= MAX_ZOOM => z,
            _ => {
                return Err(TileError::ZoomOutOfRange {
                    z: zv,
                    max: MAX_ZOOM,
                })
            }
        };
        let n = 1u64 << z;
        let max = u32::try_from(n - 1).unwrap_or(u32::MAX);
        for (axis, v) in [("x", xv), ("y", yv)] {
            if v >= n {
                return Err(TileError::OutOfRange {
                    axis,
                    value: v,
                    z,
                    max,
                });
            }
        }
        // Both below 2^22 now.
        Ok(TileCoord {
            z,
            x: xv as u32,
            y: yv as u32,
        })
    }

    /// Zoom level.
    pub fn z(&self) -> u8 {
        self.z
    }

    /// Column (west → east).
    pub fn x(&self) -> u32 {
        self.x
    }

    /// Row (north → south).
    pub fn y(&self) -> u32 {
        self.y
    }

    /// Number of tiles along one axis at this zoom (2^z).
    pub fn scale(&self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile's square in world coordinates (see the module docs), grown on every
    /// side by `buffer` as a fraction of the tile width (e.g. 64/4096).
    pub fn world_bounds(&self, buffer: f64) -> Rect<f64> {
        let s = self.scale();
        let min_x = (f64::from(self.x) - buffer) / s;
        let min_y = (f64::from(self.y) - buffer) / s;
        let max_x = (f64::from(self.x) + 1.0 + buffer) / s;
        let max_y = (f64::from(self.y) + 1.0 + buffer) / s;
        Rect::new(coord! { x: min_x, y: min_y }, coord! { x: max_x, y: max_y })
    }

    /// The tile's WGS84 lon/lat bounds, grown by `buffer` (fraction of the tile width)
    /// on every side and clamped to the Web-Mercator world.
    ///
    /// ```
    /// use gridmap_tiles::TileCoord;
    /// let b = TileCoord::new(1, 1, 0).unwrap().lonlat_bounds(0.0);
    /// assert_eq!(b.min().x, 0.0);
    /// assert_eq!(b.max().x, 180.0);
    /// assert!((b.max().y - 85.0511).abs() < 1e-4);
    /// ```
    pub fn lonlat_bounds(&self, buffer: f64) -> Rect<f64> {
        let w = self.world_bounds(buffer);
        let (min_lon, max_lat) = world_to_lonlat(w.min().x.max(0.0), w.min().y.max(0.0));
        let (max_lon, min_lat) = world_to_lonlat(w.max().x.min(1.0), w.max().y.min(1.0));
        Rect::new(
            coord! { x: min_lon, y: min_lat },
            coord! { x: max_lon, y: max_lat },
        )
    }

    /// The tile one zoom out (z − 1) that holds this one; `None` at z0.
    pub fn parent(&self) -> Option<TileCoord> {
        (self.z > 0).then(|| TileCoord {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }
}

/// The tiles of zoom `z` whose square meets the lon/lat box `bbox`, row by row.
///
/// ```
/// use geo_types::{coord, Rect};
/// let all: Vec<_> = gridmap_tiles::coord::tiles_in_bbox(
///     Rect::new(coord! { x: -180.0, y: -85.0 }, coord! { x: 180.0, y: 85.0 }), 1).collect();
/// assert_eq!(all.len(), 4);
/// ```
pub fn tiles_in_bbox(bbox: Rect<f64>, z: u8) -> impl Iterator<Item = TileCoord> {
    let z = z.min(MAX_ZOOM);
    let n = 1u32 << z;
    let (x0, y0) = lonlat_to_world(bbox.min().x, bbox.max().y);
    let (x1, y1) = lonlat_to_world(bbox.max().x, bbox.min().y);
    let to_tile = |v: f64| -> u32 {
        let t = (v * f64::from(n)).floor();
        if t.is_nan() || t < 0.0 {
            0
        } else {
            (t as u32).min(n - 1)
        }
    };
    let (tx0, tx1, ty0, ty1) = (to_tile(x0), to_tile(x1), to_tile(y0), to_tile(y1));
    (ty0..=ty1).flat_map(move |y| (tx0..=tx1).map(move |x| TileCoord { z, x, y }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_each_kind_of_bad_segment_with_a_clear_message() {
        let msg = |z, x, y| TileCoord::parse(z, x, y).unwrap_err().to_string();
        assert_eq!(
            msg("4", "17", "3"),
            "x=17 is out of range for zoom 4 (0..=15)"
        );
        assert_eq!(
            msg("4", "3", "16"),
            "y=16 is out of range for zoom 4 (0..=15)"
        );
        assert_eq!(msg("23", "0", "0"), "z=23 is out of range (0..=22)");
        assert_eq!(msg("4", "-1", "0"), "x=-1 must not be negative");
        assert_eq!(msg("x", "0", "0"), "z=\"x\" is not a non-negative integer");
        assert_eq!(
            msg("4", "1.5", "0"),
            "x=\"1.5\" is not a non-negative integer"
        );
        assert_eq!(msg("4", "", "0"), "x=\"\" is not a non-negative integer");
        assert!(msg("4", "99999999999999999999999", "0").contains("out of range"));
    }

    #[test]
    fn parse_accepts_the_corners_of_the_range() {
        assert!(TileCoord::parse("0", "0", "0").is_ok());
        let max = (1u32 << 22) - 1;
        assert!(TileCoord::parse("22", &max.to_string(), &max.to_string()).is_ok());
        assert!(TileCoord::parse("22", &(max + 1).to_string(), "0").is_err());
    }

    #[test]
    fn tiles_in_bbox_contains_the_tile_of_each_corner() {
        let bbox = Rect::new(
            coord! { x: 114.40, y: 38.00 },
            coord! { x: 114.55, y: 38.10 },
        );
        let tiles: Vec<_> = tiles_in_bbox(bbox, 14).collect();
        for (lon, lat) in [(114.40, 38.00), (114.55, 38.10), (114.47, 38.05)] {
            let (x, y) = lonlat_to_world(lon, lat);
            let t = TileCoord::new(14, (x * 16384.0) as u32, (y * 16384.0) as u32).unwrap();
            assert!(tiles.contains(&t), "{t} missing");
        }
    }
}
