import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStyleMin } from "@maplibre/maplibre-gl-style-spec";
import {
  COMPARE_SOURCE,
  collectionBounds,
  compareLayers,
  comparisonSummary,
  defaultFileName,
  exportPath,
  fileNameOf,
  planCsvPath,
  rosterPath,
} from "../plandiff.js";

const V = "411622101201";

test("a comparison's summary: households moved, grids added, removed and changed, features drawn", () => {
  const cmp = {
    village: V,
    from: "3",
    to: "current",
    grids_added: [`${V}-009`],
    grids_removed: [],
    grids_changed: [
      { code: `${V}-001`, households_from: 80, households_to: 72, staff_from: null, staff_to: null },
      { code: `${V}-002`, households_from: 90, households_to: 98, staff_from: null, staff_to: null },
    ],
    households_moved: 8,
    buildings_moved: [{ building: "b1", from: [`${V}-001`], to: [`${V}-002`], households: 8 }],
    map: { type: "FeatureCollection", features: [{}, {}, {}] },
  };
  assert.deepEqual(comparisonSummary(cmp), {
    moved: 8,
    added: [`${V}-009`],
    removed: [],
    changed: [`${V}-001`, `${V}-002`],
    features: 3,
    same: false,
  });
  const none = comparisonSummary({ grids_added: [], grids_removed: [], grids_changed: [], households_moved: 0 });
  assert.equal(none.same, true);
  assert.equal(none.features, 0);
});

test("the comparison's layers are valid MapLibre style layers on the comparison source", () => {
  const style = {
    version: 8,
    sources: { [COMPARE_SOURCE]: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
    layers: compareLayers(),
  };
  assert.deepEqual(validateStyleMin(style), []);
  const from = compareLayers().find((l) => JSON.stringify(l.filter).includes('"from"'));
  assert.equal(from.type, "line");
  assert.ok(from.paint["line-dasharray"], "the `from` side is dashed");
  const toFill = compareLayers().find((l) => l.type === "fill");
  assert.ok(JSON.stringify(toFill.filter).includes('"to"'), "the `to` side is filled");
  assert.ok(toFill.paint["fill-opacity"] <= 0.3, "lightly");
});

test("a FeatureCollection's bounds", () => {
  const fc = {
    type: "FeatureCollection",
    features: [
      {
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [1, 2],
              [3, 2],
              [3, 5],
              [1, 2],
            ],
          ],
        },
      },
      {
        geometry: {
          type: "MultiPolygon",
          coordinates: [
            [
              [
                [0, 4],
                [2, 6],
                [2, 4],
                [0, 4],
              ],
            ],
          ],
        },
      },
    ],
  };
  assert.deepEqual(collectionBounds(fc), [0, 2, 3, 6]);
  assert.equal(collectionBounds({ features: [] }), null);
});

test("download paths", () => {
  assert.equal(exportPath(V), `api/villages/${V}/export?format=geojson&encoding=utf-8`);
  assert.equal(
    exportPath(V, { format: "shp", encoding: "gbk", version: 4 }),
    `api/villages/${V}/export?format=shp&encoding=gbk&version=4`,
  );
  assert.equal(exportPath(V, { format: "fgb", version: null }), `api/villages/${V}/export?format=fgb&encoding=utf-8`);
  assert.equal(rosterPath(V, "xlsx"), `api/villages/${V}/roster?format=xlsx`);
  assert.equal(rosterPath(V), `api/villages/${V}/roster?format=csv`);
  assert.equal(planCsvPath(V), `api/villages/${V}/plan.csv`);
});

test("a download's file name from its Content-Disposition", () => {
  assert.equal(fileNameOf(`attachment; filename="${V}-roster.csv"`, "x"), `${V}-roster.csv`);
  assert.equal(fileNameOf(`attachment; filename=${V}-grids.fgb`, "x"), `${V}-grids.fgb`);
  assert.equal(fileNameOf("attachment; filename*=UTF-8''%E7%BD%91%E6%A0%BC.csv", "x"), "网格.csv");
  assert.equal(fileNameOf('attachment; filename="../../etc/passwd"', "x"), "passwd");
  assert.equal(fileNameOf("attachment", "fallback.csv"), "fallback.csv");
  assert.equal(fileNameOf("", "fallback.csv"), "fallback.csv");
  assert.equal(fileNameOf(null, "fallback.csv"), "fallback.csv");
  assert.equal(defaultFileName(V, "grids", "shp"), `${V}-grids.shp.zip`);
  assert.equal(defaultFileName(V, "roster", "xlsx"), `${V}-roster.xlsx`);
});
