// Test harness: starts `gridmap serve` on a fresh synthetic county, launches Debian's
// chromium through playwright-core, and watches every page for requests that leave the
// server's origin and for console errors.
//
// Environment:
//   GRIDMAP_BIN       server binary (default: <repo>/target/debug/gridmap)
//   GRIDMAP_URL       test an already running server instead (GRIDMAP_TOKEN: a bearer
//                     token of an admin of scope all, from `gridmap user token`; and an
//                     account `browser` with the password PASSWORD); nothing is started then
//   CHROMIUM          browser binary (default /usr/bin/chromium)

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const run = promisify(execFile);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** A bearer token of an admin of scope all, made for each started server. */
export let TOKEN = process.env.GRIDMAP_TOKEN ?? "";
/** The password of the planner `browser` (scope all), who signs in on the login form. */
export const PASSWORD = "browser password 1";
export const SCREENSHOTS = join(ROOT, "target", "browser-screenshots");

const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--enable-unsafe-swiftshader",
  "--use-angle=swiftshader",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts the server on a synthetic county (3,000 households, seed 7), partitioned at one
 * level or at `levels` (`gridmap partition --levels`).
 * @param {{levels?: string}} [options]
 * @returns {Promise<{base: string, stop: () => Promise<void>, restart: () => Promise<void>}>} `restart`
 *   stops the server and starts it again on the same store and port (as after a deployment)
 */
export async function startServer({ levels } = {}) {
  if (process.env.GRIDMAP_URL) {
    const base = process.env.GRIDMAP_URL.replace(/\/$/, "");
    return {
      base,
      stop: async () => {},
      restart: async () => {
        throw new Error("cannot restart a server given by GRIDMAP_URL");
      },
    };
  }
  const bin = resolve(ROOT, process.env.GRIDMAP_BIN ?? "target/debug/gridmap");
  const dir = mkdtempSync(join(tmpdir(), "gridmap-browser-"));
  const db = join(dir, "t.db");
  const opts = { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 };
  await run(bin, ["--db", db, "synth", "--households", "3000", "--seed", "7"], opts);
  await run(bin, ["--db", db, "partition", "--all", ...(levels ? ["--levels", levels] : [])], opts);
  // Nested grids get their leaders (网格长) as a county would: proposed and applied.
  if (levels) await run(bin, ["--db", db, "staff", "assign", "--apply"], opts);
  TOKEN = await adminToken(bin, db, opts);
  let server = await serve(bin, db, "127.0.0.1:0");
  const bind = server.base.replace(/^http:\/\//, "");
  return {
    base: server.base,
    stop: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await server.kill();
      server = await serve(bin, db, bind);
    },
  };
}

/** The roster's staff member the tester's account is linked to (its phone's to-do list). */
export const TESTER_STAFF = "S411622100001-001";

/** Adds the accounts the tests use and returns the admin's bearer token. */
async function adminToken(bin, db, opts) {
  await run(bin, ["--db", db, "user", "add", "tester", "--role", "admin", "--scope", "all"], opts);
  await run(bin, ["--db", db, "user", "link", "tester", TESTER_STAFF], opts);
  execFileSync(bin, ["--db", db, "user", "add", "browser", "--role", "planner", "--scope", "all", "--password-stdin"], {
    ...opts,
    input: `${PASSWORD}\n`,
  });
  const { stdout } = await run(bin, ["--db", db, "user", "token", "tester", "--label", "browser tests"], opts);
  const token = stdout.match(/^(gm_\S+)$/m);
  assert.ok(token, `no token in: ${stdout}`);
  return token[1];
}

