// JSON API client (the API is described at /api/openapi.json and in the README's HTTP table): adds the staff token, turns error bodies into ApiError.

import { absolute, getToken } from "./config.js";
import { saveBlob } from "./dom.js";
import { fileNameOf } from "./plandiff.js";

/** Error from the API: `status` is the HTTP status, message the server's `error` text. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * GETs a JSON document from our server.
 * @param {string} path relative to the page (which may live under a path prefix), e.g. "api/lookup?lon=1&lat=2"
 * @param {{signal?: AbortSignal}} [opts]
 */
export function getJson(path, opts = {}) {
  return request("GET", path, undefined, opts);
}

/**
 * Sends `body` as JSON (POST, PATCH…) and reads the JSON answer.
 * @param {string} method
 * @param {string} path relative to the page
 * @param {unknown} body
 * @param {{signal?: AbortSignal, headers?: Record<string, string>}} [opts]
 */
export function sendJson(method, path, body, opts = {}) {
  return request(method, path, body, opts);
}

function authHeaders(accept) {
  const headers = { Accept: accept };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

function request(method, path, body, opts) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json", opts);
}

/** Sends a raw `body` of type `contentType` (JSON, a CSV file…) and reads the JSON answer (null for a 204). */
async function send(method, path, body, contentType, opts = {}) {
  const headers = { ...authHeaders("application/json"), ...opts.headers };
  if (body !== undefined) headers["Content-Type"] = contentType;
  const res = await fetch(path, { method, headers, body, signal: opts.signal });
  return answerOf(res);
}

async function answerOf(res) {
  let answer = null;
  try {
    answer = await res.json();
  } catch {
    answer = null;
  }
  if (!res.ok) throw new ApiError(res.status, answer?.error ?? `HTTP ${res.status}`);
  return answer;
}

/** `api/me`: who this tab is signed in as (`signed_in`, `login`, `role`, `scope`, `personal_data`, `edits`). */
export function me(opts) {
  return getJson("api/me", opts);
}

/** `api/login`: signs in; the server sets the session cookie. */
export function signIn(login, password) {
  return sendJson("POST", "api/login", { login, password });
}

/** `api/logout`: ends the session of this browser. */
export function signOut() {
  return sendJson("POST", "api/logout", {});
}

/** `api/lookup`: building, grid, village and township at a point (WGS84). */
export function lookup(lon, lat, opts) {
  return getJson(`api/lookup?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`, opts);
}

/** `api/buildings/{id}`. */
export function building(id, opts) {
  return getJson(`api/buildings/${encodeURIComponent(id)}`, opts);
}

/** `api/grids/{code}`. */
export function grid(code, opts) {
  return getJson(`api/grids/${encodeURIComponent(code)}`, opts);
}

/** `api/staff/{id}`. */
export function staff(id, opts) {
  return getJson(`api/staff/${encodeURIComponent(id)}`, opts);
}

/** `api/search?q=…`: suggestions with a bbox each. */
export function search(q, limit, opts) {
  return getJson(`api/search?q=${encodeURIComponent(q)}&limit=${limit}`, opts);
}

/** `api/incidents?bbox=w,s,e,n&limit=n`: the newest incidents in a bbox (`{total, items}`). */
export function incidentsIn(bbox, limit, opts) {
  return getJson(`api/incidents?bbox=${bbox.map((v) => v.toFixed(6)).join(",")}&limit=${limit}`, opts);
}

/** `api/incidents/{id}`: `{incident, timeline}` (public fields without the token). */
export function incident(id, opts) {
  return getJson(`api/incidents/${encodeURIComponent(id)}`, opts);
}

/**
 * `api/incidents/summary`: counters, ranking, trend, categories and recent incidents.
 * @param {{window?: string, township?: string|null, village?: string|null}} q
 */
export function incidentSummary(q = {}, opts) {
  const params = new URLSearchParams();
  for (const k of ["window", "township", "village"]) if (q[k]) params.set(k, q[k]);
  const qs = params.toString();
  return getJson(`api/incidents/summary${qs ? `?${qs}` : ""}`, opts);
}

/** `open311/v2/services.json`: the taxonomy's types (`service_code`, `service_name`, `group`). */
export function services(opts) {
  return getJson("open311/v2/services.json", opts);
}

/**
 * A TileJSON (`tiles/{name}.json`) with absolute tile URLs; `fallback` when it cannot be read.
 * @param {string} name e.g. "townships,villages" or "heat"
 * @param {{tiles: string[], minzoom?: number, maxzoom?: number}} fallback
 * @returns {Promise<{tiles: string[], minzoom: number, maxzoom: number, bounds?: number[], center?: number[], attribution?: string}>}
 */
