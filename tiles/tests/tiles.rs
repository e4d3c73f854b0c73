//! End-to-end tile tests on a small hand-built county: decode the produced MVT and
//! check layers, attributes, counts, clipping, winding and colouring.

mod common;

use common::{fixture, home_z13, PHONE};
use geo::Contains;
use geozero::mvt::{tile, Message, Tile};
use gridmap_tiles::encode::{area2, decode_geometry};
use gridmap_tiles::{encode_tile, Layer, TileCoord, TileData, TileParams};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn data() -> (TileData, common::Fixture) {
    let f = fixture();
    (
        TileData::new(Arc::clone(&f.snapshot), TileParams::with_grid_size(30, 50)),
        f,
    )
}

fn decode(bytes: &[u8]) -> Tile {
    Tile::decode(bytes).expect("valid MVT")
}

fn layer<'a>(t: &'a Tile, name: &str) -> &'a tile::Layer {
    t.layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

/// Feature attributes as strings, for easy asserts.
fn attrs(l: &tile::Layer, f: &tile::Feature) -> BTreeMap<String, String> {
    f.tags
        .chunks(2)
        .map(|kv| {
            let v = &l.values[kv[1] as usize];
            let s = v
                .string_value
                .clone()
                .or(v.uint_value.map(|u| u.to_string()))
                .or(v.int_value.map(|u| u.to_string()))
                .or(v.bool_value.map(|b| b.to_string()))
                .unwrap_or_default();
            (l.keys[kv[0] as usize].clone(), s)
        })
        .collect()
}

fn by_code(l: &tile::Layer, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    l.features
        .iter()
        .map(|f| attrs(l, f))
        .map(|a| (a[key].clone(), a))
        .collect()
}

const ALL: [Layer; 8] = Layer::ALL;

#[test]
fn composite_tile_holds_the_requested_layers_in_order_with_known_counts() {
    let (data, _) = data();
    let z13 = home_z13();
    let t = decode(
        &encode_tile(
            &data,
            &[
                Layer::Grids,
                Layer::Villages,
                Layer::Townships,
                Layer::GridLabels,
            ],
            z13,
        )
        .unwrap(),
    );
    let names: Vec<&str> = t.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["grids", "villages", "townships", "grid_labels"]);
    assert_eq!(layer(&t, "grids").features.len(), 6);
    assert_eq!(layer(&t, "villages").features.len(), 2);
    assert_eq!(layer(&t, "townships").features.len(), 1);
    assert_eq!(layer(&t, "grid_labels").features.len(), 6);
    for l in &t.layers {
        assert_eq!(l.version, 2);
        assert_eq!(l.extent, Some(4096));
    }

    // Buildings start at z14: absent at z13, present in the z14 child holding the fixture.
    let t13 = decode(&encode_tile(&data, &[Layer::Buildings], z13).unwrap());
    assert!(t13.layers.is_empty());
    let z14 = TileCoord::new(14, z13.x() * 2, z13.y() * 2).unwrap();
    let t14 = decode(&encode_tile(&data, &[Layer::Grids, Layer::Buildings], z14).unwrap());
    assert_eq!(layer(&t14, "buildings").features.len(), 8);
    assert_eq!(layer(&t14, "grids").features.len(), 6);
}

#[test]
fn attribute_names_are_exactly_the_documented_ones_and_carry_no_personal_data() {
    let (data, _) = data();
    let z13 = home_z13();
    let z14 = TileCoord::new(14, z13.x() * 2, z13.y() * 2).unwrap();
    let bytes = encode_tile(&data, &ALL, z14).unwrap();
    assert!(
        !bytes.windows(PHONE.len()).any(|w| w == PHONE.as_bytes()),
        "phone number leaked into a tile"
    );
    assert!(
        !bytes.windows(14).any(|w| w == b"1 Example Road"),
        "address is not a documented attribute"
    );
    let t = decode(&bytes);
    assert_eq!(
        t.layers.len(),
        5,
        "incidents and heat are reserved and empty"
    );
    for l in &t.layers {
        let documented: BTreeSet<&str> = Layer::from_name(&l.name)
            .unwrap()
            .fields()
            .iter()
            .map(|f| f.0)
            .collect();
        let used: BTreeSet<&str> = l.keys.iter().map(String::as_str).collect();
        assert!(
            used.is_subset(&documented),
            "{}: {used:?} vs {documented:?}",
            l.name
        );
    }
    let exact = |name: &str, keys: &[&str]| {
        let used: BTreeSet<&str> = layer(&t, name).keys.iter().map(String::as_str).collect();
        assert_eq!(
            used,
            keys.iter().copied().collect::<BTreeSet<_>>(),
            "{name}"
        );
    };
    exact(
        "grids",
        &[
            "code",
            "level",
            "village",
            "households",
            "buildings",
            "staff",
            "colour",
            "flags",
            "institution",
            "locked",
        ],
    );
    exact(
        "buildings",
        &[
            "id",
            "use",
            "levels",
            "households",
            "estimated",
            "grids",
            "split",
        ],
    );
    exact("villages", &["code", "name", "households", "grids"]);
    exact("grid_labels", &["code", "level", "households", "staff"]);
}

