//! Households (flats) from the register. Personal data: never in tiles or logs.

use geo_types::Point;
use serde::{Deserialize, Serialize};

/// One household (a flat) from the register.
///
/// `head`, `phone` and `members` are personal data: they are stored and shown only to
/// users allowed to see them, and never written into tiles or logs. Use
/// [`Household::public`] for what anybody may see. `Debug` redacts them too.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// Register id, unique within the county.
    pub id: String,
    /// `source_id` of the building it lives in, where the register names one.
    pub building: Option<String>,
    /// WGS84 position, where the register gives coordinates instead of a building.
    pub location: Option<Point<f64>>,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
    /// Head of household (personal data).
    pub head: Option<String>,
    /// Contact phone (personal data).
    pub phone: Option<String>,
    pub members: Option<u16>,
    /// Flags such as special-population tags (personal data).
    pub tags: Vec<String>,
}

impl std::fmt::Debug for Household {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Household")
            .field("id", &self.id)
            .field("building", &self.building)
            .field("entrance", &self.entrance)
            .field("floor", &self.floor)
            .field("unit", &self.unit)
            .field("head", &"<redacted>")
            .field("phone", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The part of a household anybody may see: no names, phones, members or tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdPublic {
    pub id: String,
    pub building: Option<String>,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
}

impl Household {
    /// What may be shown without access to personal data.
    pub fn public(&self) -> HouseholdPublic {
        HouseholdPublic {
            id: self.id.clone(),
            building: self.building.clone(),
            entrance: self.entrance.clone(),
            floor: self.floor,
            unit: self.unit.clone(),
            address: self.address.clone(),
        }
    }
}

/// The situation groups a household's tags fall in (户况), as counties report them.
/// Tags are personal data, and so is the group of one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagGroup {
    /// 流动人口: registered elsewhere.
    Floating,
    /// 出租房屋: a rented flat (its tenants or its landlord).
    Rental,
    /// 独居老人: an elderly person living alone.
    ElderlyAlone,
    /// 低保: on the minimum living allowance.
    LowIncome,
    /// 残疾: a member with a disability.
    Disability,
    /// 重点关注: key care groups (left-behind children, people under community
    /// correction, mental illness…).
    KeyCare,
}

impl TagGroup {
    /// Every group, in the order maps and reports list them.
    pub const ALL: [TagGroup; 6] = [
        TagGroup::Floating,
        TagGroup::Rental,
        TagGroup::ElderlyAlone,
        TagGroup::LowIncome,
        TagGroup::Disability,
        TagGroup::KeyCare,
    ];

    /// The stable key (`floating`, `rental`, …).
    pub fn key(self) -> &'static str {
        match self {
            TagGroup::Floating => "floating",
            TagGroup::Rental => "rental",
            TagGroup::ElderlyAlone => "elderly_alone",
            TagGroup::LowIncome => "low_income",
            TagGroup::Disability => "disability",
            TagGroup::KeyCare => "key_care",
        }
    }

    /// The Chinese name registers use, also the tag a tag column adds.
    pub fn label(self) -> &'static str {
        match self {
            TagGroup::Floating => "流动人口",
            TagGroup::Rental => "出租房屋",
            TagGroup::ElderlyAlone => "独居老人",
            TagGroup::LowIncome => "低保",
            TagGroup::Disability => "残疾",
            TagGroup::KeyCare => "重点关注",
        }
    }

    /// The group a register's tag names, by its key or the words registers use;
    /// `None` for a tag in no group (退役军人, a free note).
    ///
    /// ```
    /// use gridmap_core::TagGroup;
    /// assert_eq!(TagGroup::of_tag("低保户"), Some(TagGroup::LowIncome));
    /// assert_eq!(TagGroup::of_tag("留守儿童"), Some(TagGroup::KeyCare));
    /// assert_eq!(TagGroup::of_tag("rental"), Some(TagGroup::Rental));
    /// assert_eq!(TagGroup::of_tag("出租户（房东）"), Some(TagGroup::Rental));
    /// assert_eq!(TagGroup::of_tag("退役军人"), None);
    /// ```
    pub fn of_tag(tag: &str) -> Option<TagGroup> {
        let t = tag.trim();
        if let Some(g) = TagGroup::ALL.into_iter().find(|g| g.key() == t) {
            return Some(g);
        }
        const WORDS: &[(&str, TagGroup)] = &[
            ("流动", TagGroup::Floating),
            ("外来", TagGroup::Floating),
            ("出租", TagGroup::Rental),
            ("租户", TagGroup::Rental),
            ("房东", TagGroup::Rental),
            ("独居", TagGroup::ElderlyAlone),
            ("空巢", TagGroup::ElderlyAlone),
            ("低保", TagGroup::LowIncome),
            ("特困", TagGroup::LowIncome),
            ("残疾", TagGroup::Disability),
            ("重点", TagGroup::KeyCare),
            ("留守", TagGroup::KeyCare),
            ("矫正", TagGroup::KeyCare),
            ("刑满", TagGroup::KeyCare),
            ("精神", TagGroup::KeyCare),
        ];
        WORDS
            .iter()
            .find(|(word, _)| t.contains(word))
            .map(|&(_, g)| g)
    }

    /// The groups of `tags`, each once, in [`TagGroup::ALL`] order.
    pub fn of_tags(tags: &[String]) -> Vec<TagGroup> {
        let mut groups: Vec<TagGroup> = tags.iter().filter_map(|t| TagGroup::of_tag(t)).collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }
}
