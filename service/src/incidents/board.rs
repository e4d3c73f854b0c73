//! The command centre's figures (`GET /api/incidents/summary`): counters, the ranking
//! of areas by open incidents, a 30-day trend, the category breakdown and the newest
//! incidents, for the county, a township or a village. Computed from the incidents
//! held in memory (one pass, no store query), so a wall can ask on every event.

use super::{bad, now, IncidentPoint};
use crate::{Caller, Service, ServiceResult};
use geo::BoundingRect;
use gridmap_core::time::{format_utc, CST_OFFSET};
use gridmap_core::{AdminLevel, DivisionCode, IncidentStatus};
use gridmap_tiles::incidents::MarkRef;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Days in the trend.
pub const TREND_DAYS: i64 = 30;
/// Newest incidents listed.
pub const RECENT: usize = 20;
const DAY: i64 = 86_400;

/// Which figures: the area and the window.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// `24h`, `7d`, `30d`… (default `30d`): what "received", the closure rate,
    /// satisfaction, the ranking and the categories count.
    pub window: Option<String>,
    /// A township's code: its figures, ranking its villages.
    pub township: Option<String>,
    /// A village's code: its figures, ranking its grids.
    pub village: Option<String>,
}

/// The area figures are for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AreaRef {
    pub code: String,
    pub name: String,
    /// `township`, `village` or `grid`.
    pub level: String,
}

/// One row of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AreaFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    /// Reported in the window.
    pub received: u64,
    /// Open now.
    pub open: u64,
    /// Open and past due now.
    pub overdue: u64,
}

/// One day of the trend (China Standard Time).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendDay {
    /// `YYYY-MM-DD`
    pub day: String,
    pub received: u64,
    pub closed: u64,
}

/// One taxonomy group's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CategoryFigures {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Reported in the window.
    pub received: u64,
    /// Open now.
    pub open: u64,
}

/// The figures of a wall display.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentSummary {
    /// Unix seconds the figures hold for.
    pub as_of: i64,
    pub window: String,
    /// The township or village (`None`: the county).
    pub area: Option<AreaRef>,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the area.
    pub bounds: Option<[f64; 4]>,
    /// Reported since midnight (China Standard Time).
    pub today: u64,
    /// Open now.
    pub open: u64,
    /// Open and past due now.
    pub overdue: u64,
    /// Reported in the window (voided ones aside).
    pub received: u64,
    /// Of those, verified and closed.
    pub closed: u64,
    /// `closed / received` (`None` when nothing was received).
    pub closure_rate: Option<f64>,
    /// Mean rating 1–5 of those evaluated (`None` when none was).
    pub satisfaction: Option<f64>,
    /// Sub-areas by open incidents, most first.
    pub areas: Vec<AreaFigures>,
    /// The last 30 days, oldest first.
    pub trend: Vec<TrendDay>,
    /// Taxonomy groups by received, most first.
    pub categories: Vec<CategoryFigures>,
    /// The newest incidents, newest first.
    pub recent: Vec<IncidentPoint>,
}

/// Seconds in a window written `24h`, `7d`, `2w` or a plain number of seconds.
///
/// ```
/// use gridmap_service::incidents::window_seconds;
/// assert_eq!(window_seconds("24h").unwrap(), 86_400);
/// assert_eq!(window_seconds("30d").unwrap(), 30 * 86_400);
/// assert!(window_seconds("0d").is_err());
/// assert!(window_seconds("soon").unwrap_err().to_string().contains("24h"));
/// ```
pub fn window_seconds(text: &str) -> ServiceResult<i64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 's'),
    };
    let unit_s = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => DAY,
        'w' => 7 * DAY,
        _ => 0,
    };
    match digits.parse::<i64>() {
        Ok(n) if n > 0 && unit_s > 0 && n <= 3_660 * DAY / unit_s => Ok(n * unit_s),
        _ => Err(bad(format!(
            "window {text:?}: expected a duration such as 24h, 7d, 30d or 365d (at most ten years)"
        ))),
    }
}

/// Local (UTC+8) day number of a Unix time.
fn local_day(t: i64) -> i64 {
    (t + CST_OFFSET).div_euclid(DAY)
}

