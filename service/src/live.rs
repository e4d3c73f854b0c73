//! What a running server holds in memory: the county snapshot with its tile data and
//! label points (computed once per snapshot), the incidents with their heat counts, the
//! tile cache, and the last change it reflects. [`Live::sync`] is the reload/purge
//! loop's step: it reads the change log, reloads once, and purges exactly the tiles
//! each change touched. Grid edits made through this server are shown by
//! [`Live::show_write`]: every edit waiting is shown at once, with one rebuild of the
//! indexes for a burst of edits. Incident changes made through this server are
//! applied one incident at a time ([`Live::incidents_changed`]); only those made by
//! another process make it reload the incidents.

use crate::county::BarrierIndex;
use crate::plan::PlanIssue;
use crate::{ServiceError, ServiceResult};
use gridmap_core::partition::PartitionParams;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Barrier, DivisionCode, Grid, GridCode, Staff};
use gridmap_store::{
    Change, ChangeMark, ChangeRecords, GridWrite, IncidentFilter, StaffGrids, Store, TileRequest,
};
use gridmap_tiles::incidents::{HeatQuery, IncidentIndex, IncidentMark};
use gridmap_tiles::layers::CameraTiles;
use gridmap_tiles::{
    encode_camera_tile, encode_incident_tile, encode_tile, CachedTile, Encoding, Layer, TileCache,
    TileCoord, TileData, TileKey, TileParams, MAX_ZOOM,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

/// One loaded state of the county.
pub struct LiveData {
    /// The snapshot with everything tiles need, precomputed.
    pub tiles: TileData,
    /// Label points of townships and villages (GeoJSON).
    pub labels: serde_json::Value,
    /// The partition parameters stored with this state (grid size flags use them).
    pub params: PartitionParams,
    /// The barriers (roads, rivers) grid edits redraw polygons along, and their index.
    pub barriers: Arc<Vec<Barrier>>,
    pub barrier_index: Arc<BarrierIndex>,
    /// The rules each village's plan breaks in this state, computed when first asked
    /// (an edit's answer needs them before and after).
    issues: Mutex<HashMap<DivisionCode, Arc<Vec<PlanIssue>>>>,
}

impl LiveData {
    /// Indexes `snapshot` for tiles and lookups (CPU-heavy: call off the async threads).
    pub fn new(snapshot: CountySnapshot, params: PartitionParams) -> LiveData {
        let labels = crate::labels::unit_labels(&snapshot);
        let tile_params = TileParams::with_grid_size(params.min, params.max)
            .with_comprehensive(params.comprehensive.map(|c| (c.min, c.max)));
        LiveData {
            tiles: TileData::new(Arc::new(snapshot), tile_params),
            labels,
            params,
            barriers: Arc::new(Vec::new()),
            barrier_index: Arc::default(),
            issues: Mutex::default(),
        }
    }

    /// With the barriers grid edits need.
    pub fn with_barriers(self, barriers: Vec<Barrier>) -> LiveData {
        LiveData {
            barrier_index: Arc::new(BarrierIndex::new(&barriers)),
            barriers: Arc::new(barriers),
            ..self
        }
    }

    /// This state after grid edits of `villages`: each one's grids replaced by its list
    /// and the staff lists `staff_grids` written; the building layer and its tile shapes
    /// are shared, not rebuilt, and the indexes are built once for all the villages
    /// (CPU-heavy for a county: call off the async threads).
    pub fn with_villages_grids(
        &self,
        villages: BTreeMap<DivisionCode, Vec<Grid>>,
        staff_grids: &[StaffGrids],
    ) -> LiveData {
        let snapshot = self.snapshot();
        let staff = (!staff_grids.is_empty()).then(|| {
            let mut staff = Vec::clone(&snapshot.staff);
            for update in staff_grids {
                if let Some(s) = staff.iter_mut().find(|s| s.id == update.staff) {
                    s.grids = update.grids.clone();
                }
            }
            staff
        });
        let codes: BTreeSet<DivisionCode> = villages.keys().cloned().collect();
        let next = Arc::new(snapshot.with_villages_grids(villages, staff));
        LiveData {
            tiles: self.tiles.with_villages_snapshot(next, &codes),
            labels: self.labels.clone(),
            params: self.params.clone(),
            barriers: Arc::clone(&self.barriers),
            barrier_index: Arc::clone(&self.barrier_index),
            issues: Mutex::default(),
        }
    }

    /// This state after the grid write `change` (logged with its grids before and after
    /// and the staff lists it wrote), village by village as an edit through this server
    /// shows it: the building layer shared, nothing re-read. `None` when the change wrote
    /// more than grids and staff lists (an import, partition parameters, a plain-SQL write
    /// logged without its rows) or touched more than [`MAX_VILLAGES_APPLIED`] villages:
    /// then a reload is right (and, for a county-wide partition, faster). The state must
    /// be the one just before the change. CPU-heavy: call off the async threads.
    pub fn after_grid_change(&self, change: &Change) -> Option<LiveData> {
        let writes_only_grids = |r: &ChangeRecords| {
            r.building_villages.is_empty()
                && r.rows.is_empty()
                && r.keys.is_empty()
                && r.partition_params.is_none()
                && r.other.is_none()
        };
        let (before, after) = (&change.before, &change.after);
        if !writes_only_grids(before) || !writes_only_grids(after) {
            return None;
        }
        let villages: BTreeSet<&DivisionCode> = before
            .grids
            .iter()
            .chain(&after.grids)
            .map(|g| &g.village)
            .collect();
        if villages.is_empty() || villages.len() > MAX_VILLAGES_APPLIED {
            return None;
        }
        // A grid the change replaced, unless the one held is newer than what the change
        // found (a later write was shown first): that one stays.
        let replaced: HashMap<&GridCode, u32> =
            before.grids.iter().map(|g| (&g.code, g.version)).collect();
        let gone = |g: &Grid| replaced.get(&g.code).is_some_and(|&v| g.version <= v);
        let grids = villages
            .into_iter()
            .map(|village| {
                let written = after.grids.iter().filter(|g| &g.village == village);
                let current = self.village_grids(village);
                let grids = grids_written(current, gone, written);
                (village.clone(), grids)
            })
            .collect();
        Some(self.with_villages_grids(grids, &after.staff_grids))
    }

    /// This state after `writes` (grid writes of one village each, in the order they
    /// were stored). The villages in `late` get their grids `reread` from the store
    /// instead, and the roster, when given, is the one read with them (a write of those
    /// villages came after a later one was shown). CPU-heavy: call off the async threads.
    fn after_writes(
        &self,
        writes: &[ShownWrite],
        late: &BTreeSet<DivisionCode>,
        reread: Vec<Grid>,
        roster: Option<Vec<Staff>>,
    ) -> LiveData {
        let mut villages: BTreeMap<DivisionCode, Vec<Grid>> =
            late.iter().map(|v| (v.clone(), Vec::new())).collect();
        for g in reread {
            if let Some(grids) = villages.get_mut(&g.village) {
                grids.push(g);
            }
        }
        let mut staff: Vec<StaffGrids> = Vec::new();
        for w in writes.iter().filter(|w| !late.contains(&w.village)) {
            let current = villages
                .remove(&w.village)
                .unwrap_or_else(|| self.village_grids(&w.village));
            let replaced = w.write.replace_villages.contains(&w.village);
            let gone = |g: &Grid| replaced || w.write.remove.contains(&g.code);
            let written = w.write.upsert.iter().filter(|g| g.village == w.village);
            villages.insert(w.village.clone(), grids_written(current, gone, written));
            for list in &w.write.staff_grids {
                staff.retain(|s| s.staff != list.staff);
                staff.push(list.clone());
            }
        }
        if let Some(roster) = roster {
            staff = roster
                .into_iter()
                .map(|s| StaffGrids {
                    staff: s.id,
                    grids: s.grids,
                })
                .collect();
        }
        self.with_villages_grids(villages, &staff)
    }

    /// The grids of `village` in this state.
    fn village_grids(&self, village: &DivisionCode) -> Vec<Grid> {
        let grids = self.snapshot().grids.iter();
        grids
            .filter(|g| &g.village == village)
            .map(|g| Grid::clone(g))
            .collect()
    }

    /// The rules the plan of `village` breaks in this state: remembered, or found by
    /// `find` and remembered.
    pub fn village_issues(
        &self,
        village: &DivisionCode,
        find: impl FnOnce() -> Vec<PlanIssue>,
    ) -> Arc<Vec<PlanIssue>> {
        let known = lock(&self.issues).get(village).cloned();
        known.unwrap_or_else(|| {
            let found = Arc::new(find());
            lock(&self.issues).insert(village.clone(), Arc::clone(&found));
            found
        })
    }

    pub fn snapshot(&self) -> &CountySnapshot {
        self.tiles.snapshot()
    }

    /// The attribution the data requires (OpenStreetMap's when any building comes
    /// from it).
    pub fn attribution(&self) -> &'static str {
        let osm = self
            .snapshot()
            .buildings
            .iter()
            .any(|b| b.source_id.starts_with("osm:"));
        if osm {
            "© OpenStreetMap contributors · gridmap"
        } else {
            "gridmap"
        }
    }
}

