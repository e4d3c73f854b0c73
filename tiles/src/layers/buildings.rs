//! `buildings`: footprints with use, levels, household counts and grid membership.

use crate::encode::{encode_polygon_with, AttrValue, GeomType, LayerBuilder, PolygonScratch};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::tile;

/// Attributes of the `buildings` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("id", "Stable source id of the building (e.g. osm:way/4242)"),
    ("use", "residential, institution or other"),
    ("levels", "Above-ground floors (absent when unknown)"),
    (
        "height",
        "Height in whole metres where the source gives one (absent otherwise: the 3D map raises levels × 3 m)",
    ),
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
    // Ids are distinct: about one string value per building, plus a few shared ones.
    let mut b = LayerBuilder::with_capacity("buildings", ctx.transform.extent(), idx.len() + 16);
    let mut scratch = PolygonScratch::default();
    let mut attrs = Vec::with_capacity(FIELDS.len());
    for i in idx {
        let (Some(bld), Some(shape)) = (snap.buildings.get(i), data.building_shapes.get(i)) else {
            continue;
        };
        let Some(geom) = encode_polygon_with(shape, &ctx.transform, &mut scratch) else {
            continue;
        };
        let grids = snap.grids_of_building(i);
        attrs.clear();
        attrs.extend([
            ("id", AttrValue::Str(&bld.source_id)),
            ("use", AttrValue::Str(bld.building_use.as_str())),
            (
                "households",
                AttrValue::Uint(u64::from(bld.households.count)),
            ),
            ("estimated", AttrValue::Bool(data.building_estimated(i))),
            ("split", AttrValue::Bool(grids.len() > 1)),
        ]);
        if let Some(levels) = bld.levels {
            attrs.push(("levels", AttrValue::Uint(u64::from(levels))));
        }
        if let Some(height) = whole_metres(bld.height) {
            attrs.push(("height", AttrValue::Uint(height)));
        }
        if let Some(codes) = data.building_grid_codes(i).filter(|c| !c.is_empty()) {
            attrs.push(("grids", AttrValue::Str(codes)));
        }
        b.add(i as u64 + 1, GeomType::Polygon, geom, &attrs);
    }
    b.finish()
}

/// A building's height rounded to whole metres, as the tiles carry it: absent when unknown
/// or not between 0.5 m and 10 km (the PostGIS tile statement applies the same bounds).
pub(crate) fn whole_metres(height: Option<f32>) -> Option<u64> {
    height
        .filter(|h| (0.5..10_000.0).contains(h))
        .map(|h| h.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::whole_metres;

    #[test]
    fn heights_are_rounded_to_whole_metres_and_nonsense_is_left_out() {
        assert_eq!(whole_metres(Some(17.6)), Some(18));
        assert_eq!(whole_metres(Some(0.5)), Some(1));
        assert_eq!(whole_metres(None), None);
        assert_eq!(whole_metres(Some(0.2)), None);
        assert_eq!(whole_metres(Some(f32::NAN)), None);
        assert_eq!(whole_metres(Some(f32::INFINITY)), None);
        assert_eq!(whole_metres(Some(-3.0)), None);
    }
}
