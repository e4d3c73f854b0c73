//! # gridmap-store
//!
//! Persistence for gridmap behind a handful of traits, one per concern, that every backend
//! implements: [`ReadStore`] (whole layers for the in-memory snapshot, one building's
//! register rows, counts), [`ImportStore`] (imports, village assignment), [`GridStore`]
//! (every grid write goes through one primitive, [`GridStore::write_grids`]),
//! [`ChangeLog`] (the append-only log of every write with its before-state),
//! [`IncidentStore`], [`SettingsStore`] (the stored partition parameters),
//! [`PlanVersionStore`] (named copies of a village's grids), [`CameraStore`] (video
//! cameras), [`AccessStore`]
//! (accounts, credentials, the audit log), [`TileStore`] (tiles the
//! database draws itself: PostGIS's `ST_AsMVT`) and [`Maintenance`]
//! (checkpoint, backup, close). [`Store`] is all of them; code above this
//! crate holds a [`SharedStore`] and never names a backend.
//!
//! [`MemoryStore`] keeps everything in memory, for tests of the layers above. The
//! embedded default is [`SqliteStore`]: a single SQLite file (WAL mode, migrations,
//! geometries as WKB). Every write runs in one transaction, so a crash mid-import leaves
//! the store as it was, and is checkpointed into the main file when it commits, so
//! copying the file copies the data (use [`Maintenance::backup`] for a live store).
//!
//! ```no_run
//! # async fn demo() -> gridmap_store::StoreResult<()> {
//! use gridmap_store::{OpenMode, ReadStore};
//! let store = gridmap_store::open("gridmap.db", OpenMode::Existing).await?;
//! let stats = store.stats().await?;
//! println!("{} buildings", stats.buildings);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod access;
mod access_sql;
mod audit_queue;
mod batch;
mod cameras;
mod change;
mod decode;
mod error;
mod failpoint;
mod field_sql;
mod incident_sql;
mod incidents;
mod memory;
mod postgis;
mod replicated;
pub mod scratch;
mod sqlite;
mod versions;
mod wkb;

pub use access::{
    AccountChange, AuditEntry, AuditFilter, AuditRecord, Credential, CredentialKind, LoginFailures,
    NewAccount, NewCredential, LOGIN_ACTION, LOGIN_REFUSED_ACTION, MAX_LOGIN, MIN_SIGNING_KEY,
    WRONG_PASSWORD_DETAIL,
};
pub use batch::{ImportBatch, ImportSummary, Stats, UpsertCounts};
pub use cameras::{camera_undo, is_camera_change, CameraWrite, CameraWriteSummary};
pub use change::{
    is_camera_operation, is_tag_edit_operation, is_version_operation, Change, ChangeMark,
    ChangeMeta, ChangeRecords, ChangeSummary, GridWrite, RecordKeys, RecordRows, RowRestore,
    StaffGrids, CAMERA_OPERATION, INCIDENT_OPERATION, TAG_EDIT_OPERATION, VERSION_DELETE_OPERATION,
    VERSION_SAVE_OPERATION,
};
pub use error::{StoreError, StoreResult};
pub use incidents::{
    CountBy, IncidentChunk, IncidentChunks, IncidentCounts, IncidentFields, IncidentFilter,
    IncidentPage,
};
pub use memory::MemoryStore;
pub use postgis::PostgisStore;
pub use replicated::ReplicatedStore;
pub use sqlite::SqliteStore;
pub use versions::{NewPlanVersion, PlanVersion, PlanVersionSummary, MAX_VERSION_NAME};

use async_trait::async_trait;
use gridmap_core::incident::IncidentTransition;
use gridmap_core::partition::PartitionParams;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    Account, AdminUnit, Barrier, Building, Camera, DivisionCode, Grid, GridCode, Household,
    Incident, Staff,
};
use std::path::Path;
use std::sync::Arc;