impl Service {
    /// What the heat and incident layers draw for `window` (default `30d`, ending at the
    /// next whole minute, so tiles can be cached within a minute) and `categories` (a
    /// comma list of group or type codes; default all).
    pub fn heat_query(
        &self,
        window: Option<&str>,
        categories: Option<&str>,
    ) -> ServiceResult<gridmap_tiles::incidents::HeatQuery> {
        let span = window_seconds(window.unwrap_or("30d"))?;
        let to = (now() / 60 + 1) * 60;
        let q = gridmap_tiles::incidents::HeatQuery::new(to - span, to);
        // Codes as stored; names (Chinese or English) are turned into codes.
        let config = self.incident_config();
        let cats: Vec<String> = categories
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| match config.taxonomy.group(c) {
                Some(g) => g.code.clone(),
                None => config
                    .taxonomy
                    .resolve(c)
                    .map_or_else(|| c.to_owned(), |t| t.code.to_owned()),
            })
            .collect();
        Ok(if cats.is_empty() {
            q
        } else {
            q.with_categories(cats)
        })
    }

    /// The wall's figures for the county, a township or a village. A signed-in user's
    /// figures count only the incidents and list only the areas inside its scope; without
    /// an area asked for, a township's or village's account gets its own.
    pub fn incident_summary(
        &self,
        caller: &Caller,
        query: &SummaryQuery,
    ) -> ServiceResult<IncidentSummary> {
        let window = query.window.clone().unwrap_or_else(|| "30d".to_owned());
        let from = now() - window_seconds(&window)?;
        let at = now();
        let data = self.data();
        let snap = data.snapshot();
        let code = |s: &Option<String>| -> ServiceResult<Option<DivisionCode>> {
            s.as_deref().map(|c| c.parse().map_err(bad)).transpose()
        };
        let (mut village, mut township) = (code(&query.village)?, code(&query.township)?);
        let scope = caller.incident_scope();
        if let (None, None, Some(home)) = (&village, &township, scope.and_then(|s| s.home_unit())) {
            match home.level() {
                AdminLevel::Village => village = Some(home),
                _ => township = Some(home),
            }
        }
        let area = match (&village, &township) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(t)) => Some(t.clone()),
            (None, None) => None,
        };
        if let Some(c) = &area {
            caller.may_see_figures_of(c)?;
        }
        let unit = match &area {
            Some(c) => Some(snap.admin_unit(c).ok_or_else(|| {
                crate::ServiceError::NotFound(format!("no township or village {c}"))
            })?),
            None => None,
        };
        // What the ranking lists and how an incident finds its row.
        // (Borrowed keys: this runs once per incident, up to millions per request.)
        type RankKey = for<'a> fn(&MarkRef<'a>) -> Option<&'a str>;
        let (rank_level, rank_key): (&str, RankKey) = match &village {
            Some(_) => ("grid", |m| m.grid()),
            None if township.is_some() => ("village", |m| m.village()),
            None => ("township", |m| m.township()),
        };
        let mut rows: Vec<AreaFigures> = match (&village, &township) {
            (Some(v), _) => snap
                .grids
                .iter()
                .filter(|g| &g.village == v)
                .map(|g| figures(g.code.as_str(), g.code.as_str(), rank_level))
                .collect(),
            (None, Some(t)) => snap
                .admin_units
                .iter()
                .filter(|u| u.level == AdminLevel::Village && u.code.township() == *t)
                .map(|u| figures(u.code.as_str(), &u.name, rank_level))
                .collect(),
            (None, None) => snap
                .admin_units
                .iter()
                .filter(|u| u.level == AdminLevel::Township)
                .map(|u| figures(u.code.as_str(), &u.name, rank_level))
                .collect(),
        };
        if let Some(scope) = scope {
            rows.retain(|r| match rank_level {
                "grid" => scope.covers_codes(None, Some(&r.code)),
                _ => r
                    .code
                    .parse::<DivisionCode>()
                    .is_ok_and(|c| scope.touches_unit(&c)),
            });
        }
        let row_of: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        let config = self.incident_config();
        let groups = &config.taxonomy.groups;
        let mut cats: Vec<CategoryFigures> = groups
            .iter()
            .map(|g| CategoryFigures {
                code: g.code.clone(),
                name: g.zh.clone(),
                name_en: g.en.clone(),
                received: 0,
                open: 0,
            })
            .collect();
        let mut cat_of: HashMap<String, usize> = cats
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let today = local_day(at);
        let first_day = today - (TREND_DAYS - 1);
        let mut trend = vec![(0u64, 0u64); TREND_DAYS as usize];
        let mut s = Totals::default();
        let mut newest: Vec<(i64, String)> = Vec::new();
        self.live().with_incidents(|index| {
            for m in index.marks() {
                let inside = match (&village, &township) {
                    (Some(v), _) => m.village() == Some(v.as_str()),
                    (None, Some(t)) => m.township() == Some(t.as_str()),
                    (None, None) => true,
                };
                let in_scope = scope.is_none_or(|s| s.covers_codes(m.village(), m.grid()));
                if !inside || !in_scope || m.status() == IncidentStatus::Voided {
                    continue;
                }
                let open = m.status().is_open();
                let overdue = m.is_overdue(at);
                let in_window = m.time() >= from && m.time() <= at;
                s.add(&m, open, overdue, in_window, local_day(m.time()) == today);
                if let Some(slot) = usize::try_from(local_day(m.time()) - first_day)
                    .ok()
                    .and_then(|d| trend.get_mut(d))
                {
                    slot.0 += 1;
                }
                if let Some(slot) = m
                    .closed_at()
                    .and_then(|c| usize::try_from(local_day(c) - first_day).ok())
                    .and_then(|d| trend.get_mut(d))
                {
                    slot.1 += 1;
                }
                if let Some(row) = rank_key(&m)
                    .and_then(|k| row_of.get(k))
                    .and_then(|&i| rows.get_mut(i))
                {
                    row.received += u64::from(in_window);
                    row.open += u64::from(open);
                    row.overdue += u64::from(overdue);
                }
                let ci = match cat_of.get(m.category()) {
                    Some(&i) => i,
                    // A category outside the taxonomy (an old import) gets a row of its own.
                    None => {
                        cats.push(CategoryFigures {
                            code: m.category().to_owned(),
                            name: m.category().to_owned(),
                            name_en: m.category().to_owned(),
                            received: 0,
                            open: 0,
                        });
                        cat_of.insert(m.category().to_owned(), cats.len() - 1);
                        cats.len() - 1
                    }
                };
                if let Some(c) = cats.get_mut(ci) {
                    c.received += u64::from(in_window);
                    c.open += u64::from(open);
                }
                keep_newest(&mut newest, m.time(), m.id());
            }
        });
        let recent: Vec<IncidentPoint> = self.live().with_incidents(|index| {
            newest
                .iter()
                .rev()
                .filter_map(|(_, id)| index.get(id))
                .map(|m| IncidentPoint::from(&m))
                .collect()
        });
        rows.sort_by(|a, b| {
            b.open
                .cmp(&a.open)
                .then(b.received.cmp(&a.received))
                .then(a.code.cmp(&b.code))
        });
        cats.retain(|c| c.received > 0 || c.open > 0 || groups.iter().any(|g| g.code == c.code));
        cats.sort_by(|a, b| {
            b.received
                .cmp(&a.received)
                .then(b.open.cmp(&a.open))
                .then(a.code.cmp(&b.code))
        });
        let bounds = match unit {
            Some(u) => u.boundary.bounding_rect(),
            None => snap.bounds(),
        }
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
        Ok(IncidentSummary {
            as_of: at,
            window,
            area: unit.map(|u| AreaRef {
                code: u.code.as_str().to_owned(),
                name: u.name.clone(),
                level: if u.level == AdminLevel::Township {
                    "township"
                } else {
                    "village"
                }
                .to_owned(),
            }),
            bounds,
            today: s.today,
            open: s.open,
            overdue: s.overdue,
            received: s.received,
            closed: s.closed,
            closure_rate: (s.received > 0).then(|| s.closed as f64 / s.received as f64),
            satisfaction: (s.rated > 0).then(|| s.rating_sum as f64 / s.rated as f64),
            areas: rows,
            trend: trend
                .iter()
                .enumerate()
                .map(|(i, &(received, closed))| TrendDay {
                    day: format_utc((first_day + i as i64) * DAY)[..10].to_owned(),
                    received,
                    closed,
                })
                .collect(),
            categories: cats,
            recent,
        })
    }
}

