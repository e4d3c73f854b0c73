//! Synthetic county: reproducible, tiling villages, buildings inside villages and apart,
//! households consistent with the register.

use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects, Validation};
use gridmap_core::{AdminLevel, HouseholdCountSource, StaffRole};
use gridmap_synth::{synth_county, SynthCounty, SynthParams};
use rstar::{RTree, AABB};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn county() -> &'static SynthCounty {
    static COUNTY: OnceLock<SynthCounty> = OnceLock::new();
    COUNTY.get_or_init(|| synth_county(&SynthParams::new(12_000, 42)))
}

#[test]
fn same_seed_gives_identical_output_and_another_seed_differs() {
    let params = SynthParams::new(3_000, 9);
    let a = synth_county(&params);
    assert_eq!(a, synth_county(&params));
    let b = synth_county(&SynthParams { seed: 10, ..params });
    assert_ne!(a.buildings, b.buildings);
}

#[test]
fn hierarchy_has_one_county_townships_and_villages_with_nested_codes() {
    let c = county();
    let counties: Vec<_> = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::County)
        .collect();
    assert_eq!(counties.len(), 1);
    let townships: Vec<_> = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Township)
        .collect();
    assert_eq!(
        townships.len(),
        1,
        "12,000 households make one township (n / 40,000 + 1)"
    );
    let villages: Vec<_> = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
        .collect();
    assert!(villages.len() >= 4, "{}", villages.len());
    let codes: HashSet<_> = c.admin_units.iter().map(|u| u.code.clone()).collect();
    assert_eq!(codes.len(), c.admin_units.len(), "codes are unique");
    for v in &villages {
        assert!(counties[0].code.contains(&v.code));
        assert!(
            codes.contains(&v.code.township()),
            "{} has its township",
            v.code
        );
        assert!(
            v.name.ends_with('村') || v.name.ends_with("社区"),
            "{}",
            v.name
        );
    }
    // somewhere plausible in Henan
    let centre = counties[0].boundary.bounding_rect().unwrap().center();
    assert!((centre.x - 114.6).abs() < 0.5 && (centre.y - 33.8).abs() < 0.5);
}

#[test]
fn villages_do_not_overlap_and_cover_the_county() {
    let c = county();
    let county = &c
        .admin_units
        .iter()
        .find(|u| u.level == AdminLevel::County)
        .unwrap()
        .boundary;
    let villages: Vec<_> = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
        .collect();
    let mut sum = 0.0;
    for (i, a) in villages.iter().enumerate() {
        assert!(a.boundary.is_valid(), "{}", a.code);
        sum += a.boundary.unsigned_area();
        for b in villages.iter().skip(i + 1) {
            let overlap = a.boundary.intersection(&b.boundary).unsigned_area();
            assert!(
                overlap < 1e-12,
                "{} and {} overlap by {overlap}",
                a.code,
                b.code
            );
        }
    }
    let total = county.unsigned_area();
    assert!(
        (sum - total).abs() < total * 1e-9,
        "villages cover {sum} of {total}"
    );
    // and each township is the union of its villages
    for t in c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Township)
    {
        let inside: f64 = villages
            .iter()
            .filter(|v| t.code.contains(&v.code))
            .map(|v| v.boundary.unsigned_area())
            .sum();
        let area = t.boundary.unsigned_area();
        assert!((inside - area).abs() < area * 1e-9, "{}", t.code);
    }
}

#[test]
fn buildings_lie_inside_their_village_and_never_overlap() {
    let c = county();
    let villages: HashMap<_, _> = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
        .map(|u| (u.code.clone(), &u.boundary))
        .collect();
    for b in &c.buildings {
        let v = b.village.as_ref().unwrap();
        assert!(
            villages[v].contains(&b.footprint),
            "{} outside {v}",
            b.source_id
        );
    }
    let boxes: Vec<rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>> =
        c.buildings
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let r = b.footprint.bounding_rect().unwrap();
                rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners(
                        [r.min().x, r.min().y],
                        [r.max().x, r.max().y],
                    ),
                    i,
                )
            })
            .collect();
    let tree = RTree::bulk_load(boxes);
    for (i, b) in c.buildings.iter().enumerate() {
        let r = b.footprint.bounding_rect().unwrap();
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        for other in tree.locate_in_envelope_intersecting(&env) {
            if other.data > i {
                let o = &c.buildings[other.data];
                assert!(
                    !b.footprint.intersects(&o.footprint),
                    "{} overlaps {}",
                    b.source_id,
                    o.source_id
                );
            }
        }
    }
}