/// Reads of whole layers and single records.
#[async_trait]
pub trait ReadStore: Send + Sync {
    /// Counties, townships and villages, by code.
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>>;
    /// Every building, by source id.
    async fn buildings(&self) -> StoreResult<Vec<Building>>;
    /// Roads, rivers and other lines grids should not cross.
    async fn barriers(&self) -> StoreResult<Vec<Barrier>>;
    /// Every grid, by code.
    async fn grids(&self) -> StoreResult<Vec<Grid>>;
    /// One grid.
    async fn grid(&self, code: &GridCode) -> StoreResult<Option<Grid>>;
    /// The staff roster, by id.
    async fn staff(&self) -> StoreResult<Vec<Staff>>;
    /// Register entries of one building, in entrance/floor/unit order. Personal data:
    /// the service decides who sees which fields.
    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>>;
    /// Register entries of each of `buildings`, grouped by building in the order given,
    /// each group in entrance/floor/unit order (as [`ReadStore::households_of_building`]);
    /// one read where the backend can. Personal data, as there.
    async fn households_of_buildings(
        &self,
        buildings: &[String],
    ) -> StoreResult<Vec<(String, Vec<Household>)>> {
        let mut out = Vec::with_capacity(buildings.len());
        for b in buildings {
            out.push((b.clone(), self.households_of_building(b).await?));
        }
        Ok(out)
    }
    /// Counts per layer and level.
    async fn stats(&self) -> StoreResult<Stats>;
    /// The stored rows of `keys` (keys not stored are left out), each kind in key order.
    async fn rows(&self, keys: &RecordKeys) -> StoreResult<RecordRows>;

    /// Loads the whole county into memory with R-tree indexes, for serving.
    async fn load_snapshot(&self) -> StoreResult<CountySnapshot> {
        let admin = self.admin_units().await?;
        let buildings = self.buildings().await?;
        let grids = self.grids().await?;
        let staff = self.staff().await?;
        Ok(CountySnapshot::new(admin, buildings, grids, staff))
    }
}

/// Imports: everything from one file in one transaction.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Writes everything in `batch` in one transaction: admin units, buildings and barriers
    /// are upserted by key (code / source id), households, staff and incidents by id;
    /// buildings named by register rows get a registered household count. Logs one change
    /// whose before- and after-rows are every record the import touched (incidents
    /// aside), so it can be undone with [`ImportStore::restore_rows`].
    async fn import(&self, batch: &ImportBatch, meta: &ChangeMeta) -> StoreResult<ImportSummary>;

    /// Puts rows back as [`RowRestore`] says, in one transaction, after checking that the
    /// rows are still as expected ([`StoreError::Changed`] names one that is not). Logs
    /// one change with the rows before and after. Returns the change id.
    async fn restore_rows(&self, restore: &RowRestore, meta: &ChangeMeta) -> StoreResult<i64>;

    /// Sets the `village` of the given buildings in one transaction; logs the previous
    /// villages as the change's before-state. Returns the change id (0 when there was
    /// nothing to assign).
    async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
        meta: &ChangeMeta,
    ) -> StoreResult<i64>;
}

/// Grid writes. Every change to grids (a partition run, a lock, a staff change, an undo,
/// later the planner's edits) is one [`GridWrite`], so each is one transaction and one
/// change-log entry with its before-state.
#[async_trait]
pub trait GridStore: Send + Sync {
    /// Applies `write` in one transaction: checks the expected versions
    /// ([`StoreError::Conflict`] when a grid changed since the editor read it), removes and
    /// upserts grids, sets staff grid lists, and logs the change with the before-state of
    /// everything it touched. Returns the change id.
    async fn write_grids(&self, write: &GridWrite, meta: &ChangeMeta) -> StoreResult<i64>;
}

/// The append-only log of every write: who, when, what, the area touched and the
/// before/after records. Tile purges, other instances' reloads and undo read it.
#[async_trait]
pub trait ChangeLog: Send + Sync {
    /// The newest change id (0 when none).
    async fn last_change(&self) -> StoreResult<i64>;
    /// Id and area of every change after `after`, oldest first (cheap: no records).
    async fn changes_since(&self, after: i64) -> StoreResult<Vec<ChangeMark>>;
    /// One change with its records.
    async fn change(&self, id: i64) -> StoreResult<Option<Change>>;
    /// The `limit` newest changes, newest first, without their records.
    async fn recent_changes(&self, limit: usize) -> StoreResult<Vec<ChangeSummary>>;
    /// The ids of changes as they are committed, by this process or any other, when the
    /// backend announces them (PostGIS: `LISTEN`); `None` when readers must poll
    /// [`ChangeLog::changes_since`]. An id may arrive more than once or not at all (a
    /// dropped connection): the feed says when to look, the log says what changed.
    async fn change_feed(&self) -> StoreResult<Option<ChangeFeed>> {
        Ok(None)
    }
}

