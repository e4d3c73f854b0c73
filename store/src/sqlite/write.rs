//! Imports and village assignment, each in one transaction, written with prepared
//! multi-row upserts (one statement per few hundred rows instead of one per row).

use super::log::append_change;
use super::rows::read_rows;
use super::SqliteStore;
use crate::batch::{ImportBatch, ImportSummary, UpsertCounts};
use crate::change::{ChangeMeta, ChangeRecords, RecordKeys, RecordRows, RowRestore};
use crate::decode::division;
use crate::decode::to_json;
use crate::error::{DbStep, StoreResult};
use crate::failpoint::failpoint;
use crate::{wkb, ImportStore};
use async_trait::async_trait;
use geo_types::Geometry;
use gridmap_core::geometry::union_bbox;
use gridmap_core::{AdminUnit, Barrier, Building, DivisionCode, Household, Staff};
use rayon::prelude::*;
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};

/// How one table is upserted: its columns in bind order, the conflict key, and the
/// columns whose update is not simply `column = excluded.column`.
pub(super) struct Upsert {
    pub table: &'static str,
    pub key: &'static str,
    pub columns: &'static [&'static str],
    /// `(column, expression)` overrides for the `DO UPDATE SET` list.
    pub update: &'static [(&'static str, &'static str)],
    /// What a failure was doing, for the error message.
    pub step: &'static str,
}

impl Upsert {
    fn conflict_clause(&self) -> String {
        let sets: Vec<String> = self
            .columns
            .iter()
            .filter(|c| **c != self.key)
            .map(|c| match self.update.iter().find(|(col, _)| col == c) {
                Some((_, expr)) => format!("{c} = {expr}"),
                None => format!("{c} = excluded.{c}"),
            })
            .collect();
        if sets.is_empty() {
            // A key-only table: a repeated key is already there.
            return format!(" ON CONFLICT ({}) DO NOTHING", self.key);
        }
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            self.key,
            sets.join(", ")
        )
    }

    /// Rows per statement: SQLite allows 32,766 bound values per statement.
    fn rows_per_statement(&self) -> usize {
        (32_766 / self.columns.len().max(1)).clamp(1, 500)
    }
}

/// Upserts `rows` with one multi-row statement per chunk; `bind` pushes one row's values
/// in the order of `spec.columns`.
pub(super) async fn upsert_rows<'a, T>(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    rows: &'a [T],
    bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> StoreResult<()> {
    write_all(conn, spec, rows, Write::Upsert, bind).await
}

/// Writes `rows` as `how` says, one multi-row statement per chunk.
pub(super) async fn write_all<'a, T>(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    rows: &'a [T],
    how: Write,
    mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> StoreResult<()> {
    let rows: Vec<&T> = rows.iter().collect();
    write_rows(conn, spec, &rows, how, &mut bind).await
}

/// How [`write_rows`] treats a key that is already stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    /// Updates the stored row.
    Upsert,
    /// Fails: the caller knows every key is new. Cheaper than an upsert on large
    /// batches: SQLite keeps a statement journal (a copy of every page the statement
    /// touches) for a multi-row upsert so it can undo that one statement, but none for
    /// `INSERT OR FAIL`. A failure aborts the caller's transaction anyway.
    InsertNew,
    /// Keeps the stored row and skips the new one (no statement journal either).
    InsertOrIgnore,
}

async fn write_rows<'a, T>(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    rows: &[&'a T],
    how: Write,
    bind: &mut impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> StoreResult<()> {
    let (verb, conflict) = match how {
        Write::Upsert => ("INSERT", spec.conflict_clause()),
        Write::InsertNew => ("INSERT OR FAIL", String::new()),
        Write::InsertOrIgnore => ("INSERT OR IGNORE", String::new()),
    };
    let mut statement = |chunk: &[&'a T]| {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "{verb} INTO {} ({}) ",
            spec.table,
            spec.columns.join(", ")
        ));
        q.push_values(chunk.iter().copied(), |mut row, item| bind(&mut row, item));
        q.push(&conflict);
        q
    };
    let mut chunks = rows.chunks(spec.rows_per_statement());
    let mut next = chunks.next().map(&mut statement);
    while let Some(mut current) = next {
        // The next statement's values are bound while SQLite runs this one: `join`
        // polls the execution first, which hands it to the connection's thread.
        let running = current.build().persistent(true).execute(&mut *conn);
        let (done, following) =
            futures_util::join!(running, async { chunks.next().map(&mut statement) });
        done.step(spec.step)?;
        next = following;
    }
    Ok(())
}

