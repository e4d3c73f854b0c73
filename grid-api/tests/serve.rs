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
