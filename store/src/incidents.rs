//! What the incident store answers: filters, pages and counts, the same for every backend
//! (the memory store applies [`IncidentFilter::matches`]; SQLite turns the filter into SQL).

use gridmap_core::{AccessScope, DivisionCode, GridCode, Incident, IncidentStatus};
use serde::Serialize;

/// Which incidents a list or a count covers. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// `[min_lon, min_lat, max_lon, max_lat]`, edges included.
    pub bbox: Option<[f64; 4]>,
    /// Reported at or after (Unix seconds).
    pub from: Option<i64>,
    /// Reported before (Unix seconds).
    pub to: Option<i64>,
    /// Category (group) or subcategory (type) codes or names; any matches.
    pub categories: Vec<String>,
    /// Any of these statuses.
    pub statuses: Vec<IncidentStatus>,
    /// Only incidents overdue at this time (open, clock running, past due).
    pub overdue_at: Option<i64>,
    pub grid: Option<GridCode>,
    pub village: Option<DivisionCode>,
    pub township: Option<DivisionCode>,
    /// An assignee key (`staff:ID`, `department:NAME`).
    pub assignee: Option<String>,
    /// Only incidents inside this access scope (a signed-in user's): in its area, or
    /// in one of its grids. An incident in no village lies only inside `all`.
    pub scope: Option<AccessScope>,
    /// Skip this many (newest first).
    pub offset: u64,
    /// At most this many (`None`: all).
    pub limit: Option<u64>,
}

/// What a filter reads of an incident, so the same rules serve a stored [`Incident`] and
/// the lighter copies a server keeps in memory (which answer bbox lists without a
/// spatial index in the store).
pub trait IncidentFields {
    /// WGS84 longitude and latitude.
    fn lon_lat(&self) -> (f64, f64);
    /// Unix seconds of the report.
    fn time(&self) -> i64;
    fn category(&self) -> &str;
    fn subcategory(&self) -> Option<&str>;
    fn status(&self) -> IncidentStatus;
    /// Open, clock running and past due at `now`.
    fn is_overdue(&self, now: i64) -> bool;
    fn grid(&self) -> Option<&str>;
    fn village(&self) -> Option<&str>;
    fn township(&self) -> Option<&str>;
}

impl IncidentFields for Incident {
    fn lon_lat(&self) -> (f64, f64) {
        (self.location.x(), self.location.y())
    }
    fn time(&self) -> i64 {
        self.time
    }
    fn category(&self) -> &str {
        &self.category
    }
    fn subcategory(&self) -> Option<&str> {
        self.subcategory.as_deref()
    }
    fn status(&self) -> IncidentStatus {
        self.status
    }
    fn is_overdue(&self, now: i64) -> bool {
        Incident::is_overdue(self, now)
    }
    fn grid(&self) -> Option<&str> {
        self.grid.as_ref().map(|c| c.as_str())
    }
    fn village(&self) -> Option<&str> {
        self.village.as_ref().map(|c| c.as_str())
    }
    fn township(&self) -> Option<&str> {
        self.township.as_ref().map(|c| c.as_str())
    }
}

impl IncidentFilter {
    /// Whether `i` passes the filter (paging aside).
    pub fn matches(&self, i: &Incident) -> bool {
        self.matches_fields(i)
            && self
                .assignee
                .as_ref()
                .is_none_or(|a| i.work.assignee.as_ref().map(|x| x.key()).as_ref() == Some(a))
    }

    /// Whether `i` passes every part of the filter but the assignee (which only a
    /// stored incident knows: see [`IncidentFilter::matches`]).
    pub fn matches_fields(&self, i: &impl IncidentFields) -> bool {
        let (x, y) = i.lon_lat();
        let time = i.time();
        let same = |want: Option<&str>, have: Option<&str>| want.is_none_or(|w| have == Some(w));
        self.bbox
            .is_none_or(|[a, b, c, d]| a <= x && x <= c && b <= y && y <= d)
            && self.from.is_none_or(|f| time >= f)
            && self.to.is_none_or(|t| time < t)
            && (self.categories.is_empty()
                || self
                    .categories
                    .iter()
                    .any(|c| c == i.category() || i.subcategory() == Some(c.as_str())))
            && (self.statuses.is_empty() || self.statuses.contains(&i.status()))
            && self.overdue_at.is_none_or(|now| i.is_overdue(now))
            && same(self.grid.as_ref().map(|g| g.as_str()), i.grid())
            && same(self.village.as_ref().map(|v| v.as_str()), i.village())
            && same(self.township.as_ref().map(|t| t.as_str()), i.township())
            && self
                .scope
                .as_ref()
                .is_none_or(|s| s.covers_codes(i.village(), i.grid()))
    }
}

/// One page of incidents, newest first, with the number matching in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentPage {
    pub total: u64,
    pub items: Vec<Incident>,
}

/// What incident counts are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountBy {
    Status,
    Category,
    Township,
    Village,
    Grid,
    /// The assignee key (`staff:ID`, `department:NAME`).
    Assignee,
}

