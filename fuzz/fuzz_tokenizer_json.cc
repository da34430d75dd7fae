// libFuzzer harness: bytes -> tokenizer.json (and, after a "\n#tokenizer_config.json\n" line, a
// tokenizer_config.json beside it) -> Tokenizer::from_hf_json, then encode/decode round trips on
// an accepted tokenizer. Rejected files must come back as a Status; nothing may abort or fault.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/temp_dir.h"
#include "fuzz/verbose.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace {

constexpr std::string_view kConfigSeparator = "\n#tokenizer_config.json\n";

// Plain text, digits, Latin-1 and CJK, whitespace runs, a common special token and invalid UTF-8.
constexpr std::string_view kSampleText =
    "Hello, world! 12345 h\xc3\xa9llo \xe4\xb8\xad\xe6\x96\x87  \n\t<s></s><|endoftext|> "
    "don't \xff\xfe end";

void exercise(const hkv::model::Tokenizer& tokenizer) {
  for (bool special : {false, true}) {
    std::vector<int32_t> ids = tokenizer.encode(kSampleText, special);
    (void)tokenizer.decode(ids, false);
    (void)tokenizer.decode(ids, true);
  }
  const int32_t vocab = tokenizer.vocab_size();
  for (int32_t id = 0; id < vocab && id < 64; ++id) {
    (void)tokenizer.token_to_id(tokenizer.token_string(id));
    (void)tokenizer.token_bytes(id);
    (void)tokenizer.is_special(id);
  }
  (void)tokenizer.decode({vocab, -1}, false);  // out of range: an error, not a fault
  (void)hkv::model::detect_chat_family(tokenizer.spec().chat_template, "fuzz");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  static const hkv::fuzz::TempDir dir("tokenizer");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t split = text.find(kConfigSeparator);
  std::string_view json = text.substr(0, split);
  if (split == std::string_view::npos) {
    dir.remove("tokenizer_config.json");
  } else {
    std::string_view config = text.substr(split + kConfigSeparator.size());
    dir.write("tokenizer_config.json", reinterpret_cast<const uint8_t*>(config.data()),
              config.size());
  }
  const std::string path =
      dir.write("tokenizer.json", reinterpret_cast<const uint8_t*>(json.data()), json.size());
  hkv::Result<hkv::model::Tokenizer> tokenizer = hkv::model::Tokenizer::from_hf_json(path);
  hkv::fuzz::log_status("Tokenizer::from_hf_json", tokenizer.status());
  if (tokenizer.ok()) {
    exercise(*tokenizer);
  }
  return 0;
}
