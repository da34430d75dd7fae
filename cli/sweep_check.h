// The check `headkv run`, `submit` and `eval` make before anything is queued: the sweep parses and
// expands, every data file its units read exists, parses and holds the samples they index
// (jobs/data_check.h), every head-score file its HeadKV configs name loads, and the model exists.
// One problem anywhere rejects the whole sweep with a message naming each file.
#pragma once

#include <string>

#include "common/status.h"
#include "jobs/sweep_spec.h"

namespace hkv::cli {

struct SweepCheckOptions {
  std::string data_root;    // --data-dir ("" = the default data search path)
  bool check_model = true;  // the model path must exist here (off for remote-only models)
  bool verbose = false;     // print one line per checked file
};

// Checks an already parsed and expanded sweep.
Status check_sweep_before_queue(const jobs::SweepSpec& spec,
                                const jobs::ExpandedSweep& sweep,
                                const SweepCheckOptions& options);

// Parses, expands and checks a sweep file's text; `source` names it in messages.
Status check_sweep_text(const std::string& text,
                        const std::string& source,
                        const SweepCheckOptions& options);

}  // namespace hkv::cli
