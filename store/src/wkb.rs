//! Geometry ⇄ WKB for storage.

use crate::{StoreError, StoreResult};
use geo::BoundingRect;
use geo_types::{Geometry, LineString, MultiLineString, MultiPolygon};
use geozero::wkb::{Wkb, WkbDialect, WkbWriter};
use geozero::{CoordDimensions, GeomProcessor, GeozeroGeometry, ToGeo, ToWkb};

pub(crate) fn encode(geometry: Geometry<f64>, what: &str) -> StoreResult<Vec<u8>> {
    geometry
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Geometry {
            what: what.to_owned(),
            reason: e.to_string(),
        })
}

/// A borrowed geometry as geozero's writers read it, so encoding one copies nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape<'a> {
    Polygons(&'a MultiPolygon<f64>),
    Lines(&'a MultiLineString<f64>),
}

impl<'a> From<&'a MultiPolygon<f64>> for Shape<'a> {
    fn from(shape: &'a MultiPolygon<f64>) -> Self {
        Shape::Polygons(shape)
    }
}

impl<'a> From<&'a MultiLineString<f64>> for Shape<'a> {
    fn from(shape: &'a MultiLineString<f64>) -> Self {
        Shape::Lines(shape)
    }
}

impl GeozeroGeometry for Shape<'_> {
    fn process_geom<P: GeomProcessor>(&self, processor: &mut P) -> geozero::error::Result<()> {
        match self {
            Shape::Polygons(shape) => {
                processor.multipolygon_begin(shape.0.len(), 0)?;
                for (i, polygon) in shape.0.iter().enumerate() {
                    processor.polygon_begin(false, polygon.interiors().len() + 1, i)?;
                    process_line(polygon.exterior(), 0, processor)?;
                    for (k, hole) in polygon.interiors().iter().enumerate() {
                        process_line(hole, k + 1, processor)?;
                    }
                    processor.polygon_end(false, i)?;
                }
                processor.multipolygon_end(0)
            }
            Shape::Lines(shape) => {
                processor.multilinestring_begin(shape.0.len(), 0)?;
                for (i, line) in shape.0.iter().enumerate() {
                    process_line(line, i, processor)?;
                }
                processor.multilinestring_end(0)
            }
        }
    }
}

/// One line or ring of a multi-geometry (untagged, as geozero's own reader sends it).
fn process_line<P: GeomProcessor>(
    line: &LineString<f64>,
    idx: usize,
    processor: &mut P,
) -> geozero::error::Result<()> {
    processor.linestring_begin(false, line.0.len(), idx)?;
    for (i, c) in line.0.iter().enumerate() {
        processor.xy(c.x, c.y, i)?;
    }
    processor.linestring_end(false, idx)
}

/// Appends `shape` to `out` as PostGIS's extended WKB: WKB carrying its coordinate
/// system, which a `geometry(…, srid)` column takes as it is in a binary `COPY`. Written
/// in place, so a bulk load copies no geometry on the way.
pub(crate) fn append_ewkb(
    shape: Shape<'_>,
    srid: i32,
    out: &mut Vec<u8>,
    what: impl FnOnce() -> String,
) -> StoreResult<()> {
    let mut writer = WkbWriter::with_opts(
        out,
        WkbDialect::Ewkb,
        CoordDimensions::xy(),
        Some(srid),
        Vec::new(),
    );
    shape
        .process_geom(&mut writer)
        .map_err(|e| StoreError::Geometry {
            what: what(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, polygon};

    /// What geozero writes for the same geometry handed over whole.
    fn geozero_ewkb(geometry: Geometry<f64>, srid: i32) -> Vec<u8> {
        geometry.to_ewkb(CoordDimensions::xy(), Some(srid)).unwrap()
    }

    #[test]
    fn borrowed_shapes_encode_as_geozero_encodes_them_whole() {
        let block = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0)]],
        ];
        let shed = polygon![(x: 5.0, y: 5.0), (x: 6.0, y: 5.0), (x: 6.0, y: 6.0)];
        let polygons = MultiPolygon(vec![block, shed]);
        let lines = MultiLineString(vec![
            line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)],
            line_string![(x: 2.0, y: 2.0), (x: 3.0, y: 2.5), (x: 4.0, y: 2.0)],
        ]);
        let mut out = vec![7u8];
        append_ewkb((&polygons).into(), 3857, &mut out, String::new).unwrap();
        assert_eq!(out[0], 7, "appended after what the buffer held");
        assert_eq!(
            out[1..],
            geozero_ewkb(Geometry::MultiPolygon(polygons), 3857)
        );
        let mut out = Vec::new();
        append_ewkb((&lines).into(), 4326, &mut out, String::new).unwrap();
        assert_eq!(out, geozero_ewkb(Geometry::MultiLineString(lines), 4326));
    }
}
