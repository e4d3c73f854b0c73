//! `heat`: H3 cells coloured by the number of incidents reported in a time window, at
//! the resolution [`crate::incidents::heat_resolution`] picks for the zoom.

use crate::encode::{
    encode_polygon_with, AttrValue, GeomType, LayerBuilder, PolygonScratch, WorldShape,
};
use crate::incidents::{heat_resolution, HeatQuery, IncidentIndex};
use crate::render::RenderCtx;
use geo_types::{LineString, MultiPolygon, Polygon};
use geozero::mvt::tile;

/// Attributes of the `heat` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    (
        "count",
        "Incidents reported in the requested window (?window=24h|7d|30d|…, default 30d) and categories (?category=)",
    ),
    ("h3", "H3 cell index (hexadecimal)"),
    ("res", "H3 resolution (follows the zoom)"),
];

pub(crate) fn render(index: &IncidentIndex, ctx: &RenderCtx, q: &HeatQuery) -> Option<tile::Layer> {
    let res = heat_resolution(ctx.zoom);
    let w = ctx.world;
    let cells = index.heat_cells_in(res, [w.min().x, w.min().y, w.max().x, w.max().y], q);
    let mut b = LayerBuilder::with_capacity("heat", ctx.transform.extent(), cells.len());
    let mut scratch = PolygonScratch::default();
    let names: Vec<String> = cells.iter().map(|(c, _)| c.to_string()).collect();
    for ((cell, count), name) in cells.iter().zip(&names) {
        let ring: LineString<f64> = cell.boundary().iter().map(|v| (v.lng(), v.lat())).collect();
        let shape = WorldShape::from_lonlat(&MultiPolygon(vec![Polygon::new(ring, vec![])]));
        let Some(geom) = encode_polygon_with(&shape, &ctx.transform, &mut scratch) else {
            continue;
        };
        b.add(
            u64::from(*cell),
            GeomType::Polygon,
            geom,
            &[
                ("count", AttrValue::Uint(u64::from(*count))),
                ("h3", AttrValue::Str(name)),
                ("res", AttrValue::Uint(u64::from(u8::from(res)))),
            ],
        );
    }
    b.finish()
}
