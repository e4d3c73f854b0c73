// JSON API client (the API is described at /api/openapi.json and in the README's HTTP table): adds the staff token, turns error bodies into ApiError.

import { getToken } from "./config.js";

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
export async function getJson(path, opts = {}) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, signal: opts.signal });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body?.error ?? `HTTP ${res.status}`);
  return body;
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
