// The planner panel: tools (lasso, undo, redo, shortcuts), the selection with what a move
// would make of the grids, the village summary, its grids and issues, the sections given as
// `extraSections` (versions and downloads, kept across redraws), and the history.
// It draws the state it is given; the actions go back to planner.js.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { chinaTime } from "./incidents.js";
import { issueText, overloadedStaff } from "./issues.js";
import { flatRows, flatShares, movePreview, rebalanceEdit, sizeStatus, summarize } from "./selection.js";

/**
 * @typedef {object} PlannerState
 * @property {object|null} plan the village's plan (`GET api/villages/{code}/plan`)
 * @property {boolean} loading
 * @property {Map<string, {id: string, households: number, grids: string[]}>} selection
 * @property {number} dropped buildings of other villages the last selection left out
 * @property {string|null} target the move target
 * @property {string|null} focus the picked grid
 * @property {boolean} picking the next grid clicked on the map is the target
 * @property {boolean} lasso
 * @property {boolean} busy an edit or undo is on its way
 * @property {{kind: "ok"|"error"|"info", text: string, caused?: object[], fixed?: object[]}|null} status
 * @property {{undo: number, redo: number}} stack
 * @property {object[]|null} history
 */

/**
 * @param {HTMLElement} root the planner's <aside>
 * @param {Record<string, Function>} actions
 */
export function createPlannerPanel(root, actions) {
  const title = h("h2", { class: "panel-title" }, t("plannerTitle"));
  const close = h(
    "button",
    { type: "button", class: "panel-close", "aria-label": t("close"), onclick: actions.close },
    "×",
  );
  const tools = h("div", { class: "planner-tools" });
  const body = h("div", { class: "panel-body planner-body" });
  root.replaceChildren(h("header", { class: "panel-header" }, title, close), tools, body);
  let historyOpen = false;

  /** @param {PlannerState} s */
  function render(s) {
    const plan = s.plan;
    title.textContent = plan ? `${t("plannerTitle")} · ${plan.name}` : t("plannerTitle");
    tools.replaceChildren(...toolbar(s, actions));
    const sizes = new Map((plan?.grids ?? []).map((g) => [g.code, g.households]));
    const preview = s.target && s.selection.size ? movePreview(s.selection, sizes, s.target) : null;
    const sections = [
      statusBox(s.status),
      selectionSection(s, plan, preview, actions),
      plan && s.tower ? towerSection(s, actions) : null,
      plan ? null : h("p", { class: "muted" }, s.loading ? t("loading") : t("plannerNeedsVillage")),
      plan ? summarySection(plan, s, actions) : null,
      plan && s.focus ? focusSection(plan, s, actions) : null,
      plan ? gridsSection(plan, s, preview, actions) : null,
      plan ? issuesSection(plan, actions) : null,
      ...(plan ? (actions.extraSections?.() ?? []) : []),
      historySection(s, historyOpen, (open) => {
        // a <details> created open fires "toggle" too: only a change counts
        if (open === historyOpen) return;
        historyOpen = open;
        if (open) actions.loadHistory();
      }),
    ];
    body.replaceChildren(...sections.filter(Boolean));
  }

  return { render, element: root, historyOpen: () => historyOpen };
}

function button(label, attrs, onclick) {
  return h("button", { type: "button", class: "planner-button", ...attrs, onclick }, label);
}

/** A padlock, closed or open (drawn: the map's fonts have no emoji). */
function lockIcon(locked) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "lock-icon");
  svg.setAttribute("aria-hidden", "true");
  const body = document.createElementNS(ns, "rect");
  for (const [k, v] of Object.entries({ x: 3, y: 7, width: 10, height: 8, rx: 1.5 })) body.setAttribute(k, v);
  const shackle = document.createElementNS(ns, "path");
  shackle.setAttribute("d", locked ? "M5.5 7V5a2.5 2.5 0 0 1 5 0v2" : "M5.5 7V5a2.5 2.5 0 0 1 5 0v-0.5");
  shackle.setAttribute("class", "shackle");
  svg.append(shackle, body);
  return svg;
}

