// Model-backed check of the prompt builders: jobs/ builders over model::Tokenizer (Llama-3 from
// the shipped data, with the reference's transformers-4.37 BOS and clean-up semantics) must
// reproduce the "reference" sections of tests/golden/prompts/*.json exactly. Lives in the worker
// tests, the one place the layering lets jobs/ and model/ meet.
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "benchmarks/babilong.h"
#include "benchmarks/longbench.h"
#include "benchmarks/needle.h"
#include "tests/benchmarks/prompt_testing.h"
#include "tests/testing/data.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace hkv {
namespace {

// transformers-4.37 semantics over model::Tokenizer: BOS when the file adds none, and the
// tokenizer_config's clean_up_tokenization_spaces honoured.
class ModelTextTokenizer final : public jobs::TextTokenizer {
 public:
  static std::shared_ptr<ModelTextTokenizer> load(const std::string& dir, bool clean_up) {
    Result<model::Tokenizer> tok = model::Tokenizer::from_hf_json(dir + "/tokenizer.json");
    EXPECT_TRUE(tok.ok()) << tok.status().to_string();
    model::TokenizerSpec spec = tok->spec();
    spec.clean_up_tokenization_spaces = clean_up;
    if (!spec.add_bos && spec.bos_id) {
      spec.add_bos = true;
    }
    Result<model::Tokenizer> patched = model::Tokenizer::from_spec(std::move(spec));
    EXPECT_TRUE(patched.ok()) << patched.status().to_string();
    auto out = std::make_shared<ModelTextTokenizer>();
    out->tok_ = std::move(patched).value();
    return out;
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    return tok_.encode(text, add_special_tokens);
  }

  Result<std::string> decode(std::span<const int32_t> ids, bool skip) const override {
    return tok_.decode(std::vector<int32_t>(ids.begin(), ids.end()), skip);
  }

  std::optional<int32_t> eos_id() const override { return tok_.spec().eos_id; }

  model::Tokenizer tok_;
};

std::string data() {
  return testing::repo_data_dir();
}

Result<std::string> render(const std::string& text) {
  return model::render_chat(model::ChatFamily::kLlama3, {{"user", text}}, true,
                            {"<|begin_of_text|>", "<|end_of_text|>"});
}

TEST(RealPrompts, Tokenizers) {
  HKV_ASSERT_DATA(data() + "/tokenizers/llama3/tokenizer.json");
  auto llama = ModelTextTokenizer::load(data() + "/tokenizers/llama3", true);
  auto mistral = ModelTextTokenizer::load(data() + "/tokenizers/mistral", false);
  const Json golden = jobs::testing::load_prompt_golden("needle.json");
  EXPECT_EQ(*jobs::derive_period_ids(*llama),
            golden["derived_period_ids"]["llama3"].get<std::vector<int32_t>>());
  EXPECT_EQ(*jobs::derive_period_ids(*mistral),
            golden["derived_period_ids"]["mistral"].get<std::vector<int32_t>>());
  EXPECT_EQ(*jobs::newline_stop_id(*llama), golden["newline_ids"]["llama3"].get<int32_t>());
  EXPECT_EQ(*jobs::newline_stop_id(*mistral), golden["newline_ids"]["mistral"].get<int32_t>());
  EXPECT_EQ(llama->encode("x", true)[0], 128000);
}

TEST(RealPrompts, LongBench) {
  HKV_ASSERT_DATA(data() + "/tokenizers/llama3/tokenizer.json");
  auto tok = ModelTextTokenizer::load(data() + "/tokenizers/llama3", true);
  const Json golden = jobs::testing::load_prompt_golden("longbench.json");
  int n = 0;
  for (const Json& c : golden["reference"]) {
    const std::string dataset = c["dataset"];
    jobs::LongBenchOptions options;
    options.max_input_tokens = c["max_input_tokens"];
    auto ds =
        jobs::LongBenchDataset::open(jobs::longbench_jsonl_path(data() + "/longbench", dataset),
                                     *jobs::find_longbench_task(dataset), tok, options, 5);
    ASSERT_TRUE(ds.ok());
    auto s = ds->sample(c["index"].get<size_t>());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    const std::string label = s->id + " M=" + std::to_string(options.max_input_tokens);
    EXPECT_EQ(s->truncated, c["truncated"].get<bool>()) << label;
    jobs::testing::expect_text_digest(c["prompt"], s->prompt, label);
    jobs::testing::expect_ids_digest(c["ids"], s->prompt_ids, label);
    ++n;
  }
  EXPECT_EQ(n, 20);
}

TEST(RealPrompts, Babilong) {
  HKV_ASSERT_DATA(data() + "/tokenizers/llama3/tokenizer.json");
  auto tok = ModelTextTokenizer::load(data() + "/tokenizers/llama3", true);
  const Json golden = jobs::testing::load_prompt_golden("babilong.json");
  int n = 0;
  for (const Json& c : golden["reference"]) {
    jobs::BabilongOptions options{c["max_input_tokens"].get<int32_t>(), render};
    auto ds =
        jobs::BabilongDataset::open(data() + "/babilong", c["task"], c["split"], tok, options, 2);
    ASSERT_TRUE(ds.ok());
    auto s = ds->sample(c["index"].get<size_t>());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    const std::string label = s->id + " M=" + std::to_string(options.max_input_tokens);
    EXPECT_EQ(s->truncated, c["truncated"].get<bool>()) << label;
    jobs::testing::expect_text_digest(c["prompt"], s->prompt, label);
    jobs::testing::expect_ids_digest(c["ids"], s->prompt_ids, label);
    ++n;
  }
  EXPECT_EQ(n, 30);
}

TEST(RealPrompts, Needle) {
  HKV_ASSERT_DATA(data() + "/tokenizers/llama3/tokenizer.json");
  auto tok = ModelTextTokenizer::load(data() + "/tokenizers/llama3", true);
  const Json golden = jobs::testing::load_prompt_golden("needle.json");
  std::map<std::string, jobs::Haystack> haystacks;
  int n = 0;
  for (const Json& c : golden["reference"]) {
    const std::string mode = c["mode"];
    jobs::NeedleOptions options;
    options.bos_mode =
        mode == "reference" ? jobs::NeedleBosMode::kReference : jobs::NeedleBosMode::kNoStrayBos;
    options.period_ids = *jobs::reference_period_ids("LLaMA3");
    if (!haystacks.count(mode)) {
      auto h = jobs::build_haystack(data() + "/pg_essays", *tok, 2000, options.bos_mode);
      ASSERT_TRUE(h.ok());
      haystacks[mode] = std::move(h).value();
    }
    auto s = jobs::build_needle_sample(haystacks[mode], c["context_length"], c["depth_percent"],
                                       *tok, options);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    const std::string label = mode + " " + s->id;
    jobs::testing::expect_text_digest(c["prompt"], s->prompt, label);
    jobs::testing::expect_ids_digest(c["ids"], s->prompt_ids, label);
    EXPECT_EQ(s->stop_ids, (std::vector<int32_t>{128001, 198})) << label;
    ++n;
  }
  EXPECT_EQ(n, 12);
}

}  // namespace
}  // namespace hkv
