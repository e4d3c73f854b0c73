//! The closed loop: every legal and illegal move, stage clocks, deadlines counted in
//! working hours over a weekend and a holiday.

use geo_types::Point;
use gridmap_core::incident::{
    allowed_actions, apply, deadline_level, escalation_due, start_clock, DeadlineLevel,
    IncidentAction, LoopRules, Taxonomy, TransitionError, TransitionInput, WorkCalendar,
};
use gridmap_core::time::days_from_civil;
use gridmap_core::{Assignee, Incident, IncidentStatus, MediationOutcome, Stage};

/// Unix seconds of a local (UTC+8) time.
fn local(m: u32, d: u32, h: i64, min: i64) -> i64 {
    days_from_civil(2026, m, d) * 86_400 + h * 3600 + min * 60 - 8 * 3600
}

/// Monday–Friday 09:00–17:00, Monday 2026-04-06 a holiday.
fn calendar() -> WorkCalendar {
    WorkCalendar::from_json(
        r#"{"name":"test","utc_offset_s":28800,"weekdays":[1,2,3,4,5],
            "hours":[["09:00","17:00"]],"holidays":["2026-04-06"],"workdays":[]}"#,
    )
    .unwrap()
}

/// One ordinary group (10 h to dispatch) and one dispute group.
fn taxonomy() -> Taxonomy {
    Taxonomy::from_json(
        r#"{"groups":[
          {"code":"env","zh":"环境","en":"Environment","department":"环保",
           "deadlines":{"dispatch":10,"handle":16,"verify":4},
           "types":[{"code":"env.garbage","zh":"垃圾","en":"Garbage"}]},
          {"code":"dispute","zh":"矛盾纠纷","en":"Disputes","dispute":true,"department":"司法所",
           "deadlines":{"dispatch":4,"handle":40,"verify":8},
           "types":[{"code":"dispute.neighbour","zh":"邻里纠纷","en":"Neighbours"}]}]}"#,
    )
    .unwrap()
}

fn incident(kind: &str, status: IncidentStatus) -> Incident {
    let (group, ty) = kind.split_once('.').map(|(g, _)| (g, kind)).unwrap();
    let mut i = Incident {
        subcategory: Some(ty.to_owned()),
        status,
        ..Incident::new("E1", local(4, 3, 9, 0), group, Point::new(114.0, 33.0))
    };
    if status == IncidentStatus::Suspended {
        i.work.suspended_from = Some(IncidentStatus::InProgress);
    }
    i
}

fn every_action() -> Vec<IncidentAction> {
    vec![
        IncidentAction::Report,
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
        IncidentAction::SendBack,
        IncidentAction::Suspend,
        IncidentAction::Resume,
        IncidentAction::Void,
        IncidentAction::Escalate,
        IncidentAction::Supervise,
        IncidentAction::AssignMediator {
            mediator: "M1".into(),
            experts: vec!["X1".into()],
        },
        IncidentAction::MediationOutcome {
            outcome: MediationOutcome::Agreement,
        },
    ]
}

fn input(action: IncidentAction, at: i64) -> TransitionInput {
    TransitionInput {
        action,
        actor: "staff:S9".into(),
        at,
        note: Some("note".into()),
        photos: Vec::new(),
    }
}

/// The loop's rules written out independently of the implementation: status → (action,
/// status after) for an ordinary incident; disputes add the mediation moves.
fn expected(status: IncidentStatus, dispute: bool) -> Vec<(&'static str, IncidentStatus)> {
    use IncidentStatus as S;
    let mut moves = match status {
        S::Reported => vec![("create_work_order", S::WorkOrder), ("void", S::Voided)],
        S::WorkOrder => vec![
            ("dispatch", S::Dispatched),
            ("suspend", S::Suspended),
            ("void", S::Voided),
        ],
        S::Dispatched => vec![
            ("accept", S::InProgress),
            ("send_back", S::WorkOrder),
            ("suspend", S::Suspended),
            ("void", S::Voided),
        ],
        S::InProgress => vec![
            ("feedback", S::Feedback),
            ("suspend", S::Suspended),
            ("void", S::Voided),
        ],
        S::Feedback => vec![("verify", S::Closed), ("send_back", S::InProgress)],
        S::Closed => vec![("evaluate", S::Evaluated)],
        S::Suspended => vec![("resume", S::InProgress), ("void", S::Voided)],
        S::Evaluated | S::Voided => vec![],
    };
    if matches!(
        status,
        S::Reported | S::WorkOrder | S::Dispatched | S::InProgress | S::Feedback
    ) {
        moves.push(("escalate", status));
        moves.push(("supervise", status));
        if dispute {
            moves.push(("assign_mediator", status));
            if matches!(status, S::InProgress | S::Feedback) {
                moves.push(("mediation_outcome", status));
            }
        }
    }
    moves
}

