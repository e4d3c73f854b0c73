// What the planner-mode browser tests share: opening the planner, finding a move the map
// shows, dragging the lasso and waiting for the panel and the tiles.

import assert from "node:assert/strict";
import { getJson, openPage, TOKEN, waitForMapIdle } from "./harness.js";

/** Keep clear of the planner panel on the left, the controls on the right and the edges. */
export const MARGINS = { left: 420, right: 280, top: 90, bottom: 60 };

/**
 * Opens the map with the staff token and switches the planner mode on; the caller closes
 * `context`.
 * @returns {Promise<{page: import("playwright-core").Page, context: import("playwright-core").BrowserContext, problems: string[]}>}
 */
export async function openPlanner(browser, base, viewport) {
  const p = await openPage(browser, base, viewport);
  await p.page.goto(`${base}/#token=${TOKEN}`);
  await p.page.waitForFunction(() => window.gridmap?.planner, null, { timeout: 30_000 });
  await waitForMapIdle(p.page);
  await p.page.click(".planner-toggle");
  await p.page.waitForSelector("#planner:not([hidden]) .planner-tools .lasso-toggle");
  return p;
}

/** `/api/villages/{village}/plan` as the planner sees it. */
export function plan(base, village) {
  return getJson(base, `/api/villages/${village}/plan`, { token: TOKEN });
}

export function householdsOf(p, code) {
  const g = p.grids.find((x) => x.code === code);
  assert.ok(g, `grid ${code} is in the plan of ${p.village}`);
  return g.households;
}

/** Waits until the planner panel lists `code` with `n` households. */
export function panelShows(page, code, n) {
  return page.waitForSelector(`#planner .grid-row[data-grid="${code}"][data-households="${n}"]`, { timeout: 30_000 });
}

/** Waits until the drawn buildings `ids` all lie in grid `code` (the tiles were reloaded). */
export function tilesShow(page, ids, code) {
  return page.waitForFunction(
    ({ ids, code }) => {
      const map = window.gridmap.map;
      if (!map.areTilesLoaded()) return false;
      const drawn = map.queryRenderedFeatures({ layers: ["buildings-fill", "buildings-estimated-fill"] });
      return ids.every((id) => {
        const mine = drawn.filter((f) => String(f.properties.id) === id);
        return mine.length > 0 && mine.every((f) => String(f.properties.grids) === code);
      });
    },
    { ids, code },
    { timeout: 30_000, polling: 100 },
  );
}

/**
 * In the current view: a neighbouring grid of `g` that an edit may change (`allowed`), a
 * pixel of it with no building, and a rectangle holding the centres of a few of g's
 * buildings near that neighbour and no other building's centre (with a margin).
 */
export function planMove(page, g, allowed) {
  return page.evaluate(
    ({ g, allowed, m }) => {
      const map = window.gridmap.map;
      const width = map.getCanvas().clientWidth;
      const height = map.getCanvas().clientHeight;
      const inView = (x, y) => x > m.left && x < width - m.right && y > m.top && y < height - m.bottom;
      const layers = ["buildings-fill", "buildings-estimated-fill"];
      const sums = new Map();
      for (const f of map.queryRenderedFeatures({ layers })) {
        const id = String(f.properties.id);
        const s = sums.get(id) ?? { x: 0, y: 0, n: 0, p: f.properties };
        const polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
        for (const rings of polygons) {
          for (const c of rings[0].slice(0, -1)) {
            const p = map.project(c);
            s.x += p.x;
            s.y += p.y;
            s.n += 1;
          }
        }
        sums.set(id, s);
      }
      const all = [...sums].map(([id, s]) => ({
        id,
        x: s.x / s.n,
        y: s.y / s.n,
        households: Number(s.p.households) || 0,
        grids: String(s.p.grids ?? ""),
      }));
      const mine = all.filter((b) => b.grids === g && b.households > 0 && inView(b.x, b.y));
      let target = null;
      let pick = null;
      search: for (const b of mine) {
        for (const d of [10, 16, 24, 34, 46]) {
          for (let k = 0; k < 8; k++) {
            const x = Math.round(b.x + d * Math.cos((k * Math.PI) / 4));
            const y = Math.round(b.y + d * Math.sin((k * Math.PI) / 4));
            if (!inView(x, y)) continue;
            if (map.queryRenderedFeatures([x, y], { layers }).length) continue;
            const codes = map.queryRenderedFeatures([x, y], { layers: ["grids-fill"] }).map((f) => f.properties.code);
            if (codes.length === 1 && codes[0] !== g && allowed.includes(codes[0])) {
              target = codes[0];
              pick = { x, y };
              break search;
            }
          }
        }
      }
      if (!target) return null;
      const pad = 6;
      const gap = 5;
      const rectOf = (list) => ({
        x0: Math.min(...list.map((b) => b.x)) - pad,
        y0: Math.min(...list.map((b) => b.y)) - pad,
        x1: Math.max(...list.map((b) => b.x)) + pad,
        y1: Math.max(...list.map((b) => b.y)) + pad,
      });
      const fits = (list) => {
        const r = rectOf(list);
        if (!inView(r.x0, r.y0) || !inView(r.x1, r.y1)) return false;
        return all.every(
          (b) => list.includes(b) || b.x < r.x0 - gap || b.x > r.x1 + gap || b.y < r.y0 - gap || b.y > r.y1 + gap,
        );
      };
      const near = mine.sort((a, b) => Math.hypot(a.x - pick.x, a.y - pick.y) - Math.hypot(b.x - pick.x, b.y - pick.y));
      let chosen = [];
      for (const b of near) {
        if (chosen.length >= 4) break;
        if (fits([...chosen, b])) chosen = [...chosen, b];
      }
      if (!chosen.length) return null;
      return {
        target,
        pick,
        rect: rectOf(chosen),
        chosen: chosen.map((b) => ({ id: b.id, households: b.households })),
      };
    },
    { g, allowed, m: MARGINS },
  );
}

/** Drags a lasso along the rectangle's edges. */
/** Selects a planned move's buildings with the lasso (L, drag, until the panel counts them). */
export async function lassoSelect(page, move) {
  await page.keyboard.press("l");
  await page.waitForSelector("#planner .lasso-toggle.on");
  await lassoRect(page, move.rect);
  await page.waitForSelector(`#planner .planner-selection[data-buildings="${move.chosen.length}"]`, {
    timeout: 15_000,
  });
}

export async function lassoRect(page, r) {
  await page.mouse.move(r.x0, r.y0);
  await page.mouse.down();
  await page.mouse.move(r.x1, r.y0, { steps: 6 });
  await page.mouse.move(r.x1, r.y1, { steps: 6 });
  await page.mouse.move(r.x0, r.y1, { steps: 6 });
  await page.mouse.move(r.x0, r.y0 + 1, { steps: 6 });
  await page.mouse.up();
}
