//! Writes: imports and grid replacement, each in one transaction.

use super::SqliteStore;
use crate::batch::{GridChange, ImportBatch, ImportSummary, UpsertCounts};
use crate::error::{DbStep, StoreError, StoreResult};
use crate::wkb;
use geo_types::Geometry;
use gridmap_core::{DivisionCode, Grid, Staff};
use sqlx::{Sqlite, Transaction};

async fn count(tx: &mut Transaction<'_, Sqlite>, table: &'static str) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .step("counting rows")?;
    Ok(n.max(0) as u64)
}

/// The register is the truth for the buildings it names: sets their household counts from
/// it. Returns how many buildings it names.
async fn count_registered_households(tx: &mut Transaction<'_, Sqlite>) -> StoreResult<u64> {
    let updated = sqlx::query(
        "UPDATE buildings SET household_source = 'registered',
           households = (SELECT COUNT(*) FROM households h WHERE h.building = buildings.source_id)
         WHERE source_id IN (SELECT DISTINCT building FROM households WHERE building IS NOT NULL)",
    )
    .execute(&mut **tx)
    .await
    .step("counting registered households per building")?;
    Ok(updated.rows_affected())
}

fn upserted(before: u64, after: u64, written: usize) -> UpsertCounts {
    let inserted = after.saturating_sub(before);
    UpsertCounts {
        inserted,
        updated: (written as u64).saturating_sub(inserted),
    }
}

