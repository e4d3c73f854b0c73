//! Incident imports (CSV or GeoJSON read by the importers) with a category mapping from
//! the source's names to the taxonomy's types.

use super::{now, place_of, IncidentConfig, IncidentEvent};
use crate::live::IndexedWrite;
use crate::{Caller, Service, ServiceError, ServiceResult};
use futures_util::StreamExt;
use gridmap_core::incident::{report_transition, start_clock, Taxonomy};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Incident, IncidentStatus};
use gridmap_store::{ChangeMeta, IncidentChunk, StoreError, UpsertCounts, INCIDENT_OPERATION};
use gridmap_tiles::incidents::IncidentMark;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;

/// Source category names → taxonomy type codes, from a two-column CSV
/// (`source,type`; a header row naming `type` is skipped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryMap {
    map: HashMap<String, String>,
}

impl CategoryMap {
    /// Parses the mapping and checks every target against `taxonomy`; a bad line is
    /// named by its number.
    ///
    /// ```
    /// use gridmap_service::incidents::CategoryMap;
    /// let t = gridmap_core::incident::Taxonomy::default_zh_cn();
    /// let m = CategoryMap::parse("source,type\n乱扔垃圾,environment.garbage\n", &t).unwrap();
    /// assert_eq!(m.get("乱扔垃圾"), Some("environment.garbage"));
    /// let err = CategoryMap::parse("x,no.such.type\n", &t).unwrap_err();
    /// assert!(err.to_string().contains("line 1"));
    /// ```
    pub fn parse(text: &str, taxonomy: &Taxonomy) -> ServiceResult<CategoryMap> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: String| {
                ServiceError::BadInput(format!("category map, line {}: {why}", n + 1))
            };
            let (from, to) = line
                .split_once(',')
                .ok_or_else(|| bad(format!("expected `source,type`, found {line:?}")))?;
            let (from, to) = (from.trim(), to.trim());
            if n == 0 && to.eq_ignore_ascii_case("type") {
                continue;
            }
            let ty = taxonomy
                .resolve(to)
                .ok_or_else(|| bad(format!("{to:?} is not a type of the taxonomy")))?;
            map.insert(from.to_owned(), ty.code.to_owned());
        }
        Ok(CategoryMap { map })
    }

    /// The type code `source` maps to.
    pub fn get(&self, source: &str) -> Option<&str> {
        self.map.get(source).map(String::as_str)
    }
}

/// What an incident import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IncidentImport {
    pub counts: UpsertCounts,
    /// Incidents not imported, each with its id and the reason.
    pub rejected: Vec<String>,
    /// Incidents placed in a grid by their position.
    pub placed: u64,
}

/// Incidents per part of an import: each part is mapped and placed while the store
/// writes the one before (on two cores the writer and the rest then both stay busy).
const PART: usize = 10_000;

/// A part of an import, mapped and placed.
struct Prepared {
    incidents: Vec<Incident>,
    rejected: Vec<String>,
    placed: u64,
}

impl Service {
    /// Imports incidents read from a file: categories through `map` then the taxonomy,
    /// grid/village/township by position when missing, deadlines started for new
    /// orders. Unmappable incidents are rejected by id; with `strict` any rejection
    /// imports nothing. All of it is one transaction, written part by part while the
    /// next part is prepared and the heat index takes the last.
    pub async fn import_incidents(
        &self,
        caller: &Caller,
        incidents: Vec<Incident>,
        map: &CategoryMap,
        strict: bool,
        dry_run: bool,
    ) -> ServiceResult<IncidentImport> {
        caller.must_own_store("importing incidents")?;
        let config = self.incident_config();
        let data = self.data();
        let total = incidents.len();
        let mut parts = parts(incidents);
        let prepare = {
            let map = map.clone();
            move |part: Vec<Incident>| prepare_part(part, &map, &config, data.snapshot())
        };
        if dry_run || strict {
            // Every incident is checked before anything is written.
            let prepared: Vec<Prepared> = parts.by_ref().map(&prepare).collect();
            let mut out = IncidentImport::default();
            for p in &prepared {
                out.placed += p.placed;
                out.rejected.extend(p.rejected.iter().cloned());
            }
            if dry_run || !out.rejected.is_empty() {
                return Ok(out);
            }
            return self
                .write_detached(caller, total, prepared.into_iter())
                .await;
        }
        self.write_detached(caller, total, parts.map(prepare)).await
    }

    /// [`Service::write_parts`] in a task of its own: once the store has begun, the
    /// import ends (stored and purged, or refused and the index read again) even when
    /// the request that started it is dropped — a client gone mid-import would
    /// otherwise leave its indexed parts in the heat layer.
    async fn write_detached(
        &self,
        caller: &Caller,
        total: usize,
        prepared: impl Iterator<Item = Prepared> + Send + 'static,
    ) -> ServiceResult<IncidentImport> {
        let (service, caller) = (self.clone(), caller.clone());
        tokio::spawn(async move { service.write_parts(&caller, total, prepared).await })
            .await
            .map_err(|e| ServiceError::Internal(format!("writing incidents: {e}")))?
    }

