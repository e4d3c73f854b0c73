//! Named versions of a village's plan, one row each, the grids in one blob.
//!
//! The blob holds every grid in turn as two parts, each a little-endian `u32` length and
//! its bytes: the grid's fields as JSON with an empty polygon, then its polygon as WKB,
//! as the grids table keeps members (JSON) and polygons (WKB). WKB keeps each coordinate
//! as its 8 bytes, so polygons come back exactly and take about a third of their JSON;
//! the JSON carries every other field of [`Grid`], so a field added there is kept too.

use super::log::append_change;
use super::read::{division, invalid};
use super::SqliteStore;
use crate::error::{DbStep, StoreResult};
use crate::versions::{name_taken, now_rfc3339, VersionEvent};
use crate::{wkb, NewPlanVersion, PlanVersion, PlanVersionStore, PlanVersionSummary};
use async_trait::async_trait;
use geo_types::{Geometry, MultiPolygon};
use gridmap_core::{DivisionCode, Grid};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// The columns [`summary_from_row`] reads, in order.
const SUMMARY_COLUMNS: &str = "id, village, name, created_at, actor, grid_count, households";

fn summary_from_row(row: &SqliteRow) -> StoreResult<PlanVersionSummary> {
    let id: i64 = row.get(0);
    let what = format!("plan version {id}");
    let village: String = row.get(1);
    let grids: i64 = row.get(5);
    let households: i64 = row.get(6);
    Ok(PlanVersionSummary {
        id,
        village: division(&village, &what)?,
        name: row.get(2),
        created_at: row.get(3),
        actor: row.get(4),
        grids: usize::try_from(grids).map_err(|e| invalid(&what, e))?,
        households: u64::try_from(households).map_err(|e| invalid(&what, e))?,
    })
}

/// Appends one length-prefixed part.
fn push_part(out: &mut Vec<u8>, part: &[u8], what: &str) -> StoreResult<()> {
    let length = u32::try_from(part.len()).map_err(|e| invalid(what, e))?;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(part);
    Ok(())
}

/// Takes one length-prefixed part off the front of `rest`.
fn take_part<'a>(rest: &mut &'a [u8], what: &str) -> StoreResult<&'a [u8]> {
    let cut = |rest: &'a [u8], at: usize| {
        rest.split_at_checked(at)
            .ok_or_else(|| invalid(what, "the stored grids end in the middle of a grid"))
    };
    let (length, after) = cut(rest, 4)?;
    let length = u32::from_le_bytes(length.try_into().expect("four bytes"));
    let (part, after) = cut(after, length as usize)?;
    *rest = after;
    Ok(part)
}

fn encode_grids(grids: &[Grid]) -> StoreResult<Vec<u8>> {
    let mut out = Vec::new();
    for g in grids {
        let what = format!("grid {} of a plan version", g.code);
        let fields = Grid {
            polygon: MultiPolygon(Vec::new()),
            ..g.clone()
        };
        let fields = serde_json::to_vec(&fields).map_err(|e| invalid(&what, e))?;
        let polygon = wkb::encode(Geometry::MultiPolygon(g.polygon.clone()), &what)?;
        push_part(&mut out, &fields, &what)?;
        push_part(&mut out, &polygon, &what)?;
    }
    Ok(out)
}

fn decode_grids(mut rest: &[u8], what: &str) -> StoreResult<Vec<Grid>> {
    let mut grids = Vec::new();
    while !rest.is_empty() {
        let fields = take_part(&mut rest, what)?;
        let polygon = take_part(&mut rest, what)?;
        let mut grid: Grid = serde_json::from_slice(fields).map_err(|e| invalid(what, e))?;
        grid.polygon = wkb::decode_multipolygon(polygon, &format!("{what}, grid {}", grid.code))?;
        grids.push(grid);
    }
    Ok(grids)
}

