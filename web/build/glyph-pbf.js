// Encoder for MapLibre glyph range files ({fontstack}/{start}-{end}.pbf).
//
// Schema (the one MapLibre's glyph parser reads):
//   message glyphs    { repeated fontstack stacks = 1; }
//   message fontstack { required string name = 1; required string range = 2; repeated glyph glyphs = 3; }
//   message glyph     { required uint32 id = 1; optional bytes bitmap = 2; required uint32 width = 3;
//                       required uint32 height = 4; required sint32 left = 5; required sint32 top = 6;
//                       required uint32 advance = 7; }
// The bitmap is an SDF of (width + 6) × (height + 6) bytes; glyphs without ink
// (space) have width = height = 0 and no bitmap.

import Pbf from "pbf";

/**
 * @typedef {object} Glyph
 * @property {number} id Unicode code point
 * @property {Uint8Array|null} bitmap
 * @property {number} width
 * @property {number} height
 * @property {number} left
 * @property {number} top
 * @property {number} advance
 */

/**
 * Encodes one 256-code-point range of one font stack.
 * @param {string} name font stack name, e.g. "Noto Sans Regular"
 * @param {number} start first code point of the range (a multiple of 256)
 * @param {Glyph[]} glyphs glyphs of the range, any order
 * @returns {Uint8Array}
 */
export function encodeGlyphRange(name, start, glyphs) {
  const pbf = new Pbf();
  pbf.writeMessage(1, writeStack, { name, range: `${start}-${start + 255}`, glyphs });
  return pbf.finish();
}

function writeStack(stack, pbf) {
  pbf.writeStringField(1, stack.name);
  pbf.writeStringField(2, stack.range);
  for (const g of [...stack.glyphs].sort((a, b) => a.id - b.id)) pbf.writeMessage(3, writeGlyph, g);
}

function writeGlyph(g, pbf) {
  pbf.writeVarintField(1, g.id);
  if (g.bitmap && g.bitmap.length > 0) pbf.writeBytesField(2, g.bitmap);
  pbf.writeVarintField(3, g.width);
  pbf.writeVarintField(4, g.height);
  pbf.writeSVarintField(5, g.left);
  pbf.writeSVarintField(6, g.top);
  pbf.writeVarintField(7, g.advance);
}

/**
 * Decodes a glyph range file (used by the build's self-check and tests).
 * @param {Uint8Array} bytes
 * @returns {{name: string, range: string, glyphs: Glyph[]}[]}
 */
export function decodeGlyphRange(bytes) {
  const pbf = new Pbf(bytes);
  return pbf.readFields((tag, stacks, p) => {
    if (tag === 1) stacks.push(p.readMessage(readStack, { name: "", range: "", glyphs: [] }));
  }, []);
}

function readStack(tag, stack, pbf) {
  if (tag === 1) stack.name = pbf.readString();
  else if (tag === 2) stack.range = pbf.readString();
  else if (tag === 3)
    stack.glyphs.push(
      pbf.readMessage(readGlyph, { id: 0, bitmap: null, width: 0, height: 0, left: 0, top: 0, advance: 0 }),
    );
}

function readGlyph(tag, g, pbf) {
  if (tag === 1) g.id = pbf.readVarint();
  else if (tag === 2) g.bitmap = pbf.readBytes();
  else if (tag === 3) g.width = pbf.readVarint();
  else if (tag === 4) g.height = pbf.readVarint();
  else if (tag === 5) g.left = pbf.readSVarint();
  else if (tag === 6) g.top = pbf.readSVarint();
  else if (tag === 7) g.advance = pbf.readVarint();
}
