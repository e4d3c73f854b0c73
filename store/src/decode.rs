//! Rows → records, the same for every backend. Each backend selects the columns each
//! decoder names (geometry as WKB bytes, JSON documents as text, integers as 64-bit) and
//! hands its rows over through [`Cells`].

use crate::batch::Stats;
use crate::change::{Change, ChangeMark, ChangeRecords, ChangeSummary};
use crate::error::{StoreError, StoreResult};
use crate::versions::PlanVersionSummary;
use crate::wkb;
use geo_types::Point;
use gridmap_core::incident::{IncidentAction, IncidentTransition};
use gridmap_core::{
    AdminUnit, Barrier, Building, DivisionCode, Grid, GridCode, GridMember, Household,
    HouseholdCount, Incident, IncidentWork, Staff,
};
use sqlx::{ColumnIndex, Row};

/// Typed reads of one row's cells by position, over the backends' row types.
pub(crate) trait Cells {
    fn text(&self, i: usize) -> String;
    fn opt_text(&self, i: usize) -> Option<String>;
    fn int(&self, i: usize) -> i64;
    fn opt_int(&self, i: usize) -> Option<i64>;
    fn real(&self, i: usize) -> f64;
    fn opt_real(&self, i: usize) -> Option<f64>;
    fn flag(&self, i: usize) -> bool;
    fn bytes(&self, i: usize) -> Vec<u8>;
}

macro_rules! cells_for {
    ($row:ty) => {
        impl Cells for $row {
            fn text(&self, i: usize) -> String {
                self.get(i)
            }
            fn opt_text(&self, i: usize) -> Option<String> {
                self.get(i)
            }
            fn int(&self, i: usize) -> i64 {
                self.get(i)
            }
            fn opt_int(&self, i: usize) -> Option<i64> {
                self.get(i)
            }
            fn real(&self, i: usize) -> f64 {
                self.get(i)
            }
            fn opt_real(&self, i: usize) -> Option<f64> {
                self.get(i)
            }
            fn flag(&self, i: usize) -> bool {
                self.get(i)
            }
            fn bytes(&self, i: usize) -> Vec<u8> {
                self.get(i)
            }
        }
    };
}

cells_for!(sqlx::sqlite::SqliteRow);
cells_for!(sqlx::postgres::PgRow);

/// Position of `name` in a row (for decoders of wide rows, which read by name).
fn at<R: Row>(row: &R, name: &str) -> usize
where
    for<'n> &'n str: ColumnIndex<R>,
{
    name.index(row)
        .unwrap_or_else(|e| panic!("column {name}: {e}"))
}

pub(crate) fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Value {
        what: what.into(),
        reason: reason.to_string(),
    }
}

pub(crate) fn division(code: &str, what: &str) -> StoreResult<DivisionCode> {
    code.parse().map_err(|e| invalid(what, e))
}

fn grid_code(code: &str, what: &str) -> StoreResult<GridCode> {
    code.parse::<GridCode>().map_err(|e| invalid(what, e))
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| invalid(what, e))
}

/// The columns [`admin_unit_from_row`] reads, in order (`boundary` as WKB).
pub(crate) const ADMIN_UNIT_COLUMNS: &str = "code, name, level, source_id, boundary";

pub(crate) fn admin_unit_from_row(row: &impl Cells) -> StoreResult<AdminUnit> {
    let code = row.text(0);
    let what = format!("admin unit {code}");
    Ok(AdminUnit {
        code: division(&code, &what)?,
        name: row.text(1),
        level: row.text(2).parse().map_err(|e: String| invalid(&what, e))?,
        source_id: row.text(3),
        boundary: wkb::decode_multipolygon(&row.bytes(4), &what)?,
    })
}

/// The columns [`building_from_row`] reads, in order (`footprint` as WKB).
pub(crate) const BUILDING_COLUMNS: &str =
    "source_id, footprint, building_use, levels, height, households, household_source, address, village";

