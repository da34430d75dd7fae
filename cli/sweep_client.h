// The sweep commands' shared client side (sweep_commands.cc, local_sweep.cc): the stop flag their
// signal handlers set, the error exit, the coordinator connection, the progress line and the
// result tables.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "cli/sweep_commands.h"
#include "common/status.h"
#include "results/failure_summary.h"
#include "worker/coordinator_client.h"

namespace hkv::cli {

// Raised by stop_on_signal: a coordinator stops serving, workers drain and stop.
std::atomic<bool>& sweep_stop();
void stop_on_signal(int signal);

// Prints "headkv CMD: <status>" to stderr; returns the exit code 1.
int sweep_fail(const char* cmd, const Status& s);

// A client of c.coordinator with c's token (or token file) and TLS CA; three tries per call.
Result<std::unique_ptr<worker::CoordinatorClient>> connect_client(const ConnectionOptions& c);

// One progress line (and the reason a sweep waits, when it does) on stdout.
void print_progress(const v1::SweepProgress& p);

// Fetches the results and the failed tasks, prints the tables in `o.format`, writes them to
// `o.out_dir` when set. `failed` receives the failed tasks.
Status print_results(const ResultsOptions& o, std::vector<results::FailedTask>* failed);

}  // namespace hkv::cli
