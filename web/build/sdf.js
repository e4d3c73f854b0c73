// Signed distance field for one glyph outline, the way MapLibre's glyph PBFs expect it.
//
// Algorithm: the outline (opentype.js path commands in pixels, y pointing down,
// baseline at y = 0) is flattened into straight segments (quadratic and cubic
// Béziers cut into a fixed number of pieces, ample at 24 px). For every pixel of
// the glyph box plus a `buffer` border we take the exact Euclidean distance from
// the pixel centre to the nearest segment, and the non-zero winding number of a
// ray cast to the right to know whether the centre is inside the outline. The
// signed distance d (negative inside) is stored as one byte:
//   value = clamp(round(255 - 255 * (d / radius + cutoff)), 0, 255)
// with radius 8 and cutoff 0.25, so the outline itself sits at 191 ≈ 0.75 × 255,
// the edge value MapLibre's SDF shader draws at.
//
// Cost: O(pixels × segments) per glyph, about 10^5 operations for a Latin glyph.

/** Border in pixels around each glyph bitmap (fixed by the glyph PBF format). */
export const GLYPH_BUFFER = 3;
/** Distance in pixels covered by the 0..255 ramp. */
export const SDF_RADIUS = 8;
/** Share of the ramp given to the outside of the outline. */
export const SDF_CUTOFF = 0.25;

const CURVE_STEPS = 8;

/**
 * Flattens opentype.js path commands into a flat array of segments
 * [x0, y0, x1, y1, ...] (pixels, y down).
 * @param {Array<{type: string, x?: number, y?: number, x1?: number, y1?: number, x2?: number, y2?: number}>} commands
 * @returns {Float64Array}
 */
export function flattenPath(commands) {
  const out = [];
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  const line = (x, y) => {
    if (x !== cx || y !== cy) out.push(cx, cy, x, y);
    cx = x;
    cy = y;
  };
  for (const c of commands) {
    switch (c.type) {
      case "M":
        if (cx !== sx || cy !== sy) line(sx, sy);
        cx = c.x;
        cy = c.y;
        sx = c.x;
        sy = c.y;
        break;
      case "L":
        line(c.x, c.y);
        break;
      case "Q": {
        const x0 = cx;
        const y0 = cy;
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS;
          const u = 1 - t;
          line(u * u * x0 + 2 * u * t * c.x1 + t * t * c.x, u * u * y0 + 2 * u * t * c.y1 + t * t * c.y);
        }
        break;
      }
      case "C": {
        const x0 = cx;
        const y0 = cy;
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS;
          const u = 1 - t;
          const a = u * u * u;
          const b = 3 * u * u * t;
          const d = 3 * u * t * t;
          const e = t * t * t;
          line(a * x0 + b * c.x1 + d * c.x2 + e * c.x, a * y0 + b * c.y1 + d * c.y2 + e * c.y);
        }
        break;
      }
      case "Z":
        line(sx, sy);
        break;
      default:
        break;
    }
  }
  if (cx !== sx || cy !== sy) line(sx, sy);
  return Float64Array.from(out);
}

/**
 * Rasterises a signed distance field for flattened segments.
 *
 * The glyph box is given in whole pixels: `left` and `top` are the x of its left
 * edge and the y (pixels above the baseline) of its top edge; the bitmap covers
 * the box plus `GLYPH_BUFFER` pixels on each side.
 *
 * @param {Float64Array} segs output of {@link flattenPath}
 * @param {{left: number, top: number, width: number, height: number}} box
 * @returns {Uint8Array} (width + 2·buffer) × (height + 2·buffer) bytes, row-major, top row first
 *
 * @example
 * // a 10 × 10 px square: its centre is far inside (255), a far corner of the border outside
 * const segs = flattenPath([{type: "M", x: 0, y: -10}, {type: "L", x: 10, y: -10},
 *   {type: "L", x: 10, y: 0}, {type: "L", x: 0, y: 0}, {type: "Z"}]);
 * const bmp = signedDistanceField(segs, {left: 0, top: 10, width: 10, height: 10});
 * // bmp[8 * 16 + 8] === 255; bmp[0] < 191
 */
export function signedDistanceField(segs, box) {
  const w = box.width + 2 * GLYPH_BUFFER;
  const h = box.height + 2 * GLYPH_BUFFER;
  const out = new Uint8Array(w * h);
  const n = segs.length;
  for (let j = 0; j < h; j++) {
    // pixel centre, y down (baseline at 0, so above the baseline is negative)
    const py = -(box.top + GLYPH_BUFFER - j - 0.5);
    for (let i = 0; i < w; i++) {
      const px = box.left - GLYPH_BUFFER + i + 0.5;
      let best = Infinity;
      let winding = 0;
      for (let k = 0; k < n; k += 4) {
        const ax = segs[k];
        const ay = segs[k + 1];
        const bx = segs[k + 2];
        const by = segs[k + 3];
        const dx = bx - ax;
        const dy = by - ay;
        const len2 = dx * dx + dy * dy;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        if (t < 0) t = 0;
        else if (t > 1) t = 1;
        const ex = ax + t * dx - px;
        const ey = ay + t * dy - py;
        const d2 = ex * ex + ey * ey;
        if (d2 < best) best = d2;
        // winding: does the segment cross the horizontal ray going right from the centre?
        if (ay <= py) {
          if (by > py && dx * (py - ay) - (px - ax) * dy > 0) winding++;
        } else if (by <= py && dx * (py - ay) - (px - ax) * dy < 0) {
          winding--;
        }
      }
      const dist = Math.sqrt(best) * (winding !== 0 ? -1 : 1);
      const v = Math.round(255 - 255 * (dist / SDF_RADIUS + SDF_CUTOFF));
      out[j * w + i] = Math.min(255, Math.max(0, v));
    }
  }
  return out;
}
