// A strict reader for the Python files jieba ships its HMM probabilities in
// (finalseg/prob_{start,trans,emit}.py): an optional `from __future__ import unicode_literals`,
// then `P=` and a dict literal whose keys are string literals and whose values are numbers or
// dicts of the same kind. Anything else is an error rather than a guess.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hkv::jobs {

// One number of the literal with the keys leading to it: P['B']['\u4e00'] = -3.65 is
// {{U"B", U"\u4e00"}, -3.65}.
struct PyLiteralNumber {
  std::vector<std::u32string> keys;
  double value = 0.0;
};

// Parses `source` (the file's UTF-8 text; `path` names it in errors). Entries come in source
// order. Numbers are decimal literals with an optional leading "-", converted with
// std::from_chars, which rounds correctly as Python's float literals do. String keys accept ' or "
// quotes and the escapes \\ \' \" \n \r \t \xHH \uHHHH \UHHHHHHHH. DataLoss, naming the file and
// byte offset, for anything outside that grammar, a duplicate key or an empty dict (whose meaning a
// flat list could not keep).
Result<std::vector<PyLiteralNumber>> parse_py_dict_literal(std::string_view source,
                                                           const std::string& path);

}  // namespace hkv::jobs
