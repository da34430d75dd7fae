// CLI11 registration of the engine-side commands (doctor, inspect, tokenize, generate, eval,
// heads budget/show/detect), so main.cc stays a flat dispatcher.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "cli/bench.h"
#include "cli/doctor.h"
#include "cli/eval.h"
#include "cli/generate.h"
#include "cli/gpu_compare.h"
#include "cli/heads.h"
#include "cli/inspect.h"
#include "cli/tokenize.h"

namespace hkv::cli {

struct EngineCli {
  DoctorOptions doctor;
  InspectOptions inspect;
  TokenizeOptions tokenize;
  GenerateOptions generate;
  EvalOptions eval;
  HeadsBudgetOptions budget;
  HeadsShowOptions show;
  HeadsDetectOptions detect;
  GpuCompareOptions compare;
  BenchOptions bench;
  CLI::App* doctor_cmd = nullptr;
  CLI::App* inspect_cmd = nullptr;
  CLI::App* tokenize_cmd = nullptr;
  CLI::App* generate_cmd = nullptr;
  CLI::App* eval_cmd = nullptr;
  CLI::App* heads_cmd = nullptr;
  CLI::App* budget_cmd = nullptr;
  CLI::App* show_cmd = nullptr;
  CLI::App* detect_cmd = nullptr;
  CLI::App* compare_cmd = nullptr;
  CLI::App* bench_cmd = nullptr;
};

void add_engine_commands(CLI::App& app, EngineCli* cli);
// The exit code when one of these commands was given, else nullopt.
std::optional<int> dispatch_engine_commands(const EngineCli& cli);

}  // namespace hkv::cli
