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
 * Keeps the `buildings-3d` layer coloured by the chosen situation while it is shown.
 * @param {import("maplibre-gl").Map} map
 * @param {{onError?: (message: string|null) => void}} [opts]
 * @returns {{choose: (group: string) => void, refresh: () => void}}
 */
export function situationColouring(map, opts = {}) {
  // Read when first needed: the style's layers exist only once it has loaded.
  let original;
  const restore = () => {
    if (original !== undefined) map.setPaintProperty("buildings-3d", "fill-extrusion-color", original);
  };
  let group = "";
  let seq = 0;
  const shown = () => map.getLayoutProperty("buildings-3d", "visibility") === "visible";

  async function refresh() {
    const mine = ++seq;
    if (!map.getLayer("buildings-3d")) return;
    original ??= map.getPaintProperty("buildings-3d", "fill-extrusion-color");
    if (!group || !shown()) {
      restore();
      return;
    }
    const b = map.getBounds();
    try {
      const rows = await api.buildingSituations([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], group);
      if (mine !== seq) return;
      map.setPaintProperty("buildings-3d", "fill-extrusion-color", shareColour(rows));
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
    refresh,
  };
}