function toolbar(s, actions) {
  const busy = s.busy || null;
  return [
    button(
      t("lasso"),
      {
        class: `planner-button lasso-toggle${s.lasso ? " on" : ""}`,
        "aria-pressed": String(s.lasso),
        title: `${t("lasso")} (L)`,
      },
      actions.toggleLasso,
    ),
    button(
      `↶ ${t("undo")}`,
      { class: "planner-button undo", disabled: busy || !s.stack.undo || null, title: `${t("undo")} (Ctrl+Z)` },
      actions.undo,
    ),
    button(
      `↷ ${t("redo")}`,
      { class: "planner-button redo", disabled: busy || !s.stack.redo || null, title: `${t("redo")} (Ctrl+Shift+Z)` },
      actions.redo,
    ),
    help(),
  ];
}

/** The shortcuts, behind a "?" (a tooltip on hover or focus, a popover on click). */
function help() {
  const keys = [
    ["Shift+click", t("keyShiftClick")],
    ["L", t("keyLasso")],
    ["M", t("keyMove")],
    ["Esc", t("keyEsc")],
    ["Ctrl+Z", t("keyUndo")],
    ["Ctrl+Shift+Z", t("keyRedo")],
    ["Ctrl+Y", t("keyRedo")],
  ];
  const text = keys.map(([k, v]) => `${k}: ${v}`).join("\n");
  return h(
    "details",
    { class: "planner-help" },
    h("summary", { title: `${t("shortcuts")}\n${text}`, "aria-label": t("shortcuts") }, "?"),
    h(
      "div",
      { class: "help-pop", role: "tooltip" },
      h("strong", null, t("shortcuts")),
      h(
        "dl",
        null,
        keys.flatMap(([k, v]) => [h("dt", null, h("kbd", null, k)), h("dd", null, v)]),
      ),
      h("p", { class: "muted" }, t("plannerHint")),
    ),
  );
}

function statusBox(status) {
  if (!status) return null;
  const list = (heading, items, cls) =>
    items?.length
      ? [
          h("div", { class: "status-heading" }, heading),
          h(
            "ul",
            { class: cls },
            items.map((i) => h("li", { dataset: { kind: i.kind } }, issueText(i, t))),
          ),
        ]
      : null;
  return h(
    "div",
    { class: `planner-status status-${status.kind}`, role: status.kind === "error" ? "alert" : "status" },
    h("div", { class: "status-text" }, status.text),
    list(t("editCaused"), status.caused, "status-caused"),
    list(t("editFixed"), status.fixed, "status-fixed"),
  );
}

