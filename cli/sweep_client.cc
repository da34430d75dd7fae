// The sweep commands' shared client side: the stop flag their signal handlers set, the error
// exit, the coordinator connection, the progress line and the result tables.
#include "cli/sweep_client.h"

#include <cstdio>

#include "common/strings.h"
#include "coordinator/proto_convert.h"
#include "coordinator/server.h"
#include "proto/compression_convert.h"
#include "results/result_tables.h"
#include "results/tidy_results.h"

namespace hkv::cli {

using results::FailedTask;
using results::render_tables;
using results::render_tidy;
using results::RenderedTables;
using results::ResultRecord;
using results::TidyResults;
using results::write_records_jsonl;
using results::write_tables;
using results::write_text_file;

namespace {

std::atomic<bool> g_stop{false};

}  // namespace

std::atomic<bool>& sweep_stop() {
  return g_stop;
}

void stop_on_signal(int) {
  g_stop = true;
}

int sweep_fail(const char* cmd, const Status& s) {
  std::fprintf(stderr, "headkv %s: %s\n", cmd, s.to_string().c_str());
  return 1;
}

Result<std::unique_ptr<worker::CoordinatorClient>> connect_client(const ConnectionOptions& c) {
  HKV_ASSIGN_OR_RETURN(std::string token, coordinator::resolve_token(c.token, c.token_file));
  worker::ClientOptions o{c.coordinator, token, c.tls_ca};
  o.max_retries = 3;
  return worker::CoordinatorClient::connect(o);
}

namespace {

// The config's label; a config this build cannot read is named by its method string and error.
std::string config_label(const v1::CompressionConfig& c) {
  Result<compression::CompressionConfig> m = proto::from_proto(c);
  return m.ok() ? m->label() : c.method() + " (" + m.status().message() + ")";
}

Result<std::vector<ResultRecord>> to_records(const v1::GetResultsResponse& r) {
  std::vector<ResultRecord> out;
  for (const v1::ResultRow& row : r.rows()) {
    ResultRecord rec;
    HKV_ASSIGN_OR_RETURN(jobs::Benchmark benchmark, proto::from_proto(row.benchmark()));
    rec.benchmark = jobs::benchmark_name(benchmark);
    rec.dataset = row.dataset();
    rec.sample_key = row.sample_key();
    rec.config = config_label(row.config());
    if (Result<compression::CompressionConfig> c = proto::from_proto(row.config()); c.ok()) {
      rec.cfg = *std::move(c);
    }
    rec.references = {row.references().begin(), row.references().end()};
    rec.prediction = row.result().prediction();
    rec.score = row.result().score();
    rec.cache_bytes = row.result().cache_bytes();
    rec.prompt_tokens = row.prompt_tokens();
    rec.new_tokens = row.result().new_tokens();
    rec.prefill_ms = row.prefill_ms();
    rec.decode_ms = row.result().decode_ms();
    if (row.result().has_head_scores()) {
      rec.head_scores = proto::from_proto(row.result().head_scores());
    }
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

void print_progress(const v1::SweepProgress& p) {
  int64_t done = p.tasks_succeeded() + p.tasks_failed() + p.tasks_cancelled();
  int width = 30, filled = p.tasks_total() ? static_cast<int>(width * done / p.tasks_total()) : 0;
  std::string eta = p.eta_seconds() >= 0 ? strformat("%.0fs", p.eta_seconds()) : "?";
  std::printf(
      "sweep %lld %-24s [%s%s] %lld/%lld done, %lld running, %lld failed, %lld prefills, ETA %s\n",
      static_cast<long long>(p.sweep_id()), p.name().c_str(), std::string(filled, '#').c_str(),
      std::string(width - filled, '.').c_str(), static_cast<long long>(done),
      static_cast<long long>(p.tasks_total()), static_cast<long long>(p.tasks_running()),
      static_cast<long long>(p.tasks_failed()), static_cast<long long>(p.prefills()), eta.c_str());
  if (!p.waiting().empty()) {
    std::printf("  waiting: %s\n", p.waiting().c_str());
  }
}

namespace {

Result<std::vector<FailedTask>> failed_tasks(const v1::ListTasksResponse& r) {
  std::vector<FailedTask> out;
  for (const v1::TaskSummary& t : r.tasks()) {
    if (t.state() != "failed") {
      continue;
    }
    HKV_ASSIGN_OR_RETURN(jobs::Benchmark benchmark, proto::from_proto(t.benchmark()));
    out.push_back({jobs::benchmark_name(benchmark), t.dataset(), t.sample_key(), t.last_error(),
                   t.attempts()});
  }
  return out;
}

}  // namespace

// Fetches the results and the failed tasks, prints the tables in `o.format`, writes them to
// `o.out_dir` when set. `failed` receives the failed tasks.
Status print_results(const ResultsOptions& o, std::vector<FailedTask>* failed) {
  HKV_ASSIGN_OR_RETURN(auto client, connect_client(o.conn));
  HKV_ASSIGN_OR_RETURN(v1::GetResultsResponse rows, client->results(o.sweep));
  HKV_ASSIGN_OR_RETURN(v1::ListTasksResponse tasks, client->list_tasks(o.sweep));
  HKV_ASSIGN_OR_RETURN(*failed, failed_tasks(tasks));
  HKV_ASSIGN_OR_RETURN(const std::vector<ResultRecord> records, to_records(rows));
  HKV_ASSIGN_OR_RETURN(v1::SweepProgress progress, client->get_sweep(o.sweep));
  std::fprintf(stderr, "sweep %lld: %zu result rows of %d tasks\n", static_cast<long long>(o.sweep),
               records.size(), tasks.tasks_size());
  RenderedTables t = render_tables(records, *failed);
  std::printf("%s", o.format == "csv"    ? t.csv.c_str()
                    : o.format == "json" ? t.json.c_str()
                                         : t.markdown.c_str());
  if (!o.out_dir.empty()) {
    HKV_RETURN_IF_ERROR(write_tables(t, o.out_dir));
    HKV_RETURN_IF_ERROR(write_records_jsonl(records, o.out_dir + "/results.jsonl"));
    TidyResults tidy = render_tidy(records, {o.sweep, progress.name(), progress.model()});
    HKV_RETURN_IF_ERROR(write_text_file(o.out_dir + "/tidy.csv", tidy.csv));
    HKV_RETURN_IF_ERROR(write_text_file(o.out_dir + "/tidy.jsonl", tidy.jsonl));
  }
  return Status();
}

}  // namespace hkv::cli