fn json<T: serde::Serialize>(value: &T, what: &str) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Value {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

impl SqliteStore {
    pub(crate) async fn import(&self, batch: &ImportBatch) -> StoreResult<ImportSummary> {
        let mut tx = self
            .pool
            .begin()
            .await
            .step("starting the import transaction")?;
        let mut summary = ImportSummary::default();

        if !batch.admin_units.is_empty() {
            let before = count(&mut tx, "admin_units").await?;
            for unit in &batch.admin_units {
                let what = format!("admin unit {}", unit.code);
                let [a, b, c, d] = wkb::bbox(&unit.boundary);
                let geom = wkb::encode(Geometry::MultiPolygon(unit.boundary.clone()), &what)?;
                // A re-import of the same source replaces the unit even if its code changed.
                sqlx::query("DELETE FROM admin_units WHERE source_id = ?1 AND code <> ?2")
                    .bind(&unit.source_id)
                    .bind(unit.code.as_str())
                    .execute(&mut *tx)
                    .await
                    .step("replacing an admin unit")?;
                sqlx::query(
                    "INSERT INTO admin_units (code, name, level, parent, source_id, boundary, min_lon, min_lat, max_lon, max_lat)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent,
                       source_id = excluded.source_id, boundary = excluded.boundary, min_lon = excluded.min_lon,
                       min_lat = excluded.min_lat, max_lon = excluded.max_lon, max_lat = excluded.max_lat",
                )
                .bind(unit.code.as_str())
                .bind(&unit.name)
                .bind(unit.level.as_str())
                .bind(unit.code.parent().map(String::from))
                .bind(&unit.source_id)
                .bind(geom)
                .bind(a)
                .bind(b)
                .bind(c)
                .bind(d)
                .execute(&mut *tx)
                .await
                .step("writing admin units")?;
            }
            summary.admin_units = upserted(
                before,
                count(&mut tx, "admin_units").await?,
                batch.admin_units.len(),
            );
        }

        if !batch.buildings.is_empty() {
            let before = count(&mut tx, "buildings").await?;
            // A replaced building counts as updated: deleted here, its replacement upserted below.
            for (stored, _) in &batch.replace_buildings {
                sqlx::query("DELETE FROM buildings WHERE source_id = ?1")
                    .bind(stored)
                    .execute(&mut *tx)
                    .await
                    .step("deleting replaced buildings")?;
            }
            for b in &batch.buildings {
                let what = format!("building {}", b.source_id);
                let [x0, y0, x1, y1] = wkb::bbox(&b.footprint);
                let geom = wkb::encode(Geometry::MultiPolygon(b.footprint.clone()), &what)?;
                sqlx::query(
                    "INSERT INTO buildings (source_id, footprint, building_use, levels, height, households, household_source,
                       address, village, min_lon, min_lat, max_lon, max_lat)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                     ON CONFLICT (source_id) DO UPDATE SET footprint = excluded.footprint, building_use = excluded.building_use,
                       levels = excluded.levels, height = excluded.height, households = excluded.households,
                       household_source = excluded.household_source, address = excluded.address,
                       village = COALESCE(excluded.village, buildings.village),
                       min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon, max_lat = excluded.max_lat",
                )
                .bind(&b.source_id)
                .bind(geom)
                .bind(b.building_use.as_str())
                .bind(b.levels.map(i64::from))
                .bind(b.height.map(f64::from))
                .bind(i64::from(b.households.count))
                .bind(b.households.source.as_str())
                .bind(&b.address)
                .bind(b.village.as_ref().map(|v| v.as_str().to_owned()))
                .bind(x0)
                .bind(y0)
                .bind(x1)
                .bind(y1)
                .execute(&mut *tx)
                .await
                .step("writing buildings")?;
            }
            summary.buildings = upserted(
                before,
                count(&mut tx, "buildings").await?,
                batch.buildings.len(),
            );
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
            if moved > 0 && batch.households.is_empty() {
                count_registered_households(&mut tx).await?;
            }
        }

        if !batch.barriers.is_empty() {
            let before = count(&mut tx, "barriers").await?;
            for barrier in &batch.barriers {
                let what = format!("barrier {}", barrier.source_id);
                let geom = wkb::encode(Geometry::MultiLineString(barrier.line.clone()), &what)?;
                sqlx::query(
                    "INSERT INTO barriers (source_id, kind, line) VALUES (?1, ?2, ?3)
                     ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, line = excluded.line",
                )
                .bind(&barrier.source_id)
                .bind(&barrier.kind)
                .bind(geom)
                .execute(&mut *tx)
                .await
                .step("writing barriers")?;
            }
            summary.barriers = upserted(
                before,
                count(&mut tx, "barriers").await?,
                batch.barriers.len(),
            );
        }

        if !batch.households.is_empty() {
            let before = count(&mut tx, "households").await?;
            for h in &batch.households {
                sqlx::query(
                    "INSERT INTO households (id, building, lon, lat, entrance, floor, unit, address, head, phone, members, tags)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (id) DO UPDATE SET building = excluded.building, lon = excluded.lon, lat = excluded.lat,
                       entrance = excluded.entrance, floor = excluded.floor, unit = excluded.unit, address = excluded.address,
                       head = excluded.head, phone = excluded.phone, members = excluded.members, tags = excluded.tags",
                )
                .bind(&h.id)
                .bind(&h.building)
                .bind(h.location.map(|p| p.x()))
                .bind(h.location.map(|p| p.y()))
                .bind(&h.entrance)
                .bind(h.floor.map(i64::from))
                .bind(&h.unit)
                .bind(&h.address)
                .bind(&h.head)
                .bind(&h.phone)
                .bind(h.members.map(i64::from))
                .bind(json(&h.tags, "household tags")?)
                .execute(&mut *tx)
                .await
                .step("writing households")?;
            }
            summary.households = upserted(
                before,
                count(&mut tx, "households").await?,
                batch.households.len(),
            );
            summary.buildings_with_registered_households =
                count_registered_households(&mut tx).await?;
        }

        if !batch.staff.is_empty() {
            let before = count(&mut tx, "staff").await?;
            for s in &batch.staff {
                sqlx::query(
                    "INSERT INTO staff (id, name, phone, role, area, grids) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, role = excluded.role,
                       area = excluded.area, grids = excluded.grids",
                )
                .bind(&s.id)
                .bind(&s.name)
                .bind(&s.phone)
                .bind(s.role.as_string())
                .bind(s.area.as_ref().map(|a| a.as_str().to_owned()))
                .bind(json(&s.grids, "staff grids")?)
                .execute(&mut *tx)
                .await
                .step("writing staff")?;
            }
            summary.staff = upserted(before, count(&mut tx, "staff").await?, batch.staff.len());
        }

        if !batch.incidents.is_empty() {
            let before = count(&mut tx, "incidents").await?;
            for i in &batch.incidents {
                sqlx::query(
                    "INSERT INTO incidents (id, time, category, subcategory, status, lon, lat, grid, reporter, description)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (id) DO UPDATE SET time = excluded.time, category = excluded.category,
                       subcategory = excluded.subcategory, status = excluded.status, lon = excluded.lon, lat = excluded.lat,
                       grid = excluded.grid, reporter = excluded.reporter, description = excluded.description",
                )
                .bind(&i.id)
                .bind(i.time)
                .bind(&i.category)
                .bind(&i.subcategory)
                .bind(i.status.as_str())
                .bind(i.location.x())
                .bind(i.location.y())
                .bind(i.grid.as_ref().map(|g| g.as_str().to_owned()))
                .bind(&i.reporter)
                .bind(&i.description)
                .execute(&mut *tx)
                .await
                .step("writing incidents")?;
            }
            summary.incidents = upserted(
                before,
                count(&mut tx, "incidents").await?,
                batch.incidents.len(),
            );
        }

        tx.commit().await.step("committing the import")?;
        Ok(summary)
    }

    pub(crate) async fn replace_grids(
        &self,
        villages: &[DivisionCode],
        grids: &[Grid],
        change: &GridChange,
    ) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .step("starting the grid transaction")?;
        let mut before = 0u64;
        for v in villages {
            let r = sqlx::query("DELETE FROM grids WHERE village = ?1")
                .bind(v.as_str())
                .execute(&mut *tx)
                .await
                .step("removing old grids")?;
            before += r.rows_affected();
        }
        for g in grids {
            let what = format!("grid {}", g.code);
            let [x0, y0, x1, y1] = wkb::bbox(&g.polygon);
            let geom = wkb::encode(Geometry::MultiPolygon(g.polygon.clone()), &what)?;
            sqlx::query(
                "INSERT INTO grids (code, level, parent, village, households, members, polygon, staff, locked, institution,
                   version, min_lon, min_lat, max_lon, max_lat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .bind(g.code.as_str())
            .bind(i64::from(g.level))
            .bind(g.parent.as_ref().map(|p| p.as_str().to_owned()))
            .bind(g.village.as_str())
            .bind(i64::from(g.households))
            .bind(json(&g.members, "grid members")?)
            .bind(geom)
            .bind(&g.staff)
            .bind(g.locked)
            .bind(g.institution)
            .bind(i64::from(g.version))
            .bind(x0)
            .bind(y0)
            .bind(x1)
            .bind(y1)
            .execute(&mut *tx)
            .await
            .step("writing grids")?;
        }
        let village_list: Vec<&str> = villages.iter().map(DivisionCode::as_str).collect();
        let [a, b, c, d] = change.bbox.map(|b| b.map(Some)).unwrap_or([None; 4]);
        sqlx::query(
            "INSERT INTO grid_changes (at, actor, action, villages, grids_before, grids_after, min_lon, min_lat, max_lon, max_lat)
             VALUES (strftime('%s','now'), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&change.actor)
        .bind(&change.action)
        .bind(json(&village_list, "changed villages")?)
        .bind(before as i64)
        .bind(grids.len() as i64)
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(d)
        .execute(&mut *tx)
        .await
        .step("recording the grid change")?;
        tx.commit().await.step("committing grids")?;
        Ok(())
    }

    pub(crate) async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
    ) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .step("starting the village assignment")?;
        for (building, village) in assignments {
            sqlx::query("UPDATE buildings SET village = ?1 WHERE source_id = ?2")
                .bind(village.as_ref().map(|v| v.as_str().to_owned()))
                .bind(building)
                .execute(&mut *tx)
                .await
                .step("assigning buildings to villages")?;
        }
        tx.commit().await.step("committing village assignment")?;
        Ok(())
    }

    pub(crate) async fn set_staff_grids(&self, staff: &[Staff]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.step("starting the staff update")?;
        for s in staff {
            sqlx::query("UPDATE staff SET grids = ?1 WHERE id = ?2")
                .bind(json(&s.grids, "staff grids")?)
                .bind(&s.id)
                .execute(&mut *tx)
                .await
                .step("updating staff grids")?;
        }
        tx.commit().await.step("committing staff grids")?;
        Ok(())
    }
}

