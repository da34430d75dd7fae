// The `headkv` command: flags -> options -> one subcommand. Every subcommand has --help.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/doctor.h"
#include "cli/engine_cli.h"
#include "cli/fetch_cli.h"
#include "cli/sweep_cli.h"
#include "common/logging.h"

int main(int argc, char** argv) {
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
