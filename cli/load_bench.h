// `headkv load-bench`: the coordinator under load on loopback (M14's load benchmark, not a timed
// test). An in-process coordinator on a temporary SQLite file; one submit of a --tasks sweep
// (needle grid, FullKV: one config per task) timed end to end through gRPC; then --workers
// simulated workers, each with its own channel, for --seconds or until the sweep is done: pull a
// task, "work" --work-ms (0: none, pull and report as fast as they can), report. Prints submit
// time, the RPC rate the workers reached, lease (PullTask) and report latency p50/p99, reports per
// second, the database size and the process's peak RSS; results go to bench/RESULTS.md by hand.
#pragma once

#include <cstdint>
#include <string>

namespace hkv::cli {

struct LoadBenchOptions {
  int64_t tasks = 1'000'000;  // rounded to a needle grid: 10 haystacks x lengths x 10 depths
  int32_t workers = 256;
  int32_t seconds = 30;
  int32_t settle_seconds = 0;  // pause between the submit and the workers' start
  int32_t work_ms = 200;       // simulated time per task between its lease and its report
  int32_t configs = 1;  // configs per task (1: FullKV; more: SnapKV budgets), results per report
  std::string dir;      // where the database goes ("" = a temporary folder, removed after)
  // host:port of a running coordinator to load instead of an in-process one ($HEADKV_TOKEN);
  // then the database size is not reported and peak RSS is this process's (the clients') only.
  std::string coordinator;
};

int run_load_bench(const LoadBenchOptions& options);

}  // namespace hkv::cli
