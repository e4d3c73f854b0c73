// Entry point: builds the map from our TileJSON, wires clicks, search, panel and controls.

import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import * as api from "./api.js";
import { loadBasemap } from "./basemap.js";
import { createCheckIns } from "./checkins.js";
import { absolute, hashHasView, readConfig, takeTokenFromHash } from "./config.js";
import { LayersControl } from "./controls.js";
import { h } from "./dom.js";
import { TAG_GROUPS } from "./floors.js";
import { t, translateDocument } from "./i18n.js";
import { createIncidentBox } from "./incidentbox.js";
import { windowOr } from "./incidents.js";
import {
  BUILDING_LAYERS,
  BUILDINGS_3D_LAYERS,
  buildStyle,
  CAMERA_LAYERS,
  HATCH_IMAGE,
  HEAT_LAYERS,
  hatchImage,
  INCIDENT_LAYERS,
  IS_COMPREHENSIVE,
  LOCAL_IDEOGRAPH_FONTS,
  SOURCE,
  setSelection,
  uncoveredFilter,
} from "./layers.js";
import { incidentSources, liveTiles } from "./live.js";
import { setUpLogin } from "./login.js";
import { coverageSection, createPanel, printSection, situationSection } from "./panel.js";
import { createPlanner } from "./planner.js";
import { createSearch } from "./search.js";
import { situationColouring } from "./situations.js";

const COMPACT_QUERY = window.matchMedia("(max-width: 700px)");
/** Below this width (px) the planner's panel and the legend together hide too much of the map. */
const WIDE_ENOUGH_FOR_LEGEND = 1600;

// The token must be taken out of the fragment before MapLibre starts writing the view there.
const token = takeTokenFromHash();
translateDocument();
const login = setUpLogin({ token });

const config = readConfig();
const params = new URLSearchParams(window.location.search);
/** Incident heat and points: `?window=7d&category=CODE,CODE`; `?heat=1` starts with them on. */
const incidentQuery = { window: windowOr(params.get("window")).text, category: params.get("category") || null };
const heatOn = params.get("heat") === "1";

/** Reads the TileJSON of the composite layer set; falls back to the plain tile URL. */
function tileSource() {
  return api.tileJson(config.layers, { tiles: [absolute(`tiles/${config.layers}/{z}/{x}/{y}.mvt`)] });
}

function fitPadding() {
  const w = window.innerWidth;
  const hgt = window.innerHeight;
  const panelOpen = !document.getElementById("panel").hidden || !document.getElementById("planner").hidden;
  if (COMPACT_QUERY.matches) {
    const bottom = panelOpen ? Math.round(hgt * 0.5) : 40;
    return { top: 80, right: 20, bottom: Math.min(bottom, hgt - 160), left: 20 };
  }
  const left = panelOpen ? Math.min(400, Math.round(w * 0.4)) : 40;
  return { top: 70, right: 70, bottom: 40, left };
}

function bboxBounds(b) {
  return [
    [b[0], b[1]],
    [b[2], b[3]],
  ];
}

