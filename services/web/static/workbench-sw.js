// The workbench's service worker: keeps the workbench's pages and scripts so that a form opens
// and can be filled in without a connection. Steps themselves wait in IndexedDB (workbench.js);
// requests other than GET, and the submission answers, always go to the network.
"use strict";
const CACHE = "backbone-workbench-v1";
const SHELL = [
  "/static/style.css",
  "/static/workbench.js",
  "/static/vendor/libsodium/libsodium.js",
  "/static/vendor/libsodium/libsodium-wrappers.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

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