/// Change ids as a backend announces them ([`ChangeLog::change_feed`]).
pub type ChangeFeed = std::pin::Pin<Box<dyn futures_util::Stream<Item = i64> + Send>>;

/// Incidents and their timelines (the closed loop's rules are in
/// `gridmap_core::incident`; the store keeps what they decided).
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Every incident, oldest first.
    async fn incidents(&self) -> StoreResult<Vec<Incident>>;

    /// Adds incidents, replacing stored ones with the same id, with their first
    /// timeline entries (`transitions`, usually the reports; an entry already stored is
    /// kept), in one transaction logged as one change with the incidents' area.
    /// Returns the counts and the change id.
    async fn add_incidents(
        &self,
        incidents: &[Incident],
        transitions: &[IncidentTransition],
        meta: &ChangeMeta,
    ) -> StoreResult<(UpsertCounts, i64)> {
        let chunk = IncidentChunk {
            incidents: incidents.to_vec(),
            transitions: transitions.to_vec(),
        };
        let chunks = futures_util::stream::iter([Ok(chunk)]);
        self.add_incident_chunks(Box::pin(chunks), meta).await
    }

    /// [`IncidentStore::add_incidents`] for a write that arrives in parts (a large
    /// import): each part is written as it comes, all in one transaction, which an `Err`
    /// part or an error of the store rolls back.
    async fn add_incident_chunks(
        &self,
        chunks: IncidentChunks<'_>,
        meta: &ChangeMeta,
    ) -> StoreResult<(UpsertCounts, i64)>;

    /// One incident.
    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>>;

    /// The stored incidents among `ids` (unknown ids are left out), in no set order.
    async fn incidents_by_id(&self, ids: &[String]) -> StoreResult<Vec<Incident>>;

    /// An incident's timeline, oldest first.
    async fn incident_timeline(&self, id: &str) -> StoreResult<Vec<IncidentTransition>>;

    /// Stores `after` (the incident after `transition`) when the stored version is still
    /// `after.version - 1` ([`StoreError::Conflict`] otherwise, [`StoreError::NotFound`]
    /// when there is none), appends the transition and logs the change, in one
    /// transaction. Returns the change id.
    async fn transition_incident(
        &self,
        after: &Incident,
        transition: &IncidentTransition,
        meta: &ChangeMeta,
    ) -> StoreResult<i64>;

    /// The incidents passing `filter`, newest first, one page.
    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<IncidentPage>;

    /// Counts of the incidents passing `filter` (paging ignored), grouped `by`, ordered
    /// by key; `now` decides what is overdue.
    async fn incident_counts(
        &self,
        filter: &IncidentFilter,
        by: CountBy,
        now: i64,
    ) -> StoreResult<Vec<IncidentCounts>>;
}

/// Video cameras (雪亮工程 points): the list, written in part or whole.
#[async_trait]
pub trait CameraStore: Send + Sync {
    /// Every camera, ordered by id.
    async fn cameras(&self) -> StoreResult<Vec<Camera>>;

    /// Applies `write` and logs it as one change (before: the cameras it replaced or
    /// removed; after: the ones it wrote), in one transaction; a write that changes
    /// nothing is not logged. [`StoreError::Changed`] when `write.expect` does not
    /// hold, [`StoreError::Invalid`] for a camera that fails
    /// [`gridmap_core::Camera::check`].
    async fn write_cameras(
        &self,
        write: &CameraWrite,
        meta: &ChangeMeta,
    ) -> StoreResult<CameraWriteSummary>;
}

/// A photo staff took for a report or a visit, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// The id the device made (a UUID), so a photo sent again is stored once.
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Who sent it.
    pub actor: String,
    /// Unix seconds when it was stored.
    pub at: i64,
}

/// Photos: written once by id, read whole. Not in the change log: a photo is evidence
/// of a report or visit, which the log records.
#[async_trait]
pub trait PhotoStore: Send + Sync {
    /// Stores `photo` unless a photo with its id is stored; returns whether it was new.
    /// Different bytes under a stored id are [`StoreError::Changed`]: ids are not reused.
    async fn put_photo(&self, photo: &Photo) -> StoreResult<bool>;

