//! The one grid write: versions checked, before-state read, grids and staff lists
//! written and the change logged, all in one transaction.

use super::log::{append_change, params_in, store_params_in};
use super::read::grids_where;
use super::stage::{write_rows, Kind, Merge, Row, Table};
use super::PostgisStore;
use crate::change::{ChangeMeta, ChangeRecords, GridWrite, StaffGrids};
use crate::decode::to_json;
use crate::error::{DbStep, StoreError, StoreResult};
use crate::failpoint::failpoint;
use crate::GridStore;
use async_trait::async_trait;
use gridmap_core::{Grid, GridCode};
use sqlx::{Postgres, Transaction};
use std::collections::BTreeMap;

const GRIDS: Table = Table {
    name: "grids",
    key: &["code"],
    columns: &[
        ("code", Kind::Text),
        ("level", Kind::Int),
        ("parent", Kind::Text),
        ("village", Kind::Text),
        ("households", Kind::Int),
        ("members", Kind::Text),
        ("polygon", Kind::Geometry),
        ("staff", Kind::Text),
        ("locked", Kind::Flag),
        ("institution", Kind::Flag),
        ("version", Kind::Int),
        ("name", Kind::Text),
    ],
    update: &[],
    step: "writing grids",
};

async fn check_versions(
    tx: &mut Transaction<'_, Postgres>,
    expected: &[(GridCode, u32)],
) -> StoreResult<()> {
    for (code, version) in expected {
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM grids WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut **tx)
            .await
            .step("checking grid versions")?;
        let Some(stored) = stored else {
            return Err(StoreError::NotFound {
                what: format!("grid {code}"),
            });
        };
        let current = u32::try_from(stored).unwrap_or(0);
        if current != *version {
            return Err(StoreError::Conflict {
                what: format!("grid {code}"),
                current,
            });
        }
    }
    Ok(())
}

/// A conflict when a village of `write.exact_villages` holds a grid that
/// `write.expect_versions` does not name (someone made it since the editor read).
async fn check_no_new_grids(
    tx: &mut Transaction<'_, Postgres>,
    write: &GridWrite,
) -> StoreResult<()> {
    for village in &write.exact_villages {
        let stored: Vec<(String, i64)> =
            sqlx::query_as("SELECT code, version FROM grids WHERE village = $1")
                .bind(village.as_str())
                .fetch_all(&mut **tx)
                .await
                .step("checking the village's grids")?;
        let new = stored.into_iter().find(|(code, _)| {
            !write
                .expect_versions
                .iter()
                .any(|(seen, _)| seen.as_str() == code)
        });
        if let Some((code, version)) = new {
            return Err(StoreError::Conflict {
                what: format!("grid {code} (made since)"),
                current: u32::try_from(version).unwrap_or(0),
            });
        }
    }
    Ok(())
}

/// Every grid the write replaces, removes or overwrites, as stored now (by code).
async fn grids_before(
    tx: &mut Transaction<'_, Postgres>,
    write: &GridWrite,
) -> StoreResult<Vec<Grid>> {
    let mut before: BTreeMap<GridCode, Grid> = BTreeMap::new();
    for v in &write.replace_villages {
        for g in grids_where(&mut *tx, "village", v.as_str()).await? {
            before.insert(g.code.clone(), g);
        }
    }
    let codes = write
        .remove
        .iter()
        .chain(write.upsert.iter().map(|g| &g.code));
    for code in codes {
        if before.contains_key(code) {
            continue;
        }
        for g in grids_where(&mut *tx, "code", code.as_str()).await? {
            before.insert(g.code.clone(), g);
        }
    }
    Ok(before.into_values().collect())
}