pub(crate) fn building_from_row(row: &impl Cells) -> StoreResult<Building> {
    let source_id = row.text(0);
    let what = format!("building {source_id}");
    Ok(Building {
        footprint: wkb::decode_multipolygon(&row.bytes(1), &what)?,
        building_use: row.text(2).parse().map_err(|e: String| invalid(&what, e))?,
        levels: row.opt_int(3).and_then(|l| u16::try_from(l).ok()),
        height: row.opt_real(4).map(|h| h as f32),
        households: HouseholdCount {
            count: u32::try_from(row.int(5)).map_err(|e| invalid(&what, e))?,
            source: row.text(6).parse().map_err(|e: String| invalid(&what, e))?,
        },
        address: row.opt_text(7),
        village: row.opt_text(8).map(|v| division(&v, &what)).transpose()?,
        source_id,
    })
}

/// The columns [`barrier_from_row`] reads, in order (`line` as WKB).
pub(crate) const BARRIER_COLUMNS: &str = "source_id, kind, line";

pub(crate) fn barrier_from_row(row: &impl Cells) -> StoreResult<Barrier> {
    let source_id = row.text(0);
    let line = wkb::decode_multilinestring(&row.bytes(2), &format!("barrier {source_id}"))?;
    Ok(Barrier {
        source_id,
        kind: row.text(1),
        line,
    })
}

/// The columns [`household_from_row`] reads, in order.
pub(crate) const HOUSEHOLD_COLUMNS: &str =
    "id, building, lon, lat, entrance, floor, unit, address, head, phone, members, tags";

pub(crate) fn household_from_row(row: &impl Cells) -> StoreResult<Household> {
    let id = row.text(0);
    Ok(Household {
        building: row.opt_text(1),
        location: row
            .opt_real(2)
            .zip(row.opt_real(3))
            .map(|(x, y)| Point::new(x, y)),
        entrance: row.opt_text(4),
        floor: row.opt_int(5).and_then(|f| i16::try_from(f).ok()),
        unit: row.opt_text(6),
        address: row.opt_text(7),
        head: row.opt_text(8),
        phone: row.opt_text(9),
        members: row.opt_int(10).and_then(|m| u16::try_from(m).ok()),
        tags: json(&row.text(11), &format!("household {id}"))?,
        id,
    })
}

/// The columns [`staff_from_row`] reads, in order.
pub(crate) const STAFF_COLUMNS: &str = "id, name, phone, role, area, grids, home_lon, home_lat";

pub(crate) fn staff_from_row(row: &impl Cells) -> StoreResult<Staff> {
    let id = row.text(0);
    let what = format!("staff {id}");
    Ok(Staff {
        name: row.text(1),
        phone: row.opt_text(2),
        role: row.text(3).parse().map_err(|e: String| invalid(&what, e))?,
        area: row.opt_text(4).map(|a| division(&a, &what)).transpose()?,
        grids: json(&row.text(5), &what)?,
        home: row
            .opt_real(6)
            .zip(row.opt_real(7))
            .map(|(x, y)| Point::new(x, y)),
        id,
    })
}

/// The columns [`grid_from_row`] reads, in order (`polygon` as WKB).
pub(crate) const GRID_COLUMNS: &str =
    "code, level, parent, village, households, members, polygon, staff, locked, institution, version, name";

pub(crate) fn grid_from_row(row: &impl Cells) -> StoreResult<Grid> {
    let code = row.text(0);
    let what = format!("grid {code}");
    Ok(Grid {
        code: grid_code(&code, &what)?,
        level: u8::try_from(row.int(1)).map_err(|e| invalid(&what, e))?,
        parent: row.opt_text(2).map(|p| grid_code(&p, &what)).transpose()?,
        village: division(&row.text(3), &what)?,
        households: u32::try_from(row.int(4)).map_err(|e| invalid(&what, e))?,
        members: json::<Vec<GridMember>>(&row.text(5), &what)?,
        polygon: wkb::decode_multipolygon(&row.bytes(6), &what)?,
        staff: row.opt_text(7),
        locked: row.flag(8),
        institution: row.flag(9),
        version: u32::try_from(row.int(10)).map_err(|e| invalid(&what, e))?,
        name: row.opt_text(11),
    })
}

