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
});
