//! Footprints that an import brings in again under other ids.
//!
//! A building file re-exported under another name, or without stable ids, gets new source
//! ids (`<file>#<index>`), so a plain upsert would store every building twice.
//! [`coinciding_footprints`] finds the incoming buildings whose footprint is the same as a
//! stored building's under another id, so the caller can refuse the import or let the
//! incoming buildings replace the stored ones.
//!
//! # Algorithm
//!
//! Two footprints are *the same* when their bounding boxes agree within `tolerance` degrees
//! on all four sides and they have the same number of vertices: a re-export moves no vertex
//! by more than rounding, while two neighbouring buildings differ by metres. The stored
//! bounding boxes go into an R-tree ([`rstar`]); each incoming footprint looks up the boxes
//! within `tolerance` of its own, so the whole check is O((n + m) log m).
//!
//! Stored buildings whose id the import itself carries are skipped (the import updates
//! them), and each stored building is matched at most once (to the first incoming footprint
//! in file order), so the pairs can be used as a one-to-one replacement.

use geo::{BoundingRect, CoordsIter};
use gridmap_core::Building;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashSet;

/// Bounding boxes that agree within this many degrees (about 1 cm) are the same footprint.
pub const FOOTPRINT_TOLERANCE_DEG: f64 = 1e-7;

/// An incoming building whose footprint is the same as a stored building's, under
/// another source id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coincidence {
    /// Index of the incoming building.
    pub incoming: usize,
    /// Index of the stored building it coincides with.
    pub stored: usize,
}

