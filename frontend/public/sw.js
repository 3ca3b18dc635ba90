/* Service worker: the app shell works offline; the API is never cached. */
const CACHE = "mm-shell-v1";
const SHELL = "/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.add(SHELL))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("mm-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Only the shell is stored: /track/<token> pages are the same index.html, and their
    // URLs (tokens) are not kept in the cache.
    if (response.ok && cacheKey === SHELL) cache.put(SHELL, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(cacheKey);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith("/api/")) return; // never cached
  if (path.startsWith("/static/app/")) {
    event.respondWith(cacheFirst(request));
  } else if (path === "/" || path === "/index.html") {
    event.respondWith(networkFirst(request, SHELL));
  } else if (path.startsWith("/track/")) {
    event.respondWith(networkFirst(request, SHELL));
  }
});
