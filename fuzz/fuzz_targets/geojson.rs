//! The GeoJSON readers (villages, buildings, incidents; a FeatureCollection or one
//! feature per line) on any bytes: an error is fine, a panic or a hang is not.
#![no_main]

#[path = "common.rs"]
mod common;

use gridmap_importers::{
    read_geojson_buildings, read_geojson_incidents, read_geojson_villages, GeoJsonOptions,
};
use indicatif::ProgressBar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = GeoJsonOptions {
        // Small, so that a fuzzed polygon meets the limit instead of the time-out.
        max_vertices: 10_000,
        ..GeoJsonOptions::default()
    };
    let bar = ProgressBar::hidden();
    for name in ["in.geojson", "in.geojsonl"] {
        let path = common::as_file(name, data);
        let _ = read_geojson_villages(&path, &options, &bar);
        let _ = read_geojson_buildings(&path, &options, &bar);
        let _ = read_geojson_incidents(&path, &options, &bar);
    }
});
