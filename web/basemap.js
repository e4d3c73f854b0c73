// Optional base map configured by a deployment: a MapLibre style URL or a raster tile
// template ({z}/{x}/{y}). Its sources and layers are drawn under ours, ids prefixed.

import { absolute } from "./config.js";

const PREFIX = "basemap-";

/**
 * @param {string} url style JSON URL or raster tile template
 * @returns {Promise<{sources: object, layers: object[]}|null>} null when it cannot be loaded
 */
export async function loadBasemap(url) {
  if (url.includes("{z}")) {
    return {
      sources: { [`${PREFIX}raster`]: { type: "raster", tiles: [url], tileSize: 256 } },
      layers: [{ id: `${PREFIX}raster`, type: "raster", source: `${PREFIX}raster` }],
    };
  }
  try {
    const res = await fetch(url);
    if (!res.ok) return null;
    const style = await res.json();
    const sources = {};
    for (const [id, src] of Object.entries(style.sources ?? {})) {
      const copy = { ...src };
      if (typeof copy.url === "string") copy.url = absolute(copy.url, url);
      if (Array.isArray(copy.tiles)) copy.tiles = copy.tiles.map((u) => absolute(u, url));
      sources[PREFIX + id] = copy;
    }
    // Symbol layers would need the base map's own glyphs and sprites: leave them out.
    const layers = (style.layers ?? [])
      .filter((l) => l.type !== "symbol")
      .map((l) => ({ ...l, id: PREFIX + l.id, ...(l.source ? { source: PREFIX + l.source } : {}) }));
    return { sources, layers };
  } catch {
    return null;
  }
}
