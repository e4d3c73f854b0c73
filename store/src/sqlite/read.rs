//! Reads: whole layers for the in-memory snapshot, households of one building,
//! incidents, stats.

use super::rows::read_rows;
use super::SqliteStore;
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
use sqlx::sqlite::SqliteRow;

#[async_trait]
impl ReadStore for SqliteStore {
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        self.read_all(
            "admin_units",
            ADMIN_UNIT_COLUMNS,
            "code",
            "reading admin units",
            admin_unit_from_row,
        )
        .await
    }

    async fn buildings(&self) -> StoreResult<Vec<Building>> {
        self.read_all(
            "buildings",
            BUILDING_COLUMNS,
            "source_id",
            "reading buildings",
            building_from_row,
        )
        .await
    }

    async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        self.read_all(
            "barriers",
            BARRIER_COLUMNS,
            "source_id",
            "reading barriers",
            barrier_from_row,
        )
        .await
    }

    async fn grids(&self) -> StoreResult<Vec<Grid>> {
        let sql = format!("SELECT {GRID_COLUMNS} FROM grids ORDER BY code");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading grids")? {
            out.push(grid_from_row(&row)?);
        }
        Ok(out)
    }

    async fn grid(&self, code: &GridCode) -> StoreResult<Option<Grid>> {
        let row = sqlx::query(&format!("SELECT {GRID_COLUMNS} FROM grids WHERE code = ?1"))
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .step("reading a grid")?;
        row.as_ref().map(grid_from_row).transpose()
    }

    async fn staff(&self) -> StoreResult<Vec<Staff>> {
        self.read_all(
            "staff",
            STAFF_COLUMNS,
            "id",
            "reading staff",
            staff_from_row,
        )
        .await
    }

    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        let rows = sqlx::query(&format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE building = ?1 ORDER BY entrance, floor, unit, id"
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
        let mut rows = Vec::new();
        // SQLite binds at most 32,766 parameters per statement.
        for chunk in buildings.chunks(30_000) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
                "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE building IN ("
            ));
            let mut list = q.separated(", ");
            for b in chunk {
                list.push_bind(b.as_str());
            }
            q.push(") ORDER BY building, entrance, floor, unit, id");
            let found = q
                .build()
                .fetch_all(&self.pool)
                .await
                .step("reading households of buildings")?;
            for row in &found {
                rows.push(household_from_row(row)?);
            }
        }
        Ok(crate::decode::group_by_building(buildings, rows))
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

impl SqliteStore {
    /// Every row of `table`, in `order`, decoded by `decode`.
    async fn read_all<T>(
        &self,
        table: &str,
        columns: &str,
        order: &str,
        step: &'static str,
        decode: fn(&SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let sql = format!("SELECT {columns} FROM {table} ORDER BY {order}");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step(step)? {
            out.push(decode(&row)?);
        }
        Ok(out)
    }
}
