// Field-by-field conversions; enums by exhaustive switch.
#include "coordinator/proto_convert.h"

namespace hkv::coordinator {

void to_proto(const TaskAssignment& in, v1::Task* out) {
  out->set_task_id(in.task_id);
  out->set_attempt(in.attempt);
  out->set_sweep_id(in.sweep_id);
  out->set_model(in.model);
  out->set_dtype(in.dtype);
  out->set_benchmark(to_proto(in.unit.benchmark));
  out->set_dataset(in.unit.dataset);
  out->set_sample_key(in.unit.sample_key);
  for (const auto& c : in.configs) {
    to_proto(c, out->add_configs());
  }
  out->set_lease_deadline_ms(in.lease_deadline_ms);
  out->set_max_new_tokens(in.max_new_tokens);
  out->set_unit_options(in.unit.options);
}

void to_proto(const SweepProgress& in, v1::SweepProgress* out) {
  out->set_sweep_id(in.sweep_id);
  out->set_name(in.name);
  out->set_model(in.model);
  out->set_needs_memory_bytes(in.needs_memory_bytes);
  out->set_waiting(in.waiting);
  switch (in.state) {
    case SweepState::kRunning:
      out->set_state(v1::SWEEP_STATE_RUNNING);
      break;
    case SweepState::kSucceeded:
      out->set_state(v1::SWEEP_STATE_SUCCEEDED);
      break;
    case SweepState::kFailed:
      out->set_state(v1::SWEEP_STATE_FAILED);
      break;
    case SweepState::kCancelled:
      out->set_state(v1::SWEEP_STATE_CANCELLED);
      break;
  }
  out->set_priority(in.priority);
  out->set_tasks_total(in.total);
  out->set_tasks_pending(in.pending);
  out->set_tasks_running(in.running);
  out->set_tasks_succeeded(in.succeeded);
  out->set_tasks_failed(in.failed);
  out->set_tasks_cancelled(in.cancelled);
  out->set_prefills(in.prefills);
  out->set_mean_attempt_ms(in.mean_attempt_ms);
  int64_t left = in.pending + in.running;
  out->set_eta_seconds(in.mean_attempt_ms > 0 ? left * in.mean_attempt_ms / 1000.0 : -1.0);
}

void to_proto(const WorkerStatus& in, v1::WorkerStatus* out) {
  v1::WorkerInfo* w = out->mutable_worker();
  w->set_worker_id(in.info.worker_id);
  w->set_hostname(in.info.hostname);
  w->set_device(in.info.device);
  w->set_device_name(in.info.device_name);
  w->set_device_memory_bytes(in.info.memory_bytes);
  w->set_tp(in.info.tp);
  out->set_state(in.state);
  out->set_current_task_id(in.current_task_id);
  out->set_tokens_per_second(in.tokens_per_second);
  out->set_last_heartbeat_unix_ms(in.last_heartbeat_ms);
  out->set_prefills(in.prefills);
  out->set_busy_fraction(in.busy_fraction);
  out->set_memory_used_bytes(in.memory_used_bytes);
  if (in.gpu_busy_fraction) {
    out->set_gpu_busy_fraction(*in.gpu_busy_fraction);
  }
}

void to_proto(const ResultRow& in, v1::ResultRow* out) {
  out->set_task_id(in.task_id);
  out->set_benchmark(to_proto(in.unit.benchmark));
  out->set_dataset(in.unit.dataset);
  out->set_sample_key(in.unit.sample_key);
  out->set_attempt(in.attempt);
  to_proto(in.config, out->mutable_config());
  out->set_prompt_tokens(in.prompt_tokens);
  out->set_prefill_ms(in.prefill_ms);
  *out->mutable_references() = {in.references.begin(), in.references.end()};
  v1::ConfigResult* r = out->mutable_result();
  r->set_config_index(in.result.config_index);
  r->set_prediction(in.result.prediction);
  r->set_score(in.result.score);
  r->set_cache_bytes(in.result.cache_bytes);
  r->set_cache_entries(in.result.cache_entries);
  r->set_decode_ms(in.result.decode_ms);
  r->set_new_tokens(in.result.new_tokens);
  if (in.result.head_scores) {
    to_proto(*in.result.head_scores, r->mutable_head_scores());
  }
}

void to_proto(const TaskSummary& in, v1::TaskSummary* out) {
  out->set_task_id(in.task_id);
  out->set_benchmark(to_proto(in.unit.benchmark));
  out->set_dataset(in.unit.dataset);
  out->set_sample_key(in.unit.sample_key);
  out->set_state(task_state_name(in.state));
  out->set_attempts(in.attempts);
  out->set_last_error(in.last_error);
  out->set_worker_id(in.worker_id);
}

WorkerInfo from_proto(const v1::WorkerInfo& in) {
  WorkerInfo w;
  w.worker_id = in.worker_id();
  w.hostname = in.hostname();
  w.device = in.device();
  w.device_name = in.device_name();
  w.memory_bytes = in.device_memory_bytes();
  w.instance_id = in.instance_id();
  w.tp = in.tp();
  return w;
}

Heartbeat from_proto(const v1::HeartbeatRequest& in) {
  Heartbeat h;
  h.worker_id = in.worker_id();
  h.task_id = in.task_id();
  h.attempt = in.attempt();
  h.tokens_per_second = in.tokens_per_second();
  h.busy_fraction = in.busy_fraction();
  h.memory_used_bytes = in.memory_used_bytes();
  if (in.has_gpu_busy_fraction()) {
    h.gpu_busy_fraction = in.gpu_busy_fraction();
  }
  h.draining = in.draining();
  for (const v1::TaskRef& t : in.other_tasks()) {
    h.other_tasks.emplace_back(t.task_id(), t.attempt());
  }
  return h;
}

TaskReport from_proto(const v1::ReportResultRequest& in) {
  TaskReport r;
  r.worker_id = in.worker_id();
  r.task_id = in.task_id();
  r.attempt = in.attempt();
  r.ok = in.ok();
  r.error = in.error();
  r.retryable = in.retryable();
  r.prompt_tokens = in.prompt_tokens();
  r.prefill_ms = in.prefill_ms();
  r.references = {in.references().begin(), in.references().end()};
  for (const v1::ConfigResult& c : in.results()) {
    ConfigResult x;
    x.config_index = c.config_index();
    x.prediction = c.prediction();
    x.score = c.score();
    x.cache_bytes = c.cache_bytes();
    x.cache_entries = c.cache_entries();
    x.decode_ms = c.decode_ms();
    x.new_tokens = c.new_tokens();
    if (c.has_head_scores()) {
      x.head_scores = from_proto(c.head_scores());
    }
    r.results.push_back(std::move(x));
  }
  return r;
}

}  // namespace hkv::coordinator
