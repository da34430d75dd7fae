// JSON for the dashboard and /api.
#include "coordinator/http_api.h"

#include <algorithm>

#include "results/failure_summary.h"
#include "results/result_tables.h"

namespace hkv::coordinator {
namespace {

Result<Json> summary(Scheduler& scheduler, const SweepProgress& p) {
  Json s = Json::object();
  s["id"] = p.sweep_id;
  s["name"] = p.name;
  s["model"] = p.model;
  s["state"] = sweep_state_name(p.state);
  s["priority"] = p.priority;
  s["tasks"] = {{"total", p.total},         {"pending", p.pending}, {"running", p.running},
                {"succeeded", p.succeeded}, {"failed", p.failed},   {"cancelled", p.cancelled}};
  s["prefills"] = p.prefills;
  s["needs_memory_bytes"] = p.needs_memory_bytes;
  s["waiting"] = p.waiting;
  const int64_t done = p.succeeded + p.failed + p.cancelled;
  s["progress"] = p.total > 0 ? static_cast<double>(done) / static_cast<double>(p.total) : 1.0;
  const int64_t left = p.pending + p.running;
  s["eta_seconds"] =
      p.mean_attempt_ms > 0 ? Json(static_cast<double>(left) * p.mean_attempt_ms / 1000.0) : Json();
  HKV_ASSIGN_OR_RETURN(std::vector<TaskSummary> failed, scheduler.failed_tasks(p.sweep_id));
  std::vector<results::FailedTask> tasks;
  for (const TaskSummary& t : failed) {
    tasks.push_back({jobs::benchmark_name(t.unit.benchmark), t.unit.dataset, t.unit.sample_key,
                     t.last_error, t.attempts});
  }
  Json causes = Json::array();
  for (const results::FailureCause& c : results::group_failures(tasks)) {
    causes.push_back({{"cause", c.cause},
                      {"tasks", c.tasks},
                      {"first_task", c.first_task},
                      {"first_error", c.first_error}});
  }
  s["failure_causes"] = causes;
  return s;
}

results::ResultRecord to_record(const ResultRow& row) {
  results::ResultRecord r;
  r.benchmark = jobs::benchmark_name(row.unit.benchmark);
  r.dataset = row.unit.dataset;
  r.sample_key = row.unit.sample_key;
  r.config = row.config.label();
  r.cfg = row.config;
  r.prediction = row.result.prediction;
  r.references = row.references;
  r.score = row.result.score;
  r.cache_bytes = row.result.cache_bytes;
  r.prompt_tokens = row.prompt_tokens;
  r.new_tokens = row.result.new_tokens;
  r.prefill_ms = row.prefill_ms;
  r.decode_ms = row.result.decode_ms;
  r.head_scores = row.result.head_scores;
  return r;
}

}  // namespace

Result<Json> sweeps_json(Scheduler& scheduler) {
  HKV_ASSIGN_OR_RETURN(std::vector<SweepProgress> sweeps, scheduler.list_sweeps());
  Json out = Json::array();
  for (const SweepProgress& p : sweeps) {
    HKV_ASSIGN_OR_RETURN(Json s, summary(scheduler, p));
    out.push_back(std::move(s));
  }
  return Json{{"sweeps", out}};
}

Result<Json> workers_json(Scheduler& scheduler) {
  HKV_ASSIGN_OR_RETURN(std::vector<WorkerStatus> workers, scheduler.list_workers());
  const int64_t now = system_now_ms();
  Json out = Json::array();
  for (const WorkerStatus& w : workers) {
    out.push_back({{"id", w.info.worker_id},
                   {"hostname", w.info.hostname},
                   {"device", w.info.device},
                   {"device_name", w.info.device_name},
                   {"device_memory_bytes", w.info.memory_bytes},
                   {"tp", w.info.tp},
                   {"memory_used_bytes", w.memory_used_bytes},
                   {"state", w.state},
                   {"model", w.model},
                   {"current_task_id", w.current_task_id},
                   {"tokens_per_second", w.tokens_per_second},
                   {"busy_fraction", w.busy_fraction},
                   {"gpu_busy_fraction", w.gpu_busy_fraction ? Json(*w.gpu_busy_fraction) : Json()},
                   {"last_heartbeat_ms", w.last_heartbeat_ms},
                   {"heartbeat_age_s", static_cast<double>(now - w.last_heartbeat_ms) / 1000.0},
                   {"prefills", w.prefills}});
  }
  return Json{{"workers", out}};
}

Result<Json> SweepPages::sweep_json(Scheduler& scheduler, int64_t sweep_id) {
  HKV_ASSIGN_OR_RETURN(SweepProgress p, scheduler.sweep_progress(sweep_id));
  HKV_ASSIGN_OR_RETURN(Json s, summary(scheduler, p));
  const int64_t ended = p.succeeded + p.failed + p.cancelled;
  std::lock_guard<std::mutex> lock(mu_);
  Cached& c = cache_[sweep_id];
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - c.rendered_at).count();
  if (c.ended < 0 || (c.ended != ended && since >= std::max(2.0, 10.0 * c.render_seconds))) {
    HKV_ASSIGN_OR_RETURN(std::vector<ResultRow> rows, scheduler.results(sweep_id));
    std::vector<results::ResultRecord> records;
    records.reserve(rows.size());
    for (const ResultRow& row : rows) {
      records.push_back(to_record(row));
    }
    results::RenderedTables t = results::render_tables(records);
    HKV_ASSIGN_OR_RETURN(Json tables_json, parse_json(t.json, "the sweep's tables"));
    c.tables = {{"markdown", t.markdown}, {"json", tables_json}};
    c.needle_svg = Json();
    for (const auto& [name, text] : t.files) {
      if (name == "needle_all.svg") {
        c.needle_svg = text;
      }
    }
    c.ended = ended;
    c.rendered_at = now;
    c.render_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count();
  }
  s["tables"] = c.tables;
  s["needle_svg"] = c.needle_svg;
  return s;
}

}  // namespace hkv::coordinator
