// Browser test of nested grids: comprehensive grids (综治网格) cut into micro-grids (微网格).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  assertClean,
  findGrid,
  getJson,
  launchBrowser,
  openPage,
  pickBuildingPixel,
  screenshot,
  showBbox,
  startServer,
  waitForMapIdle,
} from "./harness.js";
import { householdsOf, lassoSelect, openPlanner, panelShows, plan, planMove } from "./planning.js";

let server;
let browser;

before(async () => {
  server = await startServer({ levels: "comprehensive:300-500,micro:30-50" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("nested grids", () => {
  test("the map outlines comprehensive grids and a click shows the micro-grid and its comprehensive grid", async () => {
    const some = await findGrid(server.base);
    const first = await getJson(server.base, `/api/grids/${some.id}`);
    const topCode = first.level === 2 ? first.code : first.comprehensive?.code;
    assert.ok(topCode, `grid ${some.id} is or has a comprehensive grid`);
    const detail = await getJson(server.base, `/api/grids/${topCode}`);
    assert.equal(detail.level, 2);
    assert.ok(detail.micro_grids.length >= 2, "a comprehensive grid lists its micro-grids");

    const { page, context, problems } = await openPage(browser, server.base);
    try {
      await page.goto(`${server.base}/`);
      await page.waitForFunction(() => window.gridmap?.map, null, {
        timeout: 30_000,
      });
      await waitForMapIdle(page);
      await showBbox(page, detail.bbox);
      // Both levels are drawn: comprehensive outlines and micro-grid fills.
      const drawn = await page.evaluate(() => {
        const map = window.gridmap.map;
        const count = (layer) => map.queryRenderedFeatures({ layers: [layer] }).length;
        return {
          outlines: count("comprehensive-line"),
          fills: count("grids-fill"),
        };
      });
      assert.ok(drawn.outlines > 0, `comprehensive outlines drawn: ${JSON.stringify(drawn)}`);
      assert.ok(drawn.fills > 0, `micro-grid fills drawn: ${JSON.stringify(drawn)}`);
      await page.locator(".legend-comprehensive").waitFor({ state: "visible", timeout: 15_000 });

      const target = await pickBuildingPixel(page, {
        single: true,
        households: true,
      });
      assert.ok(target, "a building with households is drawn");
      await page.mouse.click(target.x, target.y);
      const panel = page.locator("#panel");
      await panel.locator(".comprehensive-section").waitFor({ timeout: 15_000 });
      const expected = await getJson(server.base, `/api/lookup?lon=${target.lon}&lat=${target.lat}`);
      const codes = await panel.locator(".grid-code").allInnerTexts();
      assert.deepEqual(
        codes.map((c) => c.trim()),
        [expected.grid.code, expected.comprehensive.code],
        "the micro-grid's code, then its comprehensive grid's",
      );
      assert.ok(expected.grid.code.startsWith(`${expected.comprehensive.code}-`));
      // Both responsible people: the micro-grid's worker and the comprehensive grid's
      // leader (网格长, given by `gridmap staff assign`).
      assert.ok(expected.comprehensive.staff?.name, "the comprehensive grid has a leader");
      const people = await panel.locator(".staff-name").allInnerTexts();
      assert.deepEqual(
        people.map((p) => p.trim()),
        [expected.grid.staff.name, expected.comprehensive.staff.name],
        "the worker, then the leader",
      );
      const headings = await panel.locator(".grid-section h3").allInnerTexts();
      assert.deepEqual(
        headings.map((h) => h.trim()),
        ["微网格", "综治网格"],
      );
      await screenshot(page, "nested-grids");
      assertClean(problems);
    } finally {
      await context.close();
    }
  });

  test("the planner holds each level to its own range and moves a building into another comprehensive grid at both levels", async () => {
    const some = await findGrid(server.base);
    const village = some.id.slice(0, 12);
    const before = await plan(server.base, village);
    assert.ok(before.comprehensive, "the plan names the comprehensive grids' range");
    const tops = before.grids.filter((g) => g.level === 2);
    const micro = before.grids.filter((g) => g.level === 1);
    assert.ok(tops.length >= 2, "a village of several comprehensive grids");
    assert.equal(
      before.households,
      micro.reduce((n, g) => n + g.households, 0),
      "households counted once",
    );
    const { page, context, problems } = await openPlanner(browser, server.base);
    try {
      let move = null;
      let from = null;
      for (const top of tops) {
        const detail = await getJson(server.base, `/api/grids/${top.code}`);
        await showBbox(page, detail.bbox);
        const others = micro.filter((g) => g.parent !== top.code && !g.locked && !g.institution).map((g) => g.code);
        for (const g of micro.filter((x) => x.parent === top.code && !x.institution)) {
          move = await planMove(page, g.code, others);
          if (move) {
            from = g;
            break;
          }
        }
        if (move) break;
      }
      assert.ok(move, "a micro-grid next to one of another comprehensive grid is drawn");
      const target = micro.find((g) => g.code === move.target);
      const moved = move.chosen.reduce((n, b) => n + b.households, 0);
      // The lasso selects the buildings and loads their village into the panel.
      await lassoSelect(page, move);
      await panelShows(page, from.code, from.households);
      // A comprehensive grid in range is not shown as too big for a micro-grid.
      const ownTop = tops.find((g) => g.code === from.parent);
      assert.equal(await page.locator("#planner .rebalance").count(), 0, "no rebalance on nested villages");
      const inRange = (g) => g.households >= before.comprehensive.min && g.households <= before.comprehensive.max;
      const row = (code) => `#planner .grid-row.comprehensive-row[data-grid="${code}"] .grid-households`;
      for (const top of tops)
        assert.equal(
          await page.locator(row(top.code)).getAttribute("class"),
          `grid-households size-${inRange(top) ? "ok" : top.households < before.comprehensive.min ? "under" : "over"}`,
          `${top.code}: ${top.households} households against ${before.comprehensive.min}–${before.comprehensive.max}`,
        );
      await page.keyboard.press("m");
      await page.waitForSelector("#planner .pick-target.on");
      await page.mouse.click(move.pick.x, move.pick.y);
      await page.waitForSelector(`#planner .grid-row.target[data-grid="${move.target}"]`);
      await page.click("#planner .move-confirm");
      await page.waitForSelector("#planner .planner-status.status-ok", { timeout: 30_000 });
      await screenshot(page, "nested-planner-moved");

      // Both levels followed: the micro-grids and their comprehensive grids.
      const after = await plan(server.base, village);
      assert.equal(householdsOf(after, from.code), from.households - moved);
      assert.equal(householdsOf(after, move.target), target.households + moved);
      assert.equal(householdsOf(after, from.parent), ownTop.households - moved);
      const otherTop = tops.find((g) => g.code === target.parent);
      assert.equal(householdsOf(after, target.parent), otherTop.households + moved);
      for (const id of move.chosen.map((b) => b.id)) {
        const b = await getJson(server.base, `/api/buildings/${encodeURIComponent(id)}`);
        assert.deepEqual(b.grids, [move.target], `${id} is in the target micro-grid`);
      }

      // Undo puts both levels back.
      await page.keyboard.press("Control+z");
      await panelShows(page, from.code, from.households);
      const undone = await plan(server.base, village);
      assert.equal(householdsOf(undone, from.parent), ownTop.households);
      assert.equal(householdsOf(undone, target.parent), otherTop.households);
      assertClean(problems);
    } finally {
      await context.close();
    }
  });
});
