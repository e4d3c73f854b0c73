// Layer switcher and legend, as one MapLibre control (collapsed behind a button on phones).

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { heatLegend } from "./incidents.js";
import {
  CAMERA_COLOUR,
  CAMERA_DOWN_COLOUR,
  COMPREHENSIVE_COLOUR,
  FLAG_COLOUR,
  GRID_PALETTE,
  HOUSEHOLD_BREAKS,
  LAYER_GROUPS,
  SPLIT_COLOUR,
  UNCOVERED_COLOUR,
} from "./layers.js";
import { NO_VISIBLE_HOUSEHOLDS, SHARE_CLASSES } from "./situations.js";

/** MapLibre IControl with group checkboxes and the legend. */
export class LayersControl {
  /**
   * @param {object} [opts]
   * @param {string[]} [opts.basemapLayers] ids of base map layers (adds a "Base map" switch)
   * @param {Record<string, string[]>} [opts.groups] more switchable groups (e.g. `heat`)
   * @param {string[]} [opts.off] groups that start switched off
   * @param {(group: string, visible: boolean) => void} [opts.onToggle] told when a group is switched
   */
  constructor(opts = {}) {
    this.groups = { ...LAYER_GROUPS, ...(opts.groups ?? {}) };
    if (opts.basemapLayers?.length) this.groups = { basemap: opts.basemapLayers, ...this.groups };
    this.off = new Set(opts.off ?? []);
    this.onToggle = opts.onToggle;
    this.heatRow = h("div", { class: "legend-row legend-scale legend-heat", hidden: true });
    // Shown once the map holds comprehensive grids (a county cut into two levels).
    this.comprehensiveRow = h(
      "div",
      { class: "legend-row legend-comprehensive", hidden: true },
      swatch(`border-top:3px solid ${COMPREHENSIVE_COLOUR};height:0;background:none`),
      t("legendComprehensive"),
    );
    // Shown with the cameras: sectors by status, and the grids no camera sees.
    this.cameraRows = h(
      "div",
      { class: "legend-cameras", hidden: true },
      h("div", { class: "legend-row" }, swatch(`background:${CAMERA_COLOUR};opacity:0.5`), t("legendCameraUp")),
      h("div", { class: "legend-row" }, swatch(`background:${CAMERA_DOWN_COLOUR};opacity:0.5`), t("legendCameraDown")),
      h(
        "div",
        { class: "legend-row" },
        swatch(`border:3px dotted ${UNCOVERED_COLOUR};background:none`),
        h("span", { class: "legend-uncovered" }, t("legendUncovered")),
      ),
      h("div", { class: "legend-note" }, t("coverageNote")),
    );
  }

  onAdd(map) {
    this.map = map;
    const compact = window.matchMedia("(max-width: 700px)").matches;
    const toggle = h(
      "button",
      {
        type: "button",
        class: "layers-toggle",
        "aria-expanded": compact ? "false" : "true",
        title: t("layers"),
        onclick: () => this.setOpen(this.body.hidden),
      },
      h("span", { "aria-hidden": "true" }, "☰"),
      h("span", { class: "layers-toggle-text" }, ` ${t("layers")}`),
    );
    const switches = Object.entries(this.groups).map(([group, ids]) =>
      h(
        "label",
        { class: "layer-switch" },
        h("input", {
          type: "checkbox",
          checked: !this.off.has(group),
          dataset: { group },
          onchange: (e) => {
            this.setVisible(ids, e.target.checked);
            if (group === "cameras" && !e.target.checked) this.cameraRows.hidden = true;
            if (group === "buildings3d" && this.situationPicker) this.situationPicker.hidden = !e.target.checked;
            this.onToggle?.(group, e.target.checked);
          },
        }),
        ` ${t(`layer_${group}`)}`,
      ),
    );
    this.body = h(
      "div",
      { class: "layers-body" },
      h("fieldset", null, h("legend", null, t("layers")), switches),
      legend(this.heatRow, this.comprehensiveRow, this.cameraRows),
    );
    this.toggle = toggle;
    this.body.hidden = compact;
    this.container = h("div", { class: "maplibregl-ctrl maplibregl-ctrl-group gridmap-layers" }, toggle, this.body);
    return this.container;
  }

