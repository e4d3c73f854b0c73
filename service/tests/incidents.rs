//! The incident use cases on every store (memory, SQLite, PostGIS): point-in-grid
//! placement, access, the loop, events, imports with a category map, Open311 and
//! statistics.

use geo::InteriorPoint;
use gridmap_core::Incident;
use gridmap_service::incidents::open311::{Open311Post, Open311Query};
use gridmap_service::incidents::{
    stats_csv, stats_xlsx, CategoryMap, IncidentEvent, IncidentQuery, ReportRequest,
    TransitionRequest,
};
use gridmap_service::{AccessPolicy, Caller, Service, ServiceError};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{MemoryStore, OpenMode, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use std::sync::Arc;

/// What keeps a store alive: its directory, or its scratch database.
type Keep = Option<Box<dyn std::any::Any + Send>>;

/// A partitioned small county served from each store.
async fn services() -> Vec<(&'static str, Service, Keep)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = gridmap_store::open(dir.path().join("t.db").to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    let scratch = ScratchDatabase::create()
        .await
        .expect("PostgreSQL for the tests");
    let postgis = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    let memory: SharedStore = Arc::new(MemoryStore::new());
    let mut out = Vec::new();
    let all: [(&str, SharedStore, Keep); 3] = [
        ("memory", memory, None),
        ("sqlite", sqlite, Some(Box::new(dir))),
        ("postgis", postgis, Some(Box::new(scratch))),
    ];
    for (name, store, dir) in all {
        let county = synth_county(&SynthParams::new(800, 5));
        gridmap_service::import::import_partitioned_synthetic(store.as_ref(), county)
            .await
            .unwrap();
        let service = Service::start(store, AccessPolicy::default(), 8 << 20)
            .await
            .unwrap();
        out.push((name, service, dir));
    }
    out
}

/// A point inside a grid, with the grid's code and village.
fn inside_a_grid(service: &Service) -> (f64, f64, String, String) {
    let data = service.data();
    let g = data
        .snapshot()
        .grids
        .iter()
        .find(|g| !g.institution)
        .unwrap();
    let p = g.polygon.interior_point().unwrap();
    (p.x(), p.y(), g.code.to_string(), g.village.to_string())
}

/// Incidents the heat layer counts at zoom 12 for `q`, over the whole county.
fn heat_at_z12(service: &Service, q: &gridmap_tiles::incidents::HeatQuery) -> u32 {
    let res = gridmap_tiles::incidents::heat_resolution(12);
    service
        .live()
        .with_incidents(|i| i.heat_cells_at(res, q).iter().map(|c| c.1).sum())
}

fn report(lon: f64, lat: f64) -> ReportRequest {
    ReportRequest {
        category: "垃圾乱堆乱放".into(),
        lon,
        lat,
        description: Some("路边垃圾".into()),
        reporter: Some("李四".into()),
        reporter_phone: Some("13900000000".into()),
        ..ReportRequest::default()
    }
}

fn step(action: &str, extra: serde_json::Value) -> TransitionRequest {
    let mut body = serde_json::json!({ "action": action, "note": "ok" });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_report_is_placed_in_its_grid_village_and_township_and_published() {
    for (name, service, _dir) in services().await {
        let mut events = service.incident_events();
        let (lon, lat, grid, village) = inside_a_grid(&service);
        let view = service
            .report_incident(&office(), &report(lon, lat))
            .await
            .unwrap();
        assert_eq!(view.grid.as_deref(), Some(grid.as_str()), "{name}");
        assert_eq!(view.village.as_deref(), Some(village.as_str()), "{name}");
        assert_eq!(
            view.township.as_deref(),
            Some(&format!("{}000", &village[..9])[..]),
            "{name}"
        );
        assert_eq!(view.category, "environment", "{name}");
        assert_eq!(
            view.subcategory.as_deref(),
            Some("environment.garbage"),
            "{name}"
        );
        assert!(view.deadline.is_some(), "{name}");
        match events.try_recv().unwrap() {
            IncidentEvent::Reported { incident, .. } => {
                assert_eq!(incident.id, view.id);
                assert_eq!(incident.grid.as_deref(), Some(grid.as_str()));
            }
            other => panic!("{name}: {other:?}"),
        }
        // The whole loop, each step published with its status.
        let moves = [
            ("create_work_order", serde_json::json!({})),
            (
                "dispatch",
                serde_json::json!({"assignee": {"kind": "staff", "id": "S1"}}),
            ),
            ("accept", serde_json::json!({})),
            ("feedback", serde_json::json!({})),
            ("verify", serde_json::json!({})),
            ("evaluate", serde_json::json!({"rating": 5})),
        ];
        for (action, extra) in moves {
            service
                .transition_incident(&office(), &view.id, &step(action, extra))
                .await
                .unwrap_or_else(|e| panic!("{name} {action}: {e}"));
            assert!(matches!(
                events.try_recv().unwrap(),
                IncidentEvent::Transition { .. }
            ));
        }
        let detail = service.incident_detail(&office(), &view.id).await.unwrap();
        assert_eq!(detail.incident.status, "evaluated", "{name}");
        assert_eq!(detail.timeline.len(), 7, "{name}");
        // An illegal move names the status and what is allowed.
        let err = service
            .transition_incident(&office(), &view.id, &step("accept", serde_json::json!({})))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::Conflict(ref m) if m.contains("evaluated")),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn public_callers_report_through_open311_only_and_never_see_reporters() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let refused = service
            .report_incident(&Caller::Public, &report(lon, lat))
            .await;
        assert!(
            matches!(refused, Err(ServiceError::Unauthorized(_))),
            "{name}"
        );
        let post = Open311Post {
            service_code: "utilities.street_light".into(),
            lat: Some(lat),
            long: Some(lon),
            description: Some("路灯不亮".into()),
            first_name: Some("五".into()),
            last_name: Some("王".into()),
            phone: Some("13700000000".into()),
            media_url: Some("https://example.org/p.jpg".into()),
            ..Open311Post::default()
        };
        let created = service.open311_post(&Caller::Public, &post).await.unwrap();
        let id = created.service_request_id.clone();
        let one = service.open311_request(&Caller::Public, &id).await.unwrap();
        assert_eq!(
            one.service_code.as_deref(),
            Some("utilities.street_light"),
            "{name}"
        );
        assert_eq!(one.status, "open", "{name}");
        assert_eq!(
            one.media_url.as_deref(),
            Some("https://example.org/p.jpg"),
            "{name}"
        );
        assert_eq!((one.lat, one.long), (lat, lon), "{name}");
        let listed = service
            .open311_requests(
                &Caller::Public,
                &Open311Query {
                    service_code: Some("utilities.street_light".into()),
                    status: Some("open".into()),
                    page: Some(1),
                    page_size: Some(10),
                    ..Open311Query::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!(listed[0].service_request_id, id, "{name}");
        let public = service.incident_detail(&Caller::Public, &id).await.unwrap();
        let text = serde_json::to_string(&public).unwrap();
        assert!(
            !text.contains("王五") && !text.contains("13700000000"),
            "{name}: {text}"
        );
        let staff = service.incident_detail(&office(), &id).await.unwrap();
        assert_eq!(staff.incident.reporter.as_deref(), Some("王五"), "{name}");
        assert_eq!(
            staff.incident.reporter_phone.as_deref(),
            Some("13700000000"),
            "{name}"
        );
        let err = service
            .transition_incident(
                &Caller::Public,
                &id,
                &step("create_work_order", serde_json::json!({})),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::Unauthorized(_)),
            "{name}: {err}"
        );
        let unknown = Open311Post {
            service_code: "no.such".into(),
            ..post
        };
        assert!(matches!(
            service.open311_post(&Caller::Public, &unknown).await,
            Err(ServiceError::BadInput(m)) if m.contains("no.such")
        ));
    }
}

#[tokio::test]
async fn imports_map_categories_place_incidents_and_name_the_bad_ones() {
    for (name, service, _dir) in services().await {
        let (lon, lat, grid, _) = inside_a_grid(&service);
        let map = CategoryMap::parse(
            "source,type\n乱扔垃圾,environment.garbage\n",
            &service.incident_config().taxonomy,
        )
        .unwrap();
        let mk = |id: &str, cat: &str| {
            Incident::new(id, 1_775_000_000, cat, geo_types::Point::new(lon, lat))
        };
        let incidents = vec![
            mk("X1", "乱扔垃圾"),
            mk("X2", "消防隐患"),
            mk("X3", "外星人"),
        ];
        let outcome = service
            .import_incidents(&Caller::Operator, incidents, &map, false, false)
            .await
            .unwrap();
        assert_eq!(outcome.counts.inserted, 2, "{name}");
        assert_eq!(outcome.rejected.len(), 1, "{name}");
        assert!(
            outcome.rejected[0].contains("X3") && outcome.rejected[0].contains("外星人"),
            "{name}"
        );
        let x1 = service
            .incident_detail(&office(), "X1")
            .await
            .unwrap()
            .incident;
        assert_eq!(
            x1.subcategory.as_deref(),
            Some("environment.garbage"),
            "{name}"
        );
        assert_eq!(x1.grid.as_deref(), Some(grid.as_str()), "{name}");
        let listed = service
            .list_incidents(
                &Caller::Public,
                &IncidentQuery {
                    category: Some("hazard".into()),
                    grid: Some(grid.clone()),
                    ..IncidentQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            listed
                .items
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>(),
            ["X2"],
            "{name}"
        );
        let strict = service
            .import_incidents(
                &Caller::Operator,
                vec![mk("X4", "外星人")],
                &map,
                true,
                false,
            )
            .await
            .unwrap();
        assert_eq!(strict.counts.inserted, 0, "{name}");
        assert!(
            service.incident_detail(&office(), "X4").await.is_err(),
            "{name}"
        );
        assert!(service
            .import_incidents(&Caller::Public, vec![], &map, false, false)
            .await
            .is_err());
    }
}

#[tokio::test]
async fn a_large_import_is_written_in_parts_as_one_change() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let map = CategoryMap::default();
        // More than two parts of an import; the bad ones in the last part.
        let n = 20_005;
        let incidents = |prefix: &str| -> Vec<Incident> {
            (0..n)
                .map(|k| {
                    let category = if k >= n - 2 {
                        "外星人"
                    } else {
                        "消防隐患"
                    };
                    let at = geo_types::Point::new(lon, lat);
                    Incident::new(
                        format!("{prefix}{k}"),
                        1_775_000_000 + k as i64,
                        category,
                        at,
                    )
                })
                .collect()
        };
        let held = |s: &Service| s.live().with_incidents(|index| index.len());
        let (before, held_before) = (service.store().last_change().await.unwrap(), held(&service));

        // Strict: the bad two in the last part stop all of it.
        let strict = service
            .import_incidents(&Caller::Operator, incidents("S"), &map, true, false)
            .await
            .unwrap();
        assert_eq!(
            (strict.counts.inserted, strict.rejected.len()),
            (0, 2),
            "{name}"
        );
        assert_eq!(
            service.store().last_change().await.unwrap(),
            before,
            "{name}"
        );
        assert_eq!(held(&service), held_before, "{name}: nothing indexed");

        let out = service
            .import_incidents(&Caller::Operator, incidents("L"), &map, false, false)
            .await
            .unwrap();
        assert_eq!(out.counts.inserted, n as u64 - 2, "{name}");
        assert_eq!(out.placed, n as u64 - 2, "{name}");
        assert!(out.rejected[1].contains(&format!("L{}", n - 1)), "{name}");
        assert_eq!(
            service.store().last_change().await.unwrap(),
            before + 1,
            "{name}: one change"
        );
        assert_eq!(
            held(&service),
            held_before + n - 2,
            "{name}: every part indexed"
        );
        let last = service
            .store()
            .incident(&format!("L{}", n - 3))
            .await
            .unwrap();
        assert!(last.is_some_and(|i| i.grid.is_some()), "{name}");
    }
}

#[tokio::test]
async fn a_bbox_list_from_memory_equals_the_stores_own_answer() {
    use geo::BoundingRect;
    use gridmap_store::IncidentFilter;
    for (name, service, _dir) in services().await {
        let (county, grid, village) = {
            let data = service.data();
            let s = data.snapshot();
            let b = s
                .grids
                .iter()
                .filter_map(|g| g.polygon.bounding_rect())
                .reduce(|a, b| {
                    geo_types::Rect::new(
                        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
                    )
                })
                .unwrap();
            let grid = s.grids[s.grids.len() / 2].code.to_string();
            (b, grid, s.grids[0].village.to_string())
        };
        // Incidents over the county and a margin outside it, with shared report times
        // (the order then falls to the id) and two categories.
        let mut seed = 7u64;
        let mut unit = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (w, h) = (county.width(), county.height());
        let incidents: Vec<Incident> = (0..600)
            .map(|k| {
                let at = geo_types::Point::new(
                    county.min().x - 0.1 * w + 1.2 * w * unit(),
                    county.min().y - 0.1 * h + 1.2 * h * unit(),
                );
                let category = if k % 3 == 0 {
                    "消防隐患"
                } else {
                    "垃圾乱堆乱放"
                };
                Incident::new(
                    format!("B{k:03}"),
                    1_775_000_000 + (k % 40) * 3600,
                    category,
                    at,
                )
            })
            .collect();
        service
            .import_incidents(
                &Caller::Operator,
                incidents,
                &CategoryMap::default(),
                false,
                false,
            )
            .await
            .unwrap();
        for k in (0..600).step_by(7) {
            let action = if k % 2 == 0 {
                "void"
            } else {
                "create_work_order"
            };
            service
                .transition_incident(
                    &office(),
                    &format!("B{k:03}"),
                    &step(action, serde_json::json!({})),
                )
                .await
                .unwrap_or_else(|e| panic!("{name} {action} B{k:03}: {e}"));
        }
        let all = service
            .store()
            .list_incidents(&IncidentFilter::default())
            .await
            .unwrap();
        let township = all.items.iter().find_map(|i| i.township.clone());
        assert!(township.is_some(), "{name}: some incidents in the county");
        let (x0, y0, x1, y1) = (
            county.min().x,
            county.min().y,
            county.max().x,
            county.max().y,
        );
        let half = [x0, y0, (x0 + x1) / 2.0, y1];
        let scope = |text: &str| text.parse::<gridmap_core::AccessScope>().unwrap();
        let township_prefix = township.as_ref().unwrap().prefix().to_owned();
        let status = |s: &str| s.parse::<gridmap_core::IncidentStatus>().unwrap();
        let filters = [
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some(half),
                limit: Some(25),
                offset: 10,
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some(half),
                categories: vec!["hazard".into()],
                statuses: vec![status("reported"), status("work_order")],
                limit: Some(40),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([-180.0, -90.0, 180.0, 90.0]),
                from: Some(1_775_000_000 + 10 * 3600),
                to: Some(1_775_000_000 + 20 * 3600),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some(half),
                overdue_at: Some(i64::MAX / 2),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                grid: Some(grid.parse().unwrap()),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                village: Some(village.parse().unwrap()),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                township: township.clone(),
                limit: Some(5),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x1 + 1.0, y0, x1 + 2.0, y1]),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                scope: Some(scope(&township_prefix)),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some(half),
                scope: Some(scope(&format!("grids:{grid}"))),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                bbox: Some([x0, y0, x1, y1]),
                scope: Some(scope(&village)),
                limit: Some(7),
                ..IncidentFilter::default()
            },
        ];
        let listed = |p: &gridmap_store::IncidentPage| {
            (
                p.total,
                p.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
            )
        };
        let mut seen = 0;
        for (k, f) in filters.iter().enumerate() {
            let held = service.find_incidents(f).await.unwrap();
            let stored = service.store().list_incidents(f).await.unwrap();
            assert_eq!(listed(&held), listed(&stored), "{name}: filter {k} {f:?}");
            seen += held.items.len();
        }
        assert!(seen > 300, "{name}: the filters select something ({seen})");
        // A scope alone goes to the store's SQL: it keeps exactly the incidents the
        // scope covers, and incidents in no village only for `all`.
        for text in [
            township_prefix.as_str(),
            &village,
            &format!("grids:{grid}"),
            "all",
        ] {
            let s = scope(text);
            let want: Vec<String> = all
                .items
                .iter()
                .filter(|i| {
                    let grid = i.grid.as_ref().map(|g| g.as_str());
                    s.covers_codes(i.village.as_ref().map(|v| v.as_str()), grid)
                })
                .map(|i| i.id.clone())
                .collect();
            let f = IncidentFilter {
                scope: Some(s.clone()),
                ..IncidentFilter::default()
            };
            let got = service.store().list_incidents(&f).await.unwrap();
            assert_eq!(listed(&got).1, want, "{name}: scope {text}");
            assert!(!want.is_empty(), "{name}: scope {text} holds incidents");
            let counted: u64 = service
                .store()
                .incident_counts(&f, gridmap_store::CountBy::Status, 0)
                .await
                .unwrap()
                .iter()
                .map(|c| c.received)
                .sum();
            assert_eq!(counted, want.len() as u64, "{name}: counts in scope {text}");
        }
        assert!(
            all.items.iter().any(|i| i.village.is_none()),
            "{name}: some incidents outside every village"
        );
    }
}

