// The planner's selection of buildings, as the tiles describe them, and what moving it
// would make of the grids: counted here, before anything is sent (pure, no DOM).

/**
 * A building from a `buildings` tile feature's properties.
 * @param {{id: string|number, households?: number|string, grids?: string}} props
 * @returns {{id: string, households: number, grids: string[]}}
 */
export function buildingOf(props) {
  const grids = String(props.grids ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return { id: String(props.id), households: Number(props.households) || 0, grids };
}

/**
 * The 12-digit village code of a grid code: before its first dash, for a grid
 * (`411622101201-007`) and a micro-grid (`411622101201-007-02`) alike.
 */
export function villageOfGrid(code) {
  const text = String(code ?? "");
  const dash = text.indexOf("-");
  return dash > 0 ? text.slice(0, dash) : null;
}

/** The village of a building: that of its (first) grid; null for a building in no grid. */
export function villageOfBuilding(b) {
  return b.grids.length ? villageOfGrid(b.grids[0]) : null;
}

/**
 * Whether a building can be moved whole: it lies in exactly one grid (a split tower's
 * flats belong to several grids; a building in no grid has no households to move).
 */
export function movable(b) {
  return b.grids.length === 1;
}

/** A selection with `b` added, or removed when it was in (shift-click). */
export function toggled(sel, b) {
  const next = new Map(sel);
  if (next.has(b.id)) next.delete(b.id);
  else next.set(b.id, b);
  return next;
}

/** A selection with every building of `list` added. */
export function withAll(sel, list) {
  const next = new Map(sel);
  for (const b of list) next.set(b.id, b);
  return next;
}

/**
 * Keeps the buildings of one village: `prefer` when some lie in it, else the village most of
 * them lie in. Buildings in no grid go.
 * @returns {{village: string|null, kept: Map<string, object>, dropped: number}}
 */
export function oneVillage(sel, prefer = null) {
  const counts = new Map();
  for (const b of sel.values()) {
    const v = villageOfBuilding(b);
    if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let village = prefer && counts.has(prefer) ? prefer : null;
  if (!village) for (const [v, n] of counts) if (!village || n > counts.get(village)) village = v;
  const kept = new Map([...sel].filter(([, b]) => villageOfBuilding(b) === village));
  return { village, kept, dropped: sel.size - kept.size };
}

/**
 * Counts of a selection: all buildings and households, and those that can be moved.
 * @param {Map<string, {id: string, households: number, grids: string[]}>} sel
 */
export function summarize(sel) {
  let households = 0;
  let movableHouseholds = 0;
  const ids = [];
  for (const b of sel.values()) {
    households += b.households;
    if (!movable(b)) continue;
    movableHouseholds += b.households;
    ids.push(b.id);
  }
  return { buildings: sel.size, households, movable: ids, movableHouseholds, skipped: sel.size - ids.length };
}

/**
 * What moving the selection's movable buildings to grid `target` would make of the grids:
 * the target gains the households not already in it, each source grid loses its own.
 * @param {Map<string, {id: string, households: number, grids: string[]}>} sel
 * @param {Record<string, number>|Map<string, number>} sizes households per grid code (from the plan)
 * @param {string} target
 * @returns {{moved: number, buildings: string[], target: {code: string, before: number, after: number}, sources: {code: string, before: number, after: number}[]}}
 */
export function movePreview(sel, sizes, target) {
  const size = (code) => Number((sizes instanceof Map ? sizes.get(code) : sizes[code]) ?? 0);
  const leaving = new Map();
  const buildings = [];
  for (const b of sel.values()) {
    if (!movable(b) || b.grids[0] === target) continue;
    buildings.push(b.id);
    leaving.set(b.grids[0], (leaving.get(b.grids[0]) ?? 0) + b.households);
  }
  let moved = 0;
  const sources = [...leaving]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => {
      moved += n;
      return { code, before: size(code), after: size(code) - n };
    });
  return { moved, buildings, target: { code: target, before: size(target), after: size(target) + moved }, sources };
}

/** The grids the selection's movable buildings lie in, sorted. */
export function sourceGrids(sel) {
  const codes = new Set();
  for (const b of sel.values()) if (movable(b)) codes.add(b.grids[0]);
  return [...codes].sort();
}

/**
 * What the planner's rebalance sends: the whole village when nothing is selected, else the
 * unlocked grids of the loaded plan holding a selected building (locked grids stay as they are,
 * and the server refuses them; an empty list means there is nothing to rebalance).
 * @param {Map<string, {id: string, households: number, grids: string[]}>} sel
 * @param {{village: string, grids: {code: string, locked: boolean}[]}} plan
 * @returns {{op: "rebalance", village: string, grids?: string[]}}
 */
export function rebalanceEdit(sel, plan) {
  if (!sel.size) return { op: "rebalance", village: plan.village };
  const open = new Set(plan.grids.filter((g) => !g.locked).map((g) => g.code));
  const codes = new Set();
  for (const b of sel.values()) for (const code of b.grids) if (open.has(code)) codes.add(code);
  return { op: "rebalance", village: plan.village, grids: [...codes].sort() };
}

/** `under`, `over` or `ok`: a grid size against the plan's range. */
export function sizeStatus(households, range) {
  if (households < range.min) return "under";
  if (households > range.max) return "over";
  return "ok";
}

/**
 * The flats of a split high-rise as the planner would share them out: `shares` lists grids
 * in flat order with how many flats each should hold. Answers the `assign` rows (each grid
 * the next run of flats; grids given 0 flats drop out) and how many flats are left to give
 * (`left` ≠ 0: the shares do not add up to the building's `total`, nothing to send).
 * @param {string} building
 * @param {number} total the building's households (flats)
 * @param {{grid: string, count: number}[]} shares
 * @returns {{rows: {building: string, flats: [number, number], grid: string}[], left: number}}
 */
export function flatRows(building, total, shares) {
  const rows = [];
  let at = 0;
  for (const { grid, count } of shares) {
    const n = Math.max(0, Math.floor(Number(count) || 0));
    if (!n) continue;
    rows.push({ building, flats: [at, at + n], grid });
    at += n;
  }
  return { rows: at === total ? rows : [], left: total - at };
}

/**
 * The grids of a split high-rise in flat order with their flat counts, from
 * `api/buildings/{id}`'s `flats`, and `extra` (the move target) after them with none.
 * @param {{flats?: {grid: string, start: number, end: number}[]}} building
 * @param {string|null} extra
 * @returns {{grid: string, count: number}[]}
 */
export function flatShares(building, extra = null) {
  const shares = [];
  for (const f of [...(building.flats ?? [])].sort((a, b) => a.start - b.start)) {
    const last = shares[shares.length - 1];
    if (last?.grid === f.grid) last.count += f.end - f.start;
    else shares.push({ grid: f.grid, count: f.end - f.start });
  }
  if (extra && !shares.some((s) => s.grid === extra)) shares.push({ grid: extra, count: 0 });
  return shares;
}