/// Which of `keys` are stored in `spec.table`, looked up by key (never a table scan).
async fn stored_keys<'k>(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    keys: impl Iterator<Item = &'k str>,
) -> StoreResult<HashSet<String>> {
    let keys: Vec<&str> = keys.collect();
    let mut stored = HashSet::new();
    for chunk in keys.chunks(30_000) {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {key} FROM {table} WHERE {key} IN (",
            key = spec.key,
            table = spec.table
        ));
        let mut list = q.separated(", ");
        for k in chunk {
            list.push_bind(*k);
        }
        q.push(")");
        let found: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .step(spec.step)?;
        stored.extend(found);
    }
    Ok(stored)
}

const ADMIN_UNITS: Upsert = Upsert {
    table: "admin_units",
    key: "code",
    columns: &[
        "code",
        "name",
        "level",
        "parent",
        "source_id",
        "boundary",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ],
    update: &[],
    step: "writing admin units",
};

const BUILDINGS: Upsert = Upsert {
    table: "buildings",
    key: "source_id",
    columns: &[
        "source_id",
        "footprint",
        "building_use",
        "levels",
        "height",
        "households",
        "household_source",
        "address",
        "village",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ],
    // A re-import without village assignment keeps the village found earlier.
    update: &[("village", "COALESCE(excluded.village, buildings.village)")],
    step: "writing buildings",
};

/// [`BUILDINGS`] writing every column as given, the village too (a restore).
const BUILDINGS_EXACT: Upsert = Upsert {
    update: &[],
    ..BUILDINGS
};

const BARRIERS: Upsert = Upsert {
    table: "barriers",
    key: "source_id",
    columns: &["source_id", "kind", "line"],
    update: &[],
    step: "writing barriers",
};

const HOUSEHOLDS: Upsert = Upsert {
    table: "households",
    key: "id",
    columns: &[
        "id", "building", "lon", "lat", "entrance", "floor", "unit", "address", "head", "phone",
        "members", "tags",
    ],
    update: &[],
    step: "writing households",
};

const STAFF: Upsert = Upsert {
    table: "staff",
    key: "id",
    columns: &[
        "id", "name", "phone", "role", "area", "grids", "home_lon", "home_lat",
    ],
    update: &[],
    step: "writing staff",
};

/// The register is the truth for the buildings it names: sets their household counts from
/// it where they differ (so buildings written again keep them). Returns how many buildings
/// it names.
async fn count_registered_households(conn: &mut SqliteConnection) -> StoreResult<u64> {
    sqlx::query(
        "WITH h AS (SELECT building, COUNT(*) AS n FROM households
                    WHERE building IS NOT NULL GROUP BY building)
         UPDATE buildings SET household_source = 'registered', households = h.n
         FROM h
         WHERE buildings.source_id = h.building
           AND (buildings.households <> h.n OR buildings.household_source <> 'registered')",
    )
    .execute(&mut *conn)
    .await
    .step("counting registered households per building")?;
    let named: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM buildings
         WHERE source_id IN (SELECT building FROM households WHERE building IS NOT NULL)",
    )
    .fetch_one(&mut *conn)
    .await
    .step("counting registered households per building")?;
    Ok(named.max(0) as u64)
}

