//! The incident loop's settings: taxonomy, working calendar, escalation step.

use crate::{ServiceError, ServiceResult};
use gridmap_core::incident::{LoopRules, Taxonomy, WorkCalendar};
use std::path::Path;

/// What the loop's rules are read from; the defaults are the shipped zh-CN taxonomy and
/// China's 2026 calendar.
#[derive(Debug, Clone)]
pub struct IncidentConfig {
    pub taxonomy: Taxonomy,
    pub calendar: WorkCalendar,
    /// Seconds between escalation levels once an incident is overdue.
    pub escalation_step_s: i64,
}

impl Default for IncidentConfig {
    fn default() -> IncidentConfig {
        IncidentConfig {
            taxonomy: Taxonomy::default_zh_cn(),
            calendar: WorkCalendar::china_2026(),
            escalation_step_s: 24 * 3600,
        }
    }
}

impl IncidentConfig {
    /// The defaults with a taxonomy and/or calendar read from JSON files.
    pub fn from_files(
        taxonomy: Option<&Path>,
        calendar: Option<&Path>,
    ) -> ServiceResult<IncidentConfig> {
        let read = |p: &Path| {
            std::fs::read_to_string(p)
                .map_err(|e| ServiceError::BadInput(format!("cannot read {}: {e}", p.display())))
        };
        let mut config = IncidentConfig::default();
        if let Some(p) = taxonomy {
            config.taxonomy = Taxonomy::from_json(&read(p)?)
                .map_err(|e| ServiceError::BadInput(format!("{}: {e}", p.display())))?;
        }
        if let Some(p) = calendar {
            config.calendar = WorkCalendar::from_json(&read(p)?)
                .map_err(|e| ServiceError::BadInput(format!("{}: {e}", p.display())))?;
        }
        Ok(config)
    }

    pub fn rules(&self) -> LoopRules<'_> {
        LoopRules {
            taxonomy: &self.taxonomy,
            calendar: &self.calendar,
        }
    }
}
