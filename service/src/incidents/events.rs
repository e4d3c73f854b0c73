//! What the service publishes as incidents arrive and move: for live maps, the wall and
//! heat counts. No personal data.

use gridmap_core::{Incident, IncidentStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// How many events a slow subscriber may fall behind before it misses some.
pub const EVENT_BUFFER: usize = 4096;

/// An incident as live subscribers see it: where, when, what and how far along.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentPoint {
    pub id: String,
    /// Unix seconds of the report.
    pub time: i64,
    pub category: String,
    pub subcategory: Option<String>,
    pub lon: f64,
    pub lat: f64,
    #[schema(value_type = String)]
    pub status: IncidentStatus,
    pub grid: Option<String>,
    pub village: Option<String>,
    pub township: Option<String>,
}

impl From<&Incident> for IncidentPoint {
    fn from(i: &Incident) -> IncidentPoint {
        IncidentPoint {
            id: i.id.clone(),
            time: i.time,
            category: i.category.clone(),
            subcategory: i.subcategory.clone(),
            lon: i.location.x(),
            lat: i.location.y(),
            status: i.status,
            grid: i.grid.as_ref().map(|g| g.as_str().to_owned()),
            village: i.village.as_ref().map(|c| c.as_str().to_owned()),
            township: i.township.as_ref().map(|c| c.as_str().to_owned()),
        }
    }
}

impl From<&gridmap_tiles::incidents::IncidentMark> for IncidentPoint {
    fn from(m: &gridmap_tiles::incidents::IncidentMark) -> IncidentPoint {
        IncidentPoint {
            id: m.id.clone(),
            time: m.time,
            category: m.category.clone(),
            subcategory: m.subcategory.clone(),
            lon: m.lon,
            lat: m.lat,
            status: m.status,
            grid: m.grid.clone(),
            village: m.village.clone(),
            township: m.township.clone(),
        }
    }
}

/// Something that happened to incidents.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentEvent {
    /// A new incident (reported, or one incident imported).
    Reported {
        incident: IncidentPoint,
        /// Unix seconds of the event.
        at: i64,
    },
    /// An incident moved in the loop (or was escalated, supervised…).
    Transition {
        incident: IncidentPoint,
        action: String,
        #[schema(value_type = String)]
        from: IncidentStatus,
        at: i64,
    },
    /// A batch import: too many for one event each; subscribers reload the area.
    Imported {
        count: u64,
        /// `[min_lon, min_lat, max_lon, max_lat]`
        bbox: Option<[f64; 4]>,
        at: i64,
    },
}

impl IncidentEvent {
    /// Whether `caller` is sent this event: one incident's events only inside a
    /// signed-in user's scope (see [`Caller::incident_scope`]); a batch import, which
    /// names no incident, to everyone (each reloads what it may see).
    pub fn visible_to(&self, caller: &crate::Caller) -> bool {
        let point = match self {
            IncidentEvent::Reported { incident, .. }
            | IncidentEvent::Transition { incident, .. } => incident,
            IncidentEvent::Imported { .. } => return true,
        };
        caller
            .incident_scope()
            .is_none_or(|s| s.covers_codes(point.village.as_deref(), point.grid.as_deref()))
    }
}
