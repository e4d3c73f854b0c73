//! # gridmap-store
//!
//! Persistence for gridmap behind one interface, [`Store`]. The embedded default is a
//! single SQLite file (WAL mode, migrations, geometries as WKB); a PostGIS backend will
//! implement the same methods. Every import and every grid edit runs in one transaction,
//! so a crash mid-import leaves the store as it was.
//!
//! ```no_run
//! # async fn demo() -> gridmap_store::StoreResult<()> {
//! let store = gridmap_store::Store::open("gridmap.db").await?;
//! let stats = store.stats().await?;
//! println!("{} buildings", stats.buildings);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod batch;
mod error;
mod sqlite;
mod wkb;

pub use batch::{GridChange, GridEdit, ImportBatch, ImportSummary, Stats, UpsertCounts};
pub use error::{StoreError, StoreResult};

use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminUnit, Barrier, Building, DivisionCode, Grid, GridCode, Household, Staff};

/// Where the data lives. Open with [`Store::open`].
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
}

impl Store {
    /// Opens (creating if needed) the store at `location`: a file path or `sqlite:` URL
    /// for the embedded store. Runs pending migrations.
    pub async fn open(location: &str) -> StoreResult<Store> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            return Err(StoreError::Unsupported {
                what: "the PostGIS store is not built yet; use a file path for the embedded store"
                    .into(),
            });
        }
        let path = location
            .strip_prefix("sqlite://")
            .or_else(|| location.strip_prefix("sqlite:"))
            .unwrap_or(location);
        Ok(Store {
            backend: Backend::Sqlite(sqlite::SqliteStore::open(path).await?),
        })
    }

    /// Writes everything in `batch` in one transaction: admin units, buildings and barriers
    /// are upserted by key (code / source id), households, staff and incidents by id.
    /// Buildings named by register rows get a registered household count.
    pub async fn import(&self, batch: &ImportBatch) -> StoreResult<ImportSummary> {
        match &self.backend {
            Backend::Sqlite(s) => s.import(batch).await,
        }
    }

    /// Replaces every grid of `villages` by `grids` in one transaction (locked grids are
    /// passed in `grids` like any other) and records the change and the area it touched.
    pub async fn replace_grids(
        &self,
        villages: &[DivisionCode],
        grids: &[Grid],
        change: &GridChange,
    ) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.replace_grids(villages, grids, change).await,
        }
    }

    /// Changes a grid's lock and staff in one transaction, bumping its version.
    /// With `expected_version`, refuses a stale edit ([`StoreError::Conflict`]).
    /// Records the change with the grid's bbox. Returns the grid as stored.
    pub async fn update_grid(
        &self,
        code: &GridCode,
        edit: &GridEdit,
        change: &GridChange,
    ) -> StoreResult<Grid> {
        match &self.backend {
            Backend::Sqlite(s) => s.update_grid(code, edit, change).await,
        }
    }

    /// Sets the `village` of every building in one transaction.
    pub async fn set_building_villages(
        &self,
        assignments: &[(String, Option<DivisionCode>)],
    ) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_building_villages(assignments).await,
        }
    }

    /// Replaces the grid lists of staff members (after partitioning).
    pub async fn set_staff_grids(&self, staff: &[Staff]) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_staff_grids(staff).await,
        }
    }

    pub async fn admin_units(&self) -> StoreResult<Vec<AdminUnit>> {
        match &self.backend {
            Backend::Sqlite(s) => s.admin_units().await,
        }
    }

    pub async fn buildings(&self) -> StoreResult<Vec<Building>> {
        match &self.backend {
            Backend::Sqlite(s) => s.buildings().await,
        }
    }

    pub async fn barriers(&self) -> StoreResult<Vec<Barrier>> {
        match &self.backend {
            Backend::Sqlite(s) => s.barriers().await,
        }
    }

    pub async fn grids(&self) -> StoreResult<Vec<Grid>> {
        match &self.backend {
            Backend::Sqlite(s) => s.grids().await,
        }
    }

    pub async fn staff(&self) -> StoreResult<Vec<Staff>> {
        match &self.backend {
            Backend::Sqlite(s) => s.staff().await,
        }
    }

    /// Register entries of one building, in entrance/floor/unit order. Personal data:
    /// callers decide what to show.
    pub async fn households_of_building(&self, building: &str) -> StoreResult<Vec<Household>> {
        match &self.backend {
            Backend::Sqlite(s) => s.households_of_building(building).await,
        }
    }

    /// The latest recorded grid change id (0 when none), so servers can notice changes
    /// made by other processes.
    pub async fn last_grid_change(&self) -> StoreResult<i64> {
        match &self.backend {
            Backend::Sqlite(s) => s.last_grid_change().await,
        }
    }

    /// Grid changes after `after`: (id, bbox) of each, oldest first.
    pub async fn grid_changes_since(
        &self,
        after: i64,
    ) -> StoreResult<Vec<(i64, Option<[f64; 4]>)>> {
        match &self.backend {
            Backend::Sqlite(s) => s.grid_changes_since(after).await,
        }
    }

    /// Counts per layer and level.
    pub async fn stats(&self) -> StoreResult<Stats> {
        match &self.backend {
            Backend::Sqlite(s) => s.stats().await,
        }
    }

    /// Loads the whole county into memory with R-tree indexes, for serving.
    pub async fn load_snapshot(&self) -> StoreResult<CountySnapshot> {
        let admin = self.admin_units().await?;
        let buildings = self.buildings().await?;
        let grids = self.grids().await?;
        let staff = self.staff().await?;
        Ok(CountySnapshot::new(admin, buildings, grids, staff))
    }
}
