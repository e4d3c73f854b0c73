//! What the server writes to its log about odd requests: the request's path, with request
//! data escaped so that nobody can forge a log line.
//!
//! This is a test binary of its own, with one test, on purpose. `tracing` caches per call
//! site whether anyone listens, for the whole process; when other tests on other threads
//! first reach the request span while this test installs its thread's subscriber, the cache
//! can keep "nobody listens" and the span goes missing from this test's log (a red CI run
//! on stop 42). Alone in its process, the test sees every call site it reaches.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gridmap::http::{app, AppState, HttpConfig};
use gridmap_service::{AccessPolicy, Service};
use gridmap_store::OpenMode;
use tower::ServiceExt;

/// A log sink: what the server logs while the subscriber's guard lives.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Logs everything (debug and up) on this thread into the buffer, as `serve` formats it.
fn capture_log() -> (LogBuffer, tracing::subscriber::DefaultGuard) {
    let buffer = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    (buffer.clone(), tracing::subscriber::set_default(subscriber))
}

/// The status of `uri` asked of a server on an empty embedded store.
async fn status_of(state: &AppState, uri: &str) -> StatusCode {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    app(state.clone()).oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn refusals_are_logged_with_their_path_and_request_data_cannot_forge_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store = gridmap_store::open(db.to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    let service = Service::start(store, AccessPolicy::default(), 16 << 20)
        .await
        .unwrap();
    let state = AppState::new(
        service,
        HttpConfig {
            public_url: "http://test".into(),
            web_dir: None,
            basemap_style: None,
            attribution: "gridmap".into(),
            local_demo: false,
            cors_origins: Vec::new(),
        },
    );

    let (log, _guard) = capture_log();
    // A newline, a forged line and a NUL, in a file path and in a grid code.
    let odd_file = status_of(&state, "/static/x%0a%3Ctext%3E%00").await;
    assert_eq!(odd_file, StatusCode::NOT_FOUND);
    let odd_grid = status_of(&state, "/api/grids/x%0a%3Ctext%3E%00").await;
    assert!(odd_grid.is_client_error(), "{odd_grid}");

    let text = log.text();
    assert!(
        text.contains("/static/x%0a"),
        "the refusal is logged with its path: {text}"
    );
    assert!(
        text.contains("/api/grids/x%0a"),
        "the grid code's refusal is logged with its path: {text}"
    );
    assert!(text.lines().count() >= 2, "{text}");
    for line in text.lines() {
        assert!(
            !line.chars().any(char::is_control),
            "a raw control character in the log: {line:?}"
        );
        assert!(!line.starts_with("<text>"), "a forged log line: {line:?}");
    }
}