    /// Writes the parts `prepared` yields (each prepared on another thread when the
    /// store has taken the one before) in one store transaction, indexing each for heat
    /// as it goes.
    async fn write_parts(
        &self,
        caller: &Caller,
        total: usize,
        prepared: impl Iterator<Item = Prepared> + Send + 'static,
    ) -> ServiceResult<IncidentImport> {
        // At most one part waits while the store writes another.
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let (finished, ended) = tokio::sync::oneshot::channel::<()>();
        let live = Arc::clone(self.live());
        let producer = tokio::task::spawn_blocking(move || {
            let mut out = IncidentImport::default();
            let mut indexed = IndexedWrite::default();
            for part in prepared {
                out.placed += part.placed;
                out.rejected.extend(part.rejected);
                let marks = part.incidents.iter().map(IncidentMark::from).collect();
                live.index_unwritten(marks, &mut indexed);
                let chunk = IncidentChunk {
                    transitions: part
                        .incidents
                        .iter()
                        .map(|i| report_transition(i, "import"))
                        .collect(),
                    incidents: part.incidents,
                };
                if sender.blocking_send(Ok(chunk)).is_err() {
                    // The store stopped; its error is the import's answer.
                    break;
                }
            }
            let _ = finished.send(());
            (out, indexed)
        });
        // The parts end only once every part was sent: should preparing fail half way,
        // the store sees an error, not an early end, and writes nothing.
        let end = futures_util::stream::once(ended).filter_map(|ended| async move {
            ended.is_err().then(|| {
                Err(StoreError::Aborted {
                    reason: "preparing the incidents failed".into(),
                })
            })
        });
        let chunks = ReceiverStream::new(receiver).chain(end);
        let meta = ChangeMeta::new(
            caller.actor(),
            format!("{INCIDENT_OPERATION}import ({total} read)"),
        );
        let store = self.store().as_ref();
        let written = store.add_incident_chunks(Box::pin(chunks), &meta).await;
        let written = written.map_err(ServiceError::from);
        let (mut out, indexed) = match producer.await {
            Ok(produced) => produced,
            Err(e) => {
                // The store saw the parts end in an error and wrote nothing; the index
                // is read again so it drops the parts indexed before the failure.
                let failed = Err(ServiceError::Internal(format!("preparing incidents: {e}")));
                let written = written.and(failed);
                let live = self.live();
                return live
                    .finish_write(store, written, IndexedWrite::default())
                    .await;
            }
        };
        let bbox = indexed.bbox();
        out.counts = self.live().finish_write(store, written, indexed).await?;
        self.publish(IncidentEvent::Imported {
            count: out.counts.inserted + out.counts.updated,
            bbox,
            at: now(),
        });
        Ok(out)
    }
}

/// `incidents` in parts growing from a small first one (the store waits for it) to
/// [`PART`], each incident moved once.
fn parts(incidents: Vec<Incident>) -> impl Iterator<Item = Vec<Incident>> + Send + 'static {
    let mut incoming = incidents.into_iter();
    let mut size = PART / 8;
    std::iter::from_fn(move || {
        let part: Vec<_> = incoming.by_ref().take(size).collect();
        size = (size * 2).min(PART);
        (!part.is_empty()).then_some(part)
    })
}

/// Maps and places a part on every core.
fn prepare_part(
    part: Vec<Incident>,
    map: &CategoryMap,
    config: &IncidentConfig,
    snap: &CountySnapshot,
) -> Prepared {
    let results: Vec<_> = part
        .into_par_iter()
        .map(|i| prepare(i, map, config, snap))
        .collect();
    let mut out = Prepared {
        incidents: Vec::with_capacity(results.len()),
        rejected: Vec::new(),
        placed: 0,
    };
    for r in results {
        match r {
            Ok((i, placed)) => {
                out.placed += u64::from(placed);
                out.incidents.push(i);
            }
            Err(why) => out.rejected.push(why),
        }
    }
    out
}

/// One incident of an import: its taxonomy type through `map`, its grid, village and
/// township by position when missing, and a deadline for a new order; with whether it
/// was placed in a grid here, or why it is rejected.
fn prepare(
    mut i: Incident,
    map: &CategoryMap,
    config: &IncidentConfig,
    snap: &CountySnapshot,
) -> Result<(Incident, bool), String> {
    let mapped = i
        .subcategory
        .as_deref()
        .and_then(|s| map.get(s))
        .or_else(|| map.get(&i.category))
        .and_then(|code| config.taxonomy.resolve(code))
        .or_else(|| {
            config
                .taxonomy
                .type_of(&i.category, i.subcategory.as_deref())
        });
    let Some(ty) = mapped else {
        return Err(format!(
            "incident {}: category {:?}{} is in neither the category map nor the taxonomy",
            i.id,
            i.category,
            i.subcategory
                .as_deref()
                .map(|s| format!(" / {s:?}"))
                .unwrap_or_default()
        ));
    };
    i.category = ty.group.code.clone();
    i.subcategory = Some(ty.code.to_owned());
    let mut placed = false;
    if i.grid.is_none() || i.village.is_none() {
        let (grid, village, township) = place_of(snap, i.location);
        placed = grid.is_some() && i.grid.is_none();
        i.grid = i.grid.or(grid);
        i.village = i.village.or(village);
        i.township = i.township.or(township);
    }
    if matches!(
        i.status,
        IncidentStatus::Reported | IncidentStatus::WorkOrder
    ) && i.work.clock.is_none()
    {
        start_clock(&mut i, config.rules());
    }
    Ok((i, placed))
}
