import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStyleMin } from "@maplibre/maplibre-gl-style-spec";
import { ifMatch } from "../api.js";
import { issueText, overloadedStaff } from "../issues.js";
import { bounds, idsInLasso, outerPoints, pointInPolygon } from "../lasso.js";
import { buildStyle, plannerLayers } from "../layers.js";
import {
  buildingOf,
  flatRows,
  flatShares,
  movable,
  movePreview,
  oneVillage,
  rebalanceEdit,
  sizeStatus,
  sourceGrids,
  summarize,
  toggled,
  villageOfBuilding,
  villageOfGrid,
  withAll,
} from "../selection.js";
import { createUndoStack } from "../undo.js";

const A = "411622101201-001";
const B = "411622101201-002";
const C = "411622101201-003";
const OTHER = "411622101202-001";

const b = (id, households, grids) => buildingOf({ id, households, grids: grids.join(",") });
const sel = (...list) => withAll(new Map(), list);

test("a building's tile properties: id as text, households as a number, grids split", () => {
  assert.deepEqual(buildingOf({ id: 42, households: "7", grids: `${A},${B}` }), {
    id: "42",
    households: 7,
    grids: [A, B],
  });
  assert.deepEqual(buildingOf({ id: "osm:way/1" }), { id: "osm:way/1", households: 0, grids: [] });
  assert.equal(villageOfGrid(A), "411622101201");
  assert.equal(villageOfGrid("411622101201-007-02"), "411622101201", "a micro-grid of a nested village");
  assert.equal(villageOfGrid("nonsense"), null);
  assert.equal(villageOfBuilding(b("x", 1, [OTHER])), "411622101202");
  assert.equal(villageOfBuilding(b("x", 0, [])), null);
  assert.equal(movable(b("x", 3, [A])), true);
  assert.equal(movable(b("tower", 200, [A, B])), false, "a split tower's flats are in several grids");
  assert.equal(movable(b("shed", 0, [])), false, "a building in no grid");
});

test("shift-click toggles a building in and out; lassos add", () => {
  const one = toggled(new Map(), b("1", 4, [A]));
  assert.deepEqual([...one.keys()], ["1"]);
  assert.deepEqual([...toggled(one, b("2", 5, [A])).keys()], ["1", "2"]);
  assert.equal(toggled(one, b("1", 4, [A])).size, 0);
  assert.equal(one.size, 1, "selections are not changed in place");
  assert.deepEqual([...withAll(one, [b("1", 4, [A]), b("3", 1, [B])]).keys()], ["1", "3"]);
});

test("a selection keeps one village: the preferred one, else the one most buildings lie in", () => {
  const mixed = sel(b("1", 1, [A]), b("2", 1, [OTHER]), b("3", 1, [OTHER]), b("4", 0, []));
  const most = oneVillage(mixed);
  assert.equal(most.village, "411622101202");
  assert.deepEqual([...most.kept.keys()], ["2", "3"]);
  assert.equal(most.dropped, 2);
  const preferred = oneVillage(mixed, "411622101201");
  assert.deepEqual([...preferred.kept.keys()], ["1"]);
  assert.equal(oneVillage(new Map()).village, null);
});

test("counts: every selected household, and those that can be moved whole", () => {
  const s = summarize(sel(b("1", 4, [A]), b("2", 6, [B]), b("tower", 120, [A, C])));
  assert.deepEqual(s, { buildings: 3, households: 130, movable: ["1", "2"], movableHouseholds: 10, skipped: 1 });
  assert.deepEqual(sourceGrids(sel(b("1", 4, [B]), b("2", 6, [A]), b("t", 9, [A, C]))), [A, B]);
});

test("moving: the target gains what is not in it yet, each source loses its own", () => {
  const s = sel(b("1", 4, [A]), b("2", 6, [A]), b("3", 5, [B]), b("4", 7, [C]), b("tower", 120, [A, C]));
  const p = movePreview(s, { [A]: 40, [B]: 35, [C]: 44 }, C);
  assert.equal(p.moved, 15);
  assert.deepEqual(p.buildings, ["1", "2", "3"], "not the one already in C, nor the split tower");
  assert.deepEqual(p.target, { code: C, before: 44, after: 59 });
  assert.deepEqual(p.sources, [
    { code: A, before: 40, after: 30 },
    { code: B, before: 35, after: 30 },
  ]);
  const asMap = movePreview(s, new Map([[A, 40]]), A);
  assert.deepEqual(asMap.target, { code: A, before: 40, after: 52 });
  assert.deepEqual(asMap.sources, [
    { code: B, before: 0, after: -5 },
    { code: C, before: 0, after: -7 },
  ]);
  assert.equal(movePreview(sel(b("1", 4, [A])), { [A]: 40 }, A).moved, 0, "nothing to move into its own grid");
});

