//! The HTTP service end to end, in process (`app().oneshot()`), on a small partitioned
//! synthetic county in a temporary store: an embedded SQLite file, or a scratch PostGIS
//! database when `GRIDMAP_TEST_STORE=postgis` (scripts/test.sh runs this suite both ways).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use geozero::mvt::{tile, Message, Tile};
use gridmap::http::{app, AppState, HttpConfig};
use gridmap_service::partition::{partition, SizeRequest};
use gridmap_service::{AccessPolicy, Caller, Scope, Service};
use gridmap_store::{ChangeMeta, OpenMode};
use gridmap_synth::{synth_county, SynthParams};
use gridmap_tiles::coord::lonlat_to_world;
use http_body_util::BodyExt;
use std::io::Read;
use tower::ServiceExt;

/// The signing key of every test store, so the admin's token is the same in each.
const TEST_KEY: [u8; 32] = [7; 32];

/// The token of the fixture's admin (account 1, credential 1, scope all): the same in
/// every fixture, since each store signs with [`TEST_KEY`].
fn token() -> &'static str {
    ADMIN_TOKEN
        .get()
        .expect("make a fixture before asking for its token")
}

static ADMIN_TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Signs `store` with the test key and gives it an admin of everything, account 1, with
/// a token that expires in 2100; returns the token.
async fn admin_token(store: &dyn gridmap_store::Store) -> String {
    use gridmap_service::access::{add_account, AccountRequest};
    store.signing_key(&TEST_KEY).await.unwrap();
    let request = AccountRequest {
        login: "admin".into(),
        role: gridmap_core::Role::Admin,
        scope: gridmap_core::AccessScope::All,
        password: Some("admin password".into()),
        staff: None,
    };
    let (admin, _) = add_account(store, &Caller::Operator, &request, 0)
        .await
        .unwrap();
    let credential = store
        .add_credential(&gridmap_store::NewCredential {
            account: admin.id,
            kind: gridmap_store::CredentialKind::Token,
            label: "tests".into(),
            expires_at: 4_102_444_800,
        })
        .await
        .unwrap();
    let credentials = gridmap_service::Credentials::load(store, AccessPolicy::default())
        .await
        .unwrap();
    let token = credentials.present(&credential);
    assert_eq!(ADMIN_TOKEN.get_or_init(|| token.clone()), &token);
    token
}

struct Fixture {
    /// What keeps the store alive: its directory, or its scratch database.
    _keep: Box<dyn std::any::Any + Send>,
    state: AppState,
}

/// A new empty store of the backend `GRIDMAP_TEST_STORE` names (`sqlite`, the default, or
/// `postgis`), with what keeps it alive.
async fn new_store() -> (gridmap_store::SharedStore, Box<dyn std::any::Any + Send>) {
    match std::env::var("GRIDMAP_TEST_STORE").as_deref() {
        Ok("postgis") => {
            let scratch = gridmap_store::scratch::ScratchDatabase::create()
                .await
                .expect("a PostgreSQL server with PostGIS (GRIDMAP_TEST_POSTGRES)");
            let store = gridmap_store::open(&scratch.url, OpenMode::Create)
                .await
                .unwrap();
            (store, Box::new(scratch))
        }
        Ok("sqlite") | Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("t.db");
            let store = gridmap_store::open(db.to_str().unwrap(), OpenMode::Create)
                .await
                .unwrap();
            (store, Box::new(dir))
        }
        Ok(other) => panic!("GRIDMAP_TEST_STORE={other}: use sqlite or postgis"),
    }
}

async fn fixture(public_url: &str) -> Fixture {
    fixture_of(public_url, 1500, 11).await
}

async fn fixture_of(public_url: &str, households: u32, seed: u64) -> Fixture {
    let (store, keep) = new_store().await;
    let county = synth_county(&SynthParams {
        households,
        seed,
        ..SynthParams::default()
    });
    store
        .import(
            &gridmap_service::import::synthetic_batch(county),
            &ChangeMeta::new("test", "synth"),
        )
        .await
        .unwrap();
    partition(
        store.as_ref(),
        &Caller::Operator,
        &Scope::All,
        &SizeRequest::default(),
        true,
    )
    .await
    .unwrap();
    admin_token(store.as_ref()).await;
    let service = Service::start(store, AccessPolicy::default(), 64 << 20)
        .await
        .unwrap();
    Fixture {
        state: AppState::new(service, http_config(public_url)),
        _keep: keep,
    }
}

