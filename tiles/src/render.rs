//! Drawing one composite tile: every requested layer, clipped to the buffered tile
//! and encoded as one MVT message.

use crate::coord::TileCoord;
use crate::encode::TileTransform;
use crate::error::TileResult;
use crate::incidents::{HeatQuery, IncidentIndex};
use crate::layers::{render_layer, Layer};
use crate::TileData;
use geo_types::Rect;
use geozero::mvt::{Message, Tile};

/// What every layer renderer needs to know about the tile being drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderCtx {
    /// World → tile transform with generalisation settings.
    pub transform: TileTransform,
    /// Buffered tile bounds in WGS84, for R-tree queries.
    pub query: Rect<f64>,
    /// Buffered tile bounds in world coordinates.
    pub world: Rect<f64>,
    /// The tile's zoom.
    pub zoom: u8,
}

impl RenderCtx {
    fn new(coord: TileCoord, params: &crate::TileParams, min_feature_px: f64) -> RenderCtx {
        let transform = TileTransform::new(
            coord,
            params.extent,
            params.buffer,
            params.simplify_px,
            min_feature_px,
        );
        RenderCtx {
            transform,
            query: coord.lonlat_bounds(params.buffer_fraction()),
            world: coord.world_bounds(params.buffer_fraction()),
            zoom: coord.z(),
        }
    }
}

/// Draws the tile `coord` with `layers` (in that order) and returns the uncompressed
/// MVT bytes. Layers below their minimum zoom, layers with no features in the tile,
/// and the incident layers (`incidents`, `heat`: see [`encode_incident_tile`]) are left out, so a tile with nothing in
/// it is zero bytes long (an empty MVT message).
///
/// If the tile is larger than [`crate::TileParams::max_tile_bytes`], it is drawn again
/// with a coarser minimum feature size (2, 8, then 32 screen pixels) until it fits.
///
/// ```
/// use std::sync::Arc;
/// use gridmap_core::snapshot::CountySnapshot;
/// use gridmap_tiles::{encode_tile, Layer, TileCoord, TileData, TileParams};
/// let data = TileData::new(Arc::new(CountySnapshot::new(vec![], vec![], vec![], vec![])), TileParams::default());
/// let bytes = encode_tile(&data, &[Layer::Grids], TileCoord::new(14, 13400, 6200).unwrap()).unwrap();
/// assert!(bytes.is_empty());
/// ```
#[tracing::instrument(level = "debug", skip_all, err(Debug), fields(
    tile.z = coord.z(), tile.x = coord.x(), tile.y = coord.y(),
    layer.id = %Layer::list_name(layers), tile.bytes = tracing::field::Empty))]
pub fn encode_tile(data: &TileData, layers: &[Layer], coord: TileCoord) -> TileResult<Vec<u8>> {
    let params = data.params();
    let mut min_px = params.min_feature_px;
    let mut best = render_tile(data, layers, coord, min_px).encode_to_vec();
    for _ in 0..3 {
        if best.len() <= params.max_tile_bytes {
            break;
        }
        min_px = (min_px * 4.0).max(2.0);
        let next = render_tile(data, layers, coord, min_px).encode_to_vec();
        if next.len() < best.len() {
            best = next;
        }
    }
    tracing::Span::current().record("tile.bytes", best.len());
    if best.len() > params.max_tile_bytes {
        tracing::debug!(
            bytes = best.len(),
            "tile still above the size limit after generalisation"
        );
    }
    Ok(best)
}

/// Draws the tile as a prost message (for callers that want to inspect it).
pub fn render_tile(
    data: &TileData,
    layers: &[Layer],
    coord: TileCoord,
    min_feature_px: f64,
) -> Tile {
    let ctx = RenderCtx::new(coord, data.params(), min_feature_px);
    draw_layers(layers, coord, |layer| render_layer(layer, data, &ctx))
}

