import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStyleMin } from "@maplibre/maplibre-gl-style-spec";
import {
  chinaClock,
  chinaTime,
  eventBbox,
  HEAT_COLOURS,
  heatBreaks,
  heatColour,
  heatLegend,
  niceCeil,
  parseWindow,
  percent,
  rampColours,
  shortTime,
  statusColour,
  tileOf,
  tilesAround,
  trendGeometry,
  windowOr,
  withQuery,
} from "../incidents.js";
import { buildStyle, HEAT_LAYERS } from "../layers.js";

test("windows are a whole number of hours, days or weeks", () => {
  assert.deepEqual(parseWindow("24h"), { text: "24h", seconds: 86400, n: 24, unit: "h" });
  assert.equal(parseWindow("30d").seconds, 30 * 86400);
  assert.equal(parseWindow(" 7D ").text, "7d");
  assert.deepEqual(parseWindow("2w"), { text: "2w", seconds: 14 * 86400, n: 14, unit: "d" });
  for (const bad of ["", "0d", "-1d", "3y", "1.5d", "d", null, undefined, "30"]) assert.equal(parseWindow(bad), null);
  assert.equal(windowOr("nonsense").text, "30d");
  assert.equal(windowOr("90d").text, "90d");
});

test("nice axis maxima", () => {
  assert.deepEqual([0, 1, 3, 7, 10, 11, 23, 130, 0.3].map(niceCeil), [1, 1, 5, 10, 10, 20, 25, 200, 0.5]);
});

test("heat breaks start at 1, increase strictly and stay within the maximum", () => {
  assert.deepEqual(heatBreaks(0), [1]);
  assert.deepEqual(heatBreaks(1), [1]);
  assert.deepEqual(heatBreaks(2), [1, 2]);
  assert.deepEqual(heatBreaks(100), [1, 10, 25, 50, 75]);
  for (let max = 1; max < 500; max++) {
    const b = heatBreaks(max);
    assert.equal(b[0], 1);
    assert.ok(b.length <= HEAT_COLOURS.length);
    for (let i = 1; i < b.length; i++) assert.ok(b[i] > b[i - 1] && b[i] <= max, `${max}: ${b}`);
  }
});

test("the heat colour is a step on count whose top class is the darkest colour", () => {
  const e = heatColour(heatBreaks(3));
  assert.equal(e[0], "step");
  assert.equal(e[3], 1);
  assert.equal(e[e.length - 1], HEAT_COLOURS[HEAT_COLOURS.length - 1]);
  assert.deepEqual(heatLegend([1, 5, 9]), [
    { from: 1, to: 4, colour: HEAT_COLOURS[1] },
    { from: 5, to: 8, colour: HEAT_COLOURS[3] },
    { from: 9, to: null, colour: HEAT_COLOURS[4] },
  ]);
  assert.deepEqual(rampColours(5), HEAT_COLOURS);
  assert.deepEqual(rampColours(4), HEAT_COLOURS.slice(1));
  assert.deepEqual(rampColours(2), [HEAT_COLOURS[1], HEAT_COLOURS[4]]);
  assert.equal(rampColours(1).length, 1);
});

test("the trend chart scales to a nice maximum and puts day i in slot i", () => {
  const trend = Array.from({ length: 30 }, (_, i) => ({ day: `d${i}`, received: i, closed: i % 3 }));
  const g = trendGeometry(trend, 330, 120, { left: 30, right: 0, top: 10, bottom: 10 });
  assert.equal(g.max, 50);
  assert.deepEqual(g.ticks, [0, 25, 50]);
  assert.equal(g.bars.length, 30);
  assert.equal(g.bars[0].h, 0, "no bar for zero");
  assert.equal(g.y(0), 110);
  assert.equal(g.y(50), 10);
  const last = g.bars[29];
  assert.ok(Math.abs(last.y - g.y(29)) < 1e-9 && Math.abs(last.y + last.h - 110) < 1e-9);
  assert.ok(last.x + last.w <= 330 && g.bars[0].x >= 30, "bars inside the plot");
  assert.ok(g.line.startsWith("M35,110L"), g.line.slice(0, 20));
  assert.equal(trendGeometry([], 100, 50).max, 1, "an empty trend still has an axis");
  assert.deepEqual(trendGeometry([], 100, 50).ticks, [0, 1], "no fractional tick");
  assert.deepEqual(trendGeometry([{ day: "d", received: 4, closed: 0 }], 100, 50).ticks, [0, 5]);
});

