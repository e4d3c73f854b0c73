//! # gridmap-importers
//!
//! Readers that turn files into [`gridmap_core`] model types, and a synthetic county
//! generator. Nothing here touches a database: the caller (the `gridmap` binary) pipes the
//! returned values into the store, so every reader is testable on its own.
//!
//! | source | function | yields |
//! | --- | --- | --- |
//! | GeoJSON / GeoJSONSeq villages | [`read_geojson_villages`] | [`AdminUnit`](gridmap_core::AdminUnit)s |
//! | GeoJSON / GeoJSONSeq buildings | [`read_geojson_buildings`] | [`Building`](gridmap_core::Building)s |
//! | OpenStreetMap PBF | [`read_osm`] | admin units, buildings, barriers |
//! | household register CSV | [`read_households_csv`] | [`Household`](gridmap_core::Household)s |
//! | staff roster CSV | [`read_staff_csv`] | [`Staff`](gridmap_core::Staff) |
//! | incidents CSV | [`read_incidents_csv`] | [`Incident`](gridmap_core::Incident)s |
//! | (generated) | [`synth::synth_county`] | a whole county |
//!
//! Every reader takes an [`indicatif::ProgressBar`] (pass `ProgressBar::hidden()` when no
//! progress should be shown) and returns an [`ImportReport`] next to its values: bad
//! features are listed there (file, feature index, id and reason) and the import goes on.
//! Only problems with the file as a whole (missing, truncated, not UTF-8) are an
//! [`ImportError`].
//!
//! Geometry goes through [`repair`] (ring closure, orientation, duplicate points, tiny
//! holes; self-intersections and out-of-range coordinates are rejected) and, when the input
//! is not WGS84, through [`crs::Crs::to_wgs84`].
//!
//! Households of residential buildings that have no registered count are estimated with
//! [`estimate_households`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crs;
pub mod csv;
mod error;
pub mod estimate;
pub mod geojson;
pub mod osm;
mod progress;
pub mod repair;
mod report;
pub mod synth;
pub mod time;

pub use crate::csv::{
    read_households_csv, read_incidents_csv, read_staff_csv, CsvOptions, TextEncoding,
};
pub use crate::geojson::{read_geojson_buildings, read_geojson_villages, GeoJsonOptions};
pub use crs::Crs;
pub use error::{ImportError, ImportResult};
pub use estimate::{estimate_households, EstimateOptions};
pub use osm::{read_osm, OsmData, OsmOptions};

pub use report::{ImportReport, Issue};
