//! Tiles PostGIS draws itself (`ST_AsMVT`): the `buildings` layer, for counties whose
//! footprints an instance should not hold in memory.
//!
//! One statement per tile, prepared once per connection (sqlx caches it), on a pool of its
//! own whose sessions carry a statement timeout, so a slow tile cannot hold a connection
//! that imports and edits need. The tile's rows are found by the footprints' GiST index
//! (the tile's envelope turned into lon/lat once: a box stays a box in Web Mercator) and
//! read from their Web-Mercator copy (migrations 3 and 15), which is turned into tile
//! coordinates by one affine transform and snapped to the tile's integer grid: no
//! reprojection and no clipping per feature (a house reaching into the buffer is kept
//! whole; the MVT specification allows coordinates outside the extent), and a footprint
//! smaller than half a pixel is left out by its size stored with the row (migration 18).
//! Without the grid membership below, that draws a tile in 10–16 ms
//! where the statement Martin runs for a table takes 19–27 ms (one dense z15 tile set,
//! `pgbench`, one connection).
//!
//! The attributes are those of the in-memory `buildings` layer (see the tiles crate). A
//! building's `grids` (its grid codes, comma-joined) and `split` are columns of its row,
//! kept by triggers on `grids` (migration 14). `gridmap bench store`, tiles/s against
//! Martin's statement: 0.75× when each tile found them from the member lists of the
//! grids reaching it, 1.03× from a table of their own joined by key, 1.38× from the row
//! (1.6× with no grids at all), 2.2–2.3× with each footprint's size stored (migration 18).

use super::PostgisStore;
use crate::error::{DbStep, StoreResult};
use crate::{TileRequest, TileStore};
use async_trait::async_trait;

/// The layers this store draws.
const LAYERS: [&str; 1] = ["buildings"];

/// The `buildings` layer of tile ($1, $2, $3) with extent $4, buffer $5 (a fraction of the
/// tile) and minimum footprint size $6 (extent units on both axes).
const BUILDINGS: &str = r#"
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS bounds,
           ST_TileEnvelope($1, $2, $3, margin => $5) AS buffered
), frame AS MATERIALIZED (
    -- extent units per metre of Web-Mercator, and the tile's top-left corner. Computed once:
    -- inlined, a generic plan of the prepared statement (PostgreSQL may choose one after
    -- five runs) evaluates these functions of $1…$4 again for every footprint.
    SELECT bounds, buffered, $4 / (ST_XMax(bounds) - ST_XMin(bounds)) AS scale,
           ST_XMin(bounds) AS left_x, ST_YMax(bounds) AS top_y
    FROM tile
), features AS (
    SELECT ST_SnapToGrid(ST_Affine(b.footprint_mercator,
               f.scale, 0, 0, -f.scale, -f.left_x * f.scale, f.top_y * f.scale), 1) AS geom,
           b.source_id AS id, b.building_use AS "use", b.levels,
           CASE WHEN b.height >= 0.5 AND b.height < 10000 THEN floor(b.height + 0.5)::int END AS height,
           b.households,
           b.household_source = 'estimated' AS estimated, b.grids, b.split
    FROM frame f
    JOIN buildings b ON b.footprint && ST_Transform(f.buffered, 4326)
    WHERE b.mercator_size * f.scale >= $6
)
SELECT ST_AsMVT(features, 'buildings', $4, 'geom') FROM features WHERE NOT ST_IsEmpty(geom)
"#;

#[async_trait]
impl TileStore for PostgisStore {
    fn draws_layer(&self, layer: &str) -> bool {
        LAYERS.contains(&layer)
    }

    async fn draw_tile(&self, layers: &[&str], tile: &TileRequest) -> StoreResult<Vec<u8>> {
        if let Some(other) = layers.iter().find(|l| !self.draws_layer(l)) {
            return Err(crate::StoreError::Unsupported {
                what: format!(
                    "PostGIS does not draw the {other} layer: it draws {}",
                    LAYERS.join(", ")
                ),
            });
        }
        if layers.is_empty() {
            return Ok(Vec::new());
        }
        let margin = f64::from(tile.buffer) / f64::from(tile.extent.max(1));
        let bytes: Option<Vec<u8>> = sqlx::query_scalar(BUILDINGS)
            .bind(i32::from(tile.z))
            .bind(i32::try_from(tile.x).unwrap_or(i32::MAX))
            .bind(i32::try_from(tile.y).unwrap_or(i32::MAX))
            .bind(i32::try_from(tile.extent).unwrap_or(4096))
            .bind(margin)
            .bind(tile.min_feature)
            .fetch_one(&self.tiles)
            .await
            .step("drawing a buildings tile")?;
        Ok(bytes.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::BUILDINGS;
    use crate::scratch::ScratchDatabase;
    use crate::OpenMode;
    use sqlx::Connection;

    /// sqlx prepares the statement, and PostgreSQL may run a prepared statement by a
    /// generic plan: the tile's frame must still be computed once per tile, not once per
    /// footprint (inlined, it was: 27 ms against 4 ms for a z16 tile).
    #[tokio::test]
    async fn a_generic_plan_computes_the_tile_frame_once_per_tile() {
        let scratch = ScratchDatabase::create().await.unwrap();
        let store = crate::open(&scratch.url, OpenMode::Create).await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&scratch.url).await.unwrap();
        for statement in [
            "SET plan_cache_mode = force_generic_plan".to_owned(),
            format!("PREPARE tile (int, int, int, int, float8, float8) AS {BUILDINGS}"),
        ] {
            sqlx::raw_sql(&statement).execute(&mut conn).await.unwrap();
        }
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN (VERBOSE) EXECUTE tile (16, 53630, 26222, 4096, 0.015625, 8)",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("buildings"), "{plan}");
        // What a scan of `buildings` evaluates for each row it reads.
        let per_row: Vec<&str> = plan
            .lines()
            .filter(|line| line.trim_start().starts_with("Filter:"))
            .collect();
        assert!(
            !per_row.is_empty(),
            "the size filter is in the plan: {plan}"
        );
        for line in per_row {
            assert!(
                !line.to_lowercase().contains("st_tileenvelope"),
                "the tile's envelope is computed for each footprint:\n{plan}"
            );
        }
        drop(store);
    }
}
