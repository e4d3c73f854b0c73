//! The memory store's incidents: the same answers as SQLite, by scanning.

use super::MemoryStore;
use crate::error::{StoreError, StoreResult};
use crate::incidents::{transition_records, AddedIncidents};
use crate::{
    ChangeMeta, ChangeRecords, CountBy, IncidentChunk, IncidentChunks, IncidentCounts,
    IncidentFilter, IncidentPage, IncidentStore, UpsertCounts,
};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use gridmap_core::incident::IncidentTransition;
use gridmap_core::Incident;
use std::collections::BTreeMap;

#[async_trait]
impl IncidentStore for MemoryStore {
    async fn incidents(&self) -> StoreResult<Vec<Incident>> {
        let mut all: Vec<Incident> = self.state().incidents.values().cloned().collect();
        all.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        Ok(all)
    }

    async fn add_incident_chunks(
        &self,
        chunks: IncidentChunks<'_>,
        meta: &ChangeMeta,
    ) -> StoreResult<(UpsertCounts, i64)> {
        // All parts first: an `Err` part leaves the store as it was.
        let chunks: Vec<IncidentChunk> = chunks.try_collect().await?;
        let mut s = self.state();
        let mut added = AddedIncidents::default();
        for chunk in chunks {
            let mut counts = UpsertCounts::default();
            for i in &chunk.incidents {
                match s.incidents.insert(i.id.clone(), i.clone()) {
                    Some(_) => counts.updated += 1,
                    None => counts.inserted += 1,
                }
            }
            for t in chunk.transitions {
                let timeline = s
                    .incident_transitions
                    .entry(t.incident.clone())
                    .or_default();
                if !timeline.iter().any(|old| old.seq == t.seq) {
                    timeline.push(t);
                    timeline.sort_by_key(|t| t.seq);
                }
            }
            added.add(counts, chunk.incidents);
        }
        let id = s.log(
            meta,
            added.bbox(),
            ChangeRecords::default(),
            added.records(),
        );
        Ok((added.counts, id))
    }

    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        Ok(self.state().incidents.get(id).cloned())
    }

    async fn incidents_by_id(&self, ids: &[String]) -> StoreResult<Vec<Incident>> {
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.incidents.get(id).cloned())
            .collect())
    }

    async fn incident_timeline(&self, id: &str) -> StoreResult<Vec<IncidentTransition>> {
        Ok(self
            .state()
            .incident_transitions
            .get(id)
            .cloned()
            .unwrap_or_default())
    }

    async fn transition_incident(
        &self,
        after: &Incident,
        transition: &IncidentTransition,
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        let mut s = self.state();
        let current = s
            .incidents
            .get(&after.id)
            .ok_or_else(|| StoreError::NotFound {
                what: format!("incident {}", after.id),
            })?
            .version;
        if current + 1 != after.version {
            return Err(StoreError::Conflict {
                what: format!("incident {}", after.id),
                current,
            });
        }
        s.incidents.insert(after.id.clone(), after.clone());
        s.incident_transitions
            .entry(after.id.clone())
            .or_default()
            .push(transition.clone());
        let (before, records) = transition_records(after, transition);
        Ok(s.log(meta, Some(after.bbox()), before, records))
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<IncidentPage> {
        let s = self.state();
        let mut hits: Vec<&Incident> = s.incidents.values().filter(|i| filter.matches(i)).collect();
        hits.sort_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
        let limit = filter.limit.map_or(usize::MAX, |l| l as usize);
        Ok(IncidentPage {
            total: hits.len() as u64,
            items: hits
                .into_iter()
                .skip(filter.offset as usize)
                .take(limit)
                .cloned()
                .collect(),
        })
    }

    async fn incident_counts(
        &self,
        filter: &IncidentFilter,
        by: CountBy,
        now: i64,
    ) -> StoreResult<Vec<IncidentCounts>> {
        let s = self.state();
        let mut groups: BTreeMap<Option<String>, IncidentCounts> = BTreeMap::new();
        for i in s.incidents.values().filter(|i| filter.matches(i)) {
            let key = by.key_of(i);
            groups
                .entry(key.clone())
                .or_insert_with(|| IncidentCounts {
                    key,
                    ..IncidentCounts::default()
                })
                .add(i, now);
        }
        Ok(groups.into_values().collect())
    }
}