#[tokio::test]
async fn an_import_whose_request_is_dropped_still_ends_stored_and_indexed() {
    use futures_util::FutureExt;
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let incidents: Vec<Incident> = (0..15_000)
            .map(|k| {
                let at = geo_types::Point::new(lon, lat);
                Incident::new(format!("D{k}"), 1_775_000_000 + k, "消防隐患", at)
            })
            .collect();
        let mut events = service.incident_events();
        let before = service.store().last_change().await.unwrap();
        let map = CategoryMap::default();
        // Polled once (the write starts), then dropped as a gone client's request is.
        let import = service.import_incidents(&Caller::Operator, incidents, &map, false, false);
        assert!(import.now_or_never().is_none(), "{name}: still writing");
        let ended = tokio::time::timeout(std::time::Duration::from_secs(300), events.recv())
            .await
            .unwrap_or_else(|_| panic!("{name}: the import never ended"))
            .unwrap();
        assert!(
            matches!(ended, IncidentEvent::Imported { count: 15_000, .. }),
            "{name}: {ended:?}"
        );
        assert_eq!(
            service.store().last_change().await.unwrap(),
            before + 1,
            "{name}"
        );
        let held = service.live().with_incidents(|index| index.len());
        let stored = service
            .store()
            .list_incidents(&gridmap_store::IncidentFilter::default())
            .await
            .unwrap()
            .total;
        assert_eq!(
            held as u64, stored,
            "{name}: the index holds what the store has"
        );
    }
}