#[test]
fn every_legal_move_is_taken_and_every_illegal_one_refused_naming_the_status() {
    let tax = taxonomy();
    let cal = calendar();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    for kind in ["env.garbage", "dispute.neighbour"] {
        let dispute = kind.starts_with("dispute");
        for status in IncidentStatus::ALL {
            let before = incident(kind, status);
            let moves = expected(status, dispute);
            let names: Vec<&str> = moves.iter().map(|m| m.0).collect();
            assert_eq!(allowed_actions(&before, &tax), names, "{kind} {status}");
            for action in every_action() {
                let name = action.name();
                let result = apply(&before, input(action, local(4, 3, 10, 0)), rules);
                match moves.iter().find(|m| m.0 == name) {
                    Some(&(_, to)) => {
                        let (after, t) =
                            result.unwrap_or_else(|e| panic!("{kind} {status} {name}: {e}"));
                        assert_eq!(after.status, to, "{kind} {status} {name}");
                        assert_eq!((t.from, t.to, t.seq), (status, to, 1));
                        assert_eq!(after.version, 2);
                        assert_eq!(t.actor, "staff:S9");
                        assert_eq!(t.note.as_deref(), Some("note"));
                    }
                    None => {
                        let err = result
                            .err()
                            .unwrap_or_else(|| panic!("{kind} {status} {name} was allowed"));
                        let text = err.to_string();
                        match err {
                            TransitionError::Illegal { status: s, .. } => {
                                assert_eq!(s, status);
                                assert!(text.contains(status.as_str()), "{text}");
                                for n in &names {
                                    assert!(text.contains(n), "{text} lacks {n}");
                                }
                                if names.is_empty() {
                                    assert!(text.contains("nothing"), "{text}");
                                }
                            }
                            other => panic!("{kind} {status} {name}: {other}"),
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_whole_loop_runs_with_clocks_per_stage_and_a_rating() {
    let tax = taxonomy();
    let cal = calendar();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    let mut i = incident("env.garbage", IncidentStatus::Reported);
    start_clock(&mut i, rules);
    assert_eq!(i.work.clock.unwrap().stage, Stage::Dispatch);
    let steps = [
        IncidentAction::CreateWorkOrder,
        IncidentAction::Dispatch {
            assignee: Assignee::Department("城管局".into()),
        },
        IncidentAction::Accept,
        IncidentAction::Feedback,
        IncidentAction::Verify,
        IncidentAction::Evaluate {
            rating: 5,
            comment: Some("快".into()),
        },
    ];
    for (n, action) in steps.into_iter().enumerate() {
        let (next, t) = apply(&i, input(action, local(4, 3, 10, n as i64)), rules).unwrap();
        assert_eq!(t.seq as usize, n + 1);
        i = next;
    }
    assert_eq!(i.status, IncidentStatus::Evaluated);
    assert_eq!(i.work.rating, Some(5));
    assert_eq!(i.work.assignee, Some(Assignee::Department("城管局".into())));
    assert_eq!(i.work.closed_at, Some(local(4, 3, 10, 4)));
    assert_eq!(i.closed_on_time(), Some(true));
    assert!(i.work.clock.is_none());
    for bad in [0, 6] {
        let closed = Incident {
            status: IncidentStatus::Closed,
            ..i.clone()
        };
        let e = IncidentAction::Evaluate {
            rating: bad,
            comment: None,
        };
        assert_eq!(
            apply(&closed, input(e, local(4, 3, 11, 0)), rules).unwrap_err(),
            TransitionError::Rating(bad)
        );
    }
}

#[test]
fn deadlines_count_working_hours_over_a_weekend_and_a_holiday() {
    let tax = taxonomy();
    let cal = calendar();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    // Reported Friday 09:00 with 10 working hours to dispatch: 8 on Friday, none on the
    // weekend or the Monday holiday, 2 on Tuesday → due Tuesday 11:00.
    let mut i = incident("env.garbage", IncidentStatus::Reported);
    start_clock(&mut i, rules);
    let clock = i.work.clock.unwrap();
    assert_eq!(clock.due, local(4, 7, 11, 0));
    let level = |t| deadline_level(&i, t, &cal).unwrap();
    assert_eq!(level(local(4, 3, 15, 59)), DeadlineLevel::Normal);
    // 70% of 10 h is used at Friday 16:00.
    assert_eq!(level(local(4, 3, 16, 0)), DeadlineLevel::Warning);
    assert_eq!(level(local(4, 6, 12, 0)), DeadlineLevel::Warning);
    assert_eq!(level(local(4, 7, 11, 0)), DeadlineLevel::Warning);
    assert_eq!(level(local(4, 7, 11, 1)), DeadlineLevel::Overdue);
    assert!(i.is_overdue(local(4, 7, 11, 1)));
    assert!(!escalation_due(&i, local(4, 7, 11, 0), 86_400));
    assert!(escalation_due(&i, local(4, 7, 11, 1), 86_400));

    // Dispatched late: the stage counts late, the handle clock starts fresh.
    let dispatch = IncidentAction::Dispatch {
        assignee: Assignee::Staff("S1".into()),
    };
    let (wo, _) = apply(
        &i,
        input(IncidentAction::CreateWorkOrder, local(4, 3, 10, 0)),
        rules,
    )
    .unwrap();
    let (late, _) = apply(&wo, input(dispatch, local(4, 7, 12, 0)), rules).unwrap();
    assert_eq!(late.work.late_stages, 1);
    let handle = late.work.clock.unwrap();
    assert_eq!(handle.stage, Stage::Handle);
    // 16 h from Tuesday 12:00: 5 on Tuesday, 8 on Wednesday, 3 on Thursday.
    assert_eq!(handle.due, local(4, 9, 12, 0));
    assert_eq!(
        deadline_level(&late, local(4, 7, 12, 0), &cal),
        Some(DeadlineLevel::Normal)
    );

    // Escalation raises the level once per step, up to the top.
    let (up, _) = apply(
        &i,
        input(IncidentAction::Escalate, local(4, 7, 12, 0)),
        rules,
    )
    .unwrap();
    assert_eq!(up.work.escalation, 1);
    assert!(!escalation_due(&up, local(4, 7, 12, 0), 86_400));
    assert!(escalation_due(&up, local(4, 8, 11, 1), 86_400));
}

#[test]
fn suspension_stops_the_clock_and_resuming_moves_the_deadline() {
    let tax = taxonomy();
    let cal = calendar();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    let mut i = incident("env.garbage", IncidentStatus::Reported);
    start_clock(&mut i, rules);
    let (wo, _) = apply(
        &i,
        input(IncidentAction::CreateWorkOrder, local(4, 3, 9, 0)),
        rules,
    )
    .unwrap();
    // Suspended Friday 13:00 with 6 working hours left.
    let (held, _) = apply(
        &wo,
        input(IncidentAction::Suspend, local(4, 3, 13, 0)),
        rules,
    )
    .unwrap();
    assert_eq!(held.work.clock.unwrap().paused_left_s, Some(6 * 3600));
    assert_eq!(
        deadline_level(&held, local(4, 20, 9, 0), &cal),
        Some(DeadlineLevel::Normal)
    );
    assert!(!held.is_overdue(local(4, 20, 9, 0)));
    // Resumed Wednesday 2026-04-08 09:00: due 15:00 the same day, back in the work order.
    let (back, t) = apply(
        &held,
        input(IncidentAction::Resume, local(4, 8, 9, 0)),
        rules,
    )
    .unwrap();
    assert_eq!(t.to, IncidentStatus::WorkOrder);
    assert_eq!(back.work.clock.unwrap().due, local(4, 8, 15, 0));
    assert_eq!(back.work.suspended_from, None);
}

#[test]
fn disputes_take_a_mediator_experts_and_an_outcome_others_do_not() {
    let tax = taxonomy();
    let cal = calendar();
    let rules = LoopRules {
        taxonomy: &tax,
        calendar: &cal,
    };
    let d = incident("dispute.neighbour", IncidentStatus::InProgress);
    let assign = IncidentAction::AssignMediator {
        mediator: "调解员王".into(),
        experts: vec!["律师李".into()],
    };
    let (d, _) = apply(&d, input(assign.clone(), local(4, 3, 10, 0)), rules).unwrap();
    let outcome = IncidentAction::MediationOutcome {
        outcome: MediationOutcome::Agreement,
    };
    let (d, _) = apply(&d, input(outcome, local(4, 3, 11, 0)), rules).unwrap();
    let m = d.work.mediation.unwrap();
    assert_eq!(m.mediator.as_deref(), Some("调解员王"));
    assert_eq!(m.experts, vec!["律师李".to_owned()]);
    assert_eq!(m.outcome, Some(MediationOutcome::Agreement));
    let other = incident("env.garbage", IncidentStatus::InProgress);
    let err = apply(&other, input(assign, local(4, 3, 10, 0)), rules).unwrap_err();
    assert!(matches!(err, TransitionError::Illegal { .. }), "{err}");
}
