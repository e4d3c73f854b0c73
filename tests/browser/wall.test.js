// Browser tests of the command-centre wall (/wall) against a real `gridmap serve`: a posted
// incident reaches the counters, the heat tiles around it and the ticker without a reload.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import {
  assertClean,
  getJson,
  launchBrowser,
  openPage,
  screenshot,
  startServer,
  TOKEN,
  waitForMapIdle,
} from "./harness.js";

let server;
let browser;
const open = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(async () => {
  while (open.length) await open.pop().close();
});

/** Opens the wall (no cycling, so the view stays put) and waits for map and counters. */
async function loadWall(viewport, query = "cycle=0") {
  const p = await openPage(browser, server.base, viewport);
  open.push(p.context);
  await p.page.goto(`${server.base}/wall?${query}`);
  await p.page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
  await waitForMapIdle(p.page);
  await p.page.waitForFunction(
    () => /\d/.test(document.querySelector('[data-counter="open"] .value')?.textContent),
    null,
    {
      timeout: 30_000,
    },
  );
  await waitForMapIdle(p.page); // the first summary flies to the county
  return p;
}

/** A point inside a village (its label point, checked with the lookup API). */
async function pointInCounty() {
  const labels = await getJson(server.base, "/api/labels");
  for (const f of labels.features.filter((f) => f.properties.level === "village")) {
    const [lon, lat] = f.geometry.coordinates;
    const found = await getJson(server.base, `/api/lookup?lon=${lon}&lat=${lat}`).catch(() => null);
    if (found?.village) return { lon, lat, township: found.township?.code };
  }
  throw new Error("no village label point lies inside its village");
}

/** Web-Mercator tile of a point (as incidents.js computes it). */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return {
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  };
}