#[tokio::test]
async fn statistics_per_area_and_staff_export_as_csv_and_xlsx() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, village) = inside_a_grid(&service);
        let v = service
            .report_incident(&office(), &report(lon, lat))
            .await
            .unwrap();
        for (action, extra) in [
            ("create_work_order", serde_json::json!({})),
            (
                "dispatch",
                serde_json::json!({"assignee": {"kind": "department", "id": "城管局"}}),
            ),
        ] {
            service
                .transition_incident(&office(), &v.id, &step(action, extra))
                .await
                .unwrap();
        }
        let rows = service
            .incident_stats(&Caller::Public, "village", &IncidentQuery::default())
            .await
            .unwrap();
        let row = rows
            .iter()
            .find(|r| r.key.as_deref() == Some(village.as_str()))
            .unwrap();
        assert!(row.received >= 1 && row.open >= 1, "{name}");
        assert!(row.name.is_some(), "{name}");
        assert!(service
            .incident_stats(&Caller::Public, "staff", &IncidentQuery::default())
            .await
            .is_err());
        let by_staff = service
            .incident_stats(&office(), "staff", &IncidentQuery::default())
            .await
            .unwrap();
        assert!(
            by_staff
                .iter()
                .any(|r| r.key.as_deref() == Some("department:城管局")),
            "{name}"
        );
        let csv = String::from_utf8(stats_csv(&rows).unwrap()).unwrap();
        assert!(csv.contains("received") && csv.contains(&village), "{name}");
        let xlsx = stats_xlsx(&rows).unwrap();
        assert_eq!(&xlsx[..2], b"PK", "{name}: an XLSX is a zip");
    }
}

