// Incident display logic shared by the wall (/wall) and the web map: time windows, the heat
// colour ramp, the trend chart's scale, tiles around an event, status colours.
//
// Pure module (no DOM access), so `npm test` runs it under node.

/** Colours of the heat ramp, lowest class first (readable on the dark wall and the light map). */
export const HEAT_COLOURS = ["#fff3b0", "#fed976", "#fd8d3c", "#f03b20", "#bd0026"];

/** Status colours of incident points; overdue ones are drawn red whatever their status. */
export const STATUS_COLOURS = {
  reported: "#f9a825",
  work_order: "#f9a825",
  dispatched: "#1e88e5",
  in_progress: "#1e88e5",
  feedback: "#8e24aa",
  suspended: "#757575",
  closed: "#43a047",
  evaluated: "#43a047",
  voided: "#9e9e9e",
};
export const OVERDUE_COLOUR = "#e53935";
/** Statuses that count as open (not closed, evaluated or voided). */
export const CLOSED_STATUSES = ["closed", "evaluated", "voided"];

export const DEFAULT_WINDOW = "30d";

/**
 * Parses a time window (`24h`, `7d`, `30d`, `2w`…: a positive whole number of hours, days or
 * weeks). Weeks are shown as days.
 * @param {string|null|undefined} text
 * @returns {{text: string, seconds: number, n: number, unit: "h"|"d"}|null} null when it is not one
 */
export function parseWindow(text) {
  const m = /^\s*(\d{1,5})\s*([hdw])\s*$/i.exec(String(text ?? ""));
  if (!m) return null;
  const n = Number(m[1]);
  if (n <= 0) return null;
  const unit = m[2].toLowerCase();
  const text2 = `${n}${unit}`;
  if (unit === "w") return { text: text2, seconds: n * 7 * 86400, n: n * 7, unit: "d" };
  return { text: text2, seconds: n * (unit === "h" ? 3600 : 86400), n, unit };
}

/** The window from a URL parameter, falling back to 30 days. */
export function windowOr(text) {
  return parseWindow(text) ?? parseWindow(DEFAULT_WINDOW);
}

/**
 * A "nice" upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `value`.
 * @param {number} value
 * @returns {number}
 */
export function niceCeil(value) {
  if (!(value > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= value - 1e-9) return Number((f * p).toPrecision(12));
  return 10 * p;
}

/**
 * Class breaks of the heat ramp for the largest count in view: up to `HEAT_COLOURS.length`
 * classes, the first from 1, the others at nice fractions of the maximum, strictly increasing.
 * @param {number} max
 * @returns {number[]} lower bounds, `[1]` when max ≤ 1
 */
export function heatBreaks(max) {
  const m = Math.max(1, Math.floor(Number(max) || 0));
  const breaks = [1];
  for (const f of [0.1, 0.25, 0.5, 0.75]) {
    const b = Math.max(2, Math.round(m * f));
    if (b > breaks[breaks.length - 1] && b <= m) breaks.push(b);
  }
  return breaks.slice(0, HEAT_COLOURS.length);
}

/**
 * Colours for `n` classes: all five, or spread from the second to the darkest (so a view whose
 * busiest hexagon has two incidents is not all dark red).
 */
export function rampColours(n) {
  const last = HEAT_COLOURS.length - 1;
  if (n >= HEAT_COLOURS.length) return HEAT_COLOURS.slice();
  if (n <= 1) return [HEAT_COLOURS[last - 1]];
  return Array.from({ length: n }, (_, i) => HEAT_COLOURS[Math.round(1 + (i * (last - 1)) / (n - 1))]);
}

/**
 * MapLibre `fill-color` expression for the heat ramp on `["get", "count"]`.
 * @param {number[]} breaks from {@link heatBreaks}
 */
export function heatColour(breaks) {
  const count = ["to-number", ["coalesce", ["get", "count"], 0]];
  const colours = rampColours(breaks.length);
  return ["step", count, "rgba(0,0,0,0)", ...breaks.flatMap((b, i) => [b, colours[i]])];
}

/** Legend rows for the breaks: `[{from, to|null, colour}]`. */
export function heatLegend(breaks) {
  const colours = rampColours(breaks.length);
  return breaks.map((from, i) => ({
    from,
    to: i + 1 < breaks.length ? breaks[i + 1] - 1 : null,
    colour: colours[i],
  }));
}

/**
 * Geometry of the trend chart (received as bars, closed as a line), in a `width` × `height` box
 * with `pad` = {left, bottom, top, right} for the axes.
 * @param {{day: string, received: number, closed: number}[]} trend oldest first
 * @returns {{max: number, ticks: number[], bars: {x: number, y: number, w: number, h: number, day: string, received: number}[], line: string, points: number[][], y: (v: number) => number}}
 */
export function trendGeometry(trend, width, height, pad = { left: 0, right: 0, top: 0, bottom: 0 }) {
  const days = trend ?? [];
  const max = niceCeil(Math.max(0, ...days.map((d) => Math.max(d.received ?? 0, d.closed ?? 0))));
  const plotW = Math.max(1, width - pad.left - pad.right);
  const plotH = Math.max(1, height - pad.top - pad.bottom);
  const step = plotW / Math.max(1, days.length);
  const y = (v) => pad.top + plotH - (Math.max(0, v) / max) * plotH;
  const bars = days.map((d, i) => {
    const top = y(d.received ?? 0);
    return {
      x: pad.left + i * step + step * 0.15,
      y: top,
      w: step * 0.7,
      h: pad.top + plotH - top,
      day: d.day,
      received: d.received ?? 0,
    };
  });
  const points = days.map((d, i) => [round2(pad.left + (i + 0.5) * step), round2(y(d.closed ?? 0))]);
  const line = points.map(([px, py], i) => `${i ? "L" : "M"}${px},${py}`).join("");
  // a middle tick only where it is a whole number (no "0.5 incidents")
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
  return { max, ticks, bars, line, points, y };
}

function round2(v) {
  return Math.round(v * 100) / 100;
}

/** Web-Mercator tile column/row of a point at zoom `z`. */
export function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const clampedLat = Math.max(-85.0511, Math.min(85.0511, lat));
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (clampedLat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)), z };
}