#[test]
fn household_counts_match_the_register() {
    let c = county();
    assert_eq!(c.households.len(), 12_000);
    let mut rows: HashMap<&str, u32> = HashMap::new();
    for h in &c.households {
        *rows.entry(h.building.as_deref().unwrap()).or_default() += 1;
        assert!(h.head.as_ref().is_some_and(|n| n.chars().count() >= 2));
        assert!(h
            .phone
            .as_ref()
            .is_some_and(|p| p.len() == 11 && p.starts_with('1')));
    }
    let ids: HashSet<_> = c.households.iter().map(|h| &h.id).collect();
    assert_eq!(ids.len(), c.households.len(), "household ids are unique");
    for b in &c.buildings {
        let n = rows.get(b.source_id.as_str()).copied().unwrap_or(0);
        assert_eq!(b.households.count, n, "{}", b.source_id);
        if n > 0 {
            assert_eq!(b.households.source, HouseholdCountSource::Registered);
        }
    }
    assert_eq!(rows.values().sum::<u32>(), 12_000);
    // farmhouses hold 1–3 households, towers 60–300
    assert!(c
        .buildings
        .iter()
        .all(|b| b.households.count <= 3 || (60..=300).contains(&b.households.count)));
    assert!(
        c.buildings.iter().any(|b| b.households.count >= 60),
        "a town centre has high-rises"
    );
    assert!(
        c.buildings.len() > 3 * c.households.len() / 2,
        "compounds have outbuildings"
    );
}

#[test]
fn staff_incidents_and_roads_are_generated() {
    let c = county();
    let grid_staff = c
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::GridStaff)
        .count();
    assert!(grid_staff >= 12_000 / 40, "{grid_staff}");
    assert!(c.staff.iter().any(|s| s.role == StaffRole::GridLeader(1)));
    assert!(c
        .staff
        .iter()
        .all(|s| s.area.is_some() && !s.name.is_empty()));
    assert_eq!(c.incidents.len(), 1_200);
    let categories: HashSet<_> = c.incidents.iter().map(|i| i.category.as_str()).collect();
    assert!((8..=12).contains(&categories.len()), "{categories:?}");
    let (start, end) = (1_735_660_800, 1_767_196_800); // 2025 in China Standard Time
    assert!(c.incidents.iter().all(|i| (start..end).contains(&i.time)));
    assert!(c.incidents.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(!c.barriers.is_empty() && c.barriers.iter().all(|b| b.kind == "road"));
}

#[test]
fn tiny_and_odd_sizes_still_add_up() {
    for n in [0, 1, 59, 301, 1_999, 2_000, 2_061] {
        let c = synth_county(&SynthParams::new(n, 5));
        assert_eq!(c.households.len(), n as usize, "{n}");
        assert_eq!(
            c.buildings.iter().map(|b| b.households.count).sum::<u32>(),
            n,
            "{n}"
        );
        assert!(c.admin_units.iter().any(|u| u.level == AdminLevel::Village));
    }
}

#[test]
fn townships_grow_with_households() {
    let c = synth_county(&SynthParams {
        incidents: Some(0),
        ..SynthParams::new(85_000, 3)
    });
    let townships = c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Township)
        .count();
    assert_eq!(townships, 85_000 / 40_000 + 1);
    // each township's villages nest under its code
    for v in c
        .admin_units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
    {
        assert!(c
            .admin_units
            .iter()
            .any(|t| t.level == AdminLevel::Township && t.code.contains(&v.code)));
    }
}

#[test]
fn nonsense_parameters_fall_back_to_defaults() {
    let params = SynthParams {
        village_cell_m: f64::NAN,
        centre: (f64::INFINITY, 95.0),
        highrise_share: f64::NAN,
        outbuildings_per_house: (9, 2),
        ..SynthParams::new(2_500, 1)
    };
    let c = synth_county(&params);
    assert_eq!(c.households.len(), 2_500);
    assert!(c.admin_units.iter().all(|u| u.boundary.is_valid()));
}
