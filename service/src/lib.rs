//! # gridmap-service
//!
//! Every use case of gridmap, in one place, over the store traits: importing
//! ([`import`]), partitioning and validating ([`partition`]), lookups, search and the
//! detail views ([`lookup`], [`search`], [`views`]), grid edits and undo ([`edit`]), and
//! the live state of a server with its reload/purge step ([`live`]). Every use case that
//! returns data or changes it takes the [`Caller`]; access is decided here, not in the
//! HTTP handlers or the command line, which only parse, call and render.
//!
//! [`Service`] bundles a store, the access policy and the live state for a server:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gridmap_service::{AccessPolicy, Caller, Service};
//! let store = gridmap_store::open("gridmap.db", gridmap_store::OpenMode::Existing).await?;
//! let service = Service::start(store, AccessPolicy::default(), 64 << 20).await?;
//! let here = service.lookup(&Caller::Public, 114.6, 33.8).await?;
//! println!("{:?}", here.grid.map(|g| g.code));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod access;
pub mod caller;
pub mod cameras;
pub mod county;
pub mod edit;
pub mod error;
pub mod export;
pub mod households;
pub mod import;
pub mod incidents;
pub mod labels;
pub mod live;
pub mod lookup;
pub mod partition;
pub mod photos;
pub mod plan;
pub mod print;
pub mod rebalance;
pub mod search;
pub mod situations;
mod spreadsheet;
pub mod staffing;
pub mod staffload;
pub mod versions;
pub mod views;
pub mod visits;

pub use access::{AccessPolicy, Credentials};
pub use caller::{Caller, Principal};
pub use county::Scope;
pub use edit::GridEditRequest;
pub use error::{ServiceError, ServiceResult};
pub use live::{Live, LiveData};

use gridmap_store::{GridWrite, SharedStore};
use gridmap_tiles::{CachedTile, Encoding, Layer, TileKey};
use std::sync::Arc;
use views::{BuildingDetail, GridDetail, LookupView, SearchResults, StaffDetail, ViewContext};

/// A store, who may do what, and the county in memory: what a server runs on.
/// Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: SharedStore,
    credentials: Credentials,
    live: Arc<Live>,
    incidents: incidents::Incidents,
    /// Layers whose tiles the store draws itself (see [`Service::with_store_tiles`]).
    store_layers: Vec<Layer>,
}

impl Service {
    /// Loads the county from `store` into memory (indexes, tile data, labels) with a
    /// tile cache of `cache_bytes`.
    pub async fn start(
        store: SharedStore,
        access: AccessPolicy,
        cache_bytes: usize,
    ) -> ServiceResult<Service> {
        let live = Live::load(store.as_ref(), cache_bytes).await?;
        let credentials = Credentials::load(store.as_ref(), access).await?;
        Ok(Service {
            inner: Arc::new(Inner {
                store,
                credentials,
                live: Arc::new(live),
                incidents: incidents::Incidents::default(),
                store_layers: Vec::new(),
            }),
        })
    }

    /// Serves `layers` from tiles the store draws itself (PostGIS: the `buildings`
    /// layer) instead of from memory. Call it before the service is shared; refuses a
    /// layer the store cannot draw.
    pub fn with_store_tiles(mut self, layers: &[Layer]) -> ServiceResult<Service> {
        if let Some(layer) = layers
            .iter()
            .find(|l| !self.inner.store.draws_layer(l.name()))
        {
            return Err(ServiceError::BadInput(format!(
                "this store cannot draw {} tiles itself: only the PostGIS store (--db postgres://…) draws layers, and only buildings",
                layer.name()
            )));
        }
        let inner = Arc::get_mut(&mut self.inner).ok_or_else(|| {
            ServiceError::Internal("store tiles are chosen before the service is shared".into())
        })?;
        inner.store_layers = layers.to_vec();
        Ok(self)
    }

    /// The county tile `key` (no incident layers) in `encoding`, from the cache or drawn:
    /// layers chosen with [`Service::with_store_tiles`] by the store, the rest from
    /// memory. Says whether the cache had it.
    pub async fn tile(
        &self,
        key: TileKey,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        let inner = &self.inner;
        inner
            .live
            .tile_from_store(key, encoding, inner.store.as_ref(), &inner.store_layers)
            .await
    }