/// A village's grids `current` with those `gone` says removed and `written` put in,
/// sorted by code. A grid `current` holds at a higher version than the written one
/// stays: a later write was shown first.
fn grids_written<'a>(
    current: Vec<Grid>,
    gone: impl Fn(&Grid) -> bool,
    written: impl IntoIterator<Item = &'a Grid>,
) -> Vec<Grid> {
    let written: Vec<&Grid> = written.into_iter().collect();
    let rewritten: HashSet<&GridCode> = written.iter().map(|g| &g.code).collect();
    // A grid gone but written again is decided by its version below.
    let mut grids: BTreeMap<GridCode, Grid> = current
        .into_iter()
        .filter(|g| !gone(g) || rewritten.contains(&g.code))
        .map(|g| (g.code.clone(), g))
        .collect();
    for w in written {
        let newer_held = grids.get(&w.code).is_some_and(|h| h.version > w.version);
        if !newer_held {
            grids.insert(w.code.clone(), w.clone());
        }
    }
    grids.into_values().collect()
}

/// The one village grid write `write` stays inside, when it keeps the partition sizes
/// too (a grid edit, or its undo): such a write is shown by [`Live::show_write`]. `None`
/// for any other write (a reload shows it).
pub fn write_village(write: &GridWrite) -> Option<DivisionCode> {
    if write.partition_params.is_some() {
        return None;
    }
    let mut villages = write
        .upsert
        .iter()
        .map(|g| g.village.clone())
        .chain(write.remove.iter().map(GridCode::village))
        .chain(write.replace_villages.iter().cloned());
    let village = villages.next()?;
    villages.all(|v| v == village).then_some(village)
}