fn figures(code: &str, name: &str, level: &str) -> AreaFigures {
    AreaFigures {
        code: code.to_owned(),
        name: name.to_owned(),
        level: level.to_owned(),
        received: 0,
        open: 0,
        overdue: 0,
    }
}

#[derive(Default)]
struct Totals {
    today: u64,
    open: u64,
    overdue: u64,
    received: u64,
    closed: u64,
    rated: u64,
    rating_sum: u64,
}

impl Totals {
    fn add(&mut self, m: &MarkRef<'_>, open: bool, overdue: bool, in_window: bool, today: bool) {
        self.today += u64::from(today);
        self.open += u64::from(open);
        self.overdue += u64::from(overdue);
        if in_window {
            self.received += 1;
            self.closed += u64::from(m.closed_at().is_some());
            if let Some(r) = m.rating() {
                self.rated += 1;
                self.rating_sum += u64::from(r);
            }
        }
    }
}

/// Keeps the [`RECENT`] newest `(time, id)`, oldest first.
fn keep_newest(newest: &mut Vec<(i64, String)>, time: i64, id: &str) {
    if newest.len() == RECENT && newest.first().is_some_and(|f| f.0 >= time) {
        return;
    }
    let at = newest.partition_point(|x| x.0 < time);
    newest.insert(at, (time, id.to_owned()));
    if newest.len() > RECENT {
        newest.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_are_kept_in_order() {
        let mut v = Vec::new();
        for t in [
            5, 1, 30, 2, 25, 7, 40, 3, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9,
        ] {
            keep_newest(&mut v, t, &t.to_string());
        }
        assert_eq!(v.len(), RECENT);
        assert_eq!(v.last().unwrap().0, 40);
        assert!(v.windows(2).all(|w| w[0].0 <= w[1].0));
        // 22 kept 20: the two oldest went.
        assert!(!v.iter().any(|x| x.0 == 1 || x.0 == 2));
        assert_eq!(v.first().unwrap().0, 3);
    }

    #[test]
    fn local_days_start_at_midnight_china_time() {
        // 2026-12-01 16:00 UTC is 2026-12-02 00:00 in China.
        let t = gridmap_core::time::days_from_civil(2026, 12, 1) * DAY + 16 * 3_600;
        assert_eq!(local_day(t), local_day(t - 1) + 1);
        assert_eq!(
            format_utc(local_day(t) * DAY)[..10].to_owned(),
            "2026-12-02"
        );
    }
}