/** Runs `gridmap serve` until it prints its address. */
async function serve(bin, db, bind) {
  const child = spawn(bin, ["--db", db, "serve", "--bind", bind], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const base = await new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(
      () => fail(new Error(`server printed no "listening on" line in 60 s; stderr:\n${stderr}`)),
      60_000,
    );
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1].replace(/\/$/, ""));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
  child.stdout.resume();
  return {
    base,
    kill: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Launches Debian's chromium (playwright cannot download a browser here). */
export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * Opens a page and records what must not happen: requests outside `base` (other than
 * data:/blob:), console errors and uncaught exceptions.
 * @param {import("playwright-core").Browser} browser
 * @param {string} base server origin
 * @param {{width?: number, height?: number}} [viewport]
 */
export async function openPage(browser, base, viewport = {}) {
  const context = await browser.newContext({
    viewport: { width: viewport.width ?? 1366, height: viewport.height ?? 768 },
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const problems = [];
  page.on("request", (req) => {
    const url = req.url();
    if (!(url === base || url.startsWith(`${base}/`) || url.startsWith("data:") || url.startsWith("blob:")))
      problems.push(`request left the server: ${url}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => {
    problems.push(`page error: ${err.message}`);
    // Said at once too: a test that then times out waiting for the page would not reach
    // assertClean, and the timeout alone does not say that the page broke.
    process.stderr.write(`page error on ${page.url()}: ${err.stack ?? err.message}\n`);
  });
  return { page, context, problems };
}

/** Asserts a page's problem log (see {@link openPage}) is empty. */
export function assertClean(problems) {
  assert.deepEqual(problems, [], "the page must stay on our server and log no errors");
}

/** Waits until the map is loaded, idle and has drawn every visible tile. */
export async function waitForMapIdle(page, timeout = 60_000) {
  await page.waitForFunction(
    () => {
      const map = window.gridmap?.map;
      return Boolean(map?.loaded() && map.areTilesLoaded() && !map.isMoving());
    },
    null,
    { timeout, polling: 100 },
  );
}

/** Moves the map to a bbox without animation and waits until grids are drawn there. */
export async function showBbox(page, bbox) {
  await page.evaluate((b) => {
    window.gridmap.map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { animate: false, padding: { top: 80, right: 80, bottom: 60, left: 420 }, maxZoom: 18 },
    );
  }, bbox);
  await waitForMapIdle(page);
  await page.waitForFunction(
    () => window.gridmap.map.queryRenderedFeatures({ layers: ["grids-fill"] }).length > 0,
    null,
    { timeout: 30_000, polling: 200 },
  );
}

/** Saves target/browser-screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** GETs JSON from the server, optionally with the staff token. */
export async function getJson(base, path, { token } = {}) {
  const res = await fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Finds a grid: through the search API (grid codes are digit strings, so a leading digit
 * lists grids), else by looking up the centre of the TileJSON bounds.
 * @returns {Promise<{kind: string, id: string, label: string, bbox: number[]}>}
 */
export async function findGrid(base) {
  // Take a grid of median extent: edge grids also cover empty land up to the village
  // boundary (their buildings may sit outside the part of the view the tests click in), and
  // the smallest are the flats of one split tower.
  const area = (r) => (r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1]);
  for (const d of "1234567890") {
    const { results } = await getJson(base, `/api/search?q=${d}&limit=50`);
    const grids = (results ?? []).filter((r) => r.kind === "grid" && r.bbox);
    if (grids.length) return grids.sort((a, b) => area(a) - area(b))[Math.floor(grids.length / 2)];
  }
  const tj = await getJson(base, "/tiles/grids.json");
  const [w, s, e, n] = tj.bounds;
  const found = await getJson(base, `/api/lookup?lon=${(w + e) / 2}&lat=${(s + n) / 2}`);
  if (found.grid) return { kind: "grid", id: found.grid.code, label: found.grid.code, bbox: found.grid.bbox };
  throw new Error("found no grid through the search API nor at the centre of the tiles' bounds");
}

/**
 * Picks a building drawn on screen and a pixel inside it, checked with
 * queryRenderedFeatures, preferring ones that match `want` (register households, not estimated).
 * @returns {Promise<{id: string, x: number, y: number, lon: number, lat: number}|null>}
 */
export async function pickBuildingPixel(page, want = {}) {
  return page.evaluate((w) => {
    const map = window.gridmap.map;
    const canvas = map.getCanvas();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const feats = map.queryRenderedFeatures({ layers: ["buildings-fill", "buildings-estimated-fill"] });
    const ok = (f) =>
      (!w.households || Number(f.properties.households) > 0) &&
      (!w.registered || f.properties.estimated !== true) &&
      (!w.single || !String(f.properties.grids ?? "").includes(","));
    const seen = new Set();
    for (const f of feats.filter(ok)) {
      const id = String(f.properties.id);
      if (seen.has(id)) continue;
      seen.add(id);
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      let sx = 0;
      let sy = 0;
      for (const [x, y] of ring.slice(0, -1)) {
        sx += x;
        sy += y;
      }
      const n = Math.max(1, ring.length - 1);
      const p = map.project([sx / n, sy / n]);
      const x = Math.round(p.x);
      const y = Math.round(p.y);
      // keep clear of the left panel, the controls and the edges
      const m = w.margins ?? { left: 420, right: 280, top: 90, bottom: 60 };
      if (x < m.left || x > width - m.right || y < m.top || y > height - m.bottom) continue;
      const under = map.queryRenderedFeatures([x, y], { layers: ["buildings-fill", "buildings-estimated-fill"] });
      if (under.length && String(under[0].properties.id) === id) {
        const ll = map.unproject([x, y]);
        return { id, x, y, lon: ll.lng, lat: ll.lat };
      }
    }
    return null;
  }, want);
}
