//! The incident store: both backends give the same answers to the same writes.

use geo_types::Point;
use gridmap_core::incident::{
    apply, report_transition, start_clock, IncidentAction, LoopRules, Taxonomy, TransitionInput,
    WorkCalendar,
};
use gridmap_core::{Assignee, Incident, IncidentStatus};
use gridmap_store::{ChangeMeta, CountBy, IncidentChunk, IncidentFilter, StoreError};

mod common;
use common::stores;

const T0: i64 = 1_775_000_000; // 2026-04-01 (a Wednesday), 07:33 local

fn incident(n: u32, hours: i64, ty: &str, lon: f64, village: &str) -> Incident {
    let tax = Taxonomy::default_zh_cn();
    let t = tax.type_of(ty, None).unwrap();
    let village: gridmap_core::DivisionCode = village.parse().unwrap();
    let mut i = Incident {
        subcategory: Some(t.code.to_owned()),
        reporter: Some("张三".into()),
        reporter_phone: Some("13800000000".into()),
        grid: Some(gridmap_core::GridCode::new(&village, 1)),
        township: Some(village.township()),
        village: Some(village),
        ..Incident::new(
            format!("E{n}"),
            T0 + hours * 3600,
            t.group.code.clone(),
            Point::new(lon, 33.0),
        )
    };
    let cal = WorkCalendar::china_2026();
    start_clock(
        &mut i,
        LoopRules {
            taxonomy: &tax,
            calendar: &cal,
        },
    );
    i
}

fn meta() -> ChangeMeta {
    ChangeMeta::new("test", "incidents")
}

fn sample() -> Vec<Incident> {
    vec![
        incident(1, 0, "环境卫生", 114.0, "411622101201"),
        incident(2, 1, "邻里纠纷", 114.1, "411622101201"),
        incident(3, 2, "消防隐患", 114.2, "411622101202"),
        incident(4, 300, "垃圾乱堆乱放", 114.3, "411622102201"),
    ]
}

#[tokio::test]
async fn added_incidents_come_back_with_their_report_and_a_change_with_their_area() {
    for (name, store, _dir) in stores().await {
        let all = sample();
        let reports: Vec<_> = all.iter().map(|i| report_transition(i, "test")).collect();
        let (counts, change) = store.add_incidents(&all, &reports, &meta()).await.unwrap();
        assert_eq!((counts.inserted, counts.updated), (4, 0), "{name}");
        assert_eq!(
            store.incident("E2").await.unwrap().as_ref(),
            Some(&all[1]),
            "{name}"
        );
        assert_eq!(store.incident("nope").await.unwrap(), None, "{name}");
        let timeline = store.incident_timeline("E2").await.unwrap();
        assert_eq!(timeline, vec![reports[1].clone()], "{name}");
        let logged = store.change(change).await.unwrap().unwrap();
        assert_eq!(logged.bbox, Some([114.0, 33.0, 114.3, 33.0]), "{name}");
        // The change names what it wrote, so another server re-reads just those.
        let named = logged.incident_ids().unwrap();
        let mut by_id = store.incidents_by_id(&named).await.unwrap();
        by_id.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(by_id, all, "{name}");
        let some = store
            .incidents_by_id(&["E3".into(), "nope".into()])
            .await
            .unwrap();
        assert_eq!(some, vec![all[2].clone()], "{name}");
        // Adding again updates and keeps the timeline as it was.
        let (again, _) = store.add_incidents(&all, &reports, &meta()).await.unwrap();
        assert_eq!((again.inserted, again.updated), (0, 4), "{name}");
        assert_eq!(
            store.incident_timeline("E2").await.unwrap().len(),
            1,
            "{name}"
        );
        assert_eq!(store.incidents().await.unwrap(), all, "{name}");
    }
}

