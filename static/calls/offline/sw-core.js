/* SFE Cloud service worker: the logic. /sw.js (calls/offline.py) sets self.SFE_OFFLINE and imports this file.
 *
 * Caches
 *   sfe-static-<version>  the assets of the call form and the today page, precached at install (hashed names in
 *                         production, so cache-first; plain names under DEBUG, so network-first) and any other
 *                         /static/ file a page loaded while online.
 *   sfe-pages             the last good copy of the rep's pages (config.pages: today, new call, call list) and the
 *                         offline page. They hold the signed-in user's data: see "Whose pages" below.
 *   sfe-meta              whose pages they are: {user, lang}.
 *
 * Links on a page to those pages (today's "Log this call": /calls/new/?planned=…) are fetched ahead on request of
 * the page (a "prefetch" message), so they open offline too.
 *
 * Pages are network-first: the network answer is shown and kept; with no network (or none within 5 s when a copy
 * exists) the last good copy is shown, and the offline page when there is none. Any other page with no network
 * gets the offline page too. Never cached: anything but GET, /api/, other pages, redirects, error answers.
 *
 * Whose pages: each page posts {type: "hello", user, lang} (queue.js; user is the signed-in user's public code,
 * "" on the sign-in page). When the user differs from the one stored, sfe-pages is emptied before anything else is
 * stored; the POST to the logout URL empties it too. So one user never sees another's pages on a shared phone.
 */
/* global self, caches, clients */
const C = self.SFE_OFFLINE;
const STATIC_CACHE = `sfe-static-${C.version}`;
const PAGES_CACHE = "sfe-pages";
const META_CACHE = "sfe-meta";
const OWNER_KEY = "/__sfe_offline__/owner";
const NETWORK_TIMEOUT_MS = 5000;
const MATCH = { ignoreVary: true };

