//! Incidents and their timelines: the upsert both imports and reports use, the
//! optimistic transition write, filtered lists and grouped counts in SQL.

use super::log::append_change;
use super::write::{upsert_counted, write_all, Upsert, Write};
use super::SqliteStore;
use crate::decode::to_json;
use crate::decode::{incident_from_row, transition_from_row, INCIDENT_COLUMNS, TRANSITION_COLUMNS};
use crate::error::{DbStep, StoreError, StoreResult};
use crate::incident_sql::{counts_from_row, counts_query, push_filter};
use crate::incidents::{transition_records, AddedIncidents};
use crate::{
    ChangeMeta, ChangeRecords, CountBy, IncidentChunks, IncidentCounts, IncidentFilter,
    IncidentPage, IncidentStore, UpsertCounts,
};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use gridmap_core::incident::IncidentTransition;
use gridmap_core::Incident;
use sqlx::{QueryBuilder, Sqlite, Transaction};

const INCIDENTS: Upsert = Upsert {
    table: "incidents",
    key: "id",
    columns: INCIDENT_COLUMNS,
    update: &[],
    step: "writing incidents",
};

/// Upserts incidents by id (imports and reports alike).
pub(super) async fn upsert_incidents(
    tx: &mut Transaction<'_, Sqlite>,
    incidents: &[Incident],
) -> StoreResult<UpsertCounts> {
    let rows = incidents
        .iter()
        .map(|i| Ok((i, to_json(&i.work, "an incident's work")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        tx,
        &INCIDENTS,
        &rows,
        |(i, _)| i.id.as_str(),
        |row, (i, work)| {
            let clock = i.work.clock;
            row.push_bind(i.id.as_str())
                .push_bind(i.time)
                .push_bind(i.category.as_str())
                .push_bind(i.subcategory.as_deref())
                .push_bind(i.status.as_str())
                .push_bind(i.location.x())
                .push_bind(i.location.y())
                .push_bind(i.grid.as_ref().map(|g| g.as_str()))
                .push_bind(i.reporter.as_deref())
                .push_bind(i.description.as_deref())
                .push_bind(i.reporter_phone.as_deref())
                .push_bind(i.source.as_deref())
                .push_bind(i.address.as_deref())
                .push_bind(i.village.as_ref().map(|c| c.as_str()))
                .push_bind(i.township.as_ref().map(|c| c.as_str()))
                .push_bind(i.work.assignee.as_ref().map(|a| a.key()))
                .push_bind(clock.map(|c| c.due))
                .push_bind(clock.is_some_and(|c| c.paused_left_s.is_some()))
                .push_bind(i.work.closed_at)
                .push_bind(i64::from(i.work.late_stages))
                .push_bind(i.work.rating.map(i64::from))
                .push_bind(work.as_str())
                .push_bind(i64::from(i.version))
                .push_bind(i.updated);
        },
    )
    .await
}

/// How transitions are written: appended, never updated (the key is only named).
const TRANSITIONS: Upsert = Upsert {
    table: "incident_transitions",
    key: "incident, seq",
    columns: &[
        "incident",
        "seq",
        "at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "note",
        "photos",
        "detail",
    ],
    update: &[],
    step: "recording incident transitions",
};

/// Appends transitions; `or_ignore` skips those already recorded (a re-imported report).
async fn append_transitions(
    tx: &mut Transaction<'_, Sqlite>,
    transitions: &[IncidentTransition],
    or_ignore: bool,
) -> StoreResult<()> {
    let how = if or_ignore {
        Write::InsertOrIgnore
    } else {
        Write::InsertNew
    };
    let rows = transitions
        .iter()
        .map(|t| {
            let what = "an incident transition";
            Ok((t, to_json(&t.action, what)?, to_json(&t.photos, what)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    write_all(tx, &TRANSITIONS, &rows, how, |row, (t, detail, photos)| {
        row.push_bind(t.incident.as_str())
            .push_bind(i64::from(t.seq))
            .push_bind(t.at)
            .push_bind(t.actor.as_str())
            .push_bind(t.action.name())
            .push_bind(t.from.as_str())
            .push_bind(t.to.as_str())
            .push_bind(t.note.as_deref())
            .push_bind(photos.as_str())
            .push_bind(detail.as_str());
    })
    .await
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn incidents(&self) -> StoreResult<Vec<Incident>> {
        let sql = format!(
            "SELECT {} FROM incidents ORDER BY time, id",
            INCIDENT_COLUMNS.join(", ")
        );
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading incidents")? {
            out.push(incident_from_row(&row)?);
        }
        Ok(out)
    }

    async fn add_incident_chunks(
        &self,
        mut chunks: IncidentChunks<'_>,
        meta: &ChangeMeta,
    ) -> StoreResult<(UpsertCounts, i64)> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting an incident write")?;
        let mut added = AddedIncidents::default();
        // Dropping `tx` on an error rolls back every chunk written so far.
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            let counts = upsert_incidents(&mut tx, &chunk.incidents).await?;
            append_transitions(&mut tx, &chunk.transitions, true).await?;
            added.add(counts, chunk.incidents);
        }
        let records = added.records();
        let id = append_change(
            &mut tx,
            meta,
            added.bbox(),
            &ChangeRecords::default(),
            &records,
        )
        .await?;
        tx.commit().await.step("committing incidents")?;
        self.checkpoint_in_background();
        Ok((added.counts, id))
    }

    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM incidents WHERE id = ?1",
            INCIDENT_COLUMNS.join(", ")
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .step("reading an incident")?;
        row.as_ref().map(incident_from_row).transpose()
    }

    async fn incidents_by_id(&self, ids: &[String]) -> StoreResult<Vec<Incident>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(30_000) {
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {} FROM incidents WHERE id IN (",
                INCIDENT_COLUMNS.join(", ")
            ));
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            q.push(")");
            let rows = q
                .build()
                .fetch_all(&self.pool)
                .await
                .step("reading incidents by id")?;
            for row in &rows {
                out.push(incident_from_row(row)?);
            }
        }
        Ok(out)
    }

    async fn incident_timeline(&self, id: &str) -> StoreResult<Vec<IncidentTransition>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRANSITION_COLUMNS} FROM incident_transitions WHERE incident = ?1 ORDER BY seq"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .step("reading an incident's timeline")?;
        rows.iter().map(transition_from_row).collect()
    }

    async fn transition_incident(
        &self,
        after: &Incident,
        transition: &IncidentTransition,
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting an incident transition")?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM incidents WHERE id = ?1")
                .bind(&after.id)
                .fetch_optional(&mut *tx)
                .await
                .step("reading an incident's version")?;
        let what = format!("incident {}", after.id);
        let current = current.ok_or_else(|| StoreError::NotFound { what: what.clone() })?;
        if current + 1 != i64::from(after.version) {
            return Err(StoreError::Conflict {
                what,
                current: u32::try_from(current).unwrap_or(u32::MAX),
            });
        }
        upsert_incidents(&mut tx, std::slice::from_ref(after)).await?;
        append_transitions(&mut tx, std::slice::from_ref(transition), false).await?;
        let (before, records) = transition_records(after, transition);
        let id = append_change(&mut tx, meta, Some(after.bbox()), &before, &records).await?;
        tx.commit()
            .await
            .step("committing an incident transition")?;
        self.checkpoint_in_background();
        Ok(id)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<IncidentPage> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM incidents");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .step("counting incidents")?;
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {} FROM incidents",
            INCIDENT_COLUMNS.join(", ")
        ));
        push_filter(&mut q, filter);
        q.push(" ORDER BY time DESC, id DESC LIMIT ")
            .push_bind(
                filter
                    .limit
                    .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX)),
            )
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let rows = q
            .build()
            .fetch_all(&self.pool)
            .await
            .step("listing incidents")?;
        Ok(IncidentPage {
            total: total.max(0) as u64,
            items: rows
                .iter()
                .map(incident_from_row)
                .collect::<StoreResult<_>>()?,
        })
    }

    async fn incident_counts(
        &self,
        filter: &IncidentFilter,
        by: CountBy,
        now: i64,
    ) -> StoreResult<Vec<IncidentCounts>> {
        let rows = counts_query::<Sqlite>(filter, by, now)
            .build()
            .fetch_all(&self.pool)
            .await
            .step("counting incidents")?;
        Ok(rows.iter().map(counts_from_row).collect())
    }
}