async function report(point) {
  const services = await getJson(server.base, "/open311/v2/services.json");
  assert.ok(services.length > 0, "the taxonomy has types");
  const res = await fetch(`${server.base}/api/incidents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      category: services[0].service_code,
      lon: point.lon,
      lat: point.lat,
      description: "browser test: wall",
    }),
  });
  const body = await res.json();
  assert.ok(res.ok, `POST /api/incidents: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.incident ?? body;
}

const counter = (page, key) => page.locator(`[data-counter="${key}"] .value`).textContent();

describe("wall", () => {
  test("a posted incident raises the open counter, refreshes the heat there and enters the ticker, without a reload", async () => {
    const { page, problems } = await loadWall({ width: 1920, height: 1080 });
    await page.evaluate(() => {
      window.__wallTestMarker = "still here";
    });
    const openBefore = Number(await counter(page, "open"));
    const todayBefore = Number(await counter(page, "today"));
    const point = await pointInCounty();

    const heatRequests = [];
    page.on("request", (req) => {
      const m = /\/tiles\/heat\/(\d+)\/(\d+)\/(\d+)\.mvt/.exec(req.url());
      if (m) heatRequests.push({ z: Number(m[1]), x: Number(m[2]), y: Number(m[3]), url: req.url() });
    });
    const posted = Date.now();
    const incident = await report(point);
    assert.ok(incident.id, "the report returns the incident");

    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-counter="open"] .value').textContent) > n,
      openBefore,
      { timeout: 10_000, polling: 50 },
    );
    const counterMs = Date.now() - posted;
    assert.equal(Number(await counter(page, "open")), openBefore + 1, "one more open incident");
    assert.equal(Number(await counter(page, "today")), todayBefore + 1, "one more reported today");
    assert.ok(counterMs < 3000, `the counter changed ${counterMs} ms after the post`);

    const row = page.locator(`#wall-ticker li[data-id="${incident.id}"]`);
    await row.waitFor({ timeout: 5000 });
    assert.equal(await page.locator("#wall-ticker li").first().getAttribute("data-id"), String(incident.id), "on top");

    await page.waitForFunction(() => window.gridmap.map.areTilesLoaded(), null, { timeout: 10_000 });
    const touched = heatRequests.filter((r) => {
      const t = tileOf(point.lon, point.lat, r.z);
      return Math.abs(t.x - r.x) <= 1 && Math.abs(t.y - r.y) <= 1;
    });
    assert.ok(touched.length > 0, `a heat tile around the incident was fetched again: ${JSON.stringify(heatRequests)}`);
    const zoom = await page.evaluate(() => Math.floor(window.gridmap.map.getZoom()));
    const far = heatRequests.filter((r) => {
      const t = tileOf(point.lon, point.lat, r.z);
      return Math.abs(t.x - r.x) > 1 || Math.abs(t.y - r.y) > 1;
    });
    assert.deepEqual(far, [], `only tiles around the event are reloaded (zoom ${zoom})`);

    assert.equal(await page.evaluate(() => window.__wallTestMarker), "still here", "the page was not reloaded");
    assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation").length), 1);
    await screenshot(page, "wall");
    assertClean(problems);
  });

  test("after a server restart the wall reconnects by itself and goes on counting", async () => {
    const { page, problems } = await loadWall({ width: 1920, height: 1080 });
    await page.evaluate(() => {
      window.__wallTestMarker = "still here";
      window.__statuses = [];
      const el = document.getElementById("wall-status");
      new MutationObserver(() => window.__statuses.push(el.dataset.status)).observe(el, { attributes: true });
    });
    await server.restart();
    await page.waitForFunction(() => window.__statuses.includes("reconnecting"), null, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById("wall-status").dataset.status === "live", null, {
      timeout: 30_000,
      polling: 100,
    });
    const openBefore = Number(await counter(page, "open"));
    const incident = await report(await pointInCounty());
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-counter="open"] .value').textContent) > n,
      openBefore,
      { timeout: 10_000, polling: 50 },
    );
    await page.locator(`#wall-ticker li[data-id="${incident.id}"]`).waitFor({ timeout: 5000 });
    assert.equal(await page.evaluate(() => window.__wallTestMarker), "still here", "the page was not reloaded");
    // the browser logs the refused connections while the server is down; nothing else may fail
    assertClean(problems.filter((p) => !/net::ERR_|HTTP 5\d\d/.test(p)));
  });

  test("when idle it cycles from the county through the townships and back", async () => {
    const county = await getJson(server.base, "/api/incidents/summary");
    const townships = county.areas.filter((a) => a.level === "township").sort((a, b) => (a.code < b.code ? -1 : 1));
    assert.ok(townships.length > 0, "the county has townships");
    const { page, problems } = await loadWall({ width: 1920, height: 1080 }, "cycle=4&lang=en");
    const shows = (name, title) =>
      page.waitForFunction(
        ([n, t]) =>
          document.getElementById("wall-area").textContent === n &&
          document.getElementById("wall-ranking-title").textContent.includes(t),
        [name, title],
        { timeout: 15_000 },
      );
    for (const t of townships) await shows(t.name, "by village");
    await shows("County", "by township");
    assertClean(problems);
  });

  test("at 3840×2160 the layout fills the screen and the counters stay readable", async () => {
    const { page, problems } = await loadWall({ width: 3840, height: 2160 }, "cycle=0&lang=en");
    const m = await page.evaluate(() => ({
      counterPx: Number.parseFloat(getComputedStyle(document.querySelector(".counter .value")).fontSize),
      bodyPx: Number.parseFloat(getComputedStyle(document.body).fontSize),
      scrollH: document.documentElement.scrollHeight,
      scrollW: document.documentElement.scrollWidth,
      title: document.querySelector(".wall-title").textContent,
      trend: document.querySelectorAll("#wall-trend rect").length,
    }));
    assert.ok(m.counterPx >= 0.05 * 2160, `counters ${m.counterPx}px ≥ 5vh`);
    assert.ok(m.bodyPx >= 0.02 * 2160, `text ${m.bodyPx}px ≥ 2vh`);
    assert.ok(m.scrollH <= 2160 && m.scrollW <= 3840, "nothing overflows the screen");
    assert.match(m.title, /command centre/i, "lang=en");
    assert.equal(m.trend, 30, "30 days in the trend chart");
    await screenshot(page, "wall-4k");
    assertClean(problems);
  });

  test("signed in with a token the wall shows the cameras and the share of grids they see; public walls do not", async () => {
    const report = await getJson(server.base, "/api/cameras/coverage", { token: TOKEN });
    const grids = report.grids.length;
    const expected = `${Math.round(((grids - report.uncovered) / grids) * 100)}%`;
    const listed = await getJson(server.base, "/api/cameras", { token: TOKEN });
    const cameras = listed.features.filter((f) => f.properties.kind === "camera");
    const down = cameras.filter((f) => f.properties.status !== "online").length;
    assert.ok(cameras.length > 0 && down > 0, "the synthetic county has working and broken cameras");

    const { page, problems } = await loadWall(undefined, `cycle=0#token=${TOKEN}`);
    const cell = page.locator('[data-counter="camera_coverage"]');
    await cell.waitFor({ state: "visible", timeout: 15_000 });
    assert.equal((await cell.locator(".value").textContent()).trim(), expected);

    // the camera points on the map: every camera in the source, the broken ones among the drawn
    const legend = page.locator("#wall-camera-legend");
    await legend.waitFor({ state: "visible", timeout: 15_000 });
    assert.match(await legend.locator('[data-count="up"]').textContent(), new RegExp(`\\b${cameras.length - down}$`));
    assert.match(await legend.locator('[data-count="down"]').textContent(), new RegExp(`\\b${down}$`));
    await waitForMapIdle(page);
    const drawn = await page.evaluate(() => {
      const map = window.gridmap.map;
      const inSource = map.querySourceFeatures("wall-cameras").filter((f) => f.properties.kind === "camera");
      const onScreen = map.queryRenderedFeatures({ layers: ["wall-camera-points"] });
      return {
        ids: new Set(inSource.map((f) => f.properties.id)).size,
        rendered: onScreen.length,
        renderedDown: onScreen.filter((f) => f.properties.status !== "online").length,
        order: map.getStyle().layers.map((l) => l.id),
      };
    });
    assert.equal(drawn.ids, cameras.length, "every camera is in the wall's source");
    assert.ok(drawn.rendered > 0 && drawn.renderedDown > 0, `cameras drawn: ${JSON.stringify(drawn)}`);
    assert.ok(
      drawn.order.indexOf("wall-camera-points") < drawn.order.indexOf("incident-points"),
      "incidents stay on top of the cameras",
    );
    await screenshot(page, "wall-cameras");
    assertClean(problems);

    const anon = await loadWall(undefined, "cycle=0");
    assert.equal(await anon.page.locator('[data-counter="camera_coverage"]').isHidden(), true);
    assert.equal(await anon.page.locator("#wall-camera-legend").isHidden(), true);
    assert.equal(await anon.page.evaluate(() => Boolean(window.gridmap.map.getSource("wall-cameras"))), false);
    assertClean(anon.problems);
  });
});
