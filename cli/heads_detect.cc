// `headkv heads detect`: runs retrieval / retrieval-reasoning head detection (ALGORITHMS.md §9) on
// the CPU or GPU engine and writes the score file in the reference JSON format.
#include <cstdio>

#include "benchmarks/needle.h"
#include "cli/heads.h"
#include "common/paths.h"
#include "head_scores/score_file.h"
#include "jobs/heads_spec.h"
#include "model/engine.h"
#include "tokenizer/model_files.h"
#include "worker/head_detect.h"
#include "worker/tokenizer_adapter.h"

namespace hkv::cli {

int run_heads_detect(const HeadsDetectOptions& o) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "headkv heads detect: %s\n", s.to_string().c_str());
    return 1;
  };
  worker::DetectOptions d;
  auto kind = worker::parse_detection_kind(o.kind);
  if (!kind.ok()) {
    return fail(kind.status().with_context("--kind"));
  }
  d.kind = *kind;
  d.success = worker::detection_success_score(d.kind);
  if (o.haystack_dir.empty()) {
    auto dir = jobs::heads_haystack_dir("", o.data_dir, o.kind);
    if (!dir.ok()) {
      return fail(dir.status());
    }
    d.haystack_dir = *dir;
  } else {
    d.haystack_dir = o.haystack_dir;
  }
  d.lengths = o.lengths;
  auto depths = jobs::needle_depth_percents(0, 100, o.depths);
  if (!depths.ok()) {
    return fail(depths.status());
  }
  d.depths = *depths;
  d.max_decode_steps = o.max_decode_steps;
  d.reasoning_steps = o.reasoning_steps;
  if (!(o.min_score >= -1.0 && o.min_score <= 100.0)) {
    return fail(
        errorf(StatusCode::kInvalidArgument, "--min-score %g, expected -1..100", o.min_score));
  }
  d.min_score = o.min_score;
  if (d.min_score != 50.0) {
    std::fprintf(stderr,
                 "note: keeping tests that score > %g, not the reference's > 50 (deviation)\n",
                 d.min_score);
  }
  d.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  auto source = model::ModelSource::open(o.model);
  if (!source.ok()) {
    return fail(source.status());
  }
  model::EngineOptions eo;
  eo.device = o.device;
  eo.dtype = o.dtype;
  auto engine = model::load_engine(*source, eo);
  if (!engine.ok()) {
    return fail(engine.status());
  }
  std::unique_ptr<model::ObservedDecoder> decoder = (*engine)->observed_decoder();
  auto tok = model::load_tokenizer(o.model);
  if (!tok.ok()) {
    return fail(tok.status());
  }

  worker::TokenizerAdapter adapter(&*tok);
  auto family = model::chat_family_for(*tok, o.model, std::nullopt);
  if (!family.ok()) {
    return fail(family.status());
  }
  auto periods = jobs::derive_period_ids(adapter);
  if (!periods.ok()) {
    return fail(periods.status());
  }
  worker::set_detection_prompting(&d, &*tok, *family, *periods);
  auto report = worker::detect_heads(*decoder, *tok, d);
  if (!report.ok()) {
    return fail(report.status());
  }
  Status st = head_scores::save_score_file(report->table, o.out);
  if (!st.ok()) {
    return fail(st);
  }
  std::printf("%s: %d of %d tests succeeded in %.0f s on %s; %d layers x %d heads -> %s\n",
              o.kind.c_str(), report->tests_succeeded, report->tests_run, report->seconds,
              (*engine)->description().c_str(), report->table.num_layers, report->table.num_heads,
              o.out.c_str());
  return 0;
}

}  // namespace hkv::cli