/// A tile of `layers` (each once, in order, from its minimum zoom) drawn by `draw`.
fn draw_layers(
    layers: &[Layer],
    coord: TileCoord,
    mut draw: impl FnMut(Layer) -> Option<geozero::mvt::tile::Layer>,
) -> Tile {
    let mut tile = Tile::default();
    let mut done: Vec<Layer> = Vec::with_capacity(layers.len());
    for &layer in layers {
        if done.contains(&layer) || coord.z() < layer.min_zoom() {
            continue;
        }
        done.push(layer);
        tile.layers.extend(draw(layer));
    }
    tile
}

/// Draws the tile `coord` of the incident layers (`heat`, `incidents`; others are left
/// out) from `index`: the incidents `query` selects, judged overdue at `now`. Returns
/// the uncompressed MVT bytes (empty when nothing is in the tile).
///
/// ```
/// use gridmap_tiles::incidents::{HeatQuery, IncidentIndex, IncidentMark};
/// use gridmap_tiles::{encode_incident_tile, Layer, TileCoord, TileParams};
/// let mut index = IncidentIndex::default();
/// index.upsert(IncidentMark::new("R1", 100, "environment", 114.5, 38.0));
/// let (x, y) = gridmap_tiles::coord::lonlat_to_world(114.5, 38.0);
/// let coord = TileCoord::new(10, (x * 1024.0) as u32, (y * 1024.0) as u32).unwrap();
/// let q = HeatQuery::new(0, 1_000);
/// let bytes = encode_incident_tile(&index, &[Layer::Heat], coord, &q, 0, &TileParams::default());
/// assert!(!bytes.is_empty());
/// let none = HeatQuery::new(1_000, 2_000);
/// assert!(encode_incident_tile(&index, &[Layer::Heat], coord, &none, 0, &TileParams::default()).is_empty());
/// ```
pub fn encode_incident_tile(
    index: &IncidentIndex,
    layers: &[Layer],
    coord: TileCoord,
    query: &HeatQuery,
    now: i64,
    params: &crate::TileParams,
) -> Vec<u8> {
    let ctx = RenderCtx::new(coord, params, params.min_feature_px);
    draw_layers(layers, coord, |layer| match layer {
        Layer::Heat => crate::layers::heat::render(index, &ctx, query),
        Layer::Incidents => crate::layers::incident_points::render(index, &ctx, query, now),
        _ => None,
    })
    .encode_to_vec()
}

/// Draws the tile `coord` of the `cameras` layer (others are left out) from `index`.
/// Returns the uncompressed MVT bytes (empty when no camera's sector reaches the tile).
///
/// ```
/// use gridmap_core::{Camera, CameraStatus};
/// use gridmap_tiles::layers::CameraTiles;
/// use gridmap_tiles::{encode_camera_tile, Layer, TileCoord, TileParams};
/// let c = Camera {
///     id: "C1".into(), name: "东门".into(), position: geo_types::Point::new(114.6, 33.8),
///     direction: None, fov: 360.0, range: 40.0, status: CameraStatus::Online,
/// };
/// let index = CameraTiles::new(vec![c]);
/// let (x, y) = gridmap_tiles::coord::lonlat_to_world(114.6, 33.8);
/// let here = TileCoord::new(16, (x * 65536.0) as u32, (y * 65536.0) as u32).unwrap();
/// assert!(!encode_camera_tile(&index, &[Layer::Cameras], here, &TileParams::default()).is_empty());
/// let far = TileCoord::new(16, 0, 0).unwrap();
/// assert!(encode_camera_tile(&index, &[Layer::Cameras], far, &TileParams::default()).is_empty());
/// ```
pub fn encode_camera_tile(
    index: &crate::layers::CameraTiles,
    layers: &[Layer],
    coord: TileCoord,
    params: &crate::TileParams,
) -> Vec<u8> {
    let ctx = RenderCtx::new(coord, params, params.min_feature_px);
    draw_layers(layers, coord, |layer| match layer {
        Layer::Cameras => crate::layers::cameras::render(index, &ctx),
        _ => None,
    })
    .encode_to_vec()
}
