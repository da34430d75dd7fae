// libFuzzer harness: bytes -> a .safetensors file -> SafetensorsFile::open and
// SafetensorsModel::open (single-file form), then every accessor over the accepted header.
// Rejected files must come back as a Status; nothing may abort or fault.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/safetensors.h"
#include "fuzz/temp_dir.h"
#include "fuzz/verbose.h"

namespace {

using hkv::model::SafetensorsFile;
using hkv::model::SafetensorsModel;

void touch_file(const SafetensorsFile& file) {
  uint64_t checksum = 0;
  for (const auto& info : file.tensors()) {
    (void)file.find(info.name);
    (void)hkv::model::st_dtype_name(info.dtype);
    std::span<const uint8_t> bytes = file.data(info);
    // Reading the first and last byte makes ASan check the span really lies in the mapping.
    if (!bytes.empty()) {
      checksum += bytes.front() + bytes.back();
    }
    checksum += info.num_elements() * hkv::model::st_dtype_size(info.dtype);
  }
  for (const auto& [key, value] : file.metadata()) {
    checksum += key.size() + value.size();
  }
  (void)checksum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  static const hkv::fuzz::TempDir dir("safetensors");
  const std::string path = dir.write("model.safetensors", data, size);
  hkv::Result<SafetensorsFile> file = SafetensorsFile::open(path);
  hkv::fuzz::log_status("SafetensorsFile::open", file.status());
  if (file.ok()) {
    touch_file(*file);
  }
  hkv::Result<SafetensorsModel> model = SafetensorsModel::open(path);
  hkv::fuzz::log_status("SafetensorsModel::open", model.status());
  if (model.ok()) {
    for (const auto& [name, entry] : model->entries()) {
      (void)model->find(name);
      (void)entry.file->data(*entry.info);
    }
    (void)model->total_bytes();
  }
  return 0;
}
