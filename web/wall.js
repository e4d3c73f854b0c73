// The command-centre wall (/wall): county heat map, counters, ranking, 30-day trend,
// categories and a live ticker; cycles through the townships when idle. No mouse or
// keyboard: everything comes from URL parameters —
//   window=30d (24h, 7d, 90d…)   township=CODE (start area)   cycle=60 (seconds per area, 0 = off)
//   lang=zh|en                   category=CODE,CODE (incident groups or types on the map)
//   cameras=0 (a signed-in wall draws the cameras, working ones blue and broken ones red, unless 0)

import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import * as api from "./api.js";
import { absolute, readConfig, takeTokenFromHash } from "./config.js";
import { heatScale } from "./controls.js";
import { h } from "./dom.js";
import { t, translateDocument } from "./i18n.js";
import { chinaClock, percent, score, trendGeometry, windowOr } from "./incidents.js";
import { buildStyle, LOCAL_IDEOGRAPH_FONTS } from "./layers.js";
import { createLive, createNames, incidentRow, incidentSources, liveTiles } from "./live.js";

const params = new URLSearchParams(window.location.search);
const win = windowOr(params.get("window"));
const category = params.get("category") || null;
const cycleSeconds = params.has("cycle") ? Math.max(0, Number(params.get("cycle")) || 0) : 60;
/** After a new incident the wall stays on its area at least this long before cycling on. */
const EVENT_DWELL_MS = 15_000;
const TICKER_ROWS = 20;
const AREA_LAYERS = [
  "background",
  "villages-fill",
  "heat-fill",
  "heat-line",
  "villages-line",
  "townships-line",
  "incident-points",
  "villages-label",
  "townships-label",
];
/** Dark paint for the admin layers (the page's style is light). */
const DARK = {
  background: { "background-color": "#0a1624" },
  "villages-fill": { "fill-color": "#10233a", "fill-opacity": 0.9 },
  "villages-line": { "line-color": "#3d5a78" },
  "townships-line": { "line-color": "#9cc3ea" },
  "heat-line": { "line-color": "rgba(255,255,255,0.18)" },
  "villages-label": { "text-color": "#c9d8e8", "text-halo-color": "#0a1624" },
  "townships-label": { "text-color": "#ffffff", "text-halo-color": "#0a1624" },
  "incident-points": { "circle-stroke-color": "#0a1624" },
};

translateDocument();
document.title = `${t("wallTitle")} · gridmap`;
document.getElementById("wall-window").textContent =
  win.unit === "d" ? t("windowDays", { n: win.n }) : t("windowHours", { n: win.n });
document
  .getElementById("wall-trend-title")
  .append(
    t("trendTitle", { n: 30 }),
    h(
      "span",
      { class: "trend-key" },
      h("span", null, h("span", { class: "swatch", style: "background:#29b6f6" }), t("received")),
      h("span", null, h("span", { class: "swatch", style: "background:#66bb6a;height:0.4vh" }), t("closed")),
    ),
  );

// A wall signed in with a bearer token (`#token=`) also shows the cameras and their coverage.
const token = takeTokenFromHash();
const showCameras = Boolean(token) && params.get("cameras") !== "0";
/** Camera colours on the dark wall: a broken camera must stand out, not fade to grey as on the office map. */
const WALL_CAMERA_UP = "#4fc3f7";
const WALL_CAMERA_DOWN = "#ff5252";
const names = createNames();
const state = {
  /** township code shown, null = the county */
  area: params.get("township") ? String(params.get("township")) : null,
  /** the county's townships, for cycling */
  townships: [],
  summary: null,
  countyBounds: null,
  lastEvent: 0,
  fly: true,
  events: 0,
};

// --- clock and connection state -------------------------------------------------------

function tick() {
  document.getElementById("wall-clock").textContent = chinaClock(Date.now() / 1000);
}
tick();
setInterval(tick, 5000);

function setStatus(status) {
  const el = document.getElementById("wall-status");
  el.dataset.status = status;
  el.querySelector("b").textContent = t(status);
}

// --- panels -----------------------------------------------------------------------------

function setCounter(key, text) {
  const el = document.querySelector(`[data-counter="${key}"]`);
  const value = el.querySelector(".value");
  if (value.textContent === text) return;
  const first = value.textContent === "–";
  value.textContent = text;
  if (!first) {
    el.classList.remove("changed");
    void el.offsetWidth; // restart the animation
    el.classList.add("changed");
  }
}

/** The area whose camera coverage the counter shows (`undefined`: none loaded yet). */
let coverageArea;

