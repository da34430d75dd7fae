// `headkv doctor`: build configuration, CPU, CUDA devices (with a device self-test), BLAS, cache
// and data locations, so a user can see at once whether a machine is ready.
#pragma once

#include <string>

namespace hkv::cli {

struct DoctorOptions {
  bool skip_self_test = false;
  std::string data_dir;  // --data-dir: searched first for benchmark data
};

// Prints the report to stdout. Returns the process exit code: 0 when every check that applies
// passed, 1 when a device failed its self-test or fetched data fails its manifest.
int run_doctor(const DoctorOptions& options);

// "headkv 0.1.0 (commit abc1234, RelWithDebInfo)".
std::string version_line();

}  // namespace hkv::cli