// Cache changes run one after another, so a page stored for a user is never deleted by an older message.
let queue = Promise.resolve();
const serial = (fn) => (queue = queue.then(fn, fn));

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(STATIC_CACHE);
    // One asset that fails must not stop the worker: the page still works online, and it is cached on first use.
    await Promise.all(C.precache.map((url) => cache.add(url).catch(() => null)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("sfe-static-") && n !== STATIC_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

async function owner() {
  const meta = await caches.open(META_CACHE);
  const stored = await meta.match(OWNER_KEY);
  return stored ? stored.json() : { user: null, lang: null };
}

async function setOwner(user, lang) {
  const before = await owner();
  const meta = await caches.open(META_CACHE);
  if (before.user !== user) await caches.delete(PAGES_CACHE);
  await meta.put(OWNER_KEY, new Response(JSON.stringify({ user, lang }), { headers: { "Content-Type": "application/json" } }));
  const pages = await caches.open(PAGES_CACHE);
  if (before.user !== user || before.lang !== lang || !(await pages.match(C.offline_url, MATCH))) {
    try {
      const res = await fetch(C.offline_url, { credentials: "same-origin" });
      if (res.ok) await pages.put(C.offline_url, res);
    } catch (err) { /* offline: kept from before, or the plain fallback below */ }
  }
}

async function forget() {
  const before = await owner();
  await caches.delete(PAGES_CACHE);
  const meta = await caches.open(META_CACHE);
  await meta.put(OWNER_KEY, new Response(JSON.stringify({ user: "", lang: before.lang }), { headers: { "Content-Type": "application/json" } }));
}

self.addEventListener("message", (event) => {
  const msg = event.data || {};
  if (msg.type === "prefetch") {
    event.waitUntil(prefetch(Array.isArray(msg.urls) ? msg.urls : [], String(msg.user || "")).catch(() => null));
    return;
  }
  if (msg.type !== "hello") return;
  const done = serial(() => setOwner(String(msg.user || ""), String(msg.lang || "")));
  event.waitUntil(done.then(() => { if (event.ports && event.ports[0]) event.ports[0].postMessage({ type: "ready" }); }));
});

function cacheable(res) {
  return res && res.ok && res.type === "basic" && !res.redirected
    && (res.headers.get("Content-Type") || "").startsWith("text/html");
}

async function offlinePage() {
  const hit = await caches.match(C.offline_url, MATCH);
  return hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

async function lastCopy(url) {
  // The copy of this very URL, else of the bare page (/calls/new/?hcp=… falls back to /calls/new/, never to the
  // copy of another query, which could carry a planned visit's code).
  const cache = await caches.open(PAGES_CACHE);
  const bare = new URL(url);
  bare.search = "";
  return (await cache.match(url, MATCH)) || (await cache.match(bare.href, MATCH));
}

// Links to the cached pages found on a page (today's "Log this call" → /calls/new/?planned=…) are fetched ahead,
// so they open offline too. Copies with a query older than PREFETCH_KEEP_MS are dropped.
const PREFETCH_MAX = 30;
const PREFETCH_KEEP_MS = 2 * 24 * 3600 * 1000;

async function prefetch(urls, user) {
  if (!user || (await owner()).user !== user) return;
  const cache = await caches.open(PAGES_CACHE);
  const wanted = [...new Set(urls)].map((u) => new URL(u, self.location.origin))
    .filter((u) => u.origin === self.location.origin && C.pages.includes(u.pathname)).slice(0, PREFETCH_MAX);
  for (const u of wanted) {
    u.hash = "";
    if (await cache.match(u.href, MATCH)) continue;
    let res;
    try {
      res = await fetch(u.href, { credentials: "same-origin" });
    } catch (err) {
      return; // no network
    }
    if (!cacheable(res)) continue;
    await serial(async () => {
      if ((await owner()).user === user) await (await caches.open(PAGES_CACHE)).put(u.href, res);
    });
  }
  const old = Date.now() - PREFETCH_KEEP_MS;
  for (const req of await cache.keys()) {
    if (!new URL(req.url).search) continue;
    const res = await cache.match(req, MATCH);
    const date = res && Date.parse(res.headers.get("Date") || "");
    if (!date || date < old) await cache.delete(req, MATCH);
  }
}

const timeout = (ms) => new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), ms));

async function page(event) {
  const req = event.request;
  const network = fetch(req);
  // Keep the answer as this user's last good copy (only once a page has said whose the pages are).
  event.waitUntil(network.then((res) => {
    if (!cacheable(res)) return null;
    const copy = res.clone();
    return serial(async () => {
      if ((await owner()).user) await (await caches.open(PAGES_CACHE)).put(req.url, copy);
    });
  }).catch(() => null));
  const copy = await lastCopy(req.url);
  try {
    return await (copy ? Promise.race([network, timeout(NETWORK_TIMEOUT_MS)]) : network);
  } catch (err) {
    return copy || offlinePage();
  }
}

async function staticAsset(req) {
  const cache = await caches.open(STATIC_CACHE);
  if (C.hashed) {
    const hit = await cache.match(req, { ...MATCH, ignoreSearch: true });
    if (hit) return hit;
  }
  try {
    const res = await fetch(req);
    if (res.ok && res.type === "basic" && !req.headers.has("Range")) await cache.put(req, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(req, { ...MATCH, ignoreSearch: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method !== "GET") {
    // Sign-out: forget this user's pages (the request itself goes to the network untouched).
    if (url.pathname === C.logout_url) event.waitUntil(serial(forget));
    return; // POSTs are never cached nor answered from a cache
  }
  if (url.pathname.startsWith(C.static_url)) {
    event.respondWith(staticAsset(req));
  } else if (req.mode === "navigate" && C.pages.includes(url.pathname)) {
    event.respondWith(page(event));
  } else if (req.mode === "navigate" && url.pathname !== C.offline_url) {
    event.respondWith(fetch(req).catch(() => offlinePage()));
  }
  // Everything else (the API, htmx fragments, downloads) goes to the network as if there were no worker.
});