    /// The `cameras` tile `coord` in `encoding`, for signed-in callers (the same tile
    /// for all of them: cameras are not cut to a scope). Says whether the cache had it.
    pub async fn camera_tile(
        &self,
        caller: &Caller,
        coord: gridmap_tiles::TileCoord,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        cameras::must_sign_in(caller, "the camera layer")?;
        self.inner.live.camera_tile(coord, encoding).await
    }

    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    /// The caller presenting `credential` (a bearer token or a session cookie's value)
    /// from `origin`, or the public without one (see [`Credentials::caller`]). A wrong
    /// credential is refused rather than served as public, so a mistyped token is
    /// noticed.
    pub async fn caller(&self, credential: Option<&str>, origin: &str) -> ServiceResult<Caller> {
        match credential {
            None => Ok(Caller::Public),
            Some(text) => {
                let store = self.inner.store.as_ref();
                let now = incidents::now();
                self.inner
                    .credentials
                    .caller(store, text, origin, now)
                    .await
            }
        }
    }

    /// Signs in with a login and password (see [`Credentials::login`]).
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        origin: &str,
    ) -> ServiceResult<(access::Issued, gridmap_core::Account)> {
        let store = self.inner.store.as_ref();
        let now = incidents::now();
        self.inner
            .credentials
            .login(store, login, password, origin, now)
            .await
    }

    /// Ends the caller's session (see [`access::sign_out`]).
    pub async fn logout(&self, caller: &Caller) -> ServiceResult<()> {
        access::sign_out(self.inner.store.as_ref(), caller, incidents::now()).await
    }

    /// What signs credentials and how long sessions last.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// Appends `action` on `target` by `caller` to the audit log.
    pub async fn audit(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        detail: &str,
    ) -> ServiceResult<()> {
        access::audit(
            self.inner.store.as_ref(),
            incidents::now(),
            caller.actor(),
            action,
            target,
            caller.origin(),
            detail,
        )
        .await
    }

    /// The county as currently loaded.
    pub fn data(&self) -> Arc<LiveData> {
        self.inner.live.data()
    }

    pub fn live(&self) -> &Arc<Live> {
        &self.inner.live
    }

    /// Reloads and purges tiles after changes in the store; returns how many changes.
    pub async fn sync_changes(&self) -> ServiceResult<usize> {
        self.inner.live.sync(self.inner.store.as_ref()).await
    }

    /// Keeps this server in step with writes by other processes (other servers on a
    /// shared store, `gridmap partition`, plain SQL on the grids of a PostGIS store):
    /// syncs as soon as the store announces a change and, as a fallback when a notice
    /// is lost and for stores that announce nothing, every `poll`. Runs until dropped.
    pub async fn follow_changes(&self, poll: std::time::Duration) {
        use futures_util::StreamExt;
        let mut feed = match self.inner.store.change_feed().await {
            Ok(feed) => feed,
            Err(e) => {
                tracing::warn!(error = %e, "no change notices from the store; polling only");
                None
            }
        };
        let mut tick = tokio::time::interval(poll);
        loop {
            let announced = async {
                match feed.as_mut() {
                    Some(ids) => ids.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tick.tick() => {}
                id = announced => {
                    if id.is_none() {
                        tracing::warn!("the store's change notices ended; polling only");
                        feed = None;
                    }
                }
            }
            if let Err(e) = self.sync_changes().await {
                tracing::warn!(error = %e, "could not pick up changes");
            }
        }
    }

    fn with_view<T>(&self, f: impl FnOnce(ViewContext<'_>) -> T) -> T {
        f(view_context(&self.data()))
    }

    /// What lies at a point (see [`lookup::lookup`]).
    pub async fn lookup(&self, caller: &Caller, lon: f64, lat: f64) -> ServiceResult<LookupView> {
        let data = self.data();
        lookup::lookup(
            view_context(&data),
            self.inner.store.as_ref(),
            caller,
            lon,
            lat,
        )
        .await
    }

    /// One building with its households (see [`lookup::building`]).
    pub async fn building(&self, caller: &Caller, id: &str) -> ServiceResult<BuildingDetail> {
        let data = self.data();
        lookup::building(view_context(&data), self.inner.store.as_ref(), caller, id).await
    }

    /// Sets the situation tags of household `id` when they are still `expected`
    /// ([`households::edit_tags`]).
    pub async fn edit_household_tags(
        &self,
        caller: &Caller,
        id: &str,
        expected: &[String],
        tags: &[String],
    ) -> ServiceResult<households::EditedTags> {
        let data = self.data();
        let store = self.inner.store.as_ref();
        households::edit_tags(view_context(&data), store, caller, id, expected, tags).await
    }

    /// The households of a grid ([`households::grid_households`]).
    pub async fn grid_households(
        &self,
        caller: &Caller,
        code: &gridmap_core::GridCode,
    ) -> ServiceResult<Vec<households::GridHousehold>> {
        let data = self.data();
        households::grid_households(view_context(&data), self.inner.store.as_ref(), caller, code)
            .await
    }

    /// One grid by code.
    pub fn grid(&self, caller: &Caller, code: &str) -> ServiceResult<GridDetail> {
        let code = lookup::parse_grid_code(code)?;
        self.with_view(|cx| lookup::grid(cx, caller, &code))
    }

    /// One staff member by id.
    pub fn staff_member(&self, caller: &Caller, id: &str) -> ServiceResult<StaffDetail> {
        self.with_view(|cx| lookup::staff(cx, caller, id))
    }

    /// Search (see [`search::search`]).
    pub fn search(
        &self,
        caller: &Caller,
        query: &str,
        limit: Option<usize>,
    ) -> ServiceResult<SearchResults> {
        self.with_view(|cx| search::search(cx, caller, query, limit))
    }

    /// Edits a grid's lock or staff, then shows the grid as stored, with the id of the
    /// change (what undo takes). The edit must name the version it was made from (the
    /// grid's `version`, its ETag over HTTP): without one it could silently overwrite a
    /// change its sender never saw.
    pub async fn edit_grid(
        &self,
        caller: &Caller,
        code: &str,
        edit: &GridEditRequest,
    ) -> ServiceResult<(GridDetail, Option<i64>)> {
        let code = lookup::parse_grid_code(code)?;
        caller.may_edit_village(&code.village())?;
        if edit.version.is_none() {
            return Err(ServiceError::VersionRequired(format!(
                "send the version of grid {code} you are changing (`If-Match: \"<version>\"` with the ETag of GET /api/grids/{code}, or `version` in the body)"
            )));
        }
        let written = edit::write_grid_edit(self.inner.store.as_ref(), caller, &code, edit).await?;
        if let Some(written) = &written {
            let started = std::time::Instant::now();
            let shown = self.show_grid_write(written.change, &written.write).await;
            access::warn_if_slow("showing the grid edit on the map", started);
            shown?;
        }
        let grid = self.with_view(|cx| lookup::grid(cx, caller, &code))?;
        Ok((grid, written.map(|w| w.change)))
    }

    /// Shows grid write `change`, stored through this server: a write inside one
    /// village (an edit, its undo) is swapped into the live state; any other reloads
    /// the county.
    async fn show_grid_write(&self, change: i64, write: &GridWrite) -> ServiceResult<()> {
        let Some(village) = live::write_village(write) else {
            return self.sync_changes().await.map(drop);
        };
        let area = self
            .data()
            .snapshot()
            .admin_unit(&village)
            .and_then(|v| geo::BoundingRect::bounding_rect(&v.boundary));
        let shown = live::ShownWrite {
            change,
            village,
            write: write.clone(),
            area,
        };
        let store = self.inner.store.as_ref();
        self.live().show_write(store, shown, None).await
    }

    /// The newest changes (see [`edit::history`]).
    pub async fn history(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> ServiceResult<Vec<gridmap_store::ChangeSummary>> {
        edit::history(self.inner.store.as_ref(), caller, limit).await
    }
}

fn view_context(data: &LiveData) -> ViewContext<'_> {
    ViewContext {
        snap: data.snapshot(),
        min_households: data.params.min,
        max_households: data.params.max,
        comprehensive_households: data.params.comprehensive.map(|c| (c.min, c.max)),
    }
}
