// Live incidents for the wall and the map: the event stream (`/api/stream`), the summary
// (`/api/incidents/summary`) refetched after events, and the heat/point tiles refreshed
// around each event only (never the whole source, except after a resync).

import * as api from "./api.js";
import { absolute } from "./config.js";
import { h } from "./dom.js";
import { lang, t } from "./i18n.js";
import { eventBbox, heatBreaks, heatColour, shortTime, tilesAround, withQuery } from "./incidents.js";
import { HEAT_SOURCE, INCIDENT_SOURCE } from "./layers.js";

const EVENTS = ["reported", "transition", "imported", "resync"];
const MAX_RETRY_MS = 30_000;
/** Events arriving within this time share one summary request. */
const SUMMARY_DEBOUNCE_MS = 150;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `fn` until it succeeds, waiting 1 s, 2 s, 4 s… (at most 30 s) between tries.
 * @template T
 * @param {() => Promise<T>} fn
 * @param {(err: Error) => void} [onRetry] told of each failure
 * @param {AbortSignal} [signal] stops the retries (the promise rejects)
 * @returns {Promise<T>}
 */
export async function retrying(fn, onRetry, signal) {
  let delay = 1000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (signal?.aborted) throw err;
      onRetry?.(err);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }
}

/**
 * Opens `/api/stream`. EventSource reconnects by itself after a dropped connection; when the
 * browser gives up (an error status while the server restarts) a new one is opened with backoff.
 * @param {{onEvent: (name: string, data: object) => void, onStatus?: (s: "live"|"reconnecting") => void, onReconnect?: () => void}} h
 * @returns {{close: () => void}}
 */
export function connectStream(h) {
  let es = null;
  let down = false;
  let delay = 1000;
  let timer = 0;
  let closed = false;
  function open() {
    es = new EventSource(absolute("api/stream"));
    es.addEventListener("open", () => {
      delay = 1000;
      h.onStatus?.("live");
      if (down) {
        down = false;
        h.onReconnect?.();
      }
    });
    es.addEventListener("error", () => {
      down = true;
      h.onStatus?.("reconnecting");
      if (es.readyState === EventSource.CLOSED && !closed) {
        es.close();
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    });
    for (const name of EVENTS) {
      es.addEventListener(name, (e) => {
        let data = {};
        try {
          data = JSON.parse(e.data) ?? {};
        } catch {
          // a malformed event still tells that something changed
        }
        h.onEvent(name, data);
      });
    }
  }
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      es?.close();
    },
  };
}

/**
 * The heat and point sources for {@link import("./layers.js").buildStyle}: the heat TileJSON's
 * URL and zooms, both with `window` and `category` appended.
 * @param {{window: string, category?: string|null}} q
 */
export async function incidentSources(q) {
  const heat = await api.tileJson("heat", { tiles: [absolute("tiles/heat/{z}/{x}/{y}.mvt")], minzoom: 6 });
  return {
    heat: { ...heat, tiles: heat.tiles.map((u) => withQuery(u, q)) },
    points: {
      tiles: [withQuery(absolute("tiles/incidents/{z}/{x}/{y}.mvt"), q)],
      minzoom: Math.max(12, heat.minzoom),
      maxzoom: Math.max(12, heat.maxzoom),
    },
  };
}

/**
 * Keeps a map's heat and points current: refreshes the tiles an event touches (with a fresh
 * URL, so no cache answers), re-scales the colour ramp to the largest count in view.
 * @param {import("maplibre-gl").Map} map
 * @param {{onBreaks?: (breaks: number[]) => void, headers?: (url: string) => object|undefined}} [opts]
 *   `headers`: extra request headers for a tile URL (a bearer token for the cameras)
 */
