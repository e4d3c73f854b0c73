// Colours the raised (3D) buildings by the share of their households in one situation
// (低保, 独居老人…): the shares come from /api/situations/buildings for the view, for staff
// inside their scope, never from the tiles (see service/src/situations.rs).

import * as api from "./api.js";

/** Share classes: lower bounds and colours; a building with none in the situation is grey. */
export const SHARE_CLASSES = [
  { min: 0, colour: "#d9d9d9" },
  { min: 0.0001, colour: "#fdae6b" },
  { min: 0.2, colour: "#f16913" },
  { min: 0.5, colour: "#a63603" },
];
/** Buildings without households the caller may see. */
export const NO_VISIBLE_HOUSEHOLDS = "#f2f0eb";

/**
 * The `fill-extrusion-color` of `rows` (`[{building, households, count}]`): each building
 * coloured by its class, every other building {@link NO_VISIBLE_HOUSEHOLDS}.
 */
export function shareColour(rows) {
  const classes = SHARE_CLASSES.map(() => []);
  for (const r of rows) {
    const share = r.households > 0 ? r.count / r.households : 0;
    let k = 0;
    for (let i = 0; i < SHARE_CLASSES.length; i++) if (share >= SHARE_CLASSES[i].min) k = i;
    classes[k].push(String(r.building));
  }
  const arms = classes.flatMap((ids, i) => (ids.length ? [ids, SHARE_CLASSES[i].colour] : []));
  if (!arms.length) return NO_VISIBLE_HOUSEHOLDS;
  return ["match", ["to-string", ["get", "id"]], ...arms, NO_VISIBLE_HOUSEHOLDS];
}

/**
 * The `fill-extrusion-height` that leaves standing only the buildings of `rows` (those with
 * a household in the situation when `onlyMatching`), every other building flat: the map's
 * filter by situation, grid and village.
 * @param {Array<{building: string, count: number}>} rows
 * @param {unknown} height the layer's own height expression
 * @param {boolean} onlyMatching
 */
export function standingHeight(rows, height, onlyMatching) {
  const ids = rows.filter((r) => !onlyMatching || r.count > 0).map((r) => String(r.building));
  if (!ids.length) return 0;
  return ["match", ["to-string", ["get", "id"]], ids, height, 0];
}

/**
 * Keeps the `buildings-3d` layer coloured by the chosen situation while it is shown, and
 * filtered: to the chosen grid's or village's buildings (`area`), and to the buildings
 * with a household in the situation (`onlyMatching`).
 * @param {import("maplibre-gl").Map} map
 * @param {{onError?: (message: string|null) => void}} [opts]
 * @returns {{choose: (group: string) => void, filter: (f: {area?: {grid?: string, village?: string}|null, onlyMatching?: boolean}) => void, refresh: () => void}}
 */
export function situationColouring(map, opts = {}) {
  // Read when first needed: the style's layers exist only once it has loaded.
  let original;
  let originalHeight;
  const restore = () => {
    if (original === undefined) return;
    map.setPaintProperty("buildings-3d", "fill-extrusion-color", original);
    map.setPaintProperty("buildings-3d", "fill-extrusion-height", originalHeight);
  };
  let group = "";
  let area = null;
  let onlyMatching = false;
  let seq = 0;
  const shown = () => map.getLayoutProperty("buildings-3d", "visibility") === "visible";

  async function refresh() {
    const mine = ++seq;
    if (!map.getLayer("buildings-3d")) return;
    original ??= map.getPaintProperty("buildings-3d", "fill-extrusion-color");
    originalHeight ??= map.getPaintProperty("buildings-3d", "fill-extrusion-height");
    if (!group || !shown()) {
      restore();
      return;
    }
    const b = map.getBounds();
    try {
      const rows = await api.buildingSituations(
        [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
        group,
        area ?? {},
      );
      if (mine !== seq) return;
      map.setPaintProperty("buildings-3d", "fill-extrusion-color", shareColour(rows));
      const filtered = Boolean(area) || onlyMatching;
      map.setPaintProperty(
        "buildings-3d",
        "fill-extrusion-height",
        filtered ? standingHeight(rows, originalHeight, onlyMatching) : originalHeight,
      );
      opts.onError?.(null);
    } catch (err) {
      if (mine !== seq) return;
      restore();
      opts.onError?.(err.message);
    }
  }

  map.on("moveend", () => {
    if (group) refresh();
  });
  return {
    choose(g) {
      group = g;
      refresh();
    },
    filter(f) {
      if (f.area !== undefined) area = f.area;
      if (f.onlyMatching !== undefined) onlyMatching = f.onlyMatching;
      refresh();
    },
    refresh,
  };
}
