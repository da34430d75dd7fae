// The dashboard page and the login form (static HTML, CSS and a small script; no external files).
#include "coordinator/dashboard_page.h"

#include "common/strings.h"

namespace hkv::coordinator {
namespace {

constexpr char kStyle[] = R"css(
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; }
.bar { width: 220px; height: 14px; background: #eee; border: 1px solid #bbb; position: relative; }
.fill { height: 100%; background: #0cd79f; }
.failed { color: #b00020; } .muted { color: #777; } .err { font-family: monospace; font-size: 0.85em; }
#updated { color: #777; font-size: 0.8em; }
)css";

constexpr char kBody[] = R"html(
<h1><a href="/">headkv</a> <span id="title"></span></h1>
<div id="updated">loading…</div>
<div id="content"></div>
<script>
"use strict";
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
const dur = s => s == null ? "?" : s < 90 ? Math.round(s) + " s" : s < 5400 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h";
const pct = x => (100 * x).toFixed(1) + "%";
async function get(path) {
  const r = await fetch(path, {credentials: "same-origin"});
  if (r.status === 401) { location.href = "/login"; throw new Error("401"); }
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function sweepRow(s) {
  const t = s.tasks, done = t.succeeded + t.failed + t.cancelled;
  const causes = (s.waiting ? `<div class="err">waiting: ${esc(s.waiting)}</div>` : "") +
    s.failure_causes.map(c => `<div class="err">${c.tasks} × ${esc(c.first_error)}</div>`).join("");
  return `<tr data-sweep="${s.id}"><td><a href="/sweeps/${s.id}">${s.id}</a></td><td>${esc(s.name)}</td>
    <td class="muted">${esc(s.model)}</td><td>${esc(s.state)}</td>
    <td><div class="bar"><div class="fill" style="width:${pct(s.progress)}"></div></div>
    <span class="progress">${done}/${t.total}</span> (${pct(s.progress)})</td>
    <td>${t.running}</td><td class="${t.failed ? "failed" : ""}">${t.failed}</td>
    <td>${s.state === "running" ? dur(s.eta_seconds) : "-"}</td><td>${causes}</td></tr>`;
}
function sweepsTable(sweeps) {
  return `<h2>Sweeps</h2><table id="sweeps"><tr><th>id</th><th>name</th><th>model</th><th>state</th>
    <th>progress</th><th>running</th><th>failed</th><th>ETA</th><th>first error of each cause</th></tr>
    ${sweeps.map(sweepRow).join("")}</table>`;
}
function workersTable(workers) {
  const rows = workers.map(w => `<tr data-worker="${esc(w.id)}"><td>${esc(w.id)}</td>
    <td>${esc(w.device)} <span class="muted">${esc(w.device_name)}</span></td><td>${esc(w.state)}</td>
    <td class="muted">${esc(w.model)}</td><td>${w.current_task_id || "-"}</td>
    <td>${w.tokens_per_second.toFixed(1)}</td><td>${pct(w.busy_fraction)}</td><td>${w.gpu_busy_fraction == null ? "-" : pct(w.gpu_busy_fraction)}</td>
    <td>${(w.memory_used_bytes / 2 ** 30).toFixed(2)}${w.device_memory_bytes ? " / " + (w.device_memory_bytes / 2 ** 30).toFixed(1) : ""} GiB</td><td>${w.heartbeat_age_s.toFixed(1)} s ago</td>
    <td>${w.prefills}</td></tr>`).join("");
  return `<h2>Workers</h2><table id="workers"><tr><th>worker</th><th>device</th><th>state</th><th>model</th>
    <th>task</th><th>tokens/s</th><th>busy</th><th>GPU busy</th><th>memory used</th><th>last heartbeat</th><th>tasks done</th></tr>
    ${rows}</table>`;
}
// The tables' markdown (## titles and pipe tables) as HTML tables.
function mdTables(md) {
  let html = "", rows = [];
  const flush = () => {
    if (!rows.length) return;
    const [head, , ...body] = rows;
    html += `<table class="results"><tr>${head.map(c => `<th>${esc(c)}</th>`).join("")}</tr>` +
      body.map(r => `<tr>${r.map(c => `<td>${esc(c)}</td>`).join("")}</tr>`).join("") + "</table>";
    rows = [];
  };
  for (const line of md.split("\n")) {
    if (line.startsWith("|")) { rows.push(line.split("|").slice(1, -1).map(c => c.trim())); continue; }
    flush();
    if (line.startsWith("### ")) html += `<h2>${esc(line.slice(4))}</h2>`;
  }
  flush();
  return html;
}
async function refresh() {
  const m = location.pathname.match(/^\/sweeps\/(\d+)/);
  try {
    if (m) {
      const s = await get("/api/sweeps/" + m[1]);
      document.getElementById("title").textContent = "sweep " + s.id + ": " + s.name;
      document.getElementById("content").innerHTML = sweepsTable([s]) + mdTables(s.tables.markdown) +
        (s.needle_svg ? "<h2>Needle heatmaps</h2><div id=\"needle\">" + s.needle_svg + "</div>" : "");
    } else {
      const [s, w] = await Promise.all([get("/api/sweeps"), get("/api/workers")]);
      document.getElementById("title").textContent = "";
      document.getElementById("content").innerHTML = sweepsTable(s.sweeps) + workersTable(w.workers);
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString() + " (every 2 s)";
  } catch (e) {
    document.getElementById("updated").textContent = "update failed: " + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
)html";

}  // namespace

const std::string& dashboard_html() {
  static const std::string page = std::string(
                                      "<!doctype html><html><head><meta charset=\"utf-8\">"
                                      "<title>headkv</title><style>") +
                                  kStyle + "</style></head><body>" + kBody + "</body></html>\n";
  return page;
}

std::string login_html(const std::string& message) {
  return std::string(
             "<!doctype html><html><head><meta charset=\"utf-8\"><title>headkv: sign "
             "in</title><style>") +
         kStyle + "</style></head><body><h1>headkv</h1>" +
         (message.empty() ? "" : "<p class=\"failed\">" + xml_escape(message) + "</p>") +
         "<form method=\"post\" action=\"/login\"><label>Coordinator token <input "
         "type=\"password\" name=\"token\" autofocus></label> <button type=\"submit\">Sign "
         "in</button></form></body></html>\n";
}

}  // namespace hkv::coordinator