test("grid sizes against the range", () => {
  const range = { min: 30, max: 50 };
  assert.deepEqual(
    [29, 30, 50, 51].map((n) => sizeStatus(n, range)),
    ["under", "ok", "ok", "over"],
  );
});

test("point in polygon, on screen pixels", () => {
  const square = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  assert.equal(pointInPolygon([5, 5], square), true);
  assert.equal(pointInPolygon([15, 5], square), false);
  assert.equal(pointInPolygon([-1, 5], square), false);
  // a concave "U": the notch is outside
  const u = [
    [0, 0],
    [3, 0],
    [3, 7],
    [7, 7],
    [7, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  assert.equal(pointInPolygon([5, 3], u), false, "in the notch");
  assert.equal(pointInPolygon([5, 9], u), true);
  assert.equal(pointInPolygon([1, 1], u), true);
  // a closed ring (first point repeated) answers the same
  assert.equal(pointInPolygon([5, 5], [...square, [0, 0]]), true);
  assert.deepEqual(bounds(u), [0, 0, 10, 10]);
});

test("the lasso holds the buildings whose centre (of all their tile pieces) lies inside", () => {
  const lasso = [
    [0, 0],
    [100, 0],
    [100, 100],
    [0, 100],
  ];
  const square = (x, y, s = 4) => [
    [x, y],
    [x + s, y],
    [x + s, y + s],
    [x, y + s],
  ];
  const pieces = [
    { id: "in", points: square(10, 10) },
    { id: "out", points: square(200, 10) },
    // cut by a tile edge: one piece inside, one outside, centre of both at x = 100 + 2 → outside
    { id: "cut", points: square(90, 50) },
    { id: "cut", points: square(110, 50) },
    // mostly inside: centre at x = 97
    { id: "edge", points: square(94, 80) },
    { id: "edge", points: square(96, 80) },
  ];
  assert.deepEqual(idsInLasso(pieces, lasso), ["in", "edge"]);
  assert.deepEqual(idsInLasso(pieces, lasso.slice(0, 2)), [], "a line is no lasso");
  const poly = {
    type: "Polygon",
    coordinates: [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 0],
      ],
    ],
  };
  assert.deepEqual(outerPoints(poly), [
    [0, 0],
    [1, 0],
    [1, 1],
  ]);
  assert.equal(outerPoints({ type: "MultiPolygon", coordinates: [poly.coordinates, poly.coordinates] }).length, 6);
});

test("undo takes back the newest change, redo undoes the undo, a new change drops the redos", () => {
  const stack = createUndoStack(3);
  assert.equal(stack.nextUndo(), null);
  assert.equal(stack.canRedo(), false);
  stack.push({ change: 10, village: "v" });
  stack.push({ change: 11, village: "v" });
  assert.equal(stack.nextUndo().change, 11);
  assert.deepEqual(stack.undid(12), { change: 11, village: "v" });
  assert.equal(stack.nextUndo().change, 10);
  assert.equal(stack.nextRedo().change, 12, "redo undoes the undo");
  assert.deepEqual(stack.redid(13), { change: 12, village: "v" });
  assert.equal(stack.nextUndo().change, 13, "and the redo is what undo takes next");
  assert.equal(stack.canRedo(), false);
  stack.undid(14);
  assert.equal(stack.canRedo(), true);
  stack.push({ change: 15, village: "w" });
  assert.equal(stack.canRedo(), false, "a new change drops what could be redone");
  assert.deepEqual(stack.sizes(), { undo: 2, redo: 0 });
  stack.push({ change: 16 });
  stack.push({ change: 17 });
  assert.deepEqual(stack.sizes(), { undo: 3, redo: 0 }, "at most the limit");
  assert.equal(stack.undid(18).change, 17);
  assert.equal(stack.undid(19).change, 16);
  assert.equal(stack.undid(20).change, 15);
  assert.equal(stack.undid(21), null, "the oldest fell off");
});

test("the planner's highlight layers are valid on top of the page's style", () => {
  const style = buildStyle({
    tiles: ["http://127.0.0.1:1/tiles/townships,villages,grids,grid_labels,buildings/{z}/{x}/{y}.mvt"],
    glyphs: "http://127.0.0.1:1/fonts/{fontstack}/{range}.pbf",
    labels: "http://127.0.0.1:1/api/labels",
  });
  style.layers.push(...plannerLayers());
  assert.deepEqual(
    validateStyleMin(style).map((e) => e.message),
    [],
  );
});