function selectionSection(s, plan, preview, actions) {
  const sum = summarize(s.selection);
  const busy = s.busy || null;
  const grids = (plan?.grids ?? []).map((g) => g.code);
  const target = h(
    "select",
    {
      class: "move-target",
      "aria-label": t("moveTo"),
      disabled: !plan || null,
      onchange: (e) => actions.setTarget(e.target.value || null),
    },
    h("option", { value: "" }, t("chooseGrid")),
    grids.map((code) => h("option", { value: code, selected: code === s.target || null }, code)),
  );
  const canMove = Boolean(preview?.buildings.length);
  return h(
    "section",
    { class: "planner-selection", dataset: { buildings: sum.buildings, households: sum.households } },
    h("h3", null, t("selection")),
    h(
      "p",
      { class: "selection-count" },
      sum.buildings ? t("selectionCount", { n: sum.buildings, hh: sum.households }) : t("selectionNone"),
    ),
    sum.skipped ? h("p", { class: "note" }, t("selectionSkipped", { n: sum.skipped })) : null,
    s.dropped ? h("p", { class: "note" }, t("selectionOtherVillage", { n: s.dropped })) : null,
    s.lasso ? h("p", { class: "note hint" }, t("lassoOn")) : null,
    s.cutting ? h("p", { class: "note hint split-line-hint" }, t("splitLineOn", { grid: s.cutting })) : null,
    s.picking ? h("p", { class: "note hint picking" }, t("pickingTarget")) : null,
    h(
      "div",
      { class: "move-row" },
      h("label", null, `${t("moveTo")} `, target),
      button(
        `${t("moveToPick")} (M)`,
        { class: `planner-button pick-target${s.picking ? " on" : ""}`, disabled: !plan || null },
        actions.pickTarget,
      ),
    ),
    preview ? previewList(preview, plan) : null,
    h(
      "div",
      { class: "button-row" },
      button(
        t("moveConfirm"),
        { class: "planner-button primary move-confirm", disabled: busy || !canMove || null },
        actions.move,
      ),
      button(
        t("newGrid"),
        { class: "planner-button new-grid", disabled: busy || !sum.movable.length || null },
        actions.newGrid,
      ),
      button(
        t("clearSelection"),
        { class: "planner-button clear-selection", disabled: !sum.buildings || null },
        actions.clearSelection,
      ),
    ),
  );
}

/** What the move would make of the target and each source grid (red when out of range). */
function previewList(p, plan) {
  const row = (key, g, cls) =>
    h(
      "li",
      {
        class: `${cls} size-${sizeStatus(g.after, plan)}`,
        dataset: { grid: g.code, before: g.before, after: g.after },
      },
      t(key, g),
    );
  return h(
    "div",
    { class: "move-preview" },
    h("div", { class: "status-heading" }, `${t("previewHeading")} (${p.moved} ${t("householdsUnit")})`),
    h(
      "ul",
      null,
      row("previewTarget", p.target, "preview-target"),
      p.sources.map((g) => row("previewSource", g, "preview-source")),
    ),
  );
}

/** Rebalances the selection's grids ("Rebalance 3 grids") or, with nothing selected, the village. */
function rebalanceButton(plan, s, actions) {
  // A village cut at two levels is balanced by a partition run (`gridmap partition
  // --village CODE`); the server refuses a rebalance there.
  if (plan.comprehensive) return null;
  const edit = rebalanceEdit(s.selection, plan);
  const n = edit.grids?.length;
  return button(
    edit.grids ? (n === 1 ? t("rebalanceGrid") : t("rebalanceGrids", { n })) : t("rebalance"),
    {
      class: "planner-button rebalance",
      disabled: s.busy || n === 0 || null,
      title: edit.grids ? t("rebalanceGridsTitle") : t("rebalanceTitle"),
      dataset: { grids: edit.grids ? edit.grids.join(",") : "" },
    },
    actions.rebalance,
  );
}

function summarySection(plan, s, actions) {
  const busy = s.busy || null;
  const allLocked = plan.grids.length > 0 && plan.grids.every((g) => g.locked);
  return h(
    "section",
    { class: "planner-summary", dataset: { village: plan.village } },
    h("h3", null, `${t("villageSummary")} · ${plan.name} (${plan.village})`),
    h(
      "dl",
      null,
      [
        [t("households"), `${plan.households} ${t("householdsUnit")}`],
        [t("gridsTotal"), plan.grids.length],
        [
          t("inRange"),
          h(
            "span",
            { class: plan.in_range < plan.residential ? "size-over" : null },
            `${plan.in_range} / ${plan.residential}`,
          ),
        ],
        [
          t("sizeSpread"),
          t("sizeRange", { min: plan.size_min, max: plan.size_max, lo: plan.min, hi: plan.max, target: plan.target }),
        ],
        plan.comprehensive ? comprehensiveSummary(plan) : null,
        [t("compactness"), Number(plan.mean_polsby_popper ?? 0).toFixed(2)],
        [t("householdsPerStaff"), plan.households_per_staff == null ? "–" : Math.round(plan.households_per_staff)],
        [
          t("staffOverLimit", { limit: plan.max_staff_households }),
          h(
            "span",
            { class: `staff-overloaded${plan.staff_overloaded?.length ? " size-over" : ""}` },
            overloadedStaff(plan).join("、") || t("none"),
          ),
        ],
      ]
        .filter(Boolean)
        .flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
    ),
    h(
      "div",
      { class: "button-row" },
      button(
        allLocked ? t("unlockVillage") : t("lockVillage"),
        { class: "planner-button lock-village", disabled: busy },
        () => actions.lockVillage(!allLocked),
      ),
      rebalanceButton(plan, s, actions),
    ),
  );
}

