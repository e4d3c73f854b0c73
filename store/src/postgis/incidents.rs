//! Incidents and their timelines: the bulk upsert both imports and reports use, the
//! optimistic transition write, filtered lists and grouped counts in SQL
//! ([`crate::incident_sql`]).

use super::log::append_change;
use super::stage::{upsert_counted, write_rows, Kind, Merge, Row, Table};
use super::PostgisStore;
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
use sqlx::{PgConnection, Postgres, QueryBuilder};

const INCIDENTS: Table = Table {
    name: "incidents",
    key: &["id"],
    columns: &[
        ("id", Kind::Text),
        ("time", Kind::Int),
        ("category", Kind::Text),
        ("subcategory", Kind::Text),
        ("status", Kind::Text),
        ("lon", Kind::Real),
        ("lat", Kind::Real),
        ("grid", Kind::Text),
        ("reporter", Kind::Text),
        ("description", Kind::Text),
        ("reporter_phone", Kind::Text),
        ("source", Kind::Text),
        ("address", Kind::Text),
        ("village", Kind::Text),
        ("township", Kind::Text),
        ("assignee", Kind::Text),
        ("due", Kind::Int),
        ("paused", Kind::Int),
        ("closed_at", Kind::Int),
        ("late_stages", Kind::Int),
        ("rating", Kind::Int),
        ("work", Kind::Text),
        ("version", Kind::Int),
        ("updated", Kind::Int),
    ],
    update: &[],
    step: "writing incidents",
};

/// Upserts incidents by id (imports and reports alike).
pub(super) async fn upsert_incidents(
    conn: &mut PgConnection,
    incidents: &[Incident],
) -> StoreResult<UpsertCounts> {
    debug_assert_eq!(INCIDENTS.columns.len(), INCIDENT_COLUMNS.len());
    let rows = incidents
        .iter()
        .map(|i| Ok((i, to_json(&i.work, "an incident's work")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(conn, &INCIDENTS, &rows, |row: &mut Row<'_>, (i, work)| {
        let clock = i.work.clock;
        row.text(&i.id)
            .int(i.time)
            .text(&i.category)
            .opt_text(i.subcategory.as_deref())
            .text(i.status.as_str())
            .real(i.location.x())
            .real(i.location.y())
            .opt_text(i.grid.as_ref().map(|g| g.as_str()))
            .opt_text(i.reporter.as_deref())
            .opt_text(i.description.as_deref())
            .opt_text(i.reporter_phone.as_deref())
            .opt_text(i.source.as_deref())
            .opt_text(i.address.as_deref())
            .opt_text(i.village.as_ref().map(|c| c.as_str()))
            .opt_text(i.township.as_ref().map(|c| c.as_str()))
            .opt_text(i.work.assignee.as_ref().map(|a| a.key()).as_deref())
            .opt_int(clock.map(|c| c.due))
            .int(i64::from(clock.is_some_and(|c| c.paused_left_s.is_some())))
            .opt_int(i.work.closed_at)
            .int(i64::from(i.work.late_stages))
            .opt_int(i.work.rating.map(i64::from))
            .text(work)
            .int(i64::from(i.version))
            .int(i.updated);
    })
    .await
}

/// How transitions are written: appended, never updated.
const TRANSITIONS: Table = Table {
    name: "incident_transitions",
    key: &["incident", "seq"],
    columns: &[
        ("incident", Kind::Text),
        ("seq", Kind::Int),
        ("at", Kind::Int),
        ("actor", Kind::Text),
        ("action", Kind::Text),
        ("from_status", Kind::Text),
        ("to_status", Kind::Text),
        ("note", Kind::Text),
        ("photos", Kind::Text),
        ("detail", Kind::Text),
    ],
    update: &[],
    step: "recording incident transitions",
};

/// Appends transitions; `or_ignore` skips those already recorded (a re-imported report).
async fn append_transitions(
    conn: &mut PgConnection,
    transitions: &[IncidentTransition],
    or_ignore: bool,
) -> StoreResult<()> {
    let how = if or_ignore {
        Merge::InsertOrIgnore
    } else {
        Merge::InsertNew
    };
    let rows = transitions
        .iter()
        .map(|t| {
            let what = "an incident transition";
            Ok((t, to_json(&t.action, what)?, to_json(&t.photos, what)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    write_rows(
        conn,
        &TRANSITIONS,
        &rows,
        how,
        |row: &mut Row<'_>, (t, detail, photos)| {
            row.text(&t.incident)
                .int(i64::from(t.seq))
                .int(t.at)
                .text(&t.actor)
                .text(t.action.name())
                .text(t.from.as_str())
                .text(t.to.as_str())
                .opt_text(t.note.as_deref())
                .text(photos)
                .text(detail);
        },
    )
    .await?;
    Ok(())
}

fn select_incidents() -> String {
    format!("SELECT {} FROM incidents", INCIDENT_COLUMNS.join(", "))
}

#[async_trait]
impl IncidentStore for PostgisStore {
    async fn incidents(&self) -> StoreResult<Vec<Incident>> {
        let sql = format!("{} ORDER BY time, id", select_incidents());
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
        Ok((added.counts, id))
    }

    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>> {
        let row = sqlx::query(&format!("{} WHERE id = $1", select_incidents()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .step("reading an incident")?;
        row.as_ref().map(incident_from_row).transpose()
    }

    async fn incidents_by_id(&self, ids: &[String]) -> StoreResult<Vec<Incident>> {
        let rows = sqlx::query(&format!("{} WHERE id = ANY($1)", select_incidents()))
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .step("reading incidents by id")?;
        rows.iter().map(incident_from_row).collect()
    }

    async fn incident_timeline(&self, id: &str) -> StoreResult<Vec<IncidentTransition>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRANSITION_COLUMNS} FROM incident_transitions WHERE incident = $1 ORDER BY seq"
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
            sqlx::query_scalar("SELECT version FROM incidents WHERE id = $1 FOR UPDATE")
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
        Ok(id)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<IncidentPage> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM incidents");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .step("counting incidents")?;
        let mut q = QueryBuilder::<Postgres>::new(select_incidents());
        push_filter(&mut q, filter);
        q.push(" ORDER BY time DESC, id DESC");
        if let Some(limit) = filter.limit {
            q.push(" LIMIT ")
                .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        q.push(" OFFSET ")
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
        let rows = counts_query::<Postgres>(filter, by, now)
            .build()
            .fetch_all(&self.pool)
            .await
            .step("counting incidents")?;
        Ok(rows.iter().map(counts_from_row).collect())
    }
}
