// The grid staff's phone page (/m): report an incident with photos and the place. A report
// goes into the phone's outbox first (queue.js, IndexedDB) and is sent from there, at once
// when there is a connection, else when it comes back; each report and photo carries an
// id made here, so a report sent twice (an answer lost on the way) is stored once.

import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import * as api from "./api.js";
import { absolute, readConfig, takeTokenFromHash } from "./config.js";
import { h } from "./dom.js";
import { t, translateDocument } from "./i18n.js";
import { buildStyle, LOCAL_IDEOGRAPH_FONTS } from "./layers.js";
import * as outbox from "./queue.js";

const token = takeTokenFromHash();
translateDocument();

/** The longest side of a photo as sent (pixels) and its JPEG quality. */
const PHOTO_MAX_SIDE = 1600;
const PHOTO_QUALITY = 0.8;
/** The most photos one report or visit carries (the server's limit). */
const MAX_PHOTOS = 9;
const SERVICES_KEY = "gridmap.phone.services";
/** The households of the grid last opened, kept for opening it offline. */
const HOUSEHOLDS_KEY = "gridmap.phone.households";
/** Where the phone keeps map tiles of its grid for offline viewing (the service worker reads it). */
const TILE_CACHE = "gridmap-phone-tiles";
/** The zoom levels of the grid's tiles kept (the map overzooms past the tiles' own maximum). */
const TILE_ZOOMS = [12, 13, 14, 15, 16];
/** Who signed in on this phone, as `api/me` last said (for opening offline). */
const ME_KEY = "gridmap.phone.me";
/** My work orders as last fetched, for the to-do list offline. */
const TODO_KEY = "gridmap.phone.todo";

const state = { position: null, sent: [], flushing: null };
window.gridmap = { state, flush: () => flushNow() };

/** A random UUID (crypto.randomUUID needs a secure context; a LAN address is not one). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `file` as a JPEG no larger than {@link PHOTO_MAX_SIDE} on its longest side. */
async function compressPhoto(file) {
  const bitmap = await createImageBitmap(file);
  const k = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * k));
  canvas.height = Math.max(1, Math.round(bitmap.height * k));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("photo"))), "image/jpeg", PHOTO_QUALITY),
  );
}

/**
 * A form's photos: each pick (one camera shot, or several from the gallery) is compressed at
 * once and listed under the input as a thumbnail with a remove button, up to
 * {@link MAX_PHOTOS}; the input is emptied so the next shot adds to the list.
 * @param {HTMLFormElement} form with an `input[name=photo]`
 * @param {HTMLElement} error where an unreadable photo is said
 */
function createPhotoPicker(form, error) {
  const input = form.elements.photo;
  const list = h("ul", { class: "photo-picks" });
  input.closest("label").after(list);
  let picked = [];
  let pending = Promise.resolve();

  function forget(p) {
    URL.revokeObjectURL(p.url);
    picked = picked.filter((q) => q !== p);
    render();
  }

  function render() {
    list.replaceChildren(
      ...picked.map((p) =>
        h(
          "li",
          null,
          h("img", { src: p.url, alt: "" }),
          h("button", { type: "button", title: t("remove"), "aria-label": t("remove"), onclick: () => forget(p) }, "×"),
        ),
      ),
    );
    input.disabled = picked.length >= MAX_PHOTOS;
  }

  async function add(files) {
    for (const file of files.slice(0, MAX_PHOTOS - picked.length)) {
      try {
        const blob = await compressPhoto(file);
        picked.push({ id: uuid(), blob, url: URL.createObjectURL(blob) });
      } catch {
        error.textContent = t("photoUnreadable");
      }
    }
    render();
  }

  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    input.value = "";
    pending = pending.then(() => add(files));
  });

  return {
    /** The photos picked (`[{id, blob}]`, waiting for any still being compressed); empties the list. */
    async take() {
      await pending;
      const photos = picked.map(({ id, blob }) => ({ id, blob }));
      for (const p of picked) URL.revokeObjectURL(p.url);
      picked = [];
      render();
      return photos;
    },
    clear() {
      for (const p of picked) URL.revokeObjectURL(p.url);
      picked = [];
      render();
    },
  };
}