function focusSection(plan, s, actions) {
  const g = plan.grids.find((x) => x.code === s.focus);
  if (!g) return null;
  const busy = s.busy || null;
  const others = plan.grids.filter((x) => x.code !== g.code);
  const absorbed = h(
    "select",
    { class: "merge-with", "aria-label": t("mergeInto") },
    others.map((x) => h("option", { value: x.code }, `${x.code} · ${x.households} ${t("householdsUnit")}`)),
  );
  return h(
    "section",
    { class: "planner-focus", dataset: { grid: g.code } },
    h("h3", null, `${t("focusedGrid")} · ${g.code}`, g.name ? ` · ${g.name}` : ""),
    h(
      "p",
      null,
      `${g.households} ${t("householdsUnit")} · ${t("buildingsCount")} ${g.members}`,
      g.locked ? [" · ", lockIcon(true), ` ${t("locked")}`] : "",
    ),
    h(
      "div",
      { class: "button-row" },
      button(t("split"), { class: "planner-button split-grid", disabled: busy || g.locked || null }, () =>
        actions.split(g.code),
      ),
      button(
        s.cutting === g.code ? t("splitLineStop") : t("splitLine"),
        {
          class: `planner-button split-line${s.cutting === g.code ? " on" : ""}`,
          "aria-pressed": String(s.cutting === g.code),
          disabled: busy || g.locked || null,
        },
        () => actions.splitAlong(g.code),
      ),
      button(
        t("deleteEmpty"),
        { class: "planner-button delete-grid", disabled: busy || g.households > 0 || g.locked || null },
        () => actions.deleteEmpty(g.code),
      ),
    ),
    renameRow(g, busy, actions),
    staffRow(g, busy, actions),
    others.length
      ? h(
          "div",
          { class: "button-row merge-row" },
          h("label", null, `${t("mergeInto")} `, absorbed),
          button(t("merge"), { class: "planner-button merge-grid", disabled: busy || g.locked || null }, () =>
            actions.merge(g.code, absorbed.value),
          ),
        )
      : null,
  );
}

/**
 * A selected high-rise split by flats: how many flats each of its grids holds, in flat order
 * (the move target joins with none), editable; the counts must add up to its households.
 */
function towerSection(s, actions) {
  const b = s.tower;
  const shares = flatShares(b, s.target);
  const inputs = shares.map((x) =>
    h("input", {
      type: "number",
      min: "0",
      max: String(b.households),
      step: "1",
      value: String(x.count),
      class: "flat-count",
      dataset: { grid: x.grid },
      "aria-label": t("flatsOf", { grid: x.grid }),
    }),
  );
  const read = () => shares.map((x, i) => ({ grid: x.grid, count: Number(inputs[i].value) }));
  const left = h("p", { class: "note flats-left" });
  const apply = button(t("moveFlats"), { class: "planner-button primary move-flats" }, () => actions.moveFlats(read()));
  const refresh = () => {
    const now = read();
    const { left: n } = flatRows(b.id, b.households, now);
    left.textContent = n ? t("flatsLeft", { n }) : "";
    const changed = now.some((x, i) => x.count !== shares[i].count);
    apply.disabled = Boolean(s.busy || n || !changed);
  };
  for (const input of inputs) input.addEventListener("input", refresh);
  refresh();
  return h(
    "section",
    { class: "planner-tower", dataset: { building: b.id } },
    h("h3", null, t("towerFlats", { id: b.id, n: b.households })),
    h("p", { class: "note" }, t("towerFlatsHint")),
    h(
      "table",
      { class: "tower-flats" },
      h(
        "tbody",
        null,
        shares.map((x, i) => h("tr", { dataset: { grid: x.grid } }, h("td", null, x.grid), h("td", null, inputs[i]))),
      ),
    ),
    left,
    h("div", { class: "button-row" }, apply),
  );
}

