// The grid staff's phone page (/m) in a phone-sized Chromium: a report filed without a
// connection waits in the outbox and arrives once when the connection is back, even when
// the first answer is lost on the way.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { findGrid, getJson, launchBrowser, openPage, screenshot, startServer, TESTER_STAFF, TOKEN } from "./harness.js";

let server;
let browser;
let grid;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  grid = await findGrid(server.base);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** An 8×6 PNG, red, as a phone camera would hand over a picture (any image will do). */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAEUlEQVR4nGM4ISeHFTEMpAQAaYgwwWSFouIAAAAASUVORK5CYII=",
  "base64",
);

/** Incidents near `[lon, lat]` whose description is `text`. */
async function reportsSaying(text, [lon, lat]) {
  const d = 0.01;
  const list = await getJson(server.base, `/api/incidents?bbox=${lon - d},${lat - d},${lon + d},${lat + d}&limit=500`, {
    token: TOKEN,
  });
  return (list.items ?? []).filter((i) => i.description === text);
}

describe("phone page", () => {
  test("a report filed offline with photos is sent once the connection is back, and only once; the office sees its photos", async () => {
    const [w, s, e, n] = grid.bbox;
    const here = [(w + e) / 2, (s + n) / 2];
    const { page, context, problems } = await openPage(browser, server.base, { width: 390, height: 844 });
    await context.grantPermissions(["geolocation"], { origin: server.base });
    await context.setGeolocation({ longitude: here[0], latitude: here[1] });
    try {
      await page.goto(`${server.base}/m#token=${TOKEN}`);
      await page.waitForSelector("#report:not([hidden]) select option", { state: "attached", timeout: 30_000 });
      await page.click("#locate");
      await page.waitForFunction(() => /\d+\.\d+, \d+\.\d+/.test(document.getElementById("place").textContent));

      // The page's files are kept by its service worker, so it opens again offline.
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller)
          await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      });

      // Offline: the report waits in the outbox.
      await context.setOffline(true);
      await page.waitForFunction(() => document.getElementById("phone-net").dataset.online === "false");
      const text = `离线上报 ${Date.now()}`;
      await page.fill("#report textarea[name=description]", text);
      // Two from the gallery, then one more shot, then the first taken back: two go.
      const png = (name) => ({ name, mimeType: "image/png", buffer: PNG });
      await page.setInputFiles("#report input[name=photo]", [png("a.png"), png("b.png")]);
      await page.waitForFunction(() => document.querySelectorAll("#report .photo-picks li").length === 2);
      await page.setInputFiles("#report input[name=photo]", png("c.png"));
      await page.waitForFunction(() => document.querySelectorAll("#report .photo-picks li").length === 3);
      await page.click("#report .photo-picks li:first-child button");
      assert.equal(await page.locator("#report .photo-picks li").count(), 2);
      await page.click("#report .phone-submit");
      await page.waitForFunction(() => document.getElementById("outbox-count").textContent === "1");
      assert.equal(await page.locator("#outbox-list li.waiting").count(), 1);
      // The failed round says when it tries again (later after each failure).
      await page.waitForSelector("#outbox-list li.retry-note");
      // Closed and opened again without a connection: the page comes from the phone, the
      // report is still waiting.
      await page.reload();
      await page.waitForFunction(() => document.getElementById("outbox-count")?.textContent === "1", null, {
        timeout: 30_000,
      });
      // Opened offline, the page still knows who signed in on it and shows the to-do list.
      assert.equal(await page.locator("#phone-who").textContent(), "tester");
      assert.equal(await page.isVisible("#todo"), true);
      // A patrol check-in at the same place joins the outbox.
      await page.click("#locate");
      await page.waitForFunction(() => /\d+\.\d+, \d+\.\d+/.test(document.getElementById("place").textContent));
      await page.click("#check-in");
      await page.waitForFunction(() => document.getElementById("outbox-count")?.textContent === "2");
      await screenshot(page, "phone-offline-outbox");
      assert.equal((await reportsSaying(text, here)).length, 0, "nothing reached the server while offline");

      // Back online, but the first answer is lost: the server stores the report, the phone
      // never hears so. It sends again and is answered with the stored report.
      let lost = 0;
      await page.route("**/api/incidents", async (route) => {
        if (lost++ === 0) {
          await route.fetch();
          await route.abort("connectionreset");
        } else {
          await route.continue();
        }
      });
      await context.setOffline(false); // the page hears "online" and sends its outbox
      for (let waited = 0; lost === 0; waited += 50) {
        assert.ok(waited < 30_000, "the outbox was sent when the connection came back");
        await new Promise((r) => setTimeout(r, 50));
      }
      // The lost answer leaves the report waiting; the next round sends it again.
      await page.waitForFunction(() => window.gridmap.state.flushing === null);
      await page.evaluate(() => window.gridmap.flush());
      await page.waitForFunction(() => document.getElementById("outbox-count").textContent === "0");
      await page.waitForSelector("#sent-list li.sent");
      assert.equal(lost, 2, "sent twice: the lost one and the one answered");
      assert.equal(
        await page.evaluate(() => window.gridmap.state.sent.find((x) => x.id.startsWith("R")).repeated),
        true,
        "the report was answered as sent before",
      );

      const stored = await reportsSaying(text, here);
      assert.ok(stored[0]?.grid, "the place lies in a grid");
      const checkIns = await getJson(server.base, `/api/grids/${stored[0].grid}/check-ins`, { token: TOKEN });
      assert.equal(
        checkIns.filter((c) => c.lon === here[0] && c.lat === here[1]).length,
        1,
        "the check-in arrived once",
      );
      assert.equal(stored.length, 1, "stored once");
      const detail = await getJson(server.base, `/api/incidents/${stored[0].id}`, { token: TOKEN });
      const photos = detail.timeline[0].photos ?? [];
      assert.equal(photos.length, 2, "the report keeps both photos");
      assert.equal(new Set(photos).size, 2);
      for (const photo of photos) {
        assert.match(photo, /^api\/photos\//);
        const res = await fetch(`${server.base}/${photo}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "image/jpeg", "compressed to JPEG on the phone");
      }
      assert.equal(await page.locator("#report .photo-picks li").count(), 0, "the form is empty again");
      await screenshot(page, "phone-sent");

      // At the office: the report in the map's incident box opens with both photos shown.
      const desk = await openPage(browser, server.base);
      const office = desk.page;
      await office.goto(`${server.base}/#token=${TOKEN}`);
      await office.waitForFunction(() => window.gridmap?.map?.loaded(), null, { timeout: 30_000 });
      await office.evaluate((c) => window.gridmap.map.jumpTo({ center: c, zoom: 15 }), here);
      await office.locator('.gridmap-layers input[data-group="heat"]').check();
      const row = office.locator(`#incidents .incident-list li[data-id="${stored[0].id}"]`);
      await row.waitFor({ timeout: 15_000 });
      await row.click();
      await office.waitForFunction(
        () => {
          const imgs = [...document.querySelectorAll("#panel:not([hidden]) .incident-photos img")];
          return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        },
        null,
        { timeout: 15_000 },
      );
      await screenshot(office, "office-incident-photos");
      // The grid's panel lists the patrol check-in and the map shows where it was made.
      await office.fill("#search input", stored[0].grid);
      await office.locator(`#search-results li[data-kind="grid"][data-id="${stored[0].grid}"]`).click();
      const patrol = office.locator("#panel:not([hidden]) .check-in-section");
      await patrol.waitFor({ timeout: 15_000 });
      assert.ok((await patrol.locator("li").count()) >= 1, "the check-in is listed");
      const drawn = await office.evaluate(
        () =>
          window.gridmap.map
            .getSource("check-ins")
            ?.serialize()
            .data.features.map((f) => f.geometry.coordinates) ?? [],
      );
      assert.ok(
        drawn.some(([lon, lat]) => lon === here[0] && lat === here[1]),
        "the check-in's place is drawn on the map",
      );
      assert.deepEqual(desk.problems, []);
      await desk.context.close();
      // The dropped answer and the offline spell are the only failures the page saw.
      const unexpected = problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_RESET|ERR_FAILED/.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await context.close();
    }
  });

  test("my grid lists its households; a visit recorded on one reaches the server", async () => {
    const { page, context, problems } = await openPage(browser, server.base, { width: 390, height: 844 });
    try {
      await page.goto(`${server.base}/m#token=${TOKEN}`);
      await page.waitForSelector("#mygrid:not([hidden])", { timeout: 30_000 });
      // Installable: a manifest with its icons.
      const manifest = await page.evaluate(() =>
        fetch(document.querySelector("link[rel=manifest]").href).then((r) => r.json()),
      );
      assert.equal(manifest.display, "standalone");
      for (const icon of manifest.icons) {
        const res = await fetch(new URL(icon.src, `${server.base}/m`));
        assert.equal(res.headers.get("content-type"), "image/png", icon.src);
      }
      await page.fill("#grid-code", grid.id);
      await page.click("#open-grid");
      await page.waitForSelector("#household-list li.household-row");
      const listed = await getJson(server.base, `/api/grids/${grid.id}/households`, { token: TOKEN });
      assert.equal(await page.locator("#household-list li.household-row").count(), listed.length, "every household");
      const row = page.locator("#household-list li.household-row").first();
      const household = await row.getAttribute("data-household");
      await row.locator(".visit-button").click();
      await page.waitForSelector("#visit:not([hidden])");
      const note = `走访记录 ${Date.now()}`;
      await page.fill("#visit textarea[name=note]", note);
      await page.check("#visit input[name=follow_up]");
      await page.click("#visit .phone-submit");
      await page.waitForFunction(() => document.querySelectorAll("#sent-list li.sent").length === 1, null, {
        timeout: 30_000,
      });
      const visits = await getJson(server.base, `/api/households/${encodeURIComponent(household)}/visits`, {
        token: TOKEN,
      });
      const mine = visits.filter((v) => v.note === note);
      assert.equal(mine.length, 1, "recorded once");
      assert.equal(mine[0].follow_up, true);
      await page.locator("#grid-map").scrollIntoViewIfNeeded();
      await page.waitForFunction(() => window.gridmap.map?.loaded(), null, { timeout: 30_000 });
      await screenshot(page, "phone-my-grid");
      // A tap on the map sets a report's place.
      await page.locator("#grid-map canvas").click();
      assert.match(await page.locator("#place").textContent(), /\d+\.\d+, \d+\.\d+ \(地图选点\)/);

      // The grid's map tiles were kept: offline, the page opens again with the grid's
      // households (an offline copy) and its tiles.
      await page.waitForFunction(() => window.gridmap.state.tilesKept?.length > 0, null, { timeout: 30_000 });
      const tile = await page.evaluate(() => window.gridmap.state.tilesKept.at(-1));
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller)
          await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      });
      await context.setOffline(true);
      await page.reload();
      await page.waitForSelector("#household-list li.household-row", { timeout: 30_000 });
      assert.equal(await page.locator("#household-list li.household-row").count(), listed.length);
      assert.equal(await page.evaluate((u) => fetch(u).then((r) => r.status), tile), 200, "a kept tile offline");
      await context.setOffline(false);
      const unexpected = problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|ERR_FAILED/.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await context.close();
    }
  });

  test("a work order dispatched to me is on my to-do list and accepted from the phone; one changed meanwhile is shown as a conflict", async () => {
    const [w, s, e, n] = grid.bbox;
    const post = async (path, body) => {
      const res = await fetch(`${server.base}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok, `${path}: ${res.status} ${text}`);
      return JSON.parse(text);
    };
    /** A new incident dispatched to the staff member the token's account (tester) is linked to. */
    const dispatched = async (text) => {
      const i = await post("/api/incidents", {
        category: "environment.garbage",
        lon: (w + e) / 2,
        lat: (s + n) / 2,
        description: text,
      });
      await post(`/api/incidents/${i.id}/transitions`, { action: "create_work_order" });
      const d = await post(`/api/incidents/${i.id}/transitions`, {
        action: "dispatch",
        assignee: { kind: "staff", id: TESTER_STAFF },
      });
      return d.incident;
    };
    const mine = await dispatched(`待办 ${Date.now()}`);
    const other = await dispatched(`待办 ${Date.now()} 2`);
    assert.equal(mine.status, "dispatched");

    const { page, context, problems } = await openPage(browser, server.base, { width: 390, height: 844 });
    try {
      await page.goto(`${server.base}/m#token=${TOKEN}`);
      const row = page.locator(`#todo-list li.todo-item[data-incident="${mine.id}"]`);
      await row.waitFor({ timeout: 30_000 });
      assert.match(await row.locator(".deadline[data-level]").textContent(), /\d/, "its deadline");
      await row.locator(".move-accept").click();
      await page.waitForSelector(`#todo-list li.todo-item[data-incident="${mine.id}"][data-status="in_progress"]`, {
        timeout: 30_000,
      });
      const after = await getJson(server.base, `/api/incidents/${mine.id}`, { token: TOKEN });
      assert.equal(after.incident.status, "in_progress");

      // The office suspends the other order after the phone loaded it: the phone's accept is
      // refused and says why, and the order stays suspended.
      const current = await getJson(server.base, `/api/incidents/${other.id}`, { token: TOKEN });
      await post(`/api/incidents/${other.id}/transitions`, { action: "suspend", version: current.incident.version });
      await page.locator(`#todo-list li.todo-item[data-incident="${other.id}"] .move-accept`).click();
      await page.waitForSelector("#outbox-list li.refused", { timeout: 30_000 });
      assert.match(await page.locator("#outbox-list li.refused").textContent(), /工单已被他人改动/);
      const still = await getJson(server.base, `/api/incidents/${other.id}`, { token: TOKEN });
      assert.equal(still.incident.status, "suspended");
      await screenshot(page, "phone-todo");
      const unexpected = problems.filter((p) => !/HTTP 409/.test(p) && !/409 \(Conflict\)/.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await context.close();
    }
  });
});