/** Sends one outbox item: its photos, then the report or visit naming them. */
async function send(item) {
  // `item.photo`: one photo, as items queued before several were allowed kept it.
  const photos = item.photos ?? (item.photo ? [item.photo] : []);
  const stored = [];
  for (const p of photos) stored.push((await api.putPhoto(p.id, p.blob)).url);
  if (item.kind === "visit") return api.recordVisit({ ...item.visit, photos: stored });
  if (item.kind === "move") return sendMove(item);
  if (item.kind === "check_in") return api.checkIn(item.check_in);
  return api.reportIncident({ ...item.report, photos: stored });
}

/**
 * Puts a record into the outbox under an id made here and sends the outbox. `fields(id,
 * time)` gives the item's own part (`report`, `visit`, `check_in`, a work order's `move`…),
 * which carries the same id to the server, and the photos to send first.
 */
async function enqueue(kind, label, fields) {
  const clientId = uuid();
  const now = Date.now();
  await outbox.put({ kind, client_id: clientId, queued_at: now, label, ...fields(clientId, Math.floor(now / 1000)) });
  await renderOutbox();
  return flushNow();
}

/** The place set (GPS or a tap on the map), or null after saying in `error` that one is needed. */
function placeOrSay(error) {
  error.textContent = state.position ? "" : t("placeNeeded");
  return state.position;
}

/** Failed rounds in a row, and the timer of the next try (see {@link outbox.retryDelay}). */
const retry = { failures: 0, timer: 0 };

function flushNow() {
  state.flushing ??= outbox
    .flush(send, (item, answer) => {
      state.sent.unshift({ id: answer.id, category: item.label, repeated: Boolean(answer.repeated) });
    })
    .then((round) => round.stalled)
    .catch(() => true)
    .then((stalled) => {
      clearTimeout(retry.timer);
      retry.failures = stalled ? retry.failures + 1 : 0;
      state.retryIn = stalled ? outbox.retryDelay(retry.failures - 1) : null;
      if (stalled) retry.timer = setTimeout(flushNow, state.retryIn);
    })
    .finally(() => {
      state.flushing = null;
      renderOutbox();
    });
  return state.flushing;
}

async function renderOutbox() {
  const items = await outbox.waiting();
  document.getElementById("outbox-count").textContent = String(items.length);
  document.getElementById("outbox-list").replaceChildren(
    ...items.map((item) =>
      h(
        "li",
        { class: item.refused ? "refused" : "waiting", dataset: { clientId: item.client_id } },
        `${item.label} · ${new Date(item.queued_at).toLocaleTimeString()} · `,
        item.refused ? `${t("refused")}: ${item.refused.message} ` : t("waiting"),
        item.refused
          ? h(
              "button",
              {
                type: "button",
                onclick: async () => {
                  await outbox.remove(item.client_id);
                  renderOutbox();
                },
              },
              t("remove"),
            )
          : null,
      ),
    ),
    ...(state.retryIn && items.some((item) => !item.refused)
      ? [
          h(
            "li",
            { class: "muted retry-note" },
            t("retryIn", { s: Math.round(state.retryIn / 1000) }),
            " ",
            h(
              "button",
              {
                type: "button",
                onclick: () => {
                  retry.failures = 0;
                  flushNow();
                },
              },
              t("retryNow"),
            ),
          ),
        ]
      : []),
  );
  document
    .getElementById("sent-list")
    .replaceChildren(
      ...state.sent.map((s) => h("li", { class: "sent", dataset: { incident: s.id } }, `${s.id} · ${s.category}`)),
    );
}

function showNet() {
  const net = document.getElementById("phone-net");
  net.dataset.online = String(navigator.onLine);
  net.textContent = navigator.onLine ? t("online") : t("offline");
}

/** The report types, from the server (kept for when the phone starts offline). */
async function loadServices() {
  try {
    const list = await api.services();
    localStorage.setItem(SERVICES_KEY, JSON.stringify(list));
    return list;
  } catch {
    return JSON.parse(localStorage.getItem(SERVICES_KEY) ?? "[]");
  }
}

