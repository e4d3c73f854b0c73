//! OpenStreetMap imports of the committed Kotka and Helsinki extracts (and Monaco from
//! `../shared/data` when present), checked against an independent pass over the file.

use geo::{GeodesicArea, Validation};
use gridmap_core::geometry::area_m2;
use gridmap_core::{AdminLevel, BuildingUse, HouseholdCount, HouseholdCountSource};
use gridmap_importers::{estimate_households, read_osm, EstimateOptions, OsmData, OsmOptions};
use indicatif::ProgressBar;
use osmpbf::{Element, ElementReader};
use std::collections::{HashMap, HashSet};

fn data(name: &str) -> String {
    format!("{}/../data/osm/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What a minimal osmpbf pass finds: building ways (closed or not), whether all their
/// nodes are in the file, and building multipolygon relations.
struct Independent {
    closed_ways: HashSet<i64>,
    all_ways: HashSet<i64>,
    complete_ways: HashSet<i64>,
    relations: HashSet<i64>,
}

fn independent_count(path: &str) -> Independent {
    let mut nodes = HashSet::new();
    let mut ways: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut relations = HashSet::new();
    ElementReader::from_path(path)
        .unwrap()
        .for_each(|e| match e {
            Element::DenseNode(n) => {
                nodes.insert(n.id());
            }
            Element::Node(n) => {
                nodes.insert(n.id());
            }
            Element::Way(w) => {
                if w.tags().any(|(k, v)| k == "building" && v != "no") {
                    ways.insert(w.id(), w.refs().collect());
                }
            }
            Element::Relation(r) => {
                let tags: Vec<(&str, &str)> = r.tags().collect();
                if tags.contains(&("type", "multipolygon"))
                    && tags.iter().any(|(k, v)| *k == "building" && *v != "no")
                {
                    relations.insert(r.id());
                }
            }
        })
        .unwrap();
    Independent {
        closed_ways: ways
            .iter()
            .filter(|(_, r)| r.len() > 3 && r.first() == r.last())
            .map(|(id, _)| *id)
            .collect(),
        complete_ways: ways
            .iter()
            .filter(|(_, r)| r.iter().all(|n| nodes.contains(n)))
            .map(|(id, _)| *id)
            .collect(),
        all_ways: ways.keys().copied().collect(),
        relations,
    }
}

fn import(path: &str) -> OsmData {
    read_osm(path, &OsmOptions::default(), &ProgressBar::hidden()).unwrap()
}

fn ids_with_prefix<'a>(ids: impl Iterator<Item = &'a str>, prefix: &str) -> HashSet<i64> {
    ids.filter_map(|s| s.strip_prefix(prefix))
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Every building way and relation is either imported or rejected with a reason, and
/// every way whose nodes are all present and that is closed comes through unless the
/// report says why.
fn assert_buildings_accounted_for(path: &str, file: &str) -> OsmData {
    let truth = independent_count(path);
    let data = import(path);
    let imported_ways = ids_with_prefix(
        data.buildings.iter().map(|b| b.source_id.as_str()),
        "osm:way/",
    );
    let imported_rels = ids_with_prefix(
        data.buildings.iter().map(|b| b.source_id.as_str()),
        "osm:relation/",
    );
    let rejected_ways = ids_with_prefix(
        data.report.rejected.iter().filter_map(|i| i.id.as_deref()),
        "way/",
    );
    let rejected_rels = ids_with_prefix(
        data.report.rejected.iter().filter_map(|i| i.id.as_deref()),
        "relation/",
    );

    assert!(
        imported_ways.is_subset(&truth.all_ways),
        "{file}: only building ways are imported as ways"
    );
    let rejected_buildings: HashSet<i64> = rejected_ways
        .intersection(&truth.all_ways)
        .copied()
        .collect();
    assert!(imported_ways.is_disjoint(&rejected_buildings));
    assert_eq!(
        imported_ways.len() + rejected_buildings.len(),
        truth.all_ways.len(),
        "{file}: building ways"
    );
    // closed and complete ways are rejected only for invalid geometry, never for missing nodes
    let good: HashSet<i64> = truth
        .closed_ways
        .intersection(&truth.complete_ways)
        .copied()
        .collect();
    let lost: Vec<i64> = good.difference(&imported_ways).copied().collect();
    for id in &lost {
        let issue = data
            .report
            .rejected
            .iter()
            .find(|i| i.id.as_deref() == Some(&format!("way/{id}")))
            .unwrap();
        assert!(!issue.reason.contains("missing"), "{issue}");
    }
    assert!(
        lost.len() * 50 < good.len(),
        "{file}: few complete buildings are invalid ({} of {})",
        lost.len(),
        good.len()
    );
    // incomplete ways are all rejected
    for id in truth.all_ways.difference(&truth.complete_ways) {
        assert!(
            rejected_ways.contains(id),
            "{file}: way/{id} has missing nodes but was not rejected"
        );
    }
    assert_eq!(
        imported_rels.len() + rejected_rels.intersection(&truth.relations).count(),
        truth.relations.len(),
        "{file}: building relations"
    );
    data
}

#[test]
fn kotka_buildings_match_an_independent_count() {
    let path = data("kotka.osm.pbf");
    let kotka = assert_buildings_accounted_for(&path, "kotka.osm.pbf");
    assert!(
        kotka.buildings.len() > 2000,
        "about 2,200 buildings, got {}",
        kotka.buildings.len()
    );
    assert!(kotka.buildings.iter().all(|b| b.footprint.is_valid()));
    // blocks are decoded in parallel, but the output order is the file's
    let again = import(&path);
    assert_eq!(again.buildings, kotka.buildings);
    assert_eq!(again.report, kotka.report);
}

#[test]
fn helsinki_buildings_match_an_independent_count() {
    let data = assert_buildings_accounted_for(&data("helsinki.osm.pbf"), "helsinki.osm.pbf");
    assert!(!data.buildings.is_empty());
    assert!(data
        .barriers
        .iter()
        .all(|b| b.source_id.starts_with("osm:way/") && !b.line.0.is_empty()));
    assert!(data.barriers.iter().any(|b| b.kind == "road"));
}

#[test]
fn kotka_invalid_geometry_report_names_file_and_id() {
    let data = import(&data("kotka.osm.pbf"));
    assert!(!data.report.rejected.is_empty());
    for issue in &data.report.rejected {
        assert_eq!(issue.file, "kotka.osm.pbf");
        let id = issue.id.as_deref().unwrap();
        assert!(
            id.starts_with("way/") || id.starts_with("relation/"),
            "{issue}"
        );
        let shown = issue.to_string();
        assert!(
            shown.starts_with(&format!("kotka.osm.pbf: {id} (feature "))
                && shown.ends_with("— rejected"),
            "{shown}"
        );
    }
    assert_eq!(
        data.report.imported + data.report.rejected.len(),
        data.report.read
    );
}

#[test]
fn household_estimate_follows_the_footprint_area() {
    let mut data = import(&data("kotka.osm.pbf"));
    let options = EstimateOptions::default();
    let estimated = estimate_households(&mut data.buildings, &options);
    let residential = data
        .buildings
        .iter()
        .filter(|b| b.building_use == BuildingUse::Residential)
        .count();
    assert_eq!(estimated, residential);
    // a specific building: the first residential one with building:levels, else the
    // first one with neither levels nor height (default 1 level)
    let b = data
        .buildings
        .iter()
        .filter(|b| b.building_use == BuildingUse::Residential)
        .find(|b| b.levels.is_some())
        .or_else(|| {
            data.buildings
                .iter()
                .find(|b| b.building_use == BuildingUse::Residential && b.height.is_none())
        })
        .expect("Kotka has homes");
    let levels = b.levels.unwrap_or(options.default_levels);
    assert_eq!(
        b.households,
        HouseholdCount::estimate(area_m2(&b.footprint), levels, 90.0)
    );
    assert_eq!(b.households.source, HouseholdCountSource::Estimated);
    // and the count agrees with an independent (ellipsoidal) area to within rounding
    let area = b.footprint.geodesic_area_unsigned();
    let expected = area * f64::from(levels) / 90.0;
    assert!(
        (f64::from(b.households.count) - expected).abs() <= 0.5 + expected * 0.01,
        "{} vs {expected}",
        b.households.count
    );
    // non-residential buildings keep no households
    assert!(data
        .buildings
        .iter()
        .filter(|b| b.building_use != BuildingUse::Residential)
        .all(|b| b.households.count == 0));
}

#[test]
fn monaco_quarters_assemble_into_valid_polygons() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/osm/monaco-latest.osm.pbf"
    );
    if !std::path::Path::new(path).exists() {
        println!("note: {path} not found, Monaco test skipped");
        return;
    }
    let data = import(path);
    let quarters: Vec<_> = data
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
        .collect();
    assert_eq!(
        quarters.len(),
        6,
        "{:?}",
        quarters.iter().map(|q| &q.name).collect::<Vec<_>>()
    );
    let codes: HashSet<_> = quarters.iter().map(|q| q.code.clone()).collect();
    assert_eq!(codes.len(), 6);
    for q in quarters {
        assert!(
            q.boundary.is_valid(),
            "{}: {:?}",
            q.name,
            q.boundary.validation_errors()
        );
        assert!(area_m2(&q.boundary) > 50_000.0, "{}", q.name);
        assert!(q.source_id.starts_with("osm:relation/"));
        assert!(!q.name.is_empty());
        assert!(q.code.as_str().starts_with("990000"));
    }
}
