//! Imports, village assignment and row restores, each in one transaction, written in
//! bulk through staging tables ([`super::stage`]).

use super::log::append_change;
use super::read::read_rows;
use super::stage::{upsert_counted, write_rows, Kind, Merge, Row, Table};
use super::{table_is_empty, PostgisStore};
use crate::batch::{ImportBatch, ImportSummary, UpsertCounts};
use crate::change::{ChangeMeta, ChangeRecords, RecordKeys, RecordRows, RowRestore};
use crate::decode::division;
use crate::decode::to_json;
use crate::error::{DbStep, StoreResult};
use crate::failpoint::failpoint;
use crate::ImportStore;
use async_trait::async_trait;
use gridmap_core::geometry::union_bbox;
use gridmap_core::mercator::{longer_side, to_metres_clockwise};
use gridmap_core::{AdminUnit, Barrier, Building, DivisionCode, Household, Staff};
use sqlx::PgConnection;
use std::collections::HashMap;

const ADMIN_UNITS: Table = Table {
    name: "admin_units",
    key: &["code"],
    columns: &[
        ("code", Kind::Text),
        ("name", Kind::Text),
        ("level", Kind::Text),
        ("parent", Kind::Text),
        ("source_id", Kind::Text),
        ("boundary", Kind::Geometry),
    ],
    update: &[],
    step: "writing admin units",
};

const BUILDINGS: Table = Table {
    name: "buildings",
    key: &["source_id"],
    columns: &[
        ("source_id", Kind::Text),
        ("footprint", Kind::Geometry),
        ("building_use", Kind::Text),
        ("levels", Kind::Int),
        ("height", Kind::Real),
        ("households", Kind::Int),
        ("household_source", Kind::Text),
        ("address", Kind::Text),
        ("village", Kind::Text),
        // Projected and measured here, on every core (migrations 15 and 18).
        ("footprint_mercator", Kind::Geometry),
        ("mercator_size", Kind::Real),
    ],
    // A re-import without village assignment keeps the village found earlier.
    update: &[("village", "COALESCE(EXCLUDED.village, buildings.village)")],
    step: "writing buildings",
};

/// [`BUILDINGS`] writing every column as given, the village too (a restore).
const BUILDINGS_EXACT: Table = Table {
    update: &[],
    ..BUILDINGS
};

const BARRIERS: Table = Table {
    name: "barriers",
    key: &["source_id"],
    columns: &[
        ("source_id", Kind::Text),
        ("kind", Kind::Text),
        ("line", Kind::Geometry),
    ],
    update: &[],
    step: "writing barriers",
};

const HOUSEHOLDS: Table = Table {
    name: "households",
    key: &["id"],
    columns: &[
        ("id", Kind::Text),
        ("building", Kind::Text),
        ("lon", Kind::Real),
        ("lat", Kind::Real),
        ("entrance", Kind::Text),
        ("floor", Kind::Int),
        ("unit", Kind::Text),
        ("address", Kind::Text),
        ("head", Kind::Text),
        ("phone", Kind::Text),
        ("members", Kind::Int),
        ("tags", Kind::Text),
    ],
    update: &[],
    step: "writing households",
};

const STAFF: Table = Table {
    name: "staff",
    key: &["id"],
    columns: &[
        ("id", Kind::Text),
        ("name", Kind::Text),
        ("phone", Kind::Text),
        ("role", Kind::Text),
        ("area", Kind::Text),
        ("grids", Kind::Text),
        ("home_lon", Kind::Real),
        ("home_lat", Kind::Real),
    ],
    update: &[],
    step: "writing staff",
};

/// The register is the truth for the buildings it names: sets their household counts
/// from it where they differ (so buildings written again keep them). Returns how many
/// buildings it names.
async fn count_registered_households(conn: &mut PgConnection) -> StoreResult<u64> {
    let named: i64 = sqlx::query_scalar(
        // One look-up per named building, for the count and the update alike.
        "WITH h AS (SELECT building, COUNT(*) AS n FROM households
                    WHERE building IS NOT NULL GROUP BY building),
              named AS (
                  SELECT b.source_id, h.n,
                         b.households <> h.n OR b.household_source <> 'registered' AS differs
                  FROM h JOIN buildings b ON b.source_id = h.building),
              counted AS (
                  UPDATE buildings b SET household_source = 'registered', households = named.n
                  FROM named
                  WHERE b.source_id = named.source_id AND named.differs
                  RETURNING 1)
         SELECT COUNT(*) FROM named",
    )
    .fetch_one(&mut *conn)
    .await
    .step("counting registered households per building")?;
    Ok(named.max(0) as u64)
}