function setUpReport(services) {
  const form = document.getElementById("report");
  const select = form.elements.category;
  select.replaceChildren(
    ...services.map((s) =>
      h("option", { value: s.service_code }, s.group ? `${s.group} · ${s.service_name}` : s.service_name),
    ),
  );
  const place = document.getElementById("place");
  const error = form.querySelector(".phone-error");
  document.getElementById("locate").addEventListener("click", () => {
    place.textContent = t("locating");
    navigator.geolocation.getCurrentPosition(
      (p) => setPlace([p.coords.longitude, p.coords.latitude], t("fromGps")),
      (e) => {
        place.textContent = `${t("noPlace")}: ${e.message}`;
      },
      { enableHighAccuracy: true, timeout: 20_000 },
    );
  });
  const photos = createPhotoPicker(form, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const place = placeOrSay(error);
    if (!place) return;
    const [lon, lat] = place;
    const description = form.elements.description.value.trim() || null;
    const taken = await photos.take();
    form.elements.description.value = "";
    await enqueue("report", select.selectedOptions[0]?.textContent ?? select.value, (clientId, time) => ({
      report: { category: select.value, description, lon, lat, time, source: "phone", client_id: clientId },
      photos: taken,
    }));
  });
  form.hidden = false;
}

/**
 * Sends a move of a work order (accept, feedback) made against `item.move.version`. A 409
 * means the order changed since: if the change is this very move (its answer was lost),
 * it was sent; otherwise someone else changed it, which the outbox shows.
 */
async function sendMove(item) {
  try {
    return await api.moveIncident(item.incident, item.move);
  } catch (err) {
    if (err.status !== 409) throw err;
    const now = await api.getJson(`api/incidents/${encodeURIComponent(item.incident)}`);
    const last = now.timeline.at(-1);
    if (now.incident.version === item.move.version + 1 && last?.action === item.move.action) return now.incident;
    throw Object.assign(new Error(t("orderChanged")), { status: 409 });
  }
}

/** The to-do list: work orders dispatched to me or in my hands, with their deadlines. */
async function loadTodo(who) {
  let list;
  let cached = false;
  try {
    // The roster's staff member the account is linked to (`gridmap user link`); an
    // account without a link gets what was dispatched to its login.
    list = (await api.workOrders(`staff:${who.staff ?? who.login}`)).items ?? [];
    localStorage.setItem(TODO_KEY, JSON.stringify(list));
  } catch {
    list = JSON.parse(localStorage.getItem(TODO_KEY) ?? "[]");
    cached = true;
  }
  document.getElementById("todo-count").textContent = String(list.length);
  const rows = list.map((i) => {
    const due = i.deadline
      ? h(
          "span",
          { class: "deadline", dataset: { level: i.deadline.level } },
          t("dueAt", { time: new Date(i.deadline.due * 1000).toLocaleString() }),
        )
      : null;
    const move = (action, label) =>
      h(
        "button",
        {
          type: "button",
          class: `move-${action}`,
          onclick: async () => {
            await enqueue("move", `${label} ${i.id}`, () => ({
              incident: i.id,
              move: { action, version: i.version, note: action === "feedback" ? t("finishOrder") : null },
            }));
            loadTodo(who);
          },
        },
        label,
      );
    return h(
      "li",
      { class: "todo-item", dataset: { incident: i.id, status: i.status } },
      `${i.id} · ${i.subcategory_name ?? i.category_name ?? i.category}`,
      i.description ? h("span", { class: "deadline" }, i.description) : null,
      due,
      h(
        "div",
        { class: "actions" },
        i.status === "dispatched" ? move("accept", t("acceptOrder")) : null,
        i.status === "in_progress" ? move("feedback", t("finishOrder")) : null,
      ),
    );
  });
  document
    .getElementById("todo-list")
    .replaceChildren(
      ...(rows.length ? rows : [h("li", { class: "muted" }, t("todoNone"))]),
      ...(cached ? [h("li", { class: "muted" }, t("todoCached"))] : []),
    );
  document.getElementById("todo").hidden = false;
}

