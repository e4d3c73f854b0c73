// Remakes docs/screenshot.png (README picture): a grid view at 1366×768 with a clicked
// building in the panel, against a freshly started server (see harness.js).
//
//   node tests/browser/screenshot.js [output.png]

import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  findGrid,
  getJson,
  launchBrowser,
  openPage,
  pickBuildingPixel,
  ROOT,
  startServer,
  TOKEN,
  waitForMapIdle,
} from "./harness.js";

const out = resolve(process.argv[2] ?? join(ROOT, "docs", "screenshot.png"));
const server = await startServer();
const browser = await launchBrowser();
try {
  // a small (dense, urban) grid makes the liveliest picture
  const first = await findGrid(server.base);
  const prefix = first.id.slice(0, Math.max(1, first.id.length - 3));
  const { results } = await getJson(server.base, `/api/search?q=${encodeURIComponent(prefix)}&limit=50`);
  const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
  const grids = results.filter((r) => r.kind === "grid").sort((a, b) => area(a.bbox) - area(b.bbox));
  const grid = grids[Math.floor(grids.length / 2)] ?? first;
  const g = await getJson(server.base, `/api/grids/${encodeURIComponent(grid.id)}`);
  const { page, problems } = await openPage(browser, server.base);
  await page.goto(`${server.base}/#token=${TOKEN}`);
  await page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
  await waitForMapIdle(page);
  // the grid with its neighbours around it, at a zoom where buildings and codes read well
  const [w, s, e, n] = g.bbox;
  await page.evaluate(
    (c) => window.gridmap.map.jumpTo({ center: c, zoom: 16.2, padding: { top: 0, right: 240, bottom: 0, left: 380 } }),
    [(w + e) / 2, (s + n) / 2],
  );
  await waitForMapIdle(page);
  const target =
    (await pickBuildingPixel(page, { households: true, registered: true })) ?? (await pickBuildingPixel(page, {}));
  if (target) {
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector("#panel:not([hidden]) .grid-section", { timeout: 15_000 });
  }
  await page.mouse.move(1000, 700);
  await waitForMapIdle(page);
  await page.waitForTimeout(300);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`screenshot: ${out}${problems.length ? `\nproblems:\n${problems.join("\n")}` : ""}`);
} finally {
  await browser.close();
  await server.stop();
}
