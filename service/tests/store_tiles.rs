//! Tiles PostGIS draws itself (`serve --store-tiles buildings`): the same features and
//! attributes as the in-memory layer, kept up to date by edits, and refused by a store
//! that cannot draw them.

use geozero::mvt::{tile, Message, Tile};
use gridmap_service::edit::{apply, GridOperation};
use gridmap_service::{AccessPolicy, Caller, Service};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{OpenMode, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use gridmap_tiles::coord::tiles_in_bbox;
use gridmap_tiles::encode::decode_geometry;
use gridmap_tiles::{Encoding, Layer, TileKey};
use std::collections::BTreeMap;

async fn server(store: &SharedStore, in_store: &[Layer]) -> Service {
    Service::start(store.clone(), AccessPolicy::default(), 8 << 20)
        .await
        .unwrap()
        .with_store_tiles(in_store)
        .unwrap()
}

/// Each feature of `layer` by its `id` attribute: its attributes (as text) and rings.
type Features = BTreeMap<String, (BTreeMap<String, String>, Vec<Vec<[i32; 2]>>)>;

async fn drawn(service: &Service, layers: &[Layer], z: u8, x: u32, y: u32) -> Tile {
    let coord = gridmap_tiles::TileCoord::new(z, x, y).unwrap();
    let (tile, _) = service
        .tile(TileKey::new(layers, coord), Encoding::Identity)
        .await
        .unwrap();
    Tile::decode(tile.encoded(Encoding::Identity).unwrap()).unwrap()
}

fn features(tile: &Tile, name: &str) -> Features {
    let Some(layer) = tile.layers.iter().find(|l| l.name == name) else {
        return Features::new();
    };
    layer
        .features
        .iter()
        .map(|f| {
            let attrs: BTreeMap<String, String> = f
                .tags
                .chunks(2)
                .map(|kv| {
                    (
                        layer.keys[kv[0] as usize].clone(),
                        text(&layer.values[kv[1] as usize]),
                    )
                })
                .collect();
            (attrs["id"].clone(), (attrs, decode_geometry(&f.geometry)))
        })
        .collect()
}

fn text(v: &tile::Value) -> String {
    v.string_value
        .clone()
        .or(v.uint_value.map(|u| u.to_string()))
        .or(v.int_value.map(|i| i.to_string()))
        .or(v.sint_value.map(|i| i.to_string()))
        .or(v.bool_value.map(|b| b.to_string()))
        .unwrap_or_default()
}

/// Twice the signed area of a ring in tile coordinates (positive: an exterior ring as
/// the MVT specification winds it).
fn twice_area(ring: &[[i32; 2]]) -> i64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

fn bbox(rings: &[Vec<[i32; 2]>]) -> [i32; 4] {
    let points = rings.iter().flatten();
    points.fold([i32::MAX, i32::MAX, i32::MIN, i32::MIN], |b, p| {
        [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ]
    })
}

/// Whether rings reach into the tile proper (not only its buffer).
fn in_tile(rings: &[Vec<[i32; 2]>]) -> bool {
    let b = bbox(rings);
    b[0] < 4096 && b[1] < 4096 && b[2] > 0 && b[3] > 0
}

#[tokio::test]
async fn postgis_draws_the_buildings_layer_as_memory_does_and_edits_reach_it() {
    let scratch = ScratchDatabase::create().await.unwrap();
    let store = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    // Three buildings become towers too large for one grid, so grids split them by flat.
    let mut county = synth_county(&SynthParams::new(1_500, 3));
    let registered: std::collections::HashSet<_> = county
        .households
        .iter()
        .filter_map(|h| h.building.clone())
        .collect();
    let towers = county
        .buildings
        .iter_mut()
        .filter(|b| !registered.contains(&b.source_id));
    for tower in towers.step_by(97).take(3) {
        tower.households.count = 140;
        tower.levels = Some(28);
    }
    // Some buildings know their height (a half metre rounds up in both paths).
    for (i, b) in county.buildings.iter_mut().enumerate().step_by(7) {
        b.height = Some(if i % 2 == 0 { 9.5 } else { 12.3 });
    }
    gridmap_service::import::import_partitioned_synthetic(store.as_ref(), county)
        .await
        .unwrap();
    let memory = server(&store, &[]).await;
    let postgis = server(&store, &[Layer::Buildings]).await;
    let bounds = memory.data().tiles.bounds().unwrap();
    let layers = [Layer::Grids, Layer::Buildings];

    let (mut compared, mut inside, mut split, mut heights) = (0, 0, 0, 0);
    for z in [14u8, 16] {
        for coord in tiles_in_bbox(bounds, z).step_by(3) {
            let (x, y) = (coord.x(), coord.y());
            let ours = drawn(&memory, &layers, z, x, y).await;
            let theirs = drawn(&postgis, &layers, z, x, y).await;
            // The grids layer comes from memory in both.
            let grids = |t: &Tile| {
                let layer = t.layers.iter().find(|l| l.name == "grids");
                layer.map(|l| l.features.len())
            };
            assert_eq!(grids(&ours), grids(&theirs));
            let (ours, theirs) = (features(&ours, "buildings"), features(&theirs, "buildings"));
            // In the buffer around the tile memory clips and may drop a sliver that
            // PostGIS keeps whole; what reaches into the tile itself is the same.
            let only_memory: Vec<_> = ours
                .iter()
                .filter(|(k, f)| in_tile(&f.1) && !theirs.contains_key(*k))
                .map(|(k, _)| k)
                .collect();
            let only_postgis: Vec<_> = theirs
                .iter()
                .filter(|(k, f)| in_tile(&f.1) && !ours.contains_key(*k))
                .map(|(k, _)| k)
                .collect();
            assert!(
                only_memory.is_empty() && only_postgis.is_empty(),
                "{z}/{x}/{y}: only in memory {only_memory:?}, only from PostGIS {only_postgis:?}"
            );
            for (id, (attrs, rings)) in ours.iter().filter(|(_, f)| in_tile(&f.1)) {
                let (their_attrs, their_rings) = &theirs[id];
                assert_eq!(attrs, their_attrs, "attributes of {id} in {z}/{x}/{y}");
                split += usize::from(attrs["split"] == "true" && attrs["grids"].contains(','));
                heights += usize::from(attrs.get("height").is_some_and(|h| h == "10" || h == "12"));
                for ring in their_rings.iter().take(1) {
                    assert!(
                        twice_area(ring) > 0,
                        "{id}: the exterior ring winds as MVT wants"
                    );
                }
                // Memory clips to the buffer; PostGIS keeps a house whole. Inside the tile
                // both draw the same footprint, give or take the rounding of a unit.
                let (a, b) = (bbox(rings), bbox(their_rings));
                if a[0] > 0 && a[1] > 0 && a[2] < 4096 && a[3] < 4096 {
                    let off = (0..4).map(|i| (a[i] - b[i]).abs()).max().unwrap();
                    assert!(off <= 1, "{id} in {z}/{x}/{y}: {a:?} against {b:?}");
                    inside += 1;
                }
                compared += 1;
            }
        }
    }
    assert!(
        compared > 500 && inside > 300,
        "{compared} compared, {inside} inside"
    );
    assert!(split > 0, "the county has split high-rises");
    assert!(heights > 50, "known heights are drawn, rounded ({heights})");

    // A building moved to another grid (by another process, as `gridmap` commands do):
    // once the server syncs, its purged tile shows the building's new grid.
    let snapshot = postgis.data().snapshot().clone();
    let grid = snapshot
        .grids
        .iter()
        .find(|g| g.whole_buildings().next().is_some())
        .unwrap();
    let building = grid.whole_buildings().next().unwrap().to_owned();
    let to = snapshot
        .grids
        .iter()
        .find(|g| g.village == grid.village && g.code != grid.code && !g.institution)
        .map(|g| g.code.clone())
        .unwrap();
    let footprint = &snapshot
        .buildings
        .iter()
        .find(|b| b.source_id == building)
        .unwrap()
        .footprint;
    let point = gridmap_core::geometry::representative_point(footprint).unwrap();
    let (x, y) = gridmap_tiles::coord::lonlat_to_world(point.x(), point.y());
    let (tx, ty) = ((x * 65536.0) as u32, (y * 65536.0) as u32);
    let before = features(&drawn(&postgis, &layers, 16, tx, ty).await, "buildings");
    assert_eq!(before[&building].0["grids"], grid.code.to_string());
    let op = GridOperation::MoveBuildings {
        buildings: vec![building.clone()],
        to: to.clone(),
    };
    apply(store.as_ref(), &Caller::Operator, &op).await.unwrap();
    assert!(postgis.sync_changes().await.unwrap() > 0);
    let after = features(&drawn(&postgis, &layers, 16, tx, ty).await, "buildings");
    assert_eq!(after[&building].0["grids"], to.to_string());

    // Moved back by plain SQL on the member lists (a DBA, another tool): the triggers
    // on `grids` carry it to the building's row, and the tile shows it after a sync.
    use sqlx::Connection;
    let mut sql = sqlx::PgConnection::connect(&scratch.url).await.unwrap();
    sqlx::query(
        "WITH moved AS (
             SELECT m FROM grids g, jsonb_array_elements(g.members::jsonb) m
             WHERE g.code = $2 AND m->>'building' = $1)
         UPDATE grids g SET members = CASE WHEN g.code = $2 THEN
             (SELECT COALESCE(jsonb_agg(m), '[]') FROM jsonb_array_elements(g.members::jsonb) m
              WHERE m->>'building' <> $1)::text
             ELSE (g.members::jsonb || (SELECT jsonb_agg(m) FROM moved))::text END
         WHERE g.code IN ($2, $3)",
    )
    .bind(&building)
    .bind(to.as_str())
    .bind(grid.code.as_str())
    .execute(&mut sql)
    .await
    .unwrap();
    assert!(postgis.sync_changes().await.unwrap() > 0);
    let back = features(&drawn(&postgis, &layers, 16, tx, ty).await, "buildings");
    assert_eq!(back[&building].0["grids"], grid.code.to_string());
    assert_eq!(back[&building].0["split"], "false");

    // The building's row deleted by SQL and imported again after its grids: the import
    // gives it their codes back.
    sqlx::query("DELETE FROM buildings WHERE source_id = $1")
        .bind(&building)
        .execute(&mut sql)
        .await
        .unwrap();
    let again = snapshot
        .buildings
        .iter()
        .find(|b| b.source_id == building)
        .unwrap()
        .clone();
    let batch = gridmap_store::ImportBatch {
        buildings: vec![again],
        ..Default::default()
    };
    let meta = gridmap_store::ChangeMeta {
        actor: "test".into(),
        operation: "import buildings".into(),
        audit: None,
    };
    store.import(&batch, &meta).await.unwrap();
    let grids: Option<String> =
        sqlx::query_scalar("SELECT grids FROM buildings WHERE source_id = $1")
            .bind(&building)
            .fetch_one(&mut sql)
            .await
            .unwrap();
    assert_eq!(grids.as_deref(), Some(grid.code.as_str()));
}

