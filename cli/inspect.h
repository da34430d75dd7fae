// `headkv inspect`: a model's config, tensors and memory. Returns the process exit code and prints
// errors (Status::to_string) on stderr.
#pragma once

#include <string>

namespace hkv::cli {

struct InspectOptions {
  std::string path;
  bool all_tensors = false;  // print every tensor instead of one block's worth
};

int run_inspect(const InspectOptions& options);

}  // namespace hkv::cli