/**
 * Tiles that may draw something at the bbox: at every zoom from `minzoom` to `maxzoom`, the
 * tiles covering it and their neighbours (a hexagon reaches over a tile edge), at most `limit`
 * per zoom (beyond that the zoom is left out: a wide import at high zoom touches too many).
 * @param {number[]} bbox [w, s, e, n] (a point: w = e, s = n)
 * @returns {{x: number, y: number, z: number}[]}
 */
export function tilesAround(bbox, minzoom, maxzoom, limit = 64) {
  const [w, s, e, n] = bbox;
  const out = [];
  for (let z = Math.max(0, minzoom); z <= maxzoom; z++) {
    const a = tileOf(w, n, z);
    const b = tileOf(e, s, z);
    const max = 2 ** z - 1;
    const x0 = Math.max(0, a.x - 1);
    const x1 = Math.min(max, b.x + 1);
    const y0 = Math.max(0, a.y - 1);
    const y1 = Math.min(max, b.y + 1);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > limit) continue;
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push({ x, y, z });
  }
  return out;
}

/**
 * The bbox an event touched: the incident's point, an import's bbox, or null (everything).
 * @param {object} data the event's JSON
 */
export function eventBbox(data) {
  const i = data?.incident;
  if (i && Number.isFinite(i.lon) && Number.isFinite(i.lat)) return [i.lon, i.lat, i.lon, i.lat];
  if (Array.isArray(data?.bbox) && data.bbox.length === 4) return data.bbox;
  return null;
}

/** Whether the point is inside the bbox [w, s, e, n]. */
export function inBbox(lon, lat, b) {
  return Array.isArray(b) && lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
}

/** MapLibre `circle-color` expression for incident points: overdue red, else by status. */
export function statusColour() {
  const overdue = ["any", ["==", ["get", "overdue"], true], ["==", ["to-string", ["get", "overdue"]], "1"]];
  return [
    "case",
    overdue,
    OVERDUE_COLOUR,
    ["match", ["to-string", ["get", "status"]], ...Object.entries(STATUS_COLOURS).flat(), "#607d8b"],
  ];
}

/**
 * Adds `window` and `category` query parameters to a tile URL template.
 * @param {string} url e.g. "http://h/tiles/heat/{z}/{x}/{y}.mvt"
 * @param {{window?: string, category?: string|null}} q
 */
export function withQuery(url, q) {
  const parts = [];
  if (q.window) parts.push(`window=${encodeURIComponent(q.window)}`);
  if (q.category) parts.push(`category=${q.category.split(",").map(encodeURIComponent).join(",")}`);
  if (!parts.length) return url;
  return `${url}${url.includes("?") ? "&" : "?"}${parts.join("&")}`;
}

/**
 * Formats a share 0..1 as a whole percentage, "–" when unknown.
 * @param {number|null|undefined} v
 */
export function percent(v) {
  return v === null || v === undefined || Number.isNaN(Number(v)) ? "–" : `${Math.round(Number(v) * 100)}%`;
}

/** Formats a 1..5 satisfaction score with one decimal, "–" when unknown. */
export function score(v) {
  return v === null || v === undefined || Number.isNaN(Number(v)) ? "–" : Number(v).toFixed(1);
}

/** "YYYY-MM-DD HH:MM" of unix seconds in China time (UTC+8), as the counters count days. */
export function chinaTime(unix) {
  return new Date((Number(unix) + 8 * 3600) * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** "HH:MM" of unix seconds in China time. */
export function chinaClock(unix) {
  return chinaTime(unix).slice(11);
}

/** "HH:MM" for a time of today (China time), else "MM-DD": for lists of recent incidents. */
export function shortTime(unix, now = Date.now() / 1000) {
  const at = chinaTime(unix);
  return at.slice(0, 10) === chinaTime(now).slice(0, 10) ? at.slice(11) : at.slice(5, 10);
}