/// A grid write of one village (see [`write_village`]) stored through this server as
/// change `change`, to be shown: its tiles over `area` go.
#[derive(Debug, Clone)]
pub struct ShownWrite {
    pub change: i64,
    pub village: DivisionCode,
    pub write: GridWrite,
    pub area: Option<geo_types::Rect<f64>>,
}

impl ShownWrite {
    /// Whether this write can be shown after a later one of its village: it only puts
    /// grids in (a grid older than the one shown is skipped) and writes no staff list.
    fn commutes(&self) -> bool {
        let w = &self.write;
        w.replace_villages.is_empty() && w.remove.is_empty() && w.staff_grids.is_empty()
    }
}

/// The state after a grid edit, drawn from `base` while the store writes the edit (see
/// [`Live::prepare_village`]).
pub struct PreparedState {
    base: Arc<LiveData>,
    next: LiveData,
    village: DivisionCode,
}

impl PreparedState {
    /// Remembers the rules the edited village's plan breaks in the new state.
    pub fn remember_issues(&self, issues: Vec<PlanIssue>) {
        lock(&self.next.issues).insert(self.village.clone(), Arc::new(issues));
    }
}

/// A write waiting in [`Live::show_write`]'s queue, and where its outcome goes.
struct PendingShow {
    shown: ShownWrite,
    prepared: Option<PreparedState>,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// A grid write by another process touching more villages than this is shown by a
/// reload rather than village by village ([`LiveData::after_grid_change`]).
pub const MAX_VILLAGES_APPLIED: usize = 8;

/// What the store is asked for to draw tile `coord` as the in-memory layers are drawn
/// with `params` (extent, buffer, smallest feature kept).
pub fn store_tile_request(params: &TileParams, coord: TileCoord) -> TileRequest {
    TileRequest {
        z: coord.z(),
        x: coord.x(),
        y: coord.y(),
        extent: params.extent,
        buffer: params.buffer,
        min_feature: params.min_feature_px * f64::from(params.extent) / 256.0,
    }
}

/// Up to this many incidents in one change purge tiles one incident at a time.
const PURGE_ONE_BY_ONE: usize = 64;

/// The whole world, for purges of layers drawn everywhere.
fn everywhere() -> geo_types::Rect<f64> {
    geo_types::Rect::new((-180.0, -90.0), (180.0, 90.0))
}

/// The live state of a server.
pub struct Live {
    data: RwLock<Arc<LiveData>>,
    incidents: RwLock<IncidentIndex>,
    cameras: RwLock<Arc<CameraTiles>>,
    cache: TileCache,
    /// The last change reflected in `data`; the mutex also serialises reloads.
    last_change: tokio::sync::Mutex<i64>,
    /// Incident changes already applied here (by [`Live::incidents_changed`]), which
    /// [`Live::sync`] skips.
    applied: Mutex<HashSet<i64>>,
    /// Grid writes stored through this server waiting to be shown ([`Live::show_write`]).
    shows: Mutex<Vec<PendingShow>>,
    /// The newest grid write shown per village by [`Live::show_write`].
    shown_villages: Mutex<HashMap<DivisionCode, i64>>,
    /// How many times [`Live::sync`] reloaded the whole county.
    reloads: std::sync::atomic::AtomicU64,
}

/// The incidents of one write, indexed before the store has them (part by part, for
/// an import): what their tiles purge once the write ends — a few, the cells they fall in
/// at each zoom; more, their area.
#[derive(Debug, Default)]
pub struct IndexedWrite {
    count: usize,
    few: Vec<Vec<[f64; 4]>>,
    bbox: Option<[f64; 4]>,
}

impl IndexedWrite {
    fn note(&mut self, marks: &[IncidentMark]) {
        self.count += marks.len();
        if self.count <= PURGE_ONE_BY_ONE {
            let cells = marks
                .iter()
                .map(|m| IncidentIndex::touched(m.lon, m.lat, MAX_ZOOM));
            self.few.extend(cells);
        }
        let points = marks.iter().map(|m| [m.lon, m.lat, m.lon, m.lat]);
        self.bbox = gridmap_core::geometry::union_bbox(points.chain(self.bbox));
    }

