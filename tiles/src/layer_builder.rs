//! Collecting the features of one MVT layer, with the layer's key and value tables.
//!
//! MVT stores attribute keys and values once per layer; features refer to them by
//! index. [`LayerBuilder`] interns both in first-seen order: keys (a handful of static
//! names per layer) by a linear scan, values in a hash map keyed by values *borrowed*
//! from the snapshot ([`AttrValue`]), hashed with a small multiply–rotate hasher
//! (tile content is our own data, so no protection against hash flooding is needed);
//! booleans and small integers (flags, floors, household counts) skip the map and
//! are looked up in a small array.
//! Nothing is copied per feature: each feature is written straight into the layer's
//! protobuf bytes as it is added, and the key and value tables are written when the
//! layer is finished, in exactly the field order and encoding prost uses for
//! geozero's `vector_tile.proto` types (checked by a test), so a tile is the same
//! bytes as if it had been built as prost messages and encoded, without the
//! per-feature allocations or prost's length pass.

use geozero::mvt::{tile, Message};
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
    /// Encoded `features` fields (tag 2) of the layer message, back to back.
    features: Vec<u8>,
    count: usize,
    tags: Vec<u32>,
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
            count: 0,
            tags: Vec::new(),
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
    /// b.add(1, GeomType::Point, &[9, 2, 2], &[("code", AttrValue::Str("a")), ("n", AttrValue::Uint(3))]);
    /// b.add(2, GeomType::Point, &[9, 4, 4], &[("code", AttrValue::Str("a")), ("n", AttrValue::Uint(4))]);
    /// let layer = b.finish().unwrap();
    /// assert_eq!(layer.keys, ["code", "n"]);
    /// assert_eq!(layer.values.len(), 3); // "a" is stored once
    /// assert_eq!(layer.features[1].tags, [0, 0, 1, 2]);
    /// ```
    pub fn add(
        &mut self,
        id: u64,
        kind: GeomType,
        geometry: &[u32],
        attrs: &[(&'static str, AttrValue<'a>)],
    ) {
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for &(k, v) in attrs {
            tags.push(self.key(k));
            tags.push(self.value(v));
        }
        // Feature: id (1), packed tags (2), type (3), packed geometry (4).
        let kind = kind as i32 as u64;
        let packed_len = |xs: &[u32]| xs.iter().map(|&x| varint_len(u64::from(x))).sum::<usize>();
        let (tags_len, geom_len) = (packed_len(&tags), packed_len(geometry));
        let packed_field = |len: usize| {
            if len == 0 {
                0
            } else {
                1 + varint_len(len as u64) + len
            }
        };
        let body = 1
            + varint_len(id)
            + packed_field(tags_len)
            + 1
            + varint_len(kind)
            + packed_field(geom_len);
        let out = &mut self.features;
        out.reserve(1 + varint_len(body as u64) + body);
        out.push(key(2, LEN));
        put_varint(out, body as u64);
        out.push(key(1, VARINT));
        put_varint(out, id);
        put_packed(out, 2, &tags, tags_len);
        out.push(key(3, VARINT));
        put_varint(out, kind);
        put_packed(out, 4, geometry, geom_len);
        self.count += 1;
        self.tags = tags;
    }

    /// Number of features added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no feature was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The finished MVT layer (version 2) as the bytes of a `Layer` message, `None`
    /// when it has no features.
    pub fn finish_bytes(self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let name = self.name.as_bytes();
        let mut out = Vec::with_capacity(self.features.len() + 64 * (self.values.len() + 4));
        // Layer, in field-number order as prost writes it: name (1), features (2),
        // keys (3), values (4), extent (5), version (15).
        put_bytes(&mut out, 1, name);
        out.extend_from_slice(&self.features);
        for k in &self.keys {
            put_bytes(&mut out, 3, k.as_bytes());
        }
        for v in &self.values {
            // Value: string (1), uint (5) or bool (7).
            let (field, wire, payload) = match *v {
                AttrValue::Str(s) => (1, LEN, s.len() as u64),
                AttrValue::Uint(u) => (5, VARINT, u),
                AttrValue::Bool(b) => (7, VARINT, u64::from(b)),
            };
            let body = 1 + varint_len(payload) + if wire == LEN { payload as usize } else { 0 };
            out.push(key(4, LEN));
            put_varint(&mut out, body as u64);
            out.push(key(field, wire));
            put_varint(&mut out, payload);
            if let AttrValue::Str(s) = *v {
                out.extend_from_slice(s.as_bytes());
            }
        }
        out.push(key(5, VARINT));
        put_varint(&mut out, u64::from(self.extent));
        out.push(key(15, VARINT));
        put_varint(&mut out, 2);
        Some(out)
    }

    /// The finished MVT layer as a prost message (decoded from
    /// [`LayerBuilder::finish_bytes`]), `None` when it has no features.
    pub fn finish(self) -> Option<tile::Layer> {
        let bytes = self.finish_bytes()?;
        tile::Layer::decode(bytes.as_slice()).ok()
    }
}

