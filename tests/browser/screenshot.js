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
  const grid = await findGrid(server.base);
  const g = await getJson(server.base, `/api/grids/${encodeURIComponent(grid.id)}`);
  const { page, problems } = await openPage(browser, server.base);
  await page.goto(`${server.base}/#token=${TOKEN}`);
  await page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
  await waitForMapIdle(page);
  // show the grid with its neighbours around it
  const [w, s, e, n] = g.bbox;
  const dx = (e - w) * 0.6;
  const dy = (n - s) * 0.6;
  await page.evaluate(
    (b) => window.gridmap.map.fitBounds(b, { animate: false, padding: { top: 60, right: 280, bottom: 30, left: 390 } }),
    [
      [w - dx, s - dy],
      [e + dx, n + dy],
    ],
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