/** Shows the share of the area's grids some working camera sees (signed-in walls only). */
async function renderCoverage() {
  if (!token || coverageArea === state.area) return;
  coverageArea = state.area;
  const area = state.area;
  try {
    const report = await api.cameraCoverage(area ? { township: area } : {});
    if (area !== state.area) return;
    const grids = report.grids.length;
    document.querySelector('[data-counter="camera_coverage"]').hidden = false;
    setCounter("camera_coverage", grids ? percent((grids - report.uncovered) / grids) : "–");
  } catch {
    coverageArea = undefined; // tried again with the next summary
  }
}

function renderCounters(s) {
  setCounter("today", String(s.today ?? 0));
  setCounter("open", String(s.open ?? 0));
  setCounter("overdue", String(s.overdue ?? 0));
  setCounter("closure_rate", percent(s.closure_rate));
  setCounter("satisfaction", score(s.satisfaction));
}

/**
 * A list of bars: name, a bar scaled to the largest value, the value and a second number.
 * @param {string} id the <ol>/<ul>
 * @param {{code: string, name: string, value: number, extra: number, extraClass: string}[]} rows
 */
function renderBars(id, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const list = document.getElementById(id);
  list.replaceChildren(
    ...(rows.length
      ? rows.map((r) =>
          h(
            "li",
            { dataset: { code: r.code } },
            h("span", { class: "name" }, r.name),
            h("span", { class: "track" }, h("span", { style: `width:${(r.value / max) * 100}%` })),
            h("span", { class: "num" }, r.value),
            h("span", { class: `num ${r.extraClass}` }, r.extra),
          ),
        )
      : [h("li", { class: "empty" }, t("noIncidents"))]),
  );
  fitRows(list);
}

/** Drops the rows that would be cut off at the bottom of their card (no half rows on the wall). */
function fitRows(list) {
  const bottom = list.getBoundingClientRect().bottom;
  while (list.children.length > 1 && list.lastElementChild.getBoundingClientRect().bottom > bottom + 1)
    list.lastElementChild.remove();
}

function renderRanking(s) {
  document.getElementById("wall-ranking-title").textContent = t(state.area ? "rankingVillages" : "rankingTownships");
  renderBars(
    "wall-ranking",
    (s.areas ?? []).map((a) => ({
      code: a.code,
      name: a.name,
      value: a.open ?? 0,
      extra: a.overdue ?? 0,
      extraClass: a.overdue ? "alert" : "muted",
    })),
  );
}

function renderCategories(s) {
  renderBars(
    "wall-categories",
    (s.categories ?? [])
      .filter((c) => c.received || c.open)
      .map((c) => ({
        code: c.code,
        name: names.category({ category: c.code, category_name: c.name }),
        value: c.received ?? 0,
        extra: c.open ?? 0,
        extraClass: "muted",
      })),
  );
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

function renderTrend(s) {
  const box = document.getElementById("wall-trend");
  const width = Math.max(100, box.clientWidth);
  const height = Math.max(60, box.clientHeight);
  const font = Math.max(10, Math.round(window.innerHeight * 0.017));
  const pad = { left: font * 3, right: font * 0.5, top: font * 0.8, bottom: font * 1.6 };
  const trend = s.trend ?? [];
  const g = trendGeometry(trend, width, height, pad);
  const base = g.y(0);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "font-size": font },
    ...g.ticks.map((v) =>
      svg(
        "g",
        null,
        svg("line", { class: "axis", x1: pad.left, x2: width - pad.right, y1: g.y(v), y2: g.y(v) }),
        svg("text", { x: pad.left - font * 0.4, y: g.y(v) + font * 0.35, "text-anchor": "end" }, String(v)),
      ),
    ),
    ...g.bars.map((b) =>
      svg(
        "rect",
        { class: "bar", x: b.x, y: b.y, width: b.w, height: b.h },
        svg("title", null, `${b.day}: ${b.received}`),
      ),
    ),
    svg("path", { class: "closed-line", d: g.line }),
    ...[0, Math.floor((trend.length - 1) / 2), trend.length - 1]
      .filter((i, k, all) => i >= 0 && all.indexOf(i) === k)
      .map((i, k, shown) =>
        svg(
          "text",
          {
            x: g.points[i][0],
            y: base + font * 1.3,
            "text-anchor": k === 0 ? "start" : k === shown.length - 1 && k > 0 ? "end" : "middle",
          },
          String(trend[i].day ?? "").slice(5),
        ),
      ),
  );
  box.replaceChildren(chart);
}

/** When each incident arrived live (ms), so its highlight carries on across re-renders. */
const arrived = new Map();
const HIGHLIGHT_MS = 3000;

function tickerRow(i) {
  const age = Date.now() - (arrived.get(String(i.id)) ?? 0);
  const fresh = age < HIGHLIGHT_MS;
  return incidentRow(i, names, { class: fresh ? "new" : null, style: fresh ? `animation-delay:-${age}ms` : null });
}

