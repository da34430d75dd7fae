// Data files through jobs::check_sweep_data; score files through the same resolution the workers
// use (head_scores::resolve_score_path), so a file the workers would miss is missed here first.
#include "cli/sweep_check.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "common/paths.h"
#include "common/strings.h"
#include "formats/weights.h"
#include "head_scores/score_file.h"
#include "jobs/data_check.h"

namespace hkv::cli {
namespace {

std::string model_path(const std::string& raw) {
  const char* home = std::getenv("HOME");
  return home != nullptr ? jobs::expand_home(raw, home) : raw;
}

}  // namespace

Status check_sweep_before_queue(const jobs::SweepSpec& spec,
                                const jobs::ExpandedSweep& sweep,
                                const SweepCheckOptions& options) {
  std::vector<jobs::DataFileCheck> checks = jobs::check_sweep_data(sweep, options.data_root);
  std::set<std::string> seen;
  for (const jobs::CompressionConfig& c : sweep.configs) {
    if (!compression::uses_head_scores(c.method) || !seen.insert(c.head_scores).second) {
      continue;
    }
    jobs::DataFileCheck check;
    check.relative = "head scores '" + c.head_scores + "'";
    check.needed = 1;
    auto path = head_scores::resolve_score_path(c.head_scores, spec.model, options.data_root);
    if (!path.ok()) {
      check.problem = path.status().message();
    } else {
      check.path = *path;
      auto table = head_scores::load_score_file(*path);
      if (table.ok()) {
        check.available = 1;
      } else {
        check.problem = table.status().message();
      }
    }
    checks.push_back(std::move(check));
  }
  if (options.check_model) {
    jobs::DataFileCheck check;
    check.relative = "model";
    check.path = model_path(spec.model);
    check.needed = 1;
    // random:FOLDER (random weights): FOLDER's config.json is what must exist.
    const std::string random = model::strip_random_prefix(spec.model);
    if (random != spec.model) {
      check.path = model_path(random) + "/config.json";
    }
    if (path_exists(check.path)) {
      check.available = 1;
    } else {
      check.problem = strformat(
          "model '%s' not found (the default model comes from scripts/fetch-assets.sh; Hugging "
          "Face models from `headkv model fetch ORG/NAME`)",
          check.path.c_str());
    }
    checks.push_back(std::move(check));
  }
  if (options.verbose) {
    for (const jobs::DataFileCheck& c : checks) {
      std::printf("  data %-40s %s\n", c.relative.c_str(),
                  c.problem.empty() ? strformat("ok (%s)", c.path.c_str()).c_str() : "PROBLEM");
    }
  }
  return jobs::data_check_status(checks);
}

Status check_sweep_text(const std::string& text,
                        const std::string& source,
                        const SweepCheckOptions& options) {
  HKV_ASSIGN_OR_RETURN(jobs::SweepSpec spec, jobs::parse_sweep_spec(text, source));
  jobs::ExpandedSweep sweep = jobs::expand_sweep(spec);
  return check_sweep_before_queue(spec, sweep, options);
}

}  // namespace hkv::cli