#[tokio::test]
async fn a_write_in_parts_is_one_change_and_an_error_part_leaves_nothing() {
    for (name, store, _dir) in stores().await {
        let all = sample();
        let part = |range: std::ops::Range<usize>| IncidentChunk {
            incidents: all[range.clone()].to_vec(),
            transitions: all[range]
                .iter()
                .map(|i| report_transition(i, "test"))
                .collect(),
        };
        // The second part repeats E2: an update within the same write.
        let parts = vec![Ok(part(0..2)), Ok(part(1..4))];
        let (counts, change) = store
            .add_incident_chunks(Box::pin(futures_util::stream::iter(parts)), &meta())
            .await
            .unwrap();
        assert_eq!((counts.inserted, counts.updated), (4, 1), "{name}");
        let logged = store.change(change).await.unwrap().unwrap();
        assert_eq!(logged.bbox, Some([114.0, 33.0, 114.3, 33.0]), "{name}");
        assert_eq!(logged.incident_ids().unwrap().len(), 5, "{name}");
        assert_eq!(store.incidents().await.unwrap(), all, "{name}");

        // A part that fails after one was written: nothing of the write is kept.
        let mut later = incident(9, 400, "环境卫生", 114.4, "411622101201");
        later.id = "E9".into();
        let mut changed = all[0].clone();
        changed.description = Some("rewritten".into());
        let parts = vec![
            Ok(IncidentChunk {
                incidents: vec![later, changed],
                transitions: Vec::new(),
            }),
            Err(StoreError::Aborted {
                reason: "the file ended early".into(),
            }),
        ];
        let last = store.last_change().await.unwrap();
        let err = store
            .add_incident_chunks(Box::pin(futures_util::stream::iter(parts)), &meta())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("the file ended early"),
            "{name}: {err}"
        );
        assert_eq!(store.incidents().await.unwrap(), all, "{name}: rolled back");
        assert_eq!(
            store.last_change().await.unwrap(),
            last,
            "{name}: not logged"
        );
    }
}

#[tokio::test]
async fn a_transition_is_stored_once_and_a_stale_one_is_a_conflict() {
    let tax = Taxonomy::default_zh_cn();
    let cal = WorkCalendar::china_2026();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    for (name, store, _dir) in stores().await {
        let all = sample();
        store.add_incidents(&all, &[], &meta()).await.unwrap();
        let input = |action| TransitionInput {
            action,
            actor: "staff:S1".into(),
            at: T0 + 600,
            note: Some("立案".into()),
            photos: vec!["api/photos/1".into(), "https://12345.example/2.jpg".into()],
        };
        let (wo, t1) = apply(&all[0], input(IncidentAction::CreateWorkOrder), rules).unwrap();
        let change = store.transition_incident(&wo, &t1, &meta()).await.unwrap();
        assert_eq!(
            store.incident("E1").await.unwrap(),
            Some(wo.clone()),
            "{name}"
        );
        let c = store.change(change).await.unwrap().unwrap();
        assert_eq!(c.bbox, Some([114.0, 33.0, 114.0, 33.0]), "{name}");
        assert_eq!(c.incident_ids(), Some(vec!["E1".to_owned()]), "{name}");
        let after = serde_json::to_string(&c.after).unwrap();
        assert!(
            after.contains("work_order") && !after.contains("张三"),
            "{name}: {after}"
        );
        // Someone else acts on the version we read: refused, nothing written.
        let (other, t_other) = apply(&all[0], input(IncidentAction::Void), rules).unwrap();
        let err = store
            .transition_incident(&other, &t_other, &meta())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { current: 2, .. }),
            "{name}: {err}"
        );
        let dispatch = IncidentAction::Dispatch {
            assignee: Assignee::Staff("S1".into()),
        };
        let (d, t2) = apply(&wo, input(dispatch), rules).unwrap();
        store.transition_incident(&d, &t2, &meta()).await.unwrap();
        let timeline = store.incident_timeline("E1").await.unwrap();
        assert_eq!(timeline, vec![t1, t2], "{name}");
        let ghost = Incident {
            id: "ghost".into(),
            version: 2,
            ..wo
        };
        let err = store
            .transition_incident(&ghost, &timeline[0], &meta())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{name}: {err}");
    }
}

