//! `grids`: management grid polygons with size, staff name, map colour and flags.

use crate::encode::{encode_polygon, GeomType, LayerBuilder};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::{tile, TileValue};

/// Attributes of the `grids` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    (
        "code",
        "Grid code: 12-digit village code, dash, 3-digit serial",
    ),
    ("village", "12-digit code of the village the grid lies in"),
    ("households", "Households in the grid"),
    (
        "buildings",
        "Number of buildings (or parts of split buildings) in the grid",
    ),
    (
        "staff",
        "Name of the responsible staff member (absent when none is assigned)",
    ),
    (
        "colour",
        "Map colour index 0..n; grids sharing a boundary never share one",
    ),
    (
        "flags",
        "Comma-separated violations: undersize, oversize, noncontiguous, outside_village (absent when none)",
    ),
    ("institution", "True for an institution's (vertical) grid"),
    (
        "locked",
        "True when re-partitioning keeps the grid as it is",
    ),
];

pub(crate) fn render(data: &TileData, ctx: &RenderCtx) -> Option<tile::Layer> {
    let snap = data.snapshot();
    let mut idx: Vec<usize> = snap.grids_in(ctx.query).collect();
    idx.sort_unstable();
    let mut b = LayerBuilder::new("grids", ctx.transform.extent());
    for i in idx {
        let (Some(grid), Some(shape)) = (snap.grids.get(i), data.grid_shapes.get(i)) else {
            continue;
        };
        let Some(geom) = encode_polygon(shape, &ctx.transform) else {
            continue;
        };
        let mut attrs = vec![
            ("code", TileValue::Str(grid.code.as_str().to_owned())),
            ("village", TileValue::Str(grid.village.as_str().to_owned())),
            ("households", TileValue::Uint(u64::from(grid.households))),
            ("buildings", TileValue::Uint(grid.members.len() as u64)),
            (
                "colour",
                TileValue::Uint(u64::from(data.grid_colour(i).unwrap_or(0))),
            ),
            ("institution", TileValue::Bool(grid.institution)),
            ("locked", TileValue::Bool(grid.locked)),
        ];
        if let Some(staff) = grid.staff.as_deref().and_then(|id| snap.staff_member(id)) {
            attrs.push(("staff", TileValue::Str(staff.name.clone())));
        }
        if let Some(flags) = data.grid_flags(i).filter(|f| !f.is_empty()) {
            attrs.push(("flags", TileValue::Str(flags.to_owned())));
        }
        b.add(i as u64 + 1, GeomType::Polygon, geom, attrs);
    }
    b.finish()
}