export async function tileJson(name, fallback) {
  const url = absolute(`tiles/${name}.json`);
  const fb = { minzoom: 0, maxzoom: 16, ...fallback };
  try {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    if (!res.ok) return fb;
    const tj = await res.json();
    const tiles = (tj.tiles ?? []).map((u) => absolute(u, url));
    return {
      tiles: tiles.length ? tiles : fb.tiles,
      minzoom: tj.minzoom ?? fb.minzoom,
      maxzoom: tj.maxzoom ?? fb.maxzoom,
      bounds: Array.isArray(tj.bounds) && tj.bounds.length === 4 ? tj.bounds : undefined,
      center: Array.isArray(tj.center) && tj.center.length >= 2 ? tj.center : undefined,
      attribution: tj.attribution,
    };
  } catch {
    return fb;
  }
}

/** `api/cameras`: every camera as a GeoJSON point (`kind: camera`) and view sector (`kind: sector`) (signed in). */
export function cameras(opts) {
  return getJson("api/cameras", opts);
}

/** `api/cameras/coverage?township=`: camera coverage per grid of an area or the caller's scope (signed in). */
export function cameraCoverage(area = {}, opts) {
  const q = new URLSearchParams(area).toString();
  return getJson(`api/cameras/coverage${q ? `?${q}` : ""}`, opts);
}

/** `api/situations?grid=`: the grid's households by situation (staff inside their scope). */
export function gridSituations(code, opts) {
  return getJson(`api/situations?grid=${encodeURIComponent(code)}`, opts);
}

/** `api/situations?village=&by=village`: a village's households by situation (its grids in the caller's scope). */
export function villageSituations(code, opts) {
  return getJson(`api/situations?village=${encodeURIComponent(code)}&by=village`, opts);
}

/** `api/situations/buildings`: per building in `bbox` (only `area.grid`'s or `area.village`'s) its households and those in `group`. */
export function buildingSituations(bbox, group, area = {}, opts) {
  const q = new URLSearchParams({ bbox: bbox.join(","), group });
  if (area.grid) q.set("grid", area.grid);
  else if (area.village) q.set("village", area.village);
  return getJson(`api/situations/buildings?${q}`, opts);
}

/** `api/villages/{code}/plan`: the village's grids, summary and issues (staff only). */
export function villagePlan(code, opts) {
  return getJson(`api/villages/${encodeURIComponent(code)}/plan`, opts);
}

/**
 * `POST api/villages/{code}/edits`: one planner edit (`{op, ...params, versions}`); answers
 * `{change, created, caused, fixed, plan}`.
 */
export function editVillage(code, edit) {
  return sendJson("POST", `api/villages/${encodeURIComponent(code)}/edits`, edit);
}

/**
 * `PATCH api/grids/{code}`: `{locked?, staff?}` from grid `version` as the page has it (sent as
 * `If-Match`: the server refuses an edit without it, and answers 409 when the grid changed since);
 * answers the grid with its `change`.
 */
export function patchGrid(code, version, patch) {
  return sendJson("PATCH", `api/grids/${encodeURIComponent(code)}`, patch, { headers: ifMatch(version) });
}

/** `api/households/{id}/tags`: sets a household's situation tags if they are still `expected` (409 if not). */
export function saveHouseholdTags(id, expected, tags) {
  return sendJson("PUT", `api/households/${encodeURIComponent(id)}/tags`, { expected, tags });
}

/** The `If-Match` header naming a grid version (the grid's ETag is its version in quotes). */
export function ifMatch(version) {
  if (!Number.isInteger(version)) throw new TypeError(`a grid version is a whole number, not ${version}`);
  return { "If-Match": `"${version}"` };
}

/** `api/changes?limit=n`: `{changes: [{id, at, actor, operation, bbox}]}`, newest first (staff only). */
export function changes(limit, opts) {
  return getJson(`api/changes?limit=${limit}`, opts);
}

/**
 * `POST api/changes/{id}/undo`: `{undone, change}` (undoing `change` redoes); for a grid change
 * inside one village also `{plan, caused, fixed}` as an edit answers.
 */
export function undoChange(id) {
  return sendJson("POST", `api/changes/${encodeURIComponent(id)}/undo`);
}

const village = (code) => `api/villages/${encodeURIComponent(code)}`;

/** `api/villages/{code}/versions`: `[{id, village, name, created_at, actor, grids, households}]`, newest first. */
export function versions(code, opts) {
  return getJson(`${village(code)}/versions`, opts);
}