#[tokio::test]
async fn heat_follows_reports_voids_and_incidents_written_by_another_process() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let q = service.heat_query(Some("1d"), None).unwrap();
        let heat = |s: &Service| heat_at_z12(s, &q);
        assert_eq!(heat(&service), 0, "{name}: the synthetic year is long past");
        let caller = Caller::Operator;
        let view = service
            .report_incident(&caller, &report(lon, lat))
            .await
            .unwrap();
        assert_eq!(heat(&service), 1, "{name}: counted as it is reported");
        // Voiding takes it out of the heat; the incident stays listed.
        service
            .transition_incident(&caller, &view.id, &step("void", serde_json::json!({})))
            .await
            .unwrap();
        assert_eq!(heat(&service), 0, "{name}: voided");
        // Both changes were applied here: syncing them reloads nothing.
        let data_before = service.data();
        assert_eq!(service.sync_changes().await.unwrap(), 2);
        assert!(Arc::ptr_eq(&data_before, &service.data()), "{name}");
        // Another process (e.g. `gridmap import incidents`) writes to the store: the
        // next sync reloads the incidents, not the county.
        let mut other = Incident::new(
            "X-1",
            q.to - 120,
            "environment",
            geo_types::Point::new(lon, lat),
        );
        other.subcategory = Some("environment.garbage".into());
        let meta = gridmap_store::ChangeMeta::new(
            "cli",
            format!("{}import 1", gridmap_store::INCIDENT_OPERATION),
        );
        service
            .store()
            .add_incidents(&[other], &[], &meta)
            .await
            .unwrap();
        assert_eq!(service.sync_changes().await.unwrap(), 1);
        assert_eq!(heat(&service), 1, "{name}: picked up from the change log");
        assert!(
            Arc::ptr_eq(&data_before, &service.data()),
            "{name}: the county was not reloaded for an incident change"
        );
        // Changes made here are not applied twice.
        service
            .report_incident(&caller, &report(lon, lat))
            .await
            .unwrap();
        assert_eq!(service.sync_changes().await.unwrap(), 1);
        assert_eq!(heat(&service), 2, "{name}");
        assert!(Arc::ptr_eq(&data_before, &service.data()), "{name}");
    }
}