/// The columns of the incidents table, in the order writers bind them;
/// [`incident_from_row`] reads them by name.
pub(crate) const INCIDENT_COLUMNS: &[&str] = &[
    "id",
    "time",
    "category",
    "subcategory",
    "status",
    "lon",
    "lat",
    "grid",
    "reporter",
    "description",
    "reporter_phone",
    "source",
    "address",
    "village",
    "township",
    "assignee",
    "due",
    "paused",
    "closed_at",
    "late_stages",
    "rating",
    "work",
    "version",
    "updated",
];

pub(crate) fn incident_from_row<R: Row + Cells>(row: &R) -> StoreResult<Incident>
where
    for<'n> &'n str: ColumnIndex<R>,
{
    let col = |name: &str| at(row, name);
    let id = row.text(col("id"));
    let what = format!("incident {id}");
    let code = |name: &str| -> StoreResult<Option<DivisionCode>> {
        row.opt_text(col(name))
            .map(|c| division(&c, &what))
            .transpose()
    };
    Ok(Incident {
        time: row.int(col("time")),
        category: row.text(col("category")),
        subcategory: row.opt_text(col("subcategory")),
        status: row
            .text(col("status"))
            .parse()
            .map_err(|e: String| invalid(&what, e))?,
        location: Point::new(row.real(col("lon")), row.real(col("lat"))),
        grid: row
            .opt_text(col("grid"))
            .map(|g| grid_code(&g, &what))
            .transpose()?,
        reporter: row.opt_text(col("reporter")),
        description: row.opt_text(col("description")),
        reporter_phone: row.opt_text(col("reporter_phone")),
        source: row.opt_text(col("source")),
        address: row.opt_text(col("address")),
        village: code("village")?,
        township: code("township")?,
        work: json::<IncidentWork>(&row.text(col("work")), &what)?,
        version: u32::try_from(row.int(col("version"))).map_err(|e| invalid(&what, e))?,
        updated: row.int(col("updated")),
        id,
    })
}

/// The columns [`transition_from_row`] reads, in order.
pub(crate) const TRANSITION_COLUMNS: &str =
    "incident, seq, at, actor, from_status, to_status, note, photos, detail";

pub(crate) fn transition_from_row(row: &impl Cells) -> StoreResult<IncidentTransition> {
    let incident = row.text(0);
    let what = format!("a transition of incident {incident}");
    Ok(IncidentTransition {
        seq: u32::try_from(row.int(1)).map_err(|e| invalid(&what, e))?,
        at: row.int(2),
        actor: row.text(3),
        from: row.text(4).parse().map_err(|e: String| invalid(&what, e))?,
        to: row.text(5).parse().map_err(|e: String| invalid(&what, e))?,
        note: row.opt_text(6),
        photos: json::<Vec<String>>(&row.text(7), &what)?,
        action: json::<IncidentAction>(&row.text(8), &what)?,
        incident,
    })
}

/// The columns [`version_summary_from_row`] reads, in order.
pub(crate) const VERSION_SUMMARY_COLUMNS: &str =
    "id, village, name, created_at, actor, grid_count, households";

pub(crate) fn version_summary_from_row(row: &impl Cells) -> StoreResult<PlanVersionSummary> {
    let id = row.int(0);
    let what = format!("plan version {id}");
    Ok(PlanVersionSummary {
        id,
        village: division(&row.text(1), &what)?,
        name: row.text(2),
        created_at: row.text(3),
        actor: row.text(4),
        grids: usize::try_from(row.int(5)).map_err(|e| invalid(&what, e))?,
        households: u64::try_from(row.int(6)).map_err(|e| invalid(&what, e))?,
    })
}

/// A value as the JSON text the stores keep (grid members, staff grid lists, records).
pub(crate) fn to_json<T: serde::Serialize>(value: &T, what: &str) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| invalid(what, e))
}

