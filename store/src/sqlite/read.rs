//! Reads: whole layers for the in-memory snapshot, households of one building,
//! incidents, stats.

use super::SqliteStore;
use crate::batch::Stats;
use crate::error::{DbStep, StoreError, StoreResult};
use crate::{wkb, ReadStore};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use geo_types::Point;
use gridmap_core::{
    AdminUnit, Barrier, Building, DivisionCode, Grid, GridCode, GridMember, Household,
    HouseholdCount, Staff,
};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// The columns [`grid_from_row`] reads, in order.
pub(super) const GRID_COLUMNS: &str =
    "code, level, parent, village, households, members, polygon, staff, locked, institution, version";

pub(super) fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Value {
        what: what.into(),
        reason: reason.to_string(),
    }
}

pub(super) fn division(code: &str, what: &str) -> StoreResult<DivisionCode> {
    code.parse().map_err(|e| invalid(what, e))
}

#[async_trait]
impl ReadStore for SqliteStore {
    async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        let mut rows = sqlx::query(
            "SELECT code, name, level, source_id, boundary FROM admin_units ORDER BY code",
        )
        .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading admin units")? {
            let code: String = row.get(0);
            let what = format!("admin unit {code}");
            let level: String = row.get(2);
            let boundary: Vec<u8> = row.get(4);
            out.push(AdminUnit {
                code: division(&code, &what)?,
                name: row.get(1),
                level: level.parse().map_err(|e: String| invalid(&what, e))?,
                source_id: row.get(3),
                boundary: wkb::decode_multipolygon(&boundary, &what)?,
            });
        }
        Ok(out)
    }

    async fn buildings(&self) -> StoreResult<Vec<Building>> {
        let mut rows = sqlx::query(
            "SELECT source_id, footprint, building_use, levels, height, households, household_source, address, village
             FROM buildings ORDER BY source_id",
        )
        .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading buildings")? {
            let source_id: String = row.get(0);
            let what = format!("building {source_id}");
            let footprint: Vec<u8> = row.get(1);
            let building_use: String = row.get(2);
            let levels: Option<i64> = row.get(3);
            let height: Option<f64> = row.get(4);
            let households: i64 = row.get(5);
            let source: String = row.get(6);
            let village: Option<String> = row.get(8);
            out.push(Building {
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
            });
        }
        Ok(out)
    }

    async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        let mut rows = sqlx::query("SELECT source_id, kind, line FROM barriers ORDER BY source_id")
            .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading barriers")? {
            let source_id: String = row.get(0);
            let line: Vec<u8> = row.get(2);
            let line = wkb::decode_multilinestring(&line, &format!("barrier {source_id}"))?;
            out.push(Barrier {
                source_id,
                kind: row.get(1),
                line,
            });
        }
        Ok(out)
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
        let mut rows =
            sqlx::query("SELECT id, name, phone, role, area, grids FROM staff ORDER BY id")
                .fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.step("reading staff")? {
            let id: String = row.get(0);
            let what = format!("staff {id}");
            let role: String = row.get(3);
            let area: Option<String> = row.get(4);
            let grids: String = row.get(5);
            out.push(Staff {
                name: row.get(1),
                phone: row.get(2),
                role: role.parse().map_err(|e: String| invalid(&what, e))?,
                area: area.map(|a| division(&a, &what)).transpose()?,
                grids: serde_json::from_str(&grids).map_err(|e| invalid(&what, e))?,
                id,
            });
        }
        Ok(out)
    }

    async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        let rows = sqlx::query(
            "SELECT id, building, lon, lat, entrance, floor, unit, address, head, phone, members, tags
             FROM households WHERE building = ?1 ORDER BY entrance, floor, unit, id",
        )
        .bind(building)
        .fetch_all(&self.pool)
        .await
        .step("reading households of a building")?;
        rows.iter()
            .map(|row| {
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
                    tags: serde_json::from_str(&tags)
                        .map_err(|e| invalid(format!("household {id}"), e))?,
                    id,
                })
            })
            .collect()
    }

    async fn stats(&self) -> StoreResult<Stats> {
        let row = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM admin_units WHERE level = 'county'),
               (SELECT COUNT(*) FROM admin_units WHERE level = 'township'),
               (SELECT COUNT(*) FROM admin_units WHERE level = 'village'),
               (SELECT COUNT(*) FROM buildings),
               (SELECT COUNT(*) FROM buildings WHERE building_use = 'residential'),
               (SELECT COUNT(*) FROM buildings WHERE building_use = 'institution'),
               (SELECT COALESCE(SUM(households), 0) FROM buildings),
               (SELECT COALESCE(SUM(households), 0) FROM buildings WHERE household_source = 'estimated'),
               (SELECT COUNT(*) FROM households),
               (SELECT COUNT(*) FROM grids),
               (SELECT COUNT(*) FROM grids WHERE locked),
               (SELECT COUNT(*) FROM staff),
               (SELECT COUNT(*) FROM incidents),
               (SELECT COUNT(*) FROM barriers)",
        )
        .fetch_one(&self.pool)
        .await
        .step("counting")?;
        let n = |i: usize| -> u64 { row.get::<i64, _>(i).max(0) as u64 };
        Ok(Stats {
            counties: n(0),
            townships: n(1),
            villages: n(2),
            buildings: n(3),
            buildings_residential: n(4),
            buildings_institution: n(5),
            households_in_buildings: n(6),
            households_estimated: n(7),
            register_rows: n(8),
            grids: n(9),
            grids_locked: n(10),
            staff: n(11),
            incidents: n(12),
            barriers: n(13),
        })
    }
}

/// A grid from a row of [`GRID_COLUMNS`].
pub(super) fn grid_from_row(row: &SqliteRow) -> StoreResult<Grid> {
    let code: String = row.get(0);
    let what = format!("grid {code}");
    let parent: Option<String> = row.get(2);
    let village: String = row.get(3);
    let members: String = row.get(5);
    let polygon: Vec<u8> = row.get(6);
    let level: i64 = row.get(1);
    let households: i64 = row.get(4);
    let version: i64 = row.get(10);
    Ok(Grid {
        code: code.parse::<GridCode>().map_err(|e| invalid(&what, e))?,
        level: u8::try_from(level).map_err(|e| invalid(&what, e))?,
        parent: parent
            .map(|p| p.parse::<GridCode>().map_err(|e| invalid(&what, e)))
            .transpose()?,
        village: division(&village, &what)?,
        members: serde_json::from_str::<Vec<GridMember>>(&members)
            .map_err(|e| invalid(&what, e))?,
        households: u32::try_from(households).map_err(|e| invalid(&what, e))?,
        polygon: wkb::decode_multipolygon(&polygon, &what)?,
        staff: row.get(7),
        locked: row.get(8),
        institution: row.get(9),
        version: u32::try_from(version).map_err(|e| invalid(&what, e))?,
    })
}
