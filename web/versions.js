// The planner panel's versions and downloads: save the village's plan under a name, list the
// saved versions, compare one with the plan as it is (drawn on the map), restore, download or
// delete it; download the plan as it is (grids, roster, plan CSV) with the staff token; import
// a plan CSV. Its elements live across the panel's redraws (typed names and chosen options stay).

import * as api from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { chinaTime } from "./incidents.js";
import {
  COMPARE_SOURCE,
  compareLayers,
  comparisonSummary,
  defaultFileName,
  exportPath,
  GRID_FORMATS,
  planCsvPath,
  rosterPath,
} from "./plandiff.js";

const FORMAT_LABELS = { geojson: "GeoJSON", fgb: "FlatGeobuf", shp: "Shapefile" };

/**
 * @param {import("maplibre-gl").Map} map
 * @param {{layersBefore: string, apply: (village: string, what: string, send: () => Promise<object>) => Promise<Error|null>}} opts
 *   `apply` sends an edit (restore, import) the way the planner sends its own and answers the refusal, if any
 */
export function createVersionsPanel(map, opts) {
  /** @type {{village: string|null, busy: boolean, list: object[]|null, message: {kind: string, text: string}|null, compare: object|null, importMessage: {kind: string, text: string}|null, downloadMessage: {kind: string, text: string}|null}} */
  const s = {
    village: null,
    busy: false,
    list: null,
    message: null,
    compare: null,
    importMessage: null,
    downloadMessage: null,
  };
  let working = false;
  let listSeq = 0;

  const nameInput = h("input", {
    type: "text",
    class: "version-name",
    maxlength: "100",
    placeholder: t("versionName"),
    "aria-label": t("versionName"),
  });
  const saveForm = h(
    "form",
    {
      class: "version-save",
      onsubmit: (e) => {
        e.preventDefault();
        save();
      },
    },
    nameInput,
    h("button", { type: "submit", class: "planner-button save-version" }, t("saveVersion")),
  );
  const versionsBody = h("div", { class: "versions-body" });
  const versions = h(
    "details",
    { class: "planner-versions planner-fold" },
    h("summary", null, t("versions")),
    saveForm,
    versionsBody,
  );

  const encoding = h(
    "select",
    { class: "export-encoding", "aria-label": t("encoding") },
    h("option", { value: "utf-8" }, "UTF-8"),
    h("option", { value: "gbk" }, "GBK"),
  );
  const fileInput = h("input", {
    type: "file",
    class: "plan-import",
    accept: ".csv,text/csv",
    "aria-label": t("importPlan"),
    onchange: () => importFile(),
  });
  const downloadsBody = h("div", { class: "downloads-body" });
  const importMessage = h("div", { class: "import-message" });
  const downloads = h(
    "details",
    { class: "planner-downloads planner-fold" },
    h("summary", null, t("downloads")),
    downloadsBody,
    h("div", { class: "import-row" }, h("label", null, `${t("importPlan")} `, fileInput), importMessage),
  );

  function render() {
    const busy = s.busy || working || !s.village;
    for (const el of saveForm.querySelectorAll("input, button")) el.disabled = busy;
    fileInput.disabled = busy;
    encoding.disabled = !s.village;
    versionsBody.replaceChildren(
      ...[message(s.message, "versions-message"), compareBox(s.compare), versionList(busy)].filter(Boolean),
    );
    downloadsBody.replaceChildren(...downloadButtons(!s.village).filter(Boolean));
    importMessage.replaceChildren(...[message(s.importMessage, "import-status")].filter(Boolean));
  }

  function message(m, cls) {
    if (!m) return null;
    return h("p", { class: `${cls} status-${m.kind}`, role: m.kind === "error" ? "alert" : "status" }, m.text);
  }

  // ---- the list and its actions

  function versionList(busy) {
    if (!s.village) return null;
    if (s.list === null) return h("p", { class: "muted" }, t("loading"));
    if (!s.list.length) return h("p", { class: "muted versions-empty" }, t("versionsEmpty"));
    const b = (label, cls, onclick, title) =>
      h(
        "button",
        { type: "button", class: `planner-button small ${cls}`, disabled: busy || null, title, onclick },
        label,
      );
    return h(
      "ol",
      { class: "version-list" },
      s.list.map((v) =>
        h(
          "li",
          {
            class: `version${s.compare?.version.id === v.id ? " compared" : ""}`,
            dataset: { version: v.id, name: v.name },
          },
          h("div", { class: "version-head" }, h("strong", { class: "version-title" }, v.name)),
          h(
            "div",
            { class: "version-meta muted" },
            h("time", { datetime: v.created_at }, timeOf(v.created_at)),
            ` · ${v.actor} · ${v.grids} ${t("gridsUnit")} · ${v.households} ${t("householdsUnit")}`,
          ),
          h(
            "div",
            { class: "button-row version-actions" },
            b(t("compare"), "version-compare", () => compare(v)),
            b(t("restore"), "version-restore", () => restore(v)),
            GRID_FORMATS.map((f) =>
              b(FORMAT_LABELS[f], `version-download download-${f}`, () => downloadVersion(v, f), t("download")),
            ),
            b(t("delete"), "version-delete danger", () => remove(v)),
          ),
        ),
      ),
    );
  }

  async function loadList() {
    const village = s.village;
    const mine = ++listSeq;
    try {
      const list = await api.versions(village);
      if (mine === listSeq && village === s.village) s.list = list ?? [];
    } catch (err) {
      if (mine === listSeq && village === s.village) {
        s.list = [];
        s.message = { kind: "error", text: `${t("lookupFailed")}: ${err.message}` };
      }
    }
    render();
  }

  /** Runs one request of the section with its buttons disabled; the message says how it went. */
  async function act(fn) {
    if (working || !s.village) return;
    working = true;
    render();
    try {
      await fn(s.village);
    } catch (err) {
      s.message = { kind: "error", text: err.message };
    } finally {
      working = false;
      render();
    }
  }

  function save() {
    const name = nameInput.value.trim();
    return act(async (village) => {
      const v = await api.saveVersion(village, name);
      nameInput.value = "";
      s.message = { kind: "ok", text: t("versionSaved", { name: v.name }) };
      await loadList();
    });
  }

  function remove(v) {
    if (!window.confirm(t("confirmDeleteVersion", { name: v.name }))) return;
    return act(async (village) => {
      await api.deleteVersion(village, v.id);
      if (s.compare?.version.id === v.id) clearComparison();
      s.message = { kind: "ok", text: t("versionDeleted", { name: v.name }) };
      await loadList();
    });
  }

  function restore(v) {
    if (!window.confirm(t("confirmRestore", { name: v.name }))) return;
    return act(async (village) => {
      s.message = null;
      const err = await opts.apply(village, t("what_restore", { name: v.name }), () =>
        api.restoreVersion(village, v.id),
      );
      if (err) s.message = { kind: "error", text: err.message };
      else {
        clearComparison();
        s.message = { kind: "ok", text: t("editDone", { what: t("what_restore", { name: v.name }) }) };
      }
    });
  }

  // ---- comparing a version with the plan as it is

  function compare(v) {
    return act(async (village) => {
      const cmp = await api.compareVersions(village, v.id, "current");
      if (village !== s.village) return;
      s.message = null;
      s.compare = { version: v, summary: comparisonSummary(cmp) };
      draw(cmp.map ?? { type: "FeatureCollection", features: [] });
    });
  }

  function compareBox(c) {
    if (!c) return null;
    const x = c.summary;
    const codes = (key, list) =>
      list.length
        ? h(
            "li",
            { class: `compare-${key}` },
            `${t(key, { n: list.length })}: `,
            h("span", { class: "codes" }, list.join(", ")),
          )
        : null;
    return h(
      "div",
      {
        class: "version-comparison",
        dataset: {
          version: c.version.id,
          moved: x.moved,
          added: x.added.length,
          removed: x.removed.length,
          changed: x.changed.length,
          features: x.features,
        },
      },
      h("div", { class: "status-heading" }, t("compareHeading", { name: c.version.name })),
      x.same
        ? h("p", { class: "muted" }, t("compareSame"))
        : [
            h("p", { class: "compare-moved" }, t("householdsMoved", { n: x.moved })),
            h(
              "ul",
              { class: "compare-grids" },
              codes("gridsAdded", x.added),
              codes("gridsRemoved", x.removed),
              codes("gridsChanged", x.changed),
            ),
            h(
              "p",
              { class: "compare-legend muted" },
              h("span", { class: "swatch swatch-from" }),
              ` ${t("legendFrom")} `,
              h("span", { class: "swatch swatch-to" }),
              ` ${t("legendTo")}`,
            ),
          ],
      h(
        "button",
        { type: "button", class: "planner-button small clear-comparison", onclick: () => clearComparison(true) },
        t("clearComparison"),
      ),
    );
  }

  function draw(fc) {
    const source = map.getSource(COMPARE_SOURCE);
    if (source) source.setData(fc);
    else map.addSource(COMPARE_SOURCE, { type: "geojson", data: fc });
    const before = map.getLayer(opts.layersBefore) ? opts.layersBefore : undefined;
    for (const layer of compareLayers()) if (!map.getLayer(layer.id)) map.addLayer(layer, before);
  }

  /** Removes the comparison from the map (and the panel; `redraw` when not about to render anyway). */
  function clearComparison(redraw = false) {
    s.compare = null;
    for (const layer of compareLayers()) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
    if (map.getSource(COMPARE_SOURCE)) map.removeSource(COMPARE_SOURCE);
    if (redraw) render();
  }

  // ---- downloads and the plan CSV import

  function downloadButtons(disabled) {
    const b = (label, cls, onclick) =>
      h("button", { type: "button", class: `planner-button small ${cls}`, disabled: disabled || null, onclick }, label);
    return [
      message(s.downloadMessage, "download-status"),
      h(
        "div",
        { class: "button-row download-row" },
        h("span", { class: "download-label" }, t("gridsFile")),
        GRID_FORMATS.map((f) =>
          b(FORMAT_LABELS[f], `download-grids download-${f}`, () =>
            fetchFile(
              exportPath(s.village, { format: f, encoding: encoding.value }),
              defaultFileName(s.village, "grids", f),
            ),
          ),
        ),
        h("label", { class: "encoding-label" }, `${t("encoding")} `, encoding),
      ),
      h(
        "div",
        { class: "button-row download-row" },
        b(t("rosterCsv"), "download-roster-csv", () =>
          fetchFile(rosterPath(s.village, "csv"), defaultFileName(s.village, "roster", "csv")),
        ),
        b(t("rosterXlsx"), "download-roster-xlsx", () =>
          fetchFile(rosterPath(s.village, "xlsx"), defaultFileName(s.village, "roster", "xlsx")),
        ),
        b(t("planCsv"), "download-plan-csv", () => fetchFile(planCsvPath(s.village), `${s.village}-plan.csv`)),
      ),
    ];
  }

  function downloadVersion(v, format) {
    const path = exportPath(s.village, { format, encoding: encoding.value, version: v.id });
    return fetchFile(path, defaultFileName(s.village, `v${v.id}-grids`, format));
  }

  /** Fetches a file with the staff token and hands it to the browser as a download. */
  async function fetchFile(path, fallback) {
    s.downloadMessage = { kind: "info", text: t("downloading") };
    render();
    try {
      await api.downloadFile(path, fallback);
      s.downloadMessage = null;
    } catch (err) {
      s.downloadMessage = { kind: "error", text: `${t("downloadFailed")}: ${err.message}` };
    }
    render();
  }

  function importFile() {
    const file = fileInput.files?.[0];
    if (!file) return;
    return act(async (village) => {
      s.importMessage = { kind: "info", text: t("working") };
      render();
      const what = t("what_import", { file: file.name });
      const err = await opts.apply(village, what, () => api.importPlanCsv(village, file));
      fileInput.value = "";
      s.importMessage = err
        ? { kind: "error", text: `${t("editRefused")}: ${err.message}` }
        : { kind: "ok", text: t("editDone", { what }) };
      if (!err && s.compare) clearComparison();
    });
  }

  return {
    /** The sections, to place in the panel (the same elements every time). */
    elements: () => [versions, downloads],
    /** The planner's village and whether an edit is on its way; a new village loads its versions. */
    setVillage(village, busy) {
      const code = village ?? null;
      const changed = code !== s.village;
      if (!changed && busy === s.busy) return;
      s.busy = busy;
      if (changed) {
        clearComparison();
        Object.assign(s, { village: code, list: null, message: null, importMessage: null, downloadMessage: null });
        if (code) loadList();
      }
      render();
    },
    /** Removes the comparison from the map (leaving the planner). */
    clear: () => clearComparison(true),
    /** For tests and the console. */
    state: () => s,
  };
}

/** An RFC 3339 time in China time ("YYYY-MM-DD HH:MM"), or as given when unreadable. */
function timeOf(rfc3339) {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? String(rfc3339) : chinaTime(ms / 1000);
}