const VARINT: u8 = 0;
const LEN: u8 = 2;

/// A protobuf field key (field numbers here are all below 16: one byte).
fn key(field: u8, wire: u8) -> u8 {
    (field << 3) | wire
}

/// Bytes of `v` as a protobuf varint.
fn varint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits, at least one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Appends `v` as a protobuf varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-delimited field.
pub(crate) fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push(key(field, LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a packed repeated uint32 field whose payload is `len` bytes (nothing when
/// empty, as prost does).
fn put_packed(out: &mut Vec<u8>, field: u8, xs: &[u32], len: usize) {
    if xs.is_empty() {
        return;
    }
    out.push(key(field, LEN));
    put_varint(out, len as u64);
    for &x in xs {
        put_varint(out, u64::from(x));
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
            ours.add(i, GeomType::Point, &[9, 0, 0], &attrs);
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
        l.add(1, GeomType::Point, &[9, 0, 0], &[("k", AttrValue::Str(&a))]);
        l.add(2, GeomType::Point, &[9, 0, 0], &[("k", AttrValue::Str(&b))]);
        assert_eq!(l.finish().unwrap().values.len(), 1);
    }

    #[test]
    fn layer_bytes_equal_prosts_encoding_of_the_same_layer() {
        let mut ours = LayerBuilder::new("buildings", 4096);
        let mut expected = tile::Layer {
            version: 2,
            name: "buildings".to_owned(),
            features: Vec::new(),
            keys: Vec::new(),
            values: Vec::new(),
            extent: Some(4096),
        };
        let words = [
            "osm:way/1",
            "residential",
            "",
            "130102001001-003,130102001001-004",
        ];
        for i in 0..300u64 {
            // Ids, counts and geometry spanning 1- to 5-byte varints; some features
            // without attributes, some without geometry.
            let id = i * i * i * 997 + 1;
            let geometry: Vec<u32> = (0..(i % 7) as u32)
                .map(|k| k.wrapping_mul(0x0100_0193).rotate_left(i as u32))
                .collect();
            let mut attrs = Vec::new();
            if i % 5 != 0 {
                attrs.push(("id", AttrValue::Str(words[(i % 4) as usize])));
                attrs.push(("households", AttrValue::Uint(i * 1_000_003 % 70_000)));
                attrs.push(("split", AttrValue::Bool(i % 3 == 0)));
            }
            let kind = if i % 2 == 0 {
                GeomType::Polygon
            } else {
                GeomType::Point
            };
            ours.add(id, kind, &geometry, &attrs);
            let mut tags = Vec::new();
            for (k, v) in attrs {
                let ki = match expected.keys.iter().position(|x| x == k) {
                    Some(p) => p,
                    None => {
                        expected.keys.push(k.to_owned());
                        expected.keys.len() - 1
                    }
                };
                let value = tile::Value::from(v);
                let vi = match expected.values.iter().position(|x| *x == value) {
                    Some(p) => p,
                    None => {
                        expected.values.push(value);
                        expected.values.len() - 1
                    }
                };
                tags.extend([ki as u32, vi as u32]);
            }
            expected.features.push(tile::Feature {
                id: Some(id),
                tags,
                r#type: Some(kind as i32),
                geometry,
            });
        }
        let (ours, theirs) = (ours.finish_bytes().unwrap(), expected.encode_to_vec());
        let first_difference = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert_eq!((first_difference, ours.len()), (None, theirs.len()));
    }

    #[test]
    fn varint_lengths_match_the_encoder_at_every_boundary() {
        for bits in 0..64 {
            for v in [(1u64 << bits) - 1, 1u64 << bits] {
                let mut out = Vec::new();
                put_varint(&mut out, v);
                assert_eq!(out.len(), varint_len(v), "{v}");
            }
        }
    }
}
