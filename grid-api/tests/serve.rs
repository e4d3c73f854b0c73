//! `gridmap serve` as a process on the network: how it stops and how it treats slow or
//! half-open connections.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::HANG_GUARD;

/// A served county: the server and the directory holding its store.
struct Server {
    server: support::Server,
    addr: String,
    _dir: tempfile::TempDir,
}

/// A small synthetic county in a new store.
fn county(dir: &Path) -> PathBuf {
    let db = dir.join("serve.db");
    let out = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["--quiet", "--db"])
        .arg(&db)
        .args(["synth", "--households", "200", "--seed", "3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// `gridmap serve` on a free port of a new county, with `extra` flags.
fn serve(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = county(dir.path());
    let server = support::serve(db.to_str().unwrap(), extra);
    Server {
        addr: server.addr.clone(),
        server,
        _dir: dir,
    }
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
    stream
}

/// Reads until the server closes the connection; fails if it is still open after the
/// hang guard.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("the server left the connection open ({e})"),
        }
    }
}

/// `GET path` on a new connection: the status.
fn status_of(addr: &str, path: &str) -> u16 {
    let mut stream = connect(addr);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let response = read_until_closed(&mut stream);
    let text = String::from_utf8_lossy(&response);
    text.get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {path}: {text:?}"))
}

/// Sends `signal` (`TERM`, `INT`) to the server process.
fn signal(server: &Server, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &server.server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn sigterm_ends_the_event_stream_cleanly_and_exits_zero_like_ctrl_c() {
    for sig in ["TERM", "INT"] {
        let mut server = serve(&[]);
        // A request in flight: the live event stream, once it has said `ready`.
        let mut stream = connect(&server.addr);
        write!(
            stream,
            "GET /api/stream HTTP/1.1\r\nHost: {}\r\n\r\n",
            server.addr
        )
        .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&seen).contains("event: ready") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "the stream ended before `ready`");
            seen.extend_from_slice(&buf[..n]);
        }
        signal(&server, sig);
        seen.extend(read_until_closed(&mut stream));
        let text = String::from_utf8_lossy(&seen);
        assert!(
            text.ends_with("0\r\n\r\n"),
            "SIG{sig}: the stream was cut instead of ended: {text:?}"
        );
        let status = server.server.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "SIG{sig}: {status}");
    }
}

#[test]
fn half_open_connections_are_closed_and_health_still_answers() {
    let server = serve(&[
        "--header-read-timeout",
        "1",
        "--idle-timeout",
        "1",
        "--max-connections",
        "4",
    ]);
    // Clients that start a request and never finish it: headers cut off, a body cut
    // off, nothing at all. More of them than the server takes at once.
    let mut stalled: Vec<TcpStream> = (0..12)
        .map(|i| {
            let mut s = connect(&server.addr);
            match i % 3 {
                0 => write!(s, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap(),
                1 => write!(
                    s,
                    "POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n\
                     Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"serv"
                )
                .unwrap(),
                _ => {}
            }
            s
        })
        .collect();
    // A well-behaved client still gets its answer…
    assert_eq!(status_of(&server.addr, "/health"), 200);
    // …and every stalled connection is closed by the server.
    for s in &mut stalled {
        read_until_closed(s);
    }
    assert_eq!(status_of(&server.addr, "/health"), 200);
}

/// Runs `gridmap --quiet --db <db> <args>`; its standard output, failing on an error.
fn gridmap_ok(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["--quiet", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gridmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `method path` with a bearer token and a JSON body on a new connection: the status and
/// the whole answer as text; `None` when the server closed the connection unanswered.
fn call(addr: &str, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = connect(addr);
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let text = String::from_utf8_lossy(&read_until_closed(&mut stream)).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    Some((status, text))
}

/// The grid's `locked` and `version` as the server shows them.
fn grid_state(addr: &str, token: &str, grid: &str) -> (bool, u64) {
    let (status, text) =
        call(addr, "GET", &format!("/api/grids/{grid}"), token, "").expect("an answer");
    assert_eq!(status, 200, "{text}");
    let json: serde_json::Value =
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    (
        json["locked"].as_bool().unwrap(),
        json["version"].as_u64().unwrap(),
    )
}

#[test]
fn a_server_killed_in_the_middle_of_an_edit_keeps_the_store_whole_and_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = county(dir.path());
    gridmap_ok(&db, &["partition", "--all"]);
    gridmap_ok(
        &db,
        &["user", "add", "ed", "--role", "planner", "--scope", "all"],
    );
    let token = gridmap_ok(&db, &["user", "token", "ed", "--label", "test"]);
    let token = token
        .lines()
        .find(|l| l.starts_with("gm_"))
        .expect("a token")
        .to_owned();
    let roster = dir.path().join("roster.csv");
    gridmap_ok(&db, &["export", "roster", "-o", roster.to_str().unwrap()]);
    let roster = std::fs::read_to_string(&roster).unwrap();
    let grid = roster
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("a grid in the roster")
        .to_owned();
    let db_text = db.to_str().unwrap();
    let stats_before = gridmap_ok(&db, &["stats", "--json"]);

    let lock = |addr: &str, version: u64| {
        let body = format!("{{\"locked\": true, \"version\": {version}}}");
        call(addr, "PATCH", &format!("/api/grids/{grid}"), &token, &body)
    };
    // Each failpoint aborts the server as `kill -9` would: no answer, no clean-up.
    for (failpoint, committed) in [("grids:written", false), ("grids:committed", true)] {
        let before = {
            let server = support::serve(db_text, &[]);
            grid_state(&server.addr, &token, &grid)
        };
        assert!(!before.0, "{failpoint}: the grid starts unlocked");
        let mut killed = support::serve_with_env(db_text, &[], &[("GRIDMAP_FAILPOINT", failpoint)]);
        let answer = lock(&killed.addr, before.1);
        assert!(
            answer.is_none(),
            "{failpoint}: the edit was answered: {answer:?}"
        );
        let status = killed.child.wait().unwrap();
        assert!(
            !status.success(),
            "{failpoint}: the server aborted ({status})"
        );

        let server = support::serve(db_text, &[]);
        let after = grid_state(&server.addr, &token, &grid);
        if committed {
            assert_eq!(
                after,
                (true, before.1 + 1),
                "{failpoint}: the commit was lost"
            );
            // Unlock again for the next round, through the restarted server.
            let body = format!("{{\"locked\": false, \"version\": {}}}", after.1);
            let (status, text) = call(
                &server.addr,
                "PATCH",
                &format!("/api/grids/{grid}"),
                &token,
                &body,
            )
            .unwrap();
            assert_eq!(status, 200, "{text}");
        } else {
            assert_eq!(after, before, "{failpoint}: half an edit was kept");
        }
    }
    // Whole: the grids still pass their checks and the counts are as they were.
    gridmap_ok(&db, &["grids", "validate"]);
    assert_eq!(gridmap_ok(&db, &["stats", "--json"]), stats_before);
}
