// The floor diagram of a building (户况楼层图): one row per floor, top floor first, one
// cell per flat (entrance, then flat number), coloured by the flat's grid; with a
// situation chosen (低保, 独居老人…), flats of that situation are marked. A click on a flat
// shows it below the diagram: head, phone and tags only when the API gave them (inside
// the caller's scope), so the diagram shows nothing the household table does not.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { GRID_PALETTE } from "./layers.js";
import { tagEditor } from "./tags.js";

/** Situation groups, as the API names them (`tag_groups`) and in this order. */
export const TAG_GROUPS = ["floating", "rental", "elderly_alone", "low_income", "disability", "key_care"];

/**
 * Floors of `list` (households with `floor`), top first, each with its flats sorted by
 * entrance then flat number; `null` when the building has fewer than two floors of flats.
 * @param {Array<{floor?: number, entrance?: string, unit?: string}>} list
 */
export function floorRows(list) {
  const byFloor = new Map();
  for (const x of list) {
    if (x.floor === undefined || x.floor === null) continue;
    if (!byFloor.has(x.floor)) byFloor.set(x.floor, []);
    byFloor.get(x.floor).push(x);
  }
  if (byFloor.size < 2) return null;
  const key = (x) => `${String(x.entrance ?? "").padStart(4, "0")}|${String(x.unit ?? "").padStart(8, "0")}`;
  return [...byFloor.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([floor, flats]) => ({ floor, flats: flats.sort((a, b) => key(a).localeCompare(key(b))) }));
}

/**
 * The floor diagram section of building `b` (`/api/buildings/{id}`), or null for a
 * building of one floor.
 * @param {object} b
 * @param {{showGrid: (code: string) => void, saveTags?: Function}} actions
 */
export function floorSection(b, actions) {
  const rows = floorRows(b.household_list ?? []);
  if (!rows) return null;
  const grids = b.grids ?? [];
  const colour = (code) => GRID_PALETTE[Math.max(0, grids.indexOf(code)) % GRID_PALETTE.length];
  const withTags = (b.household_list ?? []).some((x) => x.tag_groups);
  const detail = h("div", { class: "flat-detail", hidden: true });
  const cells = [];
  const diagram = h(
    "div",
    { class: "floor-diagram", role: "grid", "aria-label": t("floorDiagram") },
    rows.map((row) =>
      h(
        "div",
        { class: "floor-row", role: "row", dataset: { floor: row.floor } },
        h("span", { class: "floor-number", role: "rowheader" }, `${row.floor}F`),
        row.flats.map((x) => {
          const cell = h("button", {
            type: "button",
            class: "flat",
            role: "gridcell",
            title: flatName(x),
            style: `background:${colour(x.grid)}`,
            dataset: { household: x.id, groups: (x.tag_groups ?? []).join(" ") },
            onclick: () => showFlat(x),
          });
          cells.push(cell);
          return cell;
        }),
      ),
    ),
  );

  function showFlat(x) {
    for (const c of cells) c.classList.toggle("chosen", c.dataset.household === x.id);
    const grid = x.grid
      ? h("button", { type: "button", class: "link", onclick: () => actions.showGrid(x.grid) }, x.grid)
      : "–";
    detail.replaceChildren(
      h("strong", null, flatName(x)),
      h(
        "dl",
        null,
        [
          [t("grid"), grid],
          x.head ? [t("head"), h("span", { class: "flat-head" }, x.head)] : null,
          x.phone ? [t("phone"), x.phone] : null,
          x.tags?.length ? [t("tags"), x.tags.join("、")] : null,
        ]
          .filter(Boolean)
          .map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
      ),
      tagEditor(x, {
        saveTags: actions.saveTags,
        onSaved: (saved) => {
          const cell = cells.find((c) => c.dataset.household === saved.id);
          if (cell) cell.dataset.groups = (saved.tag_groups ?? []).join(" ");
          actions.onTagsSaved?.(saved);
          showFlat(saved);
        },
      }),
    );
    detail.hidden = false;
  }

  const picker = withTags
    ? h(
        "label",
        { class: "tag-picker" },
        `${t("markSituation")} `,
        h(
          "select",
          {
            onchange: (e) => {
              const group = e.target.value;
              for (const c of cells) c.classList.toggle("marked", Boolean(group) && c.dataset.groups.includes(group));
            },
          },
          h("option", { value: "" }, t("situationNone")),
          TAG_GROUPS.map((g) => h("option", { value: g }, t(`tag_${g}`))),
        ),
      )
    : null;
  const flats = rows.reduce((n, r) => n + r.flats.length, 0);
  return h(
    "section",
    { class: "floors-section" },
    h("details", null, h("summary", null, t("floorsSummary", { floors: rows.length, flats })), picker, diagram, detail),
  );
}

function flatName(x) {
  return [x.entrance ? `${x.entrance}${t("entranceUnit")}` : "", x.unit ?? `${x.floor}F`].join("") || x.id;
}
