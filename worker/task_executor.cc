// proto <-> domain for one task, then TaskRunner::run.
#include "worker/task_executor.h"

#include "proto/compression_convert.h"

namespace hkv::worker {

Result<RunRequest> to_run_request(const v1::Task& t) {
  RunRequest r;
  r.model = t.model();
  r.max_new_tokens = t.max_new_tokens();
  r.dtype = t.dtype();
  HKV_ASSIGN_OR_RETURN(r.unit.benchmark, proto::from_proto(t.benchmark()));
  r.unit.dataset = t.dataset();
  r.unit.sample_key = t.sample_key();
  r.unit.options = t.unit_options();
  for (int i = 0; i < t.configs_size(); ++i) {
    Result<compression::CompressionConfig> c = proto::from_proto(t.configs(i));
    if (!c.ok()) {
      return c.status().with_context("task %lld config %d", static_cast<long long>(t.task_id()), i);
    }
    r.configs.push_back(*std::move(c));
  }
  return r;
}

namespace {

void fill_report(const RunOutcome& out, v1::ReportResultRequest* report) {
  report->set_prompt_tokens(out.run.prompt_tokens);
  report->set_prefill_ms(out.run.prefill_ms);
  *report->mutable_references() = {out.sample.references.begin(), out.sample.references.end()};
  for (size_t i = 0; i < out.configs.size(); ++i) {
    const ConfigOutcome& c = out.configs[i];
    v1::ConfigResult* r = report->add_results();
    r->set_config_index(static_cast<int32_t>(i));
    r->set_prediction(c.prediction);
    r->set_score(c.score);
    r->set_cache_bytes(c.cache_bytes);
    r->set_cache_entries(c.cache_entries);
    r->set_decode_ms(out.run.decode_ms);
    r->set_new_tokens(c.new_tokens);
    if (c.head_scores) {
      v1::HeadScores* h = r->mutable_head_scores();
      h->set_num_layers(c.head_scores->num_layers);
      h->set_num_heads(c.head_scores->num_heads);
      *h->mutable_scores() = {c.head_scores->scores.begin(), c.head_scores->scores.end()};
      h->set_span_found(c.head_scores->span_found);
      h->set_kept(c.head_scores->kept);
    }
  }
}

}  // namespace

TaskExecutor make_task_executor(TaskRunner* runner) {
  return [runner](const v1::Task& task, const std::atomic<bool>& cancelled,
                  v1::ReportResultRequest* report) -> Status {
    HKV_ASSIGN_OR_RETURN(RunRequest request, to_run_request(task));
    request.cancel = &cancelled;
    HKV_ASSIGN_OR_RETURN(RunOutcome out, runner->run(request));
    fill_report(out, report);
    return Status();
  };
}

BatchExecutor make_batch_executor(TaskRunner* runner) {
  return [runner](const std::vector<v1::Task>& tasks, const std::atomic<bool>& cancelled,
                  std::vector<v1::ReportResultRequest>* reports) {
    std::vector<Status> statuses(tasks.size());
    reports->resize(tasks.size());
    std::vector<RunRequest> requests;
    std::vector<size_t> index;  // request -> task
    for (size_t i = 0; i < tasks.size(); ++i) {
      Result<RunRequest> r = to_run_request(tasks[i]);
      if (!r.ok()) {
        statuses[i] = r.status();
        continue;
      }
      r->cancel = &cancelled;
      requests.push_back(*std::move(r));
      index.push_back(i);
    }
    std::vector<Result<RunOutcome>> outs = runner->run_batch(requests);
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!outs[k].ok()) {
        statuses[index[k]] = outs[k].status();
        continue;
      }
      fill_report(*outs[k], &(*reports)[index[k]]);
    }
    return statuses;
  };
}

std::function<void(const std::vector<v1::Task>&)> make_batch_preparer(TaskRunner* runner) {
  return [runner](const std::vector<v1::Task>& tasks) {
    std::vector<RunRequest> requests;
    for (const v1::Task& t : tasks) {
      if (Result<RunRequest> r = to_run_request(t); r.ok()) {
        requests.push_back(*std::move(r));
      }
    }
    runner->prepare_ahead(requests);
  };
}

}  // namespace hkv::worker
