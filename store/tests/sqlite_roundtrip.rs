//! The embedded store keeps what it is given, updates by key, and counts registered households.

use geo_types::{polygon, MultiPolygon, Point};
use gridmap_core::*;
use gridmap_store::{GridChange, ImportBatch, Store};

fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + size, y: y), (x: x + size, y: y + size), (x: x, y: y + size), (x: x, y: y)],
    ])
}

fn village() -> AdminUnit {
    AdminUnit {
        code: "411622101201".parse().unwrap(),
        name: "李庄村".into(),
        level: AdminLevel::Village,
        source_id: "test:village/1".into(),
        boundary: square(114.0, 33.0, 0.01),
    }
}

fn building(id: &str, x: f64, households: u32) -> Building {
    Building {
        source_id: id.into(),
        footprint: square(x, 33.001, 0.0001),
        building_use: BuildingUse::Residential,
        levels: Some(2),
        height: None,
        households: HouseholdCount::estimate(households as f64 * 90.0 / 2.0, 2, 90.0),
        address: Some(format!("{id} 号")),
        village: None,
    }
}

fn household(id: &str, building: &str) -> Household {
    Household {
        id: id.into(),
        building: Some(building.into()),
        location: Some(Point::new(114.001, 33.001)),
        entrance: Some("1".into()),
        floor: Some(2),
        unit: Some("201".into()),
        address: None,
        head: Some("张三".into()),
        phone: Some("13800000000".into()),
        members: Some(3),
        tags: vec!["elderly".into()],
    }
}

async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn reimporting_the_same_records_updates_instead_of_duplicating() {
    let (_dir, store) = temp_store().await;
    let batch = ImportBatch {
        admin_units: vec![village()],
        buildings: vec![building("b/1", 114.001, 4), building("b/2", 114.002, 6)],
        ..Default::default()
    };
    let first = store.import(&batch).await.unwrap();
    assert_eq!(first.buildings.inserted, 2);
    assert_eq!(first.admin_units.inserted, 1);
    let second = store.import(&batch).await.unwrap();
    assert_eq!(second.buildings.inserted, 0);
    assert_eq!(second.buildings.updated, 2);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.buildings, 2);
    assert_eq!(stats.villages, 1);
    let loaded = store.buildings().await.unwrap();
    assert_eq!(loaded, batch.buildings);
    assert_eq!(store.admin_units().await.unwrap(), vec![village()]);
}

#[tokio::test]
async fn register_rows_turn_estimated_counts_into_registered_ones() {
    let (_dir, store) = temp_store().await;
    store
        .import(&ImportBatch {
            buildings: vec![building("b/1", 114.001, 9)],
            ..Default::default()
        })
        .await
        .unwrap();
    let summary = store
        .import(&ImportBatch {
            households: vec![household("h1", "b/1"), household("h2", "b/1")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(summary.households.inserted, 2);
    assert_eq!(summary.buildings_with_registered_households, 1);
    let b = store.buildings().await.unwrap().remove(0);
    assert_eq!(b.households, HouseholdCount::registered(2));
    let hs = store.households_of_building("b/1").await.unwrap();
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[0].head.as_deref(), Some("张三"));
    assert_eq!(hs[0].tags, vec!["elderly".to_string()]);
}

#[tokio::test]
async fn replaced_buildings_are_deleted_and_their_register_rows_move_to_the_replacement() {
    let (_dir, store) = temp_store().await;
    store
        .import(&ImportBatch {
            buildings: vec![building("a#0", 114.001, 9), building("a#1", 114.002, 9)],
            households: vec![household("h1", "a#0"), household("h2", "a#0")],
            ..Default::default()
        })
        .await
        .unwrap();
    let summary = store
        .import(&ImportBatch {
            buildings: vec![building("b#0", 114.001, 9), building("b#1", 114.002, 9)],
            replace_buildings: vec![("a#0".into(), "b#0".into()), ("a#1".into(), "b#1".into())],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (summary.buildings.inserted, summary.buildings.updated),
        (0, 2)
    );
    let ids: Vec<String> = store
        .buildings()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.source_id)
        .collect();
    assert_eq!(ids, ["b#0", "b#1"]);
    assert_eq!(store.households_of_building("b#0").await.unwrap().len(), 2);
    let b0 = store.buildings().await.unwrap().remove(0);
    assert_eq!(b0.households, HouseholdCount::registered(2));
}

#[tokio::test]
async fn replacing_grids_of_a_village_keeps_other_villages() {
    let (_dir, store) = temp_store().await;
    let v1: DivisionCode = "411622101201".parse().unwrap();
    let v2: DivisionCode = "411622101202".parse().unwrap();
    let grid = |v: &DivisionCode, serial| Grid {
        code: GridCode::new(v, serial),
        level: 1,
        parent: None,
        village: v.clone(),
        members: vec![GridMember {
            building: "b/1".into(),
            households: 40,
            flats: None,
        }],
        households: 40,
        polygon: square(114.0, 33.0, 0.001),
        staff: Some("s1".into()),
        locked: false,
        institution: false,
        version: 1,
    };
    let change = GridChange {
        actor: "test".into(),
        action: "partition".into(),
        bbox: Some([114.0, 33.0, 114.001, 33.001]),
    };
    store
        .replace_grids(
            &[v1.clone(), v2.clone()],
            &[grid(&v1, 1), grid(&v1, 2), grid(&v2, 1)],
            &change,
        )
        .await
        .unwrap();
    store
        .replace_grids(&[v1.clone()], &[grid(&v1, 3)], &change)
        .await
        .unwrap();
    let codes: Vec<String> = store
        .grids()
        .await
        .unwrap()
        .iter()
        .map(|g| g.code.to_string())
        .collect();
    assert_eq!(codes, vec!["411622101201-003", "411622101202-001"]);
    assert_eq!(store.grids().await.unwrap()[0], grid(&v1, 3));
}

#[tokio::test]
async fn a_postgres_url_is_refused_with_a_clear_message() {
    let err = Store::open("postgres://localhost/x").await.unwrap_err();
    assert!(err.to_string().contains("PostGIS"), "{err}");
}
