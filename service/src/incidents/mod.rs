//! The incident loop's use cases: report (with the grid, village and township found by
//! point-in-grid), transitions, lists and details, statistics, imports with a category
//! mapping, and the event feed live clients subscribe to. The rules are
//! `gridmap_core::incident`'s; this module decides access and stores.

mod board;
mod config;
mod events;
mod import;
pub mod open311;
mod stats;
mod views;

pub use board::{
    window_seconds, AreaFigures, AreaRef, CategoryFigures, IncidentSummary, SummaryQuery, TrendDay,
};
pub use config::IncidentConfig;
pub use events::{IncidentEvent, IncidentPoint, EVENT_BUFFER};
pub use import::{CategoryMap, IncidentImport};
pub use stats::{stats_csv, stats_xlsx, StatsFormat, StatsRow};
pub use views::{DeadlineView, IncidentDetail, IncidentList, IncidentView, TransitionView};

use crate::{Caller, Service, ServiceError, ServiceResult};
use geo::Contains;
use geo_types::{Point, Rect};
use gridmap_core::incident::{
    apply, escalation_due, report_transition, start_clock, IncidentAction, TransitionError,
    TransitionInput,
};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminLevel, DivisionCode, GridCode, Incident, IncidentStatus};
use gridmap_store::{ChangeMeta, IncidentFields, IncidentFilter, IncidentPage, INCIDENT_OPERATION};
use gridmap_tiles::coord::lonlat_to_world;
use gridmap_tiles::incidents::{IncidentIndex, IncidentMark, MarkRef};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};

/// The loop's settings and the event feed of a running service.
pub(crate) struct Incidents {
    config: RwLock<Arc<IncidentConfig>>,
    events: broadcast::Sender<IncidentEvent>,
    serial: AtomicU32,
}

impl Default for Incidents {
    fn default() -> Incidents {
        Incidents {
            config: RwLock::new(Arc::new(IncidentConfig::default())),
            events: broadcast::channel(EVENT_BUFFER).0,
            // Processes start their serials apart, so ids rarely need a second try.
            serial: AtomicU32::new(std::process::id() % 10_000),
        }
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The id of a report a device names by `client_id`: `R` + the local date and time it
/// was filed + `C` + 8 hex digits of a hash of the reporter and the client id, the same
/// whenever it is sent again (and across server versions: SHA-256, not Rust's hasher).
///
/// ```
/// use gridmap_service::incidents::client_incident_id;
/// let id = client_incident_id("staff01", "7f1c9a52-0d3e-4b8e-9a51-3c2d1e0f4a6b", Some(1_764_806_400)).unwrap();
/// assert!(id.starts_with("R20251204080000C"), "{id}");
/// assert_eq!(id, client_incident_id("staff01", "7f1c9a52-0d3e-4b8e-9a51-3c2d1e0f4a6b", Some(1_764_806_400)).unwrap());
/// assert_ne!(id, client_incident_id("staff02", "7f1c9a52-0d3e-4b8e-9a51-3c2d1e0f4a6b", Some(1_764_806_400)).unwrap());
/// assert!(client_incident_id("staff01", "x", Some(1)).is_err(), "too short to be unique");
/// assert!(client_incident_id("staff01", "7f1c9a52-0d3e-4b8e-9a51-3c2d1e0f4a6b", None).is_err(), "no time");
/// ```
pub fn client_incident_id(
    actor: &str,
    client_id: &str,
    time: Option<i64>,
) -> ServiceResult<String> {
    use sha2::{Digest, Sha256};
    crate::visits::check_client_id(client_id, "client_id")?;
    let time = time.ok_or_else(|| {
        bad("a report with a client_id needs its `time` (unix seconds when it was filed)")
    })?;
    let local = gridmap_core::time::format_utc(time + gridmap_core::time::CST_OFFSET);
    let digits: String = local.chars().filter(char::is_ascii_digit).collect();
    let hash = Sha256::digest(format!("{actor}\n{client_id}").as_bytes());
    Ok(format!("R{digits}C{}", hex::encode(&hash[..4])))
}

/// A new incident as a staff member or a resident reports it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReportRequest {
    /// A type (or group) of the taxonomy: code, Chinese or English name.
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    pub description: Option<String>,
    pub address: Option<String>,
    /// Personal data: shown to staff only.
    pub reporter: Option<String>,
    /// Personal data: shown to staff only.
    pub reporter_phone: Option<String>,
    /// Intake channel (`patrol`, `hotline`, …); `api` by default.
    pub source: Option<String>,
    /// Unix seconds of the report (default now).
    pub time: Option<i64>,
    /// Photos of the report (at most nine): each sent before (`PUT /api/photos/{id}`) and
    /// named `api/photos/{id}`, or a URL in the system a relayed report came from.
    #[serde(default)]
    pub photos: Vec<String>,
    /// An id the reporting device made for this report (a UUID), so a report sent again
    /// (a phone's queue that never saw the answer) is stored once: the same caller's
    /// report with the same `client_id` and `time` answers the stored incident. Needs
    /// `time`, the moment it was filed on the device.
    pub client_id: Option<String>,
}

/// One move of the loop.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// `{"action": "dispatch", "assignee": {"kind": "staff", "id": "S001"}}`,
    /// `{"action": "evaluate", "rating": 5}`, `{"action": "accept"}`…
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub action: IncidentAction,
    /// Who acts (a staff id); the caller's role when absent.
    pub actor: Option<String>,
    pub note: Option<String>,
    /// Photos of this step (a fixed pothole, a mediation's record), as in a report.
    #[serde(default)]
    pub photos: Vec<String>,
    /// The version the caller saw: a different stored version is a conflict (409).
    pub version: Option<u32>,
}