#[tokio::test]
async fn lists_filter_by_place_time_category_status_area_and_page() {
    for (name, store, _dir) in stores().await {
        let mut all = sample();
        all[2].status = IncidentStatus::Closed;
        all[2].work.clock = None;
        store.add_incidents(&all, &[], &meta()).await.unwrap();
        let ids = |page: gridmap_store::IncidentPage| -> Vec<String> {
            page.items.into_iter().map(|i| i.id).collect()
        };
        let list = |f: IncidentFilter| {
            let store = store.clone();
            async move { store.list_incidents(&f).await.unwrap() }
        };
        assert_eq!(
            ids(list(IncidentFilter::default()).await),
            ["E4", "E3", "E2", "E1"],
            "{name}"
        );
        let bbox = IncidentFilter {
            bbox: Some([114.05, 32.0, 114.25, 34.0]),
            ..Default::default()
        };
        assert_eq!(ids(list(bbox).await), ["E3", "E2"], "{name}");
        let window = IncidentFilter {
            from: Some(T0 + 3600),
            to: Some(T0 + 300 * 3600),
            ..Default::default()
        };
        assert_eq!(ids(list(window).await), ["E3", "E2"], "{name}");
        let cats = IncidentFilter {
            categories: vec!["environment".into(), "hazard.fire".into()],
            ..Default::default()
        };
        assert_eq!(ids(list(cats).await), ["E4", "E3", "E1"], "{name}");
        let status = IncidentFilter {
            statuses: vec![IncidentStatus::Closed],
            ..Default::default()
        };
        assert_eq!(ids(list(status).await), ["E3"], "{name}");
        let area = IncidentFilter {
            township: Some("411622101000".parse().unwrap()),
            village: Some("411622101201".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(ids(list(area).await), ["E2", "E1"], "{name}");
        let grid = IncidentFilter {
            grid: Some("411622101202-001".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(ids(list(grid).await), ["E3"], "{name}");
        // E1 (environment, 2 h to dispatch) is overdue a day later; E4 reported later is not.
        let overdue = IncidentFilter {
            overdue_at: Some(T0 + 24 * 3600),
            ..Default::default()
        };
        assert_eq!(ids(list(overdue).await), ["E2", "E1"], "{name}");
        let page = list(IncidentFilter {
            offset: 1,
            limit: Some(2),
            ..Default::default()
        })
        .await;
        assert_eq!(page.total, 4, "{name}");
        assert_eq!(ids(page), ["E3", "E2"], "{name}");
    }
}

#[tokio::test]
async fn counts_per_area_and_assignee_agree_between_backends() {
    let tax = Taxonomy::default_zh_cn();
    let cal = WorkCalendar::china_2026();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    let mut answers = Vec::new();
    for (name, store, _dir) in stores().await {
        let all = sample();
        store.add_incidents(&all, &[], &meta()).await.unwrap();
        // E1 runs the whole loop within its deadlines and is rated 4.
        let mut i = all[0].clone();
        let steps = [
            IncidentAction::CreateWorkOrder,
            IncidentAction::Dispatch {
                assignee: Assignee::Staff("S1".into()),
            },
            IncidentAction::Accept,
            IncidentAction::Feedback,
            IncidentAction::Verify,
            IncidentAction::Evaluate {
                rating: 4,
                comment: None,
            },
        ];
        for (n, action) in steps.into_iter().enumerate() {
            let input = TransitionInput {
                action,
                actor: "t".into(),
                at: i.time + 3600 + n as i64 * 60,
                note: None,
                photos: Vec::new(),
            };
            let (next, t) = apply(&i, input, rules).unwrap();
            store.transition_incident(&next, &t, &meta()).await.unwrap();
            i = next;
        }
        let now = T0 + 24 * 3600;
        let by_village = store
            .incident_counts(&IncidentFilter::default(), CountBy::Village, now)
            .await
            .unwrap();
        assert_eq!(by_village.len(), 3, "{name}");
        let v1 = &by_village[0];
        assert_eq!(v1.key.as_deref(), Some("411622101201"), "{name}");
        assert_eq!(
            (
                v1.received,
                v1.open,
                v1.closed,
                v1.closed_on_time,
                v1.overdue,
                v1.rated,
                v1.rating_sum
            ),
            (2, 1, 1, 1, 1, 1, 4),
            "{name}"
        );
        let by_staff = store
            .incident_counts(&IncidentFilter::default(), CountBy::Assignee, now)
            .await
            .unwrap();
        assert_eq!(
            by_staff.last().unwrap().key.as_deref(),
            Some("staff:S1"),
            "{name}"
        );
        let by_status = store
            .incident_counts(&IncidentFilter::default(), CountBy::Status, now)
            .await
            .unwrap();
        answers.push((by_village, by_staff, by_status));
    }
    assert_eq!(answers[0], answers[1]);
}
