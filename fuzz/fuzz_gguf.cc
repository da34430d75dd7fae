// libFuzzer harness: bytes -> a .gguf file -> GgufFile::open, then what a model load reads from an
// accepted file (typed metadata access, tensor spans, dequantization, the Llama config, the
// embedded tokenizer). Rejected files must come back as a Status; nothing may abort or fault.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/config.h"
#include "formats/dequant.h"
#include "formats/gguf.h"
#include "fuzz/temp_dir.h"
#include "fuzz/verbose.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

using hkv::model::GgufFile;

// Dequantizing is linear in the element count; bound it so one input stays fast.
constexpr uint64_t kMaxDequantElements = 1 << 16;

void touch_metadata(const GgufFile& file) {
  for (const auto& [key, value] : file.metadata()) {
    (void)value.summary();
    (void)value.is_integer();
    (void)file.find(key);
    (void)file.get_string(key);
    (void)file.get_int(key);
    (void)file.get_float(key);
    (void)file.get_bool(key);
    (void)file.get_string_array(key);
    (void)file.get_int_array(key);
    (void)file.get_float_array(key);
  }
  (void)file.get_string("missing.key");
}

void touch_tensors(const GgufFile& file) {
  std::vector<float> out;
  for (const auto& info : file.tensors()) {
    (void)file.find_tensor(info.name);
    (void)info.shape();
    std::span<const uint8_t> bytes = file.tensor_data(info);
    if (info.num_elements > kMaxDequantElements) {
      continue;
    }
    out.assign(info.num_elements, 0.0f);
    (void)hkv::model::dequantize(info.type, bytes, static_cast<int64_t>(info.num_elements),
                                 out.data());
  }
}

void touch_tokenizer(const GgufFile& file) {
  hkv::Result<hkv::model::Tokenizer> tokenizer = hkv::model::tokenizer_from_gguf(file);
  hkv::fuzz::log_status("tokenizer_from_gguf", tokenizer.status());
  if (!tokenizer.ok()) {
    return;
  }
  std::vector<int32_t> ids = tokenizer->encode("Hello, world! 123 h\xc3\xa9llo\n\t<s> \xff", true);
  (void)tokenizer->decode(ids, false);
  (void)tokenizer->decode(ids, true);
  for (int32_t id = 0; id < tokenizer->vocab_size() && id < 64; ++id) {
    (void)tokenizer->token_bytes(id);
    (void)tokenizer->is_special(id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  static const hkv::fuzz::TempDir dir("gguf");
  hkv::Result<GgufFile> file = GgufFile::open(dir.write("model.gguf", data, size));
  hkv::fuzz::log_status("GgufFile::open", file.status());
  if (!file.ok()) {
    return 0;
  }
  touch_metadata(*file);
  touch_tensors(*file);
  hkv::Result<hkv::model::LlamaConfig> config = hkv::model::load_gguf_config(*file);
  hkv::fuzz::log_status("load_gguf_config", config.status());
  if (config.ok()) {
    (void)config->summary();
    (void)config->num_parameters();
  }
  touch_tokenizer(*file);
  return 0;
}