/// Filters of an incident list (every field optional).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// `min_lon,min_lat,max_lon,max_lat`
    pub bbox: Option<String>,
    /// Reported at or after (Unix seconds).
    pub from: Option<i64>,
    /// Reported before (Unix seconds).
    pub to: Option<i64>,
    /// Comma list of group or type codes.
    pub category: Option<String>,
    /// Comma list of statuses.
    pub status: Option<String>,
    /// Only incidents overdue now.
    pub overdue: Option<bool>,
    pub grid: Option<String>,
    pub village: Option<String>,
    pub township: Option<String>,
    /// `staff:ID` or `department:NAME`.
    pub assignee: Option<String>,
    pub offset: Option<u64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u64>,
}

fn bad(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::BadInput(e.to_string())
}

impl IncidentQuery {
    /// The store's filter; `now` decides what is overdue.
    pub fn filter(&self, now: i64) -> ServiceResult<IncidentFilter> {
        let list = |s: &Option<String>| -> Vec<String> {
            s.as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let bbox = match &self.bbox {
            None => None,
            Some(b) => {
                let v: Vec<f64> = b
                    .split(',')
                    .map(|x| x.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        bad(format!(
                            "bbox {b:?}: expected min_lon,min_lat,max_lon,max_lat"
                        ))
                    })?;
                match v[..] {
                    [a, b, c, d] if a <= c && b <= d => Some([a, b, c, d]),
                    _ => {
                        return Err(bad(format!(
                            "bbox {b:?}: expected min_lon,min_lat,max_lon,max_lat"
                        )))
                    }
                }
            }
        };
        let code = |s: &Option<String>| -> ServiceResult<Option<DivisionCode>> {
            s.as_deref().map(|c| c.parse().map_err(bad)).transpose()
        };
        Ok(IncidentFilter {
            bbox,
            from: self.from,
            to: self.to,
            categories: list(&self.category),
            statuses: list(&self.status)
                .iter()
                .map(|s| s.parse::<IncidentStatus>().map_err(bad))
                .collect::<ServiceResult<_>>()?,
            overdue_at: self.overdue.unwrap_or(false).then_some(now),
            grid: self
                .grid
                .as_deref()
                .map(|g| g.parse::<GridCode>().map_err(bad))
                .transpose()?,
            village: code(&self.village)?,
            township: code(&self.township)?,
            assignee: self.assignee.clone(),
            scope: None,
            offset: self.offset.unwrap_or(0),
            limit: Some(self.limit.unwrap_or(100).clamp(1, 1000)),
        })
    }
}

/// The grid, village and township at `p`: the grid whose polygon holds it, else the
/// village whose boundary does.
pub fn place_of(
    snap: &CountySnapshot,
    p: Point<f64>,
) -> (Option<GridCode>, Option<DivisionCode>, Option<DivisionCode>) {
    let here = Rect::new(p.0, p.0);
    let grid = snap
        .grids_in(here)
        .filter_map(|i| snap.grids.get(i))
        .filter(|g| g.polygon.contains(&p))
        .map(|g| (g.code.clone(), g.village.clone()))
        .min();
    let village = grid.as_ref().map(|g| g.1.clone()).or_else(|| {
        snap.admin_units_of_level_in(AdminLevel::Village, here)
            .filter_map(|i| snap.admin_units.get(i))
            .filter(|u| u.boundary.contains(&p))
            .map(|u| u.code.clone())
            .min()
    });
    let township = village.as_ref().map(|v| v.township()).or_else(|| {
        snap.admin_units_of_level_in(AdminLevel::Township, here)
            .filter_map(|i| snap.admin_units.get(i))
            .filter(|u| u.boundary.contains(&p))
            .map(|u| u.code.clone())
            .min()
    });
    (grid.map(|g| g.0), village, township)
}

