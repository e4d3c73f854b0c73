#![doc = include_str!("../README.md")]
//!
//! ## Modules
//! - [`coord`]: [`TileCoord`] parsing/validation, Web-Mercator projection, tile ranges.
//! - [`clip`], [`simplify`], [`encode`]: the geometry pipeline and MVT command encoding.
//! - [`layers`]: the [`Layer`] list with zoom ranges and documented attributes.
//! - [`colour`]: grid adjacency and DSatur map colouring.
//! - [`incidents`]: [`incidents::IncidentIndex`], live incidents with incremental H3
//!   heat counts for the `heat` and `incidents` layers ([`encode_incident_tile`]);
//!   [`point_buckets`]: its point index.
//! - [`label_point`]: pole of inaccessibility for grid labels.
//! - [`TileData`] (in `data`): per-snapshot precomputation; [`encode_tile`] draws a tile.
//! - [`cache`]: [`TileCache`], an LRU of encoded tiles, compressed on demand, with exact
//!   purging; [`compress`]: the [`Encoding`]s and their compressors.
//! - [`mod@tilejson`]: TileJSON 3.0 and the layer [`catalog`].
//! - [`pmtiles`]: [`write_pmtiles`], a PMTiles v3 export.
//! - [`mod@bench`]: an in-process render benchmark.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod cache;
pub mod clip;
pub mod colour;
pub mod compress;
pub mod coord;
mod data;
pub mod encode;
mod error;
pub mod incidents;
pub mod label_point;
mod layer_builder;
pub mod layers;
pub mod pmtiles;
pub mod point_buckets;
mod render;
pub mod simplify;
pub mod tilejson;

pub use crate::pmtiles::{write_pmtiles, PmtilesSummary};
pub use cache::{CacheStats, CachedTile, TileCache, TileKey};
pub use compress::Encoding;
pub use coord::{TileCoord, MAX_ZOOM};
pub use data::{AdminStats, TileData, TileParams};
pub use error::{TileError, TileResult};
pub use layers::{Layer, LayerGeometry};
pub use render::{encode_camera_tile, encode_incident_tile, encode_tile, render_tile};
pub use tilejson::{catalog, tilejson};
