//! `townships` and `villages`: administrative boundaries with household and grid
//! counts.

use crate::encode::{encode_polygon_with, AttrValue, GeomType, LayerBuilder, PolygonScratch};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::tile;
use gridmap_core::AdminLevel;

/// Attributes of the `townships` and `villages` layers.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("code", "12-digit statistical division code"),
    ("name", "Name of the township or village"),
    (
        "households",
        "Sum of the households of the buildings inside",
    ),
    ("grids", "Number of management grids inside"),
];

pub(crate) fn render(
    data: &TileData,
    ctx: &RenderCtx,
    level: AdminLevel,
    name: &'static str,
) -> Option<tile::Layer> {
    let snap = data.snapshot();
    let mut idx: Vec<usize> = snap.admin_units_of_level_in(level, ctx.query).collect();
    idx.sort_unstable();
    let mut b = LayerBuilder::new(name, ctx.transform.extent());
    let mut scratch = PolygonScratch::default();
    for i in idx {
        let (Some(unit), Some(shape)) = (snap.admin_units.get(i), data.admin_shapes.get(i)) else {
            continue;
        };
        let Some(geom) = encode_polygon_with(shape, &ctx.transform, &mut scratch) else {
            continue;
        };
        let stats = data.admin_stats(i).unwrap_or_default();
        b.add(
            i as u64 + 1,
            GeomType::Polygon,
            geom,
            &[
                ("code", AttrValue::Str(unit.code.as_str())),
                ("name", AttrValue::Str(&unit.name)),
                ("households", AttrValue::Uint(stats.households)),
                ("grids", AttrValue::Uint(u64::from(stats.grids))),
            ],
        );
    }
    b.finish()
}