fn transition_error(e: TransitionError) -> ServiceError {
    match e {
        e @ TransitionError::Illegal { .. } => ServiceError::Conflict(e.to_string()),
        other => ServiceError::BadInput(other.to_string()),
    }
}

impl Service {
    fn incidents(&self) -> &Incidents {
        &self.inner.incidents
    }

    /// The loop's settings in force.
    pub fn incident_config(&self) -> Arc<IncidentConfig> {
        match self.incidents().config.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the taxonomy and calendar (from `gridmap serve --taxonomy/--calendar`).
    pub fn set_incident_config(&self, config: IncidentConfig) {
        match self.incidents().config.write() {
            Ok(mut c) => *c = Arc::new(config),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(config),
        }
    }

    /// A feed of every new incident and every transition from now on.
    pub fn incident_events(&self) -> broadcast::Receiver<IncidentEvent> {
        self.incidents().events.subscribe()
    }

    fn publish(&self, event: IncidentEvent) {
        // No subscriber is not an error.
        let _ = self.incidents().events.send(event);
    }

    /// A new id: `R` + local date and time of the report + a serial.
    fn new_incident_id(&self, time: i64) -> String {
        let n = self.incidents().serial.fetch_add(1, Ordering::Relaxed) % 10_000;
        let local = gridmap_core::time::format_utc(time + gridmap_core::time::CST_OFFSET);
        let digits: String = local.chars().filter(char::is_ascii_digit).collect();
        format!("R{digits}{n:04}")
    }

    /// A new id no stored incident has: another process (a second server, an import)
    /// numbers its reports of the same second from its own serial, and reports are
    /// stored by id, so a taken id would overwrite someone's report.
    async fn unused_incident_id(&self, time: i64) -> ServiceResult<String> {
        for _ in 0..16 {
            let id = self.new_incident_id(time);
            if self.store().incident(&id).await?.is_none() {
                return Ok(id);
            }
        }
        Err(ServiceError::Internal(format!(
            "no free incident id for {time} after 16 tries"
        )))
    }

    /// The incident stored under `id` when it is `caller`'s report (sent again); a
    /// conflict when someone else's report holds the id (a client id reused).
    async fn report_sent_again(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Option<Incident>> {
        let Some(stored) = self.store().incident(id).await? else {
            return Ok(None);
        };
        let timeline = self.store().incident_timeline(id).await?;
        if timeline.first().is_some_and(|t| t.actor == caller.actor()) {
            Ok(Some(stored))
        } else {
            Err(ServiceError::Conflict(format!(
                "incident {id} was reported by someone else: make a new client_id for a new report"
            )))
        }
    }

    /// Reports an incident as staff (`POST /api/incidents`).
    pub async fn report_incident(
        &self,
        caller: &Caller,
        request: &ReportRequest,
    ) -> ServiceResult<IncidentView> {
        let (grid, village, _) =
            place_of(self.data().snapshot(), Point::new(request.lon, request.lat));
        caller.may_work_incident(village.as_ref(), grid.as_ref())?;
        self.report(caller, request, "api").await
    }

    /// Reports an incident from anyone (Open311 clients, the 12345 hotline bridge).
    pub async fn report_incident_public(
        &self,
        caller: &Caller,
        request: &ReportRequest,
    ) -> ServiceResult<IncidentView> {
        self.report(caller, request, "open311").await
    }

    async fn report(
        &self,
        caller: &Caller,
        request: &ReportRequest,
        channel: &str,
    ) -> ServiceResult<IncidentView> {
        let config = self.incident_config();
        let (lon, lat) = (request.lon, request.lat);
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            return Err(bad(format!("lon={lon} lat={lat} is not a WGS84 position")));
        }
        let ty = config.taxonomy.type_of(&request.category, None).ok_or_else(|| {
            bad(format!(
                "unknown category {:?}: use a type code or name of the taxonomy (GET /open311/v2/services.json)",
                request.category
            ))
        })?;
        let now = now();
        let time = request.time.unwrap_or(now);
        let id = match &request.client_id {
            Some(client_id) => {
                let id = client_incident_id(caller.actor(), client_id, request.time)?;
                if let Some(stored) = self.report_sent_again(caller, &id).await? {
                    let mut view = views::incident_view(&stored, caller, &config, now);
                    view.repeated = true;
                    return Ok(view);
                }
                id
            }
            None => self.unused_incident_id(time).await?,
        };
        let p = Point::new(lon, lat);
        let (grid, village, township) = place_of(self.data().snapshot(), p);
        let source = request
            .source
            .clone()
            .filter(|_| caller.is_signed_in())
            .unwrap_or_else(|| channel.to_owned());
        let mut incident = Incident {
            subcategory: Some(ty.code.to_owned()),
            description: request.description.clone(),
            address: request.address.clone(),
            reporter: request.reporter.clone(),
            reporter_phone: request.reporter_phone.clone(),
            source: Some(source),
            grid,
            village,
            township,
            ..Incident::new(id, time, ty.group.code.clone(), p)
        };
        start_clock(&mut incident, config.rules());
        let mut report = report_transition(&incident, caller.actor());
        report.photos =
            crate::photos::check_references(self.store().as_ref(), &request.photos).await?;
        let meta = ChangeMeta::new(
            caller.actor(),
            format!("{INCIDENT_OPERATION}report {}", incident.id),
        );
        let (_, change) = self
            .store()
            .add_incidents(std::slice::from_ref(&incident), &[report], &meta)
            .await?;
        self.live()
            .incidents_changed(change, vec![IncidentMark::from(&incident)]);
        self.publish(IncidentEvent::Reported {
            incident: IncidentPoint::from(&incident),
            at: now,
        });
        Ok(views::incident_view(&incident, caller, &config, now))
    }

    /// One incident with its timeline.
    pub async fn incident_detail(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<IncidentDetail> {
        let store = self.store();
        let incident = store
            .incident(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no incident {id:?}")))?;
        caller.may_look_at(incident.village.as_ref(), incident.grid.as_ref())?;
        let timeline = store.incident_timeline(id).await?;
        let config = self.incident_config();
        let staff =
            caller.sees_personal_data_at(incident.village.as_ref(), incident.grid.as_slice());
        Ok(IncidentDetail {
            incident: views::incident_view(&incident, caller, &config, now()),
            timeline: timeline
                .iter()
                .map(|t| views::transition_view(t, staff))
                .collect(),
        })
    }

    /// Moves an incident in the loop (staff and operators only).
    pub async fn transition_incident(
        &self,
        caller: &Caller,
        id: &str,
        request: &TransitionRequest,
    ) -> ServiceResult<IncidentDetail> {
        let incident = self
            .store()
            .incident(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no incident {id:?}")))?;
        caller.may_work_incident(incident.village.as_ref(), incident.grid.as_ref())?;
        let actor = match &request.actor {
            Some(a) => format!("{}:{a}", caller.actor()),
            None => caller.actor().to_owned(),
        };
        self.apply_action(
            id,
            request.action.clone(),
            actor,
            request.note.clone(),
            crate::photos::check_references(self.store().as_ref(), &request.photos).await?,
            request.version,
            now(),
        )
        .await?;
        self.incident_detail(caller, id).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_action(
        &self,
        id: &str,
        action: IncidentAction,
        actor: String,
        note: Option<String>,
        photos: Vec<String>,
        version: Option<u32>,
        at: i64,
    ) -> ServiceResult<Incident> {
        let store = self.store();
        let current = store
            .incident(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no incident {id:?}")))?;
        if let Some(v) = version.filter(|v| *v != current.version) {
            return Err(ServiceError::Conflict(format!(
                "incident {id} is at version {} (you saw {v}): reload and try again",
                current.version
            )));
        }
        let config = self.incident_config();
        let input = TransitionInput {
            action,
            actor: actor.clone(),
            at,
            note,
            photos,
        };
        let (after, t) = apply(&current, input, config.rules()).map_err(transition_error)?;
        let meta = ChangeMeta::new(
            actor,
            format!("{INCIDENT_OPERATION}{} {}", t.action.name(), id),
        );
        let change = store.transition_incident(&after, &t, &meta).await?;
        self.live()
            .incidents_changed(change, vec![IncidentMark::from(&after)]);
        self.publish(IncidentEvent::Transition {
            incident: IncidentPoint::from(&after),
            action: t.action.name().to_owned(),
            from: t.from,
            at,
        });
        Ok(after)
    }

    /// Escalates every incident overdue at `at` that has not reached its level yet
    /// (one level per [`IncidentConfig::escalation_step_s`]); returns how many.
    pub async fn escalate_overdue(&self, at: i64) -> ServiceResult<usize> {
        let config = self.incident_config();
        let filter = IncidentFilter {
            overdue_at: Some(at),
            ..IncidentFilter::default()
        };
        let page = self.store().list_incidents(&filter).await?;
        let mut n = 0;
        for i in page
            .items
            .iter()
            .filter(|i| escalation_due(i, at, config.escalation_step_s))
        {
            let note = Some(format!("overdue; level {}", i.work.escalation + 1));
            match self
                .apply_action(
                    &i.id,
                    IncidentAction::Escalate,
                    "system".into(),
                    note,
                    Vec::new(),
                    Some(i.version),
                    at,
                )
                .await
            {
                Ok(_) => n += 1,
                // Someone acted on it meanwhile: the next sweep looks again.
                Err(ServiceError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// The page of incidents `filter` selects, newest first. A bbox is answered from the
    /// incidents this server holds in memory (the store keeps no spatial index: it
    /// would cost every import a random-order B-tree), the page then read by id.
    /// Incidents another process wrote show once [`Service::sync_changes`] has seen them.
    pub async fn find_incidents(&self, filter: &IncidentFilter) -> ServiceResult<IncidentPage> {
        let Some((total, ids)) = self.live().with_incidents(|held| held_page(held, filter)) else {
            return Ok(self.store().list_incidents(filter).await?);
        };
        let mut found: HashMap<String, Incident> = self
            .store()
            .incidents_by_id(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        // An import's parts are held before its commit: those are not in the store yet.
        let items = ids.iter().filter_map(|id| found.remove(id)).collect();
        Ok(IncidentPage { total, items })
    }

    /// Incidents passing `query`, newest first.
    pub async fn list_incidents(
        &self,
        caller: &Caller,
        query: &IncidentQuery,
    ) -> ServiceResult<IncidentList> {
        let now = now();
        let mut filter = query.filter(now)?;
        filter.scope = caller.incident_scope().cloned();
        let page = self.find_incidents(&filter).await?;
        let config = self.incident_config();
        Ok(IncidentList {
            total: page.total,
            offset: filter.offset,
            items: page
                .items
                .iter()
                .map(|i| views::incident_view(i, caller, &config, now))
                .collect(),
        })
    }
}

/// The number of held incidents `filter` selects and the ids of its page, newest first;
/// `None` when the store must answer: no bbox (its indexes serve time, status and area
/// better), or an assignee, which the held incidents do not carry.
fn held_page(held: &IncidentIndex, filter: &IncidentFilter) -> Option<(u64, Vec<String>)> {
    let [w, s, e, n] = filter.bbox?;
    if filter.assignee.is_some() {
        return None;
    }
    let (x0, y1) = lonlat_to_world(w, s);
    let (x1, y0) = lonlat_to_world(e, n);
    // A hair wider: the exact edges are decided on lon/lat by the filter itself.
    let pad = 1e-12;
    let world = [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
    let mut hits: Vec<(i64, &str)> = held
        .marks_in(world)
        .filter(|m| filter.matches_fields(&Held(*m)))
        .map(|m| (m.time(), m.id()))
        .collect();
    let total = hits.len() as u64;
    let newest_first = |a: &(i64, &str), b: &(i64, &str)| b.cmp(a);
    let skip = usize::try_from(filter.offset)
        .unwrap_or(usize::MAX)
        .min(hits.len());
    let end = filter
        .limit
        .and_then(|l| usize::try_from(l).ok())
        .map_or(hits.len(), |l| skip.saturating_add(l).min(hits.len()));
    // Only the page needs ordering: a county-wide box holds every incident.
    if end < hits.len() {
        hits.select_nth_unstable_by(end, newest_first);
        hits.truncate(end);
    }
    hits.sort_unstable_by(newest_first);
    Some((
        total,
        hits[skip..]
            .iter()
            .map(|(_, id)| (*id).to_owned())
            .collect(),
    ))
}

/// A held incident as the store's filter reads it.
struct Held<'a>(MarkRef<'a>);

impl IncidentFields for Held<'_> {
    fn lon_lat(&self) -> (f64, f64) {
        self.0.lon_lat()
    }
    fn time(&self) -> i64 {
        self.0.time()
    }
    fn category(&self) -> &str {
        self.0.category()
    }
    fn subcategory(&self) -> Option<&str> {
        self.0.subcategory()
    }
    fn status(&self) -> IncidentStatus {
        self.0.status()
    }
    fn is_overdue(&self, now: i64) -> bool {
        self.0.is_overdue(now)
    }
    fn grid(&self) -> Option<&str> {
        self.0.grid()
    }
    fn village(&self) -> Option<&str> {
        self.0.village()
    }
    fn township(&self) -> Option<&str> {
        self.0.township()
    }
}
