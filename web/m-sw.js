// The phone page's service worker: keeps the page's own files so it opens without a
// connection (reports then wait in the outbox). Network first, the cached copy when the
// network fails; the API is never cached.

const CACHE = "gridmap-phone-v1";
const SHELL = [
  "m",
  "config.js",
  "static/m.js",
  "static/m.css",
  "static/api.js",
  "static/config.js",
  "static/dom.js",
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
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(event.request, copy));
        }
        return res;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit ?? Response.error())),
  );
});
