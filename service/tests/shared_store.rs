//! Several servers over one PostGIS database: a write through one server, or plain SQL
//! on the grids table, is announced to the others, which reload and show it.

use futures_util::StreamExt;
use gridmap_service::{AccessPolicy, Caller, GridEditRequest, Service};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{OpenMode, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use sqlx::Connection;
use std::time::Duration;

/// How long a test waits for a notice before it fails instead of hanging.
const HANG_GUARD: Duration = Duration::from_secs(120);

async fn server(url: &str) -> (Service, SharedStore) {
    let store = gridmap_store::open(url, OpenMode::Existing).await.unwrap();
    let service = Service::start(store.clone(), AccessPolicy::default(), 8 << 20)
        .await
        .unwrap();
    (service, store)
}

/// The name server `s` shows for grid `code`.
fn shown_name(s: &Service, code: &str) -> Option<String> {
    s.grid(&Caller::Operator, code).unwrap().grid.name
}

/// A partitioned synthetic county in a new scratch database, and a store on it.
async fn partitioned_county(households: u32, seed: u64) -> (ScratchDatabase, SharedStore) {
    let scratch = ScratchDatabase::create().await.unwrap();
    let store = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    let county = synth_county(&SynthParams::new(households, seed));
    gridmap_service::import::import_partitioned_synthetic(store.as_ref(), county)
        .await
        .unwrap();
    (scratch, store)
}

#[tokio::test]
async fn a_write_through_one_server_or_by_plain_sql_reaches_the_others() {
    let (scratch, setup) = partitioned_county(800, 5).await;
    let (a, _) = server(&scratch.url).await;
    let (b, b_store) = server(&scratch.url).await;
    let mut notices = b_store
        .change_feed()
        .await
        .unwrap()
        .expect("PostGIS announces changes");
    let code = a.data().snapshot().grids[0].code.to_string();
    let version = a.grid(&Caller::Operator, &code).unwrap().grid.version;

    // A rename through server A: B hears of it and shows it after its sync.
    let rename = GridEditRequest {
        name: Some(Some("幸福路东段".into())),
        version: Some(version),
        ..GridEditRequest::default()
    };
    let (_, change) = a
        .edit_grid(&Caller::Operator, &code, &rename)
        .await
        .unwrap();
    let heard = tokio::time::timeout(HANG_GUARD, notices.next())
        .await
        .expect("a notice")
        .expect("the feed goes on");
    assert_eq!(Some(heard), change);
    assert_eq!(shown_name(&b, &code), None, "not before B syncs");
    assert_eq!(b.sync_changes().await.unwrap(), 1);
    assert_eq!(shown_name(&b, &code).as_deref(), Some("幸福路东段"));
    // From the change log's records, village by village: B did not reload the county.
    assert_eq!(b.live().reloads(), 0);
    let grid_count = |s: &Service| s.data().snapshot().grids.len();
    assert_eq!(grid_count(&a), grid_count(&b));

    // Plain SQL on the grids table is logged as a change with the grid's area and
    // announced; B, following changes, shows it without being asked.
    let following = b.clone();
    let follower = tokio::spawn(async move {
        // Polling effectively off: only the notice can bring the change.
        following.follow_changes(Duration::from_secs(3600)).await;
    });
    let mut sql = sqlx::PgConnection::connect(&scratch.url).await.unwrap();
    sqlx::query("UPDATE grids SET name = 'SQL 改名' WHERE code = $1")
        .bind(&code)
        .execute(&mut sql)
        .await
        .unwrap();
    let logged = tokio::time::timeout(HANG_GUARD, notices.next())
        .await
        .expect("a notice")
        .unwrap();
    let change = setup
        .change(logged)
        .await
        .unwrap()
        .expect("the logged change");
    assert_eq!(change.operation, "direct SQL update of 1 grid(s)");
    assert!(change.actor.starts_with("sql:"), "{}", change.actor);
    let grid = setup.grid(&code.parse().unwrap()).await.unwrap().unwrap();
    let [x0, y0, x1, y1] = change.bbox.expect("the grid's area");
    let rect = geo::BoundingRect::bounding_rect(&grid.polygon).unwrap();
    assert!((x0 - rect.min().x).abs() < 1e-9 && (y1 - rect.max().y).abs() < 1e-9);
    assert!((x1 - rect.max().x).abs() < 1e-9 && (y0 - rect.min().y).abs() < 1e-9);
    tokio::time::timeout(HANG_GUARD, async {
        while shown_name(&b, &code).as_deref() != Some("SQL 改名") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("B shows the SQL write");
    follower.abort();
    // A plain-SQL write is logged without its rows: B reloaded.
    assert_eq!(b.live().reloads(), 1);

    // gridmap's own writes are logged once, by gridmap, not again by the trigger.
    let before = setup.last_change().await.unwrap();
    a.sync_changes().await.unwrap();
    let version = a.grid(&Caller::Operator, &code).unwrap().grid.version;
    let rename = GridEditRequest {
        name: Some(None),
        version: Some(version),
        ..GridEditRequest::default()
    };
    a.edit_grid(&Caller::Operator, &code, &rename)
        .await
        .unwrap();
    let newest = setup.recent_changes(5).await.unwrap();
    let since: Vec<_> = newest.iter().filter(|c| c.id > before).collect();
    assert_eq!(since.len(), 1, "{since:?}");
    assert!(!since[0].operation.starts_with("direct SQL"), "{since:?}");
}

/// The grids of `village` as `s` shows them, by code.
fn village_grids(s: &Service, village: &gridmap_core::DivisionCode) -> Vec<gridmap_core::Grid> {
    let data = s.data();
    let mut grids: Vec<_> = data
        .snapshot()
        .grids
        .iter()
        .filter(|g| &g.village == village)
        .map(|g| gridmap_core::Grid::clone(g))
        .collect();
    grids.sort_by(|a, b| a.code.cmp(&b.code));
    grids
}

#[tokio::test]
async fn another_server_shows_a_village_edit_without_reloading_the_county() {
    use gridmap_service::edit::GridOperation;
    use gridmap_service::plan::EditRequest;
    let (scratch, setup) = partitioned_county(1_200, 8).await;
    let (a, _) = server(&scratch.url).await;
    let (b, _) = server(&scratch.url).await;
    let data = a.data();
    let grid = data
        .snapshot()
        .grids
        .iter()
        .find(|g| !g.institution && g.whole_buildings().count() > 3)
        .unwrap();
    let to = data
        .snapshot()
        .grids
        .iter()
        .find(|g| g.village == grid.village && g.code != grid.code && !g.institution)
        .unwrap()
        .code
        .clone();
    let moved: Vec<String> = grid.whole_buildings().take(2).map(str::to_owned).collect();
    let village = grid.village.clone();
    let request = EditRequest {
        operation: GridOperation::MoveBuildings {
            buildings: moved.clone(),
            to: to.clone(),
        },
        versions: Default::default(),
    };
    a.edit_village(&Caller::Operator, village.as_str(), &request)
        .await
        .unwrap();
    assert_ne!(village_grids(&a, &village), village_grids(&b, &village));

    assert_eq!(b.sync_changes().await.unwrap(), 1);
    assert_eq!(b.live().reloads(), 0, "shown from the change log's records");
    assert_eq!(village_grids(&a, &village), village_grids(&b, &village));
    let shown = b.building(&Caller::Operator, &moved[0]).await.unwrap();
    assert_eq!(
        shown.building.grids,
        vec![to.to_string()],
        "B's lookup sees the move"
    );
    let (same_a, same_b) = (a.data(), b.data());
    assert_eq!(same_a.snapshot().grids.len(), same_b.snapshot().grids.len());

    // A county-wide partition is shown by one reload.
    gridmap_service::partition::partition(
        setup.as_ref(),
        &Caller::Operator,
        &gridmap_service::Scope::All,
        &gridmap_service::partition::SizeRequest::default(),
        true,
    )
    .await
    .unwrap();
    b.sync_changes().await.unwrap();
    assert_eq!(b.live().reloads(), 1);
    let fresh = setup.grids().await.unwrap();
    assert_eq!(b.data().snapshot().grids.len(), fresh.len());
}