    /// The photo stored under `id`.
    async fn photo(&self, id: &str) -> StoreResult<Option<Photo>>;

    /// Whether a photo is stored under `id`, without reading its bytes (a report naming
    /// nine photos checks each).
    async fn has_photo(&self, id: &str) -> StoreResult<bool> {
        Ok(self.photo(id).await?.is_some())
    }

    /// Puts the stored photo `photo_id` on staff member `staff` (the notice boards print
    /// it), replacing an earlier one; `None` takes it off. Kept apart from the roster, so
    /// a roster imported again keeps its photos.
    async fn set_staff_photo(&self, staff: &str, photo_id: Option<&str>) -> StoreResult<()>;

    /// The photo put on staff member `staff`.
    async fn staff_photo(&self, staff: &str) -> StoreResult<Option<Photo>>;

    /// The staff members with a photo on them, without reading any photo's bytes (who
    /// still needs one, for the whole roster at once).
    async fn staff_with_photos(&self) -> StoreResult<std::collections::HashSet<String>>;
}

/// A household visit (走访) a staff member recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Visit {
    /// The id the phone made (a UUID), so a visit sent again is stored once.
    pub id: String,
    /// The household's register id.
    pub household: String,
    /// Who visited.
    pub actor: String,
    /// Unix seconds of the visit.
    pub at: i64,
    /// What was found or agreed (personal data).
    pub note: Option<String>,
    /// Whether the household needs another visit or help.
    pub follow_up: bool,
    /// Photos taken (their ids, see [`PhotoStore`]).
    pub photos: Vec<String>,
}

/// A patrol check-in (巡查签到): a staff member was here at this time.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckIn {
    /// The id the phone made (a UUID).
    pub id: String,
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
    pub lon: f64,
    pub lat: f64,
    /// The grid at the place, when it lies in one.
    pub grid: Option<String>,
    pub note: Option<String>,
}

/// Field work from the phone: household visits and patrol check-ins, each written once by
/// the id the phone made.
#[async_trait]
pub trait FieldStore: Send + Sync {
    /// Stores `visit` unless one with its id is stored; returns whether it was new.
    /// Another visit under a stored id is [`StoreError::Invalid`].
    async fn add_visit(&self, visit: &Visit) -> StoreResult<bool>;

    /// The visits of household `id`, newest first.
    async fn visits_of_household(&self, id: &str) -> StoreResult<Vec<Visit>>;

    /// Stores `check_in` unless one with its id is stored; returns whether it was new
    /// (another check-in under a stored id is [`StoreError::Invalid`]).
    async fn add_check_in(&self, check_in: &CheckIn) -> StoreResult<bool>;

    /// The check-ins in `grid` (all of them when `None`) at or after `since`, newest first.
    async fn check_ins(&self, grid: Option<&str>, since: i64) -> StoreResult<Vec<CheckIn>>;
}

/// What [`FieldStore::add_check_in`] answers when `stored` is already under the id of `sent`.
pub(crate) fn same_check_in(stored: &CheckIn, sent: &CheckIn) -> StoreResult<bool> {
    if stored == sent {
        Ok(false)
    } else {
        Err(StoreError::Invalid {
            what: format!("check-in {}", sent.id),
            reason: "another check-in is stored under this id: a new one needs a new id".into(),
        })
    }
}

/// What [`FieldStore::add_visit`] answers when `stored` is already under the id of `sent`.
pub(crate) fn same_visit(stored: &Visit, sent: &Visit) -> StoreResult<bool> {
    if stored == sent {
        Ok(false)
    } else {
        Err(StoreError::Invalid {
            what: format!("visit {}", sent.id),
            reason: "another visit is stored under this id: a new visit needs a new id".into(),
        })
    }
}

/// What [`PhotoStore::put_photo`] answers when `stored` is already under the id of `sent`.
pub(crate) fn same_photo(stored: &Photo, sent: &Photo) -> StoreResult<bool> {
    if stored.bytes == sent.bytes {
        Ok(false)
    } else {
        Err(StoreError::Invalid {
            what: format!("photo {}", sent.id),
            reason:
                "a photo with other content is stored under this id: a new photo needs a new id"
                    .into(),
        })
    }
}