async function main() {
  const [source, incidents, basemap, who] = await Promise.all([
    tileSource(),
    incidentSources(incidentQuery),
    config.basemap ? loadBasemap(config.basemap) : null,
    login,
  ]);
  // Cameras are for signed-in callers: their tiles answer 401 to the public.
  const signedIn = Boolean(token) || who.signed_in;
  const cameraTiles = absolute("tiles/cameras/{z}/{x}/{y}.mvt");
  const style = buildStyle({
    tiles: source.tiles,
    minzoom: source.minzoom,
    maxzoom: source.maxzoom,
    bounds: source.bounds,
    glyphs: absolute("fonts/{fontstack}/{range}.pbf"),
    labels: absolute("api/labels"),
    householdsUnit: t("householdsUnit"),
    institutionLabel: t("institution"),
    basemap: basemap ?? undefined,
    incidents: { ...incidents, visible: heatOn },
    cameras: signedIn ? { tiles: [cameraTiles], minzoom: 13, maxzoom: 18 } : undefined,
  });

  const map = new maplibregl.Map({
    container: "map",
    style,
    hash: true,
    attributionControl: false,
    localIdeographFontFamily: LOCAL_IDEOGRAPH_FONTS,
    maxZoom: 20,
    bounds: hashHasView() ? undefined : source.bounds,
    fitBoundsOptions: { padding: 30 },
    center: source.center ? [source.center[0], source.center[1]] : [0, 0],
    zoom: source.center?.[2] ?? (source.center ? 12 : 1),
  });
  const ready = new Promise((resolve) => map.once("load", resolve));
  window.gridmap = { map, ready, maplibregl };

  // The hatch for estimated buildings is generated here, not loaded from a sprite.
  map.setMissingStyleImageResolver((id) => {
    if (id === HATCH_IMAGE && !map.hasImage(HATCH_IMAGE)) map.addImage(HATCH_IMAGE, hatchImage());
  });

  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-right");
  // Signed in with a bearer token (not a session cookie), camera tiles must carry it too.
  const cameraPrefix = cameraTiles.split("{z}")[0];
  const tiles = liveTiles(map, {
    onBreaks: (breaks) => layersControl.setHeatBreaks(breaks),
    headers: (url) => (token && url.startsWith(cameraPrefix) ? { Authorization: `Bearer ${token}` } : undefined),
  });
  const incidentBox = createIncidentBox(document.getElementById("incidents"), map, {
    window: incidentQuery.window,
    onPick: (i) => {
      map.easeTo({ center: [i.lon, i.lat], zoom: Math.max(map.getZoom(), 15), duration: reducedMotion() ? 0 : 600 });
      openIncident(i.id);
    },
    onRefresh: (bbox) => tiles.refresh(bbox),
  });
  const layersControl = new LayersControl({
    basemapLayers: basemap?.layers.map((l) => l.id),
    groups: {
      buildings3d: BUILDINGS_3D_LAYERS,
      heat: HEAT_LAYERS,
      ...(signedIn ? { cameras: CAMERA_LAYERS } : {}),
    },
    off: ["buildings3d", "cameras", ...(heatOn ? [] : ["heat"])],
    onToggle: (group, visible) => {
      if (group === "buildings3d") {
        // Raised buildings need the view tilted (and a zoom where buildings are drawn).
        const zoom = Math.max(map.getZoom(), visible ? 16 : 0);
        map.easeTo({ pitch: visible ? 55 : 0, zoom, duration: reducedMotion() ? 0 : 600 });
        return;
      }
      if (group === "cameras") {
        if (visible) showCoverage();
        return;
      }
      if (group !== "heat") return;
      if (visible) incidentBox.start();
      else incidentBox.stop();
      layersControl.setHeatBreaks(visible ? tiles.breaks() : null);
      if (visible) tiles.adaptRamp();
    },
  });
  map.addControl(layersControl, "top-right");
  // Staff colour the raised buildings by a situation (shares from the API, inside scope).
  const colouring = who.personal_data
    ? situationColouring(map, { onError: (m) => layersControl.situationProblem(m) })
    : null;
  if (colouring)
    layersControl.addSituationPicker(
      TAG_GROUPS,
      (g) => colouring.choose(g),
      (f) => colouring.filter(f),
    );
  /** Saves a file from the server (a CSV of situations, a printout), or says why not. */
  async function saveDownload(path, fallback) {
    try {
      await api.downloadFile(path, fallback);
    } catch (err) {
      panel.append(h("p", { class: "note download-failed" }, `${t("downloadFailed")}: ${err.message}`));
    }
  }

  /**
   * Adds the grid's households by situation (staff inside their scope) and its camera
   * coverage (signed in) to the panel.
   */
  function appendSituations(code, current) {
    if (!code) return;
    if (who.personal_data)
      api
        .gridSituations(code)
        .then(async (rows) => {
          if (current() && rows[0]) panel.append(situationSection(rows[0]));
          // Then the village's (its grids inside the caller's scope), with its CSV.
          const [village] = await api.villageSituations(code.slice(0, 12));
          if (current() && village) panel.append(situationSection(village, saveDownload));
          if (current()) panel.append(printSection(code, saveDownload));
          const patrols = await checkIns.section(code);
          if (current()) panel.append(patrols);
        })
        .catch(() => {
          // Outside the caller's scope: the panel shows the public view only.
        });
    if (signedIn)
      api
        .cameraCoverage({ grid: code })
        .then((report) => {
          if (current() && report.grids[0]) panel.append(coverageSection(report.grids[0]));
        })
        .catch(() => {
          // Outside the caller's scope.
        });
  }
  // The grids no working camera sees, outlined once the cameras are switched on.
  let coverage = null;
  function showCoverage() {
    if (coverage) return coverage;
    coverage = api
      .cameraCoverage()
      .then((report) => {
        const uncovered = report.grids.filter((g) => g.buildings_seen === 0 && g.seen_m2 === 0).map((g) => g.grid);
        map.setFilter("grids-uncovered", uncoveredFilter(uncovered));
        layersControl.showCoverage(report.uncovered, report.grids.length);
      })
      .catch((err) => {
        coverage = null;
        layersControl.showCoverage(null, 0, err.message);
      });
    return coverage;
  }
  // The comprehensive grids' legend row only where the county has two levels.
  const seeComprehensive = () => {
    const found = map.querySourceFeatures(SOURCE, { sourceLayer: "grids", filter: IS_COMPREHENSIVE });
    if (found.length === 0) return;
    layersControl.showComprehensive();
    map.off("idle", seeComprehensive);
  };
  map.on("idle", seeComprehensive);
  if (heatOn) incidentBox.start();
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.addControl(
    new maplibregl.AttributionControl({
      compact: COMPACT_QUERY.matches,
      customAttribution: config.attribution,
    }),
    "bottom-right",
  );

  const fitBounds = (bbox, maxZoom = 18) =>
    map.fitBounds(bboxBounds(bbox), { padding: fitPadding(), maxZoom, duration: reducedMotion() ? 0 : 800 });

  const checkIns = createCheckIns(map);
  const panel = createPanel(document.getElementById("panel"), {
    fitBounds: (bbox) => fitBounds(bbox, 18),
    showGrid: (code) => openGrid(code, true),
    showStaff: (id) => openStaff(id),
    onClose: () => {
      setSelection(map, {});
      checkIns.clear();
    },
    // Staff correct a household's tags in the panel; the building colours follow.
    saveTags: who.personal_data ? api.saveHouseholdTags : undefined,
    // The photo on a staff member's notice board: office roles see it, planners put one.
    readStaffPhoto: who.personal_data ? api.photo : undefined,
    setStaffPhoto: who.edits ? api.setStaffPhoto : undefined,
    onTagsSaved: () => colouring?.refresh(),
  });

  // Planner mode (shown with the staff token): its own clicks, panel and highlights.
  let layersFolded = false;
  const planner = createPlanner(map, {
    root: document.getElementById("planner"),
    toggle: document.querySelector(".planner-toggle"),
    fitBounds: (bbox) => fitBounds(bbox, 18),
    onEnter: () => {
      panel.close();
      setSelection(map, {});
      // Beside the planner's panel a narrow screen has no room for the legend: fold it
      // (the ☰ button brings it back) and unfold it when the planner closes.
      layersFolded = window.innerWidth < WIDE_ENOUGH_FOR_LEGEND && layersControl.isOpen();
      if (layersFolded) layersControl.setOpen(false);
    },
    onLeave: () => {
      if (layersFolded && !layersControl.isOpen()) layersControl.setOpen(true);
      layersFolded = false;
    },
  });
  window.gridmap.planner = planner;

  let seq = 0;
  const guard = () => {
    const mine = ++seq;
    return () => mine === seq;
  };

  async function openGrid(code, fly) {
    const current = guard();
    panel.loading();
    try {
      const g = await api.grid(code);
      if (!current()) return;
      panel.showGrid(g);
      appendSituations(g.code, current);
      layersControl.setSituationPlace({ grid: g.code, village: g.village_unit });
      setSelection(map, { grid: g.code });
      if (fly && g.bbox) fitBounds(g.bbox, 18);
    } catch (err) {
      if (current()) panel.message(`${t("lookupFailed")}: ${err.message}`);
    }
  }

  async function openBuilding(id) {
    const current = guard();
    panel.loading();
    try {
      const b = await api.building(id);
      const gridCode = b.grids?.[0];
      const g = gridCode ? await api.grid(gridCode).catch(() => null) : null;
      if (!current()) return;
      panel.showBuilding(b, g);
      setSelection(map, { grid: b.grids?.length ? b.grids : g?.code, building: b.id });
    } catch (err) {
      if (current()) panel.message(`${t("lookupFailed")}: ${err.message}`);
    }
  }

  /** Loads one record into the panel (a later click wins over an earlier one still loading). */
  async function openRecord(load, show) {
    const current = guard();
    panel.loading();
    try {
      const x = await load();
      if (current()) show(x);
    } catch (err) {
      if (current()) panel.message(`${t("lookupFailed")}: ${err.message}`);
    }
  }

  function openIncident(id) {
    return openRecord(
      () => api.incident(id),
      (d) => panel.showIncident(d),
    );
  }

  function openStaff(id) {
    return openRecord(
      () => api.staff(id),
      (s) => panel.showStaff(s),
    );
  }

  map.on("click", async (e) => {
    if (planner.active()) return;
    const point = map.queryRenderedFeatures(e.point, { layers: INCIDENT_LAYERS.filter((id) => map.getLayer(id)) })[0];
    if (point?.properties?.id != null) {
      openIncident(String(point.properties.id));
      return;
    }
    const current = guard();
    const hit = map.queryRenderedFeatures(e.point, { layers: BUILDING_LAYERS.filter((id) => map.getLayer(id)) })[0];
    const hitId = hit?.properties?.id != null ? String(hit.properties.id) : null;
    panel.loading();
    try {
      const res = await api.lookup(e.lngLat.lng, e.lngLat.lat);
      if (!hitId) res.building = null;
      else if (!res.building || String(res.building.id) !== hitId)
        res.building = await api.building(hitId).catch(() => null);
      if (!current()) return;
      if (!res.building && !res.grid && !res.village) {
        panel.message(t("outside"));
        setSelection(map, {});
        return;
      }
      panel.showLookup(res);
      appendSituations(res.grid?.code, current);
      layersControl.setSituationPlace({ grid: res.grid?.code, village: res.village });
      const grids = res.building?.grids?.length ? res.building.grids : [res.grid?.code];
      setSelection(map, { grid: grids, building: res.building?.id });
    } catch (err) {
      if (!current()) return;
      panel.message(err.status === 404 ? t("outside") : `${t("lookupFailed")}: ${err.message}`);
      setSelection(map, {});
    }
  });

  for (const id of [...BUILDING_LAYERS, ...INCIDENT_LAYERS, "grids-fill"]) {
    map.on("mouseenter", id, () => {
      map.getCanvas().style.cursor = "pointer";
    });
    map.on("mouseleave", id, () => {
      map.getCanvas().style.cursor = "";
    });
  }

  createSearch(document.getElementById("search"), (r) => {
    if (Array.isArray(r.bbox) && r.bbox.length === 4) fitBounds(r.bbox, r.kind === "grid" ? 17 : 18);
    if (planner.active()) {
      if (r.kind === "grid") planner.focusGrid(r.id, false);
      return;
    }
    if (r.kind === "grid") openGrid(r.id, false);
    else if (r.kind === "building" || r.kind === "address") openBuilding(r.id);
    else if (r.kind === "staff") openStaff(r.id);
  });

  await ready;
}

function reducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

main().catch((err) => {
  const box = document.getElementById("fatal");
  box.textContent = String(err?.message ?? err);
  box.hidden = false;
  throw err;
});