export function liveTiles(map, opts = {}) {
  let generation = 0;
  let breaks = [];
  map.setTransformRequest((url) => {
    const headers = opts.headers?.(url);
    const fresh =
      generation && /\/tiles\/(heat|incidents)\//.test(url)
        ? `${url}${url.includes("?") ? "&" : "?"}v=${generation}`
        : url;
    return headers ? { url: fresh, headers } : { url: fresh };
  });

  function sources() {
    return [HEAT_SOURCE, INCIDENT_SOURCE].filter((id) => map.getSource(id));
  }

  /** Reloads the tiles around a bbox [w, s, e, n] (a point: w = e), or all when bbox is null. */
  function refresh(bbox) {
    generation++;
    for (const id of sources()) {
      const src = map.getSource(id);
      if (bbox) map.refreshTiles(id, tilesAround(bbox, src.minzoom ?? 0, src.maxzoom ?? 16));
      else map.refreshTiles(id);
    }
  }

  function adaptRamp() {
    if (!map.getLayer("heat-fill") || map.getLayoutProperty("heat-fill", "visibility") === "none") return;
    let max = 0;
    for (const f of map.queryRenderedFeatures({ layers: ["heat-fill"] }))
      max = Math.max(max, Number(f.properties?.count) || 0);
    const next = heatBreaks(max);
    if (next.join() === breaks.join()) return;
    breaks = next;
    map.setPaintProperty("heat-fill", "fill-color", heatColour(breaks));
    opts.onBreaks?.(breaks);
  }
  map.on("idle", adaptRamp);

  return { refresh, adaptRamp, breaks: () => breaks, generation: () => generation };
}

/**
 * Summary + stream for one view: `query()` gives the summary parameters in force; the summary
 * is fetched now, after events (debounced) and after a reconnect or resync.
 * @param {{query: () => object, onSummary: (s: object) => void, onEvent?: (name: string, data: object) => void, onRefresh?: (bbox: number[]|null) => void, onStatus?: (s: string) => void}} h
 */
export function createLive(h) {
  let seq = 0;
  let timer = 0;
  let controller = null;
  let streaming = false;

  async function load() {
    const mine = ++seq;
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const s = await retrying(
      () => api.incidentSummary(h.query(), { signal }),
      () => h.onStatus?.("reconnecting"),
      signal,
    ).catch(() => null);
    if (s && mine === seq) {
      if (streaming) h.onStatus?.("live");
      h.onSummary(s);
    }
  }

  function reloadSoon() {
    clearTimeout(timer);
    timer = setTimeout(load, SUMMARY_DEBOUNCE_MS);
  }

  const stream = connectStream({
    onStatus: (status) => {
      streaming = status === "live";
      h.onStatus?.(status);
    },
    onReconnect: () => {
      h.onRefresh?.(null);
      load();
    },
    onEvent: (name, data) => {
      if (name === "resync") h.onRefresh?.(null);
      else h.onRefresh?.(eventBbox(data));
      h.onEvent?.(name, data);
      reloadSoon();
    },
  });
  load();
  return {
    reload: load,
    close() {
      stream.close();
      controller?.abort();
      clearTimeout(timer);
    },
  };
}

/**
 * Names for codes in events: area names learnt from summaries, type names from the Open311
 * services (Chinese), group names from the summary's categories (both languages).
 */
export function createNames() {
  const areas = new Map();
  const groups = new Map();
  const types = new Map();
  api
    .services()
    .then((list) => {
      for (const s of list ?? []) types.set(s.service_code, s.service_name);
    })
    .catch(() => {
      // without the services the group names from the summary serve
    });
  return {
    /** Takes the area and category names of a summary. */
    learn(summary) {
      for (const a of [summary?.area, ...(summary?.areas ?? [])]) if (a?.code) areas.set(String(a.code), a.name);
      for (const c of summary?.categories ?? []) groups.set(c.code, lang === "en" ? (c.name_en ?? c.name) : c.name);
    },
    area(code) {
      return code ? areas.get(String(code)) : undefined;
    },
    /** The incident's type (or group) name in the page's language. */
    category(i) {
      const type = lang === "en" ? undefined : (types.get(i.subcategory) ?? types.get(i.category));
      return type ?? groups.get(i.category) ?? i.category_name ?? i.subcategory ?? i.category ?? "";
    },
    /** Village, else township name, else the grid code. */
    place(i) {
      return this.area(i.village) ?? this.area(i.township) ?? i.grid ?? "";
    },
  };
}

/**
 * One incident as a list row: time, type and place, status (red when overdue).
 * @param {object} i an incident (stream, summary `recent` or detail)
 * @param {ReturnType<typeof createNames>} names
 * @param {Record<string, any>} [attrs] more attributes of the <li>
 */
export function incidentRow(i, names, attrs = {}) {
  const overdue = i.overdue === true || i.deadline?.level === "overdue";
  return h(
    "li",
    { ...attrs, dataset: { id: i.id, status: i.status } },
    h("time", null, shortTime(i.time)),
    h("span", { class: "what" }, names.category(i), h("span", { class: "where" }, names.place(i))),
    h("span", { class: `pill${overdue ? " overdue" : ""}` }, t(`status_${i.status}`)),
  );
}
