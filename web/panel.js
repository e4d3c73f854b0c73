// Side panel (a bottom sheet on narrow screens): building, grid, staff details.

import * as api from "./api.js";
import { h } from "./dom.js";
import { floorSection, TAG_GROUPS } from "./floors.js";
import { t, tOr } from "./i18n.js";
import { chinaTime } from "./incidents.js";
import { tagEditor } from "./tags.js";

const MAX_HOUSEHOLD_ROWS = 200;

/**
 * The panel element and its actions.
 * @param {HTMLElement} root the <aside> element
 * @param {{fitBounds: (bbox: number[]) => void, showGrid: (code: string) => void, showStaff?: (id: string) => void, onClose: () => void, readStaffPhoto?: (path: string) => Promise<Blob>, setStaffPhoto?: (id: string, file: Blob) => Promise<unknown>}} actions
 */
export function createPanel(root, actions) {
  const body = root.querySelector(".panel-body");
  const title = root.querySelector(".panel-title");
  root.querySelector(".panel-close").addEventListener("click", () => {
    close();
    actions.onClose();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !root.hidden && !e.target.closest?.("#search")) {
      close();
      actions.onClose();
    }
  });

  function open(heading, ...content) {
    title.textContent = heading;
    body.replaceChildren(...content);
    root.hidden = false;
    root.scrollTop = 0;
    body.scrollTop = 0;
  }

  function close() {
    root.hidden = true;
    body.replaceChildren();
  }

  function loading() {
    open(t("loading"), h("p", { class: "muted" }, t("loading")));
  }

  function message(text) {
    open(t("title"), h("p", { class: "muted panel-message" }, text));
  }

  /** Lookup result: `{building, grid, village, township}` (any may be null). */
  function showLookup(res) {
    const sections = [];
    if (res.building) sections.push(buildingSection(res.building, actions));
    if (res.grid) sections.push(gridSection(res.grid, actions));
    // Nested grids: the comprehensive grid and its leader under the micro-grid.
    if (res.comprehensive) sections.push(gridSection(res.comprehensive, actions));
    if (res.building) sections.push(floorSection(res.building, actions), householdSection(res.building, actions));
    sections.push(unitsSection(res.village, res.township));
    const heading = res.building
      ? res.building.address || `${t("building")} ${res.building.id}`
      : res.grid
        ? `${t("grid")} ${res.grid.code}`
        : (res.village?.name ?? t("title"));
    open(heading, ...sections.filter(Boolean));
  }

  /** `/api/grids/{code}` result. */
  function showGrid(g) {
    const sections = [
      gridSection(g, actions),
      g.comprehensive ? gridSection(g.comprehensive, actions) : null,
      microGridList(g.micro_grids ?? [], actions),
      unitsSection(g.village_unit, g.township),
    ];
    open(`${t(gridKind(g))} ${g.code}`, ...sections.filter(Boolean));
  }

  /** `/api/buildings/{id}` result. */
  function showBuilding(b, grid) {
    const sections = [buildingSection(b, actions)];
    if (grid) sections.push(gridSection(grid, actions));
    sections.push(floorSection(b, actions));
    sections.push(householdSection(b, actions));
    sections.push(unitsSection(b.village, b.township));
    open(b.address || `${t("building")} ${b.id}`, ...sections.filter(Boolean));
  }

  /** `/api/staff/{id}` result. */
  function showStaff(s) {
    const grids = (s.grid_details ?? []).map((g) =>
      h(
        "li",
        null,
        h("button", { type: "button", class: "link", onclick: () => actions.showGrid(g.code) }, g.code),
        ` · ${g.households ?? 0} ${t("householdsUnit")}`,
      ),
    );
    open(
      s.name,
      h(
        "section",
        { class: "staff-section" },
        dl([
          [t("staff"), h("span", { class: "staff-name" }, s.name)],
          [t("phone"), phoneLink(s.phone)],
          s.role ? [t("role"), tOr(`role_${s.role}`, s.role)] : null,
        ]),
        staffPhotoSection(s.id),
        h("h3", null, t("staffGrids")),
        h("ul", { class: "grid-list" }, grids),
      ),
    );
  }

  /**
   * The photo the notice boards print (office roles see it; planners and administrators
   * put a new one), or nothing for the public.
   */
  function staffPhotoSection(id) {
    if (!actions.readStaffPhoto) return null;
    const path = `api/staff/${encodeURIComponent(id)}/photo`;
    const img = h("img", { class: "staff-photo", alt: t("staffPhoto"), hidden: true });
    const status = h("span", { class: "muted" });
    let shown = null;
    async function load() {
      try {
        const url = URL.createObjectURL(await actions.readStaffPhoto(path));
        if (shown) URL.revokeObjectURL(shown);
        shown = url;
        img.src = url;
        img.hidden = false;
        status.textContent = "";
      } catch (err) {
        status.textContent = err.status === 404 ? t("staffNoPhoto") : err.message;
      }
    }
    const upload = actions.setStaffPhoto
      ? h(
          "label",
          { class: "link staff-photo-upload" },
          t("staffPhotoUpload"),
          h("input", {
            type: "file",
            accept: "image/jpeg,image/png",
            hidden: true,
            onchange: async (e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (!file) return;
              status.textContent = t("savingTags");
              try {
                await actions.setStaffPhoto(id, file);
                await load();
              } catch (err) {
                status.textContent = err.message;
              }
            },
          }),
        )
      : null;
    load();
    return h("div", { class: "staff-photo-box" }, img, status, upload);
  }

  /** `/api/incidents/{id}` result (`{incident, timeline}`); public fields only without the token. */
  function showIncident(d) {
    const i = d.incident;
    const kind = i.subcategory_name ?? i.category_name ?? i.subcategory ?? i.category;
    const deadline = i.deadline ? tOr(`deadline_${i.deadline.level}`, i.deadline.level) : null;
    const steps = (d.timeline ?? []).map((s) =>
      h(
        "li",
        null,
        h("time", null, chinaTime(s.at)),
        // The first step is the report itself: only where it landed.
        s.from === s.to
          ? ` ${tOr(`status_${s.to}`, s.to)}`
          : ` ${tOr(`status_${s.from}`, s.from)} → ${tOr(`status_${s.to}`, s.to)}`,
        s.note ? h("span", { class: "muted" }, ` · ${s.note}`) : null,
        s.photos?.length ? photoStrip(s.photos) : null,
      ),
    );
    open(
      `${t("incident")} · ${kind}`,
      h(
        "section",
        { class: "incident-section", dataset: { incident: i.id } },
        dl([
          [
            t("status"),
            h("span", { class: `incident-status status-${i.status}` }, tOr(`status_${i.status}`, i.status)),
          ],
          [t("reportedAt"), chinaTime(i.time)],
          [t("category"), [i.category_name, i.subcategory_name].filter(Boolean).join(" · ") || i.category],
          i.address ? [t("address"), i.address] : null,
          i.description ? [t("description"), i.description] : null,
          i.grid
            ? [
                t("grid"),
                h("button", { type: "button", class: "link", onclick: () => actions.showGrid(i.grid) }, i.grid),
              ]
            : null,
          i.department ? [t("department"), i.department] : null,
          deadline ? [t("deadline"), `${deadline} (${chinaTime(i.deadline.due)})`] : null,
          i.rating ? [t("rating"), `${i.rating} / 5`] : null,
        ]),
        steps.length ? h("h3", null, t("timeline")) : null,
        steps.length ? h("ol", { class: "timeline" }, steps) : null,
      ),
    );
  }

  /**
   * A step's photos as thumbnails, each opening full size: ours are fetched with the token
   * (a bare <img> would not send it); a relayed report's URL elsewhere is only a link, as
   * the map loads nothing from outside by itself.
   */
  function photoStrip(refs) {
    return h(
      "div",
      { class: "incident-photos" },
      ...refs.map((ref, n) => {
        const label = `${t("photo")} ${n + 1}`;
        if (!ref.startsWith("api/photos/")) {
          return h("a", { href: ref, target: "_blank", rel: "noopener noreferrer", class: "photo-link" }, label);
        }
        const img = h("img", { alt: label, title: label });
        const link = h("a", { class: "photo-thumb", target: "_blank", rel: "noopener" }, img);
        api
          .photo(ref)
          .then((blob) => {
            const url = URL.createObjectURL(blob);
            img.src = url;
            link.href = url;
          })
          .catch((err) => {
            link.replaceWith(h("span", { class: "muted" }, `${label}: ${err.message}`));
          });
        return link;
      }),
    );
  }

  /** Adds `section` at the end of what the panel shows (a late answer, e.g. situations). */
  function append(section) {
    if (!root.hidden && section) body.append(section);
  }

  return {
    open,
    close,
    loading,
    message,
    showLookup,
    showGrid,
    showBuilding,
    showStaff,
    showIncident,
    append,
    element: root,
  };
}

