//! Household visits (走访) grid staff record on their phone: a note, photos and whether
//! the household needs following up. Sent once by the id the phone made; the staff member
//! must see the household's personal data (it is in her grid), and so must whoever reads
//! the visits. Every write and read is audited.

use crate::households::household_in_reach;
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_store::{Store, Visit};
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
    /// Ids of photos sent before (`PUT /api/photos/{id}`).
    #[serde(default)]
    pub photos: Vec<String>,
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
    let valid_id =
        (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid_id {
        return Err(ServiceError::BadInput(format!(
            "client_id {id:?}: 16 to 64 letters, digits or dashes (a UUID the phone makes)"
        )));
    }
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(ServiceError::BadInput(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    let now = crate::incidents::now();
    if request.time > now + 300 {
        return Err(ServiceError::BadInput(
            "the visit's time is in the future".into(),
        ));
    }
    household_in_reach(store, snap, caller, &request.household).await?;
    for photo in &request.photos {
        if store.photo(photo).await?.is_none() {
            return Err(ServiceError::BadInput(format!(
                "photo {photo} was not sent: PUT it to api/photos/{photo} first"
            )));
        }
    }
    let visit = Visit {
        id: id.clone(),
        household: request.household.clone(),
        actor: caller.actor().to_owned(),
        at: request.time,
        note: note.map(str::to_owned),
        follow_up: request.follow_up,
        photos: request.photos.clone(),
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