test("tiles around an event cover its tile and neighbours at every zoom, within limits", () => {
  assert.deepEqual(tileOf(0, 0, 1), { x: 1, y: 1, z: 1 });
  assert.deepEqual(tileOf(114.6, 33.8, 12), { x: 3351, y: 1638, z: 12 });
  const ids = tilesAround([114.6, 33.8, 114.6, 33.8], 6, 14);
  for (let z = 6; z <= 14; z++) {
    const at = ids.filter((t) => t.z === z);
    assert.equal(at.length, 9, `zoom ${z}`);
    const c = tileOf(114.6, 33.8, z);
    assert.ok(at.some((t) => t.x === c.x && t.y === c.y));
  }
  const wide = tilesAround([114, 33, 115, 34], 6, 14, 64);
  const perZoom = {};
  for (const t of wide) perZoom[t.z] = [...(perZoom[t.z] ?? []), t];
  assert.ok(perZoom[6] && !perZoom[14], "zooms needing more than 64 tiles are left out");
  assert.ok(Object.values(perZoom).every((ts) => ts.length <= 64));
});

test("an event touches its incident's point, an import's bbox, or everything", () => {
  const incident = { id: "1", lon: 114.6, lat: 33.8 };
  assert.deepEqual(eventBbox({ kind: "reported", incident }), [114.6, 33.8, 114.6, 33.8]);
  assert.deepEqual(eventBbox({ kind: "imported", count: 3, bbox: [1, 2, 3, 4] }), [1, 2, 3, 4]);
  assert.equal(eventBbox({ kind: "imported", count: 3, bbox: null }), null);
  assert.equal(eventBbox({}), null);
});

test("tile URLs get the window and categories", () => {
  assert.equal(withQuery("h/{z}/{x}/{y}.mvt", { window: "7d" }), "h/{z}/{x}/{y}.mvt?window=7d");
  assert.equal(withQuery("h.mvt?a=1", { window: "7d", category: "a,b" }), "h.mvt?a=1&window=7d&category=a,b");
  assert.equal(withQuery("h.mvt", {}), "h.mvt");
});

test("formatting: percentages, clock in China time", () => {
  assert.equal(percent(0.876), "88%");
  assert.equal(percent(null), "–");
  assert.equal(chinaClock(Date.UTC(2026, 10, 3, 16, 5) / 1000), "00:05");
  assert.equal(chinaTime(Date.UTC(2026, 10, 3, 16, 5) / 1000), "2026-11-04 00:05");
  const now = Date.UTC(2026, 10, 4, 3, 0) / 1000; // 11:00 in China
  assert.equal(shortTime(Date.UTC(2026, 10, 3, 16, 5) / 1000, now), "00:05", "today: the clock");
  assert.equal(shortTime(Date.UTC(2026, 10, 3, 15, 55) / 1000, now), "11-03", "yesterday: the date");
});

test("the style with the incident sources passes the style validator", () => {
  const style = buildStyle({
    tiles: ["http://127.0.0.1:1/tiles/townships,villages/{z}/{x}/{y}.mvt"],
    glyphs: "http://127.0.0.1:1/fonts/{fontstack}/{range}.pbf",
    labels: "http://127.0.0.1:1/api/labels",
    incidents: {
      heat: { tiles: ["http://127.0.0.1:1/tiles/heat/{z}/{x}/{y}.mvt?window=30d"], minzoom: 6, maxzoom: 14 },
      points: { tiles: ["http://127.0.0.1:1/tiles/incidents/{z}/{x}/{y}.mvt?window=30d"], minzoom: 12, maxzoom: 14 },
      visible: false,
    },
  });
  assert.deepEqual(
    validateStyleMin(style).map((e) => e.message),
    [],
  );
  const ids = style.layers.map((l) => l.id);
  for (const id of HEAT_LAYERS) assert.ok(ids.includes(id), id);
  assert.ok(ids.indexOf("heat-fill") < ids.indexOf("villages-line"), "heat under the boundaries");
  assert.ok(ids.indexOf("incident-points") < ids.indexOf("villages-label"), "points under the labels");
  assert.equal(style.layers.find((l) => l.id === "heat-fill").layout.visibility, "none");
  const points = style.layers.find((l) => l.id === "incident-points");
  assert.deepEqual(points.paint["circle-color"], statusColour());
});