/**
 * A text field with a button: Enter or the button sends the trimmed text (empty: `null`)
 * when it differs from `value`.
 */
function fieldRow(value, input, label, buttonClass, busy, send, ...extra) {
  input.value = value ?? "";
  const submit = () => {
    const text = input.value.trim() || null;
    if (text !== (value ?? null)) send(text);
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") submit();
  });
  return h(
    "div",
    { class: "button-row grid-name-row" },
    input,
    ...extra,
    button(label, { class: `planner-button ${buttonClass}`, disabled: busy }, submit),
  );
}

/**
 * The grid's staff member: type a name or id (staff found by the search are offered), then
 * set; an empty field and the button remove the staff member.
 */
function staffRow(g, busy, actions) {
  const options = h("datalist", { id: `staff-options-${g.code}` });
  const input = h("input", {
    type: "text",
    class: "grid-staff",
    list: options.id,
    placeholder: t("staffPlaceholder"),
    "aria-label": t("staff"),
  });
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) return;
    timer = setTimeout(async () => {
      const found = await actions.findStaff(q);
      options.replaceChildren(...found.map((x) => h("option", { value: x.id }, x.label)));
    }, 250);
  });
  return fieldRow(g.staff, input, t("setStaff"), "set-staff", busy, (id) => actions.setStaff(g.code, id), options);
}

/** The grid's name, editable: Enter or the button renames it (an empty name removes it). */
function renameRow(g, busy, actions) {
  const input = h("input", {
    type: "text",
    class: "grid-name",
    maxlength: "40",
    placeholder: t("gridNamePlaceholder"),
    "aria-label": t("gridName"),
  });
  return fieldRow(g.name, input, t("rename"), "rename-grid", busy, (name) => actions.rename(g.code, name ?? ""));
}

/** A village cut at two levels: how many comprehensive grids, their sizes and range. */
function comprehensiveSummary(plan) {
  const tops = plan.grids.filter((g) => g.level === 2);
  const sizes = tops.map((g) => g.households);
  const r = plan.comprehensive;
  return [
    t("comprehensiveGrid"),
    `${tops.length} · ${t("sizeRange", { min: Math.min(...sizes), max: Math.max(...sizes), lo: r.min, hi: r.max, target: r.target })}`,
  ];
}

/**
 * The size range grid `g` is held to: a comprehensive grid's (综治网格, level 2) in a
 * village cut at two levels, else the plan's.
 */
export function rangeOf(g, plan) {
  return g.level === 2 && plan.comprehensive ? plan.comprehensive : plan;
}

