//! The OpenStreetMap PBF reader on any bytes: an error is fine, a panic or a hang is not.
#![no_main]

#[path = "common.rs"]
mod common;

use gridmap_importers::{read_osm, OsmOptions};
use indicatif::ProgressBar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::as_file("in.osm.pbf", data);
    let _ = read_osm(&path, &OsmOptions::default(), &ProgressBar::hidden());
});
