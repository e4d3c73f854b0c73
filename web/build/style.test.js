import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { expression, validateStyleMin } from "@maplibre/maplibre-gl-style-spec";
import { buildStyle, GRID_PALETTE, LAYER_GROUPS, STACKED_FILTER } from "../layers.js";
import { staticStyle } from "./style.js";

const pageStyle = () =>
  buildStyle({
    tiles: ["http://127.0.0.1:1/tiles/townships,villages,grids,grid_labels,buildings/{z}/{x}/{y}.mvt"],
    minzoom: 8,
    maxzoom: 18,
    bounds: [114.5, 33.7, 114.7, 33.9],
    glyphs: "http://127.0.0.1:1/fonts/{fontstack}/{range}.pbf",
    labels: "http://127.0.0.1:1/api/labels",
    householdsUnit: "hh",
  });

test("the page's style passes the MapLibre style validator", () => {
  assert.deepEqual(
    validateStyleMin(pageStyle()).map((e) => e.message),
    [],
  );
});

test("the committed style.json is valid and up to date with layers.js", () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), "..", "style.json");
  const committed = JSON.parse(readFileSync(file, "utf8"));
  assert.deepEqual(
    validateStyleMin(committed).map((e) => e.message),
    [],
  );
  assert.deepEqual(committed, staticStyle(), "run `npm run build` and commit style.json");
});

test("every layer of the switcher's groups exists in the style", () => {
  const ids = new Set(pageStyle().layers.map((l) => l.id));
  for (const [group, layers] of Object.entries(LAYER_GROUPS))
    for (const id of layers) assert.ok(ids.has(id), `${group}: ${id}`);
});

test("grid fill colours come from the palette by the colour index", () => {
  const fill = pageStyle().layers.find((l) => l.id === "grids-fill").paint["fill-color"];
  assert.equal(fill[0], "match");
  const colours = fill.slice(2).filter((x) => typeof x === "string");
  assert.deepEqual(new Set(colours), new Set(GRID_PALETTE));
});

test("grids stacked on a tower are outlined and labelled with how many share it", () => {
  const layers = pageStyle().layers;
  const outline = layers.find((l) => l.id === "grids-stacked");
  const count = layers.find((l) => l.id === "grids-stacked-count");
  assert.equal(outline["source-layer"], "grids");
  // The count sits on the grids' label point: once per tower, not once per tile piece.
  assert.equal(count["source-layer"], "grid_labels");
  for (const l of [outline, count]) {
    assert.deepEqual(l.filter, STACKED_FILTER);
  }
  // Only footprints several grids share: a single tower or institution grid is plain.
  assert.deepEqual(STACKED_FILTER, [">", ["to-number", ["coalesce", ["get", "stacked"], 0]], 1]);
  assert.deepEqual(count.layout["text-field"], ["concat", "×", ["to-string", ["get", "stacked"]]]);
  // Drawn above the grid fill and outlines.
  const at = (id) => layers.findIndex((l) => l.id === id);
  assert.ok(at("grids-stacked") > at("grids-line") && at("grids-stacked-count") > at("grids-fill"));
});

test("a grid label says how many households, or that it is an institution's grid", async () => {
  const { expression } = await import("@maplibre/maplibre-gl-style-spec");
  const style = buildStyle({
    ...{ tiles: ["http://127.0.0.1:1/t/{z}/{x}/{y}.mvt"], glyphs: "http://127.0.0.1:1/f/{fontstack}/{range}.pbf" },
    labels: "http://127.0.0.1:1/api/labels",
    householdsUnit: "hh",
    institutionLabel: "Institution grid",
  });
  const field = style.layers.find((l) => l.id === "grid-labels").layout["text-field"];
  const parsed = expression.createExpression(field, "layers.grid-labels.layout.text-field");
  assert.equal(parsed.result, "success", JSON.stringify(parsed.value));
  const text = (properties) =>
    parsed.value
      .evaluate({ zoom: 17 }, { type: "Point", properties })
      .sections.map((s) => s.text)
      .join("");
  const common = { code: "411622100001-065", staff: "石宇英" };
  assert.equal(text({ ...common, households: 42 }), "411622100001-065\n42 hh  石宇英");
  const school = text({ ...common, households: 0, institution: true });
  assert.equal(school, "411622100001-065\nInstitution grid  石宇英");
});

test("nested grids: comprehensive grids are outlines with their own labels, micro-grids are filled", async () => {
  const { expression } = await import("@maplibre/maplibre-gl-style-spec");
  const layers = pageStyle().layers;
  const matches = (id, properties) => {
    const at = layers.findIndex((l) => l.id === id);
    const filter = expression.createExpression(layers[at].filter, `layers[${at}].filter`);
    assert.equal(filter.result, "success", JSON.stringify(filter.value));
    return filter.value.evaluate({ zoom: 14 }, { type: "Polygon", properties });
  };
  const comprehensive = { code: "411622100001-007", level: 2 };
  const micro = { code: "411622100001-007-03", level: 1, parent: "411622100001-007" };
  const oneLevel = { code: "411622100001-065", level: 1 };
  assert.deepEqual(
    ["grids-fill", "grids-line", "comprehensive-line"].map((id) => [
      matches(id, comprehensive),
      matches(id, micro),
      matches(id, oneLevel),
    ]),
    [
      [false, true, true],
      [false, true, true],
      [true, false, false],
    ],
  );
  const labels = ["grid-labels", "micro-labels", "comprehensive-labels"];
  assert.deepEqual(
    labels.map((id) => [matches(id, comprehensive), matches(id, micro), matches(id, oneLevel)]),
    [
      [false, false, true],
      [false, true, false],
      [true, false, false],
    ],
  );
  // Comprehensive labels below zoom 16, micro-grid labels from 15; the micro label's
  // serial includes its parent's.
  const at = (id) => layers.find((l) => l.id === id);
  const index = (id) => layers.findIndex((l) => l.id === id);
  assert.equal(at("comprehensive-labels").maxzoom, 16);
  assert.equal(at("micro-labels").minzoom, 15);
  const field = at("micro-labels").layout["text-field"];
  const parsed = expression.createExpression(field, `layers[${index("micro-labels")}].layout.text-field`);
  assert.equal(parsed.result, "success");
  const text = parsed.value
    .evaluate({ zoom: 15 }, { type: "Point", properties: { ...micro, households: 40 } })
    .sections.map((s) => s.text)
    .join("");
  assert.equal(text, "007-03");
  // Outlines above the micro-grid lines, every layer in a switcher group.
  assert.ok(index("comprehensive-line") > index("grids-line"));
  for (const id of ["comprehensive-line", ...labels]) {
    assert.ok(Object.values(LAYER_GROUPS).flat().includes(id), id);
  }
});

test("3D buildings stand at their known height, else their floors × 3 m, at least one floor", () => {
  const layer = pageStyle().layers.find((l) => l.id === "buildings-3d");
  const height = expression.createExpression(
    layer.paint["fill-extrusion-height"],
    "layers.buildings-3d.paint.fill-extrusion-height",
  );
  assert.equal(height.result, "success");
  const at = (properties) => height.value.evaluate({ zoom: 16 }, { properties });
  assert.equal(at({ height: 41, levels: 12 }), 41);
  assert.equal(at({ levels: 12 }), 36);
  assert.equal(at({}), 3);
  assert.equal(at({ levels: 0 }), 3);
});
