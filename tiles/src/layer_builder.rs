//! Collecting the features of one MVT layer, with the layer's key and value tables.
//!
//! MVT stores attribute keys and values once per layer; features refer to them by
//! index. [`LayerBuilder`] interns both in first-seen order: keys (a handful of static
//! names per layer) by a linear scan, values in a hash map keyed by values *borrowed*
//! from the snapshot ([`AttrValue`]), hashed with a small multiply–rotate hasher
//! (tile content is our own data, so no protection against hash flooding is needed);
//! booleans and small integers (flags, floors, household counts) skip the map and
//! are looked up in a small array.
//! Strings are copied once per distinct value, when the layer is finished, instead of
//! once per feature.

use geozero::mvt::tile;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// MVT geometry type of a feature.
pub use geozero::mvt::tile::GeomType;

/// One attribute value, borrowed for as long as the tile is being drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrValue<'a> {
    /// A string (`string_value`).
    Str(&'a str),
    /// An unsigned integer (`uint_value`).
    Uint(u64),
    /// A boolean (`bool_value`).
    Bool(bool),
}

impl From<AttrValue<'_>> for tile::Value {
    fn from(v: AttrValue<'_>) -> tile::Value {
        match v {
            AttrValue::Str(s) => tile::Value {
                string_value: Some(s.to_owned()),
                ..tile::Value::default()
            },
            AttrValue::Uint(u) => tile::Value {
                uint_value: Some(u),
                ..tile::Value::default()
            },
            AttrValue::Bool(b) => tile::Value {
                bool_value: Some(b),
                ..tile::Value::default()
            },
        }
    }
}

/// A fast non-cryptographic hasher (the multiply–rotate scheme of rustc's FxHasher).
#[derive(Debug, Default, Clone, Copy)]
struct MixHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl MixHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.mix(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Collects the features of one layer of one tile, interning keys and values.
#[derive(Debug)]
pub struct LayerBuilder<'a> {
    name: &'static str,
    extent: u32,
    keys: Vec<&'static str>,
    values: Vec<AttrValue<'a>>,
    value_index: HashMap<AttrValue<'a>, u32, BuildHasherDefault<MixHasher>>,
    /// Value index of `Bool(false)`, `Bool(true)` and `Uint(0..SMALL)`, or `NONE`.
    small: Box<[u32; SMALL + 2]>,
    features: Vec<tile::Feature>,
}

/// Unsigned values below this are interned through [`LayerBuilder::small`].
const SMALL: usize = 256;
const NONE: u32 = u32::MAX;

impl<'a> LayerBuilder<'a> {
    /// An empty layer named `name`.
    pub fn new(name: &'static str, extent: u32) -> Self {
        LayerBuilder::with_capacity(name, extent, 0)
    }

    /// An empty layer named `name` with room for about `features` features (their
    /// distinct string values are interned without rehashing).
    pub fn with_capacity(name: &'static str, extent: u32, features: usize) -> Self {
        LayerBuilder {
            name,
            extent,
            keys: Vec::new(),
            values: Vec::with_capacity(features),
            value_index: HashMap::with_capacity_and_hasher(features, BuildHasherDefault::default()),
            small: Box::new([NONE; SMALL + 2]),
            features: Vec::new(),
        }
    }

    fn key(&mut self, key: &'static str) -> u32 {
        if let Some(i) = self.keys.iter().position(|k| *k == key) {
            return i as u32;
        }
        self.keys.push(key);
        (self.keys.len() - 1) as u32
    }

    fn value(&mut self, v: AttrValue<'a>) -> u32 {
        let next = self.values.len() as u32;
        let slot = match v {
            AttrValue::Bool(b) => Some(usize::from(b)),
            AttrValue::Uint(u) => usize::try_from(u)
                .ok()
                .filter(|&u| u < SMALL)
                .map(|u| u + 2),
            AttrValue::Str(_) => None,
        };
        if let Some(cell) = slot.and_then(|k| self.small.get_mut(k)) {
            if *cell == NONE {
                *cell = next;
                self.values.push(v);
            }
            return *cell;
        }
        let i = *self.value_index.entry(v).or_insert(next);
        if i == next {
            self.values.push(v);
        }
        i
    }

