//! Open311 GeoReport v2: the taxonomy's types as services, incidents as service
//! requests, so 311 clients and hotline (12345) bridges can report and follow them.
//! Public callers see public fields only.

use super::{now, IncidentQuery, ReportRequest};
use crate::{Caller, Service, ServiceError, ServiceResult};
use gridmap_core::time::format_utc;
use gridmap_core::Incident;
use gridmap_importers::time::parse_time;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One service (an incident type).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Open311Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// A new service request (form-encoded or JSON).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Open311Post {
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub description: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub media_url: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub api_key: Option<String>,
}

/// The answer to a new request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Open311Created {
    pub service_request_id: String,
    pub service_notice: Option<String>,
    pub account_id: Option<String>,
}

/// A service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Open311Request {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The loop's status (`dispatched`, `in_progress`…).
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: f64,
    pub long: f64,
    pub media_url: Option<String>,
}

/// Filters of `GET /open311/v2/requests.json`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Open311Query {
    /// Comma list of request ids (the other filters are then ignored).
    pub service_request_id: Option<String>,
    /// Comma list of service codes.
    pub service_code: Option<String>,
    /// Requested at or after (W3C date-time).
    pub start_date: Option<String>,
    /// Requested before (W3C date-time).
    pub end_date: Option<String>,
    /// `open` or `closed` (comma list).
    pub status: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Requests per page (default 50, at most 1000).
    pub page_size: Option<u64>,
}

/// W3C date-time in UTC.
fn w3c(unix: i64) -> String {
    format_utc(unix).replacen(' ', "T", 1) + "Z"
}

fn date(s: &Option<String>, what: &str) -> ServiceResult<Option<i64>> {
    s.as_deref()
        .map(|d| {
            parse_time(d).ok_or_else(|| {
                ServiceError::BadInput(format!(
                    "{what} {d:?}: expected a W3C date-time, e.g. 2026-04-01T09:00:00+08:00"
                ))
            })
        })
        .transpose()
}

const OPEN: [&str; 6] = [
    "reported",
    "work_order",
    "dispatched",
    "in_progress",
    "feedback",
    "suspended",
];

impl Service {
    /// Every incident type as an Open311 service.
    pub fn open311_services(&self) -> Vec<Open311Service> {
        let config = self.incident_config();
        config
            .taxonomy
            .types()
            .map(|t| Open311Service {
                service_code: t.code.to_owned(),
                service_name: t.zh.to_owned(),
                description: format!("{} / {}", t.en, t.group.en),
                metadata: false,
                kind: "realtime".into(),
                keywords: format!("{},{}", t.group.zh, t.en),
                group: t.group.zh.clone(),
            })
            .collect()
    }

    /// Reports an incident from an Open311 client (anyone may).
    pub async fn open311_post(
        &self,
        caller: &Caller,
        post: &Open311Post,
    ) -> ServiceResult<Open311Created> {
        let (Some(lat), Some(lon)) = (post.lat, post.long) else {
            return Err(ServiceError::BadInput(
                "lat and long are required (address-only requests are not located)".into(),
            ));
        };
        if self
            .incident_config()
            .taxonomy
            .resolve(&post.service_code)
            .is_none()
        {
            return Err(ServiceError::BadInput(format!(
                "service_code {:?} is not a service: see /open311/v2/services.json",
                post.service_code
            )));
        }
        let name = [post.last_name.as_deref(), post.first_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .concat();
        let request = ReportRequest {
            category: post.service_code.clone(),
            lon,
            lat,
            description: post.description.clone(),
            address: post.address_string.clone(),
            reporter: Some(name).filter(|n| !n.is_empty()),
            reporter_phone: post.phone.clone(),
            source: None,
            time: None,
            photos: post.media_url.clone().into_iter().collect(),
            client_id: None,
        };
        let view = self.report_incident_public(caller, &request).await?;
        Ok(Open311Created {
            service_request_id: view.id,
            service_notice: view.department.map(|d| format!("received; handled by {d}")),
            account_id: post.account_id.clone(),
        })
    }

    fn open311_view(&self, i: &Incident, photo: Option<String>) -> Open311Request {
        let config = self.incident_config();
        let ty = config
            .taxonomy
            .type_of(&i.category, i.subcategory.as_deref());
        Open311Request {
            service_request_id: i.id.clone(),
            status: if i.status.is_open() { "open" } else { "closed" }.into(),
            status_notes: Some(i.status.as_str().to_owned()),
            service_name: ty.as_ref().map(|t| t.zh.to_owned()),
            service_code: ty.as_ref().map(|t| t.code.to_owned()),
            description: i.description.clone(),
            agency_responsible: ty.as_ref().map(|t| t.department.to_owned()),
            service_notice: None,
            requested_datetime: w3c(i.time),
            updated_datetime: w3c(i.updated.max(i.time)),
            expected_datetime: i
                .work
                .clock
                .filter(|_| i.status.is_open())
                .map(|c| w3c(c.due)),
            address: i.address.clone(),
            address_id: None,
            zipcode: None,
            lat: i.location.y(),
            long: i.location.x(),
            media_url: photo,
        }
    }

    /// The newest public photo URL of the incident's timeline: photos stored here are read
    /// by office roles only (they can show people), so Open311 names only those that came
    /// with the report from elsewhere.
    async fn photo_of(&self, id: &str) -> ServiceResult<Option<String>> {
        Ok(self
            .store()
            .incident_timeline(id)
            .await?
            .iter()
            .rev()
            .flat_map(|t| &t.photos)
            .find(|p| p.starts_with("http://") || p.starts_with("https://"))
            .cloned())
    }

    /// One service request.
    pub async fn open311_request(
        &self,
        _caller: &Caller,
        id: &str,
    ) -> ServiceResult<Open311Request> {
        let i = self
            .store()
            .incident(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no service request {id:?}")))?;
        let photo = self.photo_of(id).await?;
        Ok(self.open311_view(&i, photo))
    }

    /// Service requests, newest first, one page.
    pub async fn open311_requests(
        &self,
        caller: &Caller,
        q: &Open311Query,
    ) -> ServiceResult<Vec<Open311Request>> {
        if let Some(ids) = &q.service_request_id {
            let mut out = Vec::new();
            for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match self.open311_request(caller, id).await {
                    Ok(r) => out.push(r),
                    Err(ServiceError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let mut statuses = Vec::new();
        for s in q.status.as_deref().unwrap_or("").split(',').map(str::trim) {
            match s {
                "" => {}
                "open" => statuses.extend(OPEN),
                "closed" => statuses.extend(["closed", "evaluated", "voided"]),
                other => {
                    return Err(ServiceError::BadInput(format!(
                        "status {other:?}: open or closed"
                    )))
                }
            }
        }
        let page = q.page.unwrap_or(1).max(1);
        let size = q.page_size.unwrap_or(50).clamp(1, 1000);
        let query = IncidentQuery {
            from: date(&q.start_date, "start_date")?,
            to: date(&q.end_date, "end_date")?,
            category: q.service_code.clone(),
            status: Some(statuses.join(",")).filter(|s| !s.is_empty()),
            offset: Some((page - 1) * size),
            limit: Some(size),
            ..IncidentQuery::default()
        };
        let filter = query.filter(now())?;
        let found = self.find_incidents(&filter).await?;
        Ok(found
            .items
            .iter()
            .map(|i| self.open311_view(i, None))
            .collect())
    }
}
