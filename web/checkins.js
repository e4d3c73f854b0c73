// Patrol check-ins (巡查签到) of the grid open in the panel, for office roles: a list in the
// panel and the places on the map. The phone page records them (m.js).

import * as api from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { chinaTime } from "./incidents.js";

const SOURCE = "check-ins";
const LAYER = "check-in-points";
/** How far back the panel looks (days). */
export const CHECK_IN_DAYS = 30;
/** The most check-ins listed (all are drawn). */
const ROWS = 20;

/** Check-ins as GeoJSON points. */
export function checkInFeatures(list) {
  return {
    type: "FeatureCollection",
    features: list.map((c) => ({
      type: "Feature",
      geometry: { type: "Point", coordinates: [c.lon, c.lat] },
      properties: { id: c.id, at: c.at },
    })),
  };
}

/** @param {import("maplibre-gl").Map} map */
export function createCheckIns(map) {
  function draw(list) {
    const data = checkInFeatures(list);
    const source = map.getSource(SOURCE);
    if (source) {
      source.setData(data);
      return;
    }
    if (!list.length) return;
    map.addSource(SOURCE, { type: "geojson", data });
    map.addLayer({
      id: LAYER,
      type: "circle",
      source: SOURCE,
      paint: {
        "circle-radius": 5,
        "circle-color": "#1f6feb",
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1.5,
      },
    });
  }

  return {
    /** The panel section of grid `code`'s recent check-ins, drawn on the map as well. */
    async section(code, now = Date.now() / 1000) {
      const list = await api.gridCheckIns(code, Math.floor(now - CHECK_IN_DAYS * 86_400));
      draw(list);
      return h(
        "section",
        { class: "check-in-section" },
        h("h3", null, t("checkIns", { n: list.length, days: CHECK_IN_DAYS })),
        list.length
          ? h(
              "ol",
              { class: "check-in-list" },
              ...list
                .slice(0, ROWS)
                .map((c) =>
                  h(
                    "li",
                    null,
                    h("time", null, chinaTime(c.at)),
                    ` ${c.actor}`,
                    c.note ? h("span", { class: "muted" }, ` · ${c.note}`) : null,
                  ),
                ),
            )
          : h("p", { class: "muted" }, t("noCheckIns")),
      );
    },
    /** Takes the points off the map (the panel closed or shows something else). */
    clear() {
      draw([]);
    },
  };
}
