import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStyleMin } from "@maplibre/maplibre-gl-style-spec";
import { buildStyle } from "../layers.js";
import { NO_VISIBLE_HOUSEHOLDS, SHARE_CLASSES, shareColour, standingHeight } from "../situations.js";

test("buildings are coloured by the share of their households in the situation", () => {
  const colour = shareColour([
    { building: "b1", households: 10, count: 0 },
    { building: "b2", households: 10, count: 1 },
    { building: "b3", households: 4, count: 1 },
    { building: "b4", households: 2, count: 2 },
    { building: "b5", households: 0, count: 0 },
  ]);
  assert.deepEqual(colour, [
    "match",
    ["to-string", ["get", "id"]],
    ["b1", "b5"],
    SHARE_CLASSES[0].colour,
    ["b2"],
    SHARE_CLASSES[1].colour,
    ["b3"],
    SHARE_CLASSES[2].colour,
    ["b4"],
    SHARE_CLASSES[3].colour,
    NO_VISIBLE_HOUSEHOLDS,
  ]);
  assert.equal(shareColour([]), NO_VISIBLE_HOUSEHOLDS, "no arms: one colour");
});

test("the situation colours are a valid paint of the 3D buildings", () => {
  const style = buildStyle({
    tiles: ["http://x/tiles/{z}/{x}/{y}.mvt"],
    glyphs: "http://x/fonts/{fontstack}/{range}.pbf",
    labels: "http://x/api/labels",
  });
  const layer = style.layers.find((l) => l.id === "buildings-3d");
  layer.paint["fill-extrusion-color"] = shareColour([{ building: "b1", households: 3, count: 1 }]);
  assert.deepEqual(validateStyleMin(style), []);
});

test("a filter leaves standing only the buildings it keeps", () => {
  const rows = [
    { building: "b1", households: 10, count: 0 },
    { building: 7, households: 4, count: 2 },
  ];
  const height = ["*", 3, ["get", "levels"]];
  const id = ["to-string", ["get", "id"]];
  assert.deepEqual(standingHeight(rows, height, false), ["match", id, ["b1", "7"], height, 0]);
  assert.deepEqual(standingHeight(rows, height, true), ["match", id, ["7"], height, 0], "only the matching");
  assert.equal(standingHeight([rows[0]], height, true), 0, "none matching: all flat");
  const style = buildStyle({
    tiles: ["http://x/tiles/{z}/{x}/{y}.mvt"],
    glyphs: "http://x/fonts/{fontstack}/{range}.pbf",
    labels: "http://x/api/labels",
  });
  const layer = style.layers.find((l) => l.id === "buildings-3d");
  layer.paint["fill-extrusion-height"] = standingHeight(rows, layer.paint["fill-extrusion-height"], true);
  assert.deepEqual(validateStyleMin(style), []);
});
