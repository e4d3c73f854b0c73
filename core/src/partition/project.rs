//! Local metric projection of one village: an equirectangular (affine) map from WGS84
//! degrees to metres around the village centre. Being affine, it maps straight lines to
//! straight lines, so clipping in metres and mapping back equals clipping in degrees up
//! to rounding.

use crate::geometry::metres_per_degree;
use geo::MapCoords;
use geo_types::{Coord, MultiPolygon, Polygon};

/// An affine lon/lat → metres projection centred on a village.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LocalProj {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalProj {
    /// Centred on `(lon0, lat0)`; `None` if the centre is not a finite lon/lat.
    pub(crate) fn new(lon0: f64, lat0: f64) -> Option<LocalProj> {
        if !lon0.is_finite() || !lat0.is_finite() || lat0.abs() > 89.0 {
            return None;
        }
        let (kx, ky) = metres_per_degree(lat0);
        Some(LocalProj { lon0, lat0, kx, ky })
    }

    /// Degrees → metres.
    pub(crate) fn fwd(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// Metres → degrees.
    pub(crate) fn inv(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.kx + self.lon0,
            y: c.y / self.ky + self.lat0,
        }
    }

    pub(crate) fn fwd_mp(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        mp.map_coords(|c| self.fwd(c))
    }

    pub(crate) fn inv_mp(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        mp.map_coords(|c| self.inv(c))
    }

    #[allow(dead_code)]
    pub(crate) fn fwd_poly(&self, p: &Polygon<f64>) -> Polygon<f64> {
        p.map_coords(|c| self.fwd(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_returns_the_same_degrees() {
        let p = LocalProj::new(114.5, 38.0).expect("finite centre");
        let c = Coord {
            x: 114.5123,
            y: 38.0456,
        };
        let back = p.inv(p.fwd(c));
        assert!((back.x - c.x).abs() < 1e-12 && (back.y - c.y).abs() < 1e-12);
        let m = p.fwd(Coord {
            x: 114.5,
            y: 38.001,
        });
        assert!((m.y - 111.0).abs() < 1.0, "{m:?}");
    }

    #[test]
    fn rejects_non_finite_centre() {
        assert!(LocalProj::new(f64::NAN, 0.0).is_none());
    }
}
