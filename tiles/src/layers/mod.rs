//! The vector tile layers: names, zoom ranges, documented attributes, and the code
//! that fills each layer of a tile from a [`TileData`].
//!
//! | layer | geometry | from zoom | attributes |
//! | --- | --- | --- | --- |
//! | `townships` | polygon | 8 | `code`, `name`, `households`, `grids` |
//! | `villages` | polygon | 8 | `code`, `name`, `households`, `grids` |
//! | `grids` | polygon | 12 | `code`, `village`, `households`, `buildings`, `staff`, `colour`, `flags`, `institution`, `locked` |
//! | `grid_labels` | point | 13 | `code`, `households`, `staff` |
//! | `buildings` | polygon | 14 | `id`, `use`, `levels`, `households`, `estimated`, `grids`, `split` |
//! | `incidents` | point | 12 | `id`, `category`, `type`, `status`, `time`, `overdue` |
//! | `heat` | polygon | 6 | `count`, `h3`, `res` |
//! | `cameras` | point and polygon | 13 | `kind`, `id`, `name`, `direction`, `fov`, `range`, `status` |
//!
//! `incidents` and `heat` are drawn from the live incidents, not from the county
//! snapshot (see [`crate::encode_incident_tile`]); both take a time window and
//! categories. `cameras` is drawn from the camera list ([`CameraTiles`], see
//! [`crate::encode_camera_tile`]).
//!
//! No layer carries personal data: no household head, phone, member count or tag. The
//! only person named is the responsible staff member (name only, never the phone).
//! Layers are served at every zoom from their minimum zoom up to [`crate::MAX_ZOOM`];
//! TileJSON advertises [`DATA_MAX_ZOOM`] so clients over-zoom beyond it.
//!
//! Feature ids are the feature's index in its snapshot list plus one: stable while a
//! snapshot is served, not across snapshots. Identify features by `code` (admin units,
//! grids, labels) or `id` (buildings), e.g. with MapLibre's `promoteId`.

pub(crate) mod admin;
pub(crate) mod buildings;
pub(crate) mod cameras;
pub(crate) mod grids;
pub(crate) mod heat;
pub(crate) mod incident_points;
pub(crate) mod labels;

pub use cameras::CameraTiles;

use crate::error::{TileError, TileResult};
use crate::TileData;
use std::fmt;

/// Highest zoom advertised in TileJSON and the catalog.
pub const DATA_MAX_ZOOM: u8 = 18;

/// A tile layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Layer {
    /// Township (乡镇) boundaries.
    Townships,
    /// Village / community boundaries.
    Villages,
    /// Management grid polygons.
    Grids,
    /// One label point per grid.
    GridLabels,
    /// Building footprints.
    Buildings,
    /// Incident points.
    Incidents,
    /// Incident heat: H3 cells with counts.
    Heat,
    /// Video cameras and the sectors they see.
    Cameras,
}

/// What kind of geometry a layer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerGeometry {
    /// Polygons.
    Polygon,
    /// Points.
    Point,
}

impl Layer {
    /// Every layer, in the order used for versions and the catalog.
    pub const ALL: [Layer; 8] = [
        Layer::Townships,
        Layer::Villages,
        Layer::Grids,
        Layer::GridLabels,
        Layer::Buildings,
        Layer::Incidents,
        Layer::Heat,
        Layer::Cameras,
    ];

