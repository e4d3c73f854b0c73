//! HTTP content encodings of a tile and the compressors behind them.
//!
//! A tile is served as raw MVT (`identity`), gzip or brotli. gzip runs at level
//! [`GZIP_LEVEL`], brotli at quality [`BROTLI_QUALITY`] (a few milliseconds on the
//! largest tiles).
//!
//! gzip levels on `grids,buildings` tiles of a partitioned synthetic county (zlib-rs,
//! release build; size relative to the raw MVT, time per tile):
//!
//! | level | z14 size | z14 time | z15 size | z15 time | z16 size | z16 time |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | 1 | 38.2% | 0.52 ms | 40.9% | 0.17 ms | 41.8% | 0.06 ms |
//! | 2 | 30.2% | 0.97 ms | 33.4% | 0.33 ms | 35.6% | 0.11 ms |
//! | 3 | 29.1% | 1.17 ms | 32.4% | 0.39 ms | 34.5% | 0.13 ms |
//! | 6 | 28.2% | 2.77 ms | 31.3% | 0.86 ms | 33.2% | 0.21 ms |
//!
//! Level 2 costs 3% more bytes than level 3 for 18% less time. Level 1 (zlib-rs's
//! "quick" strategy) halves the time again but sends 30% more bytes on every request,
//! while compression is paid once per cached tile, so it is not used. [`crate::TileCache`] compresses lazily: only the encodings that
//! clients actually ask for are ever computed.

use std::io::Write;

/// gzip level used for cached tiles.
pub const GZIP_LEVEL: u32 = 2;
/// brotli quality used for cached tiles (5 keeps compression to a few ms).
pub const BROTLI_QUALITY: u32 = 5;

/// A `Content-Encoding` a tile can be served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Uncompressed MVT bytes.
    Identity,
    /// gzip (RFC 1952).
    Gzip,
    /// brotli (RFC 7932).
    Brotli,
}

impl Encoding {
    /// Every encoding.
    pub const ALL: [Encoding; 3] = [Encoding::Identity, Encoding::Gzip, Encoding::Brotli];

    /// The `Content-Encoding` token, `None` for identity.
    ///
    /// ```
    /// use gridmap_tiles::Encoding;
    /// assert_eq!(Encoding::Brotli.token(), Some("br"));
    /// assert_eq!(Encoding::Identity.token(), None);
    /// ```
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// Compresses `raw` with `enc` (a copy for [`Encoding::Identity`]). Writing into
/// memory cannot fail short of allocation failure, but the error is passed on.
///
/// ```
/// use gridmap_tiles::{compress::compress, Encoding};
/// let raw = vec![7u8; 10_000];
/// let gz = compress(&raw, Encoding::Gzip).unwrap();
/// assert!(gz.len() < 100 && gz.starts_with(&[0x1f, 0x8b]));
/// ```
pub fn compress(raw: &[u8], enc: Encoding) -> std::io::Result<Vec<u8>> {
    let out = Vec::with_capacity(raw.len() / 4 + 64);
    match enc {
        Encoding::Identity => Ok(raw.to_vec()),
        Encoding::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
            gz.write_all(raw)?;
            gz.finish()
        }
        Encoding::Brotli => {
            let mut br = brotli::CompressorWriter::new(out, 4096, BROTLI_QUALITY, 22);
            br.write_all(raw)?;
            br.flush()?;
            Ok(br.into_inner())
        }
    }
}
