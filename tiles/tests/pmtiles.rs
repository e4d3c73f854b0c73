//! Writes a PMTiles archive of the fixture and reads it back with a small,
//! independent parser of the v3 header and root directory.

mod common;

use geozero::mvt::{Message, Tile};
use gridmap_tiles::{write_pmtiles, Layer, TileCoord, TileData, TileParams};
use std::io::Read;
use std::sync::Arc;

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn varints(b: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut v, mut shift) = (0u64, 0);
    for &byte in b {
        v |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            out.push(v);
            v = 0;
            shift = 0;
        }
    }
    out
}

/// (tile_id, offset, length, run_length) entries of a directory.
fn directory(b: &[u8]) -> Vec<(u64, u64, u64, u64)> {
    let v = varints(b);
    let n = v[0] as usize;
    let ids = &v[1..1 + n];
    let runs = &v[1 + n..1 + 2 * n];
    let lens = &v[1 + 2 * n..1 + 3 * n];
    let offs = &v[1 + 3 * n..1 + 4 * n];
    let mut out = Vec::new();
    let (mut id, mut prev_end) = (0, 0);
    for i in 0..n {
        id += ids[i];
        let off = if offs[i] == 0 && i > 0 {
            prev_end
        } else {
            offs[i] - 1
        };
        prev_end = off + lens[i];
        out.push((id, off, lens[i], runs[i]));
    }
    out
}

#[test]
fn the_archive_reads_back_with_its_metadata_and_tiles() {
    let f = common::fixture();
    let data = TileData::new(Arc::clone(&f.snapshot), TileParams::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("county.pmtiles");
    let layers = [Layer::Grids, Layer::Buildings];
    let bar = indicatif::ProgressBar::hidden();
    let summary = write_pmtiles(
        &path,
        &data,
        &layers,
        12,
        15,
        &bar,
        Some("test attribution"),
    )
    .unwrap();
    assert!(summary.tiles >= 4, "{summary:?}");
    assert_eq!(bar.position(), summary.visited);

    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3, "spec version");
    let (root_off, root_len) = (u64_at(&bytes, 8) as usize, u64_at(&bytes, 16) as usize);
    let (meta_off, meta_len) = (u64_at(&bytes, 24) as usize, u64_at(&bytes, 32) as usize);
    let data_off = u64_at(&bytes, 56) as usize;
    assert_eq!(bytes[98], 2, "tile compression gzip");
    assert_eq!(bytes[99], 1, "tile type mvt");
    assert_eq!((bytes[100], bytes[101]), (12, 15));

    let meta: serde_json::Value =
        serde_json::from_slice(&gunzip(&bytes[meta_off..meta_off + meta_len])).unwrap();
    let ids: Vec<&str> = meta["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["grids", "buildings"]);
    assert_eq!(meta["attribution"], "test attribution");

    let entries = directory(&gunzip(&bytes[root_off..root_off + root_len]));
    assert!(
        entries.iter().all(|e| e.3 > 0),
        "a small archive has no leaf directories"
    );
    assert_eq!(entries.iter().map(|e| e.3).sum::<u64>(), summary.tiles);

    // The z14 tile holding the fixture: stored, and decodes to both layers.
    let z13 = common::home_z13();
    let z14 = TileCoord::new(14, z13.x() * 2, z13.y() * 2).unwrap();
    let id = pmtiles::TileId::from(pmtiles::TileCoord::new(14, z14.x(), z14.y()).unwrap()).value();
    let e = entries
        .iter()
        .find(|e| e.0 <= id && id < e.0 + e.3)
        .expect("tile stored");
    let start = data_off + e.1 as usize;
    let tile = Tile::decode(&gunzip(&bytes[start..start + e.2 as usize])[..]).unwrap();
    let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["grids", "buildings"]);
    assert_eq!(tile.layers[1].features.len(), 8);
}

#[test]
fn a_bad_zoom_range_is_refused() {
    let f = common::fixture();
    let data = TileData::new(f.snapshot, TileParams::default());
    let dir = tempfile::tempdir().unwrap();
    let bar = indicatif::ProgressBar::hidden();
    let err = write_pmtiles(
        &dir.path().join("x.pmtiles"),
        &data,
        &[Layer::Grids],
        15,
        12,
        &bar,
        None,
    )
    .unwrap_err();
    assert!(err.is_user_error());
}
