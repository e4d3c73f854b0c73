//! `gridmap serve` as a process, for the tests that need a real server on a port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a test waits for a server before it fails instead of hanging.
pub const HANG_GUARD: Duration = Duration::from_secs(120);

/// A `gridmap serve` process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `gridmap --db <db> serve` on a free loopback port with `extra` flags, once it says
/// where it listens.
pub fn serve(db: &str, extra: &[&str]) -> Server {
    serve_with_env(db, extra, &[])
}

/// [`serve`] with the environment variables `env` set (a failpoint, say).
pub fn serve_with_env(db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["--db", db, "serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve says where it listens").unwrap();
        if let Some(addr) = line.strip_prefix("listening on http://") {
            break addr.to_owned();
        }
    };
    // Keep reading, so a full pipe never blocks the server.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, addr }
}
