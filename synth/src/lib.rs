//! # gridmap-synth
//!
//! Seeded synthetic data for gridmap, one generator crate for the demo, the benchmarks and
//! the tests. Every function here is deterministic: the same arguments give the same
//! output, on any machine and with any number of threads.
//!
//! | what | function | used by |
//! | --- | --- | --- |
//! | a whole county: villages, buildings, households, staff, incidents, roads (see [`county`]) | [`synth_county`] | `gridmap synth`, `gridmap demo`, `gridmap bench`, HTTP tests |
//! | a few villages × N buildings (star-shaped villages, clustered hamlets) | [`small::villages`], [`small::villages_with`] | the partitioner's tests and doctests, `gridmap bench partition` |
//! | straight roads across those villages | [`small::roads`] | barrier tests and the partitioner benchmark |
//! | those villages cut into grids by the partitioner | [`small::partitioned_county`] | tile tests and the tile benchmark |
//! | a city district: towers of 20–40 floors, mid-rise blocks, few low buildings, and a 1% re-levelling of it | [`urban::district`], [`urban::relevel`] | the partitioner's urban tests, `gridmap bench partition --urban` |
//! | a regular street grid of `n` buildings with rectangular grids and staff | [`street_grid::county`] | the tile render benchmark and tile tests |
//!
//! [`synth_county`] with 300,000 households makes about a million buildings in 1–2 s in a
//! release build on a 2-core machine (`cargo run --release -p gridmap-synth --example
//! synth_stats -- 300000`).
//!
//! Randomness comes from one source: [`stream`] (ChaCha8, seeded, with independent
//! numbered streams). [`rand`] is re-exported so callers can draw from it without a
//! dependency of their own.
//!
//! ```
//! use gridmap_synth::{small, street_grid, synth_county, SynthParams};
//! let county = synth_county(&SynthParams::new(2_000, 1));
//! assert_eq!(county.households.len(), 2_000);
//! let (villages, buildings) = small::villages(2, 50, 7);
//! assert_eq!((villages.len(), buildings.len()), (2, 100));
//! assert_eq!(street_grid::county(3_600).buildings.len(), 3_600);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod county;
pub mod small;
pub mod street_grid;
pub mod urban;

pub use county::{synth_county, SynthCounty, SynthParams};
pub use rand;

use rand::SeedableRng;

/// The random number generator of every generator here (ChaCha8: fast, portable and
/// reproducible across platforms and `rand` versions of the same major release).
pub type SynthRng = rand_chacha::ChaCha8Rng;

/// Stream `stream` of the generator seeded with `seed`. Different streams of one seed are
/// independent, so parts of a data set (villages, staff, incidents …) can be drawn on
/// their own streams, in any order or in parallel, and still come out the same.
///
/// ```
/// use gridmap_synth::{rand::Rng, stream};
/// let a: u64 = stream(42, 0).gen();
/// assert_eq!(a, stream(42, 0).gen::<u64>());
/// assert_ne!(a, stream(42, 1).gen::<u64>());
/// assert_ne!(a, stream(43, 0).gen::<u64>());
/// ```
pub fn stream(seed: u64, stream: u64) -> SynthRng {
    let mut rng = SynthRng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}
