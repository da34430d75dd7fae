// Test support for the prompt builders: the character tokenizer that
// tools/reference/make_prompt_goldens.py also implements (its "fake" golden sections), the digest
// format of tests/golden/prompts/*.json, and a Llama-3 chat renderer equal to the first-release
// template (transformers' apply_chat_template output, pinned by the "reference" goldens).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "benchmarks/babilong.h"
#include "benchmarks/text_tokenizer.h"
#include "common/json.h"
#include "common/status.h"
#include "common/utf8.h"
#include "tests/testing/data.h"

namespace hkv::jobs::testing {

// One token per code point (id = 256 + code point); <|begin_of_text|> = 1 (BOS) and
// <|end_of_text|> = 2 (EOS) are also matched as text inside the input, as HF matches special
// tokens. Decoding is exact concatenation, so re-tokenisation never re-merges across a cut.
class CharTokenizer final : public TextTokenizer {
 public:
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;
  static constexpr int32_t kOffset = 256;

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    std::vector<int32_t> ids;
    if (add_special_tokens) {
      ids.push_back(kBos);
    }
    size_t i = 0;
    while (i < text.size()) {
      if (text.substr(i).starts_with(kBosText)) {
        ids.push_back(kBos);
        i += kBosText.size();
        continue;
      }
      if (text.substr(i).starts_with(kEosText)) {
        ids.push_back(kEos);
        i += kEosText.size();
        continue;
      }
      const auto b0 = static_cast<uint8_t>(text[i]);
      const size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : 4;
      uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
      for (size_t k = 1; k < len && i + k < text.size(); ++k) {
        cp = (cp << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
      }
      ids.push_back(kOffset + static_cast<int32_t>(cp));
      i += len;
    }
    return ids;
  }

  Result<std::string> decode(std::span<const int32_t> ids,
                             bool skip_special_tokens) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id == kBos || id == kEos) {
        if (!skip_special_tokens) {
          out += id == kBos ? kBosText : kEosText;
        }
        continue;
      }
      if (id < kOffset) {
        return errorf(StatusCode::kOutOfRange, "CharTokenizer: id %d out of range", id);
      }
      append_utf8(static_cast<uint32_t>(id - kOffset), &out);
    }
    return out;
  }

  std::optional<int32_t> eos_id() const override { return kEos; }

  static constexpr std::string_view kBosText = "<|begin_of_text|>";
  static constexpr std::string_view kEosText = "<|end_of_text|>";

 private:
  static void append_utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
};

// The first-release Meta-Llama-3-8B-Instruct template (tokenizers/llama3/tokenizer_config.json)
// for one user message: bos + header + content|trim + eot + assistant header.
inline Result<std::string> render_llama3(const std::string& user_text) {
  return std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n") +
         std::string(python_strip(user_text)) +
         "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
}

inline std::string fnv1a64_hex(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

inline std::string text_fnv1a64(std::string_view text) {
  return fnv1a64_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// Each id as 4 little-endian bytes of its int32 value.
inline std::string ids_fnv1a64(const std::vector<int32_t>& ids) {
  std::vector<uint8_t> bytes;
  bytes.reserve(ids.size() * 4);
  for (int32_t id : ids) {
    const auto u = static_cast<uint32_t>(id);
    for (int k = 0; k < 4; ++k) {
      bytes.push_back(static_cast<uint8_t>(u >> (8 * k)));
    }
  }
  return fnv1a64_hex(bytes);
}

// Byte offsets of the first / last `n` code points (UTF-8 lead bytes are counted).
inline std::string utf8_head(std::string_view text, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80 && count++ == n) {
      return std::string(text.substr(0, i));
    }
  }
  return std::string(text);
}

inline std::string utf8_tail(std::string_view text, size_t n) {
  size_t count = 0;
  for (size_t i = text.size(); i-- > 0;) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80 && ++count == n) {
      return std::string(text.substr(i));
    }
  }
  return std::string(text);
}

// {bytes, fnv1a64, head, tail} of make_prompt_goldens.py's text_digest.
inline void expect_text_digest(const Json& digest,
                               const std::string& text,
                               const std::string& label) {
  EXPECT_EQ(text.size(), digest.at("bytes").get<size_t>()) << label;
  EXPECT_EQ(utf8_head(text, 200), digest.at("head").get<std::string>()) << label;
  EXPECT_EQ(utf8_tail(text, 200), digest.at("tail").get<std::string>()) << label;
  EXPECT_EQ(text_fnv1a64(text), digest.at("fnv1a64").get<std::string>()) << label;
}

// {count, fnv1a64, first, last} of make_prompt_goldens.py's ids_digest.
inline void expect_ids_digest(const Json& digest,
                              const std::vector<int32_t>& ids,
                              const std::string& label) {
  ASSERT_EQ(ids.size(), digest.at("count").get<size_t>()) << label;
  const auto first = digest.at("first").get<std::vector<int32_t>>();
  const auto last = digest.at("last").get<std::vector<int32_t>>();
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(first.size())),
            first)
      << label;
  EXPECT_EQ(std::vector<int32_t>(ids.end() - static_cast<ptrdiff_t>(last.size()), ids.end()), last)
      << label;
  EXPECT_EQ(ids_fnv1a64(ids), digest.at("fnv1a64").get<std::string>()) << label;
}

inline Json load_prompt_golden(const std::string& name) {
  Result<Json> golden = read_json_file(hkv::testing::golden_path("prompts/" + name));
  EXPECT_TRUE(golden.ok()) << golden.status().to_string();
  return golden.ok() ? std::move(golden).value() : Json::object();
}

}  // namespace hkv::jobs::testing
