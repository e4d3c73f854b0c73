// Browser tests of the planner mode (staff token): lasso, move to the neighbouring grid,
// undo/redo, history, the panel at 1366×768, and versions, downloads and the plan CSV import.
// Against a real `gridmap serve` (harness.js).

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, afterEach, before, describe, test } from "node:test";
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
  TOKEN,
  waitForMapIdle,
} from "./harness.js";
import * as planning from "./planning.js";
import { householdsOf, lassoRect, lassoSelect, MARGINS, panelShows, planMove, tilesShow } from "./planning.js";

let server;
let browser;
let grid; // a search result of kind "grid"
const open = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  grid = await findGrid(server.base);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(async () => {
  while (open.length) await open.pop().close();
});

/** Opens the planner; the context is closed after the test. */
async function openPlanner(viewport) {
  const p = await planning.openPlanner(browser, server.base, viewport);
  open.push(p.context);
  return p;
}

const villageOf = (code) => code.slice(0, code.lastIndexOf("-"));

const plan = (village) => planning.plan(server.base, village);

/**
 * Clicks a building with households drawn beside the panel, so the planner selects it alone;
 * answers its pixel and the selection's entry (`id`, `households`, `grids`).
 */
async function selectOneBuilding(page) {
  const target = await pickBuildingPixel(page, { households: true, single: true, margins: MARGINS });
  assert.ok(target, "a building is drawn beside the panel");
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('#planner .planner-selection[data-buildings="1"]');
  const selected = await page.evaluate(() => [...window.gridmap.planner.state().selection.values()][0]);
  return { ...target, ...selected };
}

/** Edits grid `code` as another client would: its ETag from GET, sent back as `If-Match`. */
async function patchGrid(code, body) {
  const shown = await fetch(`${server.base}/api/grids/${code}`);
  const res = await fetch(`${server.base}/api/grids/${code}`, {
    method: "PATCH",
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      "Content-Type": "application/json",
      "If-Match": shown.headers.get("etag"),
    },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, `PATCH /api/grids/${code}: HTTP ${res.status}`);
  return res.json();
}

