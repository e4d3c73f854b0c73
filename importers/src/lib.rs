#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod coincide;
pub mod crs;
pub mod csv;
mod error;
pub mod estimate;
mod feature_source;
mod fgb;
pub mod format;
pub mod geojson;
mod gpkg;
pub mod osm;
mod progress;
pub mod projected;
pub mod repair;
mod report;
mod shp;
pub mod time;
mod validate;

pub use crate::csv::{
    read_cameras_csv, read_households_csv, read_incidents_csv, read_staff_csv, CsvOptions,
    TextEncoding,
};
pub use crate::geojson::{
    read_geojson_buildings, read_geojson_cameras, read_geojson_incidents, read_geojson_villages,
    GeoJsonOptions,
};
pub use crs::Crs;
pub use error::{ImportError, ImportResult};
pub use estimate::{estimate_households, EstimateOptions};
pub use osm::{read_osm, OsmData, OsmOptions};

pub use report::{ImportReport, Issue};
