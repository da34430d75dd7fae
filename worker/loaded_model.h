// TaskRunner's per-(model, dtype) state, shared by task_runner.cc and task_batch.cc: the engine,
// the tokenizer and the datasets, haystacks and detection inputs read so far.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "benchmarks/babilong.h"
#include "benchmarks/longbench.h"
#include "model/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "worker/head_detect.h"
#include "worker/task_runner.h"
#include "worker/tokenizer_adapter.h"

namespace hkv::worker {

struct TaskRunner::LoadedModel {
  // Held while the tokenizer, the adapter or the caches below are used: prompts may be prepared
  // on one thread (TaskRunner::prepare_ahead) while another scores predictions.
  std::mutex cpu_mu;
  std::string path;
  std::unique_ptr<model::Engine> engine;
  std::unique_ptr<model::Tokenizer> tokenizer;
  std::unique_ptr<TokenizerAdapter> adapter;
  model::ChatFamily chat = model::ChatFamily::kNone;
  std::map<std::string, std::vector<jobs::LongBenchRecord>> longbench;
  std::map<std::string, std::vector<jobs::BabilongRecord>> babilong;
  std::shared_ptr<jobs::Haystack> haystack;  // grown to the longest needle length seen
  int64_t haystack_tokens = 0;
  std::vector<int32_t> period_ids;
  // Head detection: the observing decoder, needles per haystack folder, encoded haystacks per
  // "folder#needle#words".
  std::unique_ptr<model::ObservedDecoder> observed;
  std::map<std::string, std::vector<DetectNeedle>> detect_needles;
  std::map<std::string, std::vector<int32_t>> detect_haystacks;
};

}  // namespace hkv::worker
