/* SFE Cloud: calls logged with no network wait on this device and are sent when it returns.
 *
 * - Registers the service worker (/sw.js: data-sw on this script) and tells it whose pages these are
 *   ({type: "hello", user, lang}; user is the signed-in user's public code, "" when nobody is signed in).
 * - A form marked data-offline-queue (the call form) is sent with fetch and the header X-Offline-Replay: 1; the
 *   server answers {"ok": true, "code", "url"} (also when the call with that code exists: submits are idempotent
 *   by the form's hidden "code") or 400 {"ok": false, "errors": {field: [messages]}}. With no network (or a
 *   network error) the fields are stored in IndexedDB as {code, url, page, fields, queued_at, user, title, status}
 *   and the page says so. A refused online submit is posted again the ordinary way, so the server shows its errors.
 * - The outbox (templates/calls/offline/outbox.html, in the navbar) counts what waits, lists it, and sends it on
 *   the "online" event, on every page load and every 30 s. Sent items are removed; refused ones stay, marked, with
 *   the server's messages and a link that opens the form filled in again (#offline-fix=<code>).
 * - A form page served from the cache carries a code already used: it gets a new one (crypto.randomUUID()).
 * Items belong to the user who saved them: another user signed in on the same browser neither sees nor sends them.
 * Strings come from data-msg-* attributes rendered with {% translate %}. No inline script (CSP).
 */
