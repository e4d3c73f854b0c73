//! The HTTP/1.1 server loop: what `axum::serve` does, plus the limits a server facing
//! the network needs. A client gets [`ServerLimits::header_read_timeout`] to send a
//! request's headers (on a new connection and between requests on a kept-alive one), a
//! connection on which nothing moves for [`ServerLimits::idle_timeout`] while no request is
//! being answered is closed, and at most [`ServerLimits::max_connections`] are open at
//! once (more wait in the listen backlog), so half-open connections cannot use up the
//! process's file descriptors. Shutdown is graceful: stop accepting, let requests in
//! flight finish, close kept-alive connections — for at most
//! [`ServerLimits::drain_timeout`], so a client that stops reading a long answer cannot
//! keep the server from stopping.

use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// Limits on each connection and on how many are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time a client has to send a request's headers, from when the server starts
    /// waiting for them.
    pub header_read_timeout: Duration,
    /// A connection on which nothing is read or written for this long, while no request
    /// on it is being answered, is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait until one closes.
    pub max_connections: usize,
    /// After a stop is asked for, time the requests in flight get to finish; the
    /// connections still open then are closed unfinished.
    pub drain_timeout: Duration,
}

impl ServerLimits {
    /// `gridmap serve`'s defaults.
    pub const DEFAULT: ServerLimits = ServerLimits {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_connections: 512,
        drain_timeout: Duration::from_secs(30),
    };
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits::DEFAULT
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets
/// the requests in flight finish and returns once every connection is closed, or after
/// [`ServerLimits::drain_timeout`] with the number of connections still open (which end
/// with the runtime).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (stream, client) = stream;
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            connection(stream, client, app, limits, stopped).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(limits.drain_timeout, slots.acquire_many(all)).await;
    match drained {
        Ok(_) => 0,
        Err(_) => {
            let open = limits.max_connections.max(1) - slots.available_permits();
            tracing::warn!(
                open,
                seconds = limits.drain_timeout.as_secs_f64(),
                "stopping with connections still answering after the drain time (--drain-seconds)"
            );
            open
        }
    }
}

/// One connection, until the client closes it, it idles out or the server shuts down.
async fn connection(
    stream: TcpStream,
    client: std::net::SocketAddr,
    app: Router,
    limits: ServerLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let busy = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let app = app.clone();
        let busy = busy.clone();
        async move {
            let _answering = busy.answering();
            let mut request = request;
            // The client's address, for the audit log (see `http::caller`).
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(client));
            let request = request.map(|body| {
                axum::body::Body::new(ClientBody {
                    inner: body,
                    activity: busy.clone(),
                    waiting: false,
                })
            });
            app.oneshot(request).await
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            () = activity.idle_for(limits.idle_timeout) => return,
            changed = stopped.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last moved, how many of its requests are being answered and how
/// many of those wait for the client to send more of their body.
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
    answering: AtomicUsize,
    waiting_for_client: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
            waiting_for_client: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn answering(self: &Arc<Self>) -> Answering {
        self.answering.fetch_add(1, Ordering::Relaxed);
        Answering(self.clone())
    }

    /// Whether the server, not the client, is what the connection waits for: a handler
    /// at work (not one waiting for the request body).
    fn server_at_work(&self) -> bool {
        self.answering.load(Ordering::Relaxed) > 0
            && self.waiting_for_client.load(Ordering::Relaxed) == 0
    }

    /// Completes once nothing has moved for `limit` while the server was not at work.
    async fn idle_for(&self, limit: Duration) {
        loop {
            if self.server_at_work() {
                self.touch();
            }
            let last = self.start + Duration::from_millis(self.last.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A request being answered; the connection is not idle meanwhile.
struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.touch();
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request body that notes in its [`Activity`] while it waits for the client.
struct ClientBody {
    inner: hyper::body::Incoming,
    activity: Arc<Activity>,
    waiting: bool,
}

impl ClientBody {
    fn set_waiting(&mut self, waiting: bool) {
        if waiting != self.waiting {
            self.waiting = waiting;
            if waiting {
                self.activity
                    .waiting_for_client
                    .fetch_add(1, Ordering::Relaxed);
            } else {
                self.activity
                    .waiting_for_client
                    .fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for ClientBody {
    fn drop(&mut self) {
        self.set_waiting(false);
    }
}

impl hyper::body::Body for ClientBody {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.set_waiting(polled.is_pending());
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that notes each read and write in its [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_request_that_never_finishes_keeps_the_server_only_for_the_drain_time() {
        let started = Arc::new(tokio::sync::Notify::new());
        let notify = started.clone();
        let app = Router::new().route(
            "/forever",
            get(move || {
                let notify = notify.clone();
                async move {
                    notify.notify_one();
                    std::future::pending::<()>().await;
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = ServerLimits {
            drain_timeout: Duration::from_millis(200),
            ..ServerLimits::DEFAULT
        };
        let server = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        started.notified().await;
        stop.send(()).unwrap();
        // Without the drain time this never returns; the guard only keeps a broken
        // build from hanging the test run.
        let open = tokio::time::timeout(Duration::from_secs(120), server)
            .await
            .expect("the server stopped after its drain time")
            .unwrap();
        assert_eq!(open, 1, "the unfinished connection is counted");
    }
}
