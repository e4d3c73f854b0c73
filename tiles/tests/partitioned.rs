//! Tiles of grids made by the core partitioner (Voronoi-based polygons, irregular
//! adjacency): colouring and labels checked against independent geometry tests.

use geo::{BoundingRect, Contains};
use geo_types::MultiPolygon;
use geo_types::Point;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_tiles::{TileData, TileParams};
use std::sync::Arc;

fn partitioned_snapshot() -> CountySnapshot {
    gridmap_synth::small::partitioned_county(4, 400, 11)
}

/// Metres per degree (lon, lat) near the synthetic villages (33.6° N).
const M: (f64, f64) = (92_800.0, 110_900.0);

/// Points every 0.25 m along `a`'s boundary lying within 1 mm of `b`'s boundary: an
/// independent, sampling-based test of a shared boundary line (coordinates of shared
/// sides differ by ~1e-11° between neighbouring grids, so exact predicates do not work).
fn shared_samples(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> usize {
    let segs_b: Vec<((f64, f64), (f64, f64))> =
        b.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| {
                r.lines().map(|l| {
                    (
                        (l.start.x * M.0, l.start.y * M.1),
                        (l.end.x * M.0, l.end.y * M.1),
                    )
                })
            })
            .collect();
    let near = |x: f64, y: f64| {
        segs_b.iter().any(|&((x0, y0), (x1, y1))| {
            let (dx, dy) = (x1 - x0, y1 - y0);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((x - x0) * dx + (y - y0) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (x - x0 - t * dx).hypot(y - y0 - t * dy) < 0.001
        })
    };
    let mut count = 0;
    for p in &a.0 {
        for l in std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.lines())
        {
            let (x0, y0, x1, y1) = (
                l.start.x * M.0,
                l.start.y * M.1,
                l.end.x * M.0,
                l.end.y * M.1,
            );
            let steps = ((x1 - x0).hypot(y1 - y0) / 0.25).ceil().max(1.0) as usize;
            for k in 0..steps {
                let t = k as f64 / steps as f64;
                if near(x0 + t * (x1 - x0), y0 + t * (y1 - y0)) {
                    count += 1;
                }
            }
        }
    }
    count
}

#[test]
fn grids_sharing_a_boundary_line_get_different_colours() {
    let snap = Arc::new(partitioned_snapshot());
    let data = TileData::new(Arc::clone(&snap), TileParams::default());
    let grids = &snap.grids;
    assert!(grids.len() > 20, "{} grids", grids.len());
    let mut adjacent_pairs = 0;
    let shapes: Vec<_> = grids
        .iter()
        .map(|g| gridmap_tiles::encode::WorldShape::from_lonlat(&g.polygon))
        .collect();
    let ours = gridmap_tiles::colour::grid_adjacency(&shapes);
    for i in 0..grids.len() {
        for j in i + 1..grids.len() {
            let (a, b) = (&grids[i].polygon, &grids[j].polygon);
            let (Some(ra), Some(rb)) = (a.bounding_rect(), b.bounding_rect()) else {
                continue;
            };
            if ra.max().x < rb.min().x
                || rb.max().x < ra.min().x
                || ra.max().y < rb.min().y
                || rb.max().y < ra.min().y
            {
                continue;
            }
            let shares_line = shared_samples(a, b) >= 3;
            assert_eq!(
                ours[i].contains(&j),
                shares_line,
                "adjacency of {} and {}",
                grids[i].code,
                grids[j].code
            );
            if shares_line {
                adjacent_pairs += 1;
                assert_ne!(
                    data.grid_colour(i),
                    data.grid_colour(j),
                    "{} and {}",
                    grids[i].code,
                    grids[j].code
                );
            }
        }
    }
    // Each of the 4 villages is a connected map of grids.
    assert!(
        adjacent_pairs >= grids.len() - 4,
        "{adjacent_pairs} adjacencies for {} grids",
        grids.len()
    );
    assert!(data.colour_count() <= 6, "{} colours", data.colour_count());
    assert!(
        data.colour_count() >= 3,
        "irregular maps need three or more colours"
    );
}

#[test]
fn every_grid_label_lies_inside_its_grid() {
    let snap = Arc::new(partitioned_snapshot());
    let data = TileData::new(Arc::clone(&snap), TileParams::default());
    for (i, g) in snap.grids.iter().enumerate() {
        if g.polygon.0.is_empty() {
            continue;
        }
        let (lon, lat) = data.grid_label(i).expect("label");
        assert!(
            g.polygon.contains(&Point::new(lon, lat)),
            "label of {} outside its polygon",
            g.code
        );
    }
}

#[test]
fn partitioner_grids_are_not_flagged_outside_their_village() {
    let snap = Arc::new(partitioned_snapshot());
    let data = TileData::new(Arc::clone(&snap), TileParams::default());
    for (i, g) in snap.grids.iter().enumerate() {
        assert!(
            !data.grid_flags(i).unwrap_or("").contains("outside_village"),
            "{}",
            g.code
        );
    }
}
