//! Any path and query through the whole HTTP router (tiles, lookups, searches, incident
//! lists and figures, exports), as a public caller and as an administrator, on a small
//! partitioned synthetic county in memory. A 400 or 404 is fine; a 500 is a crash.
#![no_main]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use gridmap::http::{app, AppState, HttpConfig};
use gridmap_service::partition::{partition, SizeRequest};
use gridmap_service::{AccessPolicy, Caller, Scope, Service};
use gridmap_store::{ChangeMeta, MemoryStore, SharedStore};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Server {
    runtime: tokio::runtime::Runtime,
    state: AppState,
    token: String,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (state, token) = runtime.block_on(async {
            let store: SharedStore = Arc::new(MemoryStore::new());
            let county = gridmap_synth::synth_county(&gridmap_synth::SynthParams::new(600, 3));
            store
                .import(
                    &gridmap_service::import::synthetic_batch(county),
                    &ChangeMeta::new("fuzz", "synth"),
                )
                .await
                .unwrap();
            let caller = Caller::Operator;
            partition(store.as_ref(), &caller, &Scope::All, &SizeRequest::default(), true)
                .await
                .unwrap();
            let request = gridmap_service::access::AccountRequest {
                login: "fuzz".into(),
                role: gridmap_core::Role::Admin,
                scope: gridmap_core::AccessScope::All,
                password: Some("fuzz password".into()),
            };
            let (account, _) =
                gridmap_service::access::add_account(store.as_ref(), &caller, &request, 0)
                    .await
                    .unwrap();
            let service = Service::start(store.clone(), AccessPolicy::default(), 8 << 20)
                .await
                .unwrap();
            let now = gridmap_service::incidents::now();
            let issued = service
                .credentials()
                .issue(
                    store.as_ref(),
                    &account,
                    gridmap_store::CredentialKind::Token,
                    "fuzz",
                    3600,
                    now,
                )
                .await
                .unwrap();
            let config = HttpConfig {
                public_url: "http://fuzz".into(),
                web_dir: None,
                basemap_style: None,
                attribution: "gridmap".into(),
                local_demo: false,
                cors_origins: Vec::new(),
            };
            (AppState::new(service, config), issued.secret)
        });
        Server {
            runtime,
            state,
            token,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first byte picks the caller; the rest is the path and query.
    let (signed_in, target) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let uri = format!("/{}", target.trim_start_matches('/'));
    let s = server();
    let mut request = Request::get(uri.as_str());
    if signed_in {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", s.token));
    }
    // A string the URI parser refuses never reaches the router (hyper answers 400).
    let Ok(request) = request.body(Body::empty()) else {
        return;
    };
    let status = s
        .runtime
        .block_on(app(s.state.clone()).oneshot(request))
        .unwrap()
        .status();
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
});