function dl(rows) {
  return h(
    "dl",
    null,
    rows.filter(Boolean).flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v ?? "–")]),
  );
}

function phoneLink(phone) {
  if (!phone) return "–";
  return h("a", { href: `tel:${String(phone).replace(/[^\d+]/g, "")}`, class: "phone" }, phone);
}

function buildingSection(b, actions) {
  const hh = b.households ?? 0;
  const hhText = b.estimated ? `≈ ${hh} ${t("householdsUnit")} (${t("estimated")})` : `${hh} ${t("householdsUnit")}`;
  const section = h(
    "section",
    { class: "building-section", dataset: { building: b.id } },
    h("h3", null, t("building")),
    dl([
      [t("address"), b.address || "–"],
      [t("buildingId"), h("code", null, b.id)],
      [t("use"), tOr(`use_${b.use}`, b.use ?? "–")],
      [t("levels"), b.levels ?? "–"],
      [t("households"), hhText],
      (b.grids ?? []).length > 1
        ? [
            t("grids"),
            h(
              "span",
              { class: "grid-links" },
              b.grids.map((code, i) => [
                i ? ", " : "",
                h("button", { type: "button", class: "link", onclick: () => actions.showGrid(code) }, code),
              ]),
            ),
          ]
        : null,
    ]),
    (b.grids ?? []).length > 1 ? h("p", { class: "note split-note" }, t("splitNote")) : null,
    b.estimated && !(b.household_list ?? []).length ? h("p", { class: "note" }, t("estimatedNote")) : null,
  );
  return section;
}

