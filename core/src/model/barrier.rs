//! Barriers: roads, rivers and railways that grids should not straddle.

use geo_types::MultiLineString;
use serde::{Deserialize, Serialize};

/// A line feature that splits a village for partitioning (e.g. OSM
/// `highway=primary|secondary|tertiary|residential`, `waterway=*`, `railway=*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Barrier {
    /// Stable key from the source (e.g. `osm:way/12`), re-imports update by it.
    pub source_id: String,
    /// `road`, `river` or `railway` (free text from the source is kept as is).
    pub kind: String,
    /// WGS84 lon/lat lines.
    pub line: MultiLineString<f64>,
}