/// A change's area from its four nullable columns.
fn bbox_at(row: &impl Cells, first: usize) -> Option<[f64; 4]> {
    Some([
        row.opt_real(first)?,
        row.opt_real(first + 1)?,
        row.opt_real(first + 2)?,
        row.opt_real(first + 3)?,
    ])
}

/// The columns [`change_mark_from_row`] reads, in order.
pub(crate) const CHANGE_MARK_COLUMNS: &str = "id, min_lon, min_lat, max_lon, max_lat, operation";

pub(crate) fn change_mark_from_row(row: &impl Cells) -> ChangeMark {
    let operation = row.text(5);
    ChangeMark {
        id: row.int(0),
        bbox: bbox_at(row, 1),
        incidents_only: crate::change::is_incident_operation(&operation),
        versions_only: crate::change::is_version_operation(&operation),
        cameras_only: crate::change::is_camera_operation(&operation),
        tags_only: crate::change::is_tag_edit_operation(&operation),
    }
}

/// The columns [`change_summary_from_row`] reads, in order.
pub(crate) const CHANGE_SUMMARY_COLUMNS: &str =
    "id, at, actor, operation, min_lon, min_lat, max_lon, max_lat";

pub(crate) fn change_summary_from_row(row: &impl Cells) -> ChangeSummary {
    ChangeSummary {
        id: row.int(0),
        at: row.int(1),
        actor: row.text(2),
        operation: row.text(3),
        bbox: bbox_at(row, 4),
    }
}

/// The columns [`change_from_row`] reads, in order.
pub(crate) const CHANGE_COLUMNS: &str =
    "id, at, actor, operation, min_lon, min_lat, max_lon, max_lat, before, after";

pub(crate) fn change_from_row(row: &impl Cells) -> StoreResult<Change> {
    let summary = change_summary_from_row(row);
    let what = format!("change {}", summary.id);
    Ok(Change {
        before: json::<ChangeRecords>(&row.text(8), &what)?,
        after: json::<ChangeRecords>(&row.text(9), &what)?,
        id: summary.id,
        at: summary.at,
        actor: summary.actor,
        operation: summary.operation,
        bbox: summary.bbox,
    })
}

/// Counts per layer and level, in the order [`stats_from_row`] reads them; the same SQL
/// for both backends.
pub(crate) const STATS_SQL: &str = "SELECT
    (SELECT COUNT(*) FROM admin_units WHERE level = 'county'),
    (SELECT COUNT(*) FROM admin_units WHERE level = 'township'),
    (SELECT COUNT(*) FROM admin_units WHERE level = 'village'),
    (SELECT COUNT(*) FROM buildings),
    (SELECT COUNT(*) FROM buildings WHERE building_use = 'residential'),
    (SELECT COUNT(*) FROM buildings WHERE building_use = 'institution'),
    (SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) FROM buildings),
    (SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) FROM buildings
        WHERE household_source = 'estimated'),
    (SELECT COUNT(*) FROM households),
    (SELECT COUNT(*) FROM grids),
    (SELECT COUNT(*) FROM grids WHERE locked),
    (SELECT COUNT(*) FROM staff),
    (SELECT COUNT(*) FROM incidents),
    (SELECT COUNT(*) FROM barriers)";

pub(crate) fn stats_from_row(row: &impl Cells) -> Stats {
    let n = |i: usize| -> u64 { row.int(i).max(0) as u64 };
    Stats {
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
    }
}

/// `households` (of the buildings `buildings`, in entrance/floor/unit order within each)
/// grouped by building in the order of `buildings`; a building without any gets none.
pub(crate) fn group_by_building(
    buildings: &[String],
    households: Vec<gridmap_core::Household>,
) -> Vec<(String, Vec<gridmap_core::Household>)> {
    let mut by: std::collections::HashMap<String, Vec<gridmap_core::Household>> =
        std::collections::HashMap::new();
    for h in households {
        if let Some(b) = h.building.clone() {
            by.entry(b).or_default().push(h);
        }
    }
    buildings
        .iter()
        .map(|b| (b.clone(), by.remove(b).unwrap_or_default()))
        .collect()
}