/// The server's settings in these tests: the web map built into the binary, no basemap.
fn http_config(public_url: &str) -> HttpConfig {
    HttpConfig {
        public_url: public_url.to_owned(),
        web_dir: None,
        basemap_style: None,
        attribution: "gridmap".into(),
        local_demo: false,
        cors_origins: Vec::new(),
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// The JSON body of a 200 answer; anything else fails the test, showing the body.
    fn ok_json(&self) -> serde_json::Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(state: &AppState, uri: &str, headers: &[(header::HeaderName, &str)]) -> Answer {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    send(state, req.body(Body::empty()).unwrap()).await
}

/// The z/x/y of the tile holding a lon/lat at zoom z.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let (wx, wy) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    // world coordinates are in [0, 1) with y down
    ((z), (wx * n).floor() as u32, (wy * n).floor() as u32)
}

fn decode(bytes: &[u8]) -> Tile {
    Tile::decode(bytes).expect("a valid MVT")
}

fn attr(layer: &tile::Layer, feature: &tile::Feature, name: &str) -> Option<tile::Value> {
    feature.tags.chunks(2).find_map(|kv| {
        let key = layer.keys.get(kv[0] as usize)?;
        (key == name)
            .then(|| layer.values.get(kv[1] as usize).cloned())
            .flatten()
    })
}

fn first_grid(state: &AppState) -> (String, [f64; 2], String) {
    let data = state.service().data();
    let snap = data.snapshot();
    let g = snap
        .grids
        .iter()
        .find(|g| g.staff.is_some() && !g.institution)
        .expect("a staffed grid");
    let c = geo::InteriorPoint::interior_point(&g.polygon).unwrap();
    (g.code.to_string(), [c.x(), c.y()], g.staff.clone().unwrap())
}

#[tokio::test]
async fn tiles_are_negotiated_gzip_brotli_or_plain_and_answer_304_to_their_etag() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let (z, x, y) = tile_of(lon, lat, 15);
    let uri = format!("/tiles/grids,buildings/{z}/{x}/{y}.mvt");
    let plain = get(&f.state, &uri, &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(
        plain.header(header::CONTENT_TYPE),
        Some("application/vnd.mapbox-vector-tile")
    );
    assert_eq!(plain.header(header::CONTENT_ENCODING), None);
    let names: Vec<String> = decode(&plain.body)
        .layers
        .iter()
        .map(|l| l.name.clone())
        .collect();
    assert_eq!(names, vec!["grids", "buildings"]);

    let gz = get(&f.state, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);

    let br = get(&f.state, &uri, &[(header::ACCEPT_ENCODING, "gzip, br")]).await;
    assert_eq!(br.header(header::CONTENT_ENCODING), Some("br"));
    assert!(!br.body.is_empty() && br.body != plain.body);

    let etag = plain.header(header::ETAG).expect("an ETag").to_owned();
    let again = get(&f.state, &uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert!(plain.header(header::CACHE_CONTROL).is_some());
}

#[tokio::test]
async fn malformed_tile_requests_get_400_or_404_with_a_message_never_500() {
    let f = fixture("http://test").await;
    let cases = [
        ("/tiles/grids/23/0/0.mvt", StatusCode::BAD_REQUEST, "z=23"),
        ("/tiles/grids/4/16/0.mvt", StatusCode::BAD_REQUEST, "x=16"),
        (
            "/tiles/grids/4/0/-1.mvt",
            StatusCode::BAD_REQUEST,
            "negative",
        ),
        ("/tiles/grids/a/0/0.mvt", StatusCode::BAD_REQUEST, "z="),
        ("/tiles/grids/4/0/0.png", StatusCode::NOT_FOUND, ".mvt"),
        (
            "/tiles/roads/4/0/0.mvt",
            StatusCode::NOT_FOUND,
            "unknown layer",
        ),
        ("/tiles/grids,,/4/0/0.mvt", StatusCode::OK, ""),
        ("/tiles/roads.json", StatusCode::NOT_FOUND, "unknown layer"),
    ];
    for (uri, status, needle) in cases {
        let a = get(&f.state, uri, &[]).await;
        let ok =
            a.status == status || (status == StatusCode::OK && a.status == StatusCode::NO_CONTENT);
        assert!(
            ok,
            "{uri}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        if !needle.is_empty() {
            let msg = a.json()["error"].as_str().unwrap_or_default().to_owned();
            assert!(
                msg.contains(needle),
                "{uri}: message {msg:?} should mention {needle:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_edit_is_visible_in_the_very_next_tile_request() {
    let f = fixture("http://test").await;
    let (code, [lon, lat], old_staff) = first_grid(&f.state);
    let (z, x, y) = tile_of(lon, lat, 16);
    let uri = format!("/tiles/grids/{z}/{x}/{y}.mvt");
    let staff_name = |body: &[u8]| {
        let t = decode(body);
        let layer = t
            .layers
            .iter()
            .find(|l| l.name == "grids")
            .expect("grids layer")
            .clone();
        layer
            .features
            .iter()
            .find(|ft| attr(&layer, ft, "code").and_then(|v| v.string_value) == Some(code.clone()))
            .and_then(|ft| attr(&layer, ft, "staff"))
            .and_then(|v| v.string_value)
    };
    let before = get(&f.state, &uri, &[]).await;
    let snap = f.state.service().data();
    let old_name = snap
        .snapshot()
        .staff_member(&old_staff)
        .unwrap()
        .name
        .clone();
    assert_eq!(staff_name(&before.body), Some(old_name.clone()));
    // Someone else of the same village takes the grid.
    let new_staff = snap
        .snapshot()
        .staff
        .iter()
        .find(|s| {
            s.id != old_staff
                && s.name != old_name
                && s.area
                    == snap
                        .snapshot()
                        .grid(&code.parse().unwrap())
                        .map(|g| g.village.clone())
        })
        .expect("another staff member in the village")
        .clone();
    let version = snap
        .snapshot()
        .grid(&code.parse().unwrap())
        .unwrap()
        .version;
    let body = serde_json::json!({ "staff": new_staff.id, "version": version }).to_string();
    let edit = Request::patch(format!("/api/grids/{code}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", token()))
        .body(Body::from(body.clone()))
        .unwrap();
    let answer = send(&f.state, edit).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["staff"]["name"], new_staff.name);

    let after = get(&f.state, &uri, &[]).await;
    assert_eq!(
        staff_name(&after.body),
        Some(new_staff.name.clone()),
        "the cached tile was purged"
    );
    assert_ne!(after.header(header::ETAG), before.header(header::ETAG));

    // Without the token nobody may edit.
    let anonymous = Request::patch(format!("/api/grids/{code}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(
        send(&f.state, anonymous).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A stale version is refused.
    let stale = Request::patch(format!("/api/grids/{code}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", token()))
        .body(Body::from(
            serde_json::json!({ "locked": true, "version": 1 }).to_string(),
        ))
        .unwrap();
    assert_eq!(send(&f.state, stale).await.status, StatusCode::CONFLICT);

    // Undo brings the old staff member back, on the map too; only staff may undo.
    let change = answer.json()["change"]
        .as_i64()
        .expect("the edit's change id");
    let undo = |auth: bool| {
        let req = Request::post(format!("/api/changes/{change}/undo"));
        let req = if auth {
            req.header(header::AUTHORIZATION, format!("Bearer {}", token()))
        } else {
            req
        };
        req.body(Body::empty()).unwrap()
    };
    assert_eq!(
        send(&f.state, undo(false)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let undone = send(&f.state, undo(true)).await;
    assert_eq!(
        undone.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&undone.body)
    );
    assert_eq!(undone.json()["undone"], change);
    let restored = get(&f.state, &uri, &[]).await;
    assert_eq!(
        staff_name(&restored.body),
        Some(old_name),
        "the tile shows the undo"
    );
    let grid = get(&f.state, &format!("/api/grids/{code}"), &[])
        .await
        .json();
    assert_eq!(grid["staff"]["id"], old_staff);
    // The same change cannot be undone twice.
    assert_eq!(
        send(&f.state, undo(true)).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn household_heads_and_phones_only_reach_callers_with_the_staff_token() {
    let f = fixture("http://test").await;
    let data = f.state.service().data();
    let snap = data.snapshot();
    let b = snap
        .buildings
        .iter()
        .find(|b| {
            b.households.count > 0
                && snap
                    .grids_of_building(snap.building_index(&b.source_id).unwrap())
                    .len()
                    > 0
        })
        .unwrap();
    let p = gridmap_core::geometry::representative_point(&b.footprint).unwrap();
    let uri = format!("/api/lookup?lon={}&lat={}", p.x(), p.y());

    let public = get(&f.state, &uri, &[]).await;
    assert_eq!(public.status, StatusCode::OK);
    let v = public.json();
    assert_eq!(v["building"]["id"], b.source_id);
    assert!(v["grid"]["code"].is_string());
    assert!(
        v["grid"]["staff"]["name"].is_string(),
        "the staff contact card is public"
    );
    let list = v["building"]["household_list"].as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list
        .iter()
        .all(|h| h.get("head").is_none() && h.get("phone").is_none()));

    let auth = format!("Bearer {}", token());
    let staff = get(&f.state, &uri, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    let list = staff["building"]["household_list"].as_array().unwrap();
    assert!(list.iter().any(|h| h["head"].is_string()), "{staff}");

    let wrong = get(&f.state, &uri, &[(header::AUTHORIZATION, "Bearer nope")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    // Tiles never carry them: no household attribute names beyond the documented ones.
    let (z, x, y) = tile_of(p.x(), p.y(), 16);
    let t = decode(
        &get(&f.state, &format!("/tiles/buildings/{z}/{x}/{y}.mvt"), &[])
            .await
            .body,
    );
    for layer in &t.layers {
        for key in &layer.keys {
            assert!(
                !["head", "phone", "members"].contains(&key.as_str()),
                "{key} in tiles"
            );
        }
    }
}

/// Every tile around the county's tagged households, at the zooms that draw buildings and
/// the ones above, signed in or not: no head, phone or situation tag of any household, as a
/// value or anywhere in the bytes, and only documented attribute names.
#[tokio::test]
async fn no_tile_carries_a_households_head_phone_or_tags_at_any_zoom() {
    let f = fixture("http://test").await;
    let data = f.state.service().data();
    let snap = data.snapshot();
    // The register as the store holds it.
    let ids: Vec<String> = snap.buildings.iter().map(|b| b.source_id.clone()).collect();
    let register = f
        .state
        .service()
        .store()
        .households_of_buildings(&ids)
        .await
        .unwrap();
    let households: Vec<&gridmap_core::Household> =
        register.iter().flat_map(|(_, list)| list).collect();
    let personal: std::collections::BTreeSet<String> = households
        .iter()
        .flat_map(|h| {
            let tags = h.tags.iter().cloned();
            h.head
                .clone()
                .into_iter()
                .chain(h.phone.clone())
                .chain(tags)
        })
        .filter(|s| !s.is_empty())
        // staff names are public on their grids; a head may share one
        .filter(|s| !snap.staff.iter().any(|m| &m.name == s))
        .collect();
    let tagged: std::collections::BTreeSet<&str> = register
        .iter()
        .filter(|(_, list)| list.iter().any(|h| !h.tags.is_empty()))
        .map(|(building, _)| building.as_str())
        .collect();
    assert!(
        personal.len() > 100 && tagged.len() > 10,
        "the register has heads, phones and tags"
    );
    let mut tiles = std::collections::BTreeSet::new();
    for b in snap
        .buildings
        .iter()
        .filter(|b| tagged.contains(b.source_id.as_str()))
    {
        let p = gridmap_core::geometry::representative_point(&b.footprint).unwrap();
        for z in [12, 14, 15, 16, 17] {
            tiles.insert(tile_of(p.x(), p.y(), z));
        }
    }
    let documented = |name: &str| -> std::collections::BTreeSet<&'static str> {
        gridmap_tiles::Layer::from_name(name)
            .unwrap()
            .fields()
            .iter()
            .map(|f| f.0)
            .collect()
    };
    let phones: Vec<&str> = households
        .iter()
        .filter_map(|h| h.phone.as_deref())
        .collect();
    let auth = format!("Bearer {}", token());
    let mut buildings_seen = 0;
    for (z, x, y) in &tiles {
        for (layers, headers) in [
            ("townships,villages,grids,grid_labels,buildings", vec![]),
            (
                "townships,villages,grids,grid_labels,buildings",
                vec![(header::AUTHORIZATION, auth.as_str())],
            ),
            ("cameras", vec![(header::AUTHORIZATION, auth.as_str())]),
        ] {
            let answer = get(
                &f.state,
                &format!("/tiles/{layers}/{z}/{x}/{y}.mvt"),
                &headers,
            )
            .await;
            if answer.status == StatusCode::NO_CONTENT {
                continue; // cameras start at z13
            }
            assert_eq!(answer.status, StatusCode::OK, "{layers} {z}/{x}/{y}");
            let text = String::from_utf8_lossy(&answer.body);
            let t = decode(&answer.body);
            for layer in &t.layers {
                let allowed = documented(&layer.name);
                for key in &layer.keys {
                    assert!(
                        allowed.contains(key.as_str()),
                        "{key} in {} tiles",
                        layer.name
                    );
                }
                for value in layer
                    .values
                    .iter()
                    .filter_map(|v| v.string_value.as_deref())
                {
                    assert!(
                        !personal.contains(value),
                        "a household's personal field {value:?} in the {} layer at {z}/{x}/{y}",
                        layer.name
                    );
                }
                if layer.name == "buildings" {
                    buildings_seen += layer.features.len();
                }
            }
            // Phones are digits: not even as part of another string.
            for run in text.split(|c: char| !c.is_ascii_digit()) {
                assert!(
                    run.len() < 7 || !phones.iter().any(|p| run.contains(p)),
                    "phone in {layers} {z}/{x}/{y}"
                );
            }
        }
    }
    assert!(buildings_seen > 100, "the tiles drew the tagged buildings");
}

#[tokio::test]
async fn lookup_rejects_bad_coordinates_and_points_outside_every_village() {
    let f = fixture("http://test").await;
    assert_eq!(
        get(&f.state, "/api/lookup?lon=200&lat=0", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&f.state, "/api/lookup?lon=x&lat=0", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
    let far = get(&f.state, "/api/lookup?lon=10&lat=10", &[]).await;
    assert_eq!(far.status, StatusCode::NOT_FOUND);
    assert!(far.json()["error"].as_str().unwrap().contains("outside"));
}

#[tokio::test]
async fn search_finds_grids_by_code_and_staff_by_name() {
    let f = fixture("http://test").await;
    let (code, _, staff_id) = first_grid(&f.state);
    let hits = get(&f.state, &format!("/api/search?q={}", &code[..14]), &[])
        .await
        .json();
    assert!(hits["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["kind"] == "grid" && h["id"] == code));
    let name = f
        .state
        .service()
        .data()
        .snapshot()
        .staff_member(&staff_id)
        .unwrap()
        .name
        .clone();
    let uri = format!("/api/search?q={}", urlencode(&name));
    let hits = get(&f.state, &uri, &[]).await.json();
    assert!(
        hits["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "staff" && h["label"] == name),
        "{hits}"
    );
    assert_eq!(
        get(&f.state, "/api/search?q=", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn tilejson_uses_the_public_url_so_it_works_behind_a_proxy_prefix() {
    let f = fixture("https://maps.example.org/gridmap").await;
    let tj = get(&f.state, "/tiles/grids,buildings.json", &[])
        .await
        .json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "https://maps.example.org/gridmap/tiles/grids,buildings/{z}/{x}/{y}.mvt"
    );
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["grids", "buildings"]);
    assert!(tj["bounds"].as_array().unwrap().len() == 4);
    assert!(tj["vector_layers"][0]["fields"]["staff"].is_string());
    let openapi = get(&f.state, "/api/openapi.json", &[]).await.json();
    assert!(openapi["paths"]["/api/lookup"]["get"].is_object());
    let metrics = get(&f.state, "/metrics", &[]).await;
    assert!(String::from_utf8_lossy(&metrics.body).contains("gridmap_tile_cache_hit_ratio"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn each_household_of_a_split_tower_names_its_own_grid() {
    // A county large enough to have a town centre with high-rises.
    let f = fixture_of("http://test", 3000, 7).await;
    let data = f.state.service().data();
    let snap = data.snapshot();
    let Some((index, tower)) = snap
        .buildings
        .iter()
        .enumerate()
        .find(|(i, _)| snap.grids_of_building(*i).len() > 1)
    else {
        let max = snap.buildings.iter().map(|b| b.households.count).max();
        let flats = snap
            .grids
            .iter()
            .filter(|g| g.members.iter().any(|m| m.flats.is_some()))
            .count();
        panic!("the synthetic county has no split high-rise (largest building {max:?} households, {flats} grids with flat ranges, {} grids)", snap.grids.len());
    };
    let uri = format!("/api/buildings/{}", urlencode(&tower.source_id));
    let v = get(&f.state, &uri, &[]).await.json();
    let list = v["household_list"].as_array().unwrap();
    assert_eq!(list.len() as u32, tower.households.count);
    let mut named: Vec<String> = list
        .iter()
        .map(|h| {
            h["grid"]
                .as_str()
                .expect("every flat has a grid")
                .to_owned()
        })
        .collect();
    named.dedup();
    let expected: Vec<String> = snap
        .grids_of_building(index)
        .map(|g| snap.grids[g].code.to_string())
        .collect();
    let mut sorted_named = named.clone();
    sorted_named.sort();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(
        sorted_named, sorted_expected,
        "flats are grouped by grid in register order"
    );
    // Each grid's share of the tower matches its flat range.
    for g in snap.grids_of_building(index) {
        let grid = &snap.grids[g];
        let member = grid
            .members
            .iter()
            .find(|m| m.building == tower.source_id)
            .unwrap();
        let count = list
            .iter()
            .filter(|h| h["grid"] == grid.code.as_str())
            .count() as u32;
        assert_eq!(count, member.households, "{}", grid.code);
    }
    // `flats` lists the ranges in flat order, back to back, covering the tower, each
    // naming the grid its households name.
    let flats = v["flats"]
        .as_array()
        .expect("a split tower lists its flat ranges");
    let mut next = 0;
    for f in flats {
        let (start, end) = (f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap());
        assert_eq!(start, next, "{flats:?}");
        assert!(end > start);
        for flat in start..end {
            assert_eq!(list[flat as usize]["grid"], f["grid"], "flat {flat}");
        }
        next = end;
    }
    assert_eq!(next, u64::from(tower.households.count));
    // An ordinary building lists none.
    let plain = snap
        .buildings
        .iter()
        .enumerate()
        .find(|(i, b)| b.households.count > 0 && snap.grids_of_building(*i).len() == 1)
        .map(|(_, b)| b.source_id.clone())
        .unwrap();
    let uri = format!("/api/buildings/{}", urlencode(&plain));
    assert_eq!(
        get(&f.state, &uri, &[]).await.json()["flats"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn every_township_and_village_gets_one_label_point_inside_it() {
    use geo::Contains;
    let f = fixture("http://test").await;
    let labels = get(&f.state, "/api/labels", &[]).await.json();
    let features = labels["features"].as_array().unwrap();
    let data = f.state.service().data();
    let snap = data.snapshot();
    let units: Vec<_> = snap
        .admin_units
        .iter()
        .filter(|u| u.level != gridmap_core::AdminLevel::County)
        .collect();
    assert_eq!(features.len(), units.len());
    for unit in units {
        let found: Vec<_> = features
            .iter()
            .filter(|ft| ft["properties"]["code"] == unit.code.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{}", unit.code);
        let c = &found[0]["geometry"]["coordinates"];
        let p = geo_types::Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            unit.boundary.contains(&p),
            "label of {} lies outside it",
            unit.code
        );
        assert_eq!(found[0]["properties"]["name"], unit.name.as_str());
    }
}

#[tokio::test]
async fn metrics_count_each_tile_request_once_as_hit_or_miss() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let (z, x, y) = tile_of(lon, lat, 15);
    let uri = format!("/tiles/grids/{z}/{x}/{y}.mvt");
    assert_eq!(get(&f.state, &uri, &[]).await.status, StatusCode::OK);
    assert_eq!(get(&f.state, &uri, &[]).await.status, StatusCode::OK);
    let text = String::from_utf8(get(&f.state, "/metrics", &[]).await.body).unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|rest| rest.trim().parse().ok())
            })
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
    };
    assert_eq!(value("gridmap_tile_cache_misses_total "), 1.0);
    assert_eq!(value("gridmap_tile_cache_hits_total "), 1.0);
    assert_eq!(value("gridmap_tile_cache_hit_ratio "), 0.5);
    assert!(
        text.contains("gridmap_tile_seconds_count{layers=\"grids\",cache=\"hit\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn every_order_of_one_layer_set_is_one_metrics_label_and_one_cached_tile() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let (z, x, y) = tile_of(lon, lat, 15);
    let orders = [
        "townships,villages,grids,grid_labels,buildings",
        "buildings,grid_labels,grids,villages,townships",
        "grids,townships,buildings,villages,grid_labels",
        "villages,villages,buildings,townships,grids,grid_labels,grids",
    ];
    let mut bodies = Vec::new();
    for layers in orders {
        let tile = get(&f.state, &format!("/tiles/{layers}/{z}/{x}/{y}.mvt"), &[]).await;
        assert_eq!(tile.status, StatusCode::OK, "{layers}");
        bodies.push(tile.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one tile, whatever the order"
    );
    assert_eq!(f.state.service().live().cache().stats().entries, 1);
    let text = String::from_utf8(get(&f.state, "/metrics", &[]).await.body).unwrap();
    let labels: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("gridmap_tile_seconds_count{layers=\""))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        ["townships,villages,grids,grid_labels,buildings"],
        "{text}"
    );
    // An unknown layer is refused, not counted.
    let unknown = get(
        &f.state,
        &format!("/tiles/grids,roads/{z}/{x}/{y}.mvt"),
        &[],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        !String::from_utf8(get(&f.state, "/metrics", &[]).await.body)
            .unwrap()
            .contains("roads")
    );
}

async fn send_body(
    state: &AppState,
    method: &str,
    uri: &str,
    content_type: &str,
    body: String,
    token: Option<&str>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(state, req.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn open311_requests_round_trip_and_public_callers_cannot_move_incidents() {
    let f = fixture("http://test").await;
    let (grid, [lon, lat], _) = first_grid(&f.state);
    let services = get(&f.state, "/open311/v2/services.json", &[]).await;
    assert_eq!(services.status, StatusCode::OK);
    let list = services.json();
    assert!(list.as_array().unwrap().len() >= 45);
    assert!(list[0]["service_code"].is_string() && list[0]["service_name"].is_string());

    // A form-encoded POST, as the spec has it, from a public client.
    let form = format!(
        "service_code=environment.garbage&lat={lat}&long={lon}&description=%E5%9E%83%E5%9C%BE&first_name=Wu&last_name=Wang&phone=13700000000"
    );
    let created = send_body(
        &f.state,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        form,
        None,
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let one = get(&f.state, &format!("/open311/v2/requests/{id}.json"), &[]).await;
    assert_eq!(one.status, StatusCode::OK);
    let r = &one.json()[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["service_code"], "environment.garbage");
    assert_eq!(r["status"], "open");
    assert_eq!(r["description"], "垃圾");
    assert!(r["requested_datetime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r["long"].as_f64(), Some(lon));
    let page = get(
        &f.state,
        "/open311/v2/requests.json?service_code=environment.garbage&status=open&page=1&page_size=5",
        &[],
    )
    .await;
    assert_eq!(page.json()[0]["service_request_id"], id.as_str());

    // Errors come in the spec's shape.
    let refused = send_body(
        &f.state,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        format!("service_code=no.such.service&lat={lat}&long={lon}"),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let error = refused.json();
    assert_eq!(error[0]["code"], 400);
    assert!(
        error[0]["description"]
            .as_str()
            .unwrap()
            .contains("no.such.service"),
        "{error}"
    );

    // JSON works too.
    let json =
        serde_json::json!({"service_code": "hazard.fire", "lat": lat, "long": lon}).to_string();
    let created = send_body(
        &f.state,
        "POST",
        "/open311/v2/requests.json",
        "application/json",
        json,
        None,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);

    // Public callers see no reporter; staff do; the grid was found by position.
    let public = get(&f.state, &format!("/api/incidents/{id}"), &[])
        .await
        .json();
    assert_eq!(public["incident"]["grid"], grid.as_str());
    let text = public.to_string();
    assert!(
        !text.contains("13700000000") && !text.contains("Wang"),
        "{text}"
    );
    let bearer = format!("Bearer {}", token());
    let staff = get(
        &f.state,
        &format!("/api/incidents/{id}"),
        &[(header::AUTHORIZATION, bearer.as_str())],
    )
    .await
    .json();
    assert_eq!(staff["incident"]["reporter_phone"], "13700000000");

    let move_body = r#"{"action":"create_work_order","note":"立案"}"#.to_owned();
    let uri = format!("/api/incidents/{id}/transitions");
    let refused = send_body(
        &f.state,
        "POST",
        &uri,
        "application/json",
        move_body.clone(),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let report = serde_json::json!({"category": "hazard.fire", "lon": lon, "lat": lat}).to_string();
    let refused = send_body(
        &f.state,
        "POST",
        "/api/incidents",
        "application/json",
        report.clone(),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let moved = send_body(
        &f.state,
        "POST",
        &uri,
        "application/json",
        move_body,
        Some(token()),
    )
    .await;
    assert_eq!(
        moved.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    assert_eq!(moved.json()["incident"]["status"], "work_order");
    let illegal = send_body(
        &f.state,
        "POST",
        &uri,
        "application/json",
        r#"{"action":"verify"}"#.into(),
        Some(token()),
    )
    .await;
    assert_eq!(illegal.status, StatusCode::CONFLICT);
    let message = illegal.json()["error"].as_str().unwrap().to_owned();
    assert!(
        message.contains("work_order") && message.contains("dispatch"),
        "{message}"
    );

    let made = send_body(
        &f.state,
        "POST",
        "/api/incidents",
        "application/json",
        report,
        Some(token()),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let listed = get(
        &f.state,
        &format!("/api/incidents?grid={grid}&category=hazard"),
        &[],
    )
    .await
    .json();
    assert_eq!(listed["total"], 2);
    let csv = get(&f.state, "/api/incidents/stats?by=grid&format=csv", &[]).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&csv.body).contains(&grid));
    let xlsx = get(
        &f.state,
        "/api/incidents/stats?by=township&format=xlsx",
        &[],
    )
    .await;
    assert_eq!(&xlsx.body[..2], b"PK");
    let doc = get(&f.state, "/api/openapi.json", &[]).await.json();
    assert!(doc["paths"]["/open311/v2/requests.json"].is_object());
    assert!(doc["paths"]["/api/incidents/{id}/transitions"].is_object());
}

/// Every heat cell (`h3` → `count`) of the tile, and whether the answer was 304.
async fn heat_cells(state: &AppState, uri: &str) -> std::collections::BTreeMap<String, u64> {
    let answer = get(state, uri, &[]).await;
    assert!(
        answer.status == StatusCode::OK || answer.status == StatusCode::NO_CONTENT,
        "{uri}: {} {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let tile = decode(&answer.body);
    let mut cells = std::collections::BTreeMap::new();
    for layer in tile.layers.iter().filter(|l| l.name == "heat") {
        for f in &layer.features {
            let h3 = attr(layer, f, "h3").and_then(|v| v.string_value).unwrap();
            let count = attr(layer, f, "count").and_then(|v| v.uint_value).unwrap();
            cells.insert(h3, count);
        }
    }
    cells
}

/// The stored incidents reported in `[from, to)` and not voided, as (lon, lat, category).
async fn listed_incidents(state: &AppState, from: i64, to: i64) -> Vec<(f64, f64, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = get(
            state,
            &format!("/api/incidents?from={from}&to={to}&limit=1000&offset={offset}"),
            &[],
        )
        .await
        .json();
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        offset += items.len();
        for i in items.iter().filter(|i| i["status"] != "voided") {
            out.push((
                i["lon"].as_f64().unwrap(),
                i["lat"].as_f64().unwrap(),
                i["category"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn heat_tiles_count_exactly_the_incidents_in_the_window_and_categories() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    for z in [9u8, 12, 15] {
        let (z, x, y) = tile_of(lon, lat, z);
        let res = gridmap_tiles::incidents::heat_resolution(z);
        let query = f.state.service().heat_query(Some("3650d"), None).unwrap();
        let incidents = listed_incidents(&f.state, query.from, query.to).await;
        assert!(!incidents.is_empty(), "the synthetic county has incidents");
        let cell_of = |lon: f64, lat: f64| {
            gridmap_tiles::incidents::heat_cell(lon, lat, res)
                .unwrap()
                .to_string()
        };
        let cells = heat_cells(
            &f.state,
            &format!("/tiles/heat/{z}/{x}/{y}.mvt?window=3650d"),
        )
        .await;
        assert!(!cells.is_empty(), "z{z}: a tile over a grid has heat");
        for (h3, count) in &cells {
            let expected = incidents
                .iter()
                .filter(|i| cell_of(i.0, i.1) == *h3)
                .count() as u64;
            assert_eq!(*count, expected, "z{z} cell {h3}");
        }
        // Every incident inside the tile is in one of its cells.
        let bounds = gridmap_tiles::TileCoord::new(z, x, y)
            .unwrap()
            .lonlat_bounds(0.0);
        for i in &incidents {
            let inside = bounds.min().x < i.0
                && i.0 < bounds.max().x
                && bounds.min().y < i.1
                && i.1 < bounds.max().y;
            if inside {
                assert!(
                    cells.contains_key(&cell_of(i.0, i.1)),
                    "z{z}: incident at {i:?} drawn"
                );
            }
        }
        // One category only.
        let category = incidents[0].2.clone();
        let uri = format!(
            "/tiles/heat/{z}/{x}/{y}.mvt?window=3650d&category={}",
            url_escape(&category)
        );
        let only = heat_cells(&f.state, &uri).await;
        for (h3, count) in &only {
            let expected = incidents
                .iter()
                .filter(|i| i.2 == category && cell_of(i.0, i.1) == *h3)
                .count() as u64;
            assert_eq!(*count, expected, "z{z} cell {h3} of {category}");
        }
        assert!(
            only.values().sum::<u64>() < cells.values().sum::<u64>()
                || incidents.iter().all(|i| i.2 == category)
        );
    }
    // Mixing live and county layers is refused with a hint.
    let (z, x, y) = tile_of(lon, lat, 12);
    let mixed = get(&f.state, &format!("/tiles/grids,heat/{z}/{x}/{y}.mvt"), &[]).await;
    assert_eq!(mixed.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&mixed.body).contains("/tiles/heat/"));
    let bad = get(
        &f.state,
        &format!("/tiles/heat/{z}/{x}/{y}.mvt?window=soon"),
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Posts an incident of `category` at `lon, lat` as staff; returns its id.
async fn post_incident(state: &AppState, category: &str, lon: f64, lat: f64) -> String {
    let body = serde_json::json!({"category": category, "lon": lon, "lat": lat}).to_string();
    let created = send_body(
        state,
        "POST",
        "/api/incidents",
        "application/json",
        body,
        Some(token()),
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    created.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_new_incident_changes_its_heat_tile_and_leaves_far_tiles_cached() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let bounds = f.state.service().data().tiles.bounds().unwrap();
    // A tile at z17 in the opposite corner of the county from the new incident.
    let far_point = if (lon - bounds.min().x) > (bounds.max().x - lon) {
        (bounds.min().x + 1e-4, bounds.min().y + 1e-4)
    } else {
        (bounds.max().x - 1e-4, bounds.max().y - 1e-4)
    };
    let (z, x, y) = tile_of(lon, lat, 17);
    let (fz, fx, fy) = tile_of(far_point.0, far_point.1, 17);
    assert_ne!((x, y), (fx, fy));
    let near = format!("/tiles/heat/{z}/{x}/{y}.mvt?window=7d");
    let far = format!("/tiles/heat/{fz}/{fx}/{fy}.mvt?window=3650d");
    // Tiles are cached per minute of the window's end: redo the check if a minute
    // turned during it.
    for attempt in 0..3 {
        let minute = gridmap_service::incidents::now() / 60;
        let before: u64 = heat_cells(&f.state, &near).await.values().sum();
        let far_answer = get(&f.state, &far, &[]).await;
        let etag = far_answer.header(header::ETAG).map(str::to_owned);
        post_incident(&f.state, "environment.garbage", lon, lat).await;
        let after: u64 = heat_cells(&f.state, &near).await.values().sum();
        let again = get(
            &f.state,
            &far,
            &[(header::IF_NONE_MATCH, etag.as_deref().unwrap_or("-"))],
        )
        .await;
        if gridmap_service::incidents::now() / 60 != minute && attempt < 2 {
            continue;
        }
        assert_eq!(after, before + 1, "the new incident is counted at once");
        if etag.is_some() {
            assert_eq!(
                again.status,
                StatusCode::NOT_MODIFIED,
                "the far tile was not purged"
            );
        }
        break;
    }
}

#[tokio::test]
async fn the_event_stream_delivers_a_posted_incident_and_the_summary_counts_it() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let summary = get(&f.state, "/api/incidents/summary?window=7d", &[]).await;
    assert_eq!(summary.status, StatusCode::OK);
    let before = summary.json();

    let response = app(f.state.clone())
        .oneshot(Request::get("/api/stream").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let mut body = response.into_body();
    let mut text = String::new();
    // The stream opens with `ready`; then the incident posted after it.
    let mut id = None;
    let found = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let frame = body.frame().await.expect("the stream stays open").unwrap();
            if let Some(data) = frame.data_ref() {
                text.push_str(&String::from_utf8_lossy(data));
            }
            if id.is_none() && text.contains("event: ready") {
                id = Some(post_incident(&f.state, "hazard.fire", lon, lat).await);
            }
            if let Some(id) = &id {
                if text.contains(&format!("\"id\":\"{id}\"")) {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no event for the posted incident; got:\n{text}"
    );
    let event = text
        .split("\n\n")
        .find(|e| e.contains("event: reported"))
        .expect("a reported event");
    let data: serde_json::Value = serde_json::from_str(
        event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data["kind"], "reported");
    assert_eq!(data["incident"]["subcategory"], "hazard.fire");
    assert!(!event.contains("reporter"), "{event}");

    let after = get(&f.state, "/api/incidents/summary?window=7d", &[])
        .await
        .json();
    for key in ["today", "open", "received"] {
        assert_eq!(
            after[key].as_u64().unwrap(),
            before[key].as_u64().unwrap() + 1,
            "{key}"
        );
    }
    assert_eq!(after["recent"][0]["id"], data["incident"]["id"]);
    assert_eq!(after["trend"].as_array().unwrap().len(), 30);
    let township = data["incident"]["township"].as_str().unwrap();
    let row = after["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == township)
        .expect("the township is ranked");
    assert!(row["open"].as_u64().unwrap() >= 1);
    let hazard = after["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "hazard")
        .expect("the hazard group is listed");
    assert!(hazard["received"].as_u64().unwrap() >= 1);
    // A township's figures rank its villages.
    let t = get(
        &f.state,
        &format!("/api/incidents/summary?township={township}"),
        &[],
    )
    .await
    .json();
    assert_eq!(t["area"]["level"], "township");
    assert!(t["areas"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["level"] == "village"));
    assert!(t["bounds"].as_array().unwrap().len() == 4);
}

/// `POST /api/villages/{village}/edits` with `body` as staff (or anonymously).
async fn post_edit(
    state: &AppState,
    village: &str,
    body: serde_json::Value,
    staff: bool,
) -> Answer {
    let uri = format!("/api/villages/{village}/edits");
    let token = staff.then_some(token());
    send_body(
        state,
        "POST",
        &uri,
        "application/json",
        body.to_string(),
        token,
    )
    .await
}

/// [`post_edit`] as staff, which must go through (the answer's body is shown if not).
async fn post_edit_ok(state: &AppState, village: &str, body: serde_json::Value) -> Answer {
    let answer = post_edit(state, village, body, true).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer
}

/// `(households, version)` of each grid in a plan answer, by code.
fn grid_sizes(plan: &serde_json::Value) -> std::collections::BTreeMap<String, (u64, u64)> {
    plan["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| {
            let code = g["code"].as_str().unwrap().to_owned();
            (
                code,
                (
                    g["households"].as_u64().unwrap(),
                    g["version"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_planner_moves_a_building_sees_counts_and_rules_change_and_undoes_it() {
    let f = fixture("http://test").await;
    // A residential grid with a whole (not split) building and another grid of its village.
    let (village, from, building, households, to) = {
        let data = f.state.service().data();
        let snap = data.snapshot();
        let (grid, member) = snap
            .grids
            .iter()
            .filter(|g| !g.institution && g.members.len() > 1)
            .find_map(|g| {
                let m = g
                    .members
                    .iter()
                    .find(|m| m.flats.is_none() && m.households > 0)?;
                Some((g, m))
            })
            .expect("a grid with a whole building");
        let to = snap
            .grids
            .iter()
            .find(|o| o.village == grid.village && o.code != grid.code && !o.institution)
            .expect("a second grid in the village");
        (
            grid.village.to_string(),
            grid.code.to_string(),
            member.building.clone(),
            u64::from(member.households),
            to.code.to_string(),
        )
    };
    let plan_uri = format!("/api/villages/{village}/plan");
    assert_eq!(
        get(&f.state, &plan_uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let auth = format!("Bearer {}", token());
    let plan = get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)]).await;
    assert_eq!(
        plan.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&plan.body)
    );
    let plan = plan.json();
    let sizes = grid_sizes(&plan);
    let issues_before = plan["issues"].as_array().unwrap().len();
    assert_eq!(
        plan["households"].as_u64().unwrap(),
        sizes.values().map(|s| s.0).sum::<u64>()
    );

    let versions = serde_json::json!({ &from: sizes[&from].1, &to: sizes[&to].1 });
    let move_it = serde_json::json!({
        "op": "move_buildings", "buildings": [&building], "to": &to, "versions": versions
    });
    assert_eq!(
        post_edit(&f.state, &village, move_it.clone(), false)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let moved = post_edit(&f.state, &village, move_it.clone(), true).await;
    assert_eq!(
        moved.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    let outcome = moved.json();
    let after = grid_sizes(&outcome["plan"]);
    assert_eq!(after[&from].0, sizes[&from].0 - households);
    assert_eq!(after[&to].0, sizes[&to].0 + households);
    // What the edit broke and mended accounts for the difference in issues.
    let (caused, fixed) = (
        outcome["caused"].as_array().unwrap().len(),
        outcome["fixed"].as_array().unwrap().len(),
    );
    assert_eq!(
        outcome["plan"]["issues"].as_array().unwrap().len(),
        issues_before + caused - fixed
    );
    // The map answers with the new grid at once.
    let detail = get(
        &f.state,
        &format!("/api/buildings/{}", urlencode(&building)),
        &[],
    )
    .await
    .json();
    assert!(detail.to_string().contains(&to), "{detail}");

    // The same edit from the stale view is a conflict naming the grids.
    let stale = post_edit(&f.state, &village, move_it, true).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&stale.body).contains(&from));

    // Refusals: an unknown building, a grid of another village, a locked village.
    let unknown = serde_json::json!({ "op": "move_buildings", "buildings": ["nope"], "to": &to });
    assert_eq!(
        post_edit(&f.state, &village, unknown, true).await.status,
        StatusCode::NOT_FOUND
    );
    let elsewhere = serde_json::json!({ "op": "split", "grid": "999999999999-001" });
    assert_eq!(
        post_edit(&f.state, &village, elsewhere, true).await.status,
        StatusCode::BAD_REQUEST
    );
    let lock = |locked: bool| serde_json::json!({ "op": "lock_village", "village": &village, "locked": locked });
    assert_eq!(
        post_edit(&f.state, &village, lock(true), true).await.status,
        StatusCode::OK
    );
    let back = serde_json::json!({ "op": "move_buildings", "buildings": [&building], "to": &from });
    let locked = post_edit(&f.state, &village, back.clone(), true).await;
    assert_eq!(locked.status, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&locked.body).contains("locked"));
    assert_eq!(
        post_edit(&f.state, &village, lock(false), true)
            .await
            .status,
        StatusCode::OK
    );

    // A new grid from the building; a grid with households cannot be deleted; moving
    // the building back leaves the new grid empty, and the redraw drops it.
    let new = post_edit(
        &f.state,
        &village,
        serde_json::json!({ "op": "new_grid", "village": &village, "buildings": [&building] }),
        true,
    )
    .await;
    assert_eq!(
        new.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&new.body)
    );
    let created = new.json()["created"].as_str().unwrap().to_owned();
    assert_eq!(grid_sizes(&new.json()["plan"])[&created].0, households);
    let delete = serde_json::json!({ "op": "delete_empty", "grid": &created });
    let refused = post_edit(&f.state, &village, delete, true).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&refused.body).contains("households"));
    let emptied = post_edit(&f.state, &village, back, true).await;
    assert_eq!(
        emptied.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&emptied.body)
    );
    let now = grid_sizes(&emptied.json()["plan"]);
    assert!(!now.contains_key(&created));
    let counts = |m: &std::collections::BTreeMap<String, (u64, u64)>| -> Vec<(String, u64)> {
        m.iter().map(|(k, v)| (k.clone(), v.0)).collect()
    };
    assert_eq!(
        counts(&now),
        counts(&sizes),
        "the village is back to its counts"
    );

    // Undoing the five edits since the partition (the move, lock, unlock, new grid and
    // move back), newest first, restores the plan exactly.
    let history = get(
        &f.state,
        "/api/changes?limit=5",
        &[(header::AUTHORIZATION, &auth)],
    )
    .await
    .json();
    let ids: Vec<i64> = history["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.last(), outcome["change"].as_i64().as_ref(), "{history}");
    for id in &ids {
        undo_as_staff(&f.state, *id).await;
    }
    let restored = get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    assert_eq!(counts(&grid_sizes(&restored)), counts(&sizes));
    assert_eq!(restored["issues"].as_array().unwrap().len(), issues_before);
}

#[tokio::test]
async fn two_planners_editing_one_village_at_once_get_one_success_and_one_conflict() {
    let f = fixture("http://test").await;
    let (village, grids) = {
        let data = f.state.service().data();
        let snap = data.snapshot();
        let g = snap
            .grids
            .iter()
            .find(|g| !g.institution && g.members.len() > 3)
            .unwrap();
        let mates: Vec<_> = snap
            .grids
            .iter()
            .filter(|o| o.village == g.village && !o.institution)
            .map(|o| {
                (
                    o.code.to_string(),
                    o.version,
                    o.members
                        .iter()
                        .find(|m| m.flats.is_none())
                        .map(|m| m.building.clone()),
                )
            })
            .collect();
        (g.village.to_string(), mates)
    };
    let (a, b) = (&grids[0], &grids[1]);
    let versions = serde_json::json!({ &a.0: a.1, &b.0: b.1 });
    let one = serde_json::json!({ "op": "move_buildings", "buildings": [a.2.clone().unwrap()], "to": &b.0, "versions": versions });
    let two = serde_json::json!({ "op": "move_buildings", "buildings": [b.2.clone().unwrap()], "to": &a.0, "versions": versions });
    let (x, y) = tokio::join!(
        post_edit(&f.state, &village, one, true),
        post_edit(&f.state, &village, two, true)
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        String::from_utf8_lossy(&x.body),
        String::from_utf8_lossy(&y.body)
    );
}

/// A residential grid of more than three whole buildings: one a planner can split.
fn splittable(g: &gridmap_core::Grid) -> bool {
    !g.institution && g.members.iter().filter(|m| m.flats.is_none()).count() > 3
}

#[tokio::test]
async fn a_planner_splits_a_grid_and_merges_the_halves_back() {
    let f = fixture("http://test").await;
    let (village, grid) = {
        let data = f.state.service().data();
        let g = data
            .snapshot()
            .grids
            .iter()
            .find(|g| splittable(g))
            .expect("a grid of whole buildings")
            .clone();
        (g.village.to_string(), g.code.to_string())
    };
    let auth = format!("Bearer {}", token());
    let plan_uri = format!("/api/villages/{village}/plan");
    let before = grid_sizes(
        &get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
            .await
            .json(),
    );
    let split = post_edit(
        &f.state,
        &village,
        serde_json::json!({ "op": "split", "grid": &grid }),
        true,
    )
    .await;
    assert_eq!(
        split.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&split.body)
    );
    let created = split.json()["created"]
        .as_str()
        .expect("the new half")
        .to_owned();
    let halves = grid_sizes(&split.json()["plan"]);
    assert!(halves[&grid].0 > 0 && halves[&created].0 > 0, "{halves:?}");
    assert_eq!(halves[&grid].0 + halves[&created].0, before[&grid].0);
    let merge = serde_json::json!({ "op": "merge", "kept": &grid, "absorbed": &created });
    let merged = post_edit(&f.state, &village, merge.clone(), true).await;
    assert_eq!(
        merged.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&merged.body)
    );
    let after = grid_sizes(&merged.json()["plan"]);
    assert_eq!(after[&grid].0, before[&grid].0);
    assert!(!after.contains_key(&created));
    // The absorbed grid is gone: merging it again names it.
    let again = post_edit(&f.state, &village, merge, true).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&again.body).contains(&created));
}

/// Every feature of `layer` in the tile at `uri`: its attributes but the map colour (which
/// depends on the order grids were coloured in), sorted.
async fn features(state: &AppState, uri: &str, layer: &str) -> Vec<String> {
    let tile = decode(&get(state, uri, &[]).await.body);
    let Some(l) = tile.layers.iter().find(|l| l.name == layer) else {
        return Vec::new();
    };
    let mut out: Vec<String> = l
        .features
        .iter()
        .map(|ft| {
            let mut attrs: Vec<String> = ft
                .tags
                .chunks(2)
                .filter_map(|kv| {
                    let key = l.keys.get(kv[0] as usize)?;
                    let value = l.values.get(kv[1] as usize)?;
                    (key != "colour").then(|| format!("{key}={value:?}"))
                })
                .collect();
            attrs.sort();
            format!("{:?} {}", ft.geometry, attrs.join(" "))
        })
        .collect();
    out.sort();
    out
}

/// `method uri` as staff, without a body.
async fn as_staff(state: &AppState, method: &str, uri: &str) -> Answer {
    send_body(
        state,
        method,
        uri,
        "application/json",
        String::new(),
        Some(token()),
    )
    .await
}

/// `POST /api/changes/{id}/undo` as staff.
async fn post_undo(state: &AppState, id: i64) -> Answer {
    as_staff(state, "POST", &format!("/api/changes/{id}/undo")).await
}

/// Undoes change `id` as staff, asserting it goes through.
async fn undo_as_staff(state: &AppState, id: i64) {
    let undo = post_undo(state, id).await;
    assert_eq!(
        undo.status,
        StatusCode::OK,
        "undo {id}: {}",
        String::from_utf8_lossy(&undo.body)
    );
}

/// A whole building of a grid with several, another grid of its village, and a point
/// inside the building: `(village, grid, other grid, building, [lon, lat])`.
fn movable_building(state: &AppState) -> (String, String, String, String, [f64; 2]) {
    let data = state.service().data();
    let snap = data.snapshot();
    let g = snap.grids.iter().find(|g| splittable(g)).unwrap();
    let to = snap
        .grids
        .iter()
        .find(|o| o.village == g.village && o.code != g.code && !o.institution)
        .unwrap();
    let m = g.members.iter().find(|m| m.flats.is_none()).unwrap();
    let b = snap.building(&m.building).unwrap();
    let p = geo::InteriorPoint::interior_point(&b.footprint).unwrap();
    (
        g.village.to_string(),
        g.code.to_string(),
        to.code.to_string(),
        m.building.clone(),
        [p.x(), p.y()],
    )
}

#[tokio::test]
async fn a_planner_edit_shows_on_the_map_as_a_reload_of_the_store_would() {
    let f = fixture("http://test").await;
    let (village, from, to, building, [lon, lat]) = movable_building(&f.state);
    let mv = serde_json::json!({ "op": "move_buildings", "buildings": [&building], "to": &to });
    let moved = post_edit(&f.state, &village, mv, true).await;
    assert_eq!(
        moved.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );

    let fresh = assert_live_equals_reload(&f.state, &village, &building, [lon, lat]).await;
    let detail = get(
        &fresh,
        &format!("/api/buildings/{}", urlencode(&building)),
        &[],
    )
    .await
    .json();
    assert!(detail.to_string().contains(&to) && !detail.to_string().contains(&from));
}

/// Asserts that what `state` shows after its own edits of `village` — tiles around
/// `[lon, lat]`, `building`'s detail, the plan, a valid colouring — is what a second
/// server loading the same store afresh shows; returns that second server.
async fn assert_live_equals_reload(
    state: &AppState,
    village: &str,
    building: &str,
    [lon, lat]: [f64; 2],
) -> AppState {
    let store = state.service().store().clone();
    let reloaded = Service::start(store, AccessPolicy::default(), 64 << 20)
        .await
        .unwrap();
    let fresh = AppState::new(reloaded, http_config("http://test"));
    for z in [12u8, 14, 16] {
        let (z, x, y) = tile_of(lon, lat, z);
        for layer in ["grids", "buildings", "villages"] {
            let uri = format!("/tiles/{layer}/{z}/{x}/{y}.mvt");
            let live = features(state, &uri, layer).await;
            assert!(!live.is_empty() || layer != "grids", "{uri}: empty");
            assert_eq!(live, features(&fresh, &uri, layer).await, "{uri}");
        }
    }
    let detail = |s: &AppState| {
        let uri = format!("/api/buildings/{}", urlencode(building));
        let s = s.clone();
        async move { get(&s, &uri, &[]).await.json() }
    };
    assert_eq!(detail(state).await, detail(&fresh).await);
    // Grids coloured after the edit still never share a colour with a neighbour.
    let data = state.service().data();
    let shapes: Vec<_> = data
        .snapshot()
        .grids
        .iter()
        .map(|g| gridmap_tiles::encode::WorldShape::from_lonlat(&g.polygon))
        .collect();
    for (i, neighbours) in gridmap_tiles::colour::grid_adjacency(&shapes)
        .iter()
        .enumerate()
    {
        for &j in neighbours {
            assert_ne!(
                data.tiles.grid_colour(i),
                data.tiles.grid_colour(j),
                "grids {i} and {j}"
            );
        }
    }
    let plan = format!("/api/villages/{village}/plan");
    let auth = format!("Bearer {}", token());
    assert_eq!(
        get(state, &plan, &[(header::AUTHORIZATION, &auth)])
            .await
            .json(),
        get(&fresh, &plan, &[(header::AUTHORIZATION, &auth)])
            .await
            .json()
    );
    fresh
}

#[tokio::test]
async fn a_plan_goes_out_as_csv_comes_back_edited_and_its_undo_shows_without_a_reload() {
    let f = fixture("http://test").await;
    let (village, from, to, building, point) = movable_building(&f.state);
    let auth = format!("Bearer {}", token());
    let csv_uri = format!("/api/villages/{village}/plan.csv");
    assert_eq!(
        get(&f.state, &csv_uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let exported = get(&f.state, &csv_uri, &[(header::AUTHORIZATION, &auth)]).await;
    assert_eq!(exported.status, StatusCode::OK);
    let text = String::from_utf8(exported.body.to_vec()).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let plan_uri = format!("/api/villages/{village}/plan");
    let plan = get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    let members: u64 = plan["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["members"].as_u64().unwrap())
        .sum();
    assert_eq!(
        text.lines().count() as u64,
        members + 1,
        "a header and a row per member"
    );
    assert!(text.starts_with("building,grid,flats"));

    // The building's row now names grid `to`: only it moves.
    let line = format!("{building},{from},");
    assert!(text.lines().any(|l| l == line), "{line} in the export");
    let edited = text.replace(&line, &format!("{building},{to},"));
    let post = |body: String| {
        let state = f.state.clone();
        let uri = format!("{csv_uri}?name=edited.csv");
        async move { send_body(&state, "POST", &uri, "text/csv", body, Some(token())).await }
    };
    let imported = post(edited.clone()).await;
    assert_eq!(
        imported.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&imported.body)
    );
    let outcome = imported.json();
    let before = grid_sizes(&plan);
    let after = grid_sizes(&outcome["plan"]);
    let moved = before[&from].0 - after[&from].0;
    assert!(moved > 0);
    assert_eq!(after[&to].0, before[&to].0 + moved);
    let unchanged = before
        .iter()
        .filter(|(c, s)| **c != from && **c != to && after.get(*c).map(|a| a.0) == Some(s.0))
        .count();
    assert_eq!(unchanged, before.len() - 2, "no other grid changed size");

    // A file with a building of nowhere is refused whole, naming its line.
    let bad = format!("{edited}nowhere:1,{to},\n");
    let line_no = bad.lines().count();
    let refused = post(bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = String::from_utf8_lossy(&refused.body).to_string();
    assert!(
        message.contains(&format!("edited.csv: line {line_no}")),
        "{message}"
    );
    assert_eq!(
        grid_sizes(
            &get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
                .await
                .json()
        ),
        after
    );

    // Undo puts the village back, shown by swapping the village in (as a reload would).
    let change = outcome["change"].as_i64().unwrap();
    undo_as_staff(&f.state, change).await;
    let back = get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    let sizes_back: Vec<u64> = grid_sizes(&back).values().map(|s| s.0).collect();
    let sizes_before: Vec<u64> = before.values().map(|s| s.0).collect();
    assert_eq!(sizes_back, sizes_before);
    assert_live_equals_reload(&f.state, &village, &building, point).await;

    // A lock through PATCH is swapped in the same way.
    let lock = send_body(
        &f.state,
        "PATCH",
        &format!("/api/grids/{to}"),
        "application/json",
        serde_json::json!({ "locked": true, "version": grid_sizes(&back)[&to].1 }).to_string(),
        Some(token()),
    )
    .await;
    assert_eq!(lock.status, StatusCode::OK);
    assert_live_equals_reload(&f.state, &village, &building, point).await;
}

/// A village that needs rebalancing: every building of grid `a` (whole buildings only)
/// moved into grid `b` of the same village, now far over the maximum, and grid `c`
/// locked; the village has at least one more grid. Returns `(village, a, b, c, the
/// move's answer)`.
async fn overfull_village(state: &AppState) -> (String, String, String, String, serde_json::Value) {
    let (village, a, b, c, buildings) = {
        let data = state.service().data();
        let snap = data.snapshot();
        let residential_in = |v: &gridmap_core::DivisionCode| {
            snap.grids
                .iter()
                .filter(|o| &o.village == v && !o.institution)
                .count()
        };
        let g = snap
            .grids
            .iter()
            .find(|g| {
                !g.institution
                    && g.members.iter().all(|m| m.flats.is_none())
                    && residential_in(&g.village) >= 4
            })
            .expect("a grid of whole buildings in a village of four grids or more");
        let mut others = snap
            .grids
            .iter()
            .filter(|o| o.village == g.village && o.code != g.code && !o.institution);
        let (b, c) = (others.next().unwrap(), others.next().unwrap());
        let all: Vec<String> = g.members.iter().map(|m| m.building.clone()).collect();
        (
            g.village.to_string(),
            g.code.to_string(),
            b.code.to_string(),
            c.code.to_string(),
            all,
        )
    };
    let merge_by_hand =
        serde_json::json!({ "op": "move_buildings", "buildings": buildings, "to": &b });
    let moved = post_edit(state, &village, merge_by_hand, true).await;
    assert_eq!(
        moved.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    let moved = moved.json();
    let c_version = grid_sizes(&moved["plan"])[&c].1;
    let lock = patch_grid(
        state,
        &c,
        serde_json::json!({ "locked": true }),
        &[(header::IF_MATCH, &format!("\"{c_version}\""))],
    )
    .await;
    assert_eq!(lock.status, StatusCode::OK);
    (village, a, b, c, moved)
}

#[tokio::test]
async fn a_rebalance_brings_a_village_back_into_range_around_its_locked_grid() {
    let f = fixture("http://test").await;
    let (village, a, b, c, moved) = overfull_village(&f.state).await;
    let oversize = |plan: &serde_json::Value| {
        plan["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "size_out_of_range" && i["grid"] == b.as_str())
    };
    assert!(oversize(&moved["plan"]), "{}", moved["plan"]["issues"]);
    // The issue carries its figures, for a page to word it in its language.
    let issue = moved["plan"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "size_out_of_range" && i["grid"] == b.as_str())
        .unwrap();
    let plan = &moved["plan"];
    let held = grid_sizes(plan)[&b].0;
    assert_eq!(issue["size"]["households"].as_u64(), Some(held), "{issue}");
    for k in ["min", "max", "target"] {
        assert_eq!(issue["size"][k], plan[k], "{k}: {issue}");
    }
    assert!(!grid_sizes(&moved["plan"]).contains_key(&a));
    let auth = format!("Bearer {}", token());
    let plan_uri = format!("/api/villages/{village}/plan");
    let before = grid_sizes(
        &get(&f.state, &plan_uri, &[(header::AUTHORIZATION, &auth)])
            .await
            .json(),
    );

    let rebalance = serde_json::json!({ "op": "rebalance", "village": &village });
    let done = post_edit(&f.state, &village, rebalance, true).await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&done.body)
    );
    let out = done.json();
    assert!(!oversize(&out["plan"]), "{}", out["plan"]["issues"]);
    assert!(out["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["grid"] == b.as_str()));
    assert_eq!(
        out["plan"]["in_range"], out["plan"]["residential"],
        "{}",
        out["plan"]
    );
    let after = grid_sizes(&out["plan"]);
    assert_eq!(after[&c], before[&c], "the locked grid is untouched");
    assert_eq!(
        after.values().map(|s| s.0).sum::<u64>(),
        before.values().map(|s| s.0).sum::<u64>(),
        "no household lost"
    );
}

/// A village with grids and its grid codes.
fn village_with_grids(state: &AppState) -> (String, std::collections::BTreeSet<String>) {
    let data = state.service().data();
    let snap = data.snapshot();
    let village = snap.grids[0].village.clone();
    let codes = snap
        .grids
        .iter()
        .filter(|g| g.village == village)
        .map(|g| g.code.to_string())
        .collect();
    (village.to_string(), codes)
}

#[tokio::test]
async fn staff_download_a_village_as_a_zipped_shapefile_flatgeobuf_or_geojson() {
    let f = fixture("http://test").await;
    let (village, codes) = village_with_grids(&f.state);
    let auth = format!("Bearer {}", token());
    let staff = [(header::AUTHORIZATION, auth.as_str())];

    let uri = format!("/api/villages/{village}/export?format=shp&encoding=gbk");
    let shp = get(&f.state, &uri, &staff).await;
    assert_eq!(
        shp.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&shp.body)
    );
    assert_eq!(shp.header(header::CONTENT_TYPE), Some("application/zip"));
    assert_eq!(
        shp.header(header::CONTENT_DISPOSITION),
        Some(format!("attachment; filename=\"{village}-grids.shp.zip\"").as_str())
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(shp.body)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    let want: Vec<String> = ["cpg", "dbf", "prj", "shp", "shx"]
        .iter()
        .map(|ext| format!("{village}-grids.{ext}"))
        .collect();
    assert_eq!(names, want);
    let mut cpg = String::new();
    archive
        .by_name(&format!("{village}-grids.cpg"))
        .unwrap()
        .read_to_string(&mut cpg)
        .unwrap();
    assert_eq!(cpg, "936");

    let fgb = get(
        &f.state,
        &format!("/api/villages/{village}/export?format=fgb"),
        &staff,
    )
    .await;
    assert_eq!(fgb.status, StatusCode::OK);
    assert_eq!(
        fgb.header(header::CONTENT_TYPE),
        Some("application/vnd.flatgeobuf")
    );
    assert!(fgb.body.starts_with(b"fgb\x03"), "not FlatGeobuf");

    let geojson = get(&f.state, &format!("/api/villages/{village}/export"), &staff).await;
    assert_eq!(geojson.status, StatusCode::OK);
    assert_eq!(
        geojson.header(header::CONTENT_TYPE),
        Some("application/geo+json")
    );
    let exported: std::collections::BTreeSet<String> = geojson.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(exported, codes);

    let bad = get(
        &f.state,
        &format!("/api/villages/{village}/export?format=kml"),
        &staff,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("fgb"));
    let unknown = get(&f.state, "/api/villages/411622999999/export", &staff).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    for uri in [
        format!("/api/villages/{village}/export?format=shp"),
        format!("/api/villages/{village}/roster"),
        "/api/villages/411622999999/roster".to_owned(),
    ] {
        let anonymous = get(&f.state, &uri, &[]).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let doc = get(&f.state, "/api/openapi.json", &[]).await.json();
    for path in ["/api/villages/{code}/export", "/api/villages/{code}/roster"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} not in the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn a_village_roster_has_one_row_per_grid_with_its_staff_phone() {
    let f = fixture("http://test").await;
    let (village, codes) = village_with_grids(&f.state);
    let auth = format!("Bearer {}", token());
    let staff = [(header::AUTHORIZATION, auth.as_str())];
    let csv = get(&f.state, &format!("/api/villages/{village}/roster"), &staff).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.header(header::CONTENT_TYPE),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        csv.header(header::CONTENT_DISPOSITION),
        Some(format!("attachment; filename=\"{village}-roster.csv\"").as_str())
    );
    let text = std::str::from_utf8(&csv.body).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("网格编码 Grid code,"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let listed: std::collections::BTreeSet<String> = rows.iter().map(|r| r[0].to_owned()).collect();
    assert_eq!(rows.len(), codes.len(), "one row per grid");
    assert_eq!(listed, codes);
    assert!(rows.iter().all(|r| r[1] == village && r.len() == 7));
    assert!(
        rows.iter().any(|r| r[6].len() >= 11),
        "no staff phone in {text}"
    );

    let xlsx = get(
        &f.state,
        &format!("/api/villages/{village}/roster?format=xlsx"),
        &staff,
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a ZIP");
}

#[tokio::test]
async fn a_planner_saves_a_version_compares_it_with_an_edit_and_restores_it() {
    let f = fixture("http://test").await;
    let (village, from, to, building, _) = movable_building(&f.state);
    let auth = format!("Bearer {}", token());
    let versions_uri = format!("/api/villages/{village}/versions");
    let save = |name: &str| {
        let (state, uri) = (f.state.clone(), versions_uri.clone());
        let body = serde_json::json!({ "name": name }).to_string();
        async move {
            send_body(
                &state,
                "POST",
                &uri,
                "application/json",
                body,
                Some(token()),
            )
            .await
        }
    };
    assert_eq!(
        get(&f.state, &versions_uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let saved = save("before the move").await;
    assert_eq!(
        saved.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&saved.body)
    );
    let id = saved.json()["id"].as_i64().unwrap();
    assert_eq!(save("before the move").await.status, StatusCode::CONFLICT);
    assert_eq!(save("  ").await.status, StatusCode::BAD_REQUEST);
    let listed = get(&f.state, &versions_uri, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let plan_uri = format!("/api/villages/{village}/plan");
    let plan = || {
        let (state, uri, auth) = (f.state.clone(), plan_uri.clone(), auth.clone());
        async move {
            get(&state, &uri, &[(header::AUTHORIZATION, &auth)])
                .await
                .json()
        }
    };
    let original = grid_sizes(&plan().await);

    let mv = serde_json::json!({ "op": "move_buildings", "buildings": [&building], "to": &to });
    let moved = post_edit(&f.state, &village, mv, true).await;
    assert_eq!(moved.status, StatusCode::OK);
    let households = original[&from].0 - grid_sizes(&moved.json()["plan"])[&from].0;
    let compare = |a: &str, b: &str| {
        let uri = format!("{versions_uri}/compare?from={a}&to={b}");
        let (state, auth) = (f.state.clone(), auth.clone());
        async move { get(&state, &uri, &[(header::AUTHORIZATION, &auth)]).await }
    };
    let diff = compare(&id.to_string(), "current").await;
    assert_eq!(
        diff.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&diff.body)
    );
    let diff = diff.json();
    assert_eq!(
        diff["households_moved"].as_u64().unwrap(),
        households,
        "{diff}"
    );
    assert_eq!(diff["buildings_moved"][0]["building"], building.as_str());
    assert_eq!(diff["buildings_moved"][0]["from"][0], from.as_str());
    let changed: Vec<&str> = diff["grids_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&from.as_str()) && changed.contains(&to.as_str()),
        "{changed:?}"
    );
    assert_eq!(
        diff["map"]["features"].as_array().unwrap().len(),
        2 * changed.len()
    );
    assert_eq!(
        compare("current", "current").await.json()["households_moved"],
        0
    );
    assert_eq!(
        compare("nope", "current").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        compare("999999", "current").await.status,
        StatusCode::NOT_FOUND
    );

    // The saved version downloads as it was: the building in its first grid.
    let file = get(
        &f.state,
        &format!("/api/villages/{village}/export?format=geojson&version={id}"),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    let saved_grids = file.json();
    let households_of = |fc: &serde_json::Value, code: &str| {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["code"] == code)
            .map(|f| f["properties"]["households"].as_u64().unwrap())
    };
    assert_eq!(households_of(&saved_grids, &from), Some(original[&from].0));

    // Restoring brings the sizes back, as one undoable change.
    let restored = send_body(
        &f.state,
        "POST",
        &format!("{versions_uri}/{id}/restore"),
        "application/json",
        String::new(),
        Some(token()),
    )
    .await;
    assert_eq!(
        restored.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&restored.body)
    );
    let sizes = |m: &std::collections::BTreeMap<String, (u64, u64)>| {
        m.iter().map(|(c, s)| (c.clone(), s.0)).collect::<Vec<_>>()
    };
    assert_eq!(sizes(&grid_sizes(&plan().await)), sizes(&original));
    assert_eq!(
        compare(&id.to_string(), "current").await.json()["households_moved"],
        0
    );
    undo_as_staff(&f.state, restored.json()["change"].as_i64().unwrap()).await;
    assert_eq!(
        compare(&id.to_string(), "current").await.json()["households_moved"]
            .as_u64()
            .unwrap(),
        households
    );

    let gone = as_staff(&f.state, "DELETE", &format!("{versions_uri}/{id}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&f.state, &versions_uri, &[(header::AUTHORIZATION, &auth)])
            .await
            .json(),
        serde_json::json!([])
    );
}

/// The newest `n` changes of the log as `(id, actor, operation)`, read as staff.
async fn newest_changes(state: &AppState, n: usize) -> Vec<(i64, String, String)> {
    let auth = format!("Bearer {}", token());
    let history = get(
        state,
        &format!("/api/changes?limit={n}"),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await
    .json();
    history["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["actor"].as_str().unwrap().to_owned(),
                c["operation"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn saving_and_deleting_a_version_show_in_the_history_and_cannot_be_undone() {
    let f = fixture("http://test").await;
    let (village, _) = village_with_grids(&f.state);
    let versions_uri = format!("/api/villages/{village}/versions");
    let saved = send_body(
        &f.state,
        "POST",
        &versions_uri,
        "application/json",
        serde_json::json!({ "name": "draft 2" }).to_string(),
        Some(token()),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);
    let id = saved.json()["id"].as_i64().unwrap();
    let (save_change, actor, operation) = newest_changes(&f.state, 1).await.remove(0);
    assert_eq!(actor, "admin");
    assert_eq!(operation, format!("save version \"draft 2\" of {village}"));

    let refused = post_undo(&f.state, save_change).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.json()["error"].as_str().unwrap().to_owned();
    assert!(
        message.contains("a version save cannot be undone: delete the version instead"),
        "{message}"
    );
    // The refusal wrote nothing, and the version is still there.
    assert_eq!(newest_changes(&f.state, 1).await[0].0, save_change);
    let auth = format!("Bearer {}", token());
    let listed = get(&f.state, &versions_uri, &[(header::AUTHORIZATION, &auth)]).await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);

    let gone = as_staff(&f.state, "DELETE", &format!("{versions_uri}/{id}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let (delete_change, actor, operation) = newest_changes(&f.state, 1).await.remove(0);
    assert!(delete_change > save_change);
    assert_eq!(actor, "admin");
    assert_eq!(
        operation,
        format!("delete version \"draft 2\" of {village}")
    );
    let refused = post_undo(&f.state, delete_change).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("cannot be brought back"),
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
}

/// `GET /api/villages/{village}/plan` as staff.
async fn plan_as_staff(state: &AppState, village: &str) -> serde_json::Value {
    let auth = format!("Bearer {}", token());
    let uri = format!("/api/villages/{village}/plan");
    let plan = get(state, &uri, &[(header::AUTHORIZATION, &auth)]).await;
    plan.ok_json();
    plan.json()
}

/// `PATCH /api/grids/{code}` as staff with `body` and extra `headers`.
async fn patch_grid(
    state: &AppState,
    code: &str,
    body: serde_json::Value,
    headers: &[(header::HeaderName, &str)],
) -> Answer {
    let mut req = Request::patch(format!("/api/grids/{code}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", token()));
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    send(state, req.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn a_grid_answers_its_version_as_etag_and_a_patch_must_send_it_back() {
    let f = fixture("http://test").await;
    let (code, _, _) = first_grid(&f.state);
    let shown = get(&f.state, &format!("/api/grids/{code}"), &[]).await;
    assert_eq!(shown.status, StatusCode::OK);
    let version = shown.json()["version"].as_u64().unwrap();
    let tag = format!("\"{version}\"");
    assert_eq!(shown.header(header::ETAG), Some(tag.as_str()));

    // No version at all: 428, saying what to send.
    let lock = serde_json::json!({ "locked": true });
    let unversioned = patch_grid(&f.state, &code, lock.clone(), &[]).await;
    assert_eq!(unversioned.status, StatusCode::PRECONDITION_REQUIRED);
    let message = unversioned.json()["error"].as_str().unwrap().to_owned();
    assert!(
        message.contains("If-Match") && message.contains("version"),
        "{message}"
    );
    assert_eq!(
        get(&f.state, &format!("/api/grids/{code}"), &[])
            .await
            .json()["locked"],
        false,
        "a refused edit changed nothing"
    );

    // If-Match with the ETag: done, and the answer's ETag is the new version.
    let done = patch_grid(&f.state, &code, lock.clone(), &[(header::IF_MATCH, &tag)]).await;
    done.ok_json();
    assert_eq!(done.json()["locked"], true);
    let new_tag = format!("\"{}\"", version + 1);
    assert_eq!(done.header(header::ETAG), Some(new_tag.as_str()));
    assert_eq!(
        get(&f.state, &format!("/api/grids/{code}"), &[])
            .await
            .header(header::ETAG),
        Some(new_tag.as_str())
    );

    // The same If-Match again is stale: 409 saying the grid changed.
    let unlock = serde_json::json!({ "locked": false });
    let stale = patch_grid(&f.state, &code, unlock.clone(), &[(header::IF_MATCH, &tag)]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.json()["error"].as_str().unwrap().contains("changed"),
        "{}",
        String::from_utf8_lossy(&stale.body)
    );
    // A tag that is no version, or one the body contradicts, is a bad request.
    for (tag, body) in [
        ("W/\"2\"", unlock.clone()),
        ("*", unlock.clone()),
        (
            new_tag.as_str(),
            serde_json::json!({ "locked": false, "version": version }),
        ),
    ] {
        let bad = patch_grid(&f.state, &code, body, &[(header::IF_MATCH, tag)]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "If-Match {tag}");
    }
    // The body's version is as good as If-Match.
    let body = serde_json::json!({ "locked": false, "version": version + 1 });
    assert_eq!(
        patch_grid(&f.state, &code, body, &[]).await.status,
        StatusCode::OK
    );
    // The API document says so.
    let doc = get(&f.state, "/api/openapi.json", &[]).await.json();
    let path = &doc["paths"]["/api/grids/{code}"];
    assert!(
        path["get"]["responses"]["200"]["headers"]["ETag"].is_object(),
        "{path}"
    );
    assert!(path["patch"]["responses"]["428"].is_object(), "{path}");
    let params = path["patch"]["parameters"].as_array().unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "If-Match" && p["in"] == "header"),
        "{path}"
    );
}

/// The `(kind, grid, building)` of each issue in `issues`, sorted.
fn issue_keys(issues: &serde_json::Value) -> Vec<(String, String, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let mut keys: Vec<_> = issues
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| (text(&i["kind"]), text(&i["grid"]), text(&i["building"])))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn an_undo_of_a_village_edit_answers_the_plan_and_the_rules_it_broke_and_mended() {
    // Two villages: undoing the partition run changes both.
    let f = fixture_of("http://test", 3000, 7).await;
    let (village, from, to, building, _) = movable_building(&f.state);
    let before = plan_as_staff(&f.state, &village).await;
    let mv = serde_json::json!({ "op": "move_buildings", "buildings": [&building], "to": &to });
    let edit = post_edit(&f.state, &village, mv, true).await;
    assert_eq!(edit.status, StatusCode::OK);
    let edit = edit.json();
    assert_ne!(
        grid_sizes(&edit["plan"])[&from].0,
        grid_sizes(&before)[&from].0
    );

    let change = edit["change"].as_i64().unwrap();
    let undo = post_undo(&f.state, change).await;
    let undo = undo.ok_json();
    assert_eq!(undo["undone"], change);
    assert!(undo["change"].as_i64().unwrap() > change);
    // The plan after the undo is the plan before the edit, and the one the server shows.
    let sizes = |plan: &serde_json::Value| -> Vec<(String, u64)> {
        grid_sizes(plan)
            .into_iter()
            .map(|(c, s)| (c, s.0))
            .collect()
    };
    assert_eq!(sizes(&undo["plan"]), sizes(&before));
    assert_eq!(undo["plan"], plan_as_staff(&f.state, &village).await);
    // The undo breaks what the edit mended and mends what it broke.
    assert_eq!(issue_keys(&undo["caused"]), issue_keys(&edit["fixed"]));
    assert_eq!(issue_keys(&undo["fixed"]), issue_keys(&edit["caused"]));
    assert_eq!(
        issue_keys(&undo["plan"]["issues"]),
        issue_keys(&before["issues"])
    );

    // Undoing the partition run (grids of both villages) answers as before: no plan.
    let partition_run = newest_changes(&f.state, 50)
        .await
        .into_iter()
        .find(|(_, _, op)| op.starts_with("partition"))
        .expect("the fixture's partition run")
        .0;
    let undo_all = post_undo(&f.state, partition_run).await;
    // (The edit is undone, so every grid is as the run left it.)
    let undo_all = undo_all.ok_json();
    assert_eq!(undo_all["undone"], partition_run);
    assert!(undo_all["change"].is_i64(), "{undo_all}");
    for field in ["plan", "caused", "fixed"] {
        assert!(undo_all.get(field).is_none(), "{field} in {undo_all}");
    }
}

/// Households of every grid of the county whose staff member is `staff`, as the server
/// holds them now.
fn households_of_staff(state: &AppState, staff: &str) -> u64 {
    let data = state.service().data();
    data.snapshot()
        .grids
        .iter()
        .filter(|g| g.staff.as_deref() == Some(staff))
        .map(|g| u64::from(g.households))
        .sum()
}

#[tokio::test]
async fn a_staff_member_over_the_household_limit_counting_other_villages_is_flagged() {
    // Two villages.
    let f = fixture_of("http://test", 3000, 7).await;
    // Grid a of a village, with a staff member; grid b of the same village with whole
    // buildings to move into a; grid c of another village.
    let (village, a, staff, b_buildings, c) = {
        let data = f.state.service().data();
        let snap = data.snapshot();
        let residential = |g: &&std::sync::Arc<gridmap_core::Grid>| !g.institution;
        let a =
            snap.grids
                .iter()
                .filter(residential)
                .find(|g| {
                    g.staff.is_some()
                        && snap.grids.iter().filter(residential).any(|o| {
                            o.village == g.village && o.code != g.code && o.staff != g.staff
                        })
                })
                .expect("a staffed grid with a neighbour in its village");
        let b = snap
            .grids
            .iter()
            .filter(residential)
            .find(|o| o.village == a.village && o.code != a.code && o.staff != a.staff)
            .unwrap();
        let c = snap
            .grids
            .iter()
            .filter(residential)
            .find(|o| o.village != a.village)
            .expect("a grid of another village");
        let whole: Vec<String> = b
            .members
            .iter()
            .filter(|m| m.flats.is_none())
            .map(|m| m.building.clone())
            .collect();
        (
            a.village.to_string(),
            a.code.to_string(),
            a.staff.clone().unwrap(),
            whole,
            gridmap_core::Grid::clone(c),
        )
    };
    let name = get(&f.state, &format!("/api/staff/{staff}"), &[])
        .await
        .json()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    // The staff member also takes grid c of the other village.
    let give_c = patch_grid(
        &f.state,
        c.code.as_str(),
        serde_json::json!({ "staff": &staff, "version": c.version }),
        &[],
    )
    .await;
    give_c.ok_json();
    let limit = 100;
    let load = households_of_staff(&f.state, &staff);
    assert!(
        load <= limit,
        "the test needs {staff} under the limit first ({load})"
    );
    let plan = plan_as_staff(&f.state, &village).await;
    assert_eq!(plan["max_staff_households"], limit);
    assert_eq!(plan["staff_overloaded"], serde_json::json!([]));

    // Moving b's buildings into a takes the staff member over the limit only with c
    // counted: the village alone would not do it if a + b were within the limit.
    let mv = serde_json::json!({ "op": "move_buildings", "buildings": b_buildings, "to": &a });
    let moved = post_edit(&f.state, &village, mv, true).await;
    let moved = moved.ok_json();
    let load = households_of_staff(&f.state, &staff);
    let in_village: u64 = moved["plan"]["grids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["staff"] == staff.as_str())
        .map(|g| g["households"].as_u64().unwrap())
        .sum();
    assert!(
        load > in_village,
        "grid c counts too ({load} > {in_village})"
    );
    assert!(
        load > limit,
        "the move should take {staff} over {limit} ({load})"
    );
    let overload = |issues: &serde_json::Value| -> Vec<serde_json::Value> {
        issues
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "staff_overload")
            .cloned()
            .collect()
    };
    let caused = overload(&moved["caused"]);
    assert!(!caused.is_empty(), "{}", moved["caused"]);
    let on_a = caused
        .iter()
        .find(|i| i["grid"] == a.as_str())
        .expect("flagged on grid a");
    assert_eq!(on_a["hard"], false);
    assert_eq!(on_a["staff"]["id"], staff.as_str());
    assert_eq!(on_a["staff"]["name"], name.as_str());
    assert_eq!(on_a["staff"]["households"], load);
    assert_eq!(on_a["staff"]["limit"], limit);
    let message = on_a["message"].as_str().unwrap();
    assert!(
        message.contains(&name) && message.contains(&load.to_string()),
        "{message}"
    );
    // Each grid of the staff member in the village carries it.
    let mut staffed: Vec<String> = moved["plan"]["grids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["staff"] == staff.as_str())
        .map(|g| g["code"].as_str().unwrap().to_owned())
        .collect();
    let mut flagged: Vec<String> = overload(&moved["plan"]["issues"])
        .iter()
        .filter(|i| i["staff"]["id"] == staff.as_str())
        .map(|i| i["grid"].as_str().unwrap().to_owned())
        .collect();
    staffed.sort();
    flagged.sort();
    assert_eq!(flagged, staffed);
    assert_eq!(moved["plan"]["staff_overloaded"][0]["id"], staff.as_str());
    // The violations list shows it; no phone anywhere.
    let auth = format!("Bearer {}", token());
    let violations = get(
        &f.state,
        &format!("/api/violations?village={village}"),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await
    .json();
    assert!(!overload(&violations["issues"]).is_empty(), "{violations}");
    let phone = f
        .state
        .service()
        .data()
        .snapshot()
        .staff_member(&staff)
        .and_then(|s| s.phone.clone());
    if let Some(phone) = phone {
        assert!(!violations.to_string().contains(&phone));
        assert!(!moved.to_string().contains(&phone));
    }

    // Undoing the move mends it.
    let change = moved["change"].as_i64().unwrap();
    let undo = post_undo(&f.state, change).await.json();
    assert!(
        overload(&undo["fixed"])
            .iter()
            .any(|i| i["grid"] == a.as_str()),
        "{undo}"
    );
    assert_eq!(undo["plan"]["staff_overloaded"], serde_json::json!([]));
}

#[tokio::test]
async fn a_rebalance_of_selected_grids_leaves_every_other_grid_of_the_village_as_it_was() {
    let f = fixture("http://test").await;
    // Grid a emptied into grid b (b far over the maximum); grid c locked; the rest as is.
    let (village, _, b, c, moved) = overfull_village(&f.state).await;

    // Every grid of the village: members, staff and lock, by code.
    let village_code: gridmap_core::DivisionCode = village.parse().unwrap();
    let grids_now = || {
        let data = f.state.service().data();
        data.snapshot()
            .grids
            .iter()
            .filter(|g| g.village == village_code)
            .map(|g| {
                (
                    g.code.to_string(),
                    (g.members.clone(), g.staff.clone(), g.locked),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = grids_now();
    let rebalance = |grids: serde_json::Value| {
        let (state, village) = (f.state.clone(), village.clone());
        async move {
            let body =
                serde_json::json!({ "op": "rebalance", "village": &village, "grids": grids });
            post_edit(&state, &village, body, true).await
        }
    };

    // Refusals name the grid: not in the village, of another village, locked.
    let missing = format!("{village}-999");
    let refused = rebalance(serde_json::json!([&b, &missing])).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&refused.body).contains(&missing));
    // (The check needs no such village: the code says whose grid it is.)
    let serial: u32 = village[9..].parse().unwrap();
    let other = format!("{}{:03}-001", &village[..9], serial % 999 + 1);
    let refused = rebalance(serde_json::json!([&b, &other])).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&refused.body).contains(&other));
    let refused = rebalance(serde_json::json!([&b, &c])).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let message = String::from_utf8_lossy(&refused.body).to_string();
    assert!(
        message.contains(&c) && message.contains("locked"),
        "{message}"
    );
    assert_eq!(grids_now(), before, "refusals changed nothing");

    // Rebalancing b alone cuts its buildings into grids in range; the others stay.
    let done = rebalance(serde_json::json!([&b])).await;
    done.ok_json();
    let out = done.json();
    let after = grids_now();
    for (code, was) in before.iter().filter(|(code, _)| **code != b) {
        assert_eq!(after.get(code), Some(was), "grid {code} changed");
    }
    assert!(after[&c].2, "the locked grid is still locked");
    assert!(
        before
            .iter()
            .filter(|(code, _)| **code != c)
            .any(|(_, g)| !g.2),
        "unselected unlocked grids exist"
    );
    let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(!new.is_empty(), "b's buildings now fill more than one grid");
    let sizes = grid_sizes(&out["plan"]);
    let (min, max) = (
        out["plan"]["min"].as_u64().unwrap(),
        out["plan"]["max"].as_u64().unwrap(),
    );
    let rebalanced: Vec<&String> = new
        .into_iter()
        .chain(after.contains_key(&b).then_some(&b))
        .collect();
    for code in &rebalanced {
        assert!(
            (min..=max).contains(&sizes[*code].0),
            "grid {code}: {:?}",
            sizes[*code]
        );
    }
    let moved_households: u64 = rebalanced.iter().map(|c| sizes[*c].0).sum();
    let b_before = grid_sizes(&moved["plan"])[&b].0;
    assert_eq!(moved_households, b_before, "no household lost or gained");
    let history = newest_changes(&f.state, 1).await;
    assert_eq!(history[0].2, format!("rebalance grids {b} of {village}"));
}

#[tokio::test]
async fn a_planner_names_a_grid_and_the_name_shows_in_its_detail_search_and_tiles() {
    let f = fixture("http://test").await;
    let (code, [lon, lat], _) = first_grid(&f.state);
    let version = get(&f.state, &format!("/api/grids/{code}"), &[])
        .await
        .json()["version"]
        .as_u64()
        .unwrap();
    let name = "幸福路东段";
    let renamed = patch_grid(
        &f.state,
        &code,
        serde_json::json!({ "name": format!("  {name} "), "version": version }),
        &[],
    )
    .await;
    assert_eq!(
        renamed.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&renamed.body)
    );
    assert_eq!(renamed.json()["name"], name, "trimmed");
    assert_eq!(renamed.json()["version"], version + 1);
    let shown = get(&f.state, &format!("/api/grids/{code}"), &[])
        .await
        .json();
    assert_eq!(shown["name"], name);
    let plan = plan_as_staff(&f.state, &code[..12]).await;
    let listed = plan["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == code.as_str());
    assert_eq!(
        listed.unwrap()["name"],
        name,
        "the planner's list shows the name"
    );
    let hits = get(
        &f.state,
        &format!("/api/search?q={}", urlencode("幸福路")),
        &[],
    )
    .await
    .json();
    assert!(
        hits["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "grid" && h["id"] == code.as_str()),
        "{hits}"
    );
    let (z, x, y) = tile_of(lon, lat, 16);
    let tile = decode(
        &get(&f.state, &format!("/tiles/grids/{z}/{x}/{y}.mvt"), &[])
            .await
            .body,
    );
    let grids = tile.layers.iter().find(|l| l.name == "grids").unwrap();
    assert!(
        grids.features.iter().any(|ft| {
            attr(grids, ft, "code").and_then(|v| v.string_value) == Some(code.clone())
                && attr(grids, ft, "name").and_then(|v| v.string_value) == Some(name.to_owned())
        }),
        "the grid's tile feature carries its name"
    );

    // Too long, or two lines: refused with the reason; the name stays.
    let long = "路".repeat(41);
    for bad in [long.as_str(), "a\nb"] {
        let refused = patch_grid(
            &f.state,
            &code,
            serde_json::json!({ "name": bad, "version": version + 1 }),
            &[],
        )
        .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.json()["error"].as_str().unwrap().contains(&code));
    }
    // An empty name removes it, and the change can be undone.
    let cleared = patch_grid(
        &f.state,
        &code,
        serde_json::json!({ "name": "", "version": version + 1 }),
        &[],
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.json()["name"].is_null());
    undo_as_staff(&f.state, cleared.json()["change"].as_i64().unwrap()).await;
    let shown = get(&f.state, &format!("/api/grids/{code}"), &[])
        .await
        .json();
    assert_eq!(shown["name"], name, "the undo brings the name back");
}

#[tokio::test]
async fn a_planner_splits_a_grid_along_a_drawn_line() {
    let f = fixture("http://test").await;
    let (village, grid, bbox) = {
        let data = f.state.service().data();
        let g = data
            .snapshot()
            .grids
            .iter()
            .find(|g| splittable(g))
            .expect("a grid of whole buildings")
            .clone();
        let r = geo::BoundingRect::bounding_rect(&g.polygon).unwrap();
        // Between the two middle buildings from west to east (an edge grid's box also
        // covers empty land, so its centre may lie beside every building).
        let snap = data.snapshot();
        let mut xs: Vec<f64> = g
            .members
            .iter()
            .filter_map(|m| snap.building(&m.building))
            .filter_map(|b| gridmap_core::geometry::representative_point(&b.footprint))
            .map(|p| p.x())
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let mid = (xs[xs.len() / 2 - 1] + xs[xs.len() / 2]) / 2.0;
        (g.village.to_string(), g.code.to_string(), (r, mid))
    };
    let (bbox, mid) = bbox;
    let before = grid_sizes(&plan_as_staff(&f.state, &village).await);
    let across = serde_json::json!({ "op": "split", "grid": &grid,
        "line": [[mid, bbox.min().y - 0.001], [mid, bbox.max().y + 0.001]] });
    let split = post_edit_ok(&f.state, &village, across).await;
    let created = split.json()["created"]
        .as_str()
        .expect("the new part")
        .to_owned();
    let parts = grid_sizes(&split.json()["plan"]);
    assert_eq!(parts[&grid].0 + parts[&created].0, before[&grid].0);
    assert!(
        parts[&grid].0 >= parts[&created].0,
        "the larger side keeps the code"
    );
    let history = newest_changes(&f.state, 1).await;
    assert!(history[0].2.contains("along a line"), "{history:?}");

    // A line far outside the grid divides nothing: 400, naming the grid.
    let west = bbox.min().x - 1.0;
    let beside = serde_json::json!({ "op": "split", "grid": &grid,
        "line": [[west, bbox.min().y], [west, bbox.max().y]] });
    let refused = post_edit(&f.state, &village, beside, true).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.json()["error"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&grid) && message.contains("one side"),
        "{message}"
    );
}

#[tokio::test]
async fn the_history_is_also_served_as_api_history() {
    let f = fixture("http://test").await;
    let (code, _, _) = first_grid(&f.state);
    let version = get(&f.state, &format!("/api/grids/{code}"), &[])
        .await
        .json()["version"]
        .as_u64()
        .unwrap();
    let lock = serde_json::json!({ "locked": true, "version": version });
    assert_eq!(
        patch_grid(&f.state, &code, lock, &[]).await.status,
        StatusCode::OK
    );
    let auth = format!("Bearer {}", token());
    let both: Vec<serde_json::Value> = {
        let mut out = Vec::new();
        for uri in ["/api/changes?limit=3", "/api/history?limit=3"] {
            let answer = get(&f.state, uri, &[(header::AUTHORIZATION, &auth)]).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            out.push(answer.json());
        }
        out
    };
    assert_eq!(both[0], both[1]);
    assert!(both[0]["changes"][0]["operation"]
        .as_str()
        .unwrap()
        .contains(&code));
    assert_eq!(
        get(&f.state, "/api/history", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_split_shows_in_the_townships_grid_count_even_in_tiles_beyond_the_village() {
    use geo::BoundingRect;
    // A county with several villages in a township.
    let f = fixture_of("http://test", 6000, 3).await;
    // A grid of whole buildings, and a z16 tile over its township that lies a whole tile
    // away from its village's box (an edit purges the village's box).
    let (village, grid, township, (z, x, y)) = {
        let data = f.state.service().data();
        let snap = data.snapshot();
        let z = 16u8;
        let n = f64::from(1u32 << z);
        let far_tile = |g: &gridmap_core::Grid| {
            let vb = snap.admin_unit(&g.village)?.boundary.bounding_rect()?;
            let township = &snap.admin_unit(&g.village.township())?.boundary;
            let tb = township.bounding_rect()?;
            (0..=20)
                .flat_map(|i| (0..=20).map(move |j| (i, j)))
                .map(|(i, j)| {
                    let lon = tb.min().x + tb.width() * f64::from(i) / 20.0;
                    let lat = tb.min().y + tb.height() * f64::from(j) / 20.0;
                    (lon, lat)
                })
                // Points inside the township: their tiles hold it.
                .filter(|&(lon, lat)| geo::Contains::contains(township, &geo::Point::new(lon, lat)))
                .map(|(lon, lat)| tile_of(lon, lat, z))
                .find(|&(_, x, y)| {
                    // The tile widened by one tile on every side misses the village's box.
                    let corner = |dx: f64, dy: f64| {
                        gridmap_tiles::coord::world_to_lonlat(
                            (f64::from(x) + dx) / n,
                            (f64::from(y) + dy) / n,
                        )
                    };
                    let ((w, north), (e, south)) = (corner(-1.0, -1.0), corner(2.0, 2.0));
                    e < vb.min().x || w > vb.max().x || north < vb.min().y || south > vb.max().y
                })
        };
        let (g, tile) = snap
            .grids
            .iter()
            .filter(|g| splittable(g))
            .find_map(|g| Some((g, far_tile(g)?)))
            .expect("a grid whose township reaches a tile clear of its village");
        (
            g.village.to_string(),
            g.code.to_string(),
            g.village.township().to_string(),
            tile,
        )
    };
    let uri = format!("/tiles/townships/{z}/{x}/{y}.mvt");
    let grid_count = |body: &[u8]| {
        let t = decode(body);
        let layer = t.layers.iter().find(|l| l.name == "townships")?.clone();
        layer
            .features
            .iter()
            .find(|ft| {
                attr(&layer, ft, "code")
                    .and_then(|v| v.string_value)
                    .as_deref()
                    == Some(township.as_str())
            })
            .and_then(|ft| attr(&layer, ft, "grids"))
            .and_then(|v| v.uint_value)
    };
    let before =
        grid_count(&get(&f.state, &uri, &[]).await.body).expect("the township is in the tile");
    post_edit_ok(
        &f.state,
        &village,
        serde_json::json!({ "op": "split", "grid": &grid }),
    )
    .await;
    let after = grid_count(&get(&f.state, &uri, &[]).await.body);
    assert_eq!(
        after,
        Some(before + 1),
        "the cached tile was purged and shows one grid more"
    );
}

/// A bearer token of a new account `login`, `role` over `scope` (`gridmap user add` and
/// `gridmap user token` in one).
async fn account_token(state: &AppState, login: &str, role: &str, scope: &str) -> String {
    use gridmap_service::access::{add_account, AccountRequest};
    let store = state.service().store().clone();
    let request = AccountRequest {
        login: login.into(),
        role: role.parse().unwrap(),
        scope: scope.parse().unwrap(),
        password: Some(format!("{login} password")),
        staff: None,
    };
    let (account, _) = add_account(store.as_ref(), &Caller::Operator, &request, 0)
        .await
        .unwrap();
    let now = gridmap_service::incidents::now();
    let kind = gridmap_store::CredentialKind::Token;
    let issued = state
        .service()
        .credentials()
        .issue(store.as_ref(), &account, kind, "test", 3600, now)
        .await
        .unwrap();
    issued.secret
}

/// A building with households and a grid in one village and one in another:
/// `[(building, village, grid); 2]`.
fn buildings_in_two_villages(state: &AppState) -> [(String, String, String); 2] {
    let data = state.service().data();
    let snap = data.snapshot();
    let mut found: Vec<(String, String, String)> = Vec::new();
    for (i, b) in snap.buildings.iter().enumerate() {
        let (Some(village), true) = (&b.village, b.households.count > 0) else {
            continue;
        };
        let Some(grid) = snap.grids_of_building(i).next() else {
            continue;
        };
        if found.iter().all(|f| f.1 != village.as_str()) {
            let grid = snap.grids[grid].code.to_string();
            found.push((b.source_id.clone(), village.to_string(), grid));
        }
        if found.len() == 2 {
            return [found[0].clone(), found[1].clone()];
        }
    }
    let villages: std::collections::BTreeSet<_> =
        snap.buildings.iter().map(|b| b.village.clone()).collect();
    panic!("the county has two villages with households: {found:?} {villages:?}");
}

/// How many households of a building's detail show a head or phone.
fn heads_shown(answer: &Answer) -> usize {
    answer.ok_json()["household_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["head"].is_string() || h["phone"].is_string())
        .count()
}

#[tokio::test]
async fn staff_see_household_heads_only_inside_their_scope_and_each_read_is_audited() {
    let f = fixture_of("http://test", 3000, 7).await;
    let [here, there] = buildings_in_two_villages(&f.state);
    let staff = account_token(&f.state, "wang", "staff", &here.1).await;
    let auth = format!("Bearer {staff}");
    let building = |id: &str| format!("/api/buildings/{}", urlencode(id));
    let inside = get(
        &f.state,
        &building(&here.0),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await;
    assert!(heads_shown(&inside) > 0, "{}", inside.json());
    let outside = get(
        &f.state,
        &building(&there.0),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await;
    assert_eq!(heads_shown(&outside), 0, "{}", outside.json());
    // A grid staff member's scope is her grids, not the village around them.
    let grid_scope = format!("grids:{}", here.2);
    let mine = account_token(&f.state, "li", "staff", &grid_scope).await;
    let mine = format!("Bearer {mine}");
    let own = get(
        &f.state,
        &building(&here.0),
        &[(header::AUTHORIZATION, &mine)],
    )
    .await;
    assert!(heads_shown(&own) > 0);

    let store = f.state.service().store();
    let reads = store
        .audit(&gridmap_store::AuditFilter {
            action: Some("read households".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let seen: Vec<(&str, &str, &str)> = reads
        .iter()
        .map(|r| {
            (
                r.entry.actor.as_str(),
                r.entry.target.as_str(),
                r.entry.origin.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("li", here.0.as_str(), "unknown"),
            ("wang", here.0.as_str(), "unknown")
        ],
        "one entry per read that showed personal data, newest first"
    );
    let detail = inside.json().to_string();
    for r in &reads {
        assert!(r.entry.detail.ends_with("households"), "{:?}", r.entry);
        assert!(!detail.contains(&format!("\"{}\"", r.entry.detail)));
    }
}

#[tokio::test]
async fn signing_in_sets_an_http_only_strict_cookie_that_works_until_logout() {
    let f = fixture("https://maps.example.org/gridmap").await;
    let store = f.state.service().store().clone();
    let person = f.state.service().data().snapshot().staff[0].id.clone();
    let mut request = gridmap_service::access::AccountRequest {
        login: "zhao".into(),
        role: gridmap_core::Role::Planner,
        scope: "411622".parse().unwrap(),
        password: Some("zhao's password".into()),
        staff: Some("S-not-on-the-roster".into()),
    };
    let unknown =
        gridmap_service::access::add_account(store.as_ref(), &Caller::Operator, &request, 0).await;
    assert!(
        unknown.is_err_and(|e| e.to_string().contains("no staff member")),
        "a link to nobody is refused"
    );
    request.staff = Some(person.clone());
    gridmap_service::access::add_account(store.as_ref(), &Caller::Operator, &request, 0)
        .await
        .unwrap();
    let login = |password: &str| {
        let body = serde_json::json!({"login": "zhao", "password": password}).to_string();
        let state = f.state.clone();
        async move { send_body(&state, "POST", "/api/login", "application/json", body, None).await }
    };
    let wrong = login("guess").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.header(header::SET_COOKIE).is_none());
    assert!(wrong.json()["error"]
        .as_str()
        .unwrap()
        .contains("wrong login or password"));

    let ok = login("zhao's password").await;
    assert_eq!(ok.ok_json()["login"], "zhao");
    assert_eq!(
        ok.json()["staff"],
        person.as_str(),
        "the roster's person the account is linked to"
    );
    let cookie = ok.header(header::SET_COOKIE).unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = get(&f.state, "/api/me", &[(header::COOKIE, &session)])
        .await
        .ok_json();
    assert_eq!(
        (me["signed_in"].as_bool(), me["role"].as_str()),
        (Some(true), Some("planner"))
    );

    let out = send(
        &f.state,
        Request::post("/api/logout")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out
        .header(header::SET_COOKIE)
        .unwrap()
        .contains("Max-Age=0"));
    // The old cookie is revoked: it reads as signed out, not as an error.
    let after = get(&f.state, "/api/me", &[(header::COOKIE, &session)])
        .await
        .ok_json();
    assert_eq!(after["signed_in"], false);
}

#[tokio::test]
async fn each_role_and_scope_gets_what_it_may_from_each_endpoint() {
    let f = fixture_of("http://test", 3000, 7).await;
    let [here, there] = buildings_in_two_villages(&f.state);
    let (village, other) = (here.1.as_str(), there.1.as_str());
    let county = &here.1[..6];
    let mut callers: Vec<(&str, Option<String>)> = vec![("public", None)];
    for (name, role, scope) in [
        ("chief", "admin", "all"),
        ("planner", "planner", village),
        ("planner elsewhere", "planner", other),
        ("staff", "staff", village),
        ("viewer", "viewer", county),
        ("wall", "wall", "all"),
    ] {
        let login = name.replace(' ', "-");
        callers.push((
            name,
            Some(account_token(&f.state, &login, role, scope).await),
        ));
    }
    let (_, [lon, lat], _) = first_grid(&f.state);
    let (z, x, y) = tile_of(lon, lat, 15);
    let tile = format!("/tiles/grids,buildings/{z}/{x}/{y}.mvt");
    let building = format!("/api/buildings/{}", urlencode(&here.0));
    let plan = format!("/api/villages/{}/plan", here.1);
    let roster = format!("/api/villages/{}/roster", here.1);
    let patch = format!("/api/grids/{}", here.2);

    // Expected: tile, heads shown, plan, roster, history, grid edit with a stale version
    // (409 once allowed: the check of rights comes before the check of the version).
    type Row = (u16, bool, u16, u16, u16, u16);
    let expected: [(&str, Row); 7] = [
        ("public", (200, false, 401, 401, 401, 401)),
        ("chief", (200, true, 200, 200, 200, 409)),
        ("planner", (200, true, 200, 200, 200, 409)),
        ("planner elsewhere", (200, false, 403, 403, 200, 403)),
        ("staff", (200, true, 403, 200, 200, 403)),
        ("viewer", (200, false, 403, 403, 403, 403)),
        ("wall", (200, false, 403, 403, 403, 403)),
    ];
    let mut tiles = Vec::new();
    for ((name, token), (expected_name, want)) in callers.iter().zip(expected) {
        assert_eq!(*name, expected_name);
        let auth = token.as_ref().map(|t| format!("Bearer {t}"));
        let headers: Vec<(header::HeaderName, &str)> = auth
            .as_deref()
            .map(|a| vec![(header::AUTHORIZATION, a)])
            .unwrap_or_default();
        let tile_answer = get(&f.state, &tile, &headers).await;
        let detail = get(&f.state, &building, &headers).await;
        let stale = serde_json::json!({"locked": true, "version": 0}).to_string();
        let edit = send_body(
            &f.state,
            "PATCH",
            &patch,
            "application/json",
            stale,
            token.as_deref(),
        )
        .await;
        let got: Row = (
            tile_answer.status.as_u16(),
            heads_shown(&detail) > 0,
            get(&f.state, &plan, &headers).await.status.as_u16(),
            get(&f.state, &roster, &headers).await.status.as_u16(),
            get(&f.state, "/api/changes", &headers)
                .await
                .status
                .as_u16(),
            edit.status.as_u16(),
        );
        assert_eq!(got, want, "{name}");
        tiles.push(tile_answer.body);
    }
    // Tiles carry no personal data, so every caller gets the same bytes.
    assert!(tiles.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn a_refusal_outside_the_scope_reads_the_same_for_a_grid_that_does_not_exist() {
    let f = fixture_of("http://test", 3000, 7).await;
    let [here, there] = buildings_in_two_villages(&f.state);
    let planner = account_token(&f.state, "sun", "planner", &here.1).await;
    let body = || serde_json::json!({"locked": true, "version": 1}).to_string();
    let real = format!("/api/grids/{}", there.2);
    let made_up = format!("/api/grids/{}-999", there.1);
    let a = send_body(
        &f.state,
        "PATCH",
        &real,
        "application/json",
        body(),
        Some(&planner),
    )
    .await;
    let b = send_body(
        &f.state,
        "PATCH",
        &made_up,
        "application/json",
        body(),
        Some(&planner),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!((b.status, b.body), (a.status, a.body));
}

#[tokio::test]
async fn only_the_built_in_files_the_page_loads_are_served_and_odd_paths_are_404() {
    let f = fixture("http://test").await;
    for uri in [
        "/static/x%0a%3Ctext%3E%00",
        "/static/%00",
        "/vendor/maplibre-gl/%00",
        "/static/glyphs",
        "/static/package.json",
        "/static/package-lock.json",
        "/static/README.md",
        "/static/biome.json",
        "/static/build/glyphs.js",
        "/static/node_modules/maplibre-gl/package.json",
        "/static/..%2Fpackage.json",
        "/vendor/maplibre-gl/maplibre-gl.mjs.map",
        "/vendor/maplibre-gl/..%2F..%2F..%2Fpackage.json",
        "/fonts/Noto%20Sans%20Regular/..%2F..%2Fpackage.json",
        "/fonts/%00/0-255.pbf",
    ] {
        let answer = get(&f.state, uri, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(answer.json()["error"].is_string(), "{uri}");
    }
    // What these refusals write to the log: tests/request_log.rs.

    let missing = gridmap::http::missing_web_files();
    let pages = [
        ("/", "text/html"),
        ("/wall", "text/html"),
        ("/static/app.js", "text/javascript"),
        ("/static/style.css", "text/css"),
        ("/vendor/maplibre-gl/maplibre-gl.mjs", "text/javascript"),
        (
            "/vendor/maplibre-gl/maplibre-gl-worker.mjs",
            "text/javascript",
        ),
        ("/vendor/maplibre-gl/maplibre-gl.css", "text/css"),
        (
            "/fonts/Noto%20Sans%20Regular/0-255.pbf",
            "application/x-protobuf",
        ),
        ("/style.json", "application/json"),
    ];
    for (uri, content_type) in pages {
        let answer = get(&f.state, uri, &[]).await;
        if missing.is_empty() {
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            assert!(
                answer
                    .header(header::CONTENT_TYPE)
                    .unwrap()
                    .starts_with(content_type),
                "{uri}"
            );
        } else if uri == "/" {
            // Built without `npm run build` in web/: the page says what to run.
            assert_eq!(answer.status, StatusCode::NOT_FOUND);
            let message = answer.json()["error"].as_str().unwrap().to_owned();
            assert!(message.contains("npm ci && npm run build"), "{message}");
        }
    }
}

#[tokio::test]
async fn the_frameworks_refusals_answer_the_apis_json_error_shape() {
    let f = fixture("http://test").await;
    let (code, [lon, _], _) = first_grid(&f.state);
    let patch = |content_type: &'static str, body: Vec<u8>| {
        Request::patch(format!("/api/grids/{code}"))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, format!("Bearer {}", token()))
            .header(header::IF_MATCH, "\"1\"")
            .body(Body::from(body))
            .unwrap()
    };
    let too_large = vec![b' '; 3 << 20];
    let cases = [
        (
            patch("application/json", b"{".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            patch("application/json", br#"{"locked": "yes"}"#.to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            patch("text/plain", br#"{"locked": true}"#.to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            patch("application/json", too_large),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            Request::get(format!("/api/lookup?lon=east&lat={lon}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Request::delete("/health").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (request, status) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let answer = send(&f.state, request).await;
        assert_eq!(answer.status, status, "{what}");
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            Some("application/json"),
            "{what}"
        );
        let message = answer.json()["error"].as_str().unwrap_or("").to_owned();
        assert!(!message.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing_and_keeps_the_version() {
    let f = fixture("http://test").await;
    let (code, _, _) = first_grid(&f.state);
    let shown = get(&f.state, &format!("/api/grids/{code}"), &[]).await;
    let tag = shown.header(header::ETAG).unwrap().to_owned();
    let locked = shown.json()["locked"].clone();
    let before = newest_changes(&f.state, 1).await;
    for body in [
        serde_json::json!({}),
        serde_json::json!({ "locked": locked }),
    ] {
        let answer = patch_grid(
            &f.state,
            &code,
            body.clone(),
            &[(header::IF_MATCH, tag.as_str())],
        )
        .await;
        let json = answer.ok_json();
        assert_eq!(answer.header(header::ETAG), Some(tag.as_str()), "{body}");
        assert!(json.get("change").is_none(), "{body}: {json}");
        assert_eq!(newest_changes(&f.state, 1).await, before, "{body}");
    }
    let again = get(&f.state, &format!("/api/grids/{code}"), &[]).await;
    assert_eq!(again.header(header::ETAG), Some(tag.as_str()));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_cors_is_off_by_default() {
    let f = fixture("http://test").await;
    for uri in ["/", "/health", "/api/grids/nothing", "/static/package.json"] {
        let answer = get(&f.state, uri, &[(header::ORIGIN, "https://evil.example")]).await;
        let csp = answer.header(header::CONTENT_SECURITY_POLICY).unwrap_or("");
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(csp.contains("worker-src 'self' blob:"), "{uri}: {csp}");
        assert_eq!(
            answer.header(header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        assert!(answer.header(header::REFERRER_POLICY).is_some(), "{uri}");
        assert_eq!(
            answer.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            None,
            "{uri}"
        );
    }

    // `serve --cors-origin https://a.example`: that origin only.
    let mut config = http_config("http://test");
    config.cors_origins = vec!["https://a.example".into()];
    let state = AppState::new(f.state.service().clone(), config);
    let allowed = get(&state, "/health", &[(header::ORIGIN, "https://a.example")]).await;
    assert_eq!(
        allowed.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://a.example")
    );
    let other = get(&state, "/health", &[(header::ORIGIN, "https://b.example")]).await;
    assert_eq!(other.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    let preflight = send(
        &state,
        Request::options("/api/grids/x")
            .header(header::ORIGIN, "https://a.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PATCH")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "if-match,content-type",
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://a.example")
    );
}

/// A point inside a grid of each of two villages: `[(village, [lon, lat]); 2]`.
fn points_in_two_villages(state: &AppState) -> [(String, [f64; 2]); 2] {
    let data = state.service().data();
    let snap = data.snapshot();
    let mut found: Vec<(String, [f64; 2])> = Vec::new();
    for g in snap.grids.iter().filter(|g| !g.institution) {
        let village = g.village.to_string();
        if found.iter().all(|(v, _)| *v != village) {
            let c = geo::InteriorPoint::interior_point(&g.polygon).unwrap();
            found.push((village, [c.x(), c.y()]));
        }
    }
    assert!(found.len() >= 2, "the county has two villages with grids");
    [found[0].clone(), found[1].clone()]
}

#[tokio::test]
async fn a_villages_wall_lists_counts_and_hears_of_incidents_only_inside_its_village() {
    let f = fixture_of("http://test", 3000, 7).await;
    let [(home, [lon, lat]), (away, [far_lon, far_lat])] = points_in_two_villages(&f.state);
    let wall = account_token(&f.state, "wall-101", "wall", &home).await;
    let auth = format!("Bearer {wall}");
    let as_wall = [(header::AUTHORIZATION, auth.as_str())];
    let admin = format!("Bearer {}", token());
    let as_admin = [(header::AUTHORIZATION, admin.as_str())];
    post_incident(&f.state, "hazard.fire", lon, lat).await;
    post_incident(&f.state, "hazard.fire", far_lon, far_lat).await;

    // The list: exactly what the county's list holds for the village.
    let ids = |answer: Answer| -> (u64, Vec<String>) {
        let v = answer.ok_json();
        let items = v["items"].as_array().unwrap();
        let ids = items.iter().map(|i| i["id"].as_str().unwrap().to_owned());
        (v["total"].as_u64().unwrap(), ids.collect())
    };
    let mine = ids(get(&f.state, "/api/incidents?limit=1000", &as_wall).await);
    let village = format!("/api/incidents?limit=1000&village={home}");
    let want = ids(get(&f.state, &village, &as_admin).await);
    let everything = ids(get(&f.state, "/api/incidents?limit=1000", &as_admin).await);
    assert_eq!(mine, want);
    assert!(
        0 < mine.0 && mine.0 < everything.0,
        "{} of {}",
        mine.0,
        everything.0
    );
    // Asking for another village gives nothing, as a made-up one does.
    let elsewhere = format!("/api/incidents?village={away}");
    assert_eq!(ids(get(&f.state, &elsewhere, &as_wall).await).0, 0);

    // Counts per village: one row, its own.
    let stats = get(&f.state, "/api/incidents/stats?by=village", &as_wall)
        .await
        .ok_json();
    let keys: Vec<&str> = stats
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, [home.as_str()]);

    // The wall's figures default to its village and rank only its grids.
    let figures = get(&f.state, "/api/incidents/summary", &as_wall)
        .await
        .ok_json();
    assert_eq!(figures["area"]["code"], home.as_str());
    let county = get(
        &f.state,
        &format!("/api/incidents/summary?village={home}"),
        &as_admin,
    )
    .await
    .ok_json();
    assert_eq!(figures["open"], county["open"]);
    assert_eq!(figures["areas"], county["areas"]);
    let other = get(
        &f.state,
        &format!("/api/incidents/summary?village={away}"),
        &as_wall,
    )
    .await;
    let made_up = format!("{}999", &away[..9]);
    let made_up = get(
        &f.state,
        &format!("/api/incidents/summary?village={made_up}"),
        &as_wall,
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(
        other.body, made_up.body,
        "a refusal tells nothing about the place"
    );

    // Live events: the far incident is not sent, the one at home is.
    let response = app(f.state.clone())
        .oneshot(
            Request::get("/api/stream")
                .header(header::AUTHORIZATION, &auth)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let mut body = response.into_body();
    let mut text = String::new();
    let mut posted: Option<(String, String)> = None;
    let heard = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let frame = body.frame().await.expect("the stream stays open").unwrap();
            if let Some(data) = frame.data_ref() {
                text.push_str(&String::from_utf8_lossy(data));
            }
            if posted.is_none() && text.contains("event: ready") {
                // The far one first: events go out in order, so once the near one is
                // heard the far one would have been too.
                let far = post_incident(&f.state, "hazard.fire", far_lon, far_lat).await;
                let near = post_incident(&f.state, "hazard.fire", lon, lat).await;
                posted = Some((far, near));
            }
            if let Some((_, near)) = &posted {
                if text.contains(&format!("\"id\":\"{near}\"")) {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        heard.is_ok(),
        "no event for the incident at home; got:\n{text}"
    );
    let (far, _) = posted.unwrap();
    assert!(!text.contains(&format!("\"id\":\"{far}\"")), "{text}");
}

#[tokio::test]
async fn the_openapi_document_says_which_paths_need_a_sign_in_as_the_server_does() {
    let f = fixture("http://test").await;
    let doc = get(&f.state, "/api/openapi.json", &[]).await.ok_json();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "gridmap_session");
    let (grid, [lon, lat], _) = first_grid(&f.state);
    let village = grid.split('-').next().unwrap().to_owned();
    let known: std::collections::HashMap<&str, String> = [
        ("village", village),
        ("lon", lon.to_string()),
        ("lat", lat.to_string()),
        ("q", "1".to_owned()),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let guarded = responses.contains_key("401");
            if guarded {
                assert!(responses.contains_key("403"), "{method} {path}");
                assert!(op["security"].is_array(), "{method} {path}");
            }
            for (status, r) in responses {
                if status.starts_with('4') {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
            // What the document says about a sign-in is what an anonymous GET gets
            // (with the query parameters it requires).
            let required: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .filter_map(|p| p["name"].as_str())
                .collect();
            let query: Option<Vec<String>> = required
                .iter()
                .map(|name| known.get(name).map(|v| format!("{name}={v}")))
                .collect();
            let Some(query) = query else { continue };
            if method == "get" && !path.contains('{') && path != "/api/stream" {
                let uri = format!("{path}?{}", query.join("&"));
                let answer = get(&f.state, &uri, &[]).await;
                let refused = answer.status == StatusCode::UNAUTHORIZED;
                assert_eq!(refused, guarded, "GET {path}: {}", answer.status);
                if refused {
                    assert!(answer.json()["error"].is_string());
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "{checked} paths checked");
}

#[tokio::test]
async fn cameras_and_their_coverage_are_served_to_signed_in_callers_only() {
    let f = fixture("http://localhost:8080").await;
    let (code, at, _) = first_grid(&f.state);
    let village = code[..12].to_owned();
    let dome = gridmap_core::Camera {
        id: "D1".into(),
        name: "村口".into(),
        position: geo_types::Point::new(at[0], at[1]),
        direction: None,
        fov: 360.0,
        range: 60.0,
        status: gridmap_core::CameraStatus::Online,
    };
    let store = f.state.service().store().clone();
    let write = gridmap_store::CameraWrite {
        upsert: vec![dome],
        ..Default::default()
    };
    store
        .write_cameras(&write, &ChangeMeta::new("test", "import cameras"))
        .await
        .unwrap();

    let public = get(&f.state, "/api/cameras", &[]).await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
    let uri = format!("/api/cameras/coverage?village={village}");
    assert_eq!(
        get(&f.state, &uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );

    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let list = get(&f.state, "/api/cameras", &auth).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.header(header::CONTENT_TYPE),
        Some("application/geo+json")
    );
    let fc = list.json();
    let kinds: Vec<&str> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["camera", "sector"]);
    assert_eq!(fc["features"][1]["geometry"]["type"], "Polygon");

    let report = get(&f.state, &uri, &auth).await.json();
    let grids = report["grids"].as_array().unwrap();
    assert!(!grids.is_empty());
    assert!(
        grids.iter().all(|g| g["village"] == village.as_str()),
        "{report}"
    );
    // The dome stands on the first grid's label point: that grid is seen, and the
    // report counts as uncovered exactly the grids that nothing sees.
    let seen: Vec<&serde_json::Value> = grids
        .iter()
        .filter(|g| g["seen_m2"].as_f64().unwrap() > 0.0)
        .collect();
    assert!(!seen.is_empty(), "{report}");
    assert_eq!(
        report["uncovered"].as_u64().unwrap() as usize,
        grids.len() - seen.len(),
        "{report}"
    );
    let bad = get(&f.state, "/api/cameras/coverage?village=12x", &auth).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // One grid: the grid the dome stands in is seen.
    let one = get(
        &f.state,
        &format!("/api/cameras/coverage?grid={code}"),
        &auth,
    )
    .await
    .json();
    let rows = one["grids"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{one}");
    assert_eq!(rows[0]["grid"], code.as_str());
    assert!(rows[0]["seen_m2"].as_f64().unwrap() > 0.0, "{one}");
    let unknown = get(
        &f.state,
        "/api/cameras/coverage?grid=411622999999-001",
        &auth,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn household_situations_reach_staff_as_json_and_csv_and_nobody_else() {
    let f = fixture("http://localhost:8080").await;
    let (code, _, _) = first_grid(&f.state);
    let uri = format!("/api/situations?grid={code}");
    assert_eq!(
        get(&f.state, &uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let rows = get(&f.state, &uri, &auth).await.json();
    assert_eq!(rows[0]["grid"], code.as_str());
    let households = rows[0]["households"].as_u64().unwrap();
    assert!(households > 0, "{rows}");
    assert!(rows[0]["groups"]["low_income"].is_u64(), "{rows}");

    let csv = get(&f.state, &format!("{uri}&format=csv"), &auth).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .header(header::CONTENT_TYPE)
        .unwrap()
        .starts_with("text/csv"));
    let text = String::from_utf8(csv.body.clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{code},")),
        "{text}"
    );

    let village = &code[..12];
    let totals = get(
        &f.state,
        &format!("/api/situations?village={village}&by=village"),
        &auth,
    )
    .await
    .json();
    assert_eq!(totals.as_array().unwrap().len(), 1, "{totals}");
    assert_eq!(totals[0]["village"], village);
    let per_grid = get(
        &f.state,
        &format!("/api/situations?village={village}"),
        &auth,
    )
    .await
    .json();
    let summed: u64 = per_grid
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == 1)
        .map(|r| r["households"].as_u64().unwrap())
        .sum();
    assert_eq!(totals[0]["households"].as_u64().unwrap(), summed);
    let csv = get(
        &f.state,
        &format!("/api/situations?village={village}&by=village&format=csv"),
        &auth,
    )
    .await;
    let text = String::from_utf8(csv.body.clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{village},")),
        "{text}"
    );
    let bad = get(&f.state, &format!("{uri}&by=street"), &auth).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let b = get(&f.state, &format!("/api/grids/{code}"), &auth)
        .await
        .json()["bbox"]
        .clone();
    let bbox = format!("{},{},{},{}", b[0], b[1], b[2], b[3]);
    let view = format!("/api/situations/buildings?bbox={bbox}&group=low_income");
    let buildings = get(&f.state, &view, &auth).await.json();
    assert!(!buildings.as_array().unwrap().is_empty(), "{buildings}");
    assert!(buildings
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["count"].as_u64() <= b["households"].as_u64()));
    let bad = get(
        &f.state,
        &format!("/api/situations/buildings?bbox={bbox}&group=rich"),
        &auth,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bad.body).contains("low_income"));
    assert_eq!(
        get(&f.state, &view, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn staff_put_a_households_tags_once_and_a_stale_edit_is_refused() {
    let f = fixture("http://localhost:8080").await;
    let (code, _, _) = first_grid(&f.state);
    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let b = get(&f.state, &format!("/api/grids/{code}"), &auth)
        .await
        .json()["bbox"]
        .clone();
    let bbox = format!("{},{},{},{}", b[0], b[1], b[2], b[3]);
    // Filtered to the grid: exactly its households, as its statistics count them.
    let in_grid = get(
        &f.state,
        &format!("/api/situations/buildings?bbox={bbox}&group=low_income&grid={code}"),
        &auth,
    )
    .await
    .json();
    let counted: u64 = in_grid
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["households"].as_u64().unwrap())
        .sum();
    let stats = get(&f.state, &format!("/api/situations?grid={code}"), &auth)
        .await
        .json();
    assert_eq!(
        counted,
        stats[0]["households"].as_u64().unwrap(),
        "{in_grid}"
    );

    // One of the grid's households not yet counted low-income.
    let mut found = None;
    for b in in_grid.as_array().unwrap() {
        let building = b["building"].as_str().unwrap();
        let uri = format!("/api/buildings/{}", urlencode(building));
        let detail = get(&f.state, &uri, &auth).await.json();
        found = detail["household_list"]
            .as_array()
            .unwrap_or_else(|| panic!("{building}: {detail}"))
            .iter()
            .find(|h| {
                h["grid"].as_str() == Some(code.as_str())
                    && !h["tag_groups"].to_string().contains("low_income")
            })
            .cloned();
        if found.is_some() {
            break;
        }
    }
    let household = &found.expect("a household of the grid without the low-income tag");
    assert_eq!(household["personal"], true, "{household}");
    let id = household["id"].as_str().unwrap().to_owned();
    let seen: Vec<String> = serde_json::from_value(household["tags"].clone()).unwrap_or_default();
    let mut tags = seen.clone();
    tags.push("低保".into());
    let body = serde_json::json!({ "expected": seen, "tags": tags }).to_string();
    let uri = format!("/api/households/{}/tags", urlencode(&id));
    let public = send_body(
        &f.state,
        "PUT",
        &uri,
        "application/json",
        body.clone(),
        None,
    )
    .await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
    let put = send_body(
        &f.state,
        "PUT",
        &uri,
        "application/json",
        body.clone(),
        Some(token()),
    )
    .await;
    assert_eq!(
        put.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&put.body)
    );
    let answer = put.json();
    assert!(answer["change"].as_i64().unwrap() > 0, "{answer}");
    assert!(
        answer["household"]["tag_groups"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("low_income")),
        "{answer}"
    );
    // Sent again, it names tags no longer stored.
    let stale = send_body(
        &f.state,
        "PUT",
        &uri,
        "application/json",
        body,
        Some(token()),
    )
    .await;
    assert_eq!(
        stale.status,
        StatusCode::CONFLICT,
        "{}",
        String::from_utf8_lossy(&stale.body)
    );

    let changes = get(&f.state, "/api/changes?limit=1", &auth).await.json();
    let operation = changes["changes"][0]["operation"].as_str().unwrap();
    assert_eq!(operation, format!("edit household tags {id}"));
    let after = get(&f.state, &format!("/api/situations?grid={code}"), &auth)
        .await
        .json();
    assert_eq!(
        after[0]["groups"]["low_income"].as_u64().unwrap(),
        stats[0]["groups"]["low_income"].as_u64().unwrap() + 1,
        "the grid's statistics follow"
    );
    let missing = send_body(
        &f.state,
        "PUT",
        "/api/households/no-such-one/tags",
        "application/json",
        r#"{"expected": [], "tags": []}"#.into(),
        Some(token()),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// The text of a PDF and its page count, read back with poppler's tools (poppler-utils,
/// which `scripts/setup.sh --pdf` installs).
fn pdf_text_and_pages(pdf: &[u8]) -> (String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("printout.pdf");
    std::fs::write(&path, pdf).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let out = std::process::Command::new(cmd)
            .args(args)
            .arg(&path)
            .args(if cmd == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap_or_else(|e| {
                panic!("{cmd}: {e} (scripts/setup.sh --pdf installs poppler-utils)")
            });
        assert!(out.status.success(), "{cmd} failed");
        String::from_utf8(out.stdout).unwrap()
    };
    let pages = run("pdfinfo", &[])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    (run("pdftotext", &["-raw"]), pages)
}

#[tokio::test]
async fn a_grid_prints_its_map_board_and_a_contact_card_per_household() {
    let f = fixture("http://localhost:8080").await;
    let (code, _, _) = first_grid(&f.state);
    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let detail = get(&f.state, &format!("/api/grids/{code}"), &auth)
        .await
        .json();
    let households = detail["households"].as_u64().unwrap() as usize;
    let staff = detail["staff"]["name"].as_str().unwrap().to_owned();

    let cards = get(
        &f.state,
        &format!("/api/print/grid/{code}?what=cards&supervision=%E5%9F%8E%E5%85%B3%E9%95%87%3D0394-7654321"),
        &auth,
    )
    .await;
    assert_eq!(
        cards.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&cards.body)
    );
    assert_eq!(
        cards.header(header::CONTENT_TYPE).unwrap(),
        "application/pdf"
    );
    assert!(cards
        .header(header::CONTENT_DISPOSITION)
        .unwrap()
        .contains(&format!("{code}-cards.pdf")));
    let (text, pages) = pdf_text_and_pages(&cards.body);
    assert_eq!(
        text.matches("便民服务联系卡").count(),
        households,
        "a card per household"
    );
    assert_eq!(pages, households.div_ceil(8), "8 cards to a page");
    assert_eq!(
        text.matches(&staff).count(),
        households,
        "each names the staff member"
    );
    assert!(text.contains("城关镇监督电话：0394-7654321"), "{text}");

    let board = get(
        &f.state,
        &format!("/api/print/grid/{code}?what=boards"),
        &auth,
    )
    .await;
    let (text, pages) = pdf_text_and_pages(&board.body);
    assert_eq!(pages, 1, "one board for one grid");
    assert!(
        text.contains("网格员公示牌") && text.contains(&staff),
        "{text}"
    );

    let village = &code[..12];
    let map = get(&f.state, &format!("/api/print/village/{village}"), &auth).await;
    assert_eq!(map.status, StatusCode::OK);
    let (text, pages) = pdf_text_and_pages(&map.body);
    assert_eq!(pages, 1);
    assert!(
        text.contains("网格化管理示意图") && text.contains(&staff),
        "{text}"
    );

    // Staff phones are printed: not for the public; a bad option is named.
    let public = get(&f.state, &format!("/api/print/village/{village}"), &[]).await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
    let bad = get(
        &f.state,
        &format!("/api/print/village/{village}?what=poster"),
        &auth,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bad.body).contains("map, boards or cards"));
}

#[tokio::test]
async fn a_staff_photo_put_through_the_api_is_printed_on_the_grids_notice_board() {
    let f = fixture("http://localhost:8080").await;
    let (code, _, _) = first_grid(&f.state);
    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let detail = get(&f.state, &format!("/api/grids/{code}"), &auth)
        .await
        .json();
    let staff = detail["staff"]["id"].as_str().unwrap().to_owned();
    let png = include_bytes!("fixtures/red-8x6.png").to_vec();
    let uri = format!("/api/staff/{}/photo", urlencode(&staff));
    let put = |token: Option<&'static str>| {
        let mut req = Request::builder()
            .method("PUT")
            .uri(&uri)
            .header(header::CONTENT_TYPE, "image/png");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        send(&f.state, req.body(Body::from(png.clone())).unwrap())
    };
    assert_eq!(put(None).await.status, StatusCode::UNAUTHORIZED);
    let first = put(Some(token())).await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let read = get(&f.state, &uri, &auth).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header(header::CONTENT_TYPE).unwrap(), "image/png");
    assert_eq!(read.body, png);
    assert_eq!(
        get(&f.state, &uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );

    let board = get(
        &f.state,
        &format!("/api/print/grid/{code}?what=boards"),
        &auth,
    )
    .await;
    assert_eq!(board.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.pdf");
    std::fs::write(&path, &board.body).unwrap();
    let list = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .expect("pdfimages (scripts/setup.sh --pdf installs poppler-utils)");
    let list = String::from_utf8(list.stdout).unwrap();
    let images: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(images.len(), 1, "the staff member's photo: {list}");
    assert_eq!(&images[0][3..5], ["8", "6"], "{list}");
}

#[tokio::test]
async fn a_queued_report_sent_twice_is_created_once() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let report = serde_json::json!({
        "category": "hazard.fire", "lon": lon, "lat": lat, "time": 1_764_806_400,
        "client_id": "2d8b4e3a-7c6f-4e5d-a0b1-9c8d7e6f5a41"
    })
    .to_string();
    let post = || {
        send_body(
            &f.state,
            "POST",
            "/api/incidents",
            "application/json",
            report.clone(),
            Some(token()),
        )
    };
    let first = post().await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let again = post().await;
    assert_eq!(again.status, StatusCode::OK, "sent again: the stored one");
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["repeated"], true);
}

#[tokio::test]
async fn a_photo_is_stored_once_without_its_location_and_read_back_by_staff() {
    let f = fixture("http://test").await;
    // A minimal JPEG: SOI, APP1 Exif holding a "GPS" note, SOS with 2 bytes, EOI.
    let jpeg: Vec<u8> = [
        &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x0B][..],
        b"Exif\0\0GPS",
        &[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9],
    ]
    .concat();
    let id = "5e1d2c3b-4a59-4687-a7b6-c5d4e3f2a1b0";
    let uri = format!("/api/photos/{id}");
    let put = |body: Vec<u8>, token: Option<&'static str>| {
        let mut req = Request::builder()
            .method("PUT")
            .uri(&uri)
            .header(header::CONTENT_TYPE, "image/jpeg");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        send(&f.state, req.body(Body::from(body)).unwrap())
    };
    assert_eq!(
        put(jpeg.clone(), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let first = put(jpeg.clone(), Some(token())).await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.json()["url"], format!("api/photos/{id}"));
    let again = put(jpeg.clone(), Some(token())).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["new"], false);
    let other = put(
        [&jpeg[..jpeg.len() - 2], &[0x00, 0xFF, 0xD9][..]].concat(),
        Some(token()),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::BAD_REQUEST,
        "another photo under the id"
    );
    let not_image = put(b"hello".to_vec(), Some(token())).await;
    assert_eq!(not_image.status, StatusCode::BAD_REQUEST);

    let bearer = format!("Bearer {}", token());
    let read = get(&f.state, &uri, &[(header::AUTHORIZATION, bearer.as_str())]).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header(header::CONTENT_TYPE).unwrap(), "image/jpeg");
    assert_eq!(
        read.body,
        [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9],
        "the EXIF is gone"
    );
    assert_eq!(
        get(&f.state, &uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_report_keeps_its_photos_in_order_for_office_eyes_only() {
    let f = fixture("http://test").await;
    let (_, [lon, lat], _) = first_grid(&f.state);
    let jpeg = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9];
    let ids = [
        "7f0e1d2c-3b4a-4596-8877-66554433221a",
        "7f0e1d2c-3b4a-4596-8877-66554433221b",
    ];
    for id in ids {
        let req = Request::builder()
            .method("PUT")
            .uri(format!("/api/photos/{id}"))
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::AUTHORIZATION, format!("Bearer {}", token()))
            .body(Body::from(jpeg.to_vec()))
            .unwrap();
        assert_eq!(send(&f.state, req).await.status, StatusCode::CREATED);
    }
    let report = |photos: serde_json::Value| {
        let body = serde_json::json!({
            "category": "hazard.fire", "lon": lon, "lat": lat, "photos": photos
        });
        send_body(
            &f.state,
            "POST",
            "/api/incidents",
            "application/json",
            body.to_string(),
            Some(token()),
        )
    };
    let relayed = "https://12345.example.cn/media/1.jpg";
    // The bare id and the path name the same kind of photo; the relayed URL is kept as is.
    let created = report(serde_json::json!([
        ids[1],
        format!("api/photos/{}", ids[0]),
        relayed
    ]))
    .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {}", token());
    let detail = get(
        &f.state,
        &format!("/api/incidents/{id}"),
        &[(header::AUTHORIZATION, bearer.as_str())],
    )
    .await
    .json();
    assert_eq!(
        detail["timeline"][0]["photos"],
        serde_json::json!([
            format!("api/photos/{}", ids[1]),
            format!("api/photos/{}", ids[0]),
            relayed
        ])
    );
    let public = get(&f.state, &format!("/api/incidents/{id}"), &[])
        .await
        .json();
    assert!(
        public["timeline"][0].get("photos").is_none(),
        "the public sees no photos: {public}"
    );
    // Open311 names only a photo the public can open: the relayed one.
    let open311 = get(&f.state, &format!("/open311/v2/requests/{id}.json"), &[]).await;
    assert_eq!(open311.json()[0]["media_url"], relayed);

    let ten = serde_json::json!(vec![ids[0]; 10]);
    let refused = report(ten).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&refused.body).contains("at most 9"));
    let unsent = report(serde_json::json!(["7f0e1d2c-3b4a-4596-8877-000000000000"])).await;
    assert_eq!(unsent.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&unsent.body).contains("was not sent"));
}

#[tokio::test]
async fn staff_list_their_grids_households_and_record_a_visit_once() {
    let f = fixture("http://test").await;
    let (code, _, _) = first_grid(&f.state);
    let bearer = format!("Bearer {}", token());
    let auth = [(header::AUTHORIZATION, bearer.as_str())];
    let list = get(&f.state, &format!("/api/grids/{code}/households"), &auth).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    let stats = get(&f.state, &format!("/api/situations?grid={code}"), &auth)
        .await
        .json();
    assert_eq!(
        list.as_array().unwrap().len() as u64,
        stats[0]["households"].as_u64().unwrap(),
        "every household of the grid"
    );
    assert_eq!(
        get(&f.state, &format!("/api/grids/{code}/households"), &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let household = list[0]["household"]["id"].as_str().unwrap().to_owned();
    let visit = serde_json::json!({
        "client_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "household": household,
        "time": 1_764_806_400, "note": "独居老人身体良好", "follow_up": true
    })
    .to_string();
    let post = || {
        send_body(
            &f.state,
            "POST",
            "/api/visits",
            "application/json",
            visit.clone(),
            Some(token()),
        )
    };
    let first = post().await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(
        post().await.status,
        StatusCode::OK,
        "sent again: stored once"
    );
    let uri = format!("/api/households/{}/visits", urlencode(&household));
    let visits = get(&f.state, &uri, &auth).await.json();
    assert_eq!(visits.as_array().unwrap().len(), 1, "{visits}");
    assert_eq!(visits[0]["note"], "独居老人身体良好");
    assert_eq!(visits[0]["follow_up"], true);
    let with_unsent_photo = serde_json::json!({
        "client_id": "0a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e", "household": household,
        "time": 1_764_806_400, "photos": ["1234567890abcdef-not-sent"]
    })
    .to_string();
    let refused = send_body(
        &f.state,
        "POST",
        "/api/visits",
        "application/json",
        with_unsent_photo,
        Some(token()),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&refused.body).contains("was not sent"));
}

#[tokio::test]
async fn a_patrol_check_in_is_stored_once_in_the_grid_at_its_place() {
    let f = fixture("http://test").await;
    let (code, [lon, lat], _) = first_grid(&f.state);
    let body = serde_json::json!({
        "client_id": "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4", "time": 1_764_806_400, "lon": lon, "lat": lat
    })
    .to_string();
    let post = || {
        send_body(
            &f.state,
            "POST",
            "/api/check-ins",
            "application/json",
            body.clone(),
            Some(token()),
        )
    };
    let first = post().await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.json()["grid"], code.as_str(), "placed in its grid");
    assert_eq!(
        post().await.status,
        StatusCode::OK,
        "sent again: stored once"
    );
    let bearer = format!("Bearer {}", token());
    let uri = format!("/api/grids/{code}/check-ins?since=1764806000");
    let listed = get(&f.state, &uri, &[(header::AUTHORIZATION, bearer.as_str())])
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let later = format!("/api/grids/{code}/check-ins?since=1764806401");
    let none = get(
        &f.state,
        &later,
        &[(header::AUTHORIZATION, bearer.as_str())],
    )
    .await
    .json();
    assert!(none.as_array().unwrap().is_empty(), "{none}");
    let public = send_body(
        &f.state,
        "POST",
        "/api/check-ins",
        "application/json",
        body,
        None,
    )
    .await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
}