#[tokio::test]
async fn a_report_never_takes_the_id_of_a_stored_incident() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let caller = Caller::Operator;
        let first = service
            .report_incident(&caller, &report(lon, lat))
            .await
            .unwrap();
        // Another process stores incidents under the ids this one would give next.
        let serial: u32 = first.id[first.id.len() - 4..].parse().unwrap();
        let taken: Vec<Incident> = (1..=3)
            .map(|k| {
                let id = format!(
                    "{}{:04}",
                    &first.id[..first.id.len() - 4],
                    (serial + k) % 10_000
                );
                Incident::new(
                    id,
                    first.time,
                    "environment",
                    geo_types::Point::new(lon, lat),
                )
            })
            .collect();
        let meta = gridmap_store::ChangeMeta::new("other", "incident import 3");
        service
            .store()
            .add_incidents(&taken, &[], &meta)
            .await
            .unwrap();
        let mut request = report(lon, lat);
        request.time = Some(first.time);
        let second = service.report_incident(&caller, &request).await.unwrap();
        assert!(
            !taken.iter().any(|t| t.id == second.id) && second.id != first.id,
            "{name}: {} reused",
            second.id
        );
        for t in &taken {
            let kept = service.store().incident(&t.id).await.unwrap().unwrap();
            assert_eq!(kept.category, "environment", "{name}: {} kept", t.id);
        }
    }
}