/// Settings kept with the data, so every command and server uses the same ones.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The partition parameters last stored, `None` before the first partition run.
    async fn partition_params(&self) -> StoreResult<Option<PartitionParams>>;
    /// Stores the partition parameters (logged as a change).
    async fn set_partition_params(
        &self,
        params: &PartitionParams,
        meta: &ChangeMeta,
    ) -> StoreResult<()>;
}

/// Named versions of a village's plan (issue #11): a planner saves the village's grids
/// under a name before re-zoning, and later compares or restores them. Versions are
/// copies kept beside the grids: saving or deleting one changes no grid, but the history
/// should still say who did it, so each leaves a change-log entry without state
/// (`save version "draft 2" of 411622103214`, see [`VERSION_SAVE_OPERATION`]), written
/// in the same transaction, that undo refuses.
#[async_trait]
pub trait PlanVersionStore: Send + Sync {
    /// Stores `version` with the time and `actor`, in one transaction. Refuses a blank
    /// name or one over [`MAX_VERSION_NAME`] characters and a grid of another village
    /// ([`StoreError::Invalid`]), and a name the village already uses
    /// ([`StoreError::VersionNameTaken`]); a refused version writes nothing. Logs
    /// `save version "NAME" of VILLAGE` by `actor`, the summary as the after-state.
    async fn save_plan_version(
        &self,
        version: &NewPlanVersion,
        actor: &str,
    ) -> StoreResult<PlanVersionSummary>;
    /// The versions of `village`, newest first, without their grids.
    async fn plan_versions(&self, village: &DivisionCode) -> StoreResult<Vec<PlanVersionSummary>>;
    /// One version with its grids, equal to those saved.
    async fn plan_version(&self, id: i64) -> StoreResult<Option<PlanVersion>>;
    /// Deletes one version, logging `delete version "NAME" of VILLAGE` by `actor` with
    /// its summary as the before-state; `false` (and nothing logged) when there was none
    /// with `id`.
    async fn delete_plan_version(&self, id: i64, actor: &str) -> StoreResult<bool>;
}

/// Accounts, their credentials, the key that signs credentials, and the audit log
/// (issue #13). The service decides who may do what; the store keeps it. The audit log
/// is append-only: the schema refuses updates and deletes of its rows.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Creates an account; refuses a login that is taken or malformed
    /// ([`StoreError::Invalid`]).
    async fn add_account(&self, account: &NewAccount) -> StoreResult<Account>;
    /// Every account, by login.
    async fn accounts(&self) -> StoreResult<Vec<Account>>;
    /// The account with `login`.
    async fn account(&self, login: &str) -> StoreResult<Option<Account>>;
    /// Changes an account ([`StoreError::NotFound`] when there is none with `login`).
    async fn change_account(&self, login: &str, change: &AccountChange) -> StoreResult<Account>;
    /// Records a credential issued to an account; returns it with its id.
    async fn add_credential(&self, credential: &NewCredential) -> StoreResult<Credential>;
    /// A credential with the account it belongs to, in one read: what every request
    /// that presents one needs.
    async fn credential(&self, id: i64) -> StoreResult<Option<(Credential, Account)>>;
    /// The credentials of `account`, newest first.
    async fn credentials(&self, account: i64) -> StoreResult<Vec<Credential>>;
    /// Revokes a credential; `false` when there is none with `id`.
    async fn revoke_credential(&self, id: i64) -> StoreResult<bool>;
    /// The key credentials are signed with: the stored one, or `candidate` stored now
    /// when there is none yet (so every instance on a shared store signs alike).
    async fn signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>>;
    /// Appends entries to the audit log, in one transaction.
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()>;
    /// Audit entries passing `filter`, newest first.
    async fn audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>>;
    /// The failed sign-ins ([`LoginFailures`]) of `login` and from `origin` at or after
    /// `since` (RFC 3339), newest first, at most `limit` of each: read from the audit
    /// log, so every instance on a shared store counts the same ones.
    async fn login_failures(
        &self,
        login: &str,
        origin: &str,
        since: &str,
        limit: usize,
    ) -> StoreResult<LoginFailures>;
}

