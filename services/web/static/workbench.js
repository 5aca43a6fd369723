// The agency workbench in the browser: a step's form becomes a record, its personal data is
// sealed here to the backbone's public key (libsodium), and the step is kept in IndexedDB until
// the backbone has it. The submission id is fixed when the form is filled, so sending it again
// (after a lost connection or answer) is recorded once.
"use strict";
(function () {
  const DB = "backbone-workbench", STORE = "outbox";
  const meta = document.querySelector('meta[name="csrf"]');
  const csrf = meta ? meta.content : "";

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
      t.oncomplete = () => resolve(result.result);
      t.onerror = () => reject(t.error);
    });
  }
  const put = (item) => tx("readwrite", (s) => s.put(item));
  const all = () => tx("readonly", (s) => s.getAll());

  // Avro binary of PersonalData: six strings, each a zig-zag varint length and UTF-8 bytes.
  function avroString(text) {
    const bytes = new TextEncoder().encode(text);
    const out = [];
    let n = bytes.length * 2; // zig-zag of a non-negative length
    while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
    out.push(n);
    return Uint8Array.from([...out, ...bytes]);
  }
  async function seal(form) {
    const inputs = [...form.querySelectorAll("[data-personal]")];
    if (!inputs.some((i) => i.value.trim())) return null;
    await window.sodium.ready;
    const sodium = window.sodium;
    const prefix = sodium.from_base64(form.dataset.prefix, sodium.base64_variants.ORIGINAL);
    const parts = [prefix, ...inputs.map((i) => avroString(i.value.trim()))];
    const plain = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { plain.set(p, at); at += p.length; }
    const key = sodium.from_base64(form.dataset.key, sodium.base64_variants.ORIGINAL);
    const sealed = sodium.crypto_box_seal(plain, key);
    inputs.forEach((i) => { i.value = ""; }); // the clear text leaves the page
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
  }

  function instant(value, offset) { return value ? `${value.length === 16 ? value + ":00" : value}${offset}` : ""; }
  function read(el, offset) {
    const kind = el.dataset.kind;
    if (kind === "flag") return el.checked;
    if (kind === "codes") return [...el.querySelectorAll("input:checked")].map((i) => i.value);
    if (kind === "instant") return el.value ? instant(el.value, offset) : 0;
    if (kind === "number") return el.value === "" ? 0 : Number(el.value);
    return el.value;
  }
  function collect(form) {
    const offset = form.dataset.offset, record = {}, missing = [];
    for (const el of form.querySelectorAll(":scope > [data-field], :scope > label > [data-field]")) {
      if (el.dataset.kind === "personal" || el.dataset.kind === "items") continue;
      if (el.required && !el.value) missing.push(el);
      record[el.dataset.field] = read(el, offset);
    }
    for (const group of form.querySelectorAll(':scope > [data-kind="items"]')) {
      record[group.dataset.field] = [...group.querySelectorAll(".item-row")].map((row) => {
        const item = {};
        row.querySelectorAll("[data-field]").forEach((el) => { item[el.dataset.field] = read(el, offset); });
        return item;
      }).filter((item) => Object.entries(item).some(([k, v]) => k !== "item_id" && v && v !== 0));
    }
    return { record, missing };
  }

  function words(code) {
    const found = document.querySelector(`#reasons [data-reason="${code}"]`);
    return found ? found.textContent : code;
  }
  async function show() {
    const list = document.getElementById("outbox");
    if (!list) return;
    const items = (await all()).sort((a, b) => a.filled_at - b.filled_at);
    document.getElementById("outbox-section").hidden = items.length === 0;
    list.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      li.dataset.submission = item.id;
      li.dataset.state = item.state;
      li.className = "outbox-" + item.state;
      const why = item.reason ? ` — ${words(item.reason)} (${item.reason}) ${item.message || item.detail || ""}` : "";
      li.textContent = `${item.title} · ${item.case_id.slice(0, 8)} · ${list.dataset[item.state] || item.state}${why}`;
      return li;
    }));
    const status = document.getElementById("step-status");
    const form = document.getElementById("step-form");
    const mine = form && items.find((i) => i.id === form.dataset.submitted);
    if (status && mine) {
      status.dataset.state = mine.state;
      const why = mine.reason ? ` — ${words(mine.reason)} (${mine.reason}) ${mine.message || mine.detail || ""}` : "";
      status.textContent = (status.dataset[mine.state] || mine.state) + why;
    }
  }

  async function sendOne(item) {
    let answer;
    try {
      answer = await fetch("/work/submissions", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
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
  function settle(item, body) {
    if (body.status === "recorded") item.state = "recorded";
    if (body.status === "rejected") Object.assign(item, { state: "refused", reason: body.reason, detail: body.detail, message: body.message });
  }
  async function ask(item) {
    try {
      const answer = await fetch(`/work/submissions/${item.id}?wait=5`, { credentials: "same-origin" });
      if (!answer.ok) return;
      settle(item, await answer.json());
      await put(item);
    } catch (offline) { /* asked again later */ }
  }
  let busy = false;
  async function sendAll() {
    if (busy) return;
    busy = true;
    try {
      for (const item of await all()) {
        if (item.state === "waiting") await sendOne(item);
        if (item.state === "sent") await ask(item);
      }
    } finally { busy = false; await show(); }
  }
  window.workbench = { sendAll, resend: async (id) => { const item = (await all()).find((i) => i.id === id); item.state = "waiting"; await put(item); await sendAll(); } };

  async function submitStep(event) {
    event.preventDefault();
    const form = event.target, status = document.getElementById("step-status");
    const { record, missing } = collect(form);
    if (missing.length) { status.textContent = status.dataset.missing; missing[0].focus(); return; }
    const sealed = await seal(form);
    if (sealed) record.personal_data = sealed;
    record.submission_id = form.querySelector("#submission_id").value;
    record.case_id = form.dataset.case;
    const title = document.querySelector("h1").textContent;
    const item = { id: record.submission_id, step: form.dataset.step, case_id: form.dataset.case, title, record, state: "waiting", filled_at: Date.now() };
    await put(item);
    form.dataset.submitted = item.id;
    form.querySelector("#send-step").disabled = true;
    await show();
    await sendAll();
  }

  function prepare(form) {
    const uuid = () => crypto.randomUUID();
    form.querySelector("#submission_id").value = uuid(); // fixed now: a resend keeps it
    if (!form.dataset.case) form.dataset.case = uuid(); // a report opens a new case
    form.querySelectorAll('[data-kind="new_id"]').forEach((el) => { el.value = uuid(); });
    const now = new Date(Date.now() + offsetMinutes(form.dataset.offset) * 60000).toISOString().slice(0, 16);
    form.querySelectorAll('[data-now="1"]').forEach((el) => { el.value = now; });
    form.addEventListener("submit", submitStep);
  }
  function offsetMinutes(offset) {
    const sign = offset[0] === "-" ? -1 : 1;
    return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("step-form");
    if (form) prepare(form);
    show();
    sendAll();
    window.addEventListener("online", sendAll);
    setInterval(sendAll, 3000);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/work/sw.js").catch(() => {});
  });
})();