  /**
   * Shows the camera legend with how many grids no camera sees (`uncovered` of `grids`),
   * or why the coverage could not be loaded.
   */
  showCoverage(uncovered, grids, error) {
    this.cameraRows.hidden = false;
    const text = this.cameraRows.querySelector(".legend-uncovered");
    text.textContent =
      uncovered === null ? `${t("legendUncovered")}: ${error}` : t("legendUncoveredCount", { uncovered, grids });
  }

  /**
   * Adds the "colour buildings by situation" picker under the switches (staff only),
   * shown while the 3D buildings are, with its filters: the area (the view, or the grid or
   * village last opened in the panel, see {@link LayersControl#setSituationPlace}) and
   * "only buildings in the situation".
   * @param {string[]} groups situation group keys
   * @param {(group: string) => void} onChoose
   * @param {(f: {area?: {grid?: string, village?: string}|null, onlyMatching?: boolean}) => void} onFilter
   */
  addSituationPicker(groups, onChoose, onFilter) {
    this.situationError = h("span", { class: "situation-error" });
    const scale = h(
      "div",
      { class: "legend-row legend-scale situation-scale", hidden: true },
      h("span", null, t("situationShare")),
      SHARE_CLASSES.map((c, i) => {
        const next = SHARE_CLASSES[i + 1];
        const text = i === 0 ? "0" : next ? `<${Math.round(next.min * 100)}%` : `≥${Math.round(c.min * 100)}%`;
        return h("span", { class: "scale-step" }, swatch(`background:${c.colour}`), text);
      }),
      h("span", { class: "scale-step" }, swatch(`background:${NO_VISIBLE_HOUSEHOLDS}`), t("situationNoHouseholds")),
    );
    this.situationArea = h(
      "select",
      {
        class: "situation-area",
        "aria-label": t("situationArea"),
        onchange: (e) => onFilter({ area: this.situationAreas[e.target.value] ?? null }),
      },
      h("option", { value: "view" }, t("situationAreaView")),
    );
    this.situationAreas = { view: null };
    const filters = h(
      "div",
      { class: "situation-filters", hidden: true },
      h("label", null, `${t("situationArea")} `, this.situationArea),
      h(
        "label",
        null,
        h("input", {
          type: "checkbox",
          class: "situation-only",
          onchange: (e) => onFilter({ onlyMatching: e.target.checked }),
        }),
        ` ${t("situationOnlyMatching")}`,
      ),
    );
    this.situationPicker = h(
      "div",
      { class: "situation-picker", hidden: this.off.has("buildings3d") },
      h(
        "label",
        null,
        `${t("colourBySituation")} `,
        h(
          "select",
          {
            class: "situation-group",
            onchange: (e) => {
              scale.hidden = !e.target.value;
              filters.hidden = !e.target.value;
              onChoose(e.target.value);
            },
          },
          h("option", { value: "" }, t("situationNone")),
          groups.map((g) => h("option", { value: g }, t(`tag_${g}`))),
        ),
      ),
      this.situationError,
      filters,
      scale,
    );
    this.body.querySelector("fieldset").after(this.situationPicker);
  }

  /**
   * Offers the grid and village last opened in the panel as areas of the situation filter
   * (the chosen area stays chosen while it is still offered).
   * @param {{grid?: string|null, village?: {code: string, name?: string}|null}} place
   */
  setSituationPlace(place) {
    if (!this.situationArea) return;
    const chosen = this.situationArea.value;
    this.situationAreas = { view: null };
    const options = [h("option", { value: "view" }, t("situationAreaView"))];
    if (place.grid) {
      this.situationAreas.grid = { grid: place.grid };
      options.push(h("option", { value: "grid" }, t("situationAreaGrid", { code: place.grid })));
    }
    if (place.village) {
      this.situationAreas.village = { village: place.village.code };
      options.push(
        h(
          "option",
          { value: "village" },
          t("situationAreaVillage", { name: place.village.name ?? place.village.code }),
        ),
      );
    }
    this.situationArea.replaceChildren(...options);
    this.situationArea.value = chosen in this.situationAreas ? chosen : "view";
  }

