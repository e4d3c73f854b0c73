//! Two `gridmap serve` processes on one PostGIS database, as a city runs them behind a
//! load balancer: a planner's edit through one reaches the other's tiles (one draws
//! buildings from memory, the other has PostGIS draw them).

use geozero::mvt::{Message, Tile};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::OpenMode;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Server, HANG_GUARD};

mod support;

/// The bearer token of the test's admin, made by `gridmap user token` on the shared store.
static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn gridmap(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["--quiet", "--db", url])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Gives the store an admin of everything and keeps its bearer token for the requests.
fn make_admin(url: &str) {
    gridmap(
        url,
        &["user", "add", "tester", "--role", "admin", "--scope", "all"],
    );
    let out = gridmap(url, &["user", "token", "tester"]);
    let token = out.lines().find(|l| l.starts_with("gm_")).expect("a token");
    TOKEN.set(token.to_owned()).expect("one store per test run");
}

/// `gridmap serve` on `url` with the staff token and `extra` flags.
fn serve(url: &str, extra: &[&str]) -> Server {
    support::serve(url, extra)
}

/// One HTTP/1.1 request on a new connection; the status and the body.
fn request(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        TOKEN.get().expect("make_admin first"),
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let mut rest = response[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        rest = unchunk(&rest);
    }
    (status, rest)
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 4 + size..];
    }
    out
}

/// The `grids` attribute of building `id` in the buildings tile `path` of `server`.
fn grids_shown(server: &Server, path: &str, id: &str) -> Option<String> {
    let (status, body) = request(&server.addr, "GET", path, None);
    assert_eq!(status, 200, "{path}");
    let tile = Tile::decode(body.as_slice()).unwrap();
    let layer = tile.layers.iter().find(|l| l.name == "buildings")?;
    let value = |i: u32| layer.values[i as usize].string_value.clone();
    layer.features.iter().find_map(|f| {
        let attrs: Vec<(&str, Option<String>)> = f
            .tags
            .chunks(2)
            .map(|kv| (layer.keys[kv[0] as usize].as_str(), value(kv[1])))
            .collect();
        let is_it = attrs
            .iter()
            .any(|(k, v)| *k == "id" && v.as_deref() == Some(id));
        is_it.then(|| {
            attrs
                .into_iter()
                .find(|(k, _)| *k == "grids")
                .and_then(|(_, v)| v)
        })?
    })
}

#[test]
fn an_edit_through_one_server_process_reaches_the_tiles_of_another() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scratch = runtime.block_on(ScratchDatabase::create()).unwrap();
    gridmap(
        &scratch.url,
        &["synth", "--households", "800", "--seed", "3"],
    );
    gridmap(&scratch.url, &["partition", "--all"]);
    make_admin(&scratch.url);
    let (grid, to, building, footprint) = runtime.block_on(async {
        let store = gridmap_store::open(&scratch.url, OpenMode::Existing)
            .await
            .unwrap();
        let grids = store.grids().await.unwrap();
        let grid = grids
            .iter()
            .find(|g| !g.institution && g.whole_buildings().count() > 2)
            .unwrap()
            .clone();
        let to = grids
            .iter()
            .find(|g| g.village == grid.village && g.code != grid.code && !g.institution)
            .unwrap()
            .code
            .to_string();
        let building = grid.whole_buildings().next().unwrap().to_owned();
        let buildings = store.buildings().await.unwrap();
        let footprint = buildings
            .into_iter()
            .find(|b| b.source_id == building)
            .unwrap()
            .footprint;
        store.close().await.unwrap();
        (grid, to, building, footprint)
    });
    let point = gridmap_core::geometry::representative_point(&footprint).unwrap();
    let (x, y) = gridmap_tiles::coord::lonlat_to_world(point.x(), point.y());
    let path = format!(
        "/tiles/buildings/16/{}/{}.mvt",
        (x * 65536.0) as u32,
        (y * 65536.0) as u32
    );

    let memory = serve(&scratch.url, &[]);
    let postgis = serve(&scratch.url, &["--store-tiles", "buildings"]);
    let before = grid.code.to_string();
    assert_eq!(grids_shown(&memory, &path, &building), Some(before.clone()));
    assert_eq!(grids_shown(&postgis, &path, &building), Some(before));

    // The edit through one server; each shows it, whichever it was sent to.
    for (editor, other, target) in [
        (&memory, &postgis, &to),
        (&postgis, &memory, &grid.code.to_string()),
    ] {
        let edit =
            format!(r#"{{"op":"move_buildings","buildings":["{building}"],"to":"{target}"}}"#);
        let village = grid.village.as_str();
        let (status, body) = request(
            &editor.addr,
            "POST",
            &format!("/api/villages/{village}/edits"),
            Some(&edit),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(grids_shown(editor, &path, &building).as_ref(), Some(target));
        let started = Instant::now();
        while grids_shown(other, &path, &building).as_ref() != Some(target) {
            assert!(
                started.elapsed() < HANG_GUARD,
                "the other server never showed the edit"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
