// Exit codes: 0 done (or already up to date), 1 on any failure (the message says what to do).
#include "cli/fetch_cli.h"

#include <cstdio>

#include "common/paths.h"
#include "common/strings.h"
#include "fetch/manifest.h"

namespace hkv::cli {
namespace {

int fail(const char* cmd, const Status& s) {
  std::fprintf(stderr, "headkv %s: %s\n", cmd, s.to_string().c_str());
  return 1;
}

int run_data_fetch(const FetchCli& c) {
  std::vector<std::string> names;
  for (const std::string& d : c.datasets) {
    if (d == "all") {
      names = fetch::fetchable_datasets();
      break;
    }
    names.push_back(d);
  }
  fetch::DatasetFetchOptions o = c.data;
  o.download.retries = c.retries;
  o.download.progress = !c.quiet;
  for (const std::string& name : names) {
    auto report = fetch::fetch_dataset(name, o);
    if (!report.ok()) {
      return fail("data fetch", report.status().with_context("%s", name.c_str()));
    }
    std::printf("%s: %s, %lld files, %s in %s\n", name.c_str(),
                report->up_to_date ? "already complete (manifest checked)" : "fetched and verified",
                static_cast<long long>(report->files), format_bytes(report->bytes).c_str(),
                report->folder.c_str());
  }
  return 0;
}

int run_model_fetch(const FetchCli& c) {
  fetch::ModelFetchOptions o = c.model;
  o.download.retries = c.retries;
  o.download.progress = !c.quiet;
  auto report = fetch::fetch_model(o);
  if (!report.ok()) {
    return fail("model fetch", report.status());
  }
  std::printf("%s: %s, %lld files, %s in %s\n", o.repo_id.c_str(),
              report->up_to_date ? "already complete (manifest checked)" : "fetched and verified",
              static_cast<long long>(report->files), format_bytes(report->bytes).c_str(),
              report->folder.c_str());
  return 0;
}

}  // namespace

int run_data_verify(const std::string& dest_arg) {
  const std::string dest = dest_arg.empty() ? fetched_data_dir() : dest_arg;
  int found = 0, bad = 0;
  for (const std::string& name : fetch::fetchable_datasets()) {
    const std::string folder = dest + "/" + name;
    const std::string path = folder + "/" + fetch::kManifestName;
    if (!path_exists(path)) {
      continue;
    }
    ++found;
    auto m = fetch::read_manifest(path);
    if (!m.ok()) {
      ++bad;
      std::printf("%s: manifest unreadable: %s\n", name.c_str(), m.status().message().c_str());
      continue;
    }
    fetch::ManifestCheck check = fetch::verify_manifest(folder, *m, /*hash=*/true);
    std::printf("%s: %s: %lld files, %s (%s@%s, fetched %s)\n", name.c_str(),
                check.complete() ? "complete, sha256 verified" : "INCOMPLETE",
                static_cast<long long>(check.files), format_bytes(check.bytes).c_str(),
                m->repo.c_str(), m->revision.c_str(), m->fetched_at.c_str());
    for (const std::string& p : check.problems) {
      std::printf("    %s\n", p.c_str());
    }
    bad += check.complete() ? 0 : 1;
  }
  if (found == 0) {
    std::printf("no fetched datasets under %s (run `headkv data fetch all`)\n", dest.c_str());
    return 1;
  }
  return bad == 0 ? 0 : 1;
}

void add_fetch_commands(CLI::App& app, FetchCli* c) {
  c->data_cmd = app.add_subcommand("data", "Benchmark data: fetch the full datasets, verify them");
  c->data_fetch_cmd = c->data_cmd->add_subcommand(
      "fetch", "Download LongBench / BABILong from the Hugging Face Hub (resumable, verified)");
  c->data_fetch_cmd->add_option("datasets", c->datasets, "longbench | babilong | all")
      ->required()
      ->check(CLI::IsMember({"longbench", "babilong", "all"}));
  c->data_fetch_cmd->add_option("--dest", c->data.dest,
                                "Data root (default: $HEADKV_CACHE/data, searched by sweeps)");
  c->data_fetch_cmd->add_option("--revision", c->data.revision, "Hub revision (default: main)");
  c->data_fetch_cmd
      ->add_option("--babilong-lengths", c->data.babilong_lengths,
                   "BABILong lengths (default 0k..32k)")
      ->delimiter(',');
  c->data_fetch_cmd
      ->add_option("--babilong-tasks", c->data.babilong_tasks, "BABILong tasks (default qa1..qa5)")
      ->delimiter(',');
  c->data_fetch_cmd->add_option("--retries", c->retries, "Resuming retries per file");
  c->data_fetch_cmd->add_flag("--quiet", c->quiet, "No progress bars");

  c->data_verify_cmd = c->data_cmd->add_subcommand(
      "verify", "Check fetched datasets against their manifests (sizes and sha256)");
  c->data_verify_cmd->add_option("--dest", c->verify_dest,
                                 "Data root (default: $HEADKV_CACHE/data)");

  c->model_cmd = app.add_subcommand("model", "Models from the Hugging Face Hub");
  c->model_fetch_cmd = c->model_cmd->add_subcommand(
      "fetch", "Download ORG/NAME's config, tokenizer and safetensors (HF_TOKEN for gated repos)");
  c->model_fetch_cmd->add_option("repo", c->model.repo_id, "ORG/NAME")->required();
  c->model_fetch_cmd->add_option("--dest", c->model.dest,
                                 "Model folder (default: $HEADKV_CACHE/models/NAME)");
  c->model_fetch_cmd->add_option("--revision", c->model.revision, "Hub revision (default: main)");
  c->model_fetch_cmd->add_option("--retries", c->retries, "Resuming retries per file");
  c->model_fetch_cmd->add_flag("--quiet", c->quiet, "No progress bars");
}

std::optional<int> dispatch_fetch_commands(const FetchCli& c) {
  if (c.data_fetch_cmd->parsed()) {
    return run_data_fetch(c);
  }
  if (c.data_verify_cmd->parsed()) {
    return run_data_verify(c.verify_dest);
  }
  if (c.data_cmd->parsed()) {
    std::printf("%s", c.data_cmd->help().c_str());
    return 0;
  }
  if (c.model_fetch_cmd->parsed()) {
    return run_model_fetch(c);
  }
  if (c.model_cmd->parsed()) {
    std::printf("%s", c.model_cmd->help().c_str());
    return 0;
  }
  return std::nullopt;
}

}  // namespace hkv::cli
