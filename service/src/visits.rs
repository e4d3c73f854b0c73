//! Field work grid staff record on their phone, each sent once by the id the phone made:
//! household visits (走访: a note, photos, whether the household needs following up; the
//! staff member must see the household's personal data, and so must whoever reads them;
//! audited) and patrol check-ins (巡查签到: who was where and when, in her scope).

use crate::households::household_in_reach;
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_store::{CheckIn, Store, Visit};
use serde::Deserialize;

/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A visit as the phone sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct VisitRequest {
    /// The phone's id for this visit (a UUID): sending it again stores nothing new.
    pub client_id: String,
    /// The household's register id.
    pub household: String,
    /// Unix seconds of the visit (when it was recorded on the phone).
    pub time: i64,
    pub note: Option<String>,
    #[serde(default)]
    pub follow_up: bool,
    /// Photos sent before (`PUT /api/photos/{id}`): their ids or `api/photos/{id}`.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// Refuses `id` (`what`: `client_id`, `photo id`) unless it can be a phone's id for a
/// record: 16 to 64 letters, digits or dashes, long enough to be unique (a UUID).
pub(crate) fn check_client_id(id: &str, what: &str) -> ServiceResult<()> {
    let valid =
        (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(ServiceError::BadInput(format!(
            "{what} {id:?}: 16 to 64 letters, digits or dashes (a UUID the phone makes)"
        )))
    }
}

/// A note as typed, trimmed (`None` when blank); refused past [`MAX_NOTE_CHARS`].
fn clean_note(note: Option<&str>) -> ServiceResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(ServiceError::BadInput(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(note.map(str::to_owned))
}

/// Records a visit; `Ok((visit, new))`, `new` false when it was stored before.
pub async fn record_visit(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    request: &VisitRequest,
) -> ServiceResult<(Visit, bool)> {
    caller.must_be_office("recording household visits")?;
    let id = &request.client_id;
    check_client_id(id, "client_id")?;
    let note = clean_note(request.note.as_deref())?;
    let now = crate::incidents::now();
    if request.time > now + 300 {
        return Err(ServiceError::BadInput(
            "the visit's time is in the future".into(),
        ));
    }
    household_in_reach(store, snap, caller, &request.household).await?;
    let photos = crate::photos::check_references(store, &request.photos).await?;
    let visit = Visit {
        id: id.clone(),
        household: request.household.clone(),
        actor: caller.actor().to_owned(),
        at: request.time,
        note,
        follow_up: request.follow_up,
        photos,
    };
    let new = store.add_visit(&visit).await?;
    if new {
        crate::access::audit(
            store,
            now,
            caller.actor(),
            "record visit",
            &visit.household,
            caller.origin(),
            &format!("visit {}", visit.id),
        )
        .await?;
    }
    Ok((visit, new))
}

/// The visits of household `id`, newest first (audited).
pub async fn visits_of_household(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    id: &str,
) -> ServiceResult<Vec<Visit>> {
    caller.must_be_office("reading household visits")?;
    household_in_reach(store, snap, caller, id).await?;
    let visits = store.visits_of_household(id).await?;
    crate::access::audit(
        store,
        crate::incidents::now(),
        caller.actor(),
        "read visits",
        id,
        caller.origin(),
        &format!("{} visits", visits.len()),
    )
    .await?;
    Ok(visits)
}

/// A patrol check-in as the phone sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckInRequest {
    /// The phone's id for it (a UUID): sending it again stores nothing new.
    pub client_id: String,
    /// Unix seconds when it was made on the phone.
    pub time: i64,
    pub lon: f64,
    pub lat: f64,
    pub note: Option<String>,
}

/// Records a check-in where the caller may work (staff, planners, administrators with the
/// place in scope); `new` false when it was stored before.
pub async fn check_in(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    request: &CheckInRequest,
) -> ServiceResult<(CheckIn, bool)> {
    check_client_id(&request.client_id, "client_id")?;
    let (lon, lat) = (request.lon, request.lat);
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(ServiceError::BadInput(format!(
            "lon={lon} lat={lat} is not a WGS84 position"
        )));
    }
    let (grid, village, _) = crate::incidents::place_of(snap, geo_types::Point::new(lon, lat));
    caller.may_work_incident(village.as_ref(), grid.as_ref())?;
    let note = clean_note(request.note.as_deref())?;
    let check_in = CheckIn {
        id: request.client_id.clone(),
        actor: caller.actor().to_owned(),
        at: request.time,
        lon,
        lat,
        grid: grid.map(|g| g.to_string()),
        note,
    };
    let new = store.add_check_in(&check_in).await?;
    Ok((check_in, new))
}

/// The check-ins of grid `grid` since `since` (unix seconds), newest first: where the
/// grid's staff patrolled. Office roles with the grid in scope.
pub async fn check_ins(
    store: &dyn Store,
    caller: &Caller,
    grid: &gridmap_core::GridCode,
    since: i64,
) -> ServiceResult<Vec<CheckIn>> {
    caller.must_be_office("reading patrol check-ins")?;
    caller.may_look_at(Some(&grid.village()), Some(grid))?;
    Ok(store.check_ins(Some(grid.as_str()), since).await?)
}