async fn staff_grids_before(
    tx: &mut Transaction<'_, Postgres>,
    lists: &[StaffGrids],
) -> StoreResult<Vec<StaffGrids>> {
    let mut out = Vec::new();
    for s in lists {
        let grids: Option<String> = sqlx::query_scalar("SELECT grids FROM staff WHERE id = $1")
            .bind(&s.staff)
            .fetch_optional(&mut **tx)
            .await
            .step("reading staff grid lists")?;
        let Some(grids) = grids else {
            return Err(StoreError::NotFound {
                what: format!("staff member {:?}", s.staff),
            });
        };
        out.push(StaffGrids {
            staff: s.staff.clone(),
            grids: serde_json::from_str(&grids).map_err(|e| StoreError::Value {
                what: format!("staff {}", s.staff),
                reason: e.to_string(),
            })?,
        });
    }
    Ok(out)
}

#[async_trait]
impl GridStore for PostgisStore {
    async fn write_grids(&self, write: &GridWrite, meta: &ChangeMeta) -> StoreResult<i64> {
        let mut tx = self.begin_write().await.step("starting the grid write")?;
        check_versions(&mut tx, &write.expect_versions).await?;
        check_no_new_grids(&mut tx, write).await?;
        let before = ChangeRecords {
            grids: grids_before(&mut tx, write).await?,
            staff_grids: staff_grids_before(&mut tx, &write.staff_grids).await?,
            partition_params: match &write.partition_params {
                Some(_) => params_in(&mut tx).await?,
                None => None,
            },
            ..ChangeRecords::default()
        };
        if let Some(params) = &write.partition_params {
            store_params_in(&mut tx, params).await?;
        }
        // A replaced village's grids that the write keeps are updated in place below:
        // deleting them first would clear and set again the grids of every building
        // they hold (see migration 14).
        let kept: Vec<&str> = write.upsert.iter().map(|g| g.code.as_str()).collect();
        for v in &write.replace_villages {
            sqlx::query("DELETE FROM grids WHERE village = $1 AND NOT (code = ANY($2))")
                .bind(v.as_str())
                .bind(&kept)
                .execute(&mut *tx)
                .await
                .step("removing the village's grids")?;
        }
        for code in &write.remove {
            sqlx::query("DELETE FROM grids WHERE code = $1")
                .bind(code.as_str())
                .execute(&mut *tx)
                .await
                .step("removing grids")?;
        }
        let mut encoded = Vec::with_capacity(write.upsert.len());
        for g in &write.upsert {
            let members = to_json(&g.members, "grid members")?;
            encoded.push((g, members));
        }
        write_rows(
            &mut tx,
            &GRIDS,
            &encoded,
            Merge::Upsert,
            |row: &mut Row<'_>, (g, members)| {
                row.text(g.code.as_str())
                    .int(i64::from(g.level))
                    .opt_text(g.parent.as_ref().map(|p| p.as_str()))
                    .text(g.village.as_str())
                    .int(i64::from(g.households))
                    .text(members)
                    .geometry(&g.polygon, 4326, || format!("grid {}", g.code))
                    .opt_text(g.staff.as_deref())
                    .flag(g.locked)
                    .flag(g.institution)
                    .int(i64::from(g.version))
                    .opt_text(g.name.as_deref());
            },
        )
        .await?;
        for s in &write.staff_grids {
            sqlx::query("UPDATE staff SET grids = $1 WHERE id = $2")
                .bind(to_json(&s.grids, "staff grids")?)
                .bind(&s.staff)
                .execute(&mut *tx)
                .await
                .step("updating staff grid lists")?;
        }
        let after = ChangeRecords {
            grids: write.upsert.clone(),
            staff_grids: write.staff_grids.clone(),
            partition_params: write.partition_params.clone(),
            ..ChangeRecords::default()
        };
        let bbox = before.grids_bbox(&after);
        let id = append_change(&mut tx, meta, bbox, &before, &after).await?;
        failpoint("grids:written");
        tx.commit().await.step("committing the grid write")?;
        failpoint("grids:committed");
        Ok(id)
    }
}
