//! Both database backends keep what they are given, update by key, and count registered
//! households; the embedded store's file holds every commit.

mod common;

use geo_types::{polygon, MultiPolygon, Point};
use gridmap_core::*;
use gridmap_store::{
    ChangeMeta, GridWrite, ImportBatch, OpenMode, SharedStore, StaffGrids, StoreError,
};

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

async fn temp_store() -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = gridmap_store::open(dir.path().join("t.db").to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    (dir, store)
}

fn meta() -> ChangeMeta {
    ChangeMeta::new("test", "import")
}

#[tokio::test]
async fn reimporting_the_same_records_updates_instead_of_duplicating() {
    for (backend, store, _keep) in common::databases().await {
        eprintln!("backend {backend}");
        let batch = ImportBatch {
            admin_units: vec![village()],
            buildings: vec![building("b/1", 114.001, 4), building("b/2", 114.002, 6)],
            ..Default::default()
        };
        let first = store.import(&batch, &meta()).await.unwrap();
        assert_eq!(first.buildings.inserted, 2);
        assert_eq!(first.admin_units.inserted, 1);
        let second = store.import(&batch, &meta()).await.unwrap();
        // Each import answers the id of its own change in the log.
        assert!(first.change > 0 && second.change > first.change);
        assert_eq!(second.change, store.last_change().await.unwrap());
        assert_eq!(second.buildings.inserted, 0);
        assert_eq!(second.buildings.updated, 2);
        let stats = store.stats().await.unwrap();
        assert_eq!(stats.buildings, 2);
        assert_eq!(stats.villages, 1);
        let loaded = store.buildings().await.unwrap();
        assert_eq!(loaded, batch.buildings);
        assert_eq!(store.admin_units().await.unwrap(), vec![village()]);
    }
}