/// A lon/lat geometry as the staging tables take it ([`Kind::Geometry`]).
async fn write_admin_units(
    conn: &mut PgConnection,
    units: &[AdminUnit],
) -> StoreResult<UpsertCounts> {
    upsert_counted(conn, &ADMIN_UNITS, units, |row: &mut Row<'_>, u| {
        row.text(u.code.as_str())
            .text(&u.name)
            .text(u.level.as_str())
            .opt_text(u.code.parent().as_ref().map(|p| p.as_str()))
            .text(&u.source_id)
            .geometry(&u.boundary, 4326, || format!("admin unit {}", u.code));
    })
    .await
}

/// Upserts buildings by `table` ([`BUILDINGS`] for imports, [`BUILDINGS_EXACT`] for
/// restores).
async fn write_buildings(
    conn: &mut PgConnection,
    table: &Table,
    buildings: &[Building],
    registered: &HashMap<&str, u32>,
) -> StoreResult<UpsertCounts> {
    // Each geometry is encoded into its row, on every core (see `stage::encode_chunks`).
    let counts = upsert_counted(conn, table, buildings, |row: &mut Row<'_>, b| {
        let households = ImportBatch::household_count_of(registered, b);
        let projected = to_metres_clockwise(&b.footprint);
        row.text(&b.source_id)
            .geometry(&b.footprint, 4326, || format!("building {}", b.source_id))
            .text(b.building_use.as_str())
            .opt_int(b.levels.map(i64::from))
            .opt_real(b.height.map(f64::from))
            .int(i64::from(households.count))
            .text(households.source.as_str())
            .opt_text(b.address.as_deref())
            .opt_text(b.village.as_ref().map(|v| v.as_str()))
            .geometry(&projected, 3857, || {
                format!("building {} in Web Mercator", b.source_id)
            })
            .opt_real(longer_side(&projected));
    })
    .await?;
    // A building written after the grids holding it (a re-import, a restore) takes their
    // codes now; the triggers on `grids` keep them from then on (migration 14). A store
    // without grids (a first import) has nothing to give: the ids are not even sent.
    let step = "marking the buildings with the grids holding them";
    if table_is_empty(conn, "grid_members", step).await? {
        return Ok(counts);
    }
    let ids: Vec<&str> = buildings.iter().map(|b| b.source_id.as_str()).collect();
    sqlx::query(
        "SELECT refresh_building_grids(ARRAY(
             SELECT DISTINCT m.building FROM unnest($1::text[]) AS t(id)
             JOIN grid_members m ON m.building = t.id COLLATE \"C\"))",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await
    .step(step)?;
    Ok(counts)
}

async fn write_barriers(
    conn: &mut PgConnection,
    barriers: &[Barrier],
) -> StoreResult<UpsertCounts> {
    upsert_counted(conn, &BARRIERS, barriers, |row: &mut Row<'_>, b| {
        row.text(&b.source_id)
            .text(&b.kind)
            .geometry(&b.line, 4326, || format!("barrier {}", b.source_id));
    })
    .await
}

