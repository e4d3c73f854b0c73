//! A year of incidents with categories, seasons and a daily rhythm.
//!
//! Each incident picks a day (weekends at 70%), an hour from a daytime-heavy rhythm
//! (peaks 9–11 h and 15–16 h, quiet at night), a category weighted by its base rate times
//! a seasonal factor (straw burning in June and October, floods in July–August, unpaid
//! wages before the Spring Festival), and a place next to a building chosen in proportion
//! to its households. Categories are the default taxonomy's group and type codes, and
//! each incident carries its village and township. Its status depends on its age at the
//! end of the year: recent incidents are still open, older ones closed (with the closing
//! time) or evaluated (with a rating).

use gridmap_core::incident::Taxonomy;
use gridmap_core::time::{civil_from_days, days_from_civil, CST_OFFSET};
use gridmap_core::{Building, DivisionCode, Incident, IncidentStatus};
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::HashMap;

/// (category, sub-categories, base weight, months with doubled weight)
const CATEGORIES: &[(&str, &[&str], f64, &[u32])] = &[
    (
        "矛盾纠纷",
        &["邻里纠纷", "婚姻家庭纠纷", "土地承包纠纷"],
        14.0,
        &[1, 2],
    ),
    (
        "安全隐患",
        &["消防隐患", "用电安全", "燃气安全"],
        12.0,
        &[1, 12],
    ),
    (
        "环境卫生",
        &["垃圾乱堆乱放", "污水直排", "秸秆焚烧"],
        16.0,
        &[6, 10],
    ),
    ("治安防控", &["可疑人员", "盗窃", "电信诈骗"], 8.0, &[]),
    ("道路交通", &["道路破损", "交通隐患", "占道经营"], 9.0, &[]),
    ("市政设施", &["路灯损坏", "供水故障", "井盖缺失"], 8.0, &[]),
    ("民生服务", &["低保救助", "医疗保障", "就业帮扶"], 12.0, &[]),
    ("食品药品安全", &["无证经营", "过期食品"], 4.0, &[]),
    ("防汛防灾", &["积水内涝", "危房隐患"], 3.0, &[7, 8]),
    ("劳动保障", &["欠薪讨薪", "劳动合同纠纷"], 4.0, &[1, 12]),
    ("信访事项", &["来信来访", "政策咨询"], 5.0, &[]),
];

const HOURS: [f64; 24] = [
    1.0, 0.6, 0.4, 0.4, 0.5, 1.0, 2.5, 5.0, 8.0, 11.0, 12.0, 10.0, 6.0, 6.5, 9.0, 11.0, 10.5, 8.0,
    6.0, 5.0, 4.0, 3.0, 2.0, 1.5,
];