impl SqliteStore {
    pub(crate) async fn update_grid(
        &self,
        code: &gridmap_core::GridCode,
        edit: &crate::batch::GridEdit,
        change: &GridChange,
    ) -> StoreResult<Grid> {
        let mut tx = self.pool.begin().await.step("starting the grid edit")?;
        let row: Option<(i64, f64, f64, f64, f64)> = sqlx::query_as(
            "SELECT version, min_lon, min_lat, max_lon, max_lat FROM grids WHERE code = ?1",
        )
        .bind(code.as_str())
        .fetch_optional(&mut *tx)
        .await
        .step("reading the grid to edit")?;
        let Some((version, a, b, c, d)) = row else {
            return Err(StoreError::NotFound {
                what: format!("grid {code}"),
            });
        };
        let current = u32::try_from(version).unwrap_or(0);
        if let Some(expected) = edit.expected_version {
            if expected != current {
                return Err(StoreError::Conflict {
                    what: format!("grid {code}"),
                    current,
                });
            }
        }
        if let Some(staff) = &edit.staff {
            if let Some(id) = staff {
                let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM staff WHERE id = ?1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .step("checking the staff member")?;
                if exists.is_none() {
                    return Err(StoreError::NotFound {
                        what: format!("staff member {id:?}"),
                    });
                }
            }
            // Keep the staff roster's grid lists in step with the grid.
            let holders: Vec<(String, String)> =
                sqlx::query_as("SELECT id, grids FROM staff WHERE grids LIKE ?1 OR id = ?2")
                    .bind(format!("%\"{}\"%", code.as_str()))
                    .bind(staff.clone().unwrap_or_default())
                    .fetch_all(&mut *tx)
                    .await
                    .step("reading staff grid lists")?;
            for (id, grids) in holders {
                let mut list: Vec<String> = serde_json::from_str(&grids).unwrap_or_default();
                list.retain(|g| g != code.as_str());
                if staff.as_deref() == Some(id.as_str()) {
                    list.push(code.to_string());
                    list.sort();
                }
                sqlx::query("UPDATE staff SET grids = ?1 WHERE id = ?2")
                    .bind(json(&list, "staff grids")?)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .step("updating staff grid lists")?;
            }
            sqlx::query("UPDATE grids SET staff = ?1 WHERE code = ?2")
                .bind(staff)
                .bind(code.as_str())
                .execute(&mut *tx)
                .await
                .step("setting the grid's staff")?;
        }
        if let Some(locked) = edit.locked {
            sqlx::query("UPDATE grids SET locked = ?1 WHERE code = ?2")
                .bind(locked)
                .bind(code.as_str())
                .execute(&mut *tx)
                .await
                .step("locking the grid")?;
        }
        sqlx::query("UPDATE grids SET version = version + 1 WHERE code = ?1")
            .bind(code.as_str())
            .execute(&mut *tx)
            .await
            .step("bumping the grid version")?;
        sqlx::query(
            "INSERT INTO grid_changes (at, actor, action, villages, grids_before, grids_after, min_lon, min_lat, max_lon, max_lat)
             VALUES (strftime('%s','now'), ?1, ?2, ?3, 1, 1, ?4, ?5, ?6, ?7)",
        )
        .bind(&change.actor)
        .bind(&change.action)
        .bind(json(&vec![code.village().to_string()], "changed villages")?)
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(d)
        .execute(&mut *tx)
        .await
        .step("recording the grid change")?;
        tx.commit().await.step("committing the grid edit")?;
        let grids = self.grids_where(code.as_str()).await?;
        grids
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound {
                what: format!("grid {code}"),
            })
    }
}
