// The map's incident box (shown with the heat layer): today / open / overdue for the county
// and the newest incidents inside the current view (`/api/incidents?bbox=`), live from the
// event stream.

import * as api from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { createLive, createNames, incidentRow } from "./live.js";

const ROWS = 8;
/** Moves and events within this time share one list request. */
const LIST_DEBOUNCE_MS = 200;

/**
 * @param {HTMLElement} root the box (`#incidents`)
 * @param {import("maplibre-gl").Map} map
 * @param {{window: string, onPick: (incident: object) => void, onRefresh: (bbox: number[]|null) => void}} opts
 */
export function createIncidentBox(root, map, opts) {
  const names = createNames();
  const counters = h("div", { class: "incident-counters" });
  const status = h("span", { class: "incident-live", dataset: { status: "connecting" } });
  const list = h("ol", { class: "incident-list" });
  root.replaceChildren(h("h3", null, t("incidents"), status), counters, h("h4", null, t("incidentsInView")), list);
  let live = null;
  let timer = 0;
  let controller = null;

  async function loadList() {
    controller?.abort();
    controller = new AbortController();
    const b = map.getBounds();
    try {
      const res = await api.incidentsIn([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], ROWS, {
        signal: controller.signal,
      });
      renderList(res.items ?? []);
    } catch (err) {
      if (err.name !== "AbortError") renderList([]);
    }
  }

  function loadListSoon() {
    clearTimeout(timer);
    timer = setTimeout(loadList, LIST_DEBOUNCE_MS);
  }

  function renderList(rows) {
    list.replaceChildren(
      ...(rows.length
        ? rows.map((i) => incidentRow(i, names, { tabindex: "0", role: "button", onclick: () => opts.onPick(i) }))
        : [h("li", { class: "muted" }, t("noIncidents"))]),
    );
  }

  function renderSummary(s) {
    names.learn(s);
    counters.replaceChildren(
      ...[
        ["today", s.today],
        ["open", s.open],
        ["overdue", s.overdue],
      ].map(([key, n]) =>
        h(
          "div",
          { class: `incident-counter counter-${key}`, dataset: { counter: key } },
          h("span", { class: "value" }, n ?? 0),
          h("span", { class: "label" }, t(key)),
        ),
      ),
    );
    loadListSoon();
  }

  map.on("moveend", () => {
    if (live) loadListSoon();
  });

  return {
    start() {
      if (live) return;
      root.hidden = false;
      live = createLive({
        query: () => ({ window: opts.window }),
        onSummary: renderSummary,
        onStatus: (s) => {
          status.dataset.status = s;
          status.title = t(s);
        },
        onRefresh: opts.onRefresh,
      });
    },
    stop() {
      live?.close();
      live = null;
      clearTimeout(timer);
      controller?.abort();
      root.hidden = true;
    },
  };
}