fn pick(weights: &[f64], rng: &mut impl Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen_range(0.0..total.max(f64::MIN_POSITIVE));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Generates `count` incidents in the calendar `year`, or in the 365 days before `end`
/// (Unix seconds) when given, around `buildings`.
pub(crate) fn incidents(
    count: u32,
    year: i32,
    end: Option<i64>,
    buildings: &[Building],
    reporters: &HashMap<DivisionCode, Vec<String>>,
    village_names: &HashMap<DivisionCode, String>,
    rng: &mut impl Rng,
) -> Vec<Incident> {
    let homes: Vec<&Building> = buildings
        .iter()
        .filter(|b| b.households.count > 0)
        .collect();
    let mut cumulative = Vec::with_capacity(homes.len());
    let mut acc = 0u64;
    for b in &homes {
        acc += u64::from(b.households.count);
        cumulative.push(acc);
    }
    if acc == 0 {
        return Vec::new();
    }
    let taxonomy = Taxonomy::default_zh_cn();
    let (start, days) = match end {
        Some(end) => (end - 365 * 86_400, 365),
        None => {
            let year = i64::from(year);
            let days = days_from_civil(year + 1, 1, 1) - days_from_civil(year, 1, 1);
            (days_from_civil(year, 1, 1) * 86_400 - CST_OFFSET, days)
        }
    };
    let end = start + days * 86_400;
    // Local (China) day number of the first day.
    let first_day = (start + CST_OFFSET).div_euclid(86_400);
    let mut out: Vec<Incident> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let d = loop {
            let d = rng.gen_range(0..days);
            // 1970-01-01 was a Thursday: weekday 0 = Monday
            let weekday = (first_day + d + 3).rem_euclid(7);
            if weekday < 5 || rng.gen_bool(0.7) {
                break d;
            }
        };
        let month = civil_from_days(first_day + d).1;
        let weights: Vec<f64> = CATEGORIES
            .iter()
            .map(|c| if c.3.contains(&month) { c.2 * 2.0 } else { c.2 })
            .collect();
        let Some(&(category, subs, _, _)) = CATEGORIES.get(pick(&weights, rng)) else {
            continue;
        };
        let sub = subs.choose(rng).copied().unwrap_or(category);
        let hour = pick(&HOURS, rng) as i64;
        let time = (first_day + d) * 86_400 - CST_OFFSET + hour * 3600 + rng.gen_range(0..3600);
        if time >= end {
            continue;
        }

        let x = rng.gen_range(0..acc);
        let k = cumulative.partition_point(|&c| c <= x);
        let Some(b) = homes.get(k).or(homes.last()) else {
            continue;
        };
        let (cx, cy) = centre(b);
        let location = geo_types::Point::new(
            cx + rng.gen_range(-0.00015..0.00015),
            cy + rng.gen_range(-0.00012..0.00012),
        );
        let village = b.village.clone();
        let reporter = village
            .as_ref()
            .and_then(|v| reporters.get(v))
            .and_then(|r| r.choose(rng))
            .cloned();
        let place = village
            .as_ref()
            .and_then(|v| village_names.get(v))
            .cloned()
            .unwrap_or_default();
        let age_days = (end - time) / 86_400;
        let status = if age_days < 2 {
            *[IncidentStatus::Reported, IncidentStatus::WorkOrder]
                .choose(rng)
                .unwrap_or(&IncidentStatus::Reported)
        } else if age_days < 7 {
            *[
                IncidentStatus::Dispatched,
                IncidentStatus::InProgress,
                IncidentStatus::Feedback,
            ]
            .choose(rng)
            .unwrap_or(&IncidentStatus::InProgress)
        } else {
            match rng.gen_range(0..100) {
                0..70 => IncidentStatus::Evaluated,
                70..95 => IncidentStatus::Closed,
                _ => IncidentStatus::Feedback,
            }
        };
        let (group, ty) = taxonomy
            .type_of(category, Some(sub))
            .map_or((category.to_owned(), sub.to_owned()), |t| {
                (t.group.code.clone(), t.code.to_owned())
            });
        let mut incident = Incident {
            subcategory: Some(ty),
            status,
            reporter,
            description: Some(format!("{place}：{sub}")),
            source: Some("synth".to_owned()),
            township: village.as_ref().map(DivisionCode::township),
            village,
            ..Incident::new(String::new(), time, group, location)
        };
        if matches!(status, IncidentStatus::Closed | IncidentStatus::Evaluated) {
            incident.work.closed_at = Some((time + rng.gen_range(3_600..5 * 86_400)).min(end));
        }
        if status == IncidentStatus::Evaluated {
            incident.work.rating = Some(*[3u8, 4, 4, 5, 5, 5].choose(rng).unwrap_or(&5));
        }
        incident.updated = incident.work.closed_at.unwrap_or(time);
        out.push(incident);
    }
    out.sort_by_key(|i| i.time);
    let id_year = civil_from_days((end - 1 + CST_OFFSET).div_euclid(86_400)).0;
    for (n, i) in out.iter_mut().enumerate() {
        i.id = format!("E{id_year}{:06}", n + 1);
    }
    out
}

fn centre(b: &Building) -> (f64, f64) {
    use geo::BoundingRect;
    b.footprint
        .bounding_rect()
        .map_or((0.0, 0.0), |r| (r.center().x, r.center().y))
}