#[tokio::test]
async fn register_rows_turn_estimated_counts_into_registered_ones() {
    for (backend, store, _keep) in common::stores().await {
        eprintln!("backend {backend}");
        store
            .import(
                &ImportBatch {
                    buildings: vec![building("b/1", 114.001, 9)],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        let summary = store
            .import(
                &ImportBatch {
                    households: vec![household("h1", "b/1"), household("h2", "b/1")],
                    ..Default::default()
                },
                &meta(),
            )
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

        // The footprints imported again (a survey's update, estimated counts) keep the
        // register's count; the new shape is taken.
        let mut surveyed = building("b/1", 114.001, 9);
        surveyed.footprint = square(114.001, 33.001, 0.00012);
        let again = store
            .import(
                &ImportBatch {
                    buildings: vec![surveyed.clone()],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        assert_eq!(again.buildings.updated, 1);
        let b = store.buildings().await.unwrap().remove(0);
        assert_eq!(b.households, HouseholdCount::registered(2), "{backend}");
        assert_eq!(b.footprint, surveyed.footprint, "{backend}");
    }
}

#[tokio::test]
async fn buildings_and_register_rows_in_one_import_count_every_stored_row() {
    for (backend, store, _keep) in common::stores().await {
        let together = ImportBatch {
            buildings: vec![building("b/1", 114.001, 9), building("b/2", 114.002, 5)],
            households: vec![household("h1", "b/1"), household("h2", "b/1")],
            ..Default::default()
        };
        let summary = store.import(&together, &meta()).await.unwrap();
        assert_eq!(summary.buildings_with_registered_households, 1, "{backend}");
        let counts = |buildings: Vec<Building>| -> Vec<HouseholdCount> {
            buildings.into_iter().map(|b| b.households).collect()
        };
        assert_eq!(
            counts(store.buildings().await.unwrap()),
            [
                HouseholdCount::registered(2),
                building("b/2", 0.0, 5).households
            ],
            "{backend}"
        );
        // Imported again with one more register row: the row stored before counts too.
        let more = ImportBatch {
            buildings: vec![building("b/1", 114.001, 9)],
            households: vec![household("h3", "b/1")],
            ..Default::default()
        };
        store.import(&more, &meta()).await.unwrap();
        assert_eq!(
            counts(store.buildings().await.unwrap())[0],
            HouseholdCount::registered(3),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn replaced_buildings_are_deleted_and_their_register_rows_move_to_the_replacement() {
    for (backend, store, _keep) in common::databases().await {
        eprintln!("backend {backend}");
        store
            .import(
                &ImportBatch {
                    buildings: vec![building("a#0", 114.001, 9), building("a#1", 114.002, 9)],
                    households: vec![household("h1", "a#0"), household("h2", "a#0")],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        let summary = store
            .import(
                &ImportBatch {
                    buildings: vec![building("b#0", 114.001, 9), building("b#1", 114.002, 9)],
                    replace_buildings: vec![
                        ("a#0".into(), "b#0".into()),
                        ("a#1".into(), "b#1".into()),
                    ],
                    ..Default::default()
                },
                &meta(),
            )
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
}

#[tokio::test]
async fn replacing_grids_of_a_village_keeps_other_villages() {
    for (backend, store, _keep) in common::databases().await {
        eprintln!("backend {backend}");
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
            name: None,
            staff: Some("s1".into()),
            locked: false,
            institution: false,
            version: 1,
        };
        let partition = ChangeMeta::new("test", "partition");
        let first = GridWrite {
            replace_villages: vec![v1.clone(), v2.clone()],
            upsert: vec![grid(&v1, 1), grid(&v1, 2), grid(&v2, 1)],
            ..GridWrite::default()
        };
        store.write_grids(&first, &partition).await.unwrap();
        let second = GridWrite {
            replace_villages: vec![v1.clone()],
            upsert: vec![grid(&v1, 3)],
            ..GridWrite::default()
        };
        let id = store.write_grids(&second, &partition).await.unwrap();
        let codes: Vec<String> = store
            .grids()
            .await
            .unwrap()
            .iter()
            .map(|g| g.code.to_string())
            .collect();
        assert_eq!(codes, vec!["411622101201-003", "411622101202-001"]);
        assert_eq!(store.grids().await.unwrap()[0], grid(&v1, 3));

        // The log keeps what the second write replaced, exactly, and where it happened.
        let change = store.change(id).await.unwrap().unwrap();
        assert_eq!(change.before.grids, vec![grid(&v1, 1), grid(&v1, 2)]);
        assert_eq!(change.after.grids, vec![grid(&v1, 3)]);
        assert_eq!(change.operation, "partition");
        let [x0, y0, x1, y1] = change.bbox.unwrap();
        assert!(x0 <= 114.0 && y0 <= 33.0 && x1 >= 114.001 && y1 >= 33.001);
        let marks = store.changes_since(0).await.unwrap();
        assert_eq!(marks.last().unwrap().id, id);
        assert_eq!(store.last_change().await.unwrap(), id);
    }
}

#[tokio::test]
async fn a_grid_write_with_a_stale_version_changes_nothing() {
    for (backend, store, _keep) in common::databases().await {
        eprintln!("backend {backend}");
        store
            .import(
                &ImportBatch {
                    staff: vec![staff("s1"), staff("s2")],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        let v: DivisionCode = "411622101201".parse().unwrap();
        let g = Grid {
            code: GridCode::new(&v, 1),
            level: 1,
            parent: None,
            village: v.clone(),
            members: vec![],
            households: 0,
            polygon: square(114.0, 33.0, 0.001),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 3,
        };
        let put = GridWrite {
            upsert: vec![g.clone()],
            ..GridWrite::default()
        };
        store
            .write_grids(&put, &ChangeMeta::new("t", "put"))
            .await
            .unwrap();
        let before = store.last_change().await.unwrap();
        let stale = GridWrite {
            upsert: vec![Grid {
                locked: true,
                version: 3,
                ..g.clone()
            }],
            staff_grids: vec![StaffGrids {
                staff: "s1".into(),
                grids: vec![g.code.clone()],
            }],
            expect_versions: vec![(g.code.clone(), 2)],
            ..GridWrite::default()
        };
        let err = store
            .write_grids(&stale, &ChangeMeta::new("t", "lock"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { current: 3, .. }),
            "{err}"
        );
        assert_eq!(store.grid(&g.code).await.unwrap().unwrap(), g);
        assert!(store.staff().await.unwrap()[0].grids.is_empty());
        assert_eq!(store.last_change().await.unwrap(), before, "nothing logged");
    }
}

#[tokio::test]
async fn read_commands_do_not_create_a_store_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let err = gridmap_store::open(path.to_str().unwrap(), OpenMode::Existing)
        .await
        .err()
        .expect("a missing store is refused");
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(!path.exists(), "no empty store left behind");
}

#[tokio::test]
async fn committed_data_lives_in_the_main_file_after_close_and_in_a_backup_while_open() {
    let (dir, store) = temp_store().await;
    let batch = ImportBatch {
        admin_units: vec![village()],
        buildings: vec![building("b/1", 114.001, 4)],
        ..Default::default()
    };
    store.import(&batch, &meta()).await.unwrap();
    // A backup of the live store is complete and consistent.
    let copy = dir.path().join("copy.db");
    store.backup(&copy).await.unwrap();
    assert!(matches!(
        store.backup(&copy).await,
        Err(StoreError::Exists { .. })
    ));
    store.close().await.unwrap();
    let wal = dir.path().join("t.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "closing leaves nothing in the write-ahead log"
    );
    for path in [dir.path().join("t.db"), copy] {
        let reopened = gridmap_store::open(path.to_str().unwrap(), OpenMode::Existing)
            .await
            .unwrap();
        assert_eq!(
            reopened.stats().await.unwrap().buildings,
            1,
            "{}",
            path.display()
        );
        reopened.close().await.unwrap();
    }
}

#[tokio::test]
async fn partition_parameters_staff_homes_and_incidents_come_back_as_stored() {
    for (backend, store, _keep) in common::databases().await {
        eprintln!("backend {backend}");
        assert_eq!(store.partition_params().await.unwrap(), None);
        let params =
            gridmap_core::partition::PartitionParams::new(20, 40, 30).with_institution_grids(true);
        store
            .set_partition_params(&params, &ChangeMeta::new("t", "sizes"))
            .await
            .unwrap();
        assert_eq!(store.partition_params().await.unwrap(), Some(params));
        let incident = Incident {
            subcategory: Some("邻里".into()),
            status: IncidentStatus::Dispatched,
            grid: Some("411622101201-001".parse().unwrap()),
            reporter: Some("s1".into()),
            ..Incident::new("i1", 1_700_000_000, "纠纷", Point::new(114.001, 33.001))
        };
        store
            .import(
                &ImportBatch {
                    incidents: vec![incident.clone()],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        assert_eq!(store.incidents().await.unwrap(), vec![incident]);
        let at_home = Staff {
            home: Some(Point::new(114.002_5, 33.001_25)),
            ..staff("s9")
        };
        store
            .import(
                &ImportBatch {
                    staff: vec![at_home.clone(), staff("s8")],
                    ..Default::default()
                },
                &meta(),
            )
            .await
            .unwrap();
        let mut roster = store.staff().await.unwrap();
        roster.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(roster, vec![staff("s8"), at_home], "{backend}");
    }
}

fn staff(id: &str) -> Staff {
    Staff {
        id: id.into(),
        name: format!("员工{id}"),
        phone: None,
        role: StaffRole::GridStaff,
        area: None,
        grids: vec![],
        home: None,
    }
}

#[tokio::test]
async fn a_postgres_database_without_the_schema_is_not_read_as_an_empty_store() {
    let scratch = gridmap_store::scratch::ScratchDatabase::create()
        .await
        .unwrap();
    let err = gridmap_store::open(&scratch.url, OpenMode::Existing)
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    // Created, it is a store, and then it opens as an existing one.
    gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    let store = gridmap_store::open(&scratch.url, OpenMode::Existing)
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().buildings, 0);
}

/// A load as large as the table it goes into merges without the secondary indexes and
/// rebuilds them: afterwards every index is there and answers.
#[tokio::test]
async fn a_bulk_import_into_postgis_leaves_every_index_in_place() {
    use sqlx::Connection;
    let scratch = gridmap_store::scratch::ScratchDatabase::create()
        .await
        .unwrap();
    let store = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    let mut sql = sqlx::PgConnection::connect(&scratch.url).await.unwrap();
    let indexes = async |sql: &mut sqlx::PgConnection| -> Vec<String> {
        sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE tablename = 'buildings' ORDER BY 1",
        )
        .fetch_all(sql)
        .await
        .unwrap()
    };
    let made = indexes(&mut sql).await;
    assert!(made.contains(&"buildings_footprint".to_owned()), "{made:?}");
    let buildings: Vec<Building> = (0..60_000)
        .map(|i| building(&format!("b{i}"), 114.0 + f64::from(i) * 0.0002, 3))
        .collect();
    let batch = ImportBatch {
        buildings,
        ..ImportBatch::default()
    };
    let summary = store.import(&batch, &meta()).await.unwrap();
    assert_eq!(summary.buildings.inserted, 60_000);
    assert_eq!(indexes(&mut sql).await, made);
    // The rebuilt spatial index finds what lies in a box.
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM buildings
         WHERE footprint && ST_MakeEnvelope(114.0, 33.0, 114.00099, 33.01, 4326)",
    )
    .fetch_one(&mut sql)
    .await
    .unwrap();
    assert_eq!(found, 5);
}