/** The building's households (after the grid, so staff contacts stay near the top). */
function householdSection(b, actions) {
  const list = b.household_list ?? [];
  if (!list.length) return null;
  return h("section", { class: "households-section" }, householdTable(list, actions));
}

/** A household's tags, and for staff who see them the editor. */
function tagsCell(x, actions) {
  const cell = h("div", { class: "household-tags" });
  const draw = () =>
    cell.replaceChildren(
      h("span", { class: "tag-list" }, (x.tags ?? []).join("、")),
      tagEditor(x, {
        saveTags: actions.saveTags,
        onSaved: () => {
          actions.onTagsSaved?.(x);
          draw();
        },
      }),
    );
  draw();
  return cell;
}

function householdTable(list, actions) {
  const withHead = list.some((x) => x.head);
  const withPhone = list.some((x) => x.phone);
  const withMembers = list.some((x) => x.members !== undefined && x.members !== null);
  const cols = [
    [
      t("unit"),
      (x) => [x.entrance, x.floor, x.unit].filter((v) => v !== undefined && v !== null && v !== "").join("-") || x.id,
    ],
    [t("address"), (x) => x.address ?? ""],
  ];
  if (withHead) cols.push([t("head"), (x) => h("span", { class: "household-head" }, x.head ?? "")]);
  if (withPhone)
    cols.push([t("phone"), (x) => (x.phone ? h("span", { class: "household-phone" }, phoneLink(x.phone)) : "")]);
  if (withMembers) cols.push([t("members"), (x) => (Array.isArray(x.members) ? x.members.length : (x.members ?? ""))]);
  if (list.some((x) => x.personal)) cols.push([t("tags"), (x) => (x.personal ? tagsCell(x, actions) : "")]);
  const rows = list.slice(0, MAX_HOUSEHOLD_ROWS).map((x) =>
    h(
      "tr",
      null,
      cols.map(([, f]) => h("td", null, f(x))),
    ),
  );
  return h(
    "div",
    { class: "households" },
    h("h3", null, `${t("householdList")} (${list.length})`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            cols.map(([k]) => h("th", null, k)),
          ),
        ),
        h("tbody", null, rows),
      ),
    ),
    list.length > MAX_HOUSEHOLD_ROWS
      ? h("p", { class: "muted" }, t("moreHouseholds", { n: list.length - MAX_HOUSEHOLD_ROWS }))
      : null,
  );
}

/** "grid", or for nested grids "comprehensiveGrid" / "microGrid" (i18n keys). */
function gridKind(g) {
  if (g.level === 2) return "comprehensiveGrid";
  return g.parent ? "microGrid" : "grid";
}

/** A comprehensive grid's micro-grids as links. */
function microGridList(grids, actions) {
  if (!grids.length) return null;
  return h(
    "section",
    { class: "micro-grids-section" },
    h("h3", null, t("microGrids")),
    h(
      "ul",
      { class: "grid-list" },
      grids.map((m) =>
        h(
          "li",
          null,
          h("button", { type: "button", class: "link", onclick: () => actions.showGrid(m.code) }, m.code),
          ` ${m.households} ${t("householdsUnit")} · ${m.staff?.name ?? t("noStaff")}`,
        ),
      ),
    ),
  );
}

