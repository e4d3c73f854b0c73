//! # gridmap-core
//!
//! The domain model of grid-based community management (网格化管理) and the grid
//! partitioner. This crate is pure: it does no file, network or database IO, so every
//! other crate (importers, store, tiles, the HTTP service) can depend on it.
//!
//! All coordinates in this crate are WGS84 longitude/latitude degrees (EPSG:4326)
//! unless a type says otherwise.
//!
//! ## Model
//! - [`model::DivisionCode`], [`model::AdminUnit`]: county → township → village, with
//!   12-digit statistical division codes.
//! - [`model::Building`]: footprints with use, levels and household counts
//!   (registered or estimated).
//! - [`model::Household`]: a flat and its register entry (personal data).
//! - [`model::Grid`], [`model::GridCode`]: management grids and their members.
//! - [`model::Staff`], [`model::Incident`]; [`incident`]: the incident loop's taxonomy,
//!   working calendar and state machine.
//!
//! ## Partitioning
//! - [`partition::partition_village`], [`partition::partition_all`]: cut villages into
//!   contiguous, compact grids of 30–50 households (Delaunay neighbour graph, inertial
//!   bisection, boundary refinement, Voronoi polygons); [`partition::validate_grids`]
//!   lists violations; [`partition::QualityReport`] sums a run.
//! - [`edit`]: the planner's edits (move buildings, merge, delete) as pure functions;
//!   [`partition::rebuild_polygons`] draws the polygons again after them.
//! - [`staffing`]: who serves which grid, proposed from homes and balanced loads.
//! - [`coverage`]: which share of each grid the working cameras see.
//! - [`mercator`]: the Web-Mercator projection of tiles and of PostGIS's tile copy.
//! - [`flags::GridFlags`]: the per-grid rule checks shown by the API, the tiles and the
//!   validator.
#![forbid(unsafe_code)]

pub mod assign;
pub mod coverage;
pub mod disjoint;
pub mod edit;
pub mod flags;
pub mod geometry;
pub mod incident;
pub mod mercator;
pub mod model;
pub mod partition;
pub mod snapshot;
pub mod staffing;
pub mod time;

pub use model::*;
pub use partition::Partition;
