//! Statistics per area, staff member, category or status: received, closed, on time,
//! overdue, satisfaction; as JSON rows, CSV or an Excel workbook.

use super::{now, IncidentQuery};
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
    fn cells(&self) -> [String; 12] {
        let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        [
            self.key.clone().unwrap_or_default(),
            self.name.clone().unwrap_or_default(),
            self.received.to_string(),
            self.open.to_string(),
            self.closed.to_string(),
            self.closed_on_time.to_string(),
            self.overdue.to_string(),
            self.voided.to_string(),
            self.rated.to_string(),
            f(self.closure_rate),
            f(self.on_time_rate),
            f(self.satisfaction),
        ]
    }
}

/// `rows` as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese names).
pub fn stats_csv(rows: &[StatsRow]) -> ServiceResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    out.write_record(HEADER).map_err(err)?;
    for r in rows {
        out.write_record(r.cells()).map_err(err)?;
    }
    out.into_inner()
        .map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}

/// `rows` as an Excel workbook with one sheet.
pub fn stats_xlsx(rows: &[StatsRow]) -> ServiceResult<Vec<u8>> {
    use rust_xlsxwriter::Workbook;
    let err = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("writing XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("incidents").map_err(err)?;
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        sheet
            .write_string(r, 0, row.key.as_deref().unwrap_or(""))
            .map_err(err)?;
        sheet
            .write_string(r, 1, row.name.as_deref().unwrap_or(""))
            .map_err(err)?;
        let numbers = [
            Some(row.received as f64),
            Some(row.open as f64),
            Some(row.closed as f64),
            Some(row.closed_on_time as f64),
            Some(row.overdue as f64),
            Some(row.voided as f64),
            Some(row.rated as f64),
            row.closure_rate,
            row.on_time_rate,
            row.satisfaction,
        ];
        for (c, v) in numbers.iter().enumerate() {
            if let Some(v) = v {
                sheet.write_number(r, c as u16 + 2, *v).map_err(err)?;
            }
        }
    }
    book.save_to_buffer().map_err(err)
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
            caller.may_write()?;
        }
        let now = now();
        let filter = query.filter(now)?;
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
