//! Geometry ⇄ WKB for storage.

use crate::{StoreError, StoreResult};
use geo::BoundingRect;
use geo_types::{Geometry, MultiLineString, MultiPolygon};
use geozero::wkb::Wkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};

pub(crate) fn encode(geometry: Geometry<f64>, what: &str) -> StoreResult<Vec<u8>> {
    geometry
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Geometry {
            what: what.to_owned(),
            reason: e.to_string(),
        })
}

/// PostGIS's extended WKB: WKB carrying its coordinate system, which a `geometry(…,
/// srid)` column takes as it is in a binary `COPY`.
pub(crate) fn encode_with_srid(
    geometry: Geometry<f64>,
    srid: i32,
    what: &str,
) -> StoreResult<Vec<u8>> {
    geometry
        .to_ewkb(CoordDimensions::xy(), Some(srid))
        .map_err(|e| StoreError::Geometry {
            what: what.to_owned(),
            reason: e.to_string(),
        })
}

pub(crate) fn decode_multipolygon(bytes: &[u8], what: &str) -> StoreResult<MultiPolygon<f64>> {
    match Wkb(bytes).to_geo() {
        Ok(Geometry::MultiPolygon(mp)) => Ok(mp),
        Ok(Geometry::Polygon(p)) => Ok(MultiPolygon(vec![p])),
        Ok(other) => Err(StoreError::Geometry {
            what: what.to_owned(),
            reason: format!("expected a polygon, found {other:?}"),
        }),
        Err(e) => Err(StoreError::Geometry {
            what: what.to_owned(),
            reason: e.to_string(),
        }),
    }
}

pub(crate) fn decode_multilinestring(
    bytes: &[u8],
    what: &str,
) -> StoreResult<MultiLineString<f64>> {
    match Wkb(bytes).to_geo() {
        Ok(Geometry::MultiLineString(m)) => Ok(m),
        Ok(Geometry::LineString(l)) => Ok(MultiLineString(vec![l])),
        Ok(_) => Err(StoreError::Geometry {
            what: what.to_owned(),
            reason: "expected a line".into(),
        }),
        Err(e) => Err(StoreError::Geometry {
            what: what.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// `[min_lon, min_lat, max_lon, max_lat]`, zeros for an empty shape.
pub(crate) fn bbox(shape: &MultiPolygon<f64>) -> [f64; 4] {
    shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .unwrap_or([0.0; 4])
}
