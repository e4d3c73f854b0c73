//! `grids`: management grid polygons with size, staff name, map colour and flags.

use crate::encode::{encode_polygon_with, AttrValue, GeomType, LayerBuilder, PolygonScratch};
use crate::render::RenderCtx;
use crate::TileData;
use geozero::mvt::tile;

/// Attributes of the `grids` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    (
        "code",
        "Grid code: 12-digit village code, dash, 3-digit serial; a micro-grid adds a dash and a 2-digit serial to its comprehensive grid's code",
    ),
    (
        "level",
        "1 for grids that hold households (the only level, or micro-grids 微网格), 2 for comprehensive grids (综治网格) where grids are nested",
    ),
    (
        "parent",
        "Code of the comprehensive grid a micro-grid nests in (absent otherwise)",
    ),
    (
        "name",
        "Name planners gave the grid (absent when it has none)",
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
    (
        "stacked",
        "For a grid stacked on a building footprint (tower or institution grid): grids holding flats of that building, all listed by a click on it (absent for ground grids)",
    ),
];

pub(crate) fn render(data: &TileData, ctx: &RenderCtx) -> Option<tile::Layer> {
    let snap = data.snapshot();
    let mut idx: Vec<usize> = snap.grids_in(ctx.query).collect();
    // Comprehensive grids first, then ground grids, then stacked grids (drawn on top).
    let top = |i: usize| snap.grids.get(i).is_some_and(|g| g.is_comprehensive());
    idx.sort_unstable_by_key(|&i| (!top(i), data.grid_stack(i) > 0, i));
    let mut b = LayerBuilder::new("grids", ctx.transform.extent());
    let mut scratch = PolygonScratch::default();
    let mut attrs = Vec::with_capacity(FIELDS.len());
    for i in idx {
        let (Some(grid), Some(shape)) = (snap.grids.get(i), data.grid_shapes.get(i)) else {
            continue;
        };
        let Some(geom) = encode_polygon_with(shape, &ctx.transform, &mut scratch) else {
            continue;
        };
        attrs.clear();
        attrs.extend([
            ("code", AttrValue::Str(grid.code.as_str())),
            ("level", AttrValue::Uint(u64::from(grid.level))),
            ("village", AttrValue::Str(grid.village.as_str())),
            ("households", AttrValue::Uint(u64::from(grid.households))),
            ("buildings", AttrValue::Uint(grid.members.len() as u64)),
            (
                "colour",
                AttrValue::Uint(u64::from(data.grid_colour(i).unwrap_or(0))),
            ),
            ("institution", AttrValue::Bool(grid.institution)),
            ("locked", AttrValue::Bool(grid.locked)),
        ]);
        if let Some(name) = grid.name.as_deref() {
            attrs.push(("name", AttrValue::Str(name)));
        }
        if let Some(parent) = &grid.parent {
            attrs.push(("parent", AttrValue::Str(parent.as_str())));
        }
        if let Some(staff) = grid.staff.as_deref().and_then(|id| snap.staff_member(id)) {
            attrs.push(("staff", AttrValue::Str(&staff.name)));
        }
        let stack = data.grid_stack(i);
        if stack > 0 {
            attrs.push(("stacked", AttrValue::Uint(u64::from(stack))));
        }
        if let Some(flags) = data.grid_flags(i).filter(|f| !f.is_empty()) {
            attrs.push(("flags", AttrValue::Str(flags)));
        }
        b.add(i as u64 + 1, GeomType::Polygon, geom, &attrs);
    }
    b.finish()
}