#[test]
fn grid_and_admin_attributes_are_computed_from_the_snapshot() {
    let (data, _) = data();
    let t = decode(
        &encode_tile(
            &data,
            &[Layer::Grids, Layer::Villages, Layer::Townships],
            home_z13(),
        )
        .unwrap(),
    );
    let grids = by_code(layer(&t, "grids"), "code");
    let g = |c: &str| &grids[c];
    assert_eq!(g("130102001001-001")["staff"], "网格员0");
    assert_eq!(g("130102001001-001")["locked"], "true");
    assert!(
        !g("130102001001-004").contains_key("staff"),
        "grid 4 has no staff"
    );
    assert!(!g("130102001001-001").contains_key("flags"));
    assert_eq!(g("130102001002-001")["flags"], "oversize");
    assert_eq!(g("130102001002-001")["households"], "70");
    assert_eq!(g("130102001002-002")["flags"], "undersize");
    assert_eq!(g("130102001002-001")["buildings"], "2");
    assert_eq!(g("130102001002-001")["village"], "130102001002");

    let villages = by_code(layer(&t, "villages"), "code");
    assert_eq!(villages["130102001001"]["households"], (4 * 35).to_string());
    assert_eq!(villages["130102001001"]["grids"], "4");
    assert_eq!(
        villages["130102001002"]["households"],
        (10 + 80 + 4).to_string()
    );
    assert_eq!(villages["130102001002"]["name"], "East Village");
    let towns = by_code(layer(&t, "townships"), "code");
    assert_eq!(towns["130102001000"]["households"], (140 + 94).to_string());
    assert_eq!(towns["130102001000"]["grids"], "6");
}

#[test]
fn building_attributes_mark_splits_estimates_and_grids() {
    let (data, _) = data();
    let z13 = home_z13();
    let z14 = TileCoord::new(14, z13.x() * 2, z13.y() * 2).unwrap();
    let t = decode(&encode_tile(&data, &[Layer::Buildings], z14).unwrap());
    let b = by_code(layer(&t, "buildings"), "id");
    assert_eq!(b["tower"]["split"], "true");
    assert_eq!(b["tower"]["grids"], "130102001002-001,130102001002-002");
    assert_eq!(b["tower"]["levels"], "20");
    assert_eq!(b["b0"]["split"], "false");
    assert_eq!(b["b0"]["grids"], "130102001001-001");
    assert_eq!(b["est"]["estimated"], "true");
    assert!(!b["est"].contains_key("levels"));
    assert_eq!(b["b0"]["estimated"], "false");
    assert_eq!(b["school"]["use"], "institution");
    assert!(!b["school"].contains_key("grids"));
}

#[test]
fn adjacent_grids_never_share_a_colour() {
    let (data, f) = data();
    let rects = &f.grid_rects;
    // Independent adjacency: rectangles sharing part of a side.
    let shares_side = |a: [f64; 4], b: [f64; 4]| {
        let e = 1e-12;
        let overlap = |a0: f64, a1: f64, b0: f64, b1: f64| a1.min(b1) - a0.max(b0) > e;
        ((a[2] - b[0]).abs() < e || (b[2] - a[0]).abs() < e) && overlap(a[1], a[3], b[1], b[3])
            || ((a[3] - b[1]).abs() < e || (b[3] - a[1]).abs() < e)
                && overlap(a[0], a[2], b[0], b[2])
    };
    let mut pairs = 0;
    for i in 0..rects.len() {
        for j in i + 1..rects.len() {
            if shares_side(rects[i], rects[j]) {
                pairs += 1;
                assert_ne!(
                    data.grid_colour(i),
                    data.grid_colour(j),
                    "grids {i} and {j}"
                );
            }
        }
    }
    assert_eq!(pairs, 7);
    // The colour attribute in tiles is the precomputed colour.
    let t = decode(&encode_tile(&data, &[Layer::Grids], home_z13()).unwrap());
    let l = layer(&t, "grids");
    for feat in &l.features {
        let idx = (feat.id.unwrap() - 1) as usize;
        assert_eq!(
            attrs(l, feat)["colour"],
            data.grid_colour(idx).unwrap().to_string()
        );
    }
}