#[tokio::test]
async fn a_batch_the_store_refuses_leaves_no_heat_behind() {
    for (name, service, _dir) in services().await {
        let (lon, lat, _, _) = inside_a_grid(&service);
        let q = service.heat_query(Some("1d"), None).unwrap();
        let heat = |s: &Service| heat_at_z12(s, &q);
        let marks: Vec<_> = (0..100)
            .map(|k| {
                gridmap_tiles::incidents::IncidentMark::new(
                    &format!("F{k}"),
                    q.to - 60,
                    "environment",
                    lon,
                    lat,
                )
            })
            .collect();
        let mut indexed = gridmap_service::live::IndexedWrite::default();
        service.live().index_unwritten(marks, &mut indexed);
        assert!(
            service.live().with_incidents(|i| i.get("F0").is_some()),
            "{name}: indexed while the store writes"
        );
        let refused = Err::<((), i64), _>(ServiceError::BadInput("the disk is full".into()));
        let out = service
            .live()
            .finish_write(service.store().as_ref(), refused, indexed)
            .await;
        assert!(
            matches!(out, Err(ServiceError::BadInput(_))),
            "{name}: {out:?}"
        );
        assert_eq!(
            heat(&service),
            0,
            "{name}: nothing the store refused is drawn"
        );
        assert!(
            service.live().with_incidents(|i| i.get("F0").is_none()),
            "{name}"
        );
    }
}

