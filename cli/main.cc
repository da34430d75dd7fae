// The `headkv` command: flags -> options -> one subcommand. Every subcommand has --help.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "cli/doctor.h"
#include "cli/engine_cli.h"
#include "cli/fetch_cli.h"
#include "cli/sweep_cli.h"
#include "common/logging.h"
#include "cpu_engine/cpu_blas.h"

namespace {

// OpenBLAS chose its kernels when it loaded; when it fell back to a generic pre-AVX core on a CPU
// with AVX2 or AVX-512 (cpu_blas.h), run again with OPENBLAS_CORETYPE naming the right one.
void reexec_with_better_blas(char** argv) {
  const std::string core = hkv::model::better_blas_coretype();
  if (core.empty()) {
    return;
  }
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "headkv: warning: could not restart with OPENBLAS_CORETYPE=%s\n",
               core.c_str());  // execv returned: carry on with the generic kernels
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_better_blas(argv);
  CLI::App app{"headkv: head-level KV-cache compression research at scale"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", hkv::cli::version_line());
  std::string log_level;
  app.add_option("--log-level", log_level, "debug|info|warning|error|off (default: $HKV_LOG_LEVEL)")
      ->check([](const std::string& v) {
        hkv::LogLevel level;
        return hkv::parse_log_level(v, &level) ? std::string() : "unknown log level '" + v + "'";
      });

  hkv::cli::EngineCli engine;
  hkv::cli::add_engine_commands(app, &engine);
  hkv::cli::SweepCli sweep;
  hkv::cli::add_sweep_commands(app, &sweep);
  hkv::cli::FetchCli fetch;
  hkv::cli::add_fetch_commands(app, &fetch);

  CLI11_PARSE(app, argc, argv);
  if (!log_level.empty()) {
    hkv::LogLevel level;
    hkv::parse_log_level(log_level, &level);
    hkv::set_log_level(level);
  }
  if (auto rc = hkv::cli::dispatch_sweep_commands(sweep)) {
    return *rc;
  }
  if (auto rc = hkv::cli::dispatch_fetch_commands(fetch)) {
    return *rc;
  }
  if (auto rc = hkv::cli::dispatch_engine_commands(engine)) {
    return *rc;
  }
  std::printf("%s", app.help().c_str());
  return 0;
}
