//! The CSV readers (household register, staff roster, incidents, an edited plan) on any
//! bytes, in UTF-8 and GBK: an error is fine, a panic or a hang is not.
#![no_main]

#[path = "common.rs"]
mod common;

use gridmap_importers::csv::read_plan_csv;
use gridmap_importers::{read_households_csv, read_incidents_csv, read_staff_csv, CsvOptions};
use indicatif::ProgressBar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bar = ProgressBar::hidden();
    let path = common::as_file("in.csv", data);
    let options = CsvOptions::default();
    let _ = read_households_csv(&path, &options, &bar);
    let _ = read_staff_csv(&path, &options, &bar);
    let _ = read_incidents_csv(&path, &options, &bar);
    let _ = read_plan_csv(&path, data);
});