/// A planner of everything: sees the register, edits grids, works incidents.
fn office() -> Caller {
    Caller::account(
        "planner",
        gridmap_core::Role::Planner,
        gridmap_core::AccessScope::All,
    )
}

#[tokio::test]
async fn a_report_sent_again_with_its_client_id_is_stored_once() {
    for (name, service, _keep) in services().await {
        let staff = office();
        let (lon, lat, _, _) = inside_a_grid(&service);
        let mut request = report(lon, lat);
        request.client_id = Some("0b6f2c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f".into());
        request.time = Some(1_764_806_400);
        let first = service.report_incident(&staff, &request).await.unwrap();
        assert!(!first.repeated, "{name}");
        assert!(first.id.contains('C'), "{name}: {}", first.id);
        let again = service.report_incident(&staff, &request).await.unwrap();
        assert!(again.repeated, "{name}");
        assert_eq!(again.id, first.id, "{name}");
        let stored = service.store().incidents().await.unwrap();
        assert_eq!(
            stored.iter().filter(|i| i.id == first.id).count(),
            1,
            "{name}: stored once"
        );
        let timeline = service.store().incident_timeline(&first.id).await.unwrap();
        assert_eq!(timeline.len(), 1, "{name}: one report on its timeline");
        // Another device's report (another client id) is another incident.
        request.client_id = Some("1c7a3d2f-6b5e-4d4c-8f90-8b7c6d5e4f30".into());
        let other = service.report_incident(&staff, &request).await.unwrap();
        assert_ne!(other.id, first.id, "{name}");
        // A client id without the filing time cannot be recognised when sent again.
        request.time = None;
        assert!(
            service.report_incident(&staff, &request).await.is_err(),
            "{name}"
        );
    }
}
