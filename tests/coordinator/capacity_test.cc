// Capacity matching (M11): a sweep's memory need (memory_gib, or estimated from its config.json)
// against each worker's reported memory (all its tensor-parallel ranks): tasks go only to workers
// that hold it, a smaller worker takes the next sweep instead, and a sweep no live worker holds
// says why it waits.
#include <fstream>

#include <gtest/gtest.h>

#include "common/strings.h"
#include "coordinator/scheduler.h"
#include "jobs/model_needs.h"
#include "tests/coordinator/scheduler_fixture.h"
#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {
namespace {

std::string sized_sweep(const std::string& name, const std::string& model, double gib, int prio) {
  return strformat(R"(name: %s
model: %s
priority: %d
memory_gib: %g
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: 2}
methods:
  - {method: FullKV}
)",
                   name.c_str(), model.c_str(), prio, gib);
}

const char* kLlama3_8b = R"({"hidden_size": 4096, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
  "vocab_size": 128256, "tie_word_embeddings": false})";

TEST_F(SchedulerTest, TasksGoOnlyToWorkersThatHoldTheSweep) {
  auto big = scheduler_->submit_sweep(sized_sweep("big", "/models/70b", 150.0, 5), "big.yaml");
  ASSERT_TRUE(big.ok()) << big.status().to_string();
  const int64_t small = submit("small", 0, 1);
  std::string w80 = add_worker("host-a");  // 80 GiB
  SweepProgress p = progress(big->sweep_id);
  EXPECT_EQ(p.needs_memory_bytes, 150LL << 30);
  EXPECT_NE(p.waiting.find("needs 150.0 GiB of memory"), std::string::npos) << p.waiting;
  EXPECT_NE(p.waiting.find("the largest of the 1 live workers holds 80.0 GiB"), std::string::npos)
      << p.waiting;
  // The 80 GiB worker skips the higher-priority sweep it cannot hold.
  auto a = pull(w80);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sweep_id, small);
  // Two 80 GiB GPUs at TP = 2 hold it.
  WorkerInfo tp2{"", "host-b", "cuda:0", "H100", 160LL << 30};
  tp2.tp = 2;
  auto wide = scheduler_->register_worker(tp2);
  ASSERT_TRUE(wide.ok());
  EXPECT_TRUE(progress(big->sweep_id).waiting.empty());
  auto b = pull(*wide);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->sweep_id, big->sweep_id);
  auto workers = scheduler_->list_workers();
  ASSERT_TRUE(workers.ok());
  bool seen = false;
  for (const WorkerStatus& w : *workers) {
    if (w.info.worker_id == *wide) {
      EXPECT_EQ(w.info.tp, 2);
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(SchedulerTest, TheNeedIsEstimatedFromConfigJsonWhenReadable) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/config.json") << kLlama3_8b;
  auto r = scheduler_->submit_sweep(sized_sweep("llama", dir.path(), 0, 0), "llama.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // 8.03 B parameters x 2 bytes (fp16) x the headroom.
  EXPECT_EQ(progress(r->sweep_id).needs_memory_bytes,
            static_cast<int64_t>(jobs::kMemoryHeadroom * 2.0 * 8030261248.0));
  // A GGUF file or a path only the workers see: no requirement.
  const int64_t gguf = submit("gguf", 0, 1);
  EXPECT_EQ(progress(gguf).needs_memory_bytes, 0);
  EXPECT_TRUE(progress(gguf).waiting.empty());
}

TEST(ModelNeedsTest, ParameterCountsOfThePaperModels) {
  auto llama = jobs::llama_parameters_from_config_json(kLlama3_8b, "llama");
  ASSERT_TRUE(llama.ok()) << llama.status().to_string();
  EXPECT_EQ(*llama, 8030261248);
  auto mistral = jobs::llama_parameters_from_config_json(
      R"({"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
          "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000})",
      "mistral");
  ASSERT_TRUE(mistral.ok());
  EXPECT_EQ(*mistral, 7241732096);
  auto smol = jobs::llama_parameters_from_config_json(
      R"({"hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
          "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
          "tie_word_embeddings": true})",
      "smollm2");
  ASSERT_TRUE(smol.ok());
  EXPECT_EQ(*smol, 134515008);
  auto bad = jobs::llama_parameters_from_config_json(R"({"hidden_size": 4096})", "cfg");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cfg: 'num_hidden_layers' must be a positive integer"),
            std::string::npos)
      << bad.status().to_string();
}

}  // namespace
}  // namespace hkv::coordinator