function gridsSection(plan, s, preview, actions) {
  const after = new Map();
  if (preview) for (const g of [preview.target, ...preview.sources]) after.set(g.code, g.after);
  // By code, a comprehensive grid heads its micro-grids (`…-007`, `…-007-01`, `…-007-02`).
  const ordered = [...plan.grids].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const rows = ordered.map((g) => {
    const range = rangeOf(g, plan);
    const status = g.institution ? "ok" : sizeStatus(g.households, range);
    const next = after.get(g.code);
    const classes = [
      "grid-row",
      g.level === 2 ? "comprehensive-row" : g.parent ? "micro-row" : "",
      g.code === s.focus ? "focused" : "",
      g.code === s.target ? "target" : "",
    ];
    return h(
      "tr",
      { class: classes.filter(Boolean).join(" "), dataset: { grid: g.code, households: g.households } },
      h(
        "td",
        null,
        h(
          "button",
          { type: "button", class: "link grid-focus", onclick: () => actions.focusGrid(g.code, true) },
          g.code,
        ),
        g.name ? h("span", { class: "grid-row-name" }, ` ${g.name}`) : null,
        g.institution ? h("span", { class: "muted" }, ` · ${t("institution")}`) : null,
        g.level === 2 ? h("span", { class: "muted" }, ` · ${t("comprehensiveGrid")}`) : null,
      ),
      h(
        "td",
        { class: `grid-households size-${status}` },
        h("span", { class: "hh-count" }, g.households),
        status === "ok" ? null : h("span", { class: "hh-target" }, ` (${t("targetShort", { n: range.target })})`),
        next === undefined
          ? null
          : h("span", { class: `hh-after${g.institution ? "" : ` size-${sizeStatus(next, range)}`}` }, ` → ${next}`),
      ),
      h(
        "td",
        null,
        button(
          lockIcon(g.locked),
          {
            class: `planner-icon grid-lock${g.locked ? " on" : ""}`,
            title: g.locked ? t("unlock") : t("lock"),
            "aria-label": `${g.locked ? t("unlock") : t("lock")} ${g.code}`,
            "aria-pressed": String(g.locked),
            disabled: s.busy || null,
          },
          () => actions.lockGrid(g.code, !g.locked),
        ),
        button(
          "⇥",
          {
            class: `planner-icon grid-target${g.code === s.target ? " on" : ""}`,
            title: t("setTarget"),
            "aria-label": `${t("setTarget")} ${g.code}`,
          },
          () => actions.setTarget(g.code),
        ),
      ),
    );
  });
  return h(
    "section",
    { class: "planner-grids" },
    h("h3", null, `${t("gridList")} (${plan.grids.length})`),
    h(
      "table",
      { class: "grid-table" },
      h("thead", null, h("tr", null, h("th", null, t("gridCode")), h("th", null, t("households")), h("th", null, ""))),
      h("tbody", null, rows),
    ),
  );
}

function issuesSection(plan, actions) {
  const issues = plan.issues ?? [];
  return h(
    "section",
    { class: "planner-issues" },
    h("h3", null, `${t("issues")} (${issues.length})`),
    issues.length
      ? h(
          "ul",
          { class: "issue-list" },
          issues.map((i) =>
            h(
              "li",
              {
                class: `issue${i.hard ? " hard" : ""}`,
                dataset: { kind: i.kind, grid: i.grid ?? "", building: i.building ?? "" },
              },
              h(
                "button",
                {
                  type: "button",
                  class: "issue-link",
                  disabled: !(i.grid || i.building) || null,
                  onclick: () => actions.showIssue(i),
                },
                i.hard ? h("strong", null, `${t("hardRule")}: `) : null,
                issueText(i, t),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("noIssues")),
  );
}

function historySection(s, open, onToggle) {
  const items = s.history ?? [];
  const details = h(
    "details",
    { class: "planner-history", open: open || null },
    h("summary", null, t("history")),
    s.history === null
      ? h("p", { class: "muted" }, t("loading"))
      : items.length
        ? h(
            "ol",
            { class: "history-list" },
            items.map((c) =>
              h(
                "li",
                { dataset: { change: c.id } },
                h("time", null, chinaTime(c.at)),
                ` #${c.id} `,
                h("span", { class: "muted" }, c.actor),
                h("div", { class: "history-op" }, c.operation),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("historyEmpty")),
  );
  details.addEventListener("toggle", () => onToggle(details.open));
  return details;
}
