// Browser tests of the web map against a real `gridmap serve` (see harness.js).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, afterEach, before, describe, test } from "node:test";
import {
  assertClean,
  findGrid,
  getJson,
  launchBrowser,
  openPage,
  PASSWORD,
  pickBuildingPixel,
  screenshot,
  showBbox,
  startServer,
  TOKEN,
  waitForMapIdle,
} from "./harness.js";

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

/** Opens `path`, waits for the map, and returns the page with its problem log. */
async function load(path, viewport) {
  const p = await openPage(browser, server.base, viewport);
  open.push(p.context);
  await p.page.goto(`${server.base}${path}`);
  await p.page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
  await waitForMapIdle(p.page);
  return p;
}

/** Clicks a drawn building and waits for the panel to show its building section. */
async function clickBuilding(page, want, margins) {
  const target = await pickBuildingPixel(page, { ...want, margins });
  assert.ok(target, `a building matching ${JSON.stringify(want)} is drawn in the grid's view`);
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector(`#panel:not([hidden]) .building-section[data-building="${cssEscape(target.id)}"]`, {
    timeout: 15_000,
  });
  return target;
}

function cssEscape(s) {
  return s.replace(/["\\]/g, "\\$&");
}

describe("web map", () => {
  test("clicking a building shows its grid code and staff in the panel", async () => {
    const { page, problems } = await load("/");
    await showBbox(page, grid.bbox);
    const target = await clickBuilding(page, { single: true });
    const expected = await getJson(server.base, `/api/lookup?lon=${target.lon}&lat=${target.lat}`);
    assert.equal(String(expected.building?.id), target.id, "the lookup API finds the clicked building");
    const panel = page.locator("#panel");
    await panel.locator(".grid-code").first().waitFor();
    assert.equal((await panel.locator(".grid-code").first().innerText()).trim(), expected.grid.code);
    if (expected.grid.staff) {
      assert.equal(
        (await panel.locator(".grid-section .staff-name").first().innerText()).trim(),
        expected.grid.staff.name,
      );
      assert.ok((await panel.innerText()).includes(expected.grid.staff.phone), "staff phone is shown");
    }
    if (expected.village) assert.ok((await panel.innerText()).includes(expected.village.name), "village is named");
    // One grid level: the legend has no comprehensive-grid row.
    await waitForMapIdle(page);
    assert.equal(await page.locator(".legend-comprehensive").isVisible(), false, "no 综治网格 legend in one level");
    await screenshot(page, "click-building");
    assertClean(problems);
  });

  test("clicking a grid area without a building shows the grid and its staff", async () => {
    const { page, problems } = await load("/");
    await showBbox(page, grid.bbox);
    // a pixel on the grid fill with no building under it
    const target = await page.evaluate(() => {
      const map = window.gridmap.map;
      const c = map.getCanvas();
      for (let y = 120; y < c.clientHeight - 80; y += 7) {
        for (let x = 440; x < c.clientWidth - 300; x += 7) {
          const under = map.queryRenderedFeatures([x, y]);
          const ids = under.map((f) => f.layer.id);
          if (ids.includes("grids-fill") && !ids.some((id) => id.startsWith("buildings"))) {
            const ll = map.unproject([x, y]);
            return { x, y, lon: ll.lng, lat: ll.lat };
          }
        }
      }
      return null;
    });
    assert.ok(target, "some grid area is free of buildings");
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector("#panel:not([hidden]) .grid-section", { timeout: 15_000 });
    const expected = await getJson(server.base, `/api/lookup?lon=${target.lon}&lat=${target.lat}`);
    assert.equal((await page.locator("#panel .grid-code").innerText()).trim(), expected.grid.code);
    assert.equal(await page.locator("#panel .building-section").count(), 0, "no building section");
    await screenshot(page, "click-grid");
    assertClean(problems);
  });

  test("searching a grid code flies to the grid", async () => {
    const { page, problems } = await load("/");
    const before = await page.evaluate(() => window.gridmap.map.getCenter().toArray());
    await page.fill("#search input", grid.id);
    const option = page.locator(`#search-results li[data-kind="grid"][data-id="${grid.id}"]`);
    await option.waitFor({ timeout: 15_000 });
    await option.click();
    await page.waitForSelector(`#panel:not([hidden]) .grid-section[data-grid="${grid.id}"]`, { timeout: 15_000 });
    await waitForMapIdle(page);
    const view = await page.evaluate(() => {
      const m = window.gridmap.map;
      return { center: m.getCenter().toArray(), bounds: m.getBounds().toArray() };
    });
    assert.notDeepEqual(view.center, before, "the map moved");
    const [[w, s], [e, n]] = view.bounds;
    const [gw, gs, ge, gn] = grid.bbox;
    const eps = 1e-6;
    assert.ok(gw >= w - eps && ge <= e + eps && gs >= s - eps && gn <= n + eps, "the grid's bbox is in view");
    assert.equal((await page.locator("#panel .grid-code").innerText()).trim(), grid.id);
    await screenshot(page, "search-grid");
    assertClean(problems);
  });

  test("searching a staff name lists the staff member's grids", async () => {
    const g = await getJson(server.base, `/api/grids/${encodeURIComponent(grid.id)}`);
    assert.ok(g.staff, "the synthetic county staffs every grid");
    const { page, problems } = await load("/");
    await page.fill("#search input", g.staff.name);
    const option = page.locator(`#search-results li[data-kind="staff"][data-id="${g.staff.id}"]`);
    await option.waitFor({ timeout: 15_000 });
    await option.click();
    await page.waitForSelector("#panel:not([hidden]) .staff-section", { timeout: 15_000 });
    const text = await page.locator("#panel").innerText();
    assert.ok(text.includes(g.staff.name), "the staff member is named");
    assert.ok(text.includes(g.staff.phone), "with the phone");
    for (const code of g.staff.grids) assert.ok(text.includes(code), `lists grid ${code}`);
    await screenshot(page, "search-staff");
    assertClean(problems);
  });

  test("signed in, a staff member's panel shows the notice-board photo and a planner replaces it", async () => {
    const g = await getJson(server.base, `/api/grids/${encodeURIComponent(grid.id)}`);
    // Two 8×6 PNGs, red then blue: the photo put through the API, then the one uploaded.
    const png = (b64) => Buffer.from(b64, "base64");
    const red = png(
      "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAEUlEQVR4nGM4ISeHFTEMpAQAaYgwwWSFouIAAAAASUVORK5CYII=",
    );
    const blue = png(
      "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAEElEQVR42mNgYPiPAw2gBADTeS/RAf2AQQAAAABJRU5ErkJggg==",
    );
    const path = `/api/staff/${encodeURIComponent(g.staff.id)}/photo`;
    const put = await fetch(`${server.base}${path}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "image/png" },
      body: red,
    });
    assert.equal(put.status, 200);
    const { page, problems } = await load(`/#token=${TOKEN}`);
    await page.fill("#search input", g.staff.name);
    await page.locator(`#search-results li[data-kind="staff"][data-id="${g.staff.id}"]`).click();
    const img = page.locator("#panel:not([hidden]) .staff-section img.staff-photo");
    await page.waitForFunction(
      () => {
        const i = document.querySelector("#panel .staff-section img.staff-photo");
        return i && !i.hidden && i.complete && i.naturalWidth === 8;
      },
      null,
      { timeout: 15_000 },
    );
    const before = await img.getAttribute("src");
    await page.setInputFiles("#panel .staff-photo-upload input", {
      name: "blue.png",
      mimeType: "image/png",
      buffer: blue,
    });
    await page.waitForFunction((old) => document.querySelector("#panel img.staff-photo").src !== old, before, {
      timeout: 15_000,
    });
    const stored = await fetch(`${server.base}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), blue, "the uploaded photo replaced the first");
    await screenshot(page, "staff-photo");
    assertClean(problems);
  });

  test("?lang=en shows the English interface, the default is Chinese", async () => {
    const en = await load("/?lang=en");
    assert.equal(await en.page.getAttribute("html", "lang"), "en");
    assert.match(await en.page.getAttribute("#search input", "placeholder"), /Search/);
    assert.match(await en.page.locator(".gridmap-layers").innerText(), /Layers/);
    await screenshot(en.page, "lang-en");
    assertClean(en.problems);

    const zh = await load("/");
    assert.equal(await zh.page.getAttribute("html", "lang"), "zh-CN");
    assert.match(await zh.page.getAttribute("#search input", "placeholder"), /搜索/);
    assert.match(await zh.page.locator(".gridmap-layers").innerText(), /图层/);
    assertClean(zh.problems);
  });

  test("the sign-in form opens a session that lists household heads; a wrong password says so", async () => {
    const { page, problems } = await load("/");
    assert.equal(await page.evaluate(() => document.body.classList.contains("signed-out")), true);
    await page.click(".login-button");
    await page.fill("#login input[name=login]", "browser");
    await page.fill("#login input[name=password]", "not the password");
    await page.click("#login button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#login .login-error").textContent.length > 0);
    assert.match(await page.locator("#login .login-error").innerText(), /用户名或密码错误/);
    // The refusal is the one problem this page may show.
    assert.deepEqual(
      problems.splice(0).filter((p) => !p.includes("401")),
      [],
    );
    await page.fill("#login input[name=password]", PASSWORD);
    await Promise.all([page.waitForEvent("load"), page.click("#login button[type=submit]")]);
    await page.waitForFunction(() => window.gridmap?.map && document.body.classList.contains("has-token"), null, {
      timeout: 30_000,
    });
    const session = (await page.context().cookies()).find((c) => c.name === "gridmap_session");
    assert.ok(session, "the session cookie is set");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.equal(
      await page.evaluate(() => document.cookie.includes("gridmap_session")),
      false,
      "scripts cannot read it",
    );
    await waitForMapIdle(page);
    await showBbox(page, grid.bbox);
    await clickBuilding(page, { households: true, registered: true });
    assert.ok((await page.locator("#panel .household-head").count()) > 0, "heads are listed when signed in");
    assertClean(problems);
  });

  test("with #token= the panel lists household heads, without it no head or phone", async () => {
    const withToken = await load(`/#token=${TOKEN}`);
    assert.ok(!(await withToken.page.evaluate(() => window.location.hash)).includes("token"), "token left the URL");
    await showBbox(withToken.page, grid.bbox);
    const target = await clickBuilding(withToken.page, { households: true, registered: true });
    const full = await getJson(server.base, `/api/buildings/${encodeURIComponent(target.id)}`, { token: TOKEN });
    const heads = full.household_list.map((h) => h.head).filter(Boolean);
    assert.ok(heads.length > 0, "the API returns household heads with the token");
    const shown = await withToken.page.locator("#panel .household-head").allInnerTexts();
    assert.ok(shown.length > 0, "heads are listed");
    assert.ok(
      shown.every((h) => heads.includes(h.trim())),
      "the listed heads are the building's",
    );
    await screenshot(withToken.page, "token-households");

    // the badge leaves the staff view: after the reload (same view, from the hash) no heads
    await Promise.all([withToken.page.waitForEvent("load"), withToken.page.click(".token-badge")]);
    await withToken.page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
    await waitForMapIdle(withToken.page);
    assert.equal(await withToken.page.evaluate(() => document.body.classList.contains("has-token")), false);
    await showBbox(withToken.page, grid.bbox); // exactly the view of the first click (the hash rounds it)
    await withToken.page.mouse.click(target.x, target.y);
    await withToken.page.waitForSelector(
      `#panel:not([hidden]) .building-section[data-building="${cssEscape(target.id)}"]`,
      { timeout: 15_000 },
    );
    assert.equal(await withToken.page.locator("#panel .household-head").count(), 0, "no heads after leaving");
    assertClean(withToken.problems);

    const anon = await load("/");
    await showBbox(anon.page, grid.bbox);
    await anon.page.evaluate(() => sessionStorage.clear());
    await anon.page.mouse.click(target.x, target.y);
    await anon.page.waitForSelector(`#panel:not([hidden]) .building-section[data-building="${cssEscape(target.id)}"]`, {
      timeout: 15_000,
    });
    assert.equal(await anon.page.locator("#panel .household-head, #panel .household-phone").count(), 0);
    const text = await anon.page.locator("#panel").innerText();
    for (const h of full.household_list) {
      if (h.head) assert.ok(!text.includes(h.head), "no head name in the public panel");
      if (h.phone) assert.ok(!text.includes(h.phone), "no household phone in the public panel");
    }
    await screenshot(anon.page, "public-households");
    assertClean(anon.problems);
  });

  test("a high-rise split between grids lists each grid as a link", async () => {
    // Regression: nested child arrays were stringified ("[object HTMLButtonElement]").
    const { page, problems } = await load("/");
    const links = await page.evaluate(async () => {
      const { createPanel } = await import("/static/panel.js");
      const opened = [];
      const panel = createPanel(document.getElementById("panel"), {
        fitBounds: () => {},
        showGrid: (code) => opened.push(code),
        onClose: () => {},
      });
      panel.showBuilding({
        id: "t:1",
        use: "residential",
        levels: 30,
        households: 120,
        estimated: false,
        address: "1号楼",
        grids: ["X-001", "X-002", "X-003"],
        household_list: [],
      });
      const buttons = [...document.querySelectorAll("#panel .grid-links button")];
      buttons[1]?.click();
      return { texts: buttons.map((b) => b.textContent), opened, text: document.getElementById("panel").innerText };
    });
    assert.deepEqual(links.texts, ["X-001", "X-002", "X-003"]);
    assert.deepEqual(links.opened, ["X-002"], "a grid link opens that grid");
    assert.ok(!links.text.includes("[object"), "no stringified elements");
    await screenshot(page, "split-tower-links");
    assertClean(problems);
  });

  test("the layer switcher hides and shows the grid layers", async () => {
    const { page, problems } = await load("/");
    await showBbox(page, grid.bbox);
    const box = page.locator('.gridmap-layers input[data-group="grids"]');
    await box.uncheck();
    const hidden = await page.evaluate(() =>
      ["grids-fill", "grids-line"].map((id) => window.gridmap.map.getLayoutProperty(id, "visibility")),
    );
    assert.deepEqual(hidden, ["none", "none"]);
    await waitForMapIdle(page);
    const drawn = await page.evaluate(
      () => window.gridmap.map.queryRenderedFeatures({ layers: ["grids-fill"] }).length,
    );
    assert.equal(drawn, 0, "no grid is drawn while the layer is off");
    await screenshot(page, "layers-grids-off");
    await box.check();
    assert.equal(
      await page.evaluate(() => window.gridmap.map.getLayoutProperty("grids-fill", "visibility")),
      "visible",
    );
    assertClean(problems);
  });

  test("the heat switch shows the incident heat and the incident box", async () => {
    // an incident inside the grid's view, so there is heat to draw
    const services = await getJson(server.base, "/open311/v2/services.json");
    const [w, s, e, n] = grid.bbox;
    const res = await fetch(`${server.base}/api/incidents`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        category: services[0].service_code,
        lon: (w + e) / 2,
        lat: (s + n) / 2,
        description: "map test",
      }),
    });
    assert.ok(res.ok, `POST /api/incidents: HTTP ${res.status}`);
    const { page, problems } = await load("/");
    await showBbox(page, grid.bbox);
    const box = page.locator('.gridmap-layers input[data-group="heat"]');
    assert.equal(await box.isChecked(), false, "off by default");
    assert.equal(await page.evaluate(() => window.gridmap.map.getLayoutProperty("heat-fill", "visibility")), "none");
    await box.check();
    assert.equal(await page.evaluate(() => window.gridmap.map.getLayoutProperty("heat-fill", "visibility")), "visible");
    await page.evaluate(() => window.gridmap.map.setZoom(Math.min(window.gridmap.map.getZoom(), 11.5)));
    await page.waitForFunction(
      () =>
        window.gridmap.map.areTilesLoaded() &&
        window.gridmap.map.queryRenderedFeatures({ layers: ["heat-fill"] }).some((f) => Number(f.properties.count) > 0),
      null,
      { timeout: 30_000, polling: 200 },
    );
    await page.waitForSelector('#incidents:not([hidden]) [data-counter="open"]', { timeout: 15_000 });
    const openBefore = Number(await page.locator('#incidents [data-counter="open"] .value').textContent());
    assert.ok(openBefore >= 1);
    // live: a new incident in view reaches the box's counter and list without a reload
    const second = await fetch(`${server.base}/api/incidents`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ category: services[0].service_code, lon: (w + e) / 2, lat: (s + n) / 2 }),
    }).then((r) => r.json());
    const id = second.incident?.id ?? second.id;
    await page.waitForFunction(
      (n) => Number(document.querySelector('#incidents [data-counter="open"] .value')?.textContent) > n,
      openBefore,
      { timeout: 10_000, polling: 50 },
    );
    await page.locator(`#incidents .incident-list li[data-id="${id}"]`).waitFor({ timeout: 5000 });
    // from zoom 12 the incidents are points: clicking one shows its public details
    await page.evaluate((c) => window.gridmap.map.jumpTo({ center: c, zoom: 16 }), [(w + e) / 2, (s + n) / 2]);
    await waitForMapIdle(page);
    const hit = await page.evaluate(() => {
      const map = window.gridmap.map;
      const f = map.queryRenderedFeatures({ layers: ["incident-points"] })[0];
      if (!f) return null;
      const p = map.project(f.geometry.coordinates);
      return { x: p.x, y: p.y, id: String(f.properties.id) };
    });
    assert.ok(hit, "the incidents are drawn as points");
    await page.mouse.click(hit.x, hit.y);
    await page.waitForSelector(`#panel:not([hidden]) .incident-section[data-incident="${hit.id}"]`, {
      timeout: 15_000,
    });
    await screenshot(page, "map-incident");
    assert.ok(await page.locator(".legend-heat:not([hidden])").count(), "the legend shows the heat ramp");
    await screenshot(page, "map-heat");
    await box.uncheck();
    assert.equal(await page.locator("#incidents").isHidden(), true, "the box goes with the layer");
    assertClean(problems);
  });

  test("signed in, the camera switch draws view sectors and outlines the grids no camera sees", async () => {
    const anon = await load("/");
    assert.equal(await anon.page.locator('.gridmap-layers input[data-group="cameras"]').count(), 0, "public: none");
    assertClean(anon.problems);

    const fc = await getJson(server.base, "/api/cameras", { token: TOKEN });
    const online = fc.features.find((f) => f.properties.kind === "camera" && f.properties.status === "online");
    assert.ok(online, "the synthetic county has an online camera");
    const report = await getJson(server.base, "/api/cameras/coverage", { token: TOKEN });
    assert.ok(report.uncovered > 0 && report.uncovered < report.grids.length, "some grids are seen, some not");

    const { page, problems } = await load(`/#token=${TOKEN}`);
    const box = page.locator('.gridmap-layers input[data-group="cameras"]');
    assert.equal(await box.isChecked(), false, "off by default");
    const [lon, lat] = online.geometry.coordinates;
    await page.evaluate((c) => window.gridmap.map.jumpTo({ center: c, zoom: 16 }), [lon, lat]);
    await waitForMapIdle(page);
    await box.check();
    await page.waitForSelector(".legend-cameras:not([hidden])", { timeout: 15_000 });
    await page.waitForFunction(
      () =>
        window.gridmap.map.areTilesLoaded() &&
        window.gridmap.map.queryRenderedFeatures({ layers: ["camera-sectors"] }).length > 0,
      null,
      { timeout: 30_000, polling: 200 },
    );
    const points = await page.evaluate(() =>
      window.gridmap.map.queryRenderedFeatures({ layers: ["camera-points"] }).map((f) => f.properties.id),
    );
    assert.ok(points.includes(online.properties.id), "the camera's point is drawn where it stands");
    const legend = await page.locator(".legend-uncovered").textContent();
    assert.ok(legend.includes(`${report.uncovered} / ${report.grids.length}`), legend);
    const filter = await page.evaluate(() => window.gridmap.map.getFilter("grids-uncovered"));
    assert.equal(filter[2][1].length, report.uncovered, "every uncovered grid is outlined");
    await screenshot(page, "map-cameras");
    await box.uncheck();
    assert.equal(await page.locator(".legend-cameras").isHidden(), true, "the legend goes with the layer");
    assertClean(problems);
  });

  test("in 3D a tower opens floor by floor; a flat shows its household and situations are marked", async () => {
    const hits = await getJson(server.base, `/api/search?q=${encodeURIComponent("号楼")}&limit=5`, { token: TOKEN });
    const tower = hits.results.find((r) => r.kind === "address");
    assert.ok(tower, "the synthetic county has towers");
    const full = await getJson(server.base, `/api/buildings/${encodeURIComponent(tower.id)}`, { token: TOKEN });
    const floors = new Set(full.household_list.map((x) => x.floor));
    assert.ok(floors.size >= 2, "a tower of several floors");

    const { page, problems } = await load(`/#token=${TOKEN}`);
    await showBbox(page, tower.bbox);
    await page.locator('.gridmap-layers input[data-group="buildings3d"]').check();
    await page.waitForFunction(() => window.gridmap.map.getPitch() > 40, null, { timeout: 10_000 });
    await waitForMapIdle(page);
    const target = await page.evaluate((id) => {
      const map = window.gridmap.map;
      const f = map.queryRenderedFeatures({ layers: ["buildings-3d"] }).find((x) => String(x.properties.id) === id);
      if (!f) return null;
      // The tower's top, where nothing stands in front of it.
      const levels = Number(f.properties.levels ?? 1);
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const lon = ring.reduce((a, c) => a + c[0], 0) / ring.length;
      const lat = ring.reduce((a, c) => a + c[1], 0) / ring.length;
      for (let k = 0; k <= 10; k++) {
        const p = map.project([lon, lat]);
        const y = p.y - (k / 10) * levels * 3 * 2;
        const hit = map.queryRenderedFeatures([p.x, y], { layers: ["buildings-3d"] })[0];
        if (hit && String(hit.properties.id) === id) return { x: p.x, y };
      }
      return null;
    }, tower.id);
    assert.ok(target, "the tower is drawn raised and can be hit");
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector(`#panel:not([hidden]) .building-section[data-building="${cssEscape(tower.id)}"]`, {
      timeout: 15_000,
    });
    await page.click(".floors-section summary");
    const rows = await page.locator(".floor-diagram .floor-row").count();
    assert.equal(rows, floors.size, "one row per floor");
    assert.equal(await page.locator(".floor-diagram .flat").count(), full.household_list.length, "one cell per flat");

    // The situation most flats have is marked on exactly those flats.
    const groups = ["floating", "rental", "elderly_alone", "low_income", "disability", "key_care"];
    const having = (g) => full.household_list.filter((x) => (x.tag_groups ?? []).includes(g)).length;
    const group = groups.reduce((a, b) => (having(b) > having(a) ? b : a));
    await page.selectOption(".tag-picker select", group);
    assert.equal(await page.locator(".floor-diagram .flat.marked").count(), having(group));

    const flat = full.household_list.find((x) => x.head);
    await page.click(`.floor-diagram .flat[data-household="${cssEscape(flat.id)}"]`);
    await page.waitForSelector(".flat-detail:not([hidden])");
    assert.equal((await page.locator(".flat-detail .flat-head").textContent()).trim(), flat.head);
    // The grid's households by situation follow in the panel, as the API counts them.
    const section = page.locator(".situations-section[data-grid]");
    await section.waitFor({ timeout: 15_000 });
    const code = await section.getAttribute("data-grid");
    const [stats] = await getJson(server.base, `/api/situations?grid=${code}`, { token: TOKEN });
    assert.equal(Number(await section.locator(`[data-group="${group}"]`).textContent()), stats.groups[group]);
    // Then the village's, with its statistics per grid as a CSV download.
    const villageSection = page.locator(`.situations-section[data-village="${code.slice(0, 12)}"]`);
    await villageSection.waitFor({ timeout: 15_000 });
    const [villageStats] = await getJson(server.base, `/api/situations?village=${code.slice(0, 12)}&by=village`, {
      token: TOKEN,
    });
    assert.equal(
      Number(await villageSection.locator(`[data-group="${group}"]`).textContent()),
      villageStats.groups[group],
    );
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15_000 }),
      villageSection.locator(".situation-csv").first().click(),
    ]);
    const csvText = await readFile(await download.path(), "utf8");
    const csvLines = csvText.trim().split(/\r?\n/);
    assert.ok(csvLines[0].includes("low_income"), "a header naming the situations");
    const microRows = csvLines.slice(1).filter((line) => line.split(",")[2] === "1");
    assert.equal(microRows.length, villageStats.grids, "a row per grid of the village");
    // And the grid's contact cards, printed by the server as a PDF.
    const [printout] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.locator(`.print-section[data-grid="${code}"] .print-link[data-print$="-cards.pdf"]`).click(),
    ]);
    assert.equal(printout.suggestedFilename(), `${code}-cards.pdf`);
    const pdf = await readFile(await printout.path());
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    const cardsText = execFileSync("pdftotext", ["-raw", await printout.path(), "-"], { encoding: "utf8" });
    assert.equal(cardsText.match(/便民服务联系卡/g)?.length, stats.households, "a card per household of the grid");
    // And the grid's camera coverage, as the API reports it.
    const coverage = page.locator(`.coverage-section[data-grid="${code}"]`);
    await coverage.waitFor({ timeout: 15_000 });
    const report = await getJson(server.base, `/api/cameras/coverage?grid=${code}`, { token: TOKEN });
    const row = report.grids[0];
    assert.equal(
      (await coverage.locator(".buildings-seen").textContent()).trim(),
      `${row.buildings_seen} / ${row.buildings}`,
    );
    await screenshot(page, "map-3d-floors");

    // Colouring the raised buildings by the situation: the tower gets its share's colour.
    await page.selectOption(".situation-picker .situation-group", group);
    await page.waitForFunction(
      (id) => {
        const paint = window.gridmap.map.getPaintProperty("buildings-3d", "fill-extrusion-color");
        return (
          Array.isArray(paint) && paint[0] === "match" && paint.some((arm) => Array.isArray(arm) && arm.includes(id))
        );
      },
      tower.id,
      { timeout: 15_000 },
    );
    await screenshot(page, "map-3d-situation");

    // Filtered to the clicked grid, raising only the buildings in the situation: exactly the
    // buildings the API counts there stand.
    await page.selectOption(".situation-area", "grid");
    await page.locator(".situation-only").check();
    const bbox = await page.evaluate(() => {
      const b = window.gridmap.map.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    });
    const clicked = await page.evaluate(
      () => document.querySelector(".situation-area option[value=grid]")?.textContent,
    );
    const gridCode = clicked.split(" ").pop();
    const inGrid = await getJson(
      server.base,
      `/api/situations/buildings?bbox=${bbox.join(",")}&group=${group}&grid=${encodeURIComponent(gridCode)}`,
      { token: TOKEN },
    );
    const standing = inGrid
      .filter((r) => r.count > 0)
      .map((r) => String(r.building))
      .sort();
    await page.waitForFunction(
      (want) => {
        const paint = window.gridmap.map.getPaintProperty("buildings-3d", "fill-extrusion-height");
        if (want.length === 0) return paint === 0;
        return (
          Array.isArray(paint) && paint[0] === "match" && JSON.stringify([...paint[2]].sort()) === JSON.stringify(want)
        );
      },
      standing,
      { timeout: 15_000 },
    );
    await screenshot(page, "map-3d-filtered");
    assertClean(problems);
  });

  test("staff correct a flat's situation tags in the floor diagram; the change is logged and can be put back", async () => {
    const hits = await getJson(server.base, `/api/search?q=${encodeURIComponent("号楼")}&limit=5`, { token: TOKEN });
    const tower = hits.results.find((r) => r.kind === "address");
    const full = await getJson(server.base, `/api/buildings/${encodeURIComponent(tower.id)}`, { token: TOKEN });
    const { page, problems } = await load(`/#token=${TOKEN}`);
    // The word each situation adds, as the page's editor has it (web/tags.js).
    const labels = await page.evaluate(
      async () => (await import(new URL("static/tags.js", document.baseURI))).GROUP_TAGS,
    );
    const flat = full.household_list.find(
      (x) => x.personal && Object.keys(labels).some((g) => !(x.tag_groups ?? []).includes(g)),
    );
    assert.ok(flat, "a flat the token's account may edit");
    const group = Object.keys(labels).find((g) => !(flat.tag_groups ?? []).includes(g));
    const tagsOf = async () =>
      (
        await getJson(server.base, `/api/buildings/${encodeURIComponent(tower.id)}`, { token: TOKEN })
      ).household_list.find((x) => x.id === flat.id).tags ?? [];

    // Found by its address, as staff would.
    await page.fill("#search input", "号楼");
    await page.locator(`#search-results li[data-kind="address"][data-id="${cssEscape(tower.id)}"]`).click();
    await page.waitForSelector(`#panel:not([hidden]) .building-section[data-building="${cssEscape(tower.id)}"]`, {
      timeout: 15_000,
    });
    await page.click(".floors-section summary");
    const cell = page.locator(`.floor-diagram .flat[data-household="${cssEscape(flat.id)}"]`);
    await cell.click();
    await page.click(".flat-detail .edit-tags");
    await page.selectOption(".flat-detail .tag-group-add", group);
    await page.fill(".flat-detail .tag-input", "  门前三包  ");
    await page.click(".flat-detail .save-tags");
    await page.waitForFunction(
      ({ id, group }) =>
        document.querySelector(`.floor-diagram .flat[data-household="${id}"]`)?.dataset.groups.includes(group),
      { id: flat.id, group },
      { timeout: 15_000 },
    );
    const saved = await tagsOf();
    assert.deepEqual(saved, [...(flat.tags ?? []), labels[group], "门前三包"], "stored as shown, trimmed");
    assert.match(await page.locator(".flat-detail").textContent(), new RegExp(labels[group]));
    const { changes } = await getJson(server.base, "/api/changes?limit=1", { token: TOKEN });
    assert.equal(changes[0].operation, `edit household tags ${flat.id}`, "logged without the tags");

    // Put back: remove both chips and save; the register's tags are as before.
    await page.click(".flat-detail .edit-tags");
    for (const tag of [labels[group], "门前三包"]) await page.click(`.flat-detail .tag-remove[aria-label$="${tag}"]`);
    await page.click(".flat-detail .save-tags");
    await page.waitForFunction(
      ({ id, group }) =>
        !document.querySelector(`.floor-diagram .flat[data-household="${id}"]`)?.dataset.groups.includes(group),
      { id: flat.id, group },
      { timeout: 15_000 },
    );
    assert.deepEqual(await tagsOf(), flat.tags ?? []);
    await screenshot(page, "map-tag-editor");
    assertClean(problems);
  });

  test("on a phone the panel is a bottom sheet", async () => {
    const { page, problems } = await load("/", { width: 390, height: 844 });
    await page.evaluate((b) => {
      window.gridmap.map.fitBounds(
        [
          [b[0], b[1]],
          [b[2], b[3]],
        ],
        { animate: false, padding: { top: 80, right: 20, bottom: 420, left: 20 }, maxZoom: 18 },
      );
    }, grid.bbox);
    await waitForMapIdle(page);
    const target = await pickBuildingPixel(page, { margins: { left: 20, right: 60, top: 90, bottom: 440 } });
    assert.ok(target, "a building is drawn above the sheet area");
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector("#panel:not([hidden]) .grid-section", { timeout: 15_000 });
    const box = await page.locator("#panel").boundingBox();
    assert.ok(Math.abs(box.x) < 1 && Math.abs(box.width - 390) < 1, "the sheet spans the width");
    assert.ok(Math.abs(box.y + box.height - 844) < 1, "the sheet sits on the bottom edge");
    assert.ok(box.height <= 844 * 0.56, "the sheet leaves the map visible");
    await screenshot(page, "phone-sheet");
    assertClean(problems);
  });
});
