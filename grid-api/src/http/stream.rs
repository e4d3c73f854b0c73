//! `GET /api/stream`: server-sent events of new incidents and transitions, for the
//! web map and the wall. Event names: `ready` (on connect: reload your figures),
//! `reported`, `transition`, `imported` and `resync` (this client fell behind and
//! missed events: reload). Browsers' EventSource reconnects by itself; `retry` tells
//! it to wait 2 s. The stream ends when the server stops. No personal data is sent.

use super::{AppState, RequestCaller};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use gridmap_service::incidents::{now, IncidentEvent};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

/// How long a browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(2);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/stream", get(stream))
}

/// The SSE event for one incident event.
fn event_of(e: &IncidentEvent) -> Event {
    let name = match e {
        IncidentEvent::Reported { .. } => "reported",
        IncidentEvent::Transition { .. } => "transition",
        IncidentEvent::Imported { .. } => "imported",
    };
    Event::default()
        .event(name)
        .json_data(e)
        .unwrap_or_else(|_| Event::default().event("resync").data("{}"))
}

/// Live incidents and transitions as server-sent events.
#[utoipa::path(get, path = "/api/stream",
    responses((status = 200, content_type = "text/event-stream", body = IncidentEvent,
        description = "events `ready`, `reported`, `transition`, `imported`, `resync`; data is JSON")))]
pub(super) async fn stream(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before `ready` is sent, so nothing falls between the client's reload
    // and its first event.
    let events = BroadcastStream::new(state.service().incident_events());
    let ready = Event::default()
        .event("ready")
        .retry(RETRY)
        .data(format!("{{\"as_of\":{}}}", now()));
    // A signed-in user hears only of incidents in its scope.
    let live = events.filter_map(move |r| match r {
        Ok(e) => e.visible_to(&caller).then(|| event_of(&e)),
        Err(BroadcastStreamRecvError::Lagged(n)) => Some(
            Event::default()
                .event("resync")
                .data(format!("{{\"missed\":{n}}}")),
        ),
    });
    // Ends when the server stops, so a graceful shutdown does not wait for it.
    let all = futures_util::StreamExt::take_until(
        tokio_stream::once(ready).chain(live),
        state.streams_stopped(),
    )
    .map(Ok);
    Sse::new(all).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}
