// The phone page's service worker: keeps the page's own files so it opens without a
// connection (reports then wait in the outbox), and answers map tiles from the copies the
// page keeps of its grid (m.js, cache "gridmap-phone-tiles"). Network first, the cached
// copy when the network fails; the API is never cached.

const CACHE = "gridmap-phone-v3";
// Every module m.js loads, directly or through its imports (api.js loads dom.js and
// plandiff.js): one missing and the page does not start offline.
const SHELL = [
  "m",
  "m.webmanifest",
  "m-icon-192.png",
  "style.json",
  "vendor/maplibre-gl/maplibre-gl.mjs",
  "vendor/maplibre-gl/maplibre-gl-worker.mjs",
  "vendor/maplibre-gl/maplibre-gl.css",
  "static/layers.js",
  "static/incidents.js",
  "config.js",
  "static/m.js",
  "static/m.css",
  "static/api.js",
  "static/config.js",
  "static/dom.js",
  "static/plandiff.js",
  "static/i18n.js",
  "static/queue.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.includes("/api/") || url.pathname.includes("/open311/")) return;
  event.respondWith(
    fetch(event.request)
      .then((res) => {
        // Tiles are kept by the page, for its grid only (the shell cache would grow with
        // every tile viewed).
        if (res.ok && !url.pathname.includes("/tiles/")) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(event.request, copy));
        }
        return res;
      })
      // Every cache is searched, the page's tiles included; a tile's query is part of it.
      .catch(() =>
        caches
          .match(event.request, { ignoreSearch: !url.pathname.includes("/tiles/") })
          .then((hit) => hit ?? Response.error()),
      ),
  );
});
