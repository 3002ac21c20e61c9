// The status page of heartwire monitor (spec/http.md §5.11): every process of /status,
// refreshed every few seconds, sortable and filterable, with the history of the one
// chosen from /status/<name>. No framework and no build step: this file is served as
// it is, from the binary.
//
// Names, run ids and every other value come from the network: the page is built with
// createElement and textContent only, never with markup made from data.
"use strict";

(() => {
  const REFRESH_MS = 2000;
  /** Pages of /status followed per refresh at most (5,000 processes each). */
  const MAX_PAGES = 250;
  const PAGE = 5000;
  const KEY_STORE = "heartwire-key";
  const KEY_HEADER = "X-Heartwire-Key";
  /** Those in trouble first, as the terminal table sorts them. */
  const SEVERITY = {
    dead: 0, failed: 1, disconnected: 2, late: 3, degraded: 4, starting: 5, alive: 6, stopped: 7,
  };

  const $ = (id) => document.getElementById(id);
  const view = {
    processes: [],
    changes: [],
    /** Server time minus this browser's, from the Date header. */
    skew: 0,
    sort: { key: "state", descending: false },
    chosen: null,
    timer: 0,
  };

  function key() {
    try {
      return sessionStorage.getItem(KEY_STORE);
    } catch (_) {
      return null;
    }
  }

  async function get(path) {
    const headers = { Accept: "application/json" };
    const k = key();
    if (k) headers[KEY_HEADER] = k;
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
    const date = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(date)) view.skew = date - Date.now();
    return response;
  }

  class KeyNeeded extends Error {}

  /** Every page of /status, following `next`. */
  async function loadAll() {
    const processes = [];
    let changes = [];
    let after = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (after !== null) query.set("after", after);
      const response = await get("/status?" + query.toString());
      if (response.status === 401) throw new KeyNeeded();
      if (!response.ok) throw new Error("/status answered " + response.status + ": " + (await response.text()));
      const body = await response.json();
      for (const p of body.processes || []) processes.push(p);
      if (Array.isArray(body.changes)) changes = body.changes;
      if (typeof body.next !== "string") break;
      after = body.next;
    }
    return { processes, changes };
  }

  function instant(text) {
    const at = Date.parse(text || "");
    return Number.isNaN(at) ? null : at;
  }

  function now() {
    return Date.now() + view.skew;
  }

  /** A span of time as people read it: 8 s, 3 min 5 s, 2 h 10 min, 4 d 3 h. */
  function span(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }

  /** A run's duration as healthchecks.io shows it: 1.250 s, 3 min 4 s. */
  function duration(seconds) {
    if (typeof seconds !== "number") return "";
    if (seconds < 60) return seconds.toFixed(3) + " s";
    return span(seconds * 1000);
  }

  function clock(text) {
    const at = instant(text);
    return at === null ? "" : new Date(at).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  /** A record's facts as the seed's monitor script prints them:
   *  Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5% */
  function recordLine(p) {
    const parts = [];
    if (typeof p.uptime_seconds === "number") parts.push("Uptime: " + (p.uptime_seconds / 3600).toFixed(1) + "h");
    if (typeof p.heartbeat_count === "number") parts.push("Heartbeats: " + p.heartbeat_count);
    if (typeof p.memory_usage_mb === "number") parts.push("Memory: " + p.memory_usage_mb.toFixed(1) + "MB");
    if (typeof p.cpu_usage_percent === "number") parts.push("CPU: " + p.cpu_usage_percent.toFixed(1) + "%");
    return parts.length ? parts.join(" | ") : "record";
  }

  /** A record's extra members, in the record's order: "queue_size: 1380" (a string
   *  without its quotes, any other value as JSON). */
  function extraLines(p) {
    if (!p.extras || typeof p.extras !== "object") return [];
    return Object.entries(p.extras).map(([key, value]) =>
      key + ": " + (typeof value === "string" ? value : JSON.stringify(value)));
  }

  function lastSignal(p) {
    if (p.source === "record") return recordLine(p);
    if (typeof p.last_ping === "string") {
      return p.last_ping + (typeof p.exit_status === "number" ? " (exit " + p.exit_status + ")" : "");
    }
    return typeof p.signal === "string" ? p.signal : "";
  }

  function deadline(p) {
    const at = instant(p.deadline);
    if (at === null) return { text: "", at: Infinity };
    const left = at - now();
    const state = p.deadline_state || "";
    return { text: left > 0 ? state + " in " + span(left) : state + " now", at };
  }

  /** Natural order: svc-4 before svc-38. */
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "variant" });

  function compare(a, b) {
    const k = view.sort.key;
    let c = 0;
    if (k === "state") c = (SEVERITY[a.state] ?? 9) - (SEVERITY[b.state] ?? 9);
    else if (k === "name") c = collator.compare(a.name, b.name);
    else if (k === "source") c = collator.compare(a.source, b.source);
    else if (k === "signal") c = collator.compare(lastSignal(a), lastSignal(b));
    else if (k === "age") c = (instant(b.last) ?? 0) - (instant(a.last) ?? 0);
    else if (k === "deadline") c = deadline(a).at - deadline(b).at;
    if (view.sort.descending) c = -c;
    return c || collator.compare(a.name, b.name) || collator.compare(a.source, b.source);
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function renderSummary(processes) {
    const counts = {};
    for (const p of processes) counts[p.state] = (counts[p.state] || 0) + 1;
    const summary = $("summary");
    summary.replaceChildren();
    const total = document.createElement("strong");
    total.textContent = processes.length + (processes.length === 1 ? " process" : " processes");
    summary.appendChild(total);
    for (const state of Object.keys(SEVERITY)) {
      if (!counts[state]) continue;
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip state-" + state;
      chip.dataset.state = state;
      chip.textContent = counts[state] + " " + state;
      chip.addEventListener("click", () => {
        $("state-filter").value = state;
        render();
      });
      summary.appendChild(chip);
    }
  }

  function renderRows() {
    const state = $("state-filter").value;
    const name = $("name-filter").value.trim().toLowerCase();
    const shown = view.processes
      .filter((p) => (!state || p.state === state) && (!name || p.name.toLowerCase().includes(name)))
      .sort(compare);
    const body = $("rows");
    const rows = shown.map((p) => {
      const row = document.createElement("tr");
      row.className = "state-" + p.state;
      row.dataset.name = p.name;
      row.dataset.source = p.source;
      row.dataset.state = p.state;
      const badge = cell(row, "", "c-state");
      const label = document.createElement("span");
      label.className = "badge";
      label.textContent = p.state;
      badge.appendChild(label);
      const nameCell = cell(row, "", "c-name");
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = p.name;
      link.addEventListener("click", () => choose(p.source, p.name));
      nameCell.appendChild(link);
      if (typeof p.rid === "string") {
        const rid = document.createElement("small");
        rid.className = "rid";
        rid.textContent = "run " + p.rid;
        nameCell.appendChild(rid);
      }
      const extras = extraLines(p);
      if (extras.length) {
        const members = document.createElement("small");
        members.className = "extras";
        members.textContent = extras.join(" | ");
        nameCell.appendChild(members);
      }
      cell(row, p.source, "c-source");
      cell(row, lastSignal(p), "c-signal");
      const at = instant(p.last);
      const age = cell(row, at === null ? "" : span(now() - at), "c-age");
      age.title = clock(p.last);
      const due = deadline(p);
      cell(row, due.text, "c-deadline").title = clock(p.deadline);
      return row;
    });
    body.replaceChildren(...rows);
    $("empty").hidden = rows.length > 0;
    for (const button of document.querySelectorAll("th button")) {
      const on = button.dataset.sort === view.sort.key;
      button.parentElement.setAttribute(
        "aria-sort", on ? (view.sort.descending ? "descending" : "ascending") : "none");
    }
  }

  function changeText(c) {
    const from = c.old ? c.old + " → " : "";
    const why = c.reason + (typeof c.exit_status === "number" && c.reason === "exit" ? " " + c.exit_status : "");
    return from + c.new + " (" + why + ")";
  }

  function renderChanges() {
    const items = view.changes.slice().reverse().map((c) => {
      const li = document.createElement("li");
      li.className = "state-" + c.new;
      const time = document.createElement("time");
      time.textContent = clock(c.at);
      const name = document.createElement("b");
      name.textContent = c.name;
      const what = document.createElement("span");
      what.textContent = " " + c.source + ": " + changeText(c);
      li.append(time, " ", name, what);
      return li;
    });
    $("changes").replaceChildren(...items);
  }

  function render() {
    renderSummary(view.processes);
    renderRows();
    renderChanges();
  }

  async function choose(source, name) {
    view.chosen = { source, name };
    await renderDetails();
  }

  async function renderDetails() {
    const chosen = view.chosen;
    const panel = $("details");
    if (!chosen) {
      panel.hidden = true;
      return;
    }
    const path = "/status/" + encodeURIComponent(chosen.name) + "?source=" + encodeURIComponent(chosen.source);
    const response = await get(path);
    if (response.status === 404) {
      $("details-state").textContent = "forgotten by the monitor";
      return;
    }
    if (!response.ok) return;
    const p = await response.json();
    panel.hidden = false;
    $("details-title").textContent = p.name;
    $("details-state").textContent = p.source + " · " + p.state + " · last " + clock(p.last);
    const facts = p.source === "record"
      ? [(typeof p.instance_id === "string" ? "instance " + p.instance_id + " · " : "") + recordLine(p)]
          .concat(extraLines(p))
      : [];
    $("details-record").hidden = facts.length === 0;
    $("details-record").replaceChildren(...facts.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    const runs = (p.runs || []).slice().reverse().map((r) => {
      const row = document.createElement("tr");
      cell(row, clock(r.started).slice(11), "").title = clock(r.started) + " to " + clock(r.ended);
      cell(row, duration(r.duration), "c-duration");
      cell(row, r.outcome + (typeof r.exit_status === "number" ? " (exit " + r.exit_status + ")" : ""), "");
      cell(row, typeof r.rid === "string" ? r.rid : "", "");
      return row;
    });
    $("runs").tBodies[0].replaceChildren(...runs);
    const items = (p.history || []).slice().reverse().map((h) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = clock(h.at);
      const what = document.createElement("span");
      if (typeof h.ping === "string") {
        li.className = "ping";
        let text = "ping " + h.ping;
        if (typeof h.exit_status === "number") text += " (exit " + h.exit_status + ")";
        if (typeof h.rid === "string") text += " run " + h.rid;
        if (typeof h.duration === "number") text += " after " + duration(h.duration);
        what.textContent = text;
      } else if (typeof h.beat === "string") {
        li.className = "beat";
        what.textContent = "beat " + h.beat;
      } else {
        li.className = "change state-" + h.new;
        what.textContent = changeText(h);
      }
      li.append(time, " ", what);
      return li;
    });
    $("history").replaceChildren(...items);
  }

  function showKeyForm(message) {
    $("key").hidden = false;
    $("key-error").textContent = message || "";
    $("summary").textContent = "A ping key is needed.";
  }

  async function refresh() {
    clearTimeout(view.timer);
    try {
      const { processes, changes } = await loadAll();
      view.processes = processes;
      view.changes = changes;
      $("key").hidden = true;
      $("key-forget").hidden = !key();
      $("error").textContent = "";
      render();
      if (view.chosen) await renderDetails();
      $("updated").textContent = "Updated " + new Date(now()).toLocaleTimeString();
    } catch (e) {
      if (e instanceof KeyNeeded) {
        showKeyForm(key() ? "That key was refused." : "");
      } else {
        $("error").textContent = "Cannot reach the monitor: " + e.message;
      }
    }
    view.timer = setTimeout(refresh, REFRESH_MS);
  }

  function useKey() {
    const value = $("key-input").value.trim();
    if (!value) return;
    try {
      sessionStorage.setItem(KEY_STORE, value);
    } catch (_) {
      $("key-error").textContent = "This browser keeps no session storage.";
      return;
    }
    $("key-input").value = "";
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("state-filter").addEventListener("change", renderRows);
    $("name-filter").addEventListener("input", renderRows);
    for (const button of document.querySelectorAll("th button")) {
      button.addEventListener("click", () => {
        const k = button.dataset.sort;
        view.sort = { key: k, descending: view.sort.key === k ? !view.sort.descending : false };
        renderRows();
      });
    }
    $("key-use").addEventListener("click", useKey);
    $("key-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter") useKey();
    });
    $("key-forget").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORE);
      refresh();
    });
    $("details-close").addEventListener("click", () => {
      view.chosen = null;
      $("details").hidden = true;
    });
    refresh();
  });
})();
