//! HTTP content encodings of a tile and the compressors behind them.
//!
//! A tile is served as raw MVT (`identity`), gzip or brotli. gzip runs at level
//! [`GZIP_LEVEL`] (with the zlib-rs backend about 3× faster than level 6, and within 1%
//! of its size on tiles), brotli at quality [`BROTLI_QUALITY`] (a few milliseconds on
//! the largest tiles). [`crate::TileCache`] compresses lazily: only the encodings that
//! clients actually ask for are ever computed.

use std::io::Write;

/// gzip level used for cached tiles.
pub const GZIP_LEVEL: u32 = 3;
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
