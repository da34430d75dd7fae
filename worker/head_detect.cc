// The detection loop: build the needle prompt, prefill all but its last token with a FullKV cache
// (cache row i = position i), then decode greedily while every head's attention row is scored.
#include "worker/head_detect.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "common/data_file.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "common/timing.h"
#include "cpu_engine/generate.h"
#include "cpu_engine/kv_compressor.h"
#include "metrics/metrics.h"
#include "metrics/rouge.h"
#include "tokenizer/model_files.h"

namespace hkv::worker {
namespace {

// Needle k's haystack: the .txt files of part{k+offset} in name order, repeated until the word
// count reaches `words` (the files are raw JSON dumps, used verbatim as the reference does).
Result<std::string> read_haystack(const std::string& dir, int part, int64_t words) {
  namespace fs = std::filesystem;
  std::string part_dir = dir + "/part" + std::to_string(part);
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(part_dir, ec)) {
    if (e.path().extension() == ".txt") {
      files.push_back(e.path().string());
    }
  }
  if (ec || files.empty()) {
    return errorf(StatusCode::kNotFound, "no haystack .txt files in %s", part_dir.c_str());
  }
  std::sort(files.begin(), files.end());
  std::string text;
  int64_t count = 0;
  while (count < std::max<int64_t>(words, 1)) {
    for (const std::string& f : files) {
      HKV_ASSIGN_OR_RETURN(std::string t, read_data_file(f));
      text += t;
    }
    count = static_cast<int64_t>(split(text, ' ').size());
  }
  return text;
}

// §7.2 steps 1–5 with the detection buffer: truncate, make room, insert at a sentence boundary.
// `haystack_ids` = encode(haystack, add_special_tokens=true), computed once per haystack.
std::vector<int32_t> insert_needle(const model::Tokenizer& tok,
                                   const std::vector<int32_t>& haystack_ids,
                                   const std::string& needle,
                                   int64_t length,
                                   int32_t depth,
                                   const DetectOptions& o) {
  std::vector<int32_t> tn = tok.encode(needle, true);
  if (length == 0) {
    return tn;
  }
  std::vector<int32_t> all(haystack_ids.begin(),
                           haystack_ids.begin() + std::min<int64_t>(length, haystack_ids.size()));
  auto ctx = tok.decode(all, false);
  std::vector<int32_t> tc = tok.encode(ctx.ok() ? *ctx : std::string(), true);
  int64_t room = length - o.buffer_tokens;
  if (static_cast<int64_t>(tc.size() + tn.size()) > room) {
    tc.resize(static_cast<size_t>(std::max<int64_t>(0, room - static_cast<int64_t>(tn.size()))));
  }
  int64_t p = depth >= 100 ? static_cast<int64_t>(tc.size())
                           : static_cast<int64_t>(tc.size()) * depth / 100;
  if (depth < 100) {
    while (p > 0 &&
           std::find(o.period_ids.begin(), o.period_ids.end(), tc[p - 1]) == o.period_ids.end()) {
      --p;
    }
  }
  std::vector<int32_t> out(tc.begin(), tc.begin() + p);
  out.insert(out.end(), tn.begin(), tn.end());
  out.insert(out.end(), tc.begin() + p, tc.end());
  return out;
}

}  // namespace

SuccessScore detection_success_score(head_scores::DetectionKind kind) {
  if (kind == head_scores::DetectionKind::kRetrieval) {
    return [](const std::string& response, const std::string& needle) {
      return 100.0 * jobs::google_rouge1(needle, response).recall;
    };
  }
  return [](const std::string& response, const std::string& answer) {
    return 100.0 * jobs::qa_f1_score(response, answer);
  };
}

Result<head_scores::DetectionKind> parse_detection_kind(std::string_view name) {
  if (name == "retrieval") {
    return head_scores::DetectionKind::kRetrieval;
  }
  if (name == "retrieval-reasoning") {
    return head_scores::DetectionKind::kRetrievalReasoning;
  }
  return errorf(StatusCode::kInvalidArgument,
                "detection kind '%.*s', expected retrieval or retrieval-reasoning",
                static_cast<int>(name.size()), name.data());
}