async fn write_households(
    conn: &mut PgConnection,
    households: &[Household],
) -> StoreResult<UpsertCounts> {
    let households = households
        .iter()
        .map(|h| Ok((h, to_json(&h.tags, "household tags")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        conn,
        &HOUSEHOLDS,
        &households,
        |row: &mut Row<'_>, (h, tags)| {
            row.text(&h.id)
                .opt_text(h.building.as_deref())
                .opt_real(h.location.map(|p| p.x()))
                .opt_real(h.location.map(|p| p.y()))
                .opt_text(h.entrance.as_deref())
                .opt_int(h.floor.map(i64::from))
                .opt_text(h.unit.as_deref())
                .opt_text(h.address.as_deref())
                .opt_text(h.head.as_deref())
                .opt_text(h.phone.as_deref())
                .opt_int(h.members.map(i64::from))
                .text(tags);
        },
    )
    .await
}

async fn write_staff(conn: &mut PgConnection, staff: &[Staff]) -> StoreResult<UpsertCounts> {
    let staff = staff
        .iter()
        .map(|s| Ok((s, to_json(&s.grids, "staff grids")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(conn, &STAFF, &staff, |row: &mut Row<'_>, (s, grids)| {
        row.text(&s.id)
            .text(&s.name)
            .opt_text(s.phone.as_deref())
            .text(&s.role.as_string())
            .opt_text(s.area.as_ref().map(|a| a.as_str()))
            .text(grids)
            .opt_real(s.home.map(|p| p.x()))
            .opt_real(s.home.map(|p| p.y()));
    })
    .await
}

/// Writes `rows` exactly as given (a restore: no derived values recomputed).
async fn put_rows(conn: &mut PgConnection, rows: &RecordRows) -> StoreResult<()> {
    write_admin_units(conn, &rows.admin_units).await?;
    write_buildings(conn, &BUILDINGS_EXACT, &rows.buildings, &HashMap::new()).await?;
    write_barriers(conn, &rows.barriers).await?;
    write_households(conn, &rows.households).await?;
    write_staff(conn, &rows.staff).await?;
    Ok(())
}

/// Deletes the rows of `keys`.
async fn delete_rows(conn: &mut PgConnection, keys: &RecordKeys) -> StoreResult<()> {
    let tables: [(&str, &str, Vec<&str>); 5] = [
        (
            "households",
            "id",
            keys.households.iter().map(String::as_str).collect(),
        ),
        (
            "buildings",
            "source_id",
            keys.buildings.iter().map(String::as_str).collect(),
        ),
        (
            "barriers",
            "source_id",
            keys.barriers.iter().map(String::as_str).collect(),
        ),
        (
            "staff",
            "id",
            keys.staff.iter().map(String::as_str).collect(),
        ),
        (
            "admin_units",
            "code",
            keys.admin_units.iter().map(|c| c.as_str()).collect(),
        ),
    ];
    for (table, key, keys) in tables {
        if keys.is_empty() {
            continue;
        }
        sqlx::query(&format!("DELETE FROM {table} WHERE {key} = ANY($1)"))
            .bind(&keys)
            .execute(&mut *conn)
            .await
            .step("deleting records")?;
    }
    Ok(())
}

/// Every record an import may change, beyond the keys it brings: admin units it replaces
/// under their source id, buildings it replaces and their register rows, and the
/// buildings whose household count the register rows change.
async fn keys_touched_by(conn: &mut PgConnection, batch: &ImportBatch) -> StoreResult<RecordKeys> {
    let mut keys = batch.keys();
    let sources: Vec<&str> = batch
        .admin_units
        .iter()
        .map(|u| u.source_id.as_str())
        .collect();
    if !sources.is_empty() {
        let codes: Vec<String> =
            sqlx::query_scalar("SELECT code FROM admin_units WHERE source_id = ANY($1)")
                .bind(&sources)
                .fetch_all(&mut *conn)
                .await
                .step("reading admin units an import replaces")?;
        for code in codes {
            keys.admin_units.insert(division(&code, "admin unit")?);
        }
    }
    let replaced: Vec<&str> = batch
        .replace_buildings
        .iter()
        .map(|(stored, _)| stored.as_str())
        .collect();
    if !replaced.is_empty() {
        keys.buildings
            .extend(replaced.iter().map(|b| b.to_string()));
        let moved: Vec<String> =
            sqlx::query_scalar("SELECT id FROM households WHERE building = ANY($1)")
                .bind(&replaced)
                .fetch_all(&mut *conn)
                .await
                .step("reading register rows of replaced buildings")?;
        keys.households.extend(moved);
    }
    keys.buildings
        .extend(batch.households.iter().filter_map(|h| h.building.clone()));
    Ok(keys)
}

#[async_trait]
impl ImportStore for PostgisStore {
    async fn import(&self, batch: &ImportBatch, meta: &ChangeMeta) -> StoreResult<ImportSummary> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting the import transaction")?;
        let mut summary = ImportSummary::default();

        // The before-state: every record the import may change, as it is now (register
        // rows that move take their old buildings' counts with them).
        let started = std::time::Instant::now();
        let mut touched = keys_touched_by(&mut tx, batch).await?;
        let mut before = read_rows(&mut tx, &touched).await?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "import: before-state read"
        );
        let old_buildings = RecordKeys {
            buildings: before
                .households
                .iter()
                .filter_map(|h| h.building.clone())
                .filter(|b| !touched.buildings.contains(b))
                .collect(),
            ..RecordKeys::default()
        };
        if !old_buildings.is_empty() {
            before
                .buildings
                .extend(read_rows(&mut tx, &old_buildings).await?.buildings);
            before.sort();
            touched.extend(old_buildings);
        }

        // A re-import of the same source replaces the unit even if its code changed.
        for unit in &batch.admin_units {
            sqlx::query("DELETE FROM admin_units WHERE source_id = $1 AND code <> $2")
                .bind(&unit.source_id)
                .bind(unit.code.as_str())
                .execute(&mut *tx)
                .await
                .step("replacing an admin unit")?;
        }
        summary.admin_units = write_admin_units(&mut tx, &batch.admin_units).await?;

        // A replaced building counts as updated: deleted here, its replacement upserted below.
        let stored: Vec<&str> = batch
            .replace_buildings
            .iter()
            .map(|(s, _)| s.as_str())
            .collect();
        let replaced = if stored.is_empty() {
            0
        } else {
            sqlx::query("DELETE FROM buildings WHERE source_id = ANY($1)")
                .bind(&stored)
                .execute(&mut *tx)
                .await
                .step("deleting replaced buildings")?
                .rows_affected()
        };
        let registered = batch.registered_counts();
        summary.buildings =
            write_buildings(&mut tx, &BUILDINGS, &batch.buildings, &registered).await?;
        let replaced = replaced.min(summary.buildings.inserted);
        summary.buildings.inserted -= replaced;
        summary.buildings.updated += replaced;
        let mut moved = 0;
        for (stored, by) in &batch.replace_buildings {
            moved += sqlx::query("UPDATE households SET building = $2 WHERE building = $1")
                .bind(stored)
                .bind(by)
                .execute(&mut *tx)
                .await
                .step("moving register rows to replacing buildings")?
                .rows_affected();
        }
        summary.barriers = write_barriers(&mut tx, &batch.barriers).await?;
        summary.households = write_households(&mut tx, &batch.households).await?;
        // Buildings written again (a re-import of footprints) keep the register's counts.
        if !batch.households.is_empty() || moved > 0 || !batch.buildings.is_empty() {
            let counting = std::time::Instant::now();
            let named = count_registered_households(&mut tx).await?;
            if !batch.households.is_empty() {
                summary.buildings_with_registered_households = named;
            }
            tracing::debug!(
                seconds = counting.elapsed().as_secs_f64(),
                "import: register counted"
            );
        }
        summary.staff = write_staff(&mut tx, &batch.staff).await?;

        summary.incidents = super::incidents::upsert_incidents(&mut tx, &batch.incidents).await?;

        // The log keeps every touched record as it was and the keys it wrote: enough
        // to undo the import.
        let bbox = union_bbox(before.bbox().into_iter().chain(batch.bbox()));
        let before = ChangeRecords {
            rows: before,
            ..ChangeRecords::default()
        };
        let after = ChangeRecords::of_import(touched, &summary);
        let logging = std::time::Instant::now();
        summary.change = append_change(&mut tx, meta, bbox, &before, &after).await?;
        failpoint("import:written");
        tx.commit().await.step("committing the import")?;
        tracing::debug!(
            seconds = logging.elapsed().as_secs_f64(),
            "import: logged and committed"
        );
        failpoint("import:committed");
        Ok(summary)
    }

    async fn restore_rows(&self, restore: &RowRestore, meta: &ChangeMeta) -> StoreResult<i64> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting the restore transaction")?;
        restore.check(&read_rows(&mut tx, &restore.checked_keys()).await?)?;
        let mut touched = restore.put.keys();
        touched.extend(restore.delete.clone());
        let before = read_rows(&mut tx, &touched).await?;
        delete_rows(&mut tx, &restore.delete).await?;
        put_rows(&mut tx, &restore.put).await?;
        let after = read_rows(&mut tx, &touched).await?;
        let bbox = before.bbox_with(&after);
        let records = |rows| ChangeRecords {
            rows,
            ..ChangeRecords::default()
        };
        let id = append_change(&mut tx, meta, bbox, &records(before), &records(after)).await?;
        tx.commit().await.step("committing the restore")?;
        Ok(id)
    }

    async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
        if assignments.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .begin_write()
            .await
            .step("starting the village assignment")?;
        const NEW_VILLAGES: Table = Table {
            name: "new_villages",
            key: &["source_id"],
            columns: &[("source_id", Kind::Text), ("village", Kind::Text)],
            update: &[],
            step: "preparing the village assignment",
        };
        sqlx::query(
            "CREATE TEMP TABLE new_villages (source_id text PRIMARY KEY, village text) ON COMMIT DROP",
        )
        .execute(&mut *tx)
        .await
        .step("preparing the village assignment")?;
        write_rows(
            &mut tx,
            &NEW_VILLAGES,
            assignments,
            Merge::Upsert,
            |row: &mut Row<'_>, (b, v)| {
                row.text(b).opt_text(v.as_ref().map(|v| v.as_str()));
            },
        )
        .await?;
        let previous: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT b.source_id, b.village FROM buildings b JOIN new_villages n USING (source_id)
             ORDER BY b.source_id FOR UPDATE OF b",
        )
        .fetch_all(&mut *tx)
        .await
        .step("reading the buildings' villages")?;
        sqlx::query(
            "UPDATE buildings b SET village = n.village FROM new_villages n
             WHERE b.source_id = n.source_id",
        )
        .execute(&mut *tx)
        .await
        .step("assigning buildings to villages")?;
        let before = ChangeRecords {
            building_villages: previous
                .into_iter()
                .map(|(b, v)| (b, v.and_then(|v| v.parse().ok())))
                .collect(),
            ..ChangeRecords::default()
        };
        let after = ChangeRecords {
            building_villages: assignments.to_vec(),
            ..ChangeRecords::default()
        };
        // Villages are not drawn on buildings: nothing to purge beyond the buildings.
        let id = append_change(&mut tx, meta, None, &before, &after).await?;
        tx.commit().await.step("committing village assignment")?;
        Ok(id)
    }
}