/** `POST api/villages/{code}/versions`: saves the plan as it is under `name` (409 when taken). */
export function saveVersion(code, name) {
  return sendJson("POST", `${village(code)}/versions`, { name });
}

/** `DELETE api/villages/{code}/versions/{id}`. */
export function deleteVersion(code, id) {
  return sendJson("DELETE", `${village(code)}/versions/${encodeURIComponent(id)}`);
}

/**
 * `api/villages/{code}/versions/compare?from=…&to=…` (a version id or "current"): grids added,
 * removed and changed, households moved, and the differing grids as GeoJSON.
 */
export function compareVersions(code, from, to, opts) {
  const q = new URLSearchParams({ from: String(from), to: String(to) });
  return getJson(`${village(code)}/versions/compare?${q}`, opts);
}

/** `POST api/villages/{code}/versions/{id}/restore`: an edit outcome like {@link editVillage}. */
export function restoreVersion(code, id) {
  return sendJson("POST", `${village(code)}/versions/${encodeURIComponent(id)}/restore`);
}

/** `POST api/villages/{code}/plan.csv?name=…` with the CSV file as the body: an edit outcome (400 names the bad line). */
export function importPlanCsv(code, file) {
  const q = new URLSearchParams({ name: file.name || "plan.csv" });
  return send("POST", `${village(code)}/plan.csv?${q}`, file, "text/csv");
}

/** `PUT api/photos/{id}` with the image as the body: `{id, url, new, bytes}` (201 new, 200 stored before). */
export function putPhoto(id, blob) {
  return send("PUT", `api/photos/${encodeURIComponent(id)}`, blob, blob.type || "image/jpeg");
}

/** `POST api/incidents`: a report; with `client_id` and `time` a report sent again answers the stored one (`repeated`). */
export function reportIncident(report) {
  return sendJson("POST", "api/incidents", report);
}

/** `api/incidents?assignee=…&status=…`: the work orders dispatched to someone (`staff:ID`). */
export function workOrders(assignee, opts) {
  const q = new URLSearchParams({ assignee, status: "dispatched,in_progress", limit: "100" });
  return getJson(`api/incidents?${q}`, opts);
}

/** `POST api/incidents/{id}/transitions`: one move of the loop (409 when the incident changed since `version`). */
export function moveIncident(id, move) {
  return sendJson("POST", `api/incidents/${encodeURIComponent(id)}/transitions`, move);
}

/** `GET api/grids/{code}/check-ins?since=`: the grid's patrol check-ins, newest first (office roles). */
export function gridCheckIns(code, since, opts) {
  return getJson(`api/grids/${encodeURIComponent(code)}/check-ins?since=${since}`, opts);
}

/** `POST api/check-ins`: a patrol check-in (201 new, 200 recorded before). */
export function checkIn(record) {
  return sendJson("POST", "api/check-ins", record);
}

/** `POST api/visits`: a household visit (201 new, 200 recorded before). */
export function recordVisit(visit) {
  return sendJson("POST", "api/visits", visit);
}

/** `api/grids/{code}/households`: the grid's households, building by building (staff of the grid). */
export function gridHouseholds(code, opts) {
  return getJson(`api/grids/${encodeURIComponent(code)}/households`, opts);
}

/**
 * A photo stored by the server (`api/photos/{id}`, read with the staff token and audited)
 * as a Blob.
 * @param {string} path
 * @param {{signal?: AbortSignal}} [opts]
 */
export async function photo(path, opts = {}) {
  const res = await fetch(path, { headers: authHeaders("image/*"), signal: opts.signal });
  if (!res.ok) await answerOf(res);
  return res.blob();
}

/** `PUT api/staff/{id}/photo` (planners, administrators): the photo on the person's notice boards. */
export function setStaffPhoto(id, blob) {
  return send("PUT", `api/staff/${encodeURIComponent(id)}/photo`, blob, blob.type || "image/jpeg");
}

/**
 * GETs a file with the staff token (a bare link would not send it) and hands it to the
 * browser as a download, named as the server's Content-Disposition says (`fallback` when
 * it names none). Rejects with the server's error.
 * @param {string} path
 * @param {string} fallback
 */
export async function downloadFile(path, fallback) {
  const res = await fetch(path, { headers: authHeaders("*/*") });
  if (!res.ok) await answerOf(res);
  saveBlob(await res.blob(), fileNameOf(res.headers.get("Content-Disposition") ?? "", fallback));
}
