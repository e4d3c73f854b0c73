//! Whole records by key: the row decoders every read shares, reads of chosen keys, and
//! the row restore that undoes an import.

use super::log::append_change;
use super::read::{division, invalid};
use super::write::{put_rows, upsert_rows, Upsert};
use super::SqliteStore;
use crate::change::{ChangeMeta, ChangeRecords, RecordKeys, RecordRows, RowRestore};
use crate::error::{DbStep, StoreResult};
use crate::wkb;
use futures_util::TryStreamExt;
use geo_types::Point;
use gridmap_core::{AdminUnit, Barrier, Building, Household, HouseholdCount, Staff};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// The columns [`admin_unit_from_row`] reads, in order.
pub(super) const ADMIN_UNIT_COLUMNS: &str = "code, name, level, source_id, boundary";
/// The columns [`building_from_row`] reads, in order.
pub(super) const BUILDING_COLUMNS: &str =
    "source_id, footprint, building_use, levels, height, households, household_source, address, village";
/// The columns [`barrier_from_row`] reads, in order.
pub(super) const BARRIER_COLUMNS: &str = "source_id, kind, line";
/// The columns [`household_from_row`] reads, in order.
pub(super) const HOUSEHOLD_COLUMNS: &str =
    "id, building, lon, lat, entrance, floor, unit, address, head, phone, members, tags";
/// The columns [`staff_from_row`] reads, in order.
pub(super) const STAFF_COLUMNS: &str = "id, name, phone, role, area, grids";

pub(super) fn admin_unit_from_row(row: &SqliteRow) -> StoreResult<AdminUnit> {
    let code: String = row.get(0);
    let what = format!("admin unit {code}");
    let level: String = row.get(2);
    let boundary: Vec<u8> = row.get(4);
    Ok(AdminUnit {
        code: division(&code, &what)?,
        name: row.get(1),
        level: level.parse().map_err(|e: String| invalid(&what, e))?,
        source_id: row.get(3),
        boundary: wkb::decode_multipolygon(&boundary, &what)?,
    })
}

pub(super) fn building_from_row(row: &SqliteRow) -> StoreResult<Building> {
    let source_id: String = row.get(0);
    let what = format!("building {source_id}");
    let footprint: Vec<u8> = row.get(1);
    let building_use: String = row.get(2);
    let levels: Option<i64> = row.get(3);
    let height: Option<f64> = row.get(4);
    let households: i64 = row.get(5);
    let source: String = row.get(6);
    let village: Option<String> = row.get(8);
    Ok(Building {
        footprint: wkb::decode_multipolygon(&footprint, &what)?,
        building_use: building_use
            .parse()
            .map_err(|e: String| invalid(&what, e))?,
        levels: levels.and_then(|l| u16::try_from(l).ok()),
        height: height.map(|h| h as f32),
        households: HouseholdCount {
            count: u32::try_from(households).map_err(|e| invalid(&what, e))?,
            source: source.parse().map_err(|e: String| invalid(&what, e))?,
        },
        address: row.get(7),
        village: village.map(|v| division(&v, &what)).transpose()?,
        source_id,
    })
}

pub(super) fn barrier_from_row(row: &SqliteRow) -> StoreResult<Barrier> {
    let source_id: String = row.get(0);
    let line: Vec<u8> = row.get(2);
    let line = wkb::decode_multilinestring(&line, &format!("barrier {source_id}"))?;
    Ok(Barrier {
        source_id,
        kind: row.get(1),
        line,
    })
}

pub(super) fn household_from_row(row: &SqliteRow) -> StoreResult<Household> {
    let id: String = row.get(0);
    let lon: Option<f64> = row.get(2);
    let lat: Option<f64> = row.get(3);
    let floor: Option<i64> = row.get(5);
    let members: Option<i64> = row.get(10);
    let tags: String = row.get(11);
    Ok(Household {
        building: row.get(1),
        location: lon.zip(lat).map(|(x, y)| Point::new(x, y)),
        entrance: row.get(4),
        floor: floor.and_then(|f| i16::try_from(f).ok()),
        unit: row.get(6),
        address: row.get(7),
        head: row.get(8),
        phone: row.get(9),
        members: members.and_then(|m| u16::try_from(m).ok()),
        tags: serde_json::from_str(&tags).map_err(|e| invalid(format!("household {id}"), e))?,
        id,
    })
}

pub(super) fn staff_from_row(row: &SqliteRow) -> StoreResult<Staff> {
    let id: String = row.get(0);
    let what = format!("staff {id}");
    let role: String = row.get(3);
    let area: Option<String> = row.get(4);
    let grids: String = row.get(5);
    Ok(Staff {
        name: row.get(1),
        phone: row.get(2),
        role: role.parse().map_err(|e: String| invalid(&what, e))?,
        area: area.map(|a| division(&a, &what)).transpose()?,
        grids: serde_json::from_str(&grids).map_err(|e| invalid(&what, e))?,
        id,
    })
}

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