/// The pairs of incoming and stored buildings with the same footprint (see the module
/// documentation), in the order of `incoming`.
///
/// ```
/// use gridmap_core::{Building, BuildingUse, HouseholdCount};
/// use gridmap_importers::coincide::{coinciding_footprints, FOOTPRINT_TOLERANCE_DEG};
/// use geo_types::{polygon, MultiPolygon};
/// let square = |id: &str, x: f64| Building {
///     source_id: id.into(),
///     footprint: MultiPolygon(vec![polygon![(x: x, y: 30.0), (x: x + 1e-4, y: 30.0), (x: x + 1e-4, y: 30.0001), (x: x, y: 30.0)]]),
///     building_use: BuildingUse::Residential,
///     levels: None,
///     height: None,
///     households: HouseholdCount::default(),
///     address: None,
///     village: None,
/// };
/// let stored = [square("a.geojson#0", 114.0), square("a.geojson#1", 114.1)];
/// let incoming = [square("b.geojson#0", 114.0 + 1e-9), square("b.geojson#1", 114.2)];
/// let pairs = coinciding_footprints(&incoming, &stored, FOOTPRINT_TOLERANCE_DEG);
/// assert_eq!(pairs.len(), 1);
/// assert_eq!((pairs[0].incoming, pairs[0].stored), (0, 0));
/// ```
pub fn coinciding_footprints(
    incoming: &[Building],
    stored: &[Building],
    tolerance: f64,
) -> Vec<Coincidence> {
    // A first import (nothing stored) has nothing to coincide with.
    if stored.is_empty() {
        return Vec::new();
    }
    let incoming_ids: HashSet<&str> = incoming.iter().map(|b| b.source_id.as_str()).collect();
    let tree = RTree::bulk_load(
        stored
            .iter()
            .enumerate()
            .filter(|(_, b)| !incoming_ids.contains(b.source_id.as_str()))
            .filter_map(|(i, b)| {
                let r = b.footprint.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    let mut taken = HashSet::new();
    let mut pairs = Vec::new();
    for (i, b) in incoming.iter().enumerate() {
        let Some(r) = b.footprint.bounding_rect() else {
            continue;
        };
        let (lo, hi) = ([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let search = AABB::from_corners(
            [lo[0] - tolerance, lo[1] - tolerance],
            [hi[0] + tolerance, hi[1] + tolerance],
        );
        let vertices = b.footprint.coords_count();
        let same = |c: &&GeomWithData<Rectangle<[f64; 2]>, usize>| {
            let (clo, chi) = (c.geom().lower(), c.geom().upper());
            let near = |a: [f64; 2], b: [f64; 2]| {
                (a[0] - b[0]).abs() <= tolerance && (a[1] - b[1]).abs() <= tolerance
            };
            near(lo, clo)
                && near(hi, chi)
                && !taken.contains(&c.data)
                && stored[c.data].footprint.coords_count() == vertices
        };
        let best = tree
            .locate_in_envelope(&search)
            .filter(same)
            .map(|c| c.data)
            .min();
        if let Some(s) = best {
            taken.insert(s);
            pairs.push(Coincidence {
                incoming: i,
                stored: s,
            });
        }
    }
    pairs
}

/// Whether an import looks like a re-import of stored buildings under other ids: more
/// than half of the `incoming` footprints coincide with stored ones.
pub fn mostly_coinciding(coinciding: usize, incoming: usize) -> bool {
    incoming > 0 && coinciding * 2 > incoming
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    fn building(id: &str, x: f64, y: f64, size: f64) -> Building {
        Building {
            source_id: id.into(),
            footprint: MultiPolygon(vec![polygon![
                (x: x, y: y),
                (x: x + size, y: y),
                (x: x + size, y: y + size),
                (x: x, y: y + size),
                (x: x, y: y),
            ]]),
            building_use: gridmap_core::BuildingUse::Residential,
            levels: None,
            height: None,
            households: gridmap_core::HouseholdCount::default(),
            address: None,
            village: None,
        }
    }

    fn grid(prefix: &str, n: usize, shift: f64) -> Vec<Building> {
        (0..n)
            .map(|i| {
                let (x, y) = (
                    114.0 + (i % 10) as f64 * 2e-4,
                    33.0 + (i / 10) as f64 * 2e-4,
                );
                building(&format!("{prefix}#{i}"), x + shift, y + shift, 1e-4)
            })
            .collect()
    }

    fn pairs(incoming: &[Building], stored: &[Building]) -> Vec<(usize, usize)> {
        coinciding_footprints(incoming, stored, FOOTPRINT_TOLERANCE_DEG)
            .into_iter()
            .map(|c| (c.incoming, c.stored))
            .collect()
    }

    #[test]
    fn a_reexport_under_other_ids_coincides_one_to_one() {
        let stored = grid("a.geojson", 30, 0.0);
        // rounding noise well under the tolerance
        let incoming = grid("b.geojson", 30, 3e-9);
        let found = pairs(&incoming, &stored);
        assert_eq!(found, (0..30).map(|i| (i, i)).collect::<Vec<_>>());
        assert!(mostly_coinciding(found.len(), incoming.len()));
    }

    #[test]
    fn neighbours_moved_buildings_and_other_shapes_do_not_coincide() {
        let stored = grid("a.geojson", 10, 0.0);
        // moved by 1e-6° (~10 cm): another footprint
        assert!(pairs(&grid("b", 10, 1e-6), &stored).is_empty());
        // same box, one more vertex
        let mut pentagon = stored[0].clone();
        pentagon.source_id = "p".into();
        let ring = &mut pentagon.footprint.0[0];
        let mut coords: Vec<_> = ring.exterior().0.clone();
        coords.insert(1, geo_types::coord! { x: 114.00005, y: 33.0 });
        *ring = geo_types::Polygon::new(geo_types::LineString(coords), vec![]);
        assert!(pairs(&[pentagon], &stored).is_empty());
    }

    #[test]
    fn stored_buildings_the_import_updates_by_id_are_not_coincidences() {
        let stored = grid("x", 5, 0.0);
        // same ids: a plain update, nothing to replace
        assert!(pairs(&stored, &stored).is_empty());
    }

    #[test]
    fn each_stored_building_is_replaced_at_most_once() {
        let stored = vec![building("s", 114.0, 33.0, 1e-4)];
        let incoming = vec![
            building("i1", 114.0, 33.0, 1e-4),
            building("i2", 114.0, 33.0, 1e-4),
        ];
        assert_eq!(pairs(&incoming, &stored), [(0, 0)]);
    }

    #[test]
    fn most_means_more_than_half() {
        assert!(!mostly_coinciding(0, 0));
        assert!(!mostly_coinciding(5, 10));
        assert!(mostly_coinciding(6, 10));
    }
}
