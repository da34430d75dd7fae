// Reads only manifests, folder listings and the (small) shipped JSONL files.
#include "cli/doctor_data.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/data_file.h"
#include "common/paths.h"
#include "common/strings.h"
#include "fetch/manifest.h"

namespace hkv::cli {
namespace {

namespace fs = std::filesystem;

// Relative paths of the regular files under `dir` ending in `suffix` (or suffix + ".gz").
std::vector<std::string> files_under(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().string();
    if (name.ends_with(".gz")) {
      name.resize(name.size() - 3);
    }
    if (it->is_regular_file(ec) && name.ends_with(suffix)) {
      out.push_back(fs::relative(name, dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t count_lines(const std::string& path) {
  Result<std::string> text = read_data_file(path);
  if (!text.ok()) {
    return -1;
  }
  int64_t n = std::count(text->begin(), text->end(), '\n');
  return n + (!text->empty() && text->back() != '\n' ? 1 : 0);
}

// One benchmark folder (longbench, babilong): fetched with a manifest, or a slice without.
bool report_benchmark(const std::string& name, const std::string& root) {
  const std::string dir = root + "/" + name;
  const std::string manifest = dir + "/" + fetch::kManifestName;
  if (path_exists(manifest)) {
    auto m = fetch::read_manifest(manifest);
    if (!m.ok()) {
      std::printf("    %s: manifest unreadable: %s\n", dir.c_str(), m.status().message().c_str());
      return false;
    }
    fetch::ManifestCheck c = fetch::verify_manifest(dir, *m, /*hash=*/false);
    std::printf("    %s: %s (%lld files, %s; %s@%s, fetched %s)\n", dir.c_str(),
                c.complete() ? "complete" : "INCOMPLETE", static_cast<long long>(c.files),
                format_bytes(c.bytes).c_str(), m->repo.c_str(), m->revision.c_str(),
                m->fetched_at.c_str());
    for (const std::string& p : c.problems) {
      std::printf("        %s\n", p.c_str());
    }
    if (!c.complete()) {
      std::printf("        run `headkv data fetch %s` again to repair it\n", name.c_str());
    }
    return c.complete();
  }
  const std::vector<std::string> files = files_under(dir, ".jsonl");
  std::string list;
  for (const std::string& f : files) {
    list += strformat("%s%s (%lld)", list.empty() ? "" : ", ", f.c_str(),
                      static_cast<long long>(count_lines(dir + "/" + f)));
  }
  const bool shipped = root == shipped_data_dir();
  std::printf("    %s: %s, %zu file(s) (lines): %s\n", dir.c_str(),
              shipped ? "shipped slices, not the full dataset"
                      : "no manifest (placed by hand: completeness unknown)",
              files.size(), list.c_str());
  if (shipped) {
    std::printf("        the full dataset: `headkv data fetch %s`\n", name.c_str());
  }
  return true;
}

}  // namespace

bool print_data_report(const std::string& data_root) {
  const std::vector<std::string> roots = data_search_path(data_root);
  std::printf("data path: ");
  for (size_t i = 0; i < roots.size(); ++i) {
    std::printf("%s%s", i ? ", " : "", roots[i].c_str());
  }
  std::printf("%s\n", roots.empty() ? "(empty: no data folder exists)" : "");
  std::printf("  (first match wins per file: --data-dir, $HEADKV_DATA_DIR, %s, shipped %s)\n",
              fetched_data_dir().c_str(), shipped_data_dir().c_str());
  bool ok = true;
  for (const char* bench : {"longbench", "babilong"}) {
    std::printf("  %s:\n", bench);
    bool any = false;
    for (const std::string& root : roots) {
      if (!is_directory(root + "/" + bench)) {
        continue;
      }
      any = true;
      ok = report_benchmark(bench, root) && ok;
    }
    if (!any) {
      std::printf("    missing: run `headkv data fetch %s`\n", bench);
    }
  }
  Result<std::string> essays = find_data_dir("pg_essays", data_root);
  std::printf("  pg_essays (needle haystack): %s\n",
              essays.ok() ? strformat("%d essays in %s", count_files_with_suffix(*essays, ".txt"),
                                      essays->c_str())
                                .c_str()
                          : "missing");
  for (const char* kind : {"haystack_for_detect", "haystack_for_detect_r2"}) {
    Result<std::string> dir = find_data_dir(std::string("retrieval_haystack/") + kind, data_root);
    std::printf("  retrieval_haystack/%s: %s\n", kind,
                dir.ok() ? strformat("%lld needles in %s",
                                     static_cast<long long>(count_lines(*dir + "/needles.jsonl")),
                                     dir->c_str())
                               .c_str()
                         : "missing");
  }
  Result<std::string> scores = find_data_dir("head_scores", data_root);
  std::printf("  head_scores (published): %s\n",
              scores.ok() ? strformat("%zu files in %s", files_under(*scores, ".json").size(),
                                      scores->c_str())
                                .c_str()
                          : "missing");
  Result<std::string> tokenizers = find_data_dir("tokenizers", data_root);
  std::printf("  tokenizers (test fixtures): %s\n",
              tokenizers.ok() ? strformat("%zu tokenizer.json in %s",
                                          files_under(*tokenizers, "tokenizer.json").size(),
                                          tokenizers->c_str())
                                    .c_str()
                              : "missing");
  return ok;
}

}  // namespace hkv::cli