function renderTicker(recent) {
  const list = document.getElementById("wall-ticker");
  list.replaceChildren(
    ...(recent.length ? recent.map((i) => tickerRow(i)) : [h("li", { class: "empty" }, t("noIncidents"))]),
  );
  fitRows(list);
}

/** A new incident of the area shown goes on top at once (the summary that follows re-renders the rest). */
function addTickerRow(i) {
  arrived.set(String(i.id), Date.now());
  if (state.area && i.township && String(i.township) !== String(state.area)) return;
  const list = document.getElementById("wall-ticker");
  list.querySelector(".empty")?.remove();
  list.querySelector(`li[data-id="${CSS.escape(String(i.id))}"]`)?.remove();
  list.prepend(tickerRow(i));
  fitRows(list);
}

function updateTickerStatus(i) {
  const row = document.querySelector(`#wall-ticker li[data-id="${CSS.escape(String(i.id))}"]`);
  if (!row) return;
  arrived.set(String(i.id), Date.now());
  row.replaceWith(tickerRow(i));
}

function render(s) {
  state.summary = s;
  names.learn(s);
  if (!state.area) {
    // by code, not by the ranking, so that the order holds while the figures change
    state.townships = (s.areas ?? [])
      .filter((a) => a.level === "township")
      .map((a) => String(a.code))
      .sort();
    if (s.bounds) state.countyBounds = s.bounds;
  }
  document.getElementById("wall-area").textContent = s.area?.name ?? t("county");
  renderCounters(s);
  renderCoverage();
  renderRanking(s);
  renderCategories(s);
  renderTrend(s);
  renderTicker((s.recent ?? []).slice(0, TICKER_ROWS));
  document.getElementById("wall-asof").textContent = t("asOf", { time: chinaClock(s.as_of ?? Date.now() / 1000) });
  if (state.fly) {
    state.fly = false;
    flyTo(s.bounds ?? state.countyBounds);
  }
}

// --- map ----------------------------------------------------------------------------------

let map = null;
let tiles = null;

function flyTo(bounds) {
  if (!map || !bounds) return;
  const pad = Math.round(map.getContainer().clientHeight * 0.04); // the map's own (1080p) layout size
  map.fitBounds(
    [
      [bounds[0], bounds[1]],
      [bounds[2], bounds[3]],
    ],
    { padding: pad, duration: reducedMotion() ? 0 : 2500, maxZoom: 15 },
  );
}

function pulse(i) {
  if (!map || !Number.isFinite(i.lon) || !Number.isFinite(i.lat)) return;
  const marker = new maplibregl.Marker({ element: h("div", { class: "pulse" }) }).setLngLat([i.lon, i.lat]).addTo(map);
  setTimeout(() => marker.remove(), 10_000);
}

async function createMap() {
  const layers = "townships,villages";
  const [admin, incidents] = await Promise.all([
    api.tileJson(layers, { tiles: [absolute(`tiles/${layers}/{z}/{x}/{y}.mvt`)] }),
    incidentSources({ window: win.text, category }),
  ]);
  const style = buildStyle({
    tiles: admin.tiles,
    minzoom: admin.minzoom,
    maxzoom: admin.maxzoom,
    bounds: admin.bounds,
    glyphs: absolute("fonts/{fontstack}/{range}.pbf"),
    labels: absolute("api/labels"),
    incidents,
  });
  style.layers = style.layers
    .filter((l) => AREA_LAYERS.includes(l.id))
    .map((l) => ({ ...l, paint: { ...l.paint, ...(DARK[l.id] ?? {}) } }));
  state.countyBounds ??= admin.bounds ?? null;
  // The same picture at 4K as at 1080p (same zooms, labels twice the pixels): the map is laid
  // out at 1080p size, scaled up by CSS and drawn at k times the pixel ratio, so it stays sharp.
  const k = Math.min(4, Math.max(1, window.innerHeight / 1080));
  const container = document.getElementById("map");
  if (k > 1) {
    container.style.width = `${100 / k}%`;
    container.style.height = `${100 / k}%`;
    container.style.transform = `scale(${k})`;
    container.style.transformOrigin = "0 0";
  }
  map = new maplibregl.Map({
    container,
    pixelRatio: (window.devicePixelRatio || 1) * k,
    style,
    interactive: false,
    attributionControl: false,
    localIdeographFontFamily: LOCAL_IDEOGRAPH_FONTS,
    bounds: state.countyBounds ?? undefined,
    fitBoundsOptions: { padding: 20 },
    center: admin.center ? [admin.center[0], admin.center[1]] : [0, 0],
    zoom: admin.center?.[2] ?? 9,
  });
  map.addControl(
    new maplibregl.AttributionControl({
      compact: false,
      customAttribution: readConfig().attribution,
    }),
  );
  // a tile that fails while the server restarts is loaded again on the next refresh
  map.on("error", (e) => console.warn("map:", e.error?.message ?? e));
  const ready = new Promise((resolve) => map.once("load", resolve));
  window.gridmap.map = map;
  window.gridmap.ready = ready;
  tiles = liveTiles(map, {
    onBreaks: (breaks) => {
      document.getElementById("wall-legend").replaceChildren(h("span", null, t("legendHeat")), ...heatScale(breaks));
    },
  });
  await ready;
  if (state.summary) flyTo(state.summary.bounds ?? state.countyBounds);
  // the wall goes on without its cameras when they cannot be read (a token withdrawn)
  if (showCameras) addCameras().catch((err) => console.warn("cameras:", err?.message ?? err));
}

