import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import opentype from "opentype.js";
import { decodeGlyphRange, encodeGlyphRange } from "./glyph-pbf.js";
import { buildFontStack, FONT_STACKS, renderGlyph } from "./glyphs.js";
import { flattenPath, GLYPH_BUFFER, signedDistanceField } from "./sdf.js";

const square = flattenPath([
  { type: "M", x: 0, y: -10 },
  { type: "L", x: 10, y: -10 },
  { type: "L", x: 10, y: 0 },
  { type: "L", x: 0, y: 0 },
  { type: "Z" },
]);
const box = { left: 0, top: 10, width: 10, height: 10 };
const side = 10 + 2 * GLYPH_BUFFER;

test("sdf is above the 0.75 edge inside the outline and below it outside", () => {
  const bmp = signedDistanceField(square, box);
  assert.equal(bmp.length, side * side);
  for (let j = 0; j < side; j++) {
    for (let i = 0; i < side; i++) {
      const inside = i >= GLYPH_BUFFER && i < GLYPH_BUFFER + 10 && j >= GLYPH_BUFFER && j < GLYPH_BUFFER + 10;
      const v = bmp[j * side + i];
      if (inside) assert.ok(v > 191, `pixel ${i},${j} inside is ${v}`);
      else assert.ok(v < 191, `pixel ${i},${j} outside is ${v}`);
    }
  }
});

test("sdf falls off with distance from the outline", () => {
  const bmp = signedDistanceField(square, box);
  const row = GLYPH_BUFFER + 5;
  const values = [0, 1, 2, 3, 4, 5].map((i) => bmp[row * side + i]);
  for (let k = 1; k < values.length; k++)
    assert.ok(values[k] >= values[k - 1], `row rises towards the centre: ${values}`);
});

test("a hole (counter-wound inner ring) is outside", () => {
  const ring = flattenPath([
    { type: "M", x: 0, y: -10 },
    { type: "L", x: 10, y: -10 },
    { type: "L", x: 10, y: 0 },
    { type: "L", x: 0, y: 0 },
    { type: "Z" },
    { type: "M", x: 3, y: -7 },
    { type: "L", x: 3, y: -3 },
    { type: "L", x: 7, y: -3 },
    { type: "L", x: 7, y: -7 },
    { type: "Z" },
  ]);
  const bmp = signedDistanceField(ring, box);
  const centre = bmp[(GLYPH_BUFFER + 5) * side + GLYPH_BUFFER + 5];
  const wall = bmp[(GLYPH_BUFFER + 5) * side + GLYPH_BUFFER + 1];
  assert.ok(centre < 191, `hole centre ${centre}`);
  assert.ok(wall > 191, `wall ${wall}`);
});

test("glyph ranges round-trip through the protobuf encoding", () => {
  const glyphs = [
    { id: 66, bitmap: new Uint8Array(7 * 8).fill(9), width: 1, height: 2, left: -1, top: -20, advance: 5 },
    { id: 32, bitmap: null, width: 0, height: 0, left: 0, top: 0, advance: 6 },
  ];
  const [stack] = decodeGlyphRange(encodeGlyphRange("Test Regular", 0, glyphs));
  assert.equal(stack.name, "Test Regular");
  assert.equal(stack.range, "0-255");
  assert.deepEqual(
    stack.glyphs.map((g) => g.id),
    [32, 66],
  );
  const b = stack.glyphs[1];
  assert.deepEqual([b.width, b.height, b.left, b.top, b.advance], [1, 2, -1, -20, 5]);
  assert.deepEqual([...b.bitmap], [...glyphs[0].bitmap]);
});

function loadFont() {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@expo-google-fonts/noto-sans/package.json"));
  const buf = readFileSync(join(dir, FONT_STACKS[0].file));
  return opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

test("a rendered letter has a bitmap of (w+6)×(h+6) and sits on the baseline", () => {
  const font = loadFont();
  const ascender = Math.floor((font.ascender * 24) / font.unitsPerEm);
  const H = renderGlyph(font, "H".codePointAt(0), ascender);
  const p = renderGlyph(font, "p".codePointAt(0), ascender);
  assert.equal(H.bitmap.length, (H.width + 6) * (H.height + 6));
  assert.ok(H.advance > H.width, "advance covers the ink");
  // H stands on the baseline, p descends below it: p's box is lower relative to its top
  assert.ok(H.top > p.top, "capital H reaches higher than p");
  const space = renderGlyph(font, 32, ascender);
  assert.equal(space.bitmap, null);
  assert.ok(space.advance > 0);
});

test("every BMP range is written, digits and Latin letters included", () => {
  const out = mkdtempSync(join(tmpdir(), "glyphs-"));
  try {
    const font = loadFont();
    buildFontStack(font, "Noto Sans Regular", out);
    const dir = join(out, "Noto Sans Regular");
    for (let start = 0; start < 65536; start += 256) assert.ok(existsSync(join(dir, `${start}-${start + 255}.pbf`)));
    const [latin] = decodeGlyphRange(readFileSync(join(dir, "0-255.pbf")));
    const ids = new Set(latin.glyphs.map((g) => g.id));
    for (const ch of "0123456789ABCxyz-") assert.ok(ids.has(ch.codePointAt(0)), `has ${ch}`);
    const [cjk] = decodeGlyphRange(readFileSync(join(dir, "19968-20223.pbf")));
    assert.equal(cjk.glyphs.length, 0, "CJK ideographs come from local fonts");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
