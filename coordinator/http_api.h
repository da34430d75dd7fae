// The JSON behind the dashboard and /api (documented in the README): sweeps with progress, ETA and
// failures by cause; one sweep with its live result tables and needle heatmaps; workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

#include "common/json.h"
#include "common/status.h"
#include "coordinator/scheduler.h"

namespace hkv::coordinator {

// {"sweeps": [sweep summary...]}: id, name, model, state, priority, tasks by state, prefills,
// progress (done / total), eta_seconds (null while unknown), failure_causes [{cause, tasks,
// first_task, first_error}].
Result<Json> sweeps_json(Scheduler& scheduler);

// {"workers": [...]}: id, hostname, device, device_name, device_memory_bytes, state, model,
// current_task_id, tokens_per_second, busy_fraction, last_heartbeat_ms, heartbeat_age_s,
// prefills.
Result<Json> workers_json(Scheduler& scheduler);

// One sweep's summary plus its tables ("tables": {"markdown", "json"}) and "needle_svg" (every
// config's needle heatmap in one figure, or null). Renders are cached per sweep and redone when
// more of its tasks ended, at most once per 10x the last render's time (at least 2 s apart), so
// a dashboard open on a huge sweep cannot keep the coordinator busy reading its results.
class SweepPages {
 public:
  Result<Json> sweep_json(Scheduler& scheduler, int64_t sweep_id);

 private:
  struct Cached {
    int64_t ended = -1;
    std::chrono::steady_clock::time_point rendered_at;
    double render_seconds = 0.0;
    Json tables;
    Json needle_svg;
  };

  std::mutex mu_;
  std::map<int64_t, Cached> cache_;
};

}  // namespace hkv::coordinator