void set_detection_prompting(DetectOptions* o,
                             const model::Tokenizer* tok,
                             model::ChatFamily family,
                             std::vector<int32_t> period_ids) {
  o->render_chat = nullptr;
  if (family == model::ChatFamily::kChatMl) {
    o->render_chat = [tok, family](const std::string& text) {
      return model::render_user_prompt(*tok, family, text);
    };
  }
  o->period_ids = std::move(period_ids);
}

Result<std::vector<DetectNeedle>> read_detect_needles(const std::string& dir) {
  std::string path = dir + "/needles.jsonl";
  HKV_ASSIGN_OR_RETURN(std::string text, read_data_file(path));
  std::vector<DetectNeedle> out;
  for (const std::string& line : split(text, '\n')) {
    if (trim(line).empty()) {
      continue;
    }
    HKV_ASSIGN_OR_RETURN(Json j, parse_json(line, path));
    JsonRef r(j, path + ":" + std::to_string(out.size() + 1));
    DetectNeedle n;
    HKV_ASSIGN_OR_RETURN(n.needle, r.get<std::string>("needle"));
    HKV_ASSIGN_OR_RETURN(n.question, r.get<std::string>("question"));
    HKV_ASSIGN_OR_RETURN(n.real_needle, r.get<std::string>("real_needle"));
    HKV_ASSIGN_OR_RETURN(n.answer, r.get_or<std::string>("answer", n.real_needle));
    out.push_back(std::move(n));
  }
  if (out.empty()) {
    return errorf(StatusCode::kNotFound, "%s holds no needles", path.c_str());
  }
  return out;
}

Result<std::vector<int32_t>> detect_haystack_ids(const model::Tokenizer& tok,
                                                 const DetectOptions& o,
                                                 size_t needle,
                                                 int64_t words) {
  const bool r2 = o.kind == head_scores::DetectionKind::kRetrievalReasoning;
  HKV_ASSIGN_OR_RETURN(
      std::string haystack,
      read_haystack(o.haystack_dir, static_cast<int>(r2 ? needle : needle + 1), words));
  return tok.encode(haystack, true);
}

