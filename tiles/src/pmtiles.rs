//! PMTiles v3 export: every tile of the data's bounds over a zoom range in one
//! archive, for offline maps.
//!
//! # Algorithm
//! For each zoom, the tiles covering the data bounds are listed, sorted by PMTiles
//! tile id (Hilbert order, so the archive is clustered), drawn in parallel batches
//! with [`encode_tile`] and appended in order. Tiles with no features are skipped
//! (the format cannot store empty tiles); identical tiles are stored once by the
//! `pmtiles` writer. Tile data is gzip-compressed; metadata holds `vector_layers`.

use crate::coord::{tiles_in_bbox, TileCoord, MAX_ZOOM};
use crate::error::{TileError, TileResult};
use crate::layers::Layer;
use crate::render::encode_tile;
use crate::TileData;
use ::pmtiles::{Compression, PmTilesWriter, TileType};
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::fs::File;
use std::path::Path;

/// Tiles drawn per parallel batch.
const BATCH: usize = 512;

/// What [`write_pmtiles`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PmtilesSummary {
    /// Tile addresses visited.
    pub visited: u64,
    /// Non-empty tiles stored.
    pub tiles: u64,
    /// Total uncompressed MVT bytes of the stored tiles.
    pub raw_bytes: u64,
}

/// Writes a PMTiles v3 archive of `layers` for zooms `minzoom..=maxzoom` to `path`.
/// `progress` gets its length set to the number of tile addresses and is advanced as
/// tiles are drawn (pass `ProgressBar::hidden()` for none).
///
/// ```no_run
/// use std::sync::Arc;
/// use gridmap_core::snapshot::CountySnapshot;
/// use gridmap_tiles::{write_pmtiles, Layer, TileData, TileParams};
/// let data = TileData::new(Arc::new(CountySnapshot::new(vec![], vec![], vec![], vec![])), TileParams::default());
/// let summary = write_pmtiles("county.pmtiles".as_ref(), &data, &[Layer::Grids], 12, 16,
///                             &indicatif::ProgressBar::hidden(), None).unwrap();
/// assert_eq!(summary.tiles, 0);
/// ```
#[tracing::instrument(level = "info", skip_all, err(Debug), fields(
    pmtiles.path = %path.display(), layer.id = %Layer::list_name(layers), minzoom, maxzoom))]
pub fn write_pmtiles(
    path: &Path,
    data: &TileData,
    layers: &[Layer],
    minzoom: u8,
    maxzoom: u8,
    progress: &ProgressBar,
    attribution: Option<&str>,
) -> TileResult<PmtilesSummary> {
    if minzoom > maxzoom || maxzoom > MAX_ZOOM {
        return Err(TileError::InvalidZoomRange {
            min: minzoom,
            max: maxzoom,
            limit: MAX_ZOOM,
        });
    }
    let io = |source| TileError::Io {
        path: path.to_owned(),
        source,
    };
    let pmt = |source| TileError::Pmtiles {
        path: path.to_owned(),
        source,
    };
    let tj = crate::tilejson::tilejson(layers, "", data, attribution);
    let mut meta = serde_json::json!({
        "name": tj.get("name").cloned().unwrap_or_default(),
        "format": "pbf",
        "type": "overlay",
        "vector_layers": tj.get("vector_layers").cloned().unwrap_or_default(),
    });
    if let (Some(a), Some(obj)) = (attribution, meta.as_object_mut()) {
        obj.insert(
            "attribution".into(),
            serde_json::Value::String(a.to_owned()),
        );
    }
    let (b, centre) = match data.bounds() {
        Some(b) => (b, b.center()),
        None => (
            geo_types::Rect::new((0.0, 0.0), (0.0, 0.0)),
            geo_types::coord! { x: 0.0, y: 0.0 },
        ),
    };
    let file = File::create(path).map_err(io)?;
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .tile_compression(Compression::Gzip)
        .internal_compression(Compression::Gzip)
        .min_zoom(minzoom)
        .max_zoom(maxzoom)
        .bounds(b.min().x, b.min().y, b.max().x, b.max().y)
        .center(centre.x, centre.y)
        .center_zoom(minzoom.max(13).min(maxzoom))
        .metadata(meta.to_string())
        .create(file)
        .map_err(pmt)?;

    let lowest = layers.iter().map(|l| l.min_zoom()).min().unwrap_or(u8::MAX);
    let mut per_zoom: Vec<Vec<(u64, TileCoord)>> = Vec::new();
    if data.bounds().is_some() {
        for z in minzoom.max(lowest)..=maxzoom {
            let mut tiles: Vec<(u64, TileCoord)> = tiles_in_bbox(b, z)
                .filter_map(|t| {
                    let c = ::pmtiles::TileCoord::new(t.z(), t.x(), t.y()).ok()?;
                    Some((::pmtiles::TileId::from(c).value(), t))
                })
                .collect();
            tiles.sort_unstable_by_key(|(id, _)| *id);
            per_zoom.push(tiles);
        }
    }
    progress.set_length(per_zoom.iter().map(|t| t.len() as u64).sum());
    let mut summary = PmtilesSummary::default();
    for tiles in &per_zoom {
        for batch in tiles.chunks(BATCH) {
            let drawn: Vec<TileResult<(TileCoord, Vec<u8>)>> = batch
                .par_iter()
                .map(|&(_, t)| encode_tile(data, layers, t).map(|bytes| (t, bytes)))
                .collect();
            for r in drawn {
                let (t, bytes) = r?;
                summary.visited += 1;
                if !bytes.is_empty() {
                    let coord = ::pmtiles::TileCoord::new(t.z(), t.x(), t.y()).map_err(pmt)?;
                    writer.add_tile(coord, &bytes).map_err(pmt)?;
                    summary.tiles += 1;
                    summary.raw_bytes += bytes.len() as u64;
                }
            }
            progress.inc(batch.len() as u64);
        }
    }
    writer.finalize().map_err(pmt)?;
    progress.finish();
    Ok(summary)
}
