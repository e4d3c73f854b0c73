//! The two-level incident taxonomy: groups (矛盾纠纷, 安全隐患, …) of types, each type with
//! its handling department and a deadline per stage in working hours.

use crate::model::Stage;
use serde::{Deserialize, Serialize};

/// The taxonomy shipped with gridmap (`core/data/taxonomy-zh-CN.json`).
const DEFAULT_TAXONOMY: &str = include_str!("../../data/taxonomy-zh-CN.json");

/// Working hours allowed per stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageDeadlines {
    /// Report → dispatched.
    pub dispatch: f64,
    /// Dispatched → feedback.
    pub handle: f64,
    /// Feedback → verified and closed.
    pub verify: f64,
}

impl StageDeadlines {
    /// The working hours allowed for `stage`.
    pub fn hours(&self, stage: Stage) -> f64 {
        match stage {
            Stage::Dispatch => self.dispatch,
            Stage::Handle => self.handle,
            Stage::Verify => self.verify,
        }
    }
}

/// One incident type as the file gives it (department and deadlines may be inherited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentTypeSpec {
    pub code: String,
    pub zh: String,
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<StageDeadlines>,
}

/// A group of types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentGroup {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// Whether the group's incidents are disputes (mediator, experts, outcome).
    #[serde(default)]
    pub dispute: bool,
    pub department: String,
    pub deadlines: StageDeadlines,
    pub types: Vec<IncidentTypeSpec>,
}

/// A type with everything inherited from its group filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentType<'a> {
    pub group: &'a IncidentGroup,
    pub code: &'a str,
    pub zh: &'a str,
    pub en: &'a str,
    pub department: &'a str,
    pub deadlines: StageDeadlines,
}

/// Why a taxonomy file is not usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaxonomyError {
    #[error("the taxonomy is not valid JSON of the expected shape: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the taxonomy has no groups")]
    Empty,
    #[error("taxonomy code {0:?} is used twice")]
    Duplicate(String),
    #[error(
        "taxonomy type {code:?}: deadline of a stage must be a positive number of working hours"
    )]
    Deadline { code: String },
}

/// The taxonomy: groups of types, looked up by code or by Chinese or English name.
///
/// ```
/// use gridmap_core::incident::Taxonomy;
/// let t = Taxonomy::default_zh_cn();
/// let ty = t.resolve("邻里纠纷").unwrap();
/// assert_eq!(ty.code, "dispute.neighbour");
/// assert_eq!(ty.group.code, "dispute");
/// assert!(ty.group.dispute);
/// assert_eq!(ty.department, "司法所");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    #[serde(default)]
    pub name: String,
    pub groups: Vec<IncidentGroup>,
}

impl Taxonomy {
    /// Parses and checks a taxonomy (codes unique, deadlines positive).
    pub fn from_json(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let t: Taxonomy = serde_json::from_str(text)?;
        if t.groups.is_empty() {
            return Err(TaxonomyError::Empty);
        }
        let mut seen = std::collections::HashSet::new();
        for g in &t.groups {
            if !seen.insert(g.code.as_str()) {
                return Err(TaxonomyError::Duplicate(g.code.clone()));
            }
            for ty in &g.types {
                if !seen.insert(ty.code.as_str()) {
                    return Err(TaxonomyError::Duplicate(ty.code.clone()));
                }
                let d = ty.deadlines.unwrap_or(g.deadlines);
                if [d.dispatch, d.handle, d.verify]
                    .iter()
                    .any(|h| !(h.is_finite() && *h > 0.0))
                {
                    return Err(TaxonomyError::Deadline {
                        code: ty.code.clone(),
                    });
                }
            }
        }
        Ok(t)
    }

    /// The shipped zh-CN taxonomy (12 groups, 53 types).
    pub fn default_zh_cn() -> Taxonomy {
        // The file is part of the crate and checked by its tests.
        Taxonomy::from_json(DEFAULT_TAXONOMY).unwrap_or_else(|e| panic!("shipped taxonomy: {e}"))
    }

    /// Every type, group by group.
    pub fn types(&self) -> impl Iterator<Item = IncidentType<'_>> {
        self.groups
            .iter()
            .flat_map(|g| g.types.iter().map(move |t| complete(g, t)))
    }

    /// The type with this code, Chinese name or English name.
    pub fn resolve(&self, text: &str) -> Option<IncidentType<'_>> {
        let text = text.trim();
        self.types()
            .find(|t| t.code == text || t.zh == text || t.en.eq_ignore_ascii_case(text))
    }

    /// The group with this code, Chinese name or English name.
    pub fn group(&self, text: &str) -> Option<&IncidentGroup> {
        let text = text.trim();
        self.groups
            .iter()
            .find(|g| g.code == text || g.zh == text || g.en.eq_ignore_ascii_case(text))
    }

    /// The type of an incident with `category` and `subcategory` (type first, then the
    /// group's first type when only the group is known).
    pub fn type_of(&self, category: &str, subcategory: Option<&str>) -> Option<IncidentType<'_>> {
        subcategory
            .and_then(|s| self.resolve(s))
            .or_else(|| self.resolve(category))
            .or_else(|| {
                let g = self.group(category)?;
                g.types.first().map(|t| complete(g, t))
            })
    }
}

fn complete<'a>(g: &'a IncidentGroup, t: &'a IncidentTypeSpec) -> IncidentType<'a> {
    IncidentType {
        group: g,
        code: &t.code,
        zh: &t.zh,
        en: &t.en,
        department: t.department.as_deref().unwrap_or(&g.department),
        deadlines: t.deadlines.unwrap_or(g.deadlines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_has_about_ten_groups_and_fifty_types() {
        let t = Taxonomy::default_zh_cn();
        assert!((10..=14).contains(&t.groups.len()));
        let n = t.types().count();
        assert!((45..=60).contains(&n), "{n} types");
        assert!(t.groups.iter().any(|g| g.dispute));
        let straw = t.resolve("environment.straw").unwrap();
        assert_eq!(straw.deadlines.handle, 4.0);
        assert_eq!(straw.department, "生态环境分局");
        assert_eq!(
            t.type_of("环境卫生", None).unwrap().group.code,
            "environment"
        );
    }

    #[test]
    fn duplicate_codes_and_bad_deadlines_are_refused() {
        let dup = r#"{"groups":[{"code":"a","zh":"甲","en":"A","department":"d","deadlines":{"dispatch":1,"handle":1,"verify":1},
            "types":[{"code":"a.x","zh":"x","en":"x"},{"code":"a.x","zh":"y","en":"y"}]}]}"#;
        assert!(matches!(Taxonomy::from_json(dup), Err(TaxonomyError::Duplicate(c)) if c == "a.x"));
        let bad = r#"{"groups":[{"code":"a","zh":"甲","en":"A","department":"d","deadlines":{"dispatch":0,"handle":1,"verify":1},
            "types":[{"code":"a.x","zh":"x","en":"x"}]}]}"#;
        assert!(matches!(
            Taxonomy::from_json(bad),
            Err(TaxonomyError::Deadline { .. })
        ));
    }
}
