// The data part of `headkv doctor`: the data search path, and for each benchmark's data where it
// is found and whether it is complete (fetched data against its MANIFEST.json, sizes only; the
// shipped slices with their line counts).
#pragma once

#include <string>

namespace hkv::cli {

// Prints the report; returns false when a fetched dataset fails its manifest check.
bool print_data_report(const std::string& data_root);

}  // namespace hkv::cli