    /// Adds a feature with an encoded geometry and its attributes (in tag order).
    ///
    /// ```
    /// use gridmap_tiles::encode::{AttrValue, GeomType, LayerBuilder};
    /// let mut b = LayerBuilder::new("grids", 4096);
    /// b.add(1, GeomType::Point, vec![9, 2, 2], &[("code", AttrValue::Str("a")), ("n", AttrValue::Uint(3))]);
    /// b.add(2, GeomType::Point, vec![9, 4, 4], &[("code", AttrValue::Str("a")), ("n", AttrValue::Uint(4))]);
    /// let layer = b.finish().unwrap();
    /// assert_eq!(layer.keys, ["code", "n"]);
    /// assert_eq!(layer.values.len(), 3); // "a" is stored once
    /// assert_eq!(layer.features[1].tags, [0, 0, 1, 2]);
    /// ```
    pub fn add(
        &mut self,
        id: u64,
        kind: GeomType,
        geometry: Vec<u32>,
        attrs: &[(&'static str, AttrValue<'a>)],
    ) {
        let mut tags = Vec::with_capacity(attrs.len() * 2);
        for &(k, v) in attrs {
            tags.push(self.key(k));
            tags.push(self.value(v));
        }
        self.features.push(tile::Feature {
            id: Some(id),
            tags,
            r#type: Some(kind as i32),
            geometry,
        });
    }

    /// Number of features added so far.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether no feature was added.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The finished MVT layer (version 2), `None` when it has no features.
    pub fn finish(self) -> Option<tile::Layer> {
        if self.features.is_empty() {
            return None;
        }
        Some(tile::Layer {
            version: 2,
            name: self.name.to_owned(),
            features: self.features,
            keys: self.keys.into_iter().map(str::to_owned).collect(),
            values: self.values.into_iter().map(tile::Value::from).collect(),
            extent: Some(self.extent),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::mvt::{TagsBuilder, TileValue};

    fn owned(v: AttrValue<'_>) -> TileValue {
        match v {
            AttrValue::Str(s) => TileValue::Str(s.to_owned()),
            AttrValue::Uint(u) => TileValue::Uint(u),
            AttrValue::Bool(b) => TileValue::Bool(b),
        }
    }

    #[test]
    fn tables_and_tags_match_geozeros_interner_on_mixed_repeating_values_small_and_large() {
        let names = ["a", "b", "", "1", "true", "a,b"];
        let keys = ["code", "n", "flag", "code2"];
        let mut ours = LayerBuilder::new("l", 4096);
        let mut theirs = TagsBuilder::new();
        let mut their_tags = Vec::new();
        for i in 0..200u64 {
            let attrs = [
                (
                    keys[(i % 4) as usize],
                    AttrValue::Str(names[(i % 6) as usize]),
                ),
                (keys[((i / 3) % 4) as usize], AttrValue::Uint(i % 7)),
                ("flag", AttrValue::Bool(i % 5 == 0)),
                ("n", AttrValue::Uint(1)),
                ("big", AttrValue::Uint(250 + i % 9)),
            ];
            ours.add(i, GeomType::Point, vec![9, 0, 0], &attrs);
            let mut tags = Vec::new();
            for (k, v) in attrs {
                let (ki, vi) = theirs.insert_ref(k, owned(v));
                tags.push(ki);
                tags.push(vi);
            }
            their_tags.push(tags);
        }
        let layer = ours.finish().unwrap();
        let (keys, values) = theirs.into_tags();
        assert_eq!(layer.keys, keys);
        let values: Vec<tile::Value> = values.into_iter().map(tile::Value::from).collect();
        assert_eq!(layer.values, values);
        let tags: Vec<Vec<u32>> = layer.features.into_iter().map(|f| f.tags).collect();
        assert_eq!(tags, their_tags);
    }

    #[test]
    fn equal_strings_from_different_places_share_one_value() {
        let a = String::from("x-1");
        let b = format!("x-{}", 1);
        let mut l = LayerBuilder::new("l", 4096);
        l.add(
            1,
            GeomType::Point,
            vec![9, 0, 0],
            &[("k", AttrValue::Str(&a))],
        );
        l.add(
            2,
            GeomType::Point,
            vec![9, 0, 0],
            &[("k", AttrValue::Str(&b))],
        );
        assert_eq!(l.finish().unwrap().values.len(), 1);
    }
}