/// Upserts `rows` into `spec.table` and says how many were new: the keys not yet stored
/// are inserted as new rows, the rest (and repeats within `rows`) upserted in order.
pub(super) async fn upsert_counted<'a, T>(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    rows: &'a [T],
    key_of: impl Fn(&'a T) -> &'a str,
    mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> StoreResult<UpsertCounts> {
    if rows.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let stored = stored_keys(conn, spec, rows.iter().map(&key_of)).await?;
    let mut seen = HashSet::with_capacity(rows.len());
    let (new, known): (Vec<&T>, Vec<&T>) = rows.iter().partition(|row| {
        let key = key_of(row);
        !stored.contains(key) && seen.insert(key)
    });
    write_rows(conn, spec, &new, Write::InsertNew, &mut bind).await?;
    write_rows(conn, spec, &known, Write::Upsert, &mut bind).await?;
    Ok(UpsertCounts {
        inserted: new.len() as u64,
        updated: known.len() as u64,
    })
}

/// A geometry as WKB with its bbox, encoded before binding (encoding can fail).
fn encoded(
    shape: &geo_types::MultiPolygon<f64>,
    what: impl FnOnce() -> String,
) -> StoreResult<(Vec<u8>, [f64; 4])> {
    let bytes = wkb::encode(Geometry::MultiPolygon(shape.clone()), &what())?;
    Ok((bytes, wkb::bbox(shape)))
}

async fn write_admin_units(
    conn: &mut SqliteConnection,
    units: &[AdminUnit],
) -> StoreResult<UpsertCounts> {
    let units = units
        .iter()
        .map(|u| {
            Ok((
                u,
                encoded(&u.boundary, || format!("admin unit {}", u.code))?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        conn,
        &ADMIN_UNITS,
        &units,
        |(u, _)| u.code.as_str(),
        |row, (u, (geom, b))| {
            row.push_bind(u.code.as_str())
                .push_bind(u.name.as_str())
                .push_bind(u.level.as_str())
                .push_bind(u.code.parent().map(String::from))
                .push_bind(u.source_id.as_str())
                .push_bind(geom.as_slice())
                .push_bind(b[0])
                .push_bind(b[1])
                .push_bind(b[2])
                .push_bind(b[3]);
        },
    )
    .await
}

/// Upserts buildings by `spec` ([`BUILDINGS`] for imports, [`BUILDINGS_EXACT`] for
/// restores).
async fn write_buildings(
    conn: &mut SqliteConnection,
    spec: &Upsert,
    buildings: &[Building],
    registered: &HashMap<&str, u32>,
) -> StoreResult<UpsertCounts> {
    // WKB encoding is the CPU part of the write: done on every core.
    let buildings = buildings
        .par_iter()
        .map(|b| {
            Ok((
                b,
                encoded(&b.footprint, || format!("building {}", b.source_id))?,
                ImportBatch::household_count_of(registered, b),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        conn,
        spec,
        &buildings,
        |(b, _, _)| b.source_id.as_str(),
        |row, (b, (geom, bb), households)| {
            row.push_bind(b.source_id.as_str())
                .push_bind(geom.as_slice())
                .push_bind(b.building_use.as_str())
                .push_bind(b.levels.map(i64::from))
                .push_bind(b.height.map(f64::from))
                .push_bind(i64::from(households.count))
                .push_bind(households.source.as_str())
                .push_bind(b.address.as_deref())
                .push_bind(b.village.as_ref().map(|v| v.as_str()))
                .push_bind(bb[0])
                .push_bind(bb[1])
                .push_bind(bb[2])
                .push_bind(bb[3]);
        },
    )
    .await
}

async fn write_barriers(
    conn: &mut SqliteConnection,
    barriers: &[Barrier],
) -> StoreResult<UpsertCounts> {
    let barriers = barriers
        .iter()
        .map(|b| {
            let what = format!("barrier {}", b.source_id);
            Ok((
                b,
                wkb::encode(Geometry::MultiLineString(b.line.clone()), &what)?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        conn,
        &BARRIERS,
        &barriers,
        |(b, _)| b.source_id.as_str(),
        |row, (b, geom)| {
            row.push_bind(b.source_id.as_str())
                .push_bind(b.kind.as_str())
                .push_bind(geom.as_slice());
        },
    )
    .await
}

async fn write_households(
    conn: &mut SqliteConnection,
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
        |(h, _)| h.id.as_str(),
        |row, (h, tags)| {
            row.push_bind(h.id.as_str())
                .push_bind(h.building.as_deref())
                .push_bind(h.location.map(|p| p.x()))
                .push_bind(h.location.map(|p| p.y()))
                .push_bind(h.entrance.as_deref())
                .push_bind(h.floor.map(i64::from))
                .push_bind(h.unit.as_deref())
                .push_bind(h.address.as_deref())
                .push_bind(h.head.as_deref())
                .push_bind(h.phone.as_deref())
                .push_bind(h.members.map(i64::from))
                .push_bind(tags.as_str());
        },
    )
    .await
}

async fn write_staff(conn: &mut SqliteConnection, staff: &[Staff]) -> StoreResult<UpsertCounts> {
    let staff = staff
        .iter()
        .map(|s| Ok((s, to_json(&s.grids, "staff grids")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    upsert_counted(
        conn,
        &STAFF,
        &staff,
        |(s, _)| s.id.as_str(),
        |row, (s, grids)| {
            row.push_bind(s.id.as_str())
                .push_bind(s.name.as_str())
                .push_bind(s.phone.as_deref())
                .push_bind(s.role.as_string())
                .push_bind(s.area.as_ref().map(|a| a.as_str()))
                .push_bind(grids.as_str())
                .push_bind(s.home.map(|p| p.x()))
                .push_bind(s.home.map(|p| p.y()));
        },
    )
    .await
}

/// Writes `rows` exactly as given (a restore: no derived values recomputed).
pub(super) async fn put_rows(conn: &mut SqliteConnection, rows: &RecordRows) -> StoreResult<()> {
    write_admin_units(conn, &rows.admin_units).await?;
    write_buildings(conn, &BUILDINGS_EXACT, &rows.buildings, &HashMap::new()).await?;
    write_barriers(conn, &rows.barriers).await?;
    write_households(conn, &rows.households).await?;
    write_staff(conn, &rows.staff).await?;
    Ok(())
}

/// Every record an import may change, beyond the keys it brings: admin units it replaces
/// under their source id, buildings it replaces and their register rows, and the
/// buildings whose household count the register rows change.
async fn keys_touched_by(
    conn: &mut SqliteConnection,
    batch: &ImportBatch,
) -> StoreResult<RecordKeys> {
    let mut keys = batch.keys();
    for unit in &batch.admin_units {
        let codes: Vec<String> =
            sqlx::query_scalar("SELECT code FROM admin_units WHERE source_id = ?1")
                .bind(&unit.source_id)
                .fetch_all(&mut *conn)
                .await
                .step("reading admin units an import replaces")?;
        for code in codes {
            keys.admin_units.insert(division(&code, "admin unit")?);
        }
    }
    for (stored, _) in &batch.replace_buildings {
        keys.buildings.insert(stored.clone());
        let moved: Vec<String> =
            sqlx::query_scalar("SELECT id FROM households WHERE building = ?1")
                .bind(stored)
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
impl ImportStore for SqliteStore {
    async fn import(&self, batch: &ImportBatch, meta: &ChangeMeta) -> StoreResult<ImportSummary> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting the import transaction")?;
        let mut summary = ImportSummary::default();

        // The before-state: every record the import may change, as it is now (register
        // rows that move take their old buildings' counts with them).
        let mut touched = keys_touched_by(&mut tx, batch).await?;
        let mut before = read_rows(&mut tx, &touched).await?;
        let old_buildings: RecordKeys = RecordKeys {
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
            sqlx::query("DELETE FROM admin_units WHERE source_id = ?1 AND code <> ?2")
                .bind(&unit.source_id)
                .bind(unit.code.as_str())
                .execute(&mut *tx)
                .await
                .step("replacing an admin unit")?;
        }
        summary.admin_units = write_admin_units(&mut tx, &batch.admin_units).await?;

        // A replaced building counts as updated: deleted here, its replacement upserted below.
        let mut replaced = 0;
        for (stored, _) in &batch.replace_buildings {
            replaced += sqlx::query("DELETE FROM buildings WHERE source_id = ?1")
                .bind(stored)
                .execute(&mut *tx)
                .await
                .step("deleting replaced buildings")?
                .rows_affected();
        }
        let registered = batch.registered_counts();
        summary.buildings =
            write_buildings(&mut tx, &BUILDINGS, &batch.buildings, &registered).await?;
        let replaced = replaced.min(summary.buildings.inserted);
        summary.buildings.inserted -= replaced;
        summary.buildings.updated += replaced;
        let mut moved = 0;
        for (stored, by) in &batch.replace_buildings {
            moved += sqlx::query("UPDATE households SET building = ?2 WHERE building = ?1")
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
            let named = count_registered_households(&mut tx).await?;
            if !batch.households.is_empty() {
                summary.buildings_with_registered_households = named;
            }
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
        summary.change = append_change(&mut tx, meta, bbox, &before, &after).await?;
        failpoint("import:written");
        tx.commit().await.step("committing the import")?;
        failpoint("import:committed");
        self.checkpoint().await?;
        Ok(summary)
    }

    async fn restore_rows(&self, restore: &RowRestore, meta: &ChangeMeta) -> StoreResult<i64> {
        self.restore(restore, meta).await
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
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS new_villages (source_id TEXT PRIMARY KEY, village TEXT)")
            .execute(&mut *tx)
            .await
            .step("preparing the village assignment")?;
        sqlx::query("DELETE FROM temp.new_villages")
            .execute(&mut *tx)
            .await
            .step("preparing the village assignment")?;
        const NEW_VILLAGES: Upsert = Upsert {
            table: "temp.new_villages",
            key: "source_id",
            columns: &["source_id", "village"],
            update: &[],
            step: "preparing the village assignment",
        };
        upsert_rows(&mut tx, &NEW_VILLAGES, assignments, |row, (b, v)| {
            row.push_bind(b.as_str())
                .push_bind(v.as_ref().map(|v| v.as_str()));
        })
        .await?;
        let previous: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT b.source_id, b.village FROM buildings b JOIN temp.new_villages n USING (source_id) ORDER BY b.source_id",
        )
        .fetch_all(&mut *tx)
        .await
        .step("reading the buildings' villages")?;
        sqlx::query(
            "UPDATE buildings SET village = (SELECT n.village FROM temp.new_villages n WHERE n.source_id = buildings.source_id)
             WHERE source_id IN (SELECT source_id FROM temp.new_villages)",
        )
        .execute(&mut *tx)
        .await
        .step("assigning buildings to villages")?;
        sqlx::query("DELETE FROM temp.new_villages")
            .execute(&mut *tx)
            .await
            .step("finishing the village assignment")?;
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
        self.checkpoint().await?;
        Ok(id)
    }
}
