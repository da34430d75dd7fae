// CLI11 registration of the sweep commands, so main.cc stays a flat dispatcher.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "cli/load_bench.h"
#include "cli/sweep_commands.h"

namespace hkv::cli {

struct SweepCli {
  CoordinatorOptions coordinator;
  WorkerCliOptions worker;
  ConnectionOptions conn;
  ResultsOptions results;
  RunOptions run;
  SubmitOptions submit;
  LoadBenchOptions load;
  CLI::App* load_cmd = nullptr;
  int64_t sweep_id = 0;
  bool watch = false;
  CLI::App* coordinator_cmd = nullptr;
  CLI::App* worker_cmd = nullptr;
  CLI::App* submit_cmd = nullptr;
  CLI::App* status_cmd = nullptr;
  CLI::App* workers_cmd = nullptr;
  CLI::App* results_cmd = nullptr;
  CLI::App* cancel_cmd = nullptr;
  CLI::App* run_cmd = nullptr;
};

void add_sweep_commands(CLI::App& app, SweepCli* cli);
// The exit code when one of the sweep commands was given, else nullopt.
std::optional<int> dispatch_sweep_commands(const SweepCli& cli);

}  // namespace hkv::cli
