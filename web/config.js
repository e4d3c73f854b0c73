// Page configuration: staff token from the URL fragment, optional base map, tile URL.
//
// The token arrives as `#token=…` (printed by `gridmap serve` in demo mode). It is read
// before MapLibre takes over the fragment for the view (`hash: true`), stored in
// sessionStorage and removed from the address bar so it is not bookmarked or shared.

const TOKEN_KEY = "gridmap.token";

/**
 * Reads `token=` from the fragment, keeps it in sessionStorage and strips it from the URL.
 * Other fragment parts (a saved map view) are kept.
 * @returns {string|null} the token in force for this tab
 */
export function takeTokenFromHash() {
  const hash = window.location.hash.replace(/^#/, "");
  if (hash) {
    const parts = hash.split("&");
    const rest = [];
    for (const part of parts) {
      if (part.startsWith("token=")) {
        const token = decodeURIComponent(part.slice("token=".length));
        try {
          if (token) sessionStorage.setItem(TOKEN_KEY, token);
          else sessionStorage.removeItem(TOKEN_KEY);
        } catch {
          memoryToken = token || null;
        }
      } else if (part) {
        rest.push(part);
      }
    }
    if (rest.length !== parts.length) {
      const url = `${window.location.pathname}${window.location.search}${rest.length ? `#${rest.join("&")}` : ""}`;
      window.history.replaceState(window.history.state, "", url);
    }
  }
  return getToken();
}

let memoryToken = null;

/** The staff token for API requests, or null. */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

/** Forgets the staff token of this tab. */
export function clearToken() {
  memoryToken = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: the in-memory copy is gone already
  }
}

/** True when the fragment holds a saved map view (`#zoom/lat/lon…`). */
export function hashHasView() {
  return /^#?\d+(\.\d+)?\/-?\d/.test(window.location.hash);
}

/**
 * Deployment settings: `window.GRIDMAP_CONFIG` (set by the server page, optional) and URL
 * parameters. `basemap` is a MapLibre style URL or a raster tile template with {z}/{x}/{y}.
 * @returns {{basemap: string|null, layers: string, attribution: string}}
 */
export function readConfig() {
  const cfg = window.GRIDMAP_CONFIG ?? {};
  const params = new URLSearchParams(window.location.search);
  return {
    basemap: params.get("basemap") || cfg.basemapStyle || cfg.basemap || null,
    layers: cfg.layers || "townships,villages,grids,grid_labels,buildings",
    // What the data requires (OpenStreetMap's only when buildings come from it).
    attribution: cfg.attribution || "gridmap",
  };
}

/**
 * Resolves a URL or URL template against `base` (default: the page) without
 * percent-encoding `{z}`-style placeholders, as `new URL()` would. MapLibre's workers
 * need absolute URLs.
 * @param {string} url
 * @param {string} [base]
 */
export function absolute(url, base = window.location.href) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  const b = new URL(base);
  if (url.startsWith("//")) return `${b.protocol}${url}`;
  if (url.startsWith("/")) return `${b.origin}${url}`;
  const dir = b.href.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  return `${dir}${url}`;
}
