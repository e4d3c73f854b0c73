//! The Web-Mercator projection (EPSG:3857, the spherical Mercator of web maps), in the
//! two forms gridmap uses: *world coordinates* on the unit square for tiles, and metres
//! for the copy of each footprint the PostGIS store keeps for its tile statement.
//!
//! Both come from the same formula, `y = ln(tan φ + sec φ)`, so a footprint projected
//! here and a tile cut from world coordinates agree.

use geo::orient::{Direction, Orient};
use geo_types::{Coord, MultiPolygon};
use std::f64::consts::PI;

/// Latitude limit of Web Mercator in degrees: where the projected map is square.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// The sphere's radius of EPSG:3857 in metres (the WGS84 semi-major axis).
pub const EARTH_RADIUS: f64 = 6_378_137.0;

/// The projected y of a latitude in radians, on the unit sphere.
fn mercator_y(lat: f64) -> f64 {
    let phi = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    (phi.tan() + 1.0 / phi.cos()).ln()
}

/// Projects WGS84 lon/lat degrees to world coordinates (Web Mercator on the unit
/// square, x east from −180°, y down from the northern limit). Latitudes are clamped
/// to ±[`MAX_LATITUDE`].
///
/// ```
/// let (x, y) = gridmap_core::mercator::lonlat_to_world(0.0, 0.0);
/// assert_eq!((x, y), (0.5, 0.5));
/// ```
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    ((lon + 180.0) / 360.0, 0.5 - mercator_y(lat) / (2.0 * PI))
}

/// Inverse of [`lonlat_to_world`].
///
/// ```
/// let (lon, lat) = gridmap_core::mercator::world_to_lonlat(0.25, 0.5);
/// assert!((lon + 90.0).abs() < 1e-12 && lat.abs() < 1e-12);
/// ```
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

/// Projects WGS84 lon/lat degrees to EPSG:3857 metres (x east, y north), as PostGIS's
/// `ST_Transform(…, 3857)` does. Latitudes are clamped to ±[`MAX_LATITUDE`].
///
/// ```
/// use gridmap_core::mercator::{lonlat_to_metres, EARTH_RADIUS};
/// let (x, y) = lonlat_to_metres(180.0, 0.0);
/// assert_eq!((x, y), (EARTH_RADIUS * std::f64::consts::PI, 0.0));
/// // Zhoukou, Henan: about 12.76 million metres east, 3.98 million north.
/// let (x, y) = lonlat_to_metres(114.65, 33.63);
/// assert!((x - 12_762_779.6).abs() < 0.1 && (y - 3_979_227.6).abs() < 0.1);
/// ```
pub fn lonlat_to_metres(lon: f64, lat: f64) -> (f64, f64) {
    (
        EARTH_RADIUS * lon.to_radians(),
        EARTH_RADIUS * mercator_y(lat),
    )
}

/// A lon/lat shape in EPSG:3857 metres with each exterior ring clockwise and each hole
/// anticlockwise (y up), as PostGIS's `ST_ForcePolygonCW(ST_Transform(…, 3857))`
/// leaves it: flipped into tile coordinates (y down), the rings then wind as the
/// Mapbox Vector Tile specification wants.
///
/// ```
/// use geo::orient::{Direction, Orient};
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_core::mercator::to_metres_clockwise;
/// // An anticlockwise square comes back clockwise.
/// let square = MultiPolygon(vec![polygon![
///     (x: 114.0, y: 33.0), (x: 114.001, y: 33.0), (x: 114.001, y: 33.001), (x: 114.0, y: 33.001),
/// ]]);
/// let projected = to_metres_clockwise(&square);
/// assert_eq!(projected, projected.orient(Direction::Reversed));
/// assert!(projected.0[0].exterior().0[0].x > 12_690_000.0);
/// ```
pub fn to_metres_clockwise(shape: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut projected = shape.clone();
    for polygon in &mut projected.0 {
        polygon.exterior_mut(project_ring);
        polygon.interiors_mut(|holes| holes.iter_mut().for_each(project_ring));
    }
    projected.orient(Direction::Reversed)
}

/// The longer side of a shape's bounding box, in the shape's own units: how large it
/// draws on a map, where tiles leave out what would be smaller than half a pixel. The
/// PostGIS store keeps it for each footprint's Web-Mercator copy. None for an empty shape.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_core::mercator::longer_side;
/// let house = MultiPolygon(vec![polygon![
///     (x: 0.0, y: 0.0), (x: 12.0, y: 0.0), (x: 12.0, y: 7.5), (x: 0.0, y: 7.5),
/// ]]);
/// assert_eq!(longer_side(&house), Some(12.0));
/// assert_eq!(longer_side(&MultiPolygon(vec![])), None);
/// ```
pub fn longer_side(shape: &MultiPolygon<f64>) -> Option<f64> {
    use geo::BoundingRect;
    shape.bounding_rect().map(|r| r.width().max(r.height()))
}

fn project_ring(ring: &mut geo_types::LineString<f64>) {
    for c in &mut ring.0 {
        let (x, y) = lonlat_to_metres(c.x, c.y);
        *c = Coord { x, y };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_coordinates_round_trip() {
        for (lon, lat) in [(114.5, 38.0), (-70.0, -33.3), (0.0, 85.0)] {
            let (x, y) = lonlat_to_world(lon, lat);
            let (lon2, lat2) = world_to_lonlat(x, y);
            assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9);
        }
    }

    #[test]
    fn metres_and_world_coordinates_are_one_projection() {
        let half_world = EARTH_RADIUS * PI;
        for (lon, lat) in [(114.65, 33.63), (-70.0, -33.3), (0.0, 84.0)] {
            let (x, y) = lonlat_to_world(lon, lat);
            let (mx, my) = lonlat_to_metres(lon, lat);
            assert!((mx - (2.0 * x - 1.0) * half_world).abs() < 1e-6);
            assert!((my - (1.0 - 2.0 * y) * half_world).abs() < 1e-6);
        }
    }

    #[test]
    fn holes_wind_against_their_exterior() {
        use geo::Winding;
        use geo_types::polygon;
        let with_hole = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0)],
            interiors: [[(x: 0.2, y: 0.2), (x: 0.8, y: 0.2), (x: 0.8, y: 0.8), (x: 0.2, y: 0.8)]],
        );
        let projected = to_metres_clockwise(&MultiPolygon(vec![with_hole]));
        assert!(projected.0[0].exterior().is_cw());
        assert!(projected.0[0].interiors()[0].is_ccw());
    }
}