impl CountBy {
    /// The key of `i` under this grouping (`None`: not set).
    pub fn key_of(self, i: &Incident) -> Option<String> {
        match self {
            CountBy::Status => Some(i.status.as_str().to_owned()),
            CountBy::Category => Some(i.category.clone()),
            CountBy::Township => i.township.as_ref().map(|c| c.as_str().to_owned()),
            CountBy::Village => i.village.as_ref().map(|c| c.as_str().to_owned()),
            CountBy::Grid => i.grid.as_ref().map(|c| c.as_str().to_owned()),
            CountBy::Assignee => i.work.assignee.as_ref().map(|a| a.key()),
        }
    }
}

/// Counts of one group of incidents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentCounts {
    /// The group's key (`None`: incidents without one, e.g. outside every grid).
    pub key: Option<String>,
    /// Incidents in the group.
    pub received: u64,
    /// Still open (not closed, evaluated or voided).
    pub open: u64,
    /// Verified and closed (closed or evaluated).
    pub closed: u64,
    /// Closed with no stage late.
    pub closed_on_time: u64,
    /// Open and past due now, or closed with a late stage.
    pub overdue: u64,
    pub voided: u64,
    /// Evaluated with a rating.
    pub rated: u64,
    /// Sum of ratings (satisfaction = rating_sum / rated).
    pub rating_sum: u64,
}

impl IncidentCounts {
    /// Adds `i` (judged at `now`) to the counts.
    pub fn add(&mut self, i: &Incident, now: i64) {
        self.received += 1;
        let closed = matches!(i.status, IncidentStatus::Closed | IncidentStatus::Evaluated);
        if i.status.is_open() {
            self.open += 1;
        }
        if closed {
            self.closed += 1;
            if i.work.late_stages == 0 {
                self.closed_on_time += 1;
            }
        }
        if i.is_overdue(now) || (closed && i.work.late_stages > 0) {
            self.overdue += 1;
        }
        if i.status == IncidentStatus::Voided {
            self.voided += 1;
        }
        if let Some(r) = i.work.rating {
            self.rated += 1;
            self.rating_sum += u64::from(r);
        }
    }
}

/// What a transition leaves in the change log: the incident's id, status and version
/// before and after (no personal data).
pub(crate) fn transition_records(
    after: &Incident,
    t: &gridmap_core::incident::IncidentTransition,
) -> (crate::ChangeRecords, crate::ChangeRecords) {
    let record = |status: IncidentStatus, version: u32| crate::ChangeRecords {
        other: Some(serde_json::json!({
            "incident": after.id,
            "status": status,
            "version": version,
            "action": t.action.name(),
        })),
        ..crate::ChangeRecords::default()
    };
    (
        record(t.from, after.version.saturating_sub(1)),
        record(t.to, after.version),
    )
}

/// A part of an incident write (an import arrives in parts, so it can be written while
/// the rest is read and placed): incidents and their first timeline entries.
#[derive(Debug, Clone, Default)]
pub struct IncidentChunk {
    pub incidents: Vec<Incident>,
    /// Usually the incidents' reports; an entry already stored is kept.
    pub transitions: Vec<gridmap_core::incident::IncidentTransition>,
}

/// The parts of one incident write, in order. An `Err` part stops the write and nothing
/// of it is stored.
pub type IncidentChunks<'a> =
    futures_util::stream::BoxStream<'a, crate::StoreResult<IncidentChunk>>;

/// What a write of incident chunks has added so far, for its change-log entry.
#[derive(Debug, Default)]
pub(crate) struct AddedIncidents {
    pub counts: crate::UpsertCounts,
    ids: Vec<String>,
    bbox: Option<[f64; 4]>,
}

impl AddedIncidents {
    /// Counts a written chunk; keeps only its ids and area.
    pub fn add(&mut self, counts: crate::UpsertCounts, incidents: Vec<Incident>) {
        self.counts += counts;
        let boxes = incidents.iter().map(Incident::bbox).chain(self.bbox);
        self.bbox = gridmap_core::geometry::union_bbox(boxes);
        self.ids.extend(incidents.into_iter().map(|i| i.id));
    }

    /// The incidents' area.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        self.bbox
    }

    /// What the change log keeps: the counts and ids (so another server re-reads just
    /// those, see [`crate::Change::incident_ids`]).
    pub fn records(&self) -> crate::ChangeRecords {
        crate::ChangeRecords {
            other: Some(serde_json::json!({ "incidents": self.counts, "ids": self.ids })),
            ..crate::ChangeRecords::default()
        }
    }
}

impl crate::Change {
    /// The incidents an incident change wrote (an import or report: `ids`; a
    /// transition: `incident`), read from what [`AddedIncidents::records`] and
    /// [`transition_records`] log; `None` when the change does not say (another kind of
    /// change, or one logged before ids were).
    pub fn incident_ids(&self) -> Option<Vec<String>> {
        let other = self.after.other.as_ref()?;
        if let Some(id) = other.get("incident").and_then(|v| v.as_str()) {
            return Some(vec![id.to_owned()]);
        }
        let ids = other.get("ids")?.as_array()?;
        ids.iter().map(|v| v.as_str().map(str::to_owned)).collect()
    }
}
