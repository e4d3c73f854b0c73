//! Statistics per area, staff member, category or status: received, closed, on time,
//! overdue, satisfaction; as JSON rows, CSV or an Excel workbook.

use super::{now, IncidentQuery};
use crate::spreadsheet::{self, Cell};
use crate::{Caller, Service, ServiceError, ServiceResult};
use gridmap_store::{CountBy, IncidentCounts};
use serde::Serialize;
use utoipa::ToSchema;

/// One row of the statistics.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatsRow {
    /// Area code, `staff:ID`/`department:NAME`, category or status; `null` for
    /// incidents without one.
    pub key: Option<String>,
    /// The area's, staff member's or category's name.
    pub name: Option<String>,
    pub received: u64,
    pub open: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub overdue: u64,
    pub voided: u64,
    pub rated: u64,
    /// closed ÷ received
    pub closure_rate: Option<f64>,
    /// closed on time ÷ closed
    pub on_time_rate: Option<f64>,
    /// Mean rating 1–5.
    pub satisfaction: Option<f64>,
}

/// How statistics are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Json,
    Csv,
    Xlsx,
}

impl std::str::FromStr for StatsFormat {
    type Err = ServiceError;
    fn from_str(s: &str) -> ServiceResult<StatsFormat> {
        match s {
            "json" => Ok(StatsFormat::Json),
            "csv" => Ok(StatsFormat::Csv),
            "xlsx" => Ok(StatsFormat::Xlsx),
            other => Err(ServiceError::BadInput(format!(
                "format {other:?}: one of json, csv, xlsx"
            ))),
        }
    }
}

const HEADER: [&str; 12] = [
    "key",
    "name",
    "received",
    "open",
    "closed",
    "closed_on_time",
    "overdue",
    "voided",
    "rated",
    "closure_rate",
    "on_time_rate",
    "satisfaction",
];

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| (a as f64 / b as f64 * 1000.0).round() / 1000.0)
}

fn parse_by(by: &str) -> ServiceResult<CountBy> {
    Ok(match by {
        "township" => CountBy::Township,
        "village" => CountBy::Village,
        "grid" => CountBy::Grid,
        "staff" | "assignee" => CountBy::Assignee,
        "category" => CountBy::Category,
        "status" => CountBy::Status,
        other => {
            return Err(ServiceError::BadInput(format!(
                "by={other:?}: one of township, village, grid, staff, category, status"
            )))
        }
    })
}

impl StatsRow {
    fn cells(&self) -> Vec<Cell<'_>> {
        let count = |n: u64| Cell::Number(n as f64);
        vec![
            Cell::text(self.key.as_deref()),
            Cell::text(self.name.as_deref()),
            count(self.received),
            count(self.open),
            count(self.closed),
            count(self.closed_on_time),
            count(self.overdue),
            count(self.voided),
            count(self.rated),
            Cell::number(self.closure_rate),
            Cell::number(self.on_time_rate),
            Cell::number(self.satisfaction),
        ]
    }
}

/// `rows` as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese names).
pub fn stats_csv(rows: &[StatsRow]) -> ServiceResult<Vec<u8>> {
    Ok(spreadsheet::csv(&HEADER, rows.iter().map(StatsRow::cells))?)
}

/// `rows` as an Excel workbook with one sheet.
pub fn stats_xlsx(rows: &[StatsRow]) -> ServiceResult<Vec<u8>> {
    Ok(spreadsheet::xlsx(
        "incidents",
        &HEADER,
        rows.iter().map(StatsRow::cells),
    )?)
}

impl Service {
    /// Counts per `by` (`township`, `village`, `grid`, `staff`, `category`, `status`) of the
    /// incidents passing `query`. Per-staff figures are for staff only.
    pub async fn incident_stats(
        &self,
        caller: &Caller,
        by: &str,
        query: &IncidentQuery,
    ) -> ServiceResult<Vec<StatsRow>> {
        let by = parse_by(by)?;
        if by == CountBy::Assignee {
            caller.must_be_office("counts by assignee")?;
        }
        let now = now();
        let mut filter = query.filter(now)?;
        filter.scope = caller.incident_scope().cloned();
        let counts = self.store().incident_counts(&filter, by, now).await?;
        let data = self.data();
        let snap = data.snapshot();
        let config = self.incident_config();
        let name = |key: &str| -> Option<String> {
            match by {
                CountBy::Township | CountBy::Village => {
                    let code = key.parse().ok()?;
                    snap.admin_unit(&code).map(|u| u.name.clone())
                }
                CountBy::Assignee => match gridmap_core::Assignee::from_key(key)? {
                    gridmap_core::Assignee::Staff(id) => {
                        snap.staff_member(&id).map(|s| s.name.clone())
                    }
                    gridmap_core::Assignee::Department(d) => Some(d),
                },
                CountBy::Category => config.taxonomy.group(key).map(|g| g.zh.clone()),
                CountBy::Grid | CountBy::Status => None,
            }
        };
        Ok(counts
            .iter()
            .map(|c: &IncidentCounts| StatsRow {
                key: c.key.clone(),
                name: c.key.as_deref().and_then(name),
                received: c.received,
                open: c.open,
                closed: c.closed,
                closed_on_time: c.closed_on_time,
                overdue: c.overdue,
                voided: c.voided,
                rated: c.rated,
                closure_rate: ratio(c.closed, c.received),
                on_time_rate: ratio(c.closed_on_time, c.closed),
                satisfaction: ratio(c.rating_sum, c.rated),
            })
            .collect())
    }
}
