//! The incident loop's rules, pure: the taxonomy of incident types ([`Taxonomy`]), the
//! working calendar deadlines are counted in ([`WorkCalendar`]) and the state machine of
//! the closed loop ([`apply`], [`allowed_actions`], [`deadline_level`]).

mod calendar;
mod taxonomy;
mod workflow;

pub use calendar::{CalendarError, CalendarFile, WorkCalendar};
pub use taxonomy::{
    IncidentGroup, IncidentType, IncidentTypeSpec, StageDeadlines, Taxonomy, TaxonomyError,
};
pub use workflow::{
    allowed_actions, apply, deadline_level, escalation_due, is_dispute, report_transition,
    start_clock, DeadlineLevel, IncidentAction, IncidentTransition, LoopRules, TransitionError,
    TransitionInput, MAX_ESCALATION, WARNING_SHARE,
};
