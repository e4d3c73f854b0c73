//! `cameras`: per camera its position (`kind` `camera`) and the sector it sees (`kind`
//! `sector`), with name, direction, field of view, range and status. Drawn from the
//! camera list ([`CameraTiles`], see [`crate::encode_camera_tile`]), not from the
//! county snapshot.

use crate::coord::lonlat_to_world;
use crate::encode::{encode_point, encode_polygon_with, AttrValue, GeomType, LayerBuilder};
use crate::encode::{PolygonScratch, WorldShape};
use crate::render::RenderCtx;
use geo_types::MultiPolygon;
use geozero::mvt::tile;
use gridmap_core::coverage::view_sector;
use gridmap_core::Camera;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// Attributes of the `cameras` layer.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("kind", "`camera` (its position) or `sector` (what it sees)"),
    ("id", "The video platform's camera id"),
    ("name", "Name of the camera point (点位名称)"),
    (
        "direction",
        "Compass bearing it looks along, whole degrees (absent for a dome)",
    ),
    ("fov", "Horizontal field of view, whole degrees"),
    ("range", "How far it sees, whole metres"),
    ("status", "online, offline or fault"),
];

type SectorBox = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The cameras in world coordinates, indexed by the box of their sectors.
///
/// ```
/// use gridmap_core::{Camera, CameraStatus};
/// use gridmap_tiles::layers::CameraTiles;
/// let c = Camera {
///     id: "C1".into(), name: "东门".into(), position: geo_types::Point::new(114.6, 33.8),
///     direction: Some(90.0), fov: 60.0, range: 80.0, status: CameraStatus::Online,
/// };
/// let tiles = CameraTiles::new(vec![c]);
/// assert_eq!(tiles.len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct CameraTiles {
    cameras: Vec<Camera>,
    points: Vec<[f64; 2]>,
    sectors: Vec<WorldShape>,
    tree: RTree<SectorBox>,
}

impl CameraTiles {
    /// Projects and indexes `cameras`.
    pub fn new(cameras: Vec<Camera>) -> CameraTiles {
        let points: Vec<[f64; 2]> = cameras
            .iter()
            .map(|c| {
                let (x, y) = lonlat_to_world(c.position.x(), c.position.y());
                [x, y]
            })
            .collect();
        let sectors: Vec<WorldShape> = cameras
            .iter()
            .map(|c| WorldShape::from_lonlat(&MultiPolygon(vec![view_sector(c)])))
            .collect();
        let tree = RTree::bulk_load(
            sectors
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let [x0, y0, x1, y1] = s.bbox;
                    GeomWithData::new(Rectangle::from_corners([x0, y0], [x1, y1]), i)
                })
                .collect(),
        );
        CameraTiles {
            cameras,
            points,
            sectors,
            tree,
        }
    }

    /// How many cameras there are.
    pub fn len(&self) -> usize {
        self.cameras.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.cameras.is_empty()
    }
}

pub(crate) fn render(index: &CameraTiles, ctx: &RenderCtx) -> Option<tile::Layer> {
    let w = ctx.world;
    let query = AABB::from_corners([w.min().x, w.min().y], [w.max().x, w.max().y]);
    let mut found: Vec<usize> = index
        .tree
        .locate_in_envelope_intersecting(&query)
        .map(|b| b.data)
        .collect();
    found.sort_unstable();
    let mut b = LayerBuilder::with_capacity("cameras", ctx.transform.extent(), found.len() * 2);
    let mut scratch = PolygonScratch::default();
    let mut attrs = Vec::with_capacity(FIELDS.len());
    for i in found {
        let c = &index.cameras[i];
        attrs.clear();
        attrs.push(("id", AttrValue::Str(&c.id)));
        attrs.push(("name", AttrValue::Str(&c.name)));
        if let Some(d) = c.direction {
            attrs.push(("direction", whole(d)));
        }
        attrs.push(("fov", whole(c.fov)));
        attrs.push(("range", whole(c.range)));
        attrs.push(("status", AttrValue::Str(c.status.as_str())));
        // Feature ids: 2i+1 the sector, 2i+2 the point.
        if let Some(geom) = encode_polygon_with(&index.sectors[i], &ctx.transform, &mut scratch) {
            attrs.push(("kind", AttrValue::Str("sector")));
            b.add(2 * i as u64 + 1, GeomType::Polygon, geom, &attrs);
            attrs.pop();
        }
        if let Some(geom) = encode_point(index.points[i], &ctx.transform) {
            attrs.push(("kind", AttrValue::Str("camera")));
            b.add(2 * i as u64 + 2, GeomType::Point, geom, &attrs);
        }
    }
    b.finish()
}

/// A non-negative number rounded to a whole one (MVT values here are integers).
fn whole(v: f64) -> AttrValue<'static> {
    AttrValue::Uint(v.max(0.0).round() as u64)
}
