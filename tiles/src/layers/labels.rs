//! `grid_labels`: one point per grid at its pole of inaccessibility.

use crate::encode::{encode_point, AttrValue, GeomType, LayerBuilder};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::tile;

/// Attributes of the `grid_labels` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("code", "Grid code"),
    (
        "level",
        "1 for grids that hold households (micro-grids where nested), 2 for comprehensive grids",
    ),
    (
        "name",
        "Name planners gave the grid (absent when it has none)",
    ),
    ("households", "Households in the grid"),
    (
        "institution",
        "True for an institution's grid (a school, a hospital: no households; present only then)",
    ),
    (
        "staff",
        "Name of the responsible staff member (absent when none is assigned)",
    ),
    (
        "stacked",
        "For a grid on a building's footprint: how many grids hold that building (absent otherwise)",
    ),
];

pub(crate) fn render(data: &TileData, ctx: &RenderCtx) -> Option<tile::Layer> {
    let snap = data.snapshot();
    let mut idx: Vec<usize> = snap.grids_in(ctx.query).collect();
    idx.sort_unstable();
    let mut b = LayerBuilder::new("grid_labels", ctx.transform.extent());
    let mut attrs = Vec::with_capacity(FIELDS.len());
    for i in idx {
        let (Some(grid), Some(Some(p))) = (snap.grids.get(i), data.grid_labels.get(i)) else {
            continue;
        };
        let Some(geom) = encode_point(*p, &ctx.transform) else {
            continue;
        };
        attrs.clear();
        attrs.push(("code", AttrValue::Str(grid.code.as_str())));
        attrs.push(("level", AttrValue::Uint(u64::from(grid.level))));
        attrs.push(("households", AttrValue::Uint(u64::from(grid.households))));
        if grid.institution {
            attrs.push(("institution", AttrValue::Bool(true)));
        }
        if let Some(name) = grid.name.as_deref() {
            attrs.push(("name", AttrValue::Str(name)));
        }
        if let Some(staff) = grid.staff.as_deref().and_then(|id| snap.staff_member(id)) {
            attrs.push(("staff", AttrValue::Str(&staff.name)));
        }
        let stack = data.grid_stack(i);
        if stack > 0 {
            attrs.push(("stacked", AttrValue::Uint(u64::from(stack))));
        }
        b.add(i as u64 + 1, GeomType::Point, geom, &attrs);
    }
    b.finish()
}