#[async_trait]
impl PlanVersionStore for SqliteStore {
    async fn save_plan_version(
        &self,
        version: &NewPlanVersion,
        actor: &str,
    ) -> StoreResult<PlanVersionSummary> {
        version.check()?;
        let grids = encode_grids(&version.grids)?;
        let mut tx = self
            .begin_write()
            .await
            .step("starting to save a plan version")?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM plan_versions WHERE village = ?1 AND name = ?2")
                .bind(version.village.as_str())
                .bind(&version.name)
                .fetch_optional(&mut *tx)
                .await
                .step("checking the version name")?;
        if taken.is_some() {
            return Err(name_taken(version));
        }
        let mut summary = version.summary(0, now_rfc3339(), actor);
        let households =
            i64::try_from(summary.households).map_err(|e| invalid("plan version", e))?;
        let grid_count = i64::try_from(summary.grids).map_err(|e| invalid("plan version", e))?;
        summary.id = sqlx::query_scalar(
            "INSERT INTO plan_versions (village, name, created_at, actor, households, grid_count, grids)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .bind(summary.village.as_str())
        .bind(&summary.name)
        .bind(&summary.created_at)
        .bind(&summary.actor)
        .bind(households)
        .bind(grid_count)
        .bind(grids)
        .fetch_one(&mut *tx)
        .await
        .step("saving a plan version")?;
        let (meta, before, after) = summary.log_entry(VersionEvent::Saved, actor);
        append_change(&mut tx, &meta, None, &before, &after).await?;
        tx.commit().await.step("committing a plan version")?;
        self.checkpoint_in_background();
        Ok(summary)
    }

    async fn plan_versions(&self, village: &DivisionCode) -> StoreResult<Vec<PlanVersionSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM plan_versions WHERE village = ?1 ORDER BY id DESC"
        ))
        .bind(village.as_str())
        .fetch_all(&self.pool)
        .await
        .step("reading plan versions")?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn plan_version(&self, id: i64) -> StoreResult<Option<PlanVersion>> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS}, grids FROM plan_versions WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .step("reading a plan version")?;
        let Some(row) = row else { return Ok(None) };
        let summary = summary_from_row(&row)?;
        let grids: &[u8] = row.get(7);
        let grids = decode_grids(grids, &format!("plan version {id}"))?;
        Ok(Some(PlanVersion { summary, grids }))
    }

    async fn delete_plan_version(&self, id: i64, actor: &str) -> StoreResult<bool> {
        let mut tx = self
            .begin_write()
            .await
            .step("starting to delete a plan version")?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM plan_versions WHERE id = ?1 RETURNING {SUMMARY_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .step("deleting a plan version")?;
        let Some(row) = deleted else {
            return Ok(false);
        };
        let (meta, before, after) = summary_from_row(&row)?.log_entry(VersionEvent::Deleted, actor);
        append_change(&mut tx, &meta, None, &before, &after).await?;
        tx.commit()
            .await
            .step("committing a plan version's deletion")?;
        self.checkpoint_in_background();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_grids, encode_grids};
    use geo_types::polygon;

    #[test]
    fn a_cut_blob_is_an_error_not_fewer_grids() {
        let grid = gridmap_core::Grid {
            code: "411622101201-001".parse().unwrap(),
            level: 1,
            parent: None,
            village: "411622101201".parse().unwrap(),
            members: vec![],
            households: 0,
            polygon: geo_types::MultiPolygon(vec![polygon![
                (x: 114.0, y: 33.0), (x: 114.1, y: 33.0), (x: 114.0, y: 33.1)
            ]]),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        };
        let blob = encode_grids(&[grid.clone(), grid.clone()]).unwrap();
        assert_eq!(decode_grids(&blob, "v").unwrap(), vec![grid.clone(), grid]);
        // Half the blob is the first grid whole: a cut after it is in the second's prefix.
        for cut in [1, 4, 7, blob.len() / 2 + 3, blob.len() - 1] {
            assert!(decode_grids(&blob[..cut], "v").is_err(), "cut at {cut}");
        }
    }
}