    /// The area of the incidents noted.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        self.bbox
    }

    fn purges(&self) -> Vec<Vec<[f64; 4]>> {
        if self.count <= PURGE_ONE_BY_ONE {
            return self.few.clone();
        }
        self.bbox
            .map(|area| vec![IncidentIndex::touched_area(area)])
            .into_iter()
            .collect()
    }
}

/// Every stored incident, indexed for heat (CPU-heavy part off the async threads).
async fn load_incidents(store: &dyn Store) -> ServiceResult<IncidentIndex> {
    let page = store.list_incidents(&IncidentFilter::default()).await?;
    tokio::task::spawn_blocking(move || {
        IncidentIndex::from_marks(page.items.iter().map(IncidentMark::from))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("indexing incidents: {e}")))
}

async fn load_cameras(store: &dyn Store) -> ServiceResult<CameraTiles> {
    let cameras = store.cameras().await?;
    tokio::task::spawn_blocking(move || CameraTiles::new(cameras))
        .await
        .map_err(|e| ServiceError::Internal(format!("indexing cameras: {e}")))
}

/// The incidents `changes` wrote, read back by id; `None` when a change does not name
/// them (logged by an older version): then only a full reload is right.
async fn changed_incidents(
    store: &dyn Store,
    changes: &[ChangeMark],
) -> ServiceResult<Option<Vec<IncidentMark>>> {
    let mut ids = Vec::new();
    for mark in changes {
        let named = store.change(mark.id).await?.and_then(|c| c.incident_ids());
        let Some(named) = named else {
            return Ok(None);
        };
        ids.extend(named);
    }
    ids.sort_unstable();
    ids.dedup();
    let incidents = store.incidents_by_id(&ids).await?;
    Ok(Some(incidents.iter().map(IncidentMark::from).collect()))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn load(store: &dyn Store) -> ServiceResult<LiveData> {
    let snapshot = store.load_snapshot().await?;
    let params = store.partition_params().await?.unwrap_or_default();
    let barriers = store.barriers().await?;
    tokio::task::spawn_blocking(move || LiveData::new(snapshot, params).with_barriers(barriers))
        .await
        .map_err(|e| ServiceError::Internal(format!("indexing the county: {e}")))
}

impl Live {
    /// Loads the county from `store` with a tile cache of `cache_bytes`.
    pub async fn load(store: &dyn Store, cache_bytes: usize) -> ServiceResult<Live> {
        let last_change = store.last_change().await?;
        let data = load(store).await?;
        let incidents = load_incidents(store).await?;
        let cameras = load_cameras(store).await?;
        let buffer = data.tiles.params().buffer_fraction();
        Ok(Live {
            data: RwLock::new(Arc::new(data)),
            incidents: RwLock::new(incidents),
            cameras: RwLock::new(Arc::new(cameras)),
            cache: TileCache::with_buffer(cache_bytes, buffer),
            last_change: tokio::sync::Mutex::new(last_change),
            applied: Mutex::new(HashSet::new()),
            shows: Mutex::default(),
            shown_villages: Mutex::default(),
            reloads: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The current state.
    pub fn data(&self) -> Arc<LiveData> {
        Arc::clone(&read(&self.data))
    }

    /// Runs `f` over the incidents (a read lock: keep `f` short, no awaits).
    pub fn with_incidents<T>(&self, f: impl FnOnce(&IncidentIndex) -> T) -> T {
        f(&read(&self.incidents))
    }

    /// Applies incidents that change `change` stored through this server: updates their
    /// heat and points and purges the heat and incident tiles each one shows in.
    pub fn incidents_changed(&self, change: i64, marks: Vec<IncidentMark>) {
        let mut indexed = IndexedWrite::default();
        self.index_unwritten(marks, &mut indexed);
        self.stored(change, &indexed.purges());
    }

    /// Indexes incidents a write in progress is storing (CPU-heavy for a batch: call off
    /// the async threads), so indexing runs while the store writes; `indexed` gathers
    /// what [`Live::finish_write`] purges.
    pub fn index_unwritten(&self, marks: Vec<IncidentMark>, indexed: &mut IndexedWrite) {
        indexed.note(&marks);
        self.index(marks);
    }

    /// Ends a write whose incidents were indexed by [`Live::index_unwritten`]: `written`
    /// is its result and change id. Stored, their tiles are purged; refused, the
    /// incidents are read again from the store, so the index never keeps what the store
    /// refused (tiles may show them for that moment).
    pub async fn finish_write<T>(
        &self,
        store: &dyn Store,
        written: ServiceResult<(T, i64)>,
        indexed: IndexedWrite,
    ) -> ServiceResult<T> {
        let purges = indexed.purges();
        match written {
            Ok((value, change)) => {
                self.stored(change, &purges);
                Ok(value)
            }
            Err(e) => {
                let index = load_incidents(store).await?;
                *write(&self.incidents) = index;
                self.purge(&purges);
                Err(e)
            }
        }
    }

    fn index(&self, marks: Vec<IncidentMark>) {
        let mut index = write(&self.incidents);
        if marks.len() <= PURGE_ONE_BY_ONE {
            for m in marks {
                index.upsert(m);
            }
        } else {
            index.upsert_many(marks);
        }
    }

    /// After the index is updated, as the cache docs require.
    fn purge(&self, purges: &[Vec<[f64; 4]>]) {
        for boxes in purges {
            self.cache
                .invalidate_by_zoom(&[Layer::Heat, Layer::Incidents], boxes);
        }
    }

    fn stored(&self, change: i64, purges: &[Vec<[f64; 4]>]) {
        self.purge(purges);
        self.applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(change);
    }

    /// The incident-layer tile `coord` (`heat`, `incidents`) for `query`, judged at
    /// `now`, from the cache or drawn off the async threads.
    pub async fn incident_tile(
        self: &Arc<Self>,
        layers: &[Layer],
        coord: TileCoord,
        query: HeatQuery,
        now: i64,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        // The overdue flag changes with time: the minute is part of the key.
        let key = TileKey::with_query(layers, coord, format!("{};{}", query.cache_key(), now / 60));
        self.cached_or_drawn(key, encoding, move |live, key| {
            let params = live.data().tiles.params().clone();
            let index = read(&live.incidents);
            Ok(encode_incident_tile(
                &index,
                &key.layers,
                key.coord,
                &query,
                now,
                &params,
            ))
        })
        .await
    }

    /// The `cameras` tile `coord`, from the cache or drawn off the async threads.
    pub async fn camera_tile(
        self: &Arc<Self>,
        coord: TileCoord,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        let key = TileKey::new(&[Layer::Cameras], coord);
        self.cached_or_drawn(key, encoding, move |live, key| {
            let params = live.data().tiles.params().clone();
            let cameras = Arc::clone(&read(&live.cameras));
            Ok(encode_camera_tile(
                &cameras,
                &key.layers,
                key.coord,
                &params,
            ))
        })
        .await
    }

    /// The tile `key` in `encoding` from the cache, or drawn by `draw` (and compressed)
    /// off the async threads; says whether the cache had it.
    async fn cached_or_drawn(
        self: &Arc<Self>,
        key: TileKey,
        encoding: Encoding,
        draw: impl FnOnce(&Live, &TileKey) -> gridmap_tiles::TileResult<Vec<u8>> + Send + 'static,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        let cached = self.cache.get(&key);
        let hit = cached.is_some();
        // A cached tile may still lack this encoding: it is compressed once, like a render.
        if let Some(tile) = cached.filter(|t| t.encoded(encoding).is_some()) {
            return Ok((tile, hit));
        }
        let live = Arc::clone(self);
        let tile = tokio::task::spawn_blocking(move || {
            live.cache
                .get_or_render_as(&key, encoding, || draw(&live, &key))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("drawing a tile: {e}")))??;
        Ok((tile, hit))
    }

    /// Purges the county's tiles (not the incident layers, which do not depend on it)
    /// over `area`, or all of them.
    fn purge_county(&self, area: Option<geo_types::Rect<f64>>) {
        match area {
            Some(area) => {
                let county: Vec<Layer> = Layer::ALL
                    .into_iter()
                    .filter(|l| l.is_county_layer())
                    .collect();
                self.cache.invalidate(&county, area);
            }
            None => self.cache.clear(),
        }
    }

    /// The state after a grid edit of `village` (its grids then `grids`, the staff
    /// lists `staff_grids` written), drawn from the current one off the async threads:
    /// an edit prepares it while the store writes the edit, then gives it to
    /// [`Live::show_write`], which uses it when nothing was shown meanwhile.
    pub async fn prepare_village(
        &self,
        village: DivisionCode,
        grids: Vec<Grid>,
        staff_grids: Vec<StaffGrids>,
    ) -> ServiceResult<PreparedState> {
        let base = self.data();
        let from = Arc::clone(&base);
        let edited = BTreeMap::from([(village.clone(), grids)]);
        let next =
            tokio::task::spawn_blocking(move || from.with_villages_grids(edited, &staff_grids))
                .await
                .map_err(|e| ServiceError::Internal(format!("showing a grid edit: {e}")))?;
        Ok(PreparedState {
            base,
            next,
            village,
        })
    }

    /// Shows grid write `shown`, stored through this server: its village's grids and
    /// the staff lists it wrote are swapped into the live state (the building layer
    /// shared, nothing re-read) and the county's tiles over its area purged;
    /// [`Live::sync`] then skips the change. `prepared`, the state an edit drew while
    /// it was stored, is used when the live state has not changed since.
    ///
    /// Writes arriving together are shown together: each waits in a queue, and the
    /// first to get the turn (serialised with reloads) shows every write waiting, in
    /// the order they were stored, with one rebuild of the indexes; the others find
    /// theirs done. A burst of edits then costs one rebuild, not one per edit in a row.
    /// A write reaching the queue after a later write of its village was shown is
    /// shown by reading that village from the store, unless it only puts grids in.
    pub async fn show_write(
        &self,
        store: &dyn Store,
        shown: ShownWrite,
        prepared: Option<PreparedState>,
    ) -> ServiceResult<()> {
        let (done, mut outcome) = tokio::sync::oneshot::channel();
        lock(&self.shows).push(PendingShow {
            shown,
            prepared,
            done,
        });
        let last = self.last_change.lock().await;
        match outcome.try_recv() {
            Ok(result) => return result.map_err(ServiceError::Internal),
            // Whoever took it was stopped (its request dropped) before showing it: the
            // change log still has it, and a sync shows it.
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                drop(last);
                return self.sync(store).await.map(drop);
            }
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {}
        }
        let batch = std::mem::take(&mut *lock(&self.shows));
        let (pending, senders): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|p| ((p.shown, p.prepared), p.done))
            .unzip();
        let result = self.show_batch(store, *last, pending).await;
        let message = result.as_ref().map_err(ToString::to_string).copied();
        for sender in senders {
            // Ours among them: its receiver is `outcome`, dropped unread.
            let _ = sender.send(message.clone());
        }
        drop(last);
        result
    }

    /// Shows `pending` (see [`Live::show_write`]); `synced` is the newest change the
    /// last sync showed. Called with the reload lock held.
    async fn show_batch(
        &self,
        store: &dyn Store,
        synced: i64,
        mut pending: Vec<(ShownWrite, Option<PreparedState>)>,
    ) -> ServiceResult<()> {
        // A change a sync already showed (it read the log before the write got here)
        // is shown.
        pending.retain(|(w, _)| w.change > synced);
        pending.sort_by_key(|(w, _)| w.change);
        if pending.is_empty() {
            return Ok(());
        }
        let current = self.data();
        let late: BTreeSet<DivisionCode> = {
            let shown = lock(&self.shown_villages);
            pending
                .iter()
                .map(|(w, _)| w)
                .filter(|w| shown.get(&w.village).is_some_and(|&s| s > w.change))
                .filter(|w| !w.commutes())
                .map(|w| w.village.clone())
                .collect()
        };
        let (reread, roster) = if late.is_empty() {
            (Vec::new(), None)
        } else {
            let grids = store.grids().await?;
            let grids = grids.into_iter().filter(|g| late.contains(&g.village));
            (grids.collect(), Some(store.staff().await?))
        };
        let (writes, mut prepared): (Vec<ShownWrite>, Vec<Option<PreparedState>>) =
            pending.into_iter().unzip();
        let only = match prepared.as_mut_slice() {
            [prepared] if late.is_empty() => prepared
                .take()
                .filter(|p| Arc::ptr_eq(&p.base, &current))
                .map(|p| p.next),
            _ => None,
        };
        let (next, writes) = match only {
            Some(next) => (next, writes),
            None => tokio::task::spawn_blocking(move || {
                let next = current.after_writes(&writes, &late, reread, roster);
                (next, writes)
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("showing grid edits: {e}")))?,
        };
        // The townships' grid counts changed too: their tiles all over them go.
        let townships: Vec<geo_types::Rect<f64>> = writes
            .iter()
            .map(|w| w.village.township())
            .collect::<BTreeSet<_>>()
            .iter()
            .filter_map(|t| next.snapshot().admin_unit(t))
            .filter_map(|t| geo::BoundingRect::bounding_rect(&t.boundary))
            .collect();
        *write(&self.data) = Arc::new(next);
        for w in &writes {
            self.purge_county(w.area);
        }
        for township in townships {
            self.cache.invalidate(&[Layer::Townships], township);
        }
        let mut shown = lock(&self.shown_villages);
        let mut applied = lock(&self.applied);
        for w in writes {
            applied.insert(w.change);
            let last = shown.entry(w.village).or_insert(w.change);
            *last = (*last).max(w.change);
        }
        Ok(())
    }

    /// How many times [`Live::sync`] reloaded the whole county (grid edits by other
    /// processes are shown village by village instead).
    pub fn reloads(&self) -> u64 {
        self.reloads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The current state after `changes` (in order), when every one is a grid write
    /// [`LiveData::after_grid_change`] can show; `None` when a reload is needed.
    async fn after_grid_changes(
        &self,
        store: &dyn Store,
        changes: &[ChangeMark],
    ) -> ServiceResult<Option<LiveData>> {
        let mut logged = Vec::with_capacity(changes.len());
        for mark in changes {
            match store.change(mark.id).await? {
                Some(change) => logged.push(change),
                None => return Ok(None),
            }
        }
        let base = self.data();
        tokio::task::spawn_blocking(move || {
            let mut next: Option<LiveData> = None;
            for change in &logged {
                let current = next.as_ref().unwrap_or(&base);
                next = Some(current.after_grid_change(change)?);
            }
            next
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("showing grid changes: {e}")))
    }

    pub fn cache(&self) -> &TileCache {
        &self.cache
    }

    /// The tile `key` with a body in `encoding`, from the cache or drawn (and compressed)
    /// off the async threads; says whether the cache had it.
    pub async fn tile(
        self: &Arc<Self>,
        key: TileKey,
        encoding: Encoding,
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        self.cached_or_drawn(key, encoding, |live, key| {
            encode_tile(&live.data().tiles, &key.layers, key.coord)
        })
        .await
    }

    /// The tile `key` as [`Live::tile`], but the layers in `in_store` drawn by `store`
    /// (one query: [`TileStore::draw_tile`]) and the others from memory. The two parts
    /// are encoded MVT messages of their own layers: one after the other they are one
    /// message with every layer (a tile is a repeated field of layers).
    pub async fn tile_from_store(
        self: &Arc<Self>,
        key: TileKey,
        encoding: Encoding,
        store: &dyn Store,
        in_store: &[Layer],
    ) -> ServiceResult<(Arc<CachedTile>, bool)> {
        if in_store.is_empty() {
            return self.tile(key, encoding).await;
        }
        let coord = key.coord;
        let (from_store, in_memory): (Vec<Layer>, Vec<Layer>) = key
            .layers
            .iter()
            .filter(|l| coord.z() >= l.min_zoom())
            .partition(|l| in_store.contains(l));
        if from_store.is_empty() {
            return self.tile(key, encoding).await;
        }
        if let Some(tile) = self
            .cache
            .get(&key)
            .filter(|t| t.encoded(encoding).is_some())
        {
            return Ok((tile, true));
        }
        let names: Vec<&str> = from_store.iter().map(|l| l.name()).collect();
        let request = store_tile_request(self.data().tiles.params(), coord);
        let drawn = store.draw_tile(&names, &request).await?;
        self.cached_or_drawn(key, encoding, move |live, key| {
            let mut bytes = if in_memory.is_empty() {
                Vec::new()
            } else {
                encode_tile(&live.data().tiles, &in_memory, key.coord)?
            };
            bytes.extend_from_slice(&drawn);
            Ok(bytes)
        })
        .await
    }

    /// Picks up changes logged since the last sync (by this server or another process,
    /// e.g. `gridmap partition --village`): re-reads the incidents that incident changes
    /// name, reloads the county once for the others, and purges the cached tiles in
    /// each change's area (all of them for a change without one). Returns how many.
    pub async fn sync(&self, store: &dyn Store) -> ServiceResult<usize> {
        let mut last = self.last_change.lock().await;
        let mut changes = store.changes_since(*last).await?;
        let Some(newest) = changes.last().map(|c| c.id) else {
            return Ok(0);
        };
        let count = changes.len();
        {
            let mut applied = self
                .applied
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            changes.retain(|c| !applied.remove(&c.id));
        }
        // A plan version saved or deleted is a note in the log, and household tags are in
        // no tile and not in memory: nothing to reload.
        changes.retain(|c| !c.versions_only && !c.tags_only);
        let (camera_changes, changes): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|c| c.cameras_only);
        if !camera_changes.is_empty() {
            let cameras = load_cameras(store).await?;
            *write(&self.cameras) = Arc::new(cameras);
            self.cache.invalidate(&[Layer::Cameras], everywhere());
        }
        let (incident_changes, changes): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|c| c.incidents_only);
        if !incident_changes.is_empty() {
            match changed_incidents(store, &incident_changes).await? {
                // Only the incidents the changes wrote (an import's batch is indexed
                // in a fraction of a second; a full reload re-reads every incident).
                Some(marks) => self.index(marks),
                None => {
                    let index = load_incidents(store).await?;
                    *write(&self.incidents) = index;
                }
            }
            let whole_world = [0.0, 0.0, 1.0, 1.0];
            let areas: Vec<Vec<[f64; 4]>> = incident_changes
                .iter()
                .map(|c| vec![c.bbox.map_or(whole_world, IncidentIndex::touched_area)])
                .collect();
            self.purge(&areas);
        }
        if changes.is_empty() {
            *last = newest;
            return Ok(count);
        }
        let data = match self.after_grid_changes(store, &changes).await? {
            Some(data) => data,
            None => {
                self.reloads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                load(store).await?
            }
        };
        *write(&self.data) = Arc::new(data);
        for change in &changes {
            let area = change
                .bbox
                .map(|[a, b, c, d]| geo_types::Rect::new((a, b), (c, d)));
            self.purge_county(area);
        }
        // A change's area holds what it wrote, but the household and grid counts of the
        // villages and townships around it changed everywhere they are drawn.
        self.cache
            .invalidate(&[Layer::Townships, Layer::Villages], everywhere());
        *last = newest;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(code: &str, version: u32) -> Grid {
        let code: GridCode = code.parse().unwrap();
        Grid {
            level: Grid::MICRO,
            parent: None,
            village: code.village(),
            code,
            members: Vec::new(),
            households: 0,
            polygon: geo_types::MultiPolygon(Vec::new()),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version,
        }
    }

    fn codes_and_versions(grids: &[Grid]) -> Vec<(String, u32)> {
        grids
            .iter()
            .map(|g| (g.code.to_string(), g.version))
            .collect()
    }

    #[test]
    fn an_older_change_shown_after_a_newer_write_does_not_roll_its_grids_back() {
        // Shown already: a newer write re-drew grid 002 (version 4) and kept 001.
        let current = vec![grid("411622101201-001", 3), grid("411622101201-002", 4)];
        // An older change, reaching this server later, replaced both from versions 3
        // and 3 and wrote 001 at version 4.
        let replaced = HashMap::from([
            ("411622101201-001".parse::<GridCode>().unwrap(), 3),
            ("411622101201-002".parse::<GridCode>().unwrap(), 3),
        ]);
        let gone = |g: &Grid| replaced.get(&g.code).is_some_and(|&v| g.version <= v);
        let written = [grid("411622101201-001", 4)];
        let shown = grids_written(current, gone, &written);
        assert_eq!(
            codes_and_versions(&shown),
            [
                ("411622101201-001".to_owned(), 4),
                ("411622101201-002".to_owned(), 4)
            ],
            "001 takes the change, 002 keeps the newer write"
        );
        // Without the newer write, the change removes 002 as it did.
        let current = vec![grid("411622101201-001", 3), grid("411622101201-002", 3)];
        let shown = grids_written(current, gone, &written);
        assert_eq!(
            codes_and_versions(&shown),
            [("411622101201-001".to_owned(), 4)]
        );
    }
}