#[tokio::test]
async fn only_postgis_draws_tiles_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let store = gridmap_store::open(path.to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    let service = Service::start(store, AccessPolicy::default(), 1 << 20)
        .await
        .unwrap();
    let err = service.with_store_tiles(&[Layer::Buildings]).err().unwrap();
    assert!(err.to_string().contains("only the PostGIS store"), "{err}");
}

/// The largest distance in metres between each building's tile copy and PostGIS's own
/// projection of its footprint, and whether every copy winds as the tiles need (exterior
/// rings clockwise, holes anticlockwise).
async fn tile_copy_error(sql: &mut sqlx::PgConnection) -> (f64, bool) {
    let (distance, clockwise, size_error): (f64, bool, f64) = sqlx::query_as(
        "SELECT COALESCE(max(ST_HausdorffDistance(footprint_mercator,
                    ST_Transform(footprint, 3857))), 0),
                COALESCE(bool_and(ST_IsPolygonCW(footprint_mercator)), true),
                COALESCE(max(abs(mercator_size - GREATEST(
                    ST_XMax(footprint_mercator) - ST_XMin(footprint_mercator),
                    ST_YMax(footprint_mercator) - ST_YMin(footprint_mercator)))), 0)
         FROM buildings",
    )
    .fetch_one(&mut *sql)
    .await
    .unwrap();
    // The size the tiles filter by (migration 18) is that of the copy, whoever wrote it.
    let missing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM buildings WHERE mercator_size IS NULL")
            .fetch_one(&mut *sql)
            .await
            .unwrap();
    assert_eq!(missing, 0, "buildings without their size on the map");
    assert!(
        size_error < 1e-6,
        "a stored size is {size_error} m off its copy's"
    );
    (distance, clockwise)
}

