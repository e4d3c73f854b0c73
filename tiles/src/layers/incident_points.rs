//! `incidents`: one point per incident reported in the requested window, with what
//! and how far along; no description, reporter or phone.

use crate::coord::lonlat_to_world;
use crate::encode::{encode_point, AttrValue, GeomType, LayerBuilder};
use crate::incidents::{HeatQuery, IncidentIndex};
use crate::render::RenderCtx;
use geozero::mvt::tile;

/// Attributes of the `incidents` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("id", "Incident id (details at /api/incidents/{id})"),
    ("category", "Taxonomy group code"),
    ("type", "Taxonomy type code (absent for an old free category)"),
    ("status", "Where it is in the loop: reported, work_order, dispatched, in_progress, feedback, closed, evaluated, suspended, voided"),
    ("time", "Unix seconds of the report"),
    ("overdue", "Open and past its stage's deadline when the tile was drawn"),
];

pub(crate) fn render(
    index: &IncidentIndex,
    ctx: &RenderCtx,
    q: &HeatQuery,
    now: i64,
) -> Option<tile::Layer> {
    let w = ctx.world;
    let marks = index.points_in([w.min().x, w.min().y, w.max().x, w.max().y], q);
    let mut b = LayerBuilder::with_capacity("incidents", ctx.transform.extent(), marks.len());
    let mut attrs = Vec::with_capacity(FIELDS.len());
    for (i, m) in marks.iter().enumerate() {
        let (x, y) = lonlat_to_world(m.lon, m.lat);
        let Some(geom) = encode_point([x, y], &ctx.transform) else {
            continue;
        };
        attrs.clear();
        attrs.push(("id", AttrValue::Str(&m.id)));
        attrs.push(("category", AttrValue::Str(&m.category)));
        if let Some(t) = m.subcategory.as_deref() {
            attrs.push(("type", AttrValue::Str(t)));
        }
        attrs.push(("status", AttrValue::Str(m.status.as_str())));
        attrs.push(("time", AttrValue::Uint(u64::try_from(m.time).unwrap_or(0))));
        attrs.push(("overdue", AttrValue::Bool(m.is_overdue(now))));
        b.add(i as u64 + 1, GeomType::Point, geom, &attrs);
    }
    b.finish()
}
