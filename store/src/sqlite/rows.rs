//! Whole records by key: reads of chosen keys, and the row restore that undoes an
//! import.

use super::log::append_change;
use super::write::{put_rows, upsert_rows, Upsert};
use super::SqliteStore;
use crate::change::{ChangeMeta, ChangeRecords, RecordKeys, RecordRows, RowRestore};
use crate::decode::{
    admin_unit_from_row, barrier_from_row, building_from_row, household_from_row, staff_from_row,
    ADMIN_UNIT_COLUMNS, BARRIER_COLUMNS, BUILDING_COLUMNS, HOUSEHOLD_COLUMNS, STAFF_COLUMNS,
};
use crate::error::{DbStep, StoreResult};
use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

/// Fills the temporary key table of `table` with `keys` (emptied first).
async fn load_keys(
    conn: &mut SqliteConnection,
    table: &'static str,
    keys: &[&str],
) -> StoreResult<()> {
    sqlx::query(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS keys_{table} (key TEXT PRIMARY KEY)"
    ))
    .execute(&mut *conn)
    .await
    .step("preparing a key list")?;
    sqlx::query(&format!("DELETE FROM temp.keys_{table}"))
        .execute(&mut *conn)
        .await
        .step("preparing a key list")?;
    let spec = Upsert {
        table: key_table(table),
        key: "key",
        columns: &["key"],
        update: &[],
        step: "preparing a key list",
    };
    upsert_rows(conn, &spec, keys, |row, key| {
        row.push_bind(*key);
    })
    .await
}

/// The temporary key table of a record table.
fn key_table(table: &'static str) -> &'static str {
    match table {
        "admin_units" => "temp.keys_admin_units",
        "buildings" => "temp.keys_buildings",
        "barriers" => "temp.keys_barriers",
        "households" => "temp.keys_households",
        "staff" => "temp.keys_staff",
        other => unreachable!("no key table for {other}"),
    }
}

/// Reads the rows of `keys` of one table, in key order.
async fn read_table<T>(
    conn: &mut SqliteConnection,
    table: &'static str,
    key: &str,
    columns: &str,
    keys: Vec<&str>,
    decode: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    load_keys(conn, table, &keys).await?;
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {key} IN (SELECT key FROM {}) ORDER BY {key}",
        key_table(table)
    );
    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.step("reading records by key")? {
        out.push(decode(&row)?);
    }
    Ok(out)
}

/// The stored rows of `keys`, each kind in key order.
pub(super) async fn read_rows(
    conn: &mut SqliteConnection,
    keys: &RecordKeys,
) -> StoreResult<RecordRows> {
    Ok(RecordRows {
        admin_units: read_table(
            conn,
            "admin_units",
            "code",
            ADMIN_UNIT_COLUMNS,
            keys.admin_units.iter().map(|c| c.as_str()).collect(),
            admin_unit_from_row,
        )
        .await?,
        buildings: read_table(
            conn,
            "buildings",
            "source_id",
            BUILDING_COLUMNS,
            keys.buildings.iter().map(String::as_str).collect(),
            building_from_row,
        )
        .await?,
        barriers: read_table(
            conn,
            "barriers",
            "source_id",
            BARRIER_COLUMNS,
            keys.barriers.iter().map(String::as_str).collect(),
            barrier_from_row,
        )
        .await?,
        households: read_table(
            conn,
            "households",
            "id",
            HOUSEHOLD_COLUMNS,
            keys.households.iter().map(String::as_str).collect(),
            household_from_row,
        )
        .await?,
        staff: read_table(
            conn,
            "staff",
            "id",
            STAFF_COLUMNS,
            keys.staff.iter().map(String::as_str).collect(),
            staff_from_row,
        )
        .await?,
    })
}

/// Deletes the rows of `keys`.
async fn delete_rows(conn: &mut SqliteConnection, keys: &RecordKeys) -> StoreResult<()> {
    let tables: [(&'static str, &str, Vec<&str>); 5] = [
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
        load_keys(conn, table, &keys).await?;
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT key FROM {})",
            key_table(table)
        ))
        .execute(&mut *conn)
        .await
        .step("deleting records")?;
    }
    Ok(())
}

impl SqliteStore {
    pub(super) async fn restore(
        &self,
        restore: &RowRestore,
        meta: &ChangeMeta,
    ) -> StoreResult<i64> {
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
        self.checkpoint().await?;
        Ok(id)
    }
}