#[test]
fn labels_lie_inside_their_grid() {
    let (data, f) = data();
    for (i, g) in f.snapshot.grids.iter().enumerate() {
        let (lon, lat) = data.grid_label(i).unwrap();
        assert!(
            g.polygon.contains(&geo_types::Point::new(lon, lat)),
            "label of grid {i} outside"
        );
    }
}

#[test]
fn geometry_stays_in_the_buffered_extent_and_exteriors_wind_clockwise_at_every_zoom() {
    let (data, _) = data();
    for z in [8u8, 12, 13, 14, 15, 16, 17, 18] {
        // Tiles around the fixture's north-west corner, which straddles tile edges at high zoom.
        let (ox, oy) = common::origin();
        let (wx, wy) = gridmap_tiles::coord::lonlat_to_world(ox + 0.003, oy - 0.002);
        let n = f64::from(1u32 << z);
        let (cx, cy) = ((wx * n) as i64, (wy * n) as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let t = TileCoord::new(z, (cx + dx) as u32, (cy + dy) as u32).unwrap();
                let tile = decode(&encode_tile(&data, &ALL, t).unwrap());
                for l in &tile.layers {
                    for feat in &l.features {
                        let rings = decode_geometry(&feat.geometry);
                        assert!(!rings.is_empty());
                        for p in rings.iter().flatten() {
                            assert!(
                                (-64..=4160).contains(&p[0]) && (-64..=4160).contains(&p[1]),
                                "{} {t}: {p:?}",
                                l.name
                            );
                        }
                        if feat.r#type == Some(tile::GeomType::Polygon as i32) {
                            // Fixture polygons have no holes: every ring is an exterior.
                            for r in &rings {
                                assert!(r.len() >= 3);
                                assert!(
                                    area2(r) > 0,
                                    "{} {t}: ring not clockwise on screen",
                                    l.name
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_village_covering_the_whole_tile_fills_the_buffered_square() {
    let (data, _) = data();
    let (ox, oy) = common::origin();
    let (wx, wy) = gridmap_tiles::coord::lonlat_to_world(ox + 0.002, oy - 0.002);
    let t = TileCoord::new(
        20,
        (wx * f64::from(1 << 20)) as u32,
        (wy * f64::from(1 << 20)) as u32,
    )
    .unwrap();
    let tile = decode(&encode_tile(&data, &[Layer::Villages], t).unwrap());
    let l = layer(&tile, "villages");
    assert_eq!(l.features.len(), 1);
    let rings = decode_geometry(&l.features[0].geometry);
    assert_eq!(rings.len(), 1);
    assert_eq!(area2(&rings[0]), 2 * 4224 * 4224);
}

#[test]
fn an_empty_area_gives_an_empty_tile() {
    let (data, _) = data();
    let far = TileCoord::new(14, 0, 0).unwrap();
    assert!(encode_tile(&data, &ALL, far).unwrap().is_empty());
}

#[test]
fn layer_lists_reject_unknown_names_listing_the_known_ones() {
    let err = Layer::parse_list("grids,parcels").unwrap_err();
    assert!(err.is_user_error());
    assert_eq!(
        err.to_string(),
        "unknown layer \"parcels\"; known layers: townships, villages, grids, grid_labels, buildings, incidents, heat, cameras"
    );
}

#[test]
fn tilejson_lists_every_requested_layer_with_its_fields() {
    let (data, _) = data();
    let tj = gridmap_tiles::tilejson(
        &[Layer::Grids, Layer::Buildings],
        "http://localhost:3000/api/",
        &data,
        None,
    );
    assert_eq!(
        tj["tiles"][0],
        "http://localhost:3000/api/tiles/grids,buildings/{z}/{x}/{y}.mvt"
    );
    assert!(tj.get("attribution").is_none());
    let vl = tj["vector_layers"].as_array().unwrap();
    assert_eq!(vl.len(), 2);
    assert_eq!(vl[1]["minzoom"], 14);
    let fields = vl[0]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), Layer::Grids.fields().len());
    let b = tj["bounds"].as_array().unwrap();
    let (ox, oy) = common::origin();
    assert!(
        (b[0].as_f64().unwrap() - ox).abs() < 1e-9 && (b[3].as_f64().unwrap() - oy).abs() < 1e-9
    );
}

#[test]
fn an_oversized_tile_is_generalised_by_dropping_small_features() {
    let snap = Arc::new(gridmap_synth::street_grid::county(3600));
    let full = TileData::new(Arc::clone(&snap), TileParams::default());
    let mut small = TileParams::default();
    small.max_tile_bytes = 20_000;
    let limited = TileData::new(Arc::clone(&snap), small);
    // The village's middle building (the bounds also hold the empty rest of the township).
    let c = geo::Centroid::centroid(&snap.buildings[1830].footprint)
        .unwrap()
        .0;
    let centre = geo_types::Rect::new(c, c);
    let t = gridmap_tiles::coord::tiles_in_bbox(centre, 14)
        .next()
        .unwrap();
    let count = |bytes: &[u8]| {
        decode(bytes)
            .layers
            .iter()
            .find(|l| l.name == "buildings")
            .map_or(0, |l| l.features.len())
    };
    let a = encode_tile(&full, &[Layer::Buildings], t).unwrap();
    let c = encode_tile(&limited, &[Layer::Buildings], t).unwrap();
    assert!(a.len() > 20_000, "the test needs a big tile: {}", a.len());
    assert!(c.len() < a.len());
    assert!(count(&c) < count(&a));
}

#[test]
fn a_grid_reaching_outside_its_village_is_flagged_and_boundary_grids_are_not() {
    let f = fixture();
    let s = &f.snapshot;
    let mut grids: Vec<gridmap_core::Grid> = s.grids.iter().map(|g| (**g).clone()).collect();
    // Stretch the last grid of East Village 100 m (≈ 0.0011°) beyond the village's east side.
    let r = f.grid_rects[5];
    grids[5].polygon = common::rect(r[0], r[1], r[2] + 0.0011, r[3]);
    let moved = gridmap_core::snapshot::CountySnapshot::new(
        s.admin_units.to_vec(),
        s.buildings.to_vec(),
        grids,
        s.staff.to_vec(),
    );
    let data = TileData::new(Arc::new(moved), TileParams::default());
    assert_eq!(data.grid_flags(5), Some("undersize,outside_village"));
    for i in 0..5 {
        assert!(
            !data.grid_flags(i).unwrap().contains("outside_village"),
            "grid {i} lies on its village boundary only"
        );
    }
}

#[test]
fn tile_coordinates_put_north_up_and_west_left() {
    let (data, _) = data();
    let t = decode(&encode_tile(&data, &[Layer::Grids], home_z13()).unwrap());
    let l = layer(&t, "grids");
    let centre = |code: &str| {
        let f = l
            .features
            .iter()
            .find(|f| attrs(l, f)["code"] == code)
            .unwrap();
        let ring = &decode_geometry(&f.geometry)[0];
        let n = ring.len() as f64;
        (
            ring.iter().map(|p| f64::from(p[0])).sum::<f64>() / n,
            ring.iter().map(|p| f64::from(p[1])).sum::<f64>() / n,
        )
    };
    let (nw, ne, sw) = (
        centre("130102001001-001"),
        centre("130102001001-002"),
        centre("130102001001-003"),
    );
    assert!(nw.0 < ne.0, "west grid must be left of the east one");
    assert!(
        nw.1 < sw.1,
        "north grid must be above the south one (y grows down)"
    );
}

/// A city district of 1,500 households partitioned with `params`: its community, its
/// buildings and its grids.
fn partitioned_district(
    params: &gridmap_core::partition::PartitionParams,
) -> (
    Vec<gridmap_core::AdminUnit>,
    Vec<gridmap_core::Building>,
    Vec<gridmap_core::Grid>,
) {
    use gridmap_core::partition::{partition_village, VillageInput};
    let (units, buildings) = gridmap_synth::urban::district(1, 1_500, 3);
    let refs: Vec<&gridmap_core::Building> = buildings.iter().collect();
    let input = VillageInput {
        village: &units[0],
        buildings: &refs,
        barriers: &[],
        previous: &[],
    };
    let grids = partition_village(&input, params).expect("partition").grids;
    (units, buildings, grids)
}

/// Tower grids of a partitioned city district carry `stacked`: the number of grids
/// holding flats of the tower they stand on (all of them are listed by a click on the
/// footprint); ground grids carry none.
#[test]
fn stacked_tower_grids_say_how_many_grids_share_the_tower() {
    use geo::{Area, Centroid};
    use gridmap_core::partition::PartitionParams;
    use gridmap_core::snapshot::CountySnapshot;
    use gridmap_tiles::coord::lonlat_to_world;
    let (units, buildings, grids) = partitioned_district(&PartitionParams::default());
    // Grids holding flats of each building.
    let mut holding: BTreeMap<String, usize> = BTreeMap::new();
    for g in &grids {
        for m in &g.members {
            *holding.entry(m.building.clone()).or_default() += 1;
        }
    }
    let tower = buildings
        .iter()
        .filter(|b| b.households.count > 100)
        .max_by_key(|b| b.households.count)
        .expect("a tower");
    let expected = holding[&tower.source_id];
    assert!(expected >= 3, "{expected}");
    let c = tower.footprint.centroid().expect("centroid");
    let snap = Arc::new(CountySnapshot::new(units, buildings.clone(), grids, vec![]));
    let data = TileData::new(Arc::clone(&snap), TileParams::default());
    let (x, y) = lonlat_to_world(c.x(), c.y());
    let z16 = TileCoord::new(16, (x * 65536.0) as u32, (y * 65536.0) as u32).unwrap();
    let t = decode(&encode_tile(&data, &[Layer::Grids], z16).unwrap());
    let l = layer(&t, "grids");
    let mut on_tower = 0;
    for f in &l.features {
        let a = attrs(l, f);
        let grid = snap
            .grids
            .iter()
            .find(|g| g.code.as_str() == a["code"])
            .expect("grid of the tile");
        let on_one = grid
            .members
            .iter()
            .all(|m| m.building == grid.members[0].building)
            && grid.members.iter().all(|m| m.flats.is_some());
        match a.get("stacked") {
            Some(n) => {
                assert!(on_one, "{}: stacked but not a tower grid", a["code"]);
                let b = grid.members[0].building.as_str();
                assert_eq!(n, &holding[b].to_string(), "{}", a["code"]);
                on_tower += usize::from(b == tower.source_id);
            }
            None => {
                // A ground grid (it may hold the tower's remaining flats only).
                let on_footprint =
                    grid.polygon.unsigned_area() <= tower.footprint.unsigned_area() * 1.001;
                let of_tower = grid.members[0].building == tower.source_id;
                assert!(
                    !(on_one && of_tower && on_footprint),
                    "{}: a tower grid without `stacked`",
                    a["code"]
                );
            }
        }
    }
    // Every grid holding the tower's flats is in its tile (one that only holds its
    // remaining flats is a ground grid).
    assert!(
        on_tower + 1 >= expected && on_tower > 0,
        "{on_tower} of {expected}"
    );
    // The label points say the same, so the map writes "×N" once per tower.
    let t = decode(&encode_tile(&data, &[Layer::GridLabels], z16).unwrap());
    let labels = layer(&t, "grid_labels");
    let mut labelled = 0;
    for f in &labels.features {
        let a = attrs(labels, f);
        let polygon = attrs(
            l,
            l.features
                .iter()
                .find(|g| attrs(l, g)["code"] == a["code"])
                .expect("its polygon"),
        );
        assert_eq!(a.get("stacked"), polygon.get("stacked"), "{}", a["code"]);
        labelled += usize::from(a.get("stacked") == Some(&expected.to_string()));
    }
    assert!(
        labelled >= on_tower,
        "{labelled} labels of {on_tower} tower grids"
    );
}

#[test]
fn an_institution_grid_label_says_so_and_a_residential_one_does_not() {
    use gridmap_core::partition::PartitionParams;
    use gridmap_core::snapshot::CountySnapshot;
    use gridmap_tiles::coord::lonlat_to_world;
    let (units, buildings, grids) = partitioned_district(&PartitionParams {
        institution_grids: true,
        ..PartitionParams::default()
    });
    let snap = Arc::new(CountySnapshot::new(units, buildings, grids, vec![]));
    let data = TileData::new(Arc::clone(&snap), TileParams::default());
    let mut seen = [0, 0];
    // The z14 tiles of the district: every label, institution or not.
    let bounds = data.bounds().expect("a district has bounds");
    let (x0, y0) = lonlat_to_world(bounds.min().x, bounds.max().y);
    let (x1, y1) = lonlat_to_world(bounds.max().x, bounds.min().y);
    let n = 16384.0;
    for tx in (x0 * n) as u32..=(x1 * n) as u32 {
        for ty in (y0 * n) as u32..=(y1 * n) as u32 {
            let z14 = TileCoord::new(14, tx, ty).unwrap();
            let t = decode(&encode_tile(&data, &[Layer::GridLabels], z14).unwrap());
            let Some(labels) = t.layers.iter().find(|l| l.name == "grid_labels") else {
                continue;
            };
            for f in &labels.features {
                let a = attrs(labels, f);
                let grid = snap
                    .grids
                    .iter()
                    .find(|g| g.code.as_str() == a["code"])
                    .expect("grid of the label");
                let said = a.get("institution").map(String::as_str);
                assert_eq!(said, grid.institution.then_some("true"), "{}", a["code"]);
                seen[usize::from(grid.institution)] += 1;
            }
        }
    }
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "residential and institution labels: {seen:?}"
    );
}

/// Nested grids: both levels are in the `grids` layer with their `level`, micro-grids
/// name their `parent`, and each level is flagged by its own size range (a
/// comprehensive grid of 400 households is not "oversize").
#[test]
fn nested_grids_carry_level_and_parent_and_are_flagged_by_their_own_range() {
    use gridmap_core::partition::{partition_village_nested, PartitionParams, VillageInput};
    use gridmap_core::snapshot::CountySnapshot;
    use gridmap_tiles::coord::lonlat_to_world;
    let (units, buildings) = gridmap_synth::small::villages(1, 1_200, 4);
    let refs: Vec<&gridmap_core::Building> = buildings.iter().collect();
    let input = VillageInput {
        village: &units[0],
        buildings: &refs,
        barriers: &[],
        previous: &[],
    };
    let upper = PartitionParams::new(300, 500, 400);
    let out = partition_village_nested(&input, &upper, &PartitionParams::default()).unwrap();
    let grids = out.into_grids();
    let snap = Arc::new(CountySnapshot::new(units, buildings, grids, vec![]));
    let params = TileParams::with_grid_size(30, 50).with_comprehensive(Some((300, 500)));
    let data = TileData::new(Arc::clone(&snap), params);
    let bounds = data.bounds().expect("bounds");
    let (x, y) = lonlat_to_world(bounds.center().x, bounds.center().y);
    let z14 = TileCoord::new(14, (x * 16384.0) as u32, (y * 16384.0) as u32).unwrap();
    let t = decode(&encode_tile(&data, &[Layer::Grids], z14).unwrap());
    let l = layer(&t, "grids");
    let mut levels = BTreeSet::new();
    for f in &l.features {
        let a = attrs(l, f);
        let grid = snap
            .grids
            .iter()
            .find(|g| g.code.as_str() == a["code"])
            .expect("grid of the feature");
        assert_eq!(a["level"], grid.level.to_string(), "{}", a["code"]);
        assert_eq!(
            a.get("parent").map(String::as_str),
            grid.parent.as_ref().map(|p| p.as_str()),
            "{}",
            a["code"]
        );
        let size_flag = a
            .get("flags")
            .is_some_and(|f| f.contains("undersize") || f.contains("oversize"));
        let (min, max) = if grid.is_comprehensive() {
            (300, 500)
        } else {
            (30, 50)
        };
        assert_eq!(
            size_flag,
            !(min..=max).contains(&grid.households) && !grid.institution,
            "{} with {} households",
            a["code"],
            grid.households
        );
        levels.insert(grid.level);
    }
    assert_eq!(levels, BTreeSet::from([1, 2]));
    // Comprehensive grids come first, so micro-grids are drawn over them.
    let first_micro = l
        .features
        .iter()
        .position(|f| attrs(l, f)["level"] == "1")
        .unwrap();
    assert!(l.features[first_micro..]
        .iter()
        .all(|f| attrs(l, f)["level"] == "1"));
}