Result<DetectTestResult> run_detect_test(model::ObservedDecoder& model,
                                         const model::Tokenizer& tok,
                                         const DetectOptions& o,
                                         const DetectNeedle& nd,
                                         const std::vector<int32_t>& haystack_ids,
                                         int64_t length,
                                         int32_t depth) {
  if (!o.success) {
    return errorf(StatusCode::kInvalidArgument, "run_detect_test: no success scorer");
  }
  const model::LlamaConfig& c = model.config();
  const bool r2 = o.kind == head_scores::DetectionKind::kRetrievalReasoning;
  // The reference stops after a token whose string is "<0x0A>" (SentencePiece byte fallback);
  // byte-level vocabularies spell newline "Ċ", so they never stop on it (Llama-3 runs all steps).
  std::vector<int32_t> stops;
  if (auto nl = tok.token_to_id("<0x0A>")) {
    stops.push_back(*nl);
  }
  if (r2 && tok.spec().eos_id) {
    stops.push_back(*tok.spec().eos_id);
  }
  std::vector<int32_t> ctx = insert_needle(tok, haystack_ids, nd.needle, length, depth, o);
  HKV_ASSIGN_OR_RETURN(std::string context, tok.decode(ctx, false));
  std::string prompt =
      context + "Based on the content of the book, Question: " + nd.question + "\nAnswer:";
  bool chat = static_cast<bool>(o.render_chat);
  if (chat) {
    HKV_ASSIGN_OR_RETURN(prompt, o.render_chat(prompt));
  }
  std::vector<int32_t> ids = tok.encode(prompt, !chat);
  const std::string& expected = r2 ? nd.answer : nd.real_needle;
  std::vector<int32_t> answer = tok.encode(expected, false);
  head_scores::TokenSpan span =
      r2 && tok.spec().bos_id && tok.spec().add_bos
          ? head_scores::find_span_after_bos(ids, answer, *tok.spec().bos_id)
          : head_scores::find_span_by_overlap(ids, answer);
  head_scores::HeadScoreAccumulator acc(o.kind, c.num_layers, c.num_q_heads, span, ids);
  int32_t steps =
      r2 ? (o.reasoning_steps > 0 ? o.reasoning_steps : static_cast<int32_t>(answer.size()))
         : o.max_decode_steps;
  DetectTestResult out;
  auto t0 = std::chrono::steady_clock::now();
  HKV_RETURN_IF_ERROR(model.begin(std::span<const int32_t>(ids.data(), ids.size() - 1), steps));
  out.prefill_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  model::AttentionObserver observer = [&](size_t, int32_t layer, int32_t head,
                                          std::span<const float> p) {
    acc.observe(layer, head, p);
  };
  std::vector<int32_t> generated;
  int32_t input = ids.back();
  for (int32_t step = 0; step < steps; ++step) {
    if (o.cancel != nullptr && o.cancel->load()) {
      return errorf(StatusCode::kCancelled, "head detection test cancelled (decode step %d)", step);
    }
    int64_t pos = static_cast<int64_t>(ids.size()) - 1 + step;
    HKV_ASSIGN_OR_RETURN(input, model.step(input, pos, observer));
    acc.end_step(input);
    generated.push_back(input);
    if (std::find(stops.begin(), stops.end(), input) != stops.end()) {
      break;
    }
  }
  out.decode_ms = ms_since(t0);
  HKV_ASSIGN_OR_RETURN(std::string response, tok.decode(generated, true));
  out.response = std::string(trim(response));
  out.score = o.success(out.response, expected);
  out.span_found = span.found();
  out.kept = out.span_found && out.score > o.min_score;
  out.scores = acc.scores();
  out.prompt_tokens = static_cast<int64_t>(ids.size());
  out.new_tokens = static_cast<int32_t>(generated.size());
  return out;
}

Result<DetectReport> detect_heads(model::ObservedDecoder& model,
                                  const model::Tokenizer& tok,
                                  const DetectOptions& o) {
  if (!o.success) {
    return errorf(StatusCode::kInvalidArgument, "detect_heads: no success scorer");
  }
  const model::LlamaConfig& c = model.config();
  HKV_ASSIGN_OR_RETURN(std::vector<DetectNeedle> needles, read_detect_needles(o.haystack_dir));
  int64_t max_len = *std::max_element(o.lengths.begin(), o.lengths.end());
  std::vector<std::vector<double>> lists(static_cast<size_t>(c.num_layers) * c.num_q_heads);
  DetectReport report;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t k = 0; k < needles.size(); ++k) {
    HKV_ASSIGN_OR_RETURN(std::vector<int32_t> haystack_ids,
                         detect_haystack_ids(tok, o, k, max_len));
    for (int64_t length : o.lengths) {
      for (int32_t depth : o.depths) {
        HKV_ASSIGN_OR_RETURN(DetectTestResult t, run_detect_test(model, tok, o, needles[k],
                                                                 haystack_ids, length, depth));
        ++report.tests_run;
        if (t.kept) {
          ++report.tests_succeeded;
          for (size_t i = 0; i < lists.size(); ++i) {
            lists[i].push_back(t.scores[i]);
          }
        }
        if (o.progress) {
          o.progress(strformat("needle %zu length %lld depth %d: %lld tokens, score %.1f %s -> %s",
                               k, static_cast<long long>(length), depth,
                               static_cast<long long>(t.prompt_tokens), t.score,
                               t.kept ? "kept" : "dropped", t.response.substr(0, 60).c_str()));
        }
      }
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report.tests_succeeded == 0) {
    return errorf(StatusCode::kFailedPrecondition,
                  "none of the %d detection tests succeeded; no scores", report.tests_run);
  }
  HKV_ASSIGN_OR_RETURN(
      report.table, head_scores::make_score_table(c.num_layers, c.num_q_heads, std::move(lists)));
  return report;
}

}  // namespace hkv::worker
