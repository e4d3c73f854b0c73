// Pure helpers of the planner's versions and downloads (no DOM, no map): the comparison's
// summary and map layers, the download paths and the file name a download is saved under.

/** The GeoJSON source of a comparison's differing grids. */
export const COMPARE_SOURCE = "planner-compare";

const FROM_COLOUR = "#c5221f";
const TO_COLOUR = "#1a73e8";

/**
 * The comparison's layers: the `from` side as a dashed outline, the `to` side filled lightly
 * (with a thin outline so its edge shows over the grids' colours).
 */
export function compareLayers() {
  const side = (s) => ["==", ["get", "side"], s];
  return [
    {
      id: "planner-compare-to",
      type: "fill",
      source: COMPARE_SOURCE,
      filter: side("to"),
      paint: { "fill-color": TO_COLOUR, "fill-opacity": 0.2 },
    },
    {
      id: "planner-compare-to-line",
      type: "line",
      source: COMPARE_SOURCE,
      filter: side("to"),
      paint: { "line-color": TO_COLOUR, "line-width": 1.5 },
    },
    {
      id: "planner-compare-from",
      type: "line",
      source: COMPARE_SOURCE,
      filter: side("from"),
      paint: { "line-color": FROM_COLOUR, "line-width": 2.5, "line-dasharray": [2, 1.5] },
    },
  ];
}

/**
 * What a comparison (`GET api/villages/{code}/versions/compare`) amounts to.
 * @returns {{moved: number, added: string[], removed: string[], changed: string[], features: number, same: boolean}}
 */
export function comparisonSummary(cmp) {
  const added = [...(cmp?.grids_added ?? [])];
  const removed = [...(cmp?.grids_removed ?? [])];
  const changed = (cmp?.grids_changed ?? []).map((g) => g.code);
  const moved = Number(cmp?.households_moved ?? 0);
  return {
    moved,
    added,
    removed,
    changed,
    features: cmp?.map?.features?.length ?? 0,
    same: !moved && !added.length && !removed.length && !changed.length,
  };
}

/** The bbox `[w, s, e, n]` of a FeatureCollection's polygons, or null when it has none. */
export function collectionBounds(fc) {
  let b = null;
  const walk = (c) => {
    if (typeof c[0] === "number") {
      b = b
        ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])]
        : [c[0], c[1], c[0], c[1]];
    } else for (const x of c) walk(x);
  };
  for (const f of fc?.features ?? []) if (f.geometry?.coordinates) walk(f.geometry.coordinates);
  return b;
}

const villagePath = (code) => `api/villages/${encodeURIComponent(code)}`;

/** Grid formats of `api/villages/{code}/export`. */
export const GRID_FORMATS = ["geojson", "fgb", "shp"];

/**
 * `api/villages/{code}/export?format=…&encoding=…[&version=…]`: the grids as a file.
 * @param {{format?: string, encoding?: string, version?: number|null}} [o]
 */
export function exportPath(code, o = {}) {
  const q = new URLSearchParams({ format: o.format ?? "geojson", encoding: o.encoding ?? "utf-8" });
  if (o.version != null) q.set("version", String(o.version));
  return `${villagePath(code)}/export?${q}`;
}

/** `api/villages/{code}/roster?format=csv|xlsx`. */
export function rosterPath(code, format = "csv") {
  return `${villagePath(code)}/roster?format=${encodeURIComponent(format)}`;
}

/** `api/villages/{code}/plan.csv` (building,grid,flats). */
export function planCsvPath(code) {
  return `${villagePath(code)}/plan.csv`;
}

/**
 * The name to save a download under: the Content-Disposition's `filename*` (RFC 5987) or
 * `filename`, without any directory part; `fallback` when it names none.
 */
export function fileNameOf(disposition, fallback) {
  const d = disposition ?? "";
  let name = null;
  const star = d.match(/filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i);
  if (star) {
    try {
      name = decodeURIComponent(star[2].trim());
    } catch {
      name = null;
    }
  }
  if (!name) {
    const plain = d.match(/filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i);
    if (plain) name = (plain[1] ?? plain[2]).replace(/\\(.)/g, "$1").trim();
  }
  name = name?.split(/[\\/]/).pop();
  return name || fallback;
}

/** The name a download falls back to when the server names none. */
export function defaultFileName(code, kind, format) {
  const ext = { geojson: "geojson", fgb: "fgb", shp: "shp.zip", csv: "csv", xlsx: "xlsx" }[format] ?? format;
  return `${code}-${kind}.${ext}`;
}
