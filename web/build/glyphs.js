// Generates MapLibre glyph ranges (web/glyphs/{fontstack}/{start}-{end}.pbf) from the
// Noto Sans TTFs shipped by the npm package @expo-google-fonts/noto-sans.
//
// Every one of the 256 ranges of the Basic Multilingual Plane is written, empty where
// the font has no glyph, so MapLibre never meets a 404 (CJK ideographs are drawn
// from local fonts through `localIdeographFontFamily` and never requested).
// Output is deterministic: running the build twice gives identical bytes.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import opentype from "opentype.js";
import { encodeGlyphRange } from "./glyph-pbf.js";
import { flattenPath, signedDistanceField } from "./sdf.js";

/** Pixel size the glyph PBF format is defined at. */
const FONT_SIZE = 24;

/** Font stacks the style uses, and the TTF each is made from. */
export const FONT_STACKS = [
  { name: "Noto Sans Regular", file: "400Regular/NotoSans_400Regular.ttf" },
  { name: "Noto Sans Bold", file: "700Bold/NotoSans_700Bold.ttf" },
];

/**
 * Builds the glyph metrics and SDF bitmap for one code point.
 * @param {import("opentype.js").Font} font
 * @param {number} codePoint
 * @param {number} ascender font ascender in pixels at FONT_SIZE
 */
export function renderGlyph(font, codePoint, ascender) {
  const glyph = font.charToGlyph(String.fromCodePoint(codePoint));
  const scale = FONT_SIZE / font.unitsPerEm;
  const advance = Math.round((glyph.advanceWidth ?? 0) * scale);
  const segs = flattenPath(glyph.getPath(0, 0, FONT_SIZE).commands);
  if (segs.length === 0) return { id: codePoint, bitmap: null, width: 0, height: 0, left: 0, top: 0, advance };
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity; // y down: the top of the glyph
  let yMax = -Infinity;
  for (let k = 0; k < segs.length; k += 2) {
    xMin = Math.min(xMin, segs[k]);
    xMax = Math.max(xMax, segs[k]);
    yMin = Math.min(yMin, segs[k + 1]);
    yMax = Math.max(yMax, segs[k + 1]);
  }
  const left = Math.floor(xMin);
  const top = Math.ceil(-yMin); // pixels above the baseline
  const width = Math.max(1, Math.ceil(xMax) - left);
  const height = Math.max(1, top - Math.floor(-yMax));
  const bitmap = signedDistanceField(segs, { left, top, width, height });
  return { id: codePoint, bitmap, width, height, left, top: top - ascender, advance };
}

/**
 * Writes all ranges of one font stack into `outDir/<name>/`.
 * @returns {{glyphs: number, bytes: number}}
 */
export function buildFontStack(font, name, outDir) {
  const dir = join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const ascender = Math.floor((font.ascender * FONT_SIZE) / font.unitsPerEm);
  const codePoints = Object.keys(font.tables.cmap.glyphIndexMap)
    .map(Number)
    .filter((c) => c <= 0xffff)
    .sort((a, b) => a - b);
  const byRange = new Map();
  for (const c of codePoints) {
    const start = c - (c % 256);
    if (!byRange.has(start)) byRange.set(start, []);
    byRange.get(start).push(c);
  }
  let glyphs = 0;
  let bytes = 0;
  for (let start = 0; start < 0x10000; start += 256) {
    const list = (byRange.get(start) ?? []).map((c) => renderGlyph(font, c, ascender));
    const data = encodeGlyphRange(name, start, list);
    writeFileSync(join(dir, `${start}-${start + 255}.pbf`), data);
    glyphs += list.length;
    bytes += data.length;
  }
  return { glyphs, bytes };
}

function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, "..", "glyphs");
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("@expo-google-fonts/noto-sans/package.json"));
  rmSync(outDir, { recursive: true, force: true });
  for (const stack of FONT_STACKS) {
    const t0 = Date.now();
    const buf = readFileSync(join(pkgDir, stack.file));
    const font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const { glyphs, bytes } = buildFontStack(font, stack.name, outDir);
    console.log(
      `glyphs: ${stack.name}: ${glyphs} glyphs, 256 ranges, ${(bytes / 1024).toFixed(0)} KiB in ${Date.now() - t0} ms`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