test("rebalance: the whole village without a selection, else the unlocked grids the selection lies in", () => {
  const plan = {
    village: "411622101201",
    grids: [
      { code: A, locked: false },
      { code: B, locked: true },
      { code: C, locked: false },
    ],
  };
  assert.deepEqual(rebalanceEdit(new Map(), plan), { op: "rebalance", village: "411622101201" });
  // a split tower in A and C, a building of B (locked), one of another village's grid
  const picked = sel(b("t", 60, [C, A]), b("x", 5, [B]), b("y", 4, [OTHER]), b("z", 3, [A]));
  assert.deepEqual(rebalanceEdit(picked, plan), { op: "rebalance", village: "411622101201", grids: [A, C] });
  // only locked grids selected: nothing to rebalance (not the whole village)
  assert.deepEqual(rebalanceEdit(sel(b("x", 5, [B])), plan).grids, []);
});

test("staff over the limit, sizes and pieces are worded from the issue's fields, other issues keep the server's text", () => {
  const calls = [];
  const t = (key, vars) => {
    calls.push([key, vars]);
    return `${key}:${vars.name}:${vars.households}/${vars.limit}`;
  };
  const staff = { id: "s1", name: "王芳", households: 130, grids: 3, limit: 100 };
  const overload = { kind: "staff_overload", grid: A, message: "english", hard: false, staff };
  assert.equal(issueText(overload, t), "issue_staff_overload:王芳:130/100");
  assert.deepEqual(calls[0][1], { grid: A, id: "s1", name: "王芳", households: 130, grids: 3, limit: 100 });
  // an older server's size issue, without its fields: the server's text
  const size = { kind: "size_out_of_range", grid: B, message: "grid B: 61 households", hard: false };
  assert.equal(issueText(size, t), "grid B: 61 households");
  assert.equal(calls.length, 1);
  // with them: worded here
  const sized = { ...size, size: { households: 61, min: 30, max: 50, target: 40 } };
  issueText(sized, t);
  assert.deepEqual(calls[1], ["issue_size_out_of_range", { grid: B, households: 61, min: 30, max: 50, target: 40 }]);
  issueText({ kind: "non_contiguous", grid: C, message: "english", hard: false, pieces: 3 }, t);
  assert.deepEqual(calls[2], ["issue_non_contiguous", { grid: C, pieces: 3 }]);
  const other = { kind: "gap", grid: null, message: "a gap of 12 m²", hard: false };
  assert.equal(issueText(other, t), "a gap of 12 m²");
  assert.deepEqual(overloadedStaff({ staff_overloaded: [staff] }), ["王芳 (130)"]);
  assert.deepEqual(overloadedStaff({}), []);
});

test("a grid edit names the version it was made from as a strong ETag", () => {
  assert.deepEqual(ifMatch(7), { "If-Match": '"7"' });
  assert.throws(() => ifMatch(undefined), TypeError);
  assert.throws(() => ifMatch("7"), TypeError);
});

test("a tower's flats are shared out as consecutive runs, in flat order, only when they add up", () => {
  const tower = {
    flats: [
      { grid: B, start: 40, end: 75 },
      { grid: A, start: 0, end: 40 },
    ],
  };
  assert.deepEqual(flatShares(tower), [
    { grid: A, count: 40 },
    { grid: B, count: 35 },
  ]);
  assert.deepEqual(flatShares(tower, C).at(-1), { grid: C, count: 0 }, "the move target comes last, empty");
  assert.equal(flatShares(tower, A).length, 2, "a target already in the tower is not added twice");
  assert.deepEqual(
    flatRows("t1", 75, [
      { grid: A, count: 30 },
      { grid: B, count: 35 },
      { grid: C, count: 10 },
    ]),
    {
      rows: [
        { building: "t1", flats: [0, 30], grid: A },
        { building: "t1", flats: [30, 65], grid: B },
        { building: "t1", flats: [65, 75], grid: C },
      ],
      left: 0,
    },
  );
  const short = flatRows("t1", 75, [
    { grid: A, count: 30 },
    { grid: B, count: 35 },
  ]);
  assert.deepEqual(short, { rows: [], left: 10 }, "flats left over: nothing to send");
  assert.deepEqual(
    flatRows("t1", 75, [
      { grid: A, count: 0 },
      { grid: B, count: 75 },
    ]).rows,
    [{ building: "t1", flats: [0, 75], grid: B }],
    "a grid given no flats drops out",
  );
});