#[tokio::test]
async fn the_tile_copy_of_each_footprint_follows_every_writer() {
    use sqlx::Connection;
    let scratch = ScratchDatabase::create().await.unwrap();
    let store = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    // Thousands of buildings into an empty table: copied straight in, projected by gridmap.
    let county = synth_county(&SynthParams::new(1_500, 5));
    assert!(county.buildings.len() > 4_000);
    let meta = gridmap_store::ChangeMeta {
        actor: "test".into(),
        operation: "import buildings".into(),
        audit: None,
    };
    let batch = gridmap_store::ImportBatch {
        buildings: county.buildings.clone(),
        ..Default::default()
    };
    store.import(&batch, &meta).await.unwrap();
    let mut sql = sqlx::PgConnection::connect(&scratch.url).await.unwrap();
    let (error, clockwise) = tile_copy_error(&mut sql).await;
    assert!(error < 1e-6, "{error} m from PostGIS's projection");
    assert!(clockwise, "an exterior ring is not clockwise");

    // gridmap re-imports a moved building (merged through the staging table).
    let mut moved = county.buildings[7].clone();
    for p in &mut moved.footprint.0 {
        p.exterior_mut(|ring| ring.0.iter_mut().for_each(|c| c.x += 0.001));
    }
    let batch = gridmap_store::ImportBatch {
        buildings: vec![moved.clone()],
        ..Default::default()
    };
    store.import(&batch, &meta).await.unwrap();
    // Plain SQL moves one footprint, inserts a building without the copy and another
    // with a wrong one: each row is projected again.
    sqlx::query(
        "UPDATE buildings SET footprint = ST_Translate(footprint, 0, 0.001) WHERE source_id = $1",
    )
    .bind(&county.buildings[8].source_id)
    .execute(&mut sql)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO buildings (source_id, footprint, building_use, households, household_source)
         SELECT source_id || ':copy', footprint, building_use, 0, 'estimated' FROM buildings
         WHERE source_id = $1",
    )
    .bind(&county.buildings[9].source_id)
    .execute(&mut sql)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO buildings (source_id, footprint, footprint_mercator, building_use,
                                households, household_source)
         SELECT source_id || ':wrong', footprint, ST_Translate(footprint_mercator, 500, 0),
                building_use, 0, 'estimated' FROM buildings WHERE source_id = $1",
    )
    .bind(&county.buildings[10].source_id)
    .execute(&mut sql)
    .await
    .unwrap();
    let (error, clockwise) = tile_copy_error(&mut sql).await;
    assert!(
        error < 1e-6,
        "{error} m from PostGIS's projection after the writes"
    );
    assert!(clockwise);
    let moved_x: f64 = sqlx::query_scalar(
        "SELECT ST_XMin(footprint_mercator) FROM buildings WHERE source_id = $1",
    )
    .bind(&moved.source_id)
    .fetch_one(&mut sql)
    .await
    .unwrap();
    let (x, _) = gridmap_core::mercator::lonlat_to_metres(
        moved.footprint.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| c.x)
            .fold(f64::MAX, f64::min),
        0.0,
    );
    assert!((moved_x - x).abs() < 1e-6, "{moved_x} against {x}");
}