/** How often a wall reads the cameras again (a camera reported down by the next import). */
const CAMERA_REFRESH_MS = 5 * 60_000;

/**
 * The cameras under the incidents: view sectors once the township is near enough to show
 * them, rings at every zoom (broken ones drawn last, in red) and a legend counting both;
 * read again every few minutes.
 */
async function addCameras() {
  const up = ["==", ["get", "status"], "online"];
  const under = map.getLayer("incident-points") ? "incident-points" : undefined;
  map.addSource("wall-cameras", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer(
    {
      id: "wall-camera-sectors",
      type: "fill",
      source: "wall-cameras",
      minzoom: 13,
      filter: ["==", ["get", "kind"], "sector"],
      paint: { "fill-color": ["case", up, WALL_CAMERA_UP, WALL_CAMERA_DOWN], "fill-opacity": 0.25 },
    },
    under,
  );
  map.addLayer(
    {
      id: "wall-camera-points",
      type: "circle",
      source: "wall-cameras",
      filter: ["==", ["get", "kind"], "camera"],
      layout: { "circle-sort-key": ["case", up, 0, 1] },
      // Rings, so that cameras read apart from the incidents' filled dots.
      paint: {
        "circle-opacity": 0,
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, ["case", up, 2, 3], 15, ["case", up, 5, 7]],
        "circle-stroke-color": ["case", up, WALL_CAMERA_UP, WALL_CAMERA_DOWN],
        "circle-stroke-width": ["case", up, 1.2, 2],
      },
    },
    under,
  );
  await loadCameras();
  setInterval(() => loadCameras().catch((err) => console.warn("cameras:", err?.message ?? err)), CAMERA_REFRESH_MS);
}

/** Reads the cameras and shows them with their count. */
async function loadCameras() {
  const data = await api.cameras();
  map.getSource("wall-cameras").setData(data);
  const points = data.features.filter((f) => f.properties.kind === "camera");
  const working = points.filter((f) => f.properties.status === "online").length;
  const legend = document.getElementById("wall-camera-legend");
  const dot = (colour) => h("span", { class: "ring", style: `border-color:${colour}` });
  legend.replaceChildren(
    h("span", { dataset: { count: "up" } }, dot(WALL_CAMERA_UP), t("wallCamerasUp", { n: working })),
    h(
      "span",
      { dataset: { count: "down" } },
      dot(WALL_CAMERA_DOWN),
      t("wallCamerasDown", { n: points.length - working }),
    ),
  );
  legend.hidden = false;
}

// --- live data and cycling -----------------------------------------------------------------

window.gridmap = { map: null, ready: null, maplibregl, wall: state };

const live = createLive({
  query: () => ({ window: win.text, township: state.area }),
  onSummary: render,
  onStatus: setStatus,
  onRefresh: (bbox) => tiles?.refresh(bbox),
  onEvent: (name, data) => {
    state.events++;
    const i = data.incident;
    if (name === "reported" && i) {
      state.lastEvent = Date.now();
      addTickerRow(i);
      pulse(i);
    } else if (name === "transition" && i) {
      updateTickerStatus(i);
    }
  },
});

function showArea(code) {
  state.area = code;
  state.fly = true;
  live.reload();
}

function nextArea() {
  const order = [null, ...state.townships];
  const at = order.indexOf(state.area);
  return order[(at + 1) % order.length];
}

function scheduleCycle() {
  if (!cycleSeconds) return;
  setTimeout(() => {
    const quietFor = Date.now() - state.lastEvent;
    const next = nextArea(); // from a start township before the county's list is known: the county
    if (quietFor >= EVENT_DWELL_MS && next !== state.area) showArea(next);
    scheduleCycle();
  }, cycleSeconds * 1000);
}
scheduleCycle();

window.addEventListener("resize", () => {
  if (state.summary) renderTrend(state.summary);
});

createMap().catch((err) => {
  // the panels still work without the map
  document.getElementById("wall-legend").textContent = String(err?.message ?? err);
  setTimeout(() => window.location.reload(), 30_000);
});

function reducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}
