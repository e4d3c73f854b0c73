// Planner mode of the map (staff token only): select buildings (click, Shift+click, lasso),
// see what a move would make of the grids before sending it, edit the village's grids through
// the planner API, undo and redo this page's own changes, read the change history.

import * as api from "./api.js";
import { t } from "./i18n.js";
import { bounds, createLassoTool, idsInLasso, outerPoints } from "./lasso.js";
import { BUILDING_LAYERS, GRID_LAYERS, plannerLayers, SOURCE, setPlannerHighlight, setSelection } from "./layers.js";
import { createPlannerPanel } from "./plannerpanel.js";
import {
  buildingOf,
  flatRows,
  movePreview,
  oneVillage,
  rebalanceEdit,
  sourceGrids,
  summarize,
  toggled,
  villageOfGrid,
  withAll,
} from "./selection.js";
import { createUndoStack } from "./undo.js";
import { createVersionsPanel } from "./versions.js";

const HISTORY_LIMIT = 30;
/** The planner's highlights go under the labels. */
const LAYERS_BEFORE = "villages-label";

/**
 * @param {import("maplibre-gl").Map} map
 * @param {{root: HTMLElement, toggle: HTMLButtonElement, fitBounds: (bbox: number[]) => void, onEnter?: () => void, onLeave?: () => void}} opts
 */
