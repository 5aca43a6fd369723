// The agency workbench in the browser: a step's form becomes a record, its personal data is
// sealed here to the backbone's public key (libsodium), and the step is kept in IndexedDB until
// the backbone has it. The submission id is fixed when the form is filled, so sending it again
// (after a lost connection or answer) is recorded once.
"use strict";
(function () {
  const outbox = self.outbox; // workbench-outbox.js: IndexedDB and sending, shared with the service worker
  const meta = document.querySelector('meta[name="csrf"]');
  const csrf = meta ? meta.content : "";

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
    const items = (await outbox.all()).sort((a, b) => a.filled_at - b.filled_at);
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

  async function sendAll() {
    try { await outbox.sendAll(); } finally { await show(); }
  }
  window.workbench = { sendAll, resend: async (id) => { const item = (await outbox.all()).find((i) => i.id === id); item.state = "waiting"; await outbox.put(item); await sendAll(); } };

  // Ask the browser to send the outbox when the connection returns, even if this page is closed
  // by then; where Background Sync is unavailable the `online` handler below sends it instead.
  async function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    try {
      const registration = await navigator.serviceWorker.getRegistration("/work/");
      if (registration && registration.sync) await registration.sync.register(outbox.SYNC);
    } catch (refused) { /* no Background Sync here: the page sends it */ }
  }

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
    const item = { id: record.submission_id, step: form.dataset.step, case_id: form.dataset.case, title, record, csrf, state: "waiting", filled_at: Date.now() };
    await outbox.put(item);
    form.dataset.submitted = item.id;
    form.querySelector("#send-step").disabled = true;
    await sendAll();
    if ((await outbox.all()).some((i) => i.id === item.id && i.state === "waiting")) await askForSync();
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

  // Logging out leaves nothing of the agency's work in this browser (a shared office computer):
  // its cached pages and its outbox go. Steps not yet sent are listed first, and the officer
  // chooses to stay (they are sent when the connection returns) or to delete them.
  async function clearCopies() {
    await outbox.clear();
    if ("caches" in self) for (const name of await caches.keys()) await caches.delete(name);
  }
  function guardLogout(form) {
    const dialog = document.getElementById("logout-warning");
    const leave = async () => { try { await clearCopies(); } finally { form.submit(); } };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const left = await outbox.unsent();
      if (!left.length || !dialog) { await leave(); return; }
      document.getElementById("logout-unsent").replaceChildren(...left.map((item) => {
        const li = document.createElement("li");
        li.dataset.submission = item.id;
        li.textContent = `${item.title} · ${item.case_id.slice(0, 8)}`;
        return li;
      }));
      dialog.showModal();
    });
    if (!dialog) return;
    document.getElementById("logout-stay").addEventListener("click", () => dialog.close());
    document.getElementById("logout-anyway").addEventListener("click", () => { dialog.close(); leave(); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("step-form");
    if (form) prepare(form);
    const logout = document.querySelector('form[action="/logout"]');
    if (logout) guardLogout(logout);
    show();
    sendAll();
    window.addEventListener("online", sendAll);
    setInterval(sendAll, 3000);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/work/sw.js").catch(() => {});
  });
})();