/** My grid: its households (kept for offline use), each with a button to record a visit. */
function setUpMyGrid(who) {
  const section = document.getElementById("mygrid");
  const input = document.getElementById("grid-code");
  const error = section.querySelector(".phone-error");
  const mine = (who.scope ?? "").startsWith("grids:") ? who.scope.slice("grids:".length).split(",") : [];
  document.getElementById("my-grids").replaceChildren(...mine.map((code) => h("option", { value: code })));
  const cached = JSON.parse(localStorage.getItem(HOUSEHOLDS_KEY) ?? "null");
  input.value = mine[0] ?? cached?.grid ?? "";
  async function openGrid() {
    const code = input.value.trim();
    if (!code) return;
    error.textContent = "";
    try {
      const [list, detail] = await Promise.all([api.gridHouseholds(code), api.grid(code)]);
      localStorage.setItem(HOUSEHOLDS_KEY, JSON.stringify({ grid: code, list, bbox: detail.bbox }));
      renderHouseholds(list, false);
      await showGridMap(detail.bbox, true);
    } catch (err) {
      const copy = JSON.parse(localStorage.getItem(HOUSEHOLDS_KEY) ?? "null");
      if (copy?.grid === code && !err.status) {
        renderHouseholds(copy.list, true);
        await showGridMap(copy.bbox, false);
      } else error.textContent = err.message;
    }
  }
  document.getElementById("open-grid").addEventListener("click", openGrid);
  section.hidden = false;
  if (input.value) openGrid();
}

/** Sets the report's place and says where it came from (GPS, the map). */
function setPlace([lon, lat], how) {
  state.position = [lon, lat];
  document.getElementById("place").textContent = `${lon.toFixed(5)}, ${lat.toFixed(5)} (${how})`;
}

/** The tiles (x, y) of zoom `z` covering `[w, s, e, n]`. */
export function tilesOf([w, s, e, n], z) {
  const n2 = 2 ** z;
  const x = (lon) => Math.min(n2 - 1, Math.max(0, Math.floor(((lon + 180) / 360) * n2)));
  const y = (lat) => {
    const r = (lat * Math.PI) / 180;
    return Math.min(
      n2 - 1,
      Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n2)),
    );
  };
  const out = [];
  for (let tx = x(w); tx <= x(e); tx++) for (let ty = y(n); ty <= y(s); ty++) out.push([tx, ty]);
  return out;
}

let gridMap = null;

/** Shows the grid on a small map; online, keeps its tiles for viewing it offline. */
async function showGridMap(bbox, online) {
  if (!bbox) return;
  const source = await api.tileJson(readConfig().layers, {
    tiles: [absolute(`tiles/${readConfig().layers}/{z}/{x}/{y}.mvt`)],
  });
  const container = document.getElementById("grid-map");
  container.hidden = false;
  const bounds = [
    [bbox[0], bbox[1]],
    [bbox[2], bbox[3]],
  ];
  if (!gridMap) {
    gridMap = new maplibregl.Map({
      container,
      style: buildStyle({
        tiles: source.tiles,
        minzoom: source.minzoom,
        maxzoom: source.maxzoom,
        glyphs: absolute("fonts/{fontstack}/{range}.pbf"),
        labels: absolute("api/labels"),
        householdsUnit: t("householdsUnit"),
        institutionLabel: t("institution"),
      }),
      bounds,
      fitBoundsOptions: { padding: 16 },
      attributionControl: false,
      localIdeographFontFamily: LOCAL_IDEOGRAPH_FONTS,
    });
    window.gridmap.map = gridMap;
    // Offline, tiles beyond the kept ones and the labels fail: the map shows what it has.
    gridMap.on("error", (e) => console.warn("map:", e.error?.message ?? e));
    // A tap on the map is the report's place (where GPS is poor or the place is elsewhere).
    gridMap.on("click", (e) => setPlace([e.lngLat.lng, e.lngLat.lat], t("pickedOnMap")));
  } else gridMap.fitBounds(bounds, { padding: 16, animate: false });
  if (!online || !("caches" in window)) return;
  const cache = await caches.open(TILE_CACHE);
  const urls = TILE_ZOOMS.filter((z) => z >= source.minzoom && z <= source.maxzoom).flatMap((z) =>
    tilesOf(bbox, z).map(([x, y]) => source.tiles[0].replace("{z}", z).replace("{x}", x).replace("{y}", y)),
  );
  await Promise.all(urls.map((u) => cache.add(u).catch(() => null)));
  state.tilesKept = urls;
}

