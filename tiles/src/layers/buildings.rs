//! `buildings`: footprints with use, levels, household counts and grid membership.

use crate::encode::{encode_polygon, GeomType, LayerBuilder};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::{tile, TileValue};

/// Attributes of the `buildings` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("id", "Stable source id of the building (e.g. osm:way/4242)"),
    ("use", "residential, institution or other"),
    ("levels", "Above-ground floors (absent when unknown)"),
    ("households", "Households living in the building"),
    (
        "estimated",
        "True when households were estimated from area × levels",
    ),
    (
        "grids",
        "Comma-separated codes of the grids holding its households (absent when none)",
    ),
    (
        "split",
        "True when the footprint is shared by several grids (a split high-rise)",
    ),
];

pub(crate) fn render(data: &TileData, ctx: &RenderCtx) -> Option<tile::Layer> {
    let snap = data.snapshot();
    let mut idx: Vec<usize> = snap.buildings_in(ctx.query).collect();
    idx.sort_unstable();
    let mut b = LayerBuilder::new("buildings", ctx.transform.extent());
    let mut codes = String::new();
    for i in idx {
        let (Some(bld), Some(shape)) = (snap.buildings.get(i), data.building_shapes.get(i)) else {
            continue;
        };
        let Some(geom) = encode_polygon(shape, &ctx.transform) else {
            continue;
        };
        let grids = snap.grids_of_building(i);
        let mut attrs = vec![
            ("id", TileValue::Str(bld.source_id.clone())),
            ("use", TileValue::Str(bld.building_use.as_str().to_owned())),
            (
                "households",
                TileValue::Uint(u64::from(bld.households.count)),
            ),
            ("estimated", TileValue::Bool(data.building_estimated(i))),
            ("split", TileValue::Bool(grids.len() > 1)),
        ];
        if let Some(levels) = bld.levels {
            attrs.push(("levels", TileValue::Uint(u64::from(levels))));
        }
        codes.clear();
        for g in grids.iter().filter_map(|&g| snap.grids.get(g)) {
            if !codes.is_empty() {
                codes.push(',');
            }
            codes.push_str(g.code.as_str());
        }
        if !codes.is_empty() {
            attrs.push(("grids", TileValue::Str(codes.clone())));
        }
        b.add(i as u64 + 1, GeomType::Polygon, geom, attrs);
    }
    b.finish()
}
