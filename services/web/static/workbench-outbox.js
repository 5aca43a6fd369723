// The workbench's outbox: steps kept in IndexedDB until the backbone has them. Shared by the
// pages (workbench.js) and the service worker (workbench-sw.js), so that a step queued offline is
// sent by whichever runs when the connection returns: the service worker on a Background Sync
// even with no workbench page open, a page on its `online` event where Background Sync is
// unavailable. Each step keeps the submission id fixed when its form was filled, and the CSRF
// token of the session that filled it, so a step sent twice (by both) is recorded once.
"use strict";
self.outbox = (function () {
  const DB = "backbone-workbench", STORE = "outbox", SYNC = "send-steps";

  function db() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(DB, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id" });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  async function tx(mode, work) {
    const base = await db();
    return new Promise((resolve, reject) => {
      const t = base.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => { base.close(); resolve(result.result); };
      t.onerror = () => { base.close(); reject(t.error); };
    });
  }
  const put = (item) => tx("readwrite", (s) => s.put(item));
  const all = () => tx("readonly", (s) => s.getAll());
  const clear = () => tx("readwrite", (s) => s.clear());
  // Not yet known to the backbone, or sent without its answer yet: lost if the outbox is cleared.
  const unsent = async () => (await all()).filter((i) => i.state === "waiting" || i.state === "sent");

  function settle(item, body) {
    if (body.status === "recorded") item.state = "recorded";
    if (body.status === "rejected") Object.assign(item, { state: "refused", reason: body.reason, detail: body.detail, message: body.message });
  }
  async function sendOne(item) {
    let answer;
    try {
      answer = await fetch("/work/submissions", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": item.csrf || "" },
        body: JSON.stringify({ step: item.step, record: item.record }),
        credentials: "same-origin",
      });
    } catch (offline) {
      return; // still waiting: sent again when the connection returns
    }
    const body = await answer.json().catch(() => ({}));
    if (answer.status >= 500) return; // the backbone could not take it now: try again later
    Object.assign(item, answer.ok ? { state: "sent" } : { state: "refused", reason: body.reason, detail: body.detail, message: body.message });
    if (answer.ok) settle(item, body);
    await put(item);
  }
  async function ask(item) {
    try {
      const answer = await fetch(`/work/submissions/${item.id}?wait=5`, { credentials: "same-origin" });
      if (!answer.ok) return;
      settle(item, await answer.json());
      await put(item);
    } catch (offline) { /* asked again later */ }
  }
  let busy = null;
  // Send what waits and ask after what was sent; the number of steps still waiting.
  function sendAll() {
    if (!busy) {
      busy = (async () => {
        for (const item of await all()) {
          if (item.state === "waiting") await sendOne(item);
          if (item.state === "sent") await ask(item);
        }
        return (await all()).filter((i) => i.state === "waiting").length;
      })().finally(() => { busy = null; });
    }
    return busy;
  }
  return { SYNC, put, all, clear, unsent, sendAll };
})();
