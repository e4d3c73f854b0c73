//! Reads: whole layers for the in-memory snapshot, households of one building, counts,
//! and records by key (`= ANY($1)` over a text array: no temporary key tables).

use super::{select, table_is_empty, PostgisStore};
use crate::batch::Stats;
use crate::change::{RecordKeys, RecordRows};
use crate::decode::{
    admin_unit_from_row, barrier_from_row, building_from_row, grid_from_row, household_from_row,
    staff_from_row, stats_from_row, ADMIN_UNIT_COLUMNS, BARRIER_COLUMNS, BUILDING_COLUMNS,
    GRID_COLUMNS, HOUSEHOLD_COLUMNS, STAFF_COLUMNS, STATS_SQL,
};
use crate::error::{DbStep, StoreResult};
use crate::ReadStore;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use gridmap_core::{AdminUnit, Barrier, Building, Grid, GridCode, Household, Staff};
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

/// One record table: its name, key and the columns its decoder reads.
struct Records<T> {
    table: &'static str,
    key: &'static str,
    columns: &'static str,
    step: &'static str,
    decode: fn(&PgRow) -> StoreResult<T>,
}

const ADMIN_UNITS: Records<AdminUnit> = Records {
    table: "admin_units",
    key: "code",
    columns: ADMIN_UNIT_COLUMNS,
    step: "reading admin units",
    decode: admin_unit_from_row,
};
const BUILDINGS: Records<Building> = Records {
    table: "buildings",
    key: "source_id",
    columns: BUILDING_COLUMNS,
    step: "reading buildings",
    decode: building_from_row,
};
const BARRIERS: Records<Barrier> = Records {
    table: "barriers",
    key: "source_id",
    columns: BARRIER_COLUMNS,
    step: "reading barriers",
    decode: barrier_from_row,
};
const HOUSEHOLDS: Records<Household> = Records {
    table: "households",
    key: "id",
    columns: HOUSEHOLD_COLUMNS,
    step: "reading households",
    decode: household_from_row,
};
const STAFF: Records<Staff> = Records {
    table: "staff",
    key: "id",
    columns: STAFF_COLUMNS,
    step: "reading staff",
    decode: staff_from_row,
};
const GRIDS: Records<Grid> = Records {
    table: "grids",
    key: "code",
    columns: GRID_COLUMNS,
    step: "reading grids",
    decode: grid_from_row,
};

/// Keys from which a read by key first asks whether the table holds any row.
const MANY_KEYS: usize = 1_000;

impl<T> Records<T> {
    /// Every row, in key order.
    async fn all(&self, conn: impl sqlx::PgExecutor<'_>) -> StoreResult<Vec<T>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            select(self.columns),
            self.table,
            self.key
        );
        let mut rows = sqlx::query(&sql).fetch(conn);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step(self.step)? {
            out.push((self.decode)(&row)?);
        }
        Ok(out)
    }

    /// The rows of `keys`, in key order.
    async fn of<'k>(
        &self,
        conn: &mut PgConnection,
        keys: impl Iterator<Item = &'k str>,
    ) -> StoreResult<Vec<T>> {
        let keys: Vec<&str> = keys.collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // A first import asks for every key it brings: an empty table answers at once,
        // without the keys sent and looked up one by one.
        if keys.len() >= MANY_KEYS && table_is_empty(conn, self.table, self.step).await? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE {key} = ANY($1) ORDER BY {key}",
            select(self.columns),
            self.table,
            key = self.key
        );
        let rows = sqlx::query(&sql)
            .bind(&keys)
            .fetch_all(&mut *conn)
            .await
            .step(self.step)?;
        rows.iter().map(self.decode).collect()
    }
}

/// The stored rows of `keys`, each kind in key order.
pub(super) async fn read_rows(
    conn: &mut PgConnection,
    keys: &RecordKeys,
) -> StoreResult<RecordRows> {
    Ok(RecordRows {
        admin_units: ADMIN_UNITS
            .of(conn, keys.admin_units.iter().map(|c| c.as_str()))
            .await?,
        buildings: BUILDINGS
            .of(conn, keys.buildings.iter().map(String::as_str))
            .await?,
        barriers: BARRIERS
            .of(conn, keys.barriers.iter().map(String::as_str))
            .await?,
        households: HOUSEHOLDS
            .of(conn, keys.households.iter().map(String::as_str))
            .await?,
        staff: STAFF
            .of(conn, keys.staff.iter().map(String::as_str))
            .await?,
    })
}

/// Grids whose `column` is `value`, in code order.
pub(super) async fn grids_where(
    conn: &mut PgConnection,
    column: &str,
    value: &str,
) -> StoreResult<Vec<Grid>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM grids WHERE {column} = $1 ORDER BY code",
        select(GRID_COLUMNS)
    ))
    .bind(value)
    .fetch_all(&mut *conn)
    .await
    .step("reading grids")?;
    rows.iter().map(grid_from_row).collect()
}

#[async_trait]
impl ReadStore for PostgisStore {
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        ADMIN_UNITS.all(&self.pool).await
    }

    async fn buildings(&self) -> StoreResult<Vec<Building>> {
        BUILDINGS.all(&self.pool).await
    }

    async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        BARRIERS.all(&self.pool).await
    }

    async fn grids(&self) -> StoreResult<Vec<Grid>> {
        GRIDS.all(&self.pool).await
    }

    async fn grid(&self, code: &GridCode) -> StoreResult<Option<Grid>> {
        let mut conn = self.pool.acquire().await.step("reading a grid")?;
        Ok(grids_where(&mut conn, "code", code.as_str()).await?.pop())
    }

    async fn staff(&self) -> StoreResult<Vec<Staff>> {
        STAFF.all(&self.pool).await
    }

    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        let rows = sqlx::query(&format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE building = $1
             ORDER BY entrance, floor, unit, id"
        ))
        .bind(building)
        .fetch_all(&self.pool)
        .await
        .step("reading households of a building")?;
        rows.iter().map(household_from_row).collect()
    }

    async fn households_of_buildings(
        &self,
        buildings: &[String],
    ) -> StoreResult<Vec<(String, Vec<Household>)>> {
        let rows = sqlx::query(&format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE building = ANY($1)
             ORDER BY building, entrance, floor, unit, id"
        ))
        .bind(buildings)
        .fetch_all(&self.pool)
        .await
        .step("reading households of buildings")?;
        let households = rows
            .iter()
            .map(household_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(crate::decode::group_by_building(buildings, households))
    }

    async fn rows(&self, keys: &RecordKeys) -> StoreResult<RecordRows> {
        let mut conn = self.pool.acquire().await.step("reading records by key")?;
        read_rows(&mut conn, keys).await
    }

    async fn stats(&self) -> StoreResult<Stats> {
        let row = sqlx::query(STATS_SQL)
            .fetch_one(&self.pool)
            .await
            .step("counting")?;
        Ok(stats_from_row(&row))
    }
}
