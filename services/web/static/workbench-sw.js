// The workbench's service worker: keeps the workbench's pages and scripts so that a form opens
// and can be filled in without a connection, and sends the steps waiting in IndexedDB when the
// browser fires a Background Sync (the connection is back), whether or not a workbench page is
// open. Requests other than GET, and the submission answers, always go to the network.
"use strict";
importScripts("/static/workbench-outbox.js");
const CACHE = "backbone-workbench-v2";
const SHELL = [
  "/static/style.css",
  "/static/workbench.js",
  "/static/workbench-outbox.js",
  "/static/vendor/libsodium/libsodium.js",
  "/static/vendor/libsodium/libsodium-wrappers.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  const old = caches.keys().then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))));
  event.waitUntil(old.then(() => self.clients.claim()));
});

self.addEventListener("sync", (event) => {
  if (event.tag !== self.outbox.SYNC) return;
  // A step still waiting fails the sync, so that the browser tries again later.
  event.waitUntil(self.outbox.sendAll().then((waiting) => {
    if (waiting > 0 && !event.lastChance) throw new Error(`${waiting} steps still waiting`);
  }));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const mine = url.origin === self.location.origin;
  if (!mine || event.request.method !== "GET" || url.pathname.startsWith("/work/submissions")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  } else if (event.request.mode === "navigate" && url.pathname.startsWith("/work")) {
    // Network first; the last copy of a workbench page when offline.
    event.respondWith(fetch(event.request).then((answer) => {
      if (answer.ok) { const copy = answer.clone(); caches.open(CACHE).then((c) => c.put(event.request, copy)); }
      return answer;
    }).catch(() => caches.match(event.request)));
  }
});