function gridSection(g, actions) {
  const flags = (Array.isArray(g.flags) ? g.flags : String(g.flags ?? "").split(",")).filter(Boolean);
  const staff = g.staff;
  const leader = g.level === 2;
  return h(
    "section",
    { class: leader ? "grid-section comprehensive-section" : "grid-section", dataset: { grid: g.code } },
    h("h3", null, t(gridKind(g))),
    dl([
      [t("gridCode"), h("strong", { class: "grid-code" }, g.code)],
      [t("households"), `${g.households ?? 0} ${t("householdsUnit")}`],
      [t("buildingsCount"), g.buildings ?? "–"],
      [
        t(leader ? "gridLeader" : "staff"),
        staff
          ? h(
              "button",
              {
                type: "button",
                class: "link staff-name",
                title: t("staffGrids"),
                onclick: () => actions.showStaff?.(staff.id),
              },
              staff.name,
            )
          : h("span", { class: "muted" }, t(leader ? "noLeader" : "noStaff")),
      ],
      staff ? [t(leader ? "leaderPhone" : "staffPhone"), phoneLink(staff.phone)] : null,
      flags.length
        ? [t("flags"), h("span", { class: "flags" }, flags.map((f) => tOr(`flag_${f}`, f)).join(", "))]
        : null,
      g.locked ? [t("locked"), "✓"] : null,
      g.institution ? [t("institution"), "✓"] : null,
    ]),
    g.bbox
      ? h("button", { type: "button", class: "fit-grid", onclick: () => actions.fitBounds(g.bbox) }, t("fitGrid"))
      : null,
  );
}

function unitsSection(village, township) {
  if (!village && !township) return h("section", { hidden: true });
  return h(
    "section",
    { class: "units-section" },
    dl([
      village ? [t("village"), `${village.name} (${village.code})`] : null,
      township ? [t("township"), `${township.name} (${township.code})`] : null,
    ]),
  );
}

/**
 * A grid's households by situation (`/api/situations?grid=`), or a village's
 * (`/api/situations?village=&by=village`: the row has no `grid`), staff inside their scope.
 * A village's section offers its statistics as CSV through `download(path)`.
 * @param {{grid?: string, village: string, households: number, groups: Record<string, number>}} row
 * @param {(path: string, fallback: string) => void} [download]
 */
export function situationSection(row, download) {
  const ofVillage = !row.grid;
  const csv = (query, name) =>
    h(
      "button",
      {
        type: "button",
        class: "link situation-csv",
        onclick: () => download(`api/situations?${query}&format=csv`, name),
      },
      t(name.endsWith("grids.csv") ? "situationCsvGrids" : "situationCsvVillage"),
    );
  return h(
    "section",
    { class: "situations-section", dataset: ofVillage ? { village: row.village } : { grid: row.grid } },
    h("h3", null, ofVillage ? t("villageSituations") : t("situations")),
    dl([
      [t("households"), row.households],
      ...TAG_GROUPS.map((g) => [t(`tag_${g}`), h("span", { dataset: { group: g } }, row.groups?.[g] ?? 0)]),
    ]),
    ofVillage && download
      ? h(
          "p",
          { class: "situation-downloads" },
          csv(`village=${row.village}`, `${row.village}-situations-grids.csv`),
          " · ",
          csv(`village=${row.village}&by=village`, `${row.village}-situations.csv`),
        )
      : null,
  );
}

/**
 * Printouts of a grid and its village as PDF (`/api/print/…`), for office roles: the
 * village map, the grid's notice board and its households' contact cards.
 * @param {string} code grid code
 * @param {(path: string, fallback: string) => void} download
 */
export function printSection(code, download) {
  const village = code.slice(0, 12);
  const link = (path, name, label) =>
    h(
      "button",
      { type: "button", class: "link print-link", dataset: { print: name }, onclick: () => download(path, name) },
      label,
    );
  return h(
    "section",
    { class: "print-section", dataset: { grid: code } },
    h("h3", null, t("printouts")),
    h(
      "p",
      null,
      link(`api/print/village/${village}?what=map`, `${village}-map.pdf`, t("printVillageMap")),
      " · ",
      link(`api/print/grid/${encodeURIComponent(code)}?what=boards`, `${code}-boards.pdf`, t("printBoard")),
      " · ",
      link(`api/print/grid/${encodeURIComponent(code)}?what=cards`, `${code}-cards.pdf`, t("printCards")),
    ),
  );
}

/**
 * A grid's camera coverage (`/api/cameras/coverage?grid=`), for signed-in callers.
 * @param {{grid: string, buildings: number, buildings_seen: number, area_m2: number, seen_m2: number, cameras: number, cameras_down: number}} row
 */
export function coverageSection(row) {
  const share = row.area_m2 > 0 ? Math.round((row.seen_m2 / row.area_m2) * 100) : 0;
  return h(
    "section",
    { class: "coverage-section", dataset: { grid: row.grid } },
    h("h3", null, t("cameraCoverageOfGrid")),
    dl([
      [t("buildingsSeen"), h("span", { class: "buildings-seen" }, `${row.buildings_seen} / ${row.buildings}`)],
      [t("areaSeen"), h("span", { class: "area-seen" }, `${share}%`)],
      [t("camerasReaching"), t("camerasUpDown", { up: row.cameras, down: row.cameras_down })],
    ]),
    h("p", { class: "note" }, t("coverageNote")),
  );
}