  /** Says why the situation colours could not be loaded (`null`: they were). */
  situationProblem(message) {
    if (this.situationError) this.situationError.textContent = message ? ` ${message}` : "";
  }

  /** Shows the comprehensive grids' outline in the legend (once the map holds any). */
  showComprehensive() {
    this.comprehensiveRow.hidden = false;
  }

  /** Whether the switches and legend show (else only the ☰ button). */
  isOpen() {
    return !this.body.hidden;
  }

  /** Shows (`true`) or folds away the switches and legend. */
  setOpen(open) {
    this.body.hidden = !open;
    this.toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  onRemove() {
    this.container.remove();
    this.map = undefined;
  }

  /** Shows the heat ramp's classes in the legend (hidden while `breaks` is null). */
  setHeatBreaks(breaks) {
    this.heatRow.hidden = !breaks;
    this.heatRow.replaceChildren(...(breaks ? [h("span", null, t("legendHeat")), ...heatScale(breaks)] : []));
  }

  setVisible(ids, visible) {
    for (const id of ids) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    }
  }
}

function swatch(style, cls = "") {
  return h("span", { class: `swatch ${cls}`, style, "aria-hidden": "true" });
}

/** The heat ramp's classes as legend steps ("1–4", "5–9", "10+"). */
export function heatScale(breaks) {
  return heatLegend(breaks).map((c) =>
    h(
      "span",
      { class: "scale-step" },
      swatch(`background:${c.colour}`),
      c.to === null ? `${c.from}+` : c.to === c.from ? `${c.from}` : `${c.from}–${c.to}`,
    ),
  );
}

function legend(heatRow, comprehensiveRow, cameraRows) {
  const rows = [heatRow];
  rows.push(
    h(
      "div",
      { class: "legend-row" },
      h(
        "span",
        { class: "swatches" },
        GRID_PALETTE.slice(0, 6).map((c) => swatch(`background:${c}`)),
      ),
      t("legendGrids"),
    ),
  );
  rows.push(
    h(
      "div",
      { class: "legend-row" },
      swatch(`border:2px dashed ${FLAG_COLOUR};background:transparent`),
      t("legendFlagged"),
    ),
  );
  rows.push(h("div", { class: "legend-title" }, t("legendHouseholds")));
  rows.push(
    h(
      "div",
      { class: "legend-row legend-scale" },
      HOUSEHOLD_BREAKS.map((b, i) => {
        const next = HOUSEHOLD_BREAKS[i + 1];
        const text = b.min === 0 ? t("legendNoHouseholds") : next ? `${b.min}–${next.min - 1}` : `${b.min}+`;
        return h("span", { class: "scale-step" }, swatch(`background:${b.colour}`), text);
      }),
    ),
  );
  rows.push(h("div", { class: "legend-row" }, swatch("", "swatch-hatch"), t("legendEstimated")));
  rows.push(
    h("div", { class: "legend-row" }, swatch(`border:3px solid ${SPLIT_COLOUR};background:#fdd49e`), t("legendSplit")),
  );
  rows.push(comprehensiveRow);
  rows.push(
    h(
      "div",
      { class: "legend-row" },
      swatch("border-top:2px dashed #5b4a3a;height:0;background:none"),
      t("legendVillage"),
    ),
  );
  rows.push(
    h(
      "div",
      { class: "legend-row" },
      swatch("border-top:3px solid #2b2b2b;height:0;background:none"),
      t("legendTownship"),
    ),
  );
  rows.push(cameraRows);
  return h("details", { class: "legend", open: true }, h("summary", { class: "legend-heading" }, t("legend")), rows);
}
