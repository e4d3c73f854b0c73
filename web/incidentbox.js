// The map's incident box (shown with the heat layer): today / open / overdue for the county
// and the latest incidents inside the current view, live from the event stream.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { inBbox } from "./incidents.js";
import { createLive, createNames, incidentRow } from "./live.js";

const ROWS = 8;
const KEEP = 100;

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
  /** Newest first, from the summary and the stream. */
  let recent = [];
  let live = null;

  function merge(items) {
    const seen = new Set();
    recent = [...items, ...recent]
      .filter((i) => i?.id && !seen.has(i.id) && seen.add(i.id))
      .sort((a, b) => (b.time ?? 0) - (a.time ?? 0))
      .slice(0, KEEP);
  }

  function renderList() {
    const b = map.getBounds();
    const view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    const rows = recent.filter((i) => inBbox(i.lon, i.lat, view)).slice(0, ROWS);
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
    merge(s.recent ?? []);
    renderList();
  }

  map.on("moveend", () => {
    if (live) renderList();
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
        onEvent: (_name, data) => {
          if (!data.incident) return;
          recent = recent.filter((i) => i.id !== data.incident.id);
          merge([data.incident]);
          renderList();
        },
      });
    },
    stop() {
      live?.close();
      live = null;
      root.hidden = true;
    },
  };
}
