//! The error type of this crate: bad tile coordinates, unknown layer names and
//! failures while writing archives.

use std::path::PathBuf;

/// Result alias for this crate.
pub type TileResult<T> = Result<T, TileError>;

/// Everything that can go wrong while parsing a tile request, encoding a tile or
/// writing an archive. The coordinate and layer variants are user errors (HTTP 400);
/// the IO variants are server errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// A z, x or y path segment is not a non-negative integer.
    #[error("{axis}={value:?} is not a non-negative integer")]
    NotANumber {
        /// `z`, `x` or `y`.
        axis: &'static str,
        /// The text as given.
        value: String,
    },
    /// A z, x or y is negative.
    #[error("{axis}={value} must not be negative")]
    Negative {
        /// `z`, `x` or `y`.
        axis: &'static str,
        /// The value as given.
        value: String,
    },
    /// The zoom is above [`crate::MAX_ZOOM`].
    #[error("z={z} is out of range (0..={max})")]
    ZoomOutOfRange {
        /// The zoom as given.
        z: u64,
        /// The largest zoom served.
        max: u8,
    },
    /// x or y is not below 2^z.
    #[error("{axis}={value} is out of range for zoom {z} (0..={max})")]
    OutOfRange {
        /// `x` or `y`.
        axis: &'static str,
        /// The value as given.
        value: u64,
        /// The zoom.
        z: u8,
        /// 2^z − 1.
        max: u32,
    },
    /// A layer name that is not one of [`crate::Layer::ALL`].
    #[error("unknown layer {name:?}; known layers: {known}")]
    UnknownLayer {
        /// The name as given.
        name: String,
        /// Comma-separated list of known layer names.
        known: String,
    },
    /// An empty layer list (`""` or `","`).
    #[error("no layer named; known layers: {known}")]
    NoLayers {
        /// Comma-separated list of known layer names.
        known: String,
    },
    /// A zoom range with min > max or max above [`crate::MAX_ZOOM`].
    #[error("invalid zoom range {min}..={max} (allowed 0..={limit})")]
    InvalidZoomRange {
        /// Lowest zoom asked for.
        min: u8,
        /// Highest zoom asked for.
        max: u8,
        /// Largest zoom served.
        limit: u8,
    },
    /// Creating or writing the PMTiles file failed.
    #[error("cannot write PMTiles archive {path}")]
    Io {
        /// The archive path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The PMTiles writer failed.
    #[error("PMTiles writer failed on {path}")]
    Pmtiles {
        /// The archive path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: pmtiles::PmtError,
    },
    /// Compressing a tile failed (only possible on allocation failure).
    #[error("compressing tile {z}/{x}/{y} failed")]
    Compress {
        /// Tile zoom.
        z: u8,
        /// Tile column.
        x: u32,
        /// Tile row.
        y: u32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl TileError {
    /// Whether the error is caused by the request (bad coordinates or layer names), so
    /// an HTTP layer answers 400 rather than 500.
    ///
    /// ```
    /// use gridmap_tiles::TileCoord;
    /// let err = TileCoord::parse("4", "17", "0").unwrap_err();
    /// assert!(err.is_user_error());
    /// ```
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            TileError::NotANumber { .. }
                | TileError::Negative { .. }
                | TileError::ZoomOutOfRange { .. }
                | TileError::OutOfRange { .. }
                | TileError::UnknownLayer { .. }
                | TileError::NoLayers { .. }
                | TileError::InvalidZoomRange { .. }
        )
    }
}