function renderHouseholds(list, offlineCopy) {
  const rows = [];
  let building = null;
  for (const { building: b, building_address: address, household: x } of list) {
    if (b !== building) {
      building = b;
      rows.push(h("li", { class: "building-head" }, address ?? b, offlineCopy ? ` ${t("householdsCached")}` : ""));
    }
    const flat = [x.entrance, x.unit ?? (x.floor != null ? `${x.floor}F` : null)].filter(Boolean).join("-");
    rows.push(
      h(
        "li",
        { class: "household-row", dataset: { household: x.id } },
        h(
          "span",
          { class: "who" },
          [flat || x.address || x.id, x.head ? ` · ${x.head}` : ""].join(""),
          x.tags?.length ? h("span", { class: "tags" }, x.tags.join("、")) : null,
        ),
        h("button", { type: "button", class: "visit-button", onclick: () => openVisit(x, flat) }, t("visit")),
      ),
    );
  }
  document.getElementById("household-list").replaceChildren(...rows);
}

function openVisit(x, flat) {
  const form = document.getElementById("visit");
  form.dataset.household = x.id;
  document.getElementById("visit-household").textContent = [flat, x.head].filter(Boolean).join(" ");
  form.hidden = false;
  form.scrollIntoView({ block: "start" });
}

function setUpVisit() {
  const form = document.getElementById("visit");
  const photos = createPhotoPicker(form, form.querySelector(".phone-error"));
  const close = () => {
    form.reset();
    photos.clear();
    form.hidden = true;
  };
  document.getElementById("visit-cancel").addEventListener("click", close);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const household = form.dataset.household;
    const note = form.elements.note.value.trim() || null;
    const followUp = form.elements.follow_up.checked;
    const label = `${t("visit")} ${document.getElementById("visit-household").textContent}`;
    const taken = await photos.take();
    close();
    await enqueue("visit", label, (clientId, time) => ({
      visit: { client_id: clientId, household, time, note, follow_up: followUp },
      photos: taken,
    }));
  });
}

function setUpPatrol() {
  const section = document.getElementById("patrol");
  const error = section.querySelector(".phone-error");
  document.getElementById("check-in").addEventListener("click", async () => {
    const place = placeOrSay(error);
    if (!place) return;
    const [lon, lat] = place;
    await enqueue("check_in", t("patrol"), (clientId, time) => ({
      check_in: { client_id: clientId, time, lon, lat },
    }));
  });
  section.hidden = false;
}

function setUpSignIn() {
  const form = document.getElementById("signin");
  form.hidden = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.signIn(form.elements.login.value, form.elements.password.value);
      window.location.reload();
    } catch (err) {
      form.querySelector(".phone-error").textContent = err.message;
    }
  });
}

async function main() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("m-sw.js", { scope: "m" }).catch(() => null);
  showNet();
  window.addEventListener("online", () => {
    showNet();
    retry.failures = 0;
    flushNow();
  });
  window.addEventListener("offline", showNet);
  let who = { signed_in: false };
  try {
    who = await api.me();
    localStorage.setItem(ME_KEY, JSON.stringify(who));
  } catch {
    // Offline at start: the outbox still takes reports for the account last signed in,
    // and its to-do list shows as last read.
    const last = JSON.parse(localStorage.getItem(ME_KEY) ?? "null");
    who = last?.signed_in ? last : { signed_in: Boolean(token) || navigator.onLine === false };
  }
  if (!who.signed_in && !token) {
    setUpSignIn();
    return;
  }
  document.getElementById("phone-who").textContent = who.login ?? "";
  setUpReport(await loadServices());
  setUpPatrol();
  setUpMyGrid(who);
  setUpVisit();
  if (who.login) loadTodo(who);
  document.getElementById("outbox").hidden = false;
  await renderOutbox();
  flushNow();
}

main();
