// Lasso selection on the map: the geometry (pure: point in polygon, which drawn buildings a
// lasso holds) and the tool that lets a planner drag a lasso (or a split line) over the map.

/**
 * Whether point `p` lies inside `polygon` (screen pixels, even-odd rule; the ring need not
 * be closed).
 * @param {[number, number]} p
 * @param {[number, number][]} polygon
 */
export function pointInPolygon(p, polygon) {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** `[minX, minY, maxX, maxY]` of a list of points. */
export function bounds(points) {
  let b = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const [x, y] of points) b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
  return b;
}

/**
 * The ids whose drawn shape has its centre inside the lasso. A building cut by tile
 * edges comes as several pieces: the centre is that of all its pieces' points together.
 * @param {{id: string, points: [number, number][]}[]} pieces outline points in screen pixels
 * @param {[number, number][]} lasso
 * @returns {string[]} ids in first-seen order
 */
export function idsInLasso(pieces, lasso) {
  if (lasso.length < 3) return [];
  const sums = new Map();
  for (const { id, points } of pieces) {
    const s = sums.get(id) ?? { x: 0, y: 0, n: 0 };
    for (const [x, y] of points) {
      s.x += x;
      s.y += y;
      s.n += 1;
    }
    sums.set(id, s);
  }
  const out = [];
  for (const [id, s] of sums) if (s.n && pointInPolygon([s.x / s.n, s.y / s.n], lasso)) out.push(id);
  return out;
}

/** Outline points of a GeoJSON Polygon or MultiPolygon (outer rings, closing point dropped). */
export function outerPoints(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : (geometry.coordinates ?? []);
  return polygons.flatMap((rings) => (rings[0] ?? []).slice(0, -1));
}

/** Points closer than this (px) to the previous one are not added while dragging. */
const MIN_STEP_PX = 3;

/**
 * The lasso tool: while on, a drag over the map draws a lasso (SVG over the canvas) instead
 * of panning; on release `onLasso(points, event)` gets its outline in screen pixels. With
 * `line`, the drag draws an open line instead (a split line: two points are enough).
 * @param {import("maplibre-gl").Map} map
 * @param {(points: [number, number][], e: PointerEvent) => void} onLasso
 * @param {{line?: boolean}} [opts]
 * @returns {{on: () => void, off: () => void, active: () => boolean}}
 */
export function createLassoTool(map, onLasso, { line = false } = {}) {
  const container = map.getCanvasContainer();
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "lasso-layer");
  const path = document.createElementNS(ns, line ? "polyline" : "polygon");
  path.setAttribute("class", line ? "lasso-path split-line-path" : "lasso-path");
  const fewest = line ? 2 : 3;
  svg.append(path);
  let active = false;
  let points = null;
  let wasPanning = true;
  let wasBoxZoom = true;

  const local = (e) => {
    const r = container.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const draw = () => path.setAttribute("points", (points ?? []).map((p) => p.join(",")).join(" "));

  function down(e) {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    points = [local(e)];
    container.setPointerCapture?.(e.pointerId);
    draw();
  }
  function move(e) {
    if (!points) return;
    const p = local(e);
    const last = points[points.length - 1];
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_STEP_PX) return;
    points.push(p);
    draw();
  }
  function up(e) {
    if (!points) return;
    const done = points;
    points = null;
    draw();
    if (done.length >= fewest) onLasso(done, e);
  }

  return {
    on() {
      if (active) return;
      active = true;
      // a drag draws the lasso: no panning, and Shift (add to the selection) no box zoom
      wasPanning = map.dragPan.isEnabled();
      wasBoxZoom = map.boxZoom.isEnabled();
      map.dragPan.disable();
      map.boxZoom.disable();
      container.classList.add("lasso-on");
      container.append(svg);
      container.addEventListener("pointerdown", down, true);
      container.addEventListener("pointermove", move);
      container.addEventListener("pointerup", up);
    },
    off() {
      if (!active) return;
      active = false;
      points = null;
      draw();
      if (wasPanning) map.dragPan.enable();
      if (wasBoxZoom) map.boxZoom.enable();
      container.classList.remove("lasso-on");
      svg.remove();
      container.removeEventListener("pointerdown", down, true);
      container.removeEventListener("pointermove", move);
      container.removeEventListener("pointerup", up);
    },
    active: () => active,
  };
}
