/* Service worker: the app shell works offline; the API is never cached. */
const CACHE = "mm-shell-v2";
const SHELL = "/";

// The shell and every asset it names (hashed file names, so they never go stale): the first
// visit fetched them before this worker existed, and a link opened offline needs them all.
async function precacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-cache" });
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put(SHELL, response);
  const assets = new Set(html.match(/\/static\/app\/[^"'\s)]+/g) || []);
  await cache.addAll([...assets]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    precacheShell()
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
    // Only the shell is stored: /track/<token>, /reports/<id> and /confirm/<token> pages are
    // the same index.html, and their URLs (tokens) are not kept in the cache.
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
  } else if (path.startsWith("/track/") || path.startsWith("/reports/") || path.startsWith("/confirm/")) {
    // Tracking, public report and confirmation links open the app even without a
    // connection; the app then says it is offline instead of the browser's error page.
    event.respondWith(networkFirst(request, SHELL));
  }
});