    /// The layer's name in tiles and URLs.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Townships => "townships",
            Layer::Villages => "villages",
            Layer::Grids => "grids",
            Layer::GridLabels => "grid_labels",
            Layer::Buildings => "buildings",
            Layer::Incidents => "incidents",
            Layer::Heat => "heat",
            Layer::Cameras => "cameras",
        }
    }

    /// Whether the layer is drawn from the live incidents ([`crate::encode_incident_tile`])
    /// rather than the county snapshot.
    pub fn is_incident_layer(self) -> bool {
        matches!(self, Layer::Incidents | Layer::Heat)
    }

    /// Whether the layer is drawn from the camera list ([`crate::encode_camera_tile`]).
    pub fn is_camera_layer(self) -> bool {
        self == Layer::Cameras
    }

    /// Whether the layer is drawn from the county snapshot ([`crate::encode_tile`]).
    pub fn is_county_layer(self) -> bool {
        !self.is_incident_layer() && !self.is_camera_layer()
    }

    /// Position in [`Layer::ALL`].
    pub fn index(self) -> usize {
        Layer::ALL.iter().position(|&l| l == self).unwrap_or(0)
    }

    /// The layer called `name`.
    ///
    /// ```
    /// use gridmap_tiles::Layer;
    /// assert_eq!(Layer::from_name("grids").unwrap(), Layer::Grids);
    /// let err = Layer::from_name("roads").unwrap_err().to_string();
    /// assert!(err.contains("unknown layer \"roads\""));
    /// assert!(err.contains("townships, villages, grids, grid_labels, buildings, incidents, heat, cameras"));
    /// ```
    pub fn from_name(name: &str) -> TileResult<Layer> {
        let name = name.trim();
        Layer::ALL
            .iter()
            .copied()
            .find(|l| l.name() == name)
            .ok_or_else(|| TileError::UnknownLayer {
                name: name.to_owned(),
                known: Layer::known_names(),
            })
    }

    /// Parses a comma-separated list such as `"grids,buildings"` into its one normal
    /// form: unknown names refused, duplicates dropped, layers in [`Layer::ALL`] order
    /// (the order inside the tile; the style, not the tile, decides what is drawn on
    /// top). Every spelling of a set of layers is one cache key and one metrics label.
    ///
    /// ```
    /// use gridmap_tiles::Layer;
    /// assert_eq!(Layer::parse_list("grids, buildings,grids").unwrap(), vec![Layer::Grids, Layer::Buildings]);
    /// assert_eq!(Layer::parse_list("buildings,grids").unwrap(), vec![Layer::Grids, Layer::Buildings]);
    /// assert!(Layer::parse_list("").is_err());
    /// assert!(Layer::parse_list("grids,roads").is_err());
    /// ```
    pub fn parse_list(list: &str) -> TileResult<Vec<Layer>> {
        let mut out: Vec<Layer> = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(Layer::from_name(part)?);
        }
        Layer::normalise(&mut out);
        if out.is_empty() {
            return Err(TileError::NoLayers {
                known: Layer::known_names(),
            });
        }
        Ok(out)
    }

    /// Puts `layers` in their normal form: [`Layer::ALL`] order, no duplicates.
    pub fn normalise(layers: &mut Vec<Layer>) {
        layers.sort_unstable();
        layers.dedup();
    }

    /// Joins layer names with commas, the inverse of [`Layer::parse_list`].
    ///
    /// ```
    /// use gridmap_tiles::Layer;
    /// assert_eq!(Layer::list_name(&[Layer::Grids, Layer::Buildings]), "grids,buildings");
    /// ```
    pub fn list_name(layers: &[Layer]) -> String {
        layers
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn known_names() -> String {
        Layer::ALL
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Lowest zoom at which the layer has features.
    pub fn min_zoom(self) -> u8 {
        match self {
            Layer::Heat => 6,
            Layer::Townships | Layer::Villages => 8,
            Layer::Grids | Layer::Incidents => 12,
            Layer::GridLabels | Layer::Cameras => 13,
            Layer::Buildings => 14,
        }
    }

    /// Highest zoom advertised (the layer is still served above it).
    pub fn max_zoom(self) -> u8 {
        DATA_MAX_ZOOM
    }

    /// Geometry type of the layer's features.
    pub fn geometry(self) -> LayerGeometry {
        match self {
            Layer::GridLabels | Layer::Incidents => LayerGeometry::Point,
            _ => LayerGeometry::Polygon,
        }
    }

    /// A one-line description.
    pub fn description(self) -> &'static str {
        match self {
            Layer::Townships => "Township (乡镇/街道) boundaries",
            Layer::Villages => "Village (行政村) and community (社区) boundaries",
            Layer::Grids => "Management grids (网格) with size, staff and a map colour",
            Layer::GridLabels => "One label point per grid, inside its polygon",
            Layer::Buildings => "Building footprints with household counts and grid membership",
            Layer::Incidents => "Incident points with category, status and overdue flag",
            Layer::Heat => "Incident heat: H3 cells with the number of incidents in a time window",
            Layer::Cameras => "Video cameras (雪亮工程) and the sectors they see",
        }
    }

    /// The attributes the layer's features may carry, with descriptions. Attributes
    /// without a value (e.g. no staff assigned) are left out of a feature.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Layer::Townships | Layer::Villages => admin::FIELDS,
            Layer::Grids => grids::FIELDS,
            Layer::GridLabels => labels::FIELDS,
            Layer::Buildings => buildings::FIELDS,
            Layer::Incidents => incident_points::FIELDS,
            Layer::Heat => heat::FIELDS,
            Layer::Cameras => cameras::FIELDS,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Layer {
    type Err = TileError;
    fn from_str(s: &str) -> TileResult<Layer> {
        Layer::from_name(s)
    }
}

/// Fills `layer` for the tile described by `ctx`.
pub(crate) fn render_layer(
    layer: Layer,
    data: &TileData,
    ctx: &crate::render::RenderCtx,
) -> Option<geozero::mvt::tile::Layer> {
    match layer {
        Layer::Townships => {
            admin::render(data, ctx, gridmap_core::AdminLevel::Township, layer.name())
        }
        Layer::Villages => {
            admin::render(data, ctx, gridmap_core::AdminLevel::Village, layer.name())
        }
        Layer::Grids => grids::render(data, ctx),
        Layer::GridLabels => labels::render(data, ctx),
        Layer::Buildings => buildings::render(data, ctx),
        Layer::Incidents | Layer::Heat | Layer::Cameras => None,
    }
}
