//! In-process tile render benchmark on a synthetic county.
//!
//! ```text
//! cargo run --release -p gridmap-tiles --example tile_bench [BUILDINGS] [TILES_PER_ZOOM] [partitioned]
//! ```
//! The county is `gridmap_synth::street_grid::county` (a regular street grid); with
//! `partitioned`, `gridmap_synth::small::partitioned_county` instead (villages of 1,000
//! buildings in clustered hamlets, cut into irregular Voronoi grids by the core
//! partitioner).
//! Prints the time to build [`TileData`], then per zoom the render + gzip time
//! percentiles and tile sizes for the composite `grids,buildings` tile and for the
//! full composite of every layer.
#![allow(clippy::print_stdout)]

use gridmap_synth::{small, street_grid};
use gridmap_tiles::{bench, Layer, TileData, TileParams};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(300_000);
    let per_zoom: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(200);

    let partitioned = args.next().as_deref() == Some("partitioned");
    let start = Instant::now();
    let snap = Arc::new(if partitioned {
        small::partitioned_county(n.div_ceil(1000), 1000, 7)
    } else {
        street_grid::county(n)
    });
    println!(
        "synthetic county: {} buildings, {} grids, {} admin units in {:.2} s",
        snap.buildings.len(),
        snap.grids.len(),
        snap.admin_units.len(),
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let data = TileData::new(snap, TileParams::default());
    println!(
        "TileData::new: {:.2} s, {} grid colours",
        start.elapsed().as_secs_f64(),
        data.colour_count()
    );

    let all = [
        Layer::Townships,
        Layer::Villages,
        Layer::Grids,
        Layer::GridLabels,
        Layer::Buildings,
    ];
    for (name, layers) in [
        ("grids,buildings", &[Layer::Grids, Layer::Buildings][..]),
        ("all layers", &all[..]),
    ] {
        println!("\n{name} (render + gzip, up to {per_zoom} tiles per zoom)");
        println!(
            "{:>3} {:>6} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
            "z", "tiles", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean B", "max B", "gzip B"
        );
        for t in bench::bench_render(&data, layers, &[8, 10, 12, 13, 14, 15, 16, 18], per_zoom)? {
            println!(
                "{:>3} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>10} {:>10} {:>10}",
                t.z,
                t.tiles,
                t.p50_ms,
                t.p95_ms,
                t.p99_ms,
                t.max_ms,
                t.mean_bytes,
                t.max_bytes,
                t.mean_gzip_bytes
            );
        }
    }
    Ok(())
}