/// One vector tile the database is asked to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileRequest {
    /// Zoom, column and row (XYZ scheme, Web-Mercator).
    pub z: u8,
    pub x: u32,
    pub y: u32,
    /// Tile extent in integer units (4096).
    pub extent: u32,
    /// Clip buffer around the tile in extent units (64).
    pub buffer: u32,
    /// Footprints smaller than this many extent units on both axes are left out.
    pub min_feature: f64,
}

/// Layers a backend draws as vector tiles itself, so an instance need not hold their data
/// in memory to serve them. Only the PostGIS store draws any (`buildings`, with
/// `ST_AsMVT`); the layer's attributes are those of the in-memory layer of that name.
#[async_trait]
pub trait TileStore: Send + Sync {
    /// Whether this store draws the tile layer named `layer`.
    fn draws_layer(&self, layer: &str) -> bool {
        let _ = layer;
        false
    }
    /// The MVT bytes of `layers` (each one [`TileStore::draws_layer`] accepts) of `tile`,
    /// from one query; empty when the tile holds nothing.
    async fn draw_tile(&self, layers: &[&str], tile: &TileRequest) -> StoreResult<Vec<u8>> {
        let _ = tile;
        Err(StoreError::Unsupported {
            what: format!(
                "this store does not draw tiles of {}: only the PostGIS store draws layers itself",
                layers.join(",")
            ),
        })
    }
}

/// Keeping the store's files in order.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Writes a consistent copy of the live store to `to` (which must not exist), through
    /// the database engine, never as a file copy.
    async fn backup(&self, to: &Path) -> StoreResult<()>;
    /// Moves committed data into the main file and closes every connection; the store
    /// is unusable afterwards.
    async fn close(&self) -> StoreResult<()>;
}

/// Everything a backend implements.
pub trait Store:
    ReadStore
    + ImportStore
    + GridStore
    + ChangeLog
    + IncidentStore
    + SettingsStore
    + PlanVersionStore
    + CameraStore
    + PhotoStore
    + FieldStore
    + TileStore
    + AccessStore
    + Maintenance
{
}

impl<T> Store for T where
    T: ReadStore
        + ImportStore
        + GridStore
        + ChangeLog
        + IncidentStore
        + SettingsStore
        + PlanVersionStore
        + CameraStore
        + PhotoStore
        + FieldStore
        + TileStore
        + AccessStore
        + Maintenance
{
}

/// A store shared by the service, the commands and the HTTP handlers.
pub type SharedStore = Arc<dyn Store>;

/// Whether [`open`] may create a new store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the store when it does not exist (imports, `synth`).
    Create,
    /// Refuse a store that does not exist (read commands: a mistyped path must not
    /// silently read an empty store).
    Existing,
    /// A read-only streaming replica of a PostGIS store: it must exist, and its schema is
    /// the primary's (no migrations run on it).
    Replica,
}

/// Opens the store at `primary` for writes and the streaming replica at `replica` for
/// reads ([`ReplicatedStore`]); both must be `postgres://` URLs of the same database.
pub async fn open_replicated(
    primary: &str,
    replica: &str,
    mode: OpenMode,
) -> StoreResult<SharedStore> {
    if !is_postgres(replica) {
        return Err(StoreError::Unsupported {
            what: format!(
                "the read replica {} is not a postgres:// URL: replicas are for the PostGIS store",
                shown_location(replica)
            ),
        });
    }
    let primary = open(primary, mode).await?;
    let replica: SharedStore = Arc::new(PostgisStore::open(replica, OpenMode::Replica).await?);
    Ok(Arc::new(ReplicatedStore::new(primary, replica)))
}

fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `location` as it may be shown in messages and logs: a URL's password replaced by
/// `***`.
pub fn shown_location(location: &str) -> String {
    postgis::without_password(location)
}

/// Opens the store at `location`: a `postgres://` (or `postgresql://`) URL for the
/// shared PostGIS store, else a file path or `sqlite:` URL for the embedded store. Runs
/// pending migrations.
pub async fn open(location: &str, mode: OpenMode) -> StoreResult<SharedStore> {
    if is_postgres(location) {
        return Ok(Arc::new(PostgisStore::open(location, mode).await?));
    }
    if mode == OpenMode::Replica {
        return Err(StoreError::Unsupported {
            what: format!(
                "{location} is not a postgres:// URL: read replicas are for the PostGIS store"
            ),
        });
    }
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location);
    Ok(Arc::new(SqliteStore::open(path, mode).await?))
}