export function createPlanner(map, opts) {
  const stack = createUndoStack();
  const lasso = createLassoTool(map, onLasso);
  // a line drawn across the focused grid splits it there
  const cutter = createLassoTool(map, onCut, { line: true });
  const versions = createVersionsPanel(map, { layersBefore: LAYERS_BEFORE, apply: applyOutcome });
  const panel = createPlannerPanel(opts.root, {
    extraSections: versions.elements,
    close: leave,
    toggleLasso: () => toggleLasso(),
    undo,
    redo,
    setTarget,
    pickTarget,
    move,
    newGrid,
    clearSelection,
    focusGrid,
    split: (grid) => runEdit({ op: "split", grid }, [grid], t("what_split", { grid })),
    splitAlong,
    moveFlats,
    setStaff: (code, staff) => patchGrid(code, { staff }, t("what_set_staff", { grid: code })),
    findStaff: async (q) => {
      try {
        const { results } = await api.search(q, 10);
        return (results ?? []).filter((r) => r.kind === "staff");
      } catch {
        return [];
      }
    },
    rename: (code, name) => patchGrid(code, { name }, t("what_rename", { grid: code })),
    merge: (kept, absorbed) =>
      runEdit({ op: "merge", kept, absorbed }, [kept, absorbed], t("what_merge", { kept, absorbed })),
    deleteEmpty: (grid) => runEdit({ op: "delete_empty", grid }, [grid], t("what_delete", { grid })),
    lockVillage,
    rebalance,
    lockGrid: (code, locked) => patchGrid(code, { locked }, t(locked ? "what_lock" : "what_unlock", { grid: code })),
    showIssue,
    loadHistory,
  });
  /** @type {import("./plannerpanel.js").PlannerState} */
  const state = {
    plan: null,
    loading: false,
    selection: new Map(),
    dropped: 0,
    target: null,
    focus: null,
    picking: false,
    lasso: false,
    cutting: null,
    tower: null,
    busy: false,
    status: null,
    stack: stack.sizes(),
    history: [],
  };
  let active = false;
  let boxZoomWas = false;
  let planSeq = 0;

  opts.toggle.addEventListener("click", () => (active ? leave() : enter()));

  let highlighted = "";

  function update(patch = {}) {
    Object.assign(state, patch, { stack: stack.sizes(), lasso: lasso.active() });
    if (!cutter.active()) state.cutting = null;
    if (state.tower && !state.selection.has(state.tower.id)) state.tower = null;
    if (!active) return;
    versions.setVillage(state.plan?.village, state.busy);
    panel.render(state);
    // a filter change makes MapLibre re-parse the source's tiles: only when the highlight changes
    const highlight = { buildings: [...state.selection.keys()], target: state.target, focus: state.focus };
    const key = JSON.stringify(highlight);
    if (key !== highlighted) {
      highlighted = key;
      setPlannerHighlight(map, highlight);
      setSelection(map, { grid: state.focus });
    }
    map.getCanvasContainer().classList.toggle("picking", state.picking);
  }

  function enter() {
    if (active) return;
    active = true;
    for (const layer of plannerLayers())
      if (!map.getLayer(layer.id)) map.addLayer(layer, map.getLayer(LAYERS_BEFORE) ? LAYERS_BEFORE : undefined);
    // Shift+click adds to the selection: MapLibre's Shift+drag box zoom would swallow the click
    boxZoomWas = map.boxZoom.isEnabled();
    map.boxZoom.disable();
    opts.root.hidden = false;
    opts.toggle.setAttribute("aria-pressed", "true");
    document.body.classList.add("planner-on");
    opts.onEnter?.();
    update();
  }

  function leave() {
    if (!active) return;
    lasso.off();
    cutter.off();
    update({ picking: false });
    versions.clear();
    setPlannerHighlight(map, { buildings: [], target: null });
    setSelection(map, {});
    highlighted = "";
    active = false;
    if (boxZoomWas) map.boxZoom.enable();
    opts.root.hidden = true;
    opts.toggle.setAttribute("aria-pressed", "false");
    document.body.classList.remove("planner-on");
    map.getCanvasContainer().classList.remove("picking");
    opts.onLeave?.();
  }

  // ---- the village's plan and the map's tiles

  async function loadPlan(village) {
    const mine = ++planSeq;
    update({ loading: true, plan: state.plan?.village === village ? state.plan : null });
    try {
      const plan = await api.villagePlan(village);
      if (mine === planSeq) setPlan(plan);
    } catch (err) {
      if (mine === planSeq)
        update({ loading: false, status: { kind: "error", text: `${t("lookupFailed")}: ${err.message}` } });
    }
  }

  function setPlan(plan) {
    planSeq++;
    const codes = new Set(plan.grids.map((g) => g.code));
    update({
      plan,
      loading: false,
      target: codes.has(state.target) ? state.target : null,
      focus: codes.has(state.focus) ? state.focus : null,
    });
  }

  /**
   * The server purged its tiles after the change: fetch and draw them again. After the next
   * frame: a filter set in this one pauses the source until the map renders, and a refresh
   * while paused would only re-parse the tiles it has.
   */
  function refreshTiles() {
    map.once("render", () => {
      if (map.getSource(SOURCE)) map.refreshTiles(SOURCE);
    });
    map.triggerRepaint();
  }

  async function loadHistory() {
    try {
      const r = await api.changes(HISTORY_LIMIT);
      update({ history: r.changes ?? [] });
    } catch (err) {
      update({ history: [], status: { kind: "error", text: `${t("lookupFailed")}: ${err.message}` } });
    }
  }

  function historySoon() {
    if (panel.historyOpen()) loadHistory();
  }

  // ---- selecting

  const present = (ids) => ids.filter((id) => map.getLayer(id));

  function gridAt(point) {
    const f = map.queryRenderedFeatures(point, { layers: present(GRID_LAYERS) }).find((x) => x.properties?.code);
    return f ? String(f.properties.code) : null;
  }

  /** `replace` the selection, `add` to it, or `toggle` one building (Shift+click). */
  function selectBuildings(list, mode) {
    let next;
    if (mode === "toggle" && list.length === 1) next = toggled(state.selection, list[0]);
    else next = withAll(mode === "add" ? state.selection : new Map(), list);
    const prefer = mode === "replace" ? null : (state.plan?.village ?? null);
    const { village, kept, dropped } = oneVillage(next, prefer);
    update({ selection: kept, dropped, status: null });
    if (village && village !== state.plan?.village) {
      update({ target: null, focus: null });
      loadPlan(village);
    }
    loadTower();
  }

  let towerSeq = 0;

  /** A selection of one high-rise split by flats: its flat ranges, for sharing them out again. */
  async function loadTower() {
    const only = state.selection.size === 1 ? [...state.selection.values()][0] : null;
    if (!only || only.grids.length < 2 || state.tower?.id === only.id) return;
    const mine = ++towerSeq;
    try {
      const b = await api.building(only.id);
      if (mine === towerSeq && state.selection.has(b.id)) update({ tower: b });
    } catch (err) {
      if (mine === towerSeq) update({ status: { kind: "error", text: `${t("lookupFailed")}: ${err.message}` } });
    }
  }

  function onLasso(points, e) {
    const layers = present(BUILDING_LAYERS);
    const [x0, y0, x1, y1] = bounds(points);
    const touched = new Set(
      map
        .queryRenderedFeatures(
          [
            [x0, y0],
            [x1, y1],
          ],
          { layers },
        )
        .map((f) => String(f.properties.id)),
    );
    // every drawn piece of those buildings (tiles cut them), so each counts by its whole shape
    const byId = new Map();
    const pieces = [];
    for (const f of map.queryRenderedFeatures({ layers })) {
      const b = buildingOf(f.properties);
      if (!touched.has(b.id)) continue;
      byId.set(b.id, b);
      const screen = outerPoints(f.geometry).map((c) => {
        const p = map.project(c);
        return [p.x, p.y];
      });
      pieces.push({ id: b.id, points: screen });
    }
    selectBuildings(
      idsInLasso(pieces, points).map((id) => byId.get(id)),
      e.shiftKey ? "add" : "replace",
    );
  }

  map.on("click", (e) => {
    if (!active || lasso.active() || cutter.active()) return;
    const shift = Boolean(e.originalEvent?.shiftKey);
    if (state.picking) {
      const code = gridAt(e.point);
      update({ picking: false });
      if (code) setTarget(code);
      return;
    }
    const hit = map.queryRenderedFeatures(e.point, { layers: present(BUILDING_LAYERS) })[0];
    if (hit) {
      selectBuildings([buildingOf(hit.properties)], shift ? "toggle" : "replace");
      return;
    }
    const code = gridAt(e.point);
    if (code) focusGrid(code, false);
    else if (!shift) clearSelection();
  });

  function clearSelection() {
    update({ selection: new Map(), dropped: 0, picking: false });
  }

  function toggleLasso(on = !lasso.active()) {
    if (on) {
      cutter.off();
      lasso.on();
    } else lasso.off();
    update({ picking: false });
  }

  /** Starts (or stops) drawing the line along which grid `code` is split. */
  function splitAlong(code) {
    if (state.cutting === code) {
      cutter.off();
      update();
      return;
    }
    lasso.off();
    cutter.on();
    update({ cutting: code, picking: false });
  }

  function onCut(points) {
    const grid = state.cutting;
    cutter.off();
    update();
    if (!grid) return;
    const line = points.map(([x, y]) => {
      const c = map.unproject([x, y]);
      return [c.lng, c.lat];
    });
    runEdit({ op: "split", grid, line }, [grid], t("what_split_line", { grid }));
  }

  function pickTarget() {
    if (!state.plan) return;
    if (!state.picking) lasso.off();
    update({ picking: !state.picking });
  }

  function setTarget(code) {
    update({ target: code || null, picking: false });
  }

  /** Picks a grid (its village's plan is loaded when another); `zoom` fits the map to it. */
  function focusGrid(code, zoom) {
    const village = villageOfGrid(code);
    update({ focus: code });
    if (village && village !== state.plan?.village) {
      update({ selection: new Map(), target: null });
      loadPlan(village);
    }
    if (zoom) zoomTo(api.grid(code));
  }

  function zoomTo(found) {
    found.then((x) => x?.bbox && opts.fitBounds(x.bbox)).catch(() => {});
  }

  function showIssue(issue) {
    if (issue.grid) focusGrid(issue.grid, !issue.building);
    if (issue.building) zoomTo(api.building(issue.building));
  }

  // ---- edits

  function versionsOf(codes) {
    const out = {};
    for (const code of codes) {
      const g = state.plan?.grids.find((x) => x.code === code);
      if (g) out[code] = g.version;
    }
    return out;
  }

  /** After a refused edit: a conflict reloads the village (someone changed it), a hard rule only says why. */
  async function refused(err, village) {
    const conflict = err.status === 409;
    const text = conflict ? `${t("editConflict")}: ${err.message}` : `${t("editRefused")}: ${err.message}`;
    update({ busy: false, status: { kind: "error", text } });
    if (conflict && village) {
      await loadPlan(village);
      refreshTiles();
    }
  }

  /**
   * Sends one edit of the village with the versions of the grids it touches (as loaded);
   * on success the page can undo it, the panel shows the village after it, the tiles reload.
   */
  function runEdit(edit, touched, what) {
    if (!state.plan) return;
    const village = state.plan.village;
    return applyOutcome(village, what, () => api.editVillage(village, { ...edit, versions: versionsOf(touched) }), {
      moves: edit.op !== "lock_village",
    });
  }

  /**
   * Sends an edit of `village` that answers an EditOutcome (an edit, a restored version, an
   * imported plan CSV): the page can undo it, the panel shows the village after it and what
   * it broke and mended, the tiles reload. Answers the refusal (null when it went through).
   * @param {() => Promise<{change: number, created?: string, caused: object[], fixed: object[], plan: object}>} send
   */
  async function applyOutcome(village, what, send, { moves = true } = {}) {
    if (state.busy) return new Error(t("working"));
    update({ busy: true, status: { kind: "info", text: t("working") } });
    let out;
    try {
      out = await send();
    } catch (err) {
      await refused(err, village);
      return err;
    }
    stack.push({ change: out.change, village, what });
    const text = [t("editDone", { what }), out.created ? t("created", { code: out.created }) : null];
    update({
      busy: false,
      selection: moves ? new Map() : state.selection,
      dropped: 0,
      target: moves ? null : state.target,
      focus: out.created ?? state.focus,
      status: { kind: "ok", text: text.filter(Boolean).join(" · "), caused: out.caused, fixed: out.fixed },
    });
    setPlan(out.plan);
    refreshTiles();
    historySoon();
    return null;
  }

  function move() {
    if (!state.plan || !state.target) return;
    const sizes = new Map(state.plan.grids.map((g) => [g.code, g.households]));
    const p = movePreview(state.selection, sizes, state.target);
    if (!p.buildings.length) return;
    runEdit(
      { op: "move_buildings", buildings: p.buildings, to: p.target.code },
      [p.target.code, ...p.sources.map((s) => s.code)],
      t("what_move", { n: p.buildings.length, to: p.target.code }),
    );
  }

  /** Shares the selected tower's flats out as `shares` says (grids in flat order, flat counts). */
  function moveFlats(shares) {
    const b = state.tower;
    if (!b || !state.plan) return;
    const { rows } = flatRows(b.id, b.households, shares);
    if (!rows.length) return;
    const touched = [...new Set([...b.grids, ...rows.map((r) => r.grid)])];
    runEdit({ op: "assign", village: state.plan.village, rows }, touched, t("what_move_flats", { id: b.id }));
  }

  function newGrid() {
    if (!state.plan) return;
    const { movable } = summarize(state.selection);
    if (!movable.length) return;
    runEdit(
      { op: "new_grid", village: state.plan.village, buildings: movable },
      sourceGrids(state.selection),
      t("what_new_grid", { n: movable.length }),
    );
  }

  function lockVillage(locked) {
    if (!state.plan) return;
    runEdit(
      { op: "lock_village", village: state.plan.village, locked },
      state.plan.grids.map((g) => g.code),
      t(locked ? "what_lock_village" : "what_unlock_village"),
    );
  }

  /** Rebalances the grids the selection lies in, or the whole village when nothing is selected. */
  function rebalance() {
    if (!state.plan) return;
    const edit = rebalanceEdit(state.selection, state.plan);
    if (edit.grids && !edit.grids.length) return;
    runEdit(
      edit,
      edit.grids ?? state.plan.grids.map((g) => g.code),
      edit.grids ? t("what_rebalance_grids", { n: edit.grids.length }) : t("what_rebalance"),
    );
  }

  /** Locks, unlocks or renames one grid (`PATCH api/grids/{code}`), as one change the page can undo. */
  async function patchGrid(code, patch, what) {
    const g = state.plan?.grids.find((x) => x.code === code);
    if (state.busy || !g) return;
    const village = state.plan.village;
    update({ busy: true, status: { kind: "info", text: t("working") } });
    try {
      const out = await api.patchGrid(code, g.version, patch);
      // No change when the grid already was so: nothing to undo.
      if (out.change != null) stack.push({ change: out.change, village, what });
    } catch (err) {
      await refused(err, village);
      return;
    }
    update({ busy: false, status: { kind: "ok", text: t("editDone", { what }) } });
    await loadPlan(village);
    refreshTiles();
    historySoon();
  }

  // ---- undo and redo (this page's own changes)

  async function undoOrRedo(redo) {
    const entry = redo ? stack.nextRedo() : stack.nextUndo();
    if (!entry) {
      update({ status: { kind: "info", text: t(redo ? "nothingToRedo" : "nothingToUndo") } });
      return;
    }
    if (state.busy) return;
    update({ busy: true, status: { kind: "info", text: t("working") } });
    let out;
    try {
      out = await api.undoChange(entry.change);
    } catch (err) {
      await refused(err, entry.village);
      return;
    }
    if (redo) stack.redid(out.change);
    else stack.undid(out.change);
    update({
      busy: false,
      selection: new Map(),
      target: null,
      status: {
        kind: "ok",
        text: t(redo ? "redone" : "undone", { what: entry.what }),
        caused: out.caused,
        fixed: out.fixed,
      },
    });
    // a grid change inside one village answers with the village after it
    if (out.plan?.village === entry.village) setPlan(out.plan);
    else await loadPlan(entry.village);
    refreshTiles();
    historySoon();
  }

  function undo() {
    return undoOrRedo(false);
  }

  function redo() {
    return undoOrRedo(true);
  }

  document.addEventListener("keydown", (e) => {
    if (!active || e.target.closest?.("input, select, textarea, [contenteditable]")) return;
    const key = e.key.toLowerCase();
    if (e.ctrlKey || e.metaKey) {
      if (key === "z" || key === "y") {
        e.preventDefault();
        if (key === "y" || e.shiftKey) redo();
        else undo();
      }
      return;
    }
    if (e.altKey) return;
    if (key === "escape") {
      if (cutter.active()) {
        cutter.off();
        update();
      } else if (lasso.active()) toggleLasso(false);
      else if (state.picking) update({ picking: false });
      else clearSelection();
    } else if (key === "l") toggleLasso();
    else if (key === "m") pickTarget();
  });

  return {
    active: () => active,
    enter,
    leave,
    focusGrid,
    /** For tests and the console: the state the panel shows. */
    state: () => state,
  };
}