describe("planner mode", () => {
  test("without the staff token there is no planner mode", async () => {
    const p = await openPage(browser, server.base);
    open.push(p.context);
    await p.page.goto(`${server.base}/`);
    await p.page.waitForFunction(() => window.gridmap?.planner, null, { timeout: 30_000 });
    assert.equal(await p.page.locator(".planner-toggle").isVisible(), false);
    assertClean(p.problems);
  });

  test("lasso buildings of a grid, move them to the neighbouring grid, undo and redo", async () => {
    const { page, problems } = await openPlanner();
    await showBbox(page, grid.bbox);
    const village = villageOf(grid.id);
    const before = await plan(village);
    const allowed = before.grids.filter((g) => !g.locked && !g.institution).map((g) => g.code);
    const move = await planMove(page, grid.id, allowed);
    assert.ok(move, `a few buildings of ${grid.id} next to a neighbouring grid are drawn`);
    const moved = move.chosen.reduce((n, b) => n + b.households, 0);
    const ids = move.chosen.map((b) => b.id);
    const g0 = householdsOf(before, grid.id);
    const t0 = householdsOf(before, move.target);

    // the lasso (L) selects exactly those buildings; the panel counts their households
    await page.keyboard.press("l");
    await page.waitForSelector("#planner .lasso-toggle.on");
    await lassoRect(page, move.rect);
    await page.waitForSelector(`#planner .planner-selection[data-buildings="${ids.length}"]`, { timeout: 15_000 });
    const selected = await page.evaluate(() => [...window.gridmap.planner.state().selection.keys()]);
    assert.deepEqual(selected.sort(), [...ids].sort(), "the lasso holds the buildings inside it");
    assert.equal(
      Number(await page.getAttribute("#planner .planner-selection", "data-households")),
      moved,
      "the selection's households",
    );
    await panelShows(page, grid.id, g0);
    await panelShows(page, move.target, t0);

    // M, then a click on the neighbouring grid picks the target; the preview adds up
    await page.keyboard.press("m");
    await page.waitForSelector("#planner .pick-target.on");
    await page.mouse.click(move.pick.x, move.pick.y);
    await page.waitForSelector(`#planner .grid-row.target[data-grid="${move.target}"]`);
    const preview = await page.evaluate(() =>
      [...document.querySelectorAll("#planner .move-preview li")].map((li) => ({
        grid: li.dataset.grid,
        before: Number(li.dataset.before),
        after: Number(li.dataset.after),
      })),
    );
    assert.deepEqual(preview, [
      { grid: move.target, before: t0, after: t0 + moved },
      { grid: grid.id, before: g0, after: g0 - moved },
    ]);
    await screenshot(page, "planner-preview");

    await page.click("#planner .move-confirm");
    await panelShows(page, grid.id, g0 - moved);
    await panelShows(page, move.target, t0 + moved);
    await page.waitForSelector("#planner .planner-status.status-ok");
    const edited = await plan(village);
    assert.equal(householdsOf(edited, grid.id), g0 - moved, "the API agrees with the panel");
    assert.equal(householdsOf(edited, move.target), t0 + moved);
    await tilesShow(page, ids, move.target);
    await screenshot(page, "planner-moved");

    // Ctrl+Z: back as before, in the panel, the API and the tiles; the undo's answer carries
    // the village's plan, so the page asks for no plan
    const planRequests = [];
    const onRequest = (r) => {
      if (r.url().includes(`/api/villages/${village}/plan`)) planRequests.push(r.url());
    };
    page.on("request", onRequest);
    await page.keyboard.press("Control+z");
    await panelShows(page, grid.id, g0);
    await panelShows(page, move.target, t0);
    page.off("request", onRequest);
    assert.deepEqual(planRequests, [], "the panel showed the undo's own answer");
    const undone = await plan(village);
    assert.equal(householdsOf(undone, grid.id), g0, "the API shows the undo");
    assert.equal(householdsOf(undone, move.target), t0);
    await tilesShow(page, ids, grid.id);

    // Ctrl+Shift+Z redoes, Ctrl+Z undoes the redo
    await page.keyboard.press("Control+Shift+z");
    await panelShows(page, grid.id, g0 - moved);
    await panelShows(page, move.target, t0 + moved);
    assert.equal(householdsOf(await plan(village), move.target), t0 + moved, "the API shows the redo");
    await page.keyboard.press("Control+z");
    await panelShows(page, grid.id, g0);
    await panelShows(page, move.target, t0);
    assert.equal(householdsOf(await plan(village), grid.id), g0);
    await waitForMapIdle(page);

    // the history lists the move and the undos
    await page.click("#planner .planner-history summary");
    await page.waitForFunction(
      (text) => document.querySelector("#planner .history-list")?.textContent.includes(text),
      `move ${ids.length} buildings to ${move.target}`,
      { timeout: 15_000 },
    );
    assert.match(await page.locator("#planner .history-list").textContent(), /undo \d+/);
    await screenshot(page, "planner-undone");
    assertClean(problems);
  });

  test("name a grid, split it along a line drawn across it, undo both", async () => {
    const { page, problems } = await openPlanner();
    await showBbox(page, grid.bbox);
    const code = grid.id;
    const village = villageOf(code);
    const before = await plan(village);
    const g0 = householdsOf(before, code);
    await page.evaluate((c) => window.gridmap.planner.focusGrid(c, false), code);
    await page.waitForSelector(`#planner .planner-focus[data-grid="${code}"] .grid-name`, { timeout: 30_000 });

    // rename: the panel lists the name, the API has it
    await page.fill("#planner .planner-focus .grid-name", "测试网格");
    await page.click("#planner .planner-focus .rename-grid");
    await page.waitForSelector(`#planner .grid-row[data-grid="${code}"] .grid-row-name`, { timeout: 30_000 });
    assert.equal((await plan(village)).grids.find((g) => g.code === code).name, "测试网格");

    // staff: the id typed (or picked from the names the search offers) is stored
    const mine = before.grids.find((g) => g.code === code).staff;
    const other = before.grids.find((g) => g.code !== code && g.staff && g.staff !== mine);
    assert.ok(other, "another grid has another staff member");
    await page.fill("#planner .planner-focus .grid-staff", other.staff);
    await page.click("#planner .planner-focus .set-staff");
    await page.waitForSelector("#planner .planner-status.status-ok", { timeout: 30_000 });
    await page.waitForFunction(() => !window.gridmap.planner.state().busy);
    assert.equal(
      (await plan(village)).grids.find((g) => g.code === code).staff,
      other.staff,
      "the new staff member is stored",
    );

    // a vertical line through the middle of the grid's drawn buildings, past its box
    const line = await page.evaluate(
      ({ code, bbox }) => {
        const map = window.gridmap.map;
        const xs = map
          .queryRenderedFeatures({ layers: ["buildings-fill", "buildings-estimated-fill"] })
          .filter((f) => String(f.properties.grids) === code)
          .map((f) => {
            const ring = (f.geometry.type === "Polygon" ? f.geometry.coordinates : f.geometry.coordinates[0])[0];
            return map.project(ring[0]).x;
          })
          .sort((a, b) => a - b);
        const top = map.project([bbox[0], bbox[3]]).y - 15;
        const bottom = map.project([bbox[0], bbox[1]]).y + 15;
        return { x: Math.round(xs[Math.floor(xs.length / 2)]), top: Math.round(top), bottom: Math.round(bottom) };
      },
      { code, bbox: grid.bbox },
    );
    assert.ok(Number.isFinite(line.x), `buildings of ${code} are drawn`);
    await page.click("#planner .planner-focus .split-line");
    await page.waitForSelector("#planner .split-line-hint");
    await page.mouse.move(line.x + 0.5, line.top);
    await page.mouse.down();
    await page.mouse.move(line.x + 0.5, line.bottom, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector("#planner .planner-status.status-ok", { timeout: 30_000 });
    const split = await plan(village);
    assert.equal(split.grids.length, before.grids.length + 1, "one grid more");
    const created = split.grids.find((g) => !before.grids.some((b) => b.code === g.code));
    assert.equal(householdsOf(split, code) + created.households, g0, "the two parts hold the grid's households");
    assert.ok(householdsOf(split, code) >= created.households, "the larger part keeps the code");
    assert.equal(split.grids.find((g) => g.code === code).name, "测试网格", "and the name");
    await panelShows(page, created.code, created.households);
    await screenshot(page, "planner-split-line");

    // Ctrl+Z three times: the split, the staff, then the name, are undone
    await page.keyboard.press("Control+z");
    await panelShows(page, code, g0);
    await page.waitForFunction((c) => !document.querySelector(`#planner .grid-row[data-grid="${c}"]`), created.code, {
      timeout: 30_000,
    });
    await page.keyboard.press("Control+z");
    await page.waitForSelector("#planner .planner-status.status-ok", { timeout: 30_000 });
    await page.waitForFunction(() => !window.gridmap.planner.state().busy);
    await page.keyboard.press("Control+z");
    await page.waitForFunction(
      (c) => !document.querySelector(`#planner .grid-row[data-grid="${c}"] .grid-row-name`),
      code,
      { timeout: 30_000 },
    );
    const undone = await plan(village);
    assert.deepEqual(
      undone.grids.map((g) => [g.code, g.households, g.name ?? null, g.staff]),
      before.grids.map((g) => [g.code, g.households, g.name ?? null, g.staff]),
      "the village is as it was",
    );
    assertClean(problems);
  });

  test("select a split high-rise, give one flat to its next grid, undo", async () => {
    // a split tower: the plan CSV of some village lists flat ranges
    const labels = await getJson(server.base, "/api/labels");
    const villages = labels.features.filter((f) => f.properties.level === "village").map((f) => f.properties.code);
    let tower = null;
    for (const v of villages) {
      const res = await fetch(`${server.base}/api/villages/${v}/plan.csv`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      const rows = (await res.text()).split(/\r?\n/).slice(1);
      const split = rows.map((r) => r.split(",")).find((cells) => cells[2]?.trim());
      if (split) {
        tower = split[0];
        break;
      }
    }
    assert.ok(tower, "the synthetic county has a high-rise split by flats");
    const before = await getJson(server.base, `/api/buildings/${encodeURIComponent(tower)}`, { token: TOKEN });
    assert.ok(before.flats.length > 1, `${tower} lists its flat ranges`);
    const [first, second] = before.flats;

    const { page, problems } = await openPlanner();
    await showBbox(page, before.bbox);
    const at = await page.evaluate((b) => {
      const p = window.gridmap.map.project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
      return { x: Math.round(p.x), y: Math.round(p.y) };
    }, before.bbox);
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`#planner .planner-tower[data-building="${tower}"]`, { timeout: 30_000 });
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll("#planner .tower-flats .flat-count")].map((i) => [i.dataset.grid, Number(i.value)]),
    );
    assert.deepEqual(
      shown.slice(0, 2),
      [
        [first.grid, first.end - first.start],
        [second.grid, second.end - second.start],
      ],
      "the panel lists the tower's grids in flat order with their flats",
    );
    assert.ok(await page.isDisabled("#planner .move-flats"), "nothing changed yet");

    // one flat fewer for the first grid: one flat left over, nothing to send
    await page.fill(`#planner .flat-count[data-grid="${first.grid}"]`, String(first.end - first.start - 1));
    await page.waitForFunction(() => /1/.test(document.querySelector("#planner .flats-left")?.textContent ?? ""));
    assert.ok(await page.isDisabled("#planner .move-flats"));
    // and one more for the second: the counts add up again
    await page.fill(`#planner .flat-count[data-grid="${second.grid}"]`, String(second.end - second.start + 1));
    await page.waitForFunction(() => !document.querySelector("#planner .move-flats")?.disabled);
    await page.click("#planner .move-flats");
    await page.waitForSelector("#planner .planner-status.status-ok", { timeout: 30_000 });
    const after = await getJson(server.base, `/api/buildings/${encodeURIComponent(tower)}`, { token: TOKEN });
    assert.deepEqual(after.flats.slice(0, 2), [
      { grid: first.grid, start: first.start, end: first.end - 1 },
      { grid: second.grid, start: second.start - 1, end: second.end },
    ]);

    // Ctrl+Z: the flats go back
    await page.keyboard.press("Control+z");
    await page.waitForFunction(
      async ({ id, want }) => {
        const b = await fetch(`api/buildings/${encodeURIComponent(id)}`).then((r) => r.json());
        return JSON.stringify(b.flats) === want;
      },
      { id: tower, want: JSON.stringify(before.flats) },
      { timeout: 30_000, polling: 250 },
    );
    assertClean(problems);
  });

  test("Shift+click adds and removes, Esc clears; an edit of grids changed meanwhile is refused and the village reloads", async () => {
    const { page, problems } = await openPlanner();
    await showBbox(page, grid.bbox);
    const first = await selectOneBuilding(page);
    const from = first.grids[0];
    const village = villageOf(from);
    const second = await page.evaluate(
      ({ skip, m, village }) => {
        const map = window.gridmap.map;
        const c = map.getCanvas();
        for (let y = m.top; y < c.clientHeight - m.bottom; y += 9) {
          for (let x = m.left; x < c.clientWidth - m.right; x += 9) {
            const f = map.queryRenderedFeatures([x, y], { layers: ["buildings-fill"] })[0];
            const grids = String(f?.properties.grids ?? "");
            if (f && String(f.properties.id) !== skip && grids.startsWith(`${village}-`) && !grids.includes(","))
              return { x, y };
          }
        }
        return null;
      },
      { skip: first.id, m: MARGINS, village },
    );
    assert.ok(second, "a second building of the village is drawn");
    await page.keyboard.down("Shift");
    await page.mouse.click(second.x, second.y);
    await page.waitForSelector('#planner .planner-selection[data-buildings="2"]');
    await page.mouse.click(second.x, second.y);
    await page.keyboard.up("Shift");
    await page.waitForSelector('#planner .planner-selection[data-buildings="1"]');
    await page.keyboard.press("Escape");
    await page.waitForSelector('#planner .planner-selection[data-buildings="0"]');

    // select again, aim at another grid of the village, then someone else edits that grid
    await page.mouse.click(first.x, first.y);
    await page.waitForSelector('#planner .planner-selection[data-buildings="1"]');
    await page.waitForSelector("#planner .grid-row");
    const loaded = await plan(village);
    const to = loaded.grids.find((g) => g.code !== from && !g.locked && !g.institution);
    await page.selectOption("#planner .move-target", to.code);
    await page.waitForSelector(`#planner .grid-row.target[data-grid="${to.code}"]`);
    for (const locked of [true, false]) await patchGrid(to.code, { locked });
    const changed = householdsOf(loaded, to.code);
    const version = (await plan(village)).grids.find((g) => g.code === to.code).version;
    assert.ok(version > to.version, "someone else's edits raised the grid's version");

    await page.click("#planner .move-confirm");
    await page.waitForSelector("#planner .planner-status.status-error");
    const message = await page.locator("#planner .planner-status").textContent();
    assert.match(message, new RegExp(to.code), "the refusal names the grid that changed");
    await page.waitForFunction(
      ({ code, version }) =>
        window.gridmap.planner.state().plan?.grids.find((g) => g.code === code)?.version === version,
      { code: to.code, version },
      { timeout: 15_000 },
    );
    await panelShows(page, to.code, changed);
    await screenshot(page, "planner-conflict");

    // with the reloaded versions the same move goes through, and Ctrl+Z takes it back
    await page.click("#planner .move-confirm");
    await panelShows(page, to.code, changed + first.households);
    await page.keyboard.press("Control+z");
    await panelShows(page, to.code, changed);
    await waitForMapIdle(page);
    // the refused edit's 409 is expected, nothing else
    const expected = (p) =>
      (p.startsWith("HTTP 409: ") && p.endsWith(`/api/villages/${village}/edits`)) ||
      (p.startsWith("console error: ") && p.includes("409"));
    assert.equal(problems.filter((p) => p.startsWith("HTTP 409")).length, 1, "one refused edit");
    assertClean(problems.filter((p) => !expected(p)));
  });

  test("a staff member over the household limit is listed in red; with a building selected, rebalance takes only its grid", async () => {
    const village = villageOf(grid.id);
    const before = await plan(village);
    // The staff member of grid.id also takes other grids of the village, largest first, until
    // they serve more households than the limit (PATCH with the version as If-Match).
    const staff = (await getJson(server.base, `/api/grids/${grid.id}`)).staff;
    assert.ok(staff, `grid ${grid.id} has a staff member`);
    let load = before.grids.filter((g) => g.staff === staff.id).reduce((n, g) => n + g.households, 0);
    const others = before.grids.filter((g) => g.staff !== staff.id).sort((a, b) => b.households - a.households);
    const patches = [];
    while (load <= before.max_staff_households) {
      const g = others.shift();
      assert.ok(g, "enough grids to go over the limit");
      patches.push((await patchGrid(g.code, { staff: staff.id })).change);
      load += g.households;
    }

    const { page, problems } = await openPlanner();
    await showBbox(page, grid.bbox);
    await page.evaluate((code) => window.gridmap.planner.focusGrid(code, false), grid.id);
    const overload = page.locator('#planner .issue[data-kind="staff_overload"] .issue-link');
    await overload.first().waitFor();
    const text = await overload.first().textContent();
    assert.ok(text.includes(staff.name) && text.includes(String(before.max_staff_households)), text);
    const colour = await overload.first().evaluate((el) => getComputedStyle(el).color);
    assert.equal(colour, "rgb(215, 48, 31)", "shown in red like the other issues");
    assert.match(await page.locator("#planner .staff-overloaded").textContent(), new RegExp(staff.name));
    await screenshot(page, "planner-staff-overload");

    const code = (await selectOneBuilding(page)).grids[0];
    const mine = villageOf(code);
    const shown = await plan(mine);

    // one building selected: the button rebalances its grid only
    const button = page.locator("#planner .rebalance");
    await page.waitForSelector(`#planner .rebalance[data-grids="${code}"]`);
    assert.equal((await button.textContent()).trim(), "重新平衡 1 个网格");
    await button.click();
    await page.waitForSelector("#planner .planner-status.status-ok");
    const after = await plan(mine);
    for (const g of shown.grids.filter((g) => g.code !== code))
      assert.equal(householdsOf(after, g.code), g.households, `grid ${g.code} stays as it was`);
    const { changes } = await getJson(server.base, "/api/changes?limit=1", { token: TOKEN });
    assert.equal(changes[0].operation, `rebalance grids ${code} of ${mine}`);
    // the edit cleared the selection: the button is the village's again
    await page.waitForSelector('#planner .rebalance[data-grids=""]');
    assert.equal((await button.textContent()).trim(), "重新平衡");

    // leave the data as it was: the rebalance, then the staff changes, newest first
    for (const change of [changes[0].id, ...patches.reverse()]) {
      const res = await fetch(`${server.base}/api/changes/${change}/undo`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      assert.ok(res.ok, `undo ${change}: HTTP ${res.status}`);
    }
    assertClean(problems);
  });

  test("at 1366×768 the planner's controls are on screen and the panel scrolls", async () => {
    const { page, problems } = await openPlanner({ width: 1366, height: 768 });
    await showBbox(page, grid.bbox);
    const target = await pickBuildingPixel(page, { households: true, single: true, margins: MARGINS });
    assert.ok(target, "a building is drawn beside the panel");
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector('#planner .planner-selection[data-buildings="1"]');
    await page.waitForSelector("#planner .planner-summary");
    await page.waitForSelector("#planner .grid-row");
    const controls = [
      ".planner-toggle",
      "#planner .lasso-toggle",
      "#planner .undo",
      "#planner .redo",
      "#planner .planner-help summary",
      "#planner .move-target",
      "#planner .pick-target",
      "#planner .move-confirm",
      "#planner .new-grid",
      "#planner .clear-selection",
      "#planner .lock-village",
      "#planner .rebalance",
    ];
    for (const sel of controls) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box, `${sel} is shown`);
      assert.ok(
        box.x >= 0 && box.y >= 0 && box.x + box.width <= 1366 && box.y + box.height <= 768,
        `${sel} lies inside the 1366×768 window: ${JSON.stringify(box)}`,
      );
    }
    const panel = await page.locator("#planner").boundingBox();
    assert.ok(panel.y + panel.height <= 768, "the panel ends inside the window");
    const scroll = await page.evaluate(() => {
      const body = document.querySelector("#planner .planner-body");
      return { overflow: getComputedStyle(body).overflowY, more: body.scrollHeight > body.clientHeight };
    });
    assert.equal(scroll.overflow, "auto", "the panel body scrolls");
    // what lies below (the issues, the history) is reached by scrolling the panel
    await page.locator("#planner .planner-history summary").scrollIntoViewIfNeeded();
    const history = await page.locator("#planner .planner-history summary").boundingBox();
    assert.ok(history.y >= 0 && history.y + history.height <= 768, "the history is reached by scrolling");
    // the shortcuts are documented in the help tooltip
    await page.click("#planner .planner-help summary");
    const help = await page.locator("#planner .help-pop").textContent();
    for (const key of ["Ctrl+Z", "Ctrl+Shift+Z", "Esc", "M", "L"]) assert.ok(help.includes(key), `help names ${key}`);
    // the legend is folded away beside the panel (its ☰ button stays), and comes back
    // when the planner closes
    assert.ok(await page.locator(".gridmap-layers .layers-body").isHidden(), "the legend is folded");
    assert.ok(await page.locator(".gridmap-layers .layers-toggle").isVisible());
    await screenshot(page, "planner-1366");
    await page.click(".planner-toggle");
    await page.waitForSelector(".gridmap-layers .layers-body", { state: "visible" });
    assertClean(problems);
  });

  test("save a version, move buildings, compare, restore; download the roster; a bad plan CSV names its line", async () => {
    const { page, problems } = await openPlanner();
    await showBbox(page, grid.bbox);
    const village = villageOf(grid.id);
    await page.evaluate((code) => window.gridmap.planner.focusGrid(code, false), grid.id);
    await page.waitForSelector(`#planner .planner-summary[data-village="${village}"]`);

    // save the plan as it is under a name; the list shows it, a second save of the name is refused
    const saved = await plan(village);
    const name = `before test ${Date.now()}`;
    await page.click("#planner .planner-versions summary");
    await page.waitForSelector("#planner .version-list, #planner .versions-empty");
    await page.fill("#planner .version-name", name);
    await page.click("#planner .save-version");
    const row = await page.waitForSelector(`#planner .version[data-name="${name}"]`, { timeout: 15_000 });
    const id = Number(await row.getAttribute("data-version"));
    const listed = await getJson(server.base, `/api/villages/${village}/versions`, { token: TOKEN });
    const mine = listed.find((v) => v.id === id);
    assert.equal(mine?.name, name, "the API lists the saved version");
    assert.equal(mine.households, saved.households);
    assert.match(await row.textContent(), new RegExp(`${saved.households}`), "the list shows its households");
    await page.fill("#planner .version-name", name);
    await page.click("#planner .save-version");
    await page.waitForSelector("#planner .versions-message.status-error");
    assert.ok(
      (await page.locator("#planner .versions-message").textContent()).includes(name),
      "the server's refusal, naming the taken name, is shown",
    );

    // move a few buildings to the neighbouring grid (lasso, target, move)
    const allowed = saved.grids.filter((g) => !g.locked && !g.institution).map((g) => g.code);
    const move = await planMove(page, grid.id, allowed);
    assert.ok(move, `a few buildings of ${grid.id} next to a neighbouring grid are drawn`);
    const moved = move.chosen.reduce((n, b) => n + b.households, 0);
    await lassoSelect(page, move);
    await page.keyboard.press("l");
    await page.selectOption("#planner .move-target", move.target);
    await page.click("#planner .move-confirm");
    await panelShows(page, grid.id, householdsOf(saved, grid.id) - moved);
    await panelShows(page, move.target, householdsOf(saved, move.target) + moved);

    // compare the version with the plan as it is: the households moved, the differing grids drawn
    await page.click(`#planner .version[data-version="${id}"] .version-compare`);
    const box = await page.waitForSelector(`#planner .version-comparison[data-version="${id}"]`, { timeout: 15_000 });
    const cmp = await getJson(server.base, `/api/villages/${village}/versions/compare?from=${id}&to=current`, {
      token: TOKEN,
    });
    assert.equal(cmp.households_moved, moved, "the compare API counts the moved households");
    assert.equal(Number(await box.getAttribute("data-moved")), moved, "the panel shows the households moved");
    assert.match(await box.textContent(), new RegExp(`${moved}`));
    assert.equal(Number(await box.getAttribute("data-features")), cmp.map.features.length);
    assert.ok(cmp.map.features.length > 0);
    await page.waitForFunction(
      () =>
        window.gridmap.map.getLayer("planner-compare-from") &&
        window.gridmap.map.querySourceFeatures("planner-compare").length > 0,
      null,
      { timeout: 15_000, polling: 100 },
    );
    await waitForMapIdle(page);
    await screenshot(page, "planner-compare");

    // restore (after confirming): the grids are back as saved, in the panel and the API
    const undoBefore = await page.evaluate(() => window.gridmap.planner.state().stack.undo);
    page.once("dialog", (d) => d.accept());
    await page.click(`#planner .version[data-version="${id}"] .version-restore`);
    await page.waitForFunction((n) => window.gridmap.planner.state().stack.undo === n, undoBefore + 1, {
      timeout: 30_000,
    });
    for (const g of saved.grids) await panelShows(page, g.code, g.households);
    const restored = await plan(village);
    assert.deepEqual(
      restored.grids.map((g) => [g.code, g.households]),
      saved.grids.map((g) => [g.code, g.households]),
      "the API's plan is the saved one",
    );
    assert.equal(await page.evaluate(() => Boolean(window.gridmap.map.getSource("planner-compare"))), false);

    // the roster as CSV: a file the page saves, its first line the header
    await page.click("#planner .planner-downloads summary");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.click("#planner .download-roster-csv"),
    ]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = (await readFile(await download.path(), "utf8")).replace(/^\uFEFF/, "");
    const roster = await fetch(`${server.base}/api/villages/${village}/roster?format=csv`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.text());
    const header = csv.split(/\r?\n/)[0];
    assert.equal(header, roster.replace(/^\uFEFF/, "").split(/\r?\n/)[0], "the file starts with the roster's header");
    assert.match(header, /,/);
    assert.ok(csv.includes(saved.grids[0].code), "and lists the grids");

    // a plan CSV with a bad third line is refused, the message names the line
    const good = await fetch(`${server.base}/api/villages/${village}/plan.csv`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.text());
    const lines = good.replace(/^\uFEFF/, "").split(/\r?\n/);
    const bad = `${lines[0]}\n${lines[1]}\nno-such-building,${grid.id}\n`;
    await page.setInputFiles("#planner .plan-import", {
      name: "bad-plan.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(bad, "utf8"),
    });
    await page.waitForSelector("#planner .import-status.status-error", { timeout: 15_000 });
    const refusal = await page.locator("#planner .import-status").textContent();
    assert.match(refusal, /line 3/, "the message names the bad line");
    assert.match(refusal, /bad-plan\.csv/);
    assert.deepEqual(
      (await plan(village)).grids.map((g) => [g.code, g.households]),
      saved.grids.map((g) => [g.code, g.households]),
      "nothing changed",
    );
    for (const section of ["planner-versions", "planner-downloads"])
      assert.doesNotMatch(await page.locator(`#planner .${section}`).textContent(), /null|undefined/);
    await screenshot(page, "planner-versions");

    // the refused second save (409) and the refused import (400) are expected, nothing else
    const expected = (p) =>
      (p.startsWith("HTTP 409: ") && p.endsWith(`/api/villages/${village}/versions`)) ||
      (p.startsWith("HTTP 400: ") && p.includes(`/api/villages/${village}/plan.csv`)) ||
      (p.startsWith("console error: ") && /\b(409|400)\b/.test(p));
    assert.equal(problems.filter((p) => p.startsWith("HTTP 4")).length, 2, "one refused save, one refused import");
    assertClean(problems.filter((p) => !expected(p)));
  });
});