(() => {
  "use strict";
  const SCRIPT = document.currentScript;
  const DB_NAME = "sfe-offline";
  const OUTBOX = "outbox";
  const USED = "used"; // codes already submitted or saved, so a cached form never repeats one
  const RETRY_MS = 30000;
  const USED_KEEP_MS = 90 * 24 * 3600 * 1000;

  // ---------------------------------------------------------------- IndexedDB, a small promise wrapper
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          req.result.createObjectStore(OUTBOX, { keyPath: "code" });
          req.result.createObjectStore(USED, { keyPath: "code" });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }
  async function run(store, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const req = fn(t.objectStore(store));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = t.onabort = () => reject(t.error);
    });
  }
  const outbox = {
    all: () => run(OUTBOX, "readonly", (s) => s.getAll()),
    get: (code) => run(OUTBOX, "readonly", (s) => s.get(code)),
    put: (item) => run(OUTBOX, "readwrite", (s) => s.put(item)),
    del: (code) => run(OUTBOX, "readwrite", (s) => s.delete(code)),
  };
  const used = {
    add: (code) => run(USED, "readwrite", (s) => s.put({ code, at: Date.now() })),
    has: async (code) => (await run(USED, "readonly", (s) => s.getKey(code))) !== undefined,
    prune: () => run(USED, "readwrite", (s) => {
      const old = Date.now() - USED_KEEP_MS;
      s.openCursor().onsuccess = (ev) => {
        const cur = ev.target.result;
        if (!cur) return;
        if (cur.value.at < old) cur.delete();
        cur.continue();
      };
    }),
  };

  // ---------------------------------------------------------------- page context
  const box = () => document.getElementById("sfe-outbox");
  const me = () => (box() ? box().dataset.user : "");
  const msg = (key) => (box() && box().dataset[`msg${key[0].toUpperCase()}${key.slice(1)}`]) || "";
  const lang = () => document.documentElement.lang || undefined;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("sfe-outbox") : null;

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function csrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (err) { /* no htmx headers on this page */ }
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ---------------------------------------------------------------- sending
  /** POST one stored item; resolves {ok, status, data, signin}; rejects on a network error. */
  async function send(item, { queued = true } = {}) {
    const token = csrfToken() || (item.fields.find(([k]) => k === "csrfmiddlewaretoken") || [])[1] || "";
    const body = new FormData();
    for (const [name, value] of item.fields) if (name !== "csrfmiddlewaretoken") body.append(name, value);
    body.append("csrfmiddlewaretoken", token);
    const res = await fetch(item.url, {
      method: "POST", body, credentials: "same-origin",
      // X-Offline-Queued: sent from the device's queue (the server may record it), not straight from the form.
      headers: { "X-Offline-Replay": "1", "X-CSRFToken": token, Accept: "application/json", ...(queued ? { "X-Offline-Queued": "1" } : {}) },
    });
    let data = null;
    if ((res.headers.get("Content-Type") || "").includes("application/json")) data = await res.json().catch(() => null);
    return {
      ok: res.ok && !!data && data.ok === true, status: res.status, data,
      signin: res.redirected || res.status === 401 || res.status === 403,
    };
  }

  let draining = null;
  /** Send what waits for this user, oldest first; refused items stay marked (sent again only when forced). */
  function drain({ force = false } = {}) {
    if (draining || !me() || !navigator.onLine) return draining || Promise.resolve();
    const work = async () => {
      const mine = (await outbox.all()).filter((i) => i.user === me() && (force || i.status !== "failed"));
      mine.sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
      let sent = 0;
      for (const stale of mine) {
        const item = await outbox.get(stale.code); // another tab may have sent it meanwhile
        if (!item) continue;
        let r;
        try {
          r = await send(item);
        } catch (err) {
          break; // still no network: try later
        }
        if (r.ok) {
          await used.add(item.code);
          await outbox.del(item.code);
          sent += 1;
        } else if (r.status === 400 && r.data) {
          await outbox.put({ ...item, status: "failed", errors: r.data.errors || {} });
        } else {
          await outbox.put({ ...item, status: r.signin ? "signin" : "retry", tries: (item.tries || 0) + 1 });
          if (r.signin) break;
        }
      }
      if (sent && !(await outbox.all()).some((i) => i.user === me())) notice(msg("sent"), "success");
    };
    const locked = navigator.locks ? navigator.locks.request("sfe-outbox", work) : work();
    draining = locked.catch(() => null).finally(() => { draining = null; changed(); });
    return draining;
  }

  // ---------------------------------------------------------------- the outbox in the navbar
  function changed() {
    render();
    if (channel) channel.postMessage("changed");
  }

  function errorMessages(errors) {
    return Object.values(errors || {}).flat().map((e) => (typeof e === "string" ? e : e.message || String(e)));
  }

  async function render() {
    const el = box();
    if (!el) return;
    const items = (await outbox.all()).filter((i) => i.user === me());
    items.sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
    el.hidden = items.length === 0;
    el.querySelector("[data-outbox-count]").textContent = String(items.length);
    el.querySelector("button.dropdown-toggle").classList.toggle("btn-danger", items.some((i) => i.status === "failed"));
    el.querySelector("button.dropdown-toggle").classList.toggle("btn-warning", !items.some((i) => i.status === "failed"));
    const list = el.querySelector("[data-outbox-list]");
    list.replaceChildren(...items.map(row));
    const logout = document.querySelector(`form[action="${el.dataset.logoutUrl}"] button[type=submit]`);
    if (logout) {
      if (items.length) logout.dataset.confirm = msg("logout");
      else delete logout.dataset.confirm;
    }
  }

  function row(item) {
    const li = document.createElement("li");
    li.className = "border-bottom py-2";
    li.dataset.code = item.code;
    const title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = item.title || msg("untitled");
    const meta = document.createElement("div");
    meta.className = "small text-muted";
    const when = new Date(item.queued_at).toLocaleString(lang(), { dateStyle: "short", timeStyle: "short", hour12: false });
    const state = { failed: msg("failed"), signin: msg("signin"), retry: msg("retry") }[item.status] || msg("waiting");
    meta.textContent = `${when} · ${state}`;
    li.append(title, meta);
    if (item.status === "failed") {
      const ul = document.createElement("ul");
      ul.className = "small text-danger mb-1 ps-3";
      for (const text of errorMessages(item.errors)) {
        const e = document.createElement("li");
        e.textContent = text;
        ul.append(e);
      }
      const fix = document.createElement("a");
      fix.className = "btn btn-outline-danger me-2";
      fix.href = `${item.page || item.url}#offline-fix=${item.code}`;
      fix.textContent = msg("fix");
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-link text-danger";
      discard.dataset.outboxDiscard = item.code;
      discard.textContent = msg("discard");
      li.append(ul, fix, discard);
    }
    return li;
  }

  let noticeTimer = null;
  function notice(text, kind = "info") {
    const main = document.getElementById("main");
    if (!main || !text) return;
    let el = document.getElementById("sfe-offline-notice");
    if (!el) {
      el = document.createElement("div");
      el.id = "sfe-offline-notice";
      el.setAttribute("role", "status");
      main.prepend(el);
    }
    el.className = `alert alert-${kind}`;
    el.textContent = text;
    clearTimeout(noticeTimer);
    if (kind === "success") noticeTimer = setTimeout(() => el.remove(), 8000);
  }

  // ---------------------------------------------------------------- the form
  function titleOf(form) {
    // What the outbox lists the item as: the element marked data-offline-title (else the chosen HCP), else the heading.
    const el = form.querySelector("[data-offline-title]") || form.querySelector("select[name=hcp]");
    let text = "";
    if (el && el.tagName === "SELECT") text = el.value && el.selectedOptions[0] ? el.selectedOptions[0].textContent : "";
    else if (el) text = el.value || el.textContent || "";
    const h = document.querySelector("main h1");
    return (text.trim() || (h ? h.textContent : "")).trim();
  }

  async function queue(form, item) {
    await outbox.put(item);
    await used.add(item.code);
    if (form.dataset.offlineFix) delete form.dataset.offlineFix;
    changed();
    // Open the form afresh (from the worker's copy when offline) for the next call, and say where this one is.
    sessionStorage.setItem("sfe-offline-notice", msg("saved"));
    window.location.assign(item.page);
  }

  async function onSubmit(ev) {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-offline-queue]") || ev.defaultPrevented) return;
    if (form.dataset.offlineNative === "1") return; // a refused submit posted again the ordinary way
    ev.preventDefault();
    if (form.dataset.offlineBusy === "1") return;
    form.dataset.offlineBusy = "1";
    const submitter = ev.submitter || null;
    let fields;
    try {
      fields = [...new FormData(form, submitter || undefined).entries()];
    } catch (err) {
      fields = [...new FormData(form).entries()];
    }
    const code = (fields.find(([k]) => k === "code") || [])[1] || "";
    // form.getAttribute, not form.action: the call form's buttons are named "action" and shadow the property.
    const action = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    const item = {
      code, url: action.pathname + action.search,
      page: window.location.pathname + window.location.search, fields, queued_at: new Date().toISOString(),
      user: me(), title: titleOf(form), status: "waiting", errors: {}, tries: 0,
    };
    try {
      if (!navigator.onLine || !code) {
        if (code) return await queue(form, item);
        throw new Error("no code");
      }
      let r;
      try {
        r = await send(item, { queued: false });
      } catch (err) {
        return await queue(form, item); // the network failed on the way
      }
      if (r.ok) {
        await used.add(code);
        await outbox.del(code);
        changed();
        window.location.assign(r.data.url || window.location.href);
        return;
      }
      if (form.dataset.offlineFix) await outbox.del(form.dataset.offlineFix); // the form holds it now
      throw new Error(`answer ${r.status}`);
    } catch (err) {
      // Refused (or no code to make the submit safe): post the form normally, the server shows what is wrong.
      form.dataset.offlineNative = "1";
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    } finally {
      delete form.dataset.offlineBusy;
    }
  }

  function fill(form, fields) {
    const byName = new Map();
    for (const [name, value] of fields) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push(value);
    }
    for (const [name, values] of byName) {
      const els = [...form.elements].filter((e) => e.name === name);
      let i = 0;
      for (const el of els) {
        if (el.type === "checkbox" || el.type === "radio") el.checked = values.includes(el.value);
        else if (el.type === "select-multiple") [...el.options].forEach((o) => { o.selected = values.includes(o.value); });
        else if (el.type === "submit" || el.type === "button" || el.type === "file") continue;
        else el.value = values[i++] ?? "";
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  }

  async function prepareForms() {
    for (const form of document.querySelectorAll("form[data-offline-queue]")) {
      const input = form.querySelector("input[name=code]");
      if (!input) continue;
      const fix = (window.location.hash.match(/^#offline-fix=([0-9a-f-]+)$/i) || [])[1];
      const item = fix ? await outbox.get(fix) : null;
      if (item && item.user === me()) {
        fill(form, item.fields);
        input.value = item.code;
        form.dataset.offlineFix = item.code;
        notice([msg("fixing"), ...errorMessages(item.errors)].join(" "), "danger");
        continue;
      }
      // A copy from the worker's cache still carries the code of a call sent or saved since: a new one. (A code not
      // used yet is kept: a planned visit's form carries the planned call's code, which the call must take.)
      if ((await used.has(input.value)) || (await outbox.get(input.value))) input.value = uuid();
    }
  }

  // ---------------------------------------------------------------- the service worker
  async function hello() {
    if (!("serviceWorker" in navigator)) return;
    const swUrl = (SCRIPT && SCRIPT.dataset.sw) || "/sw.js";
    navigator.serviceWorker.register(swUrl, { scope: "/" }).catch(() => null); // fails offline: the old one stays
    const reg = await navigator.serviceWorker.ready;
    await new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      reg.active.postMessage({ type: "hello", user: me(), lang: document.documentElement.lang }, [ch.port2]);
      setTimeout(resolve, 5000);
    });
    document.documentElement.dataset.offlineReady = "1";
    if (me() && navigator.onLine) {
      // The worker fetches ahead the links to the pages it keeps (today's "Log this call"), so they open offline.
      const urls = [...document.querySelectorAll("main a[href]")].map((a) => a.href);
      reg.active.postMessage({ type: "prefetch", user: me(), urls });
    }
  }

  // ---------------------------------------------------------------- start
  document.addEventListener("submit", onSubmit);
  document.addEventListener("click", async (ev) => {
    const send = ev.target.closest("[data-outbox-send]");
    if (send) drain({ force: true });
    const discard = ev.target.closest("[data-outbox-discard]");
    if (discard && window.confirm(msg("discardConfirm"))) {
      await outbox.del(discard.dataset.outboxDiscard);
      changed();
    }
  });
  window.addEventListener("online", () => drain());
  window.addEventListener("hashchange", () => prepareForms());
  window.addEventListener("pageshow", (ev) => { if (ev.persisted) prepareForms().then(render); });
  if (channel) channel.onmessage = () => render();
  setInterval(() => drain(), RETRY_MS);

  const start = async () => {
    const flash = sessionStorage.getItem("sfe-offline-notice");
    if (flash) {
      sessionStorage.removeItem("sfe-offline-notice");
      notice(flash, "info");
    }
    hello().catch(() => null);
    try {
      await prepareForms();
      await render();
      await used.prune();
    } catch (err) { /* no IndexedDB (private mode in old browsers): the form posts the ordinary way */ }
    drain();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // For the browser tests and the curious: the stored items and a way to send one again.
  window.sfeOffline = { outbox, used, send, drain, render };
})();
